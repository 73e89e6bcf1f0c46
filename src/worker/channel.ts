/**
 * Runs inside the sandbox: the worker's end of the channel to the pool, a pipe on fd 3 carrying
 * framed messages (src/channel). Vitest's worker runtime and the pool's own worker-side modules (the
 * snapshot environment) share it; they find it on a global, since Vitest may load them as separate
 * module instances.
 */
import net from 'node:net'
import { decode, writeMessage } from '../channel/codec.js'
import { FrameDecoder } from '../channel/frames.js'

export const CHANNEL_FD = 3

export interface WorkerChannel {
  post(message: unknown): void
  on(listener: (message: unknown) => void): void
  off(listener: (message: unknown) => void): void
}

const KEY = Symbol.for('vitest-pool-nsjail:channel')

/** The channel opened by the worker entry (undefined outside a sandboxed worker). */
export function workerChannel(): WorkerChannel | undefined {
  return (globalThis as { [KEY]?: WorkerChannel })[KEY]
}

/** Opens fd 3; `onClose` runs when the pool's end goes away (nobody is left to report to). */
export function openWorkerChannel(onClose: () => void): WorkerChannel {
  const socket = new net.Socket({ fd: CHANNEL_FD, readable: true, writable: true })
  // The pool is trusted: no limit beyond what a Buffer can hold.
  const decoder = new FrameDecoder(2 ** 31 - 1)
  const listeners = new Set<(message: unknown) => void>()
  // The pool sends `start` at once, while Vitest's runtime is still loading: held until it listens.
  let early: unknown[] | null = []
  const deliver = (message: unknown) => {
    for (const listener of [...listeners]) listener(message)
  }
  socket.on('data', (chunk: Buffer) => {
    for (const payload of decoder.push(chunk)) {
      const message = decode(payload)
      if (early) early.push(message)
      else deliver(message)
    }
  })
  socket.on('close', onClose)
  socket.on('error', () => {})
  const channel: WorkerChannel = {
    post: (message) => writeMessage(socket, message),
    on(listener) {
      listeners.add(listener)
      if (!early) return
      const held = early
      early = null
      queueMicrotask(() => held.forEach(deliver))
    },
    off: (listener) => void listeners.delete(listener),
  }
  Object.defineProperty(globalThis, KEY, { value: channel, enumerable: false })
  return channel
}
