/**
 * The host's end of one sandbox's channel: frames and messages in both directions over the pipe on
 * the worker's fd 3. Everything the worker sends is untrusted, so each failure to parse, an
 * oversized message or a flood ends in one `onViolation` call (the sandbox is then stopped and its
 * files fail with the reason) and never in an exception on Vitest's event loop.
 */
import type { Duplex } from 'node:stream'
import { decodeUntrusted, writeMessage } from './codec.js'
import { ChannelViolation, FrameDecoder } from './frames.js'
import { MessageRate } from './rate.js'

export interface ConnectionLimits {
  /** Largest message the worker may send, in bytes. */
  messageBytes: number
  /** Messages per second the worker may send, averaged over `MessageRate`'s window. */
  messagesPerSecond: number
}

export interface ConnectionHandlers {
  message(message: unknown, bytes: number): void
  violation(error: ChannelViolation): void
}

export class Connection {
  private readonly decoder: FrameDecoder
  private readonly rate: MessageRate
  private broken = false

  constructor(
    private readonly stream: Duplex,
    limits: ConnectionLimits,
    private readonly handlers: ConnectionHandlers,
  ) {
    this.decoder = new FrameDecoder(limits.messageBytes)
    this.rate = new MessageRate(limits.messagesPerSecond)
    stream.on('data', (chunk: Buffer) => this.receive(chunk))
    // The worker's end closing is its exit's business (reported there), not an error of ours.
    stream.on('error', () => {})
  }

  send(message: unknown): void {
    if (this.broken || this.stream.destroyed || !this.stream.writable) return
    writeMessage(this.stream, message)
  }

  close(): void {
    this.stream.destroy()
  }

  private receive(chunk: Buffer): void {
    if (this.broken) return
    try {
      for (const payload of this.decoder.push(chunk)) {
        if (!this.rate.admit()) {
          throw new ChannelViolation(`it sent more than ${this.rate.limit} messages per second (limits.messages)`)
        }
        const message = decodeUntrusted(payload)
        this.handlers.message(message, payload.length)
        if (this.broken) return
      }
    } catch (error) {
      // Whatever the host trips over in a worker's message ends that sandbox, never Vitest's run.
      this.fail(error instanceof ChannelViolation ? error : new ChannelViolation(`the host failed on a message it sent (${String((error as Error)?.message ?? error)})`))
    }
  }

  /** A violation found by the connection or by what handles its messages: the channel is done. */
  fail(error: ChannelViolation): void {
    if (this.broken) return
    this.broken = true
    this.stream.destroy()
    this.handlers.violation(error)
  }
}
