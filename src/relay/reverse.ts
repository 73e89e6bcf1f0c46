/**
 * Host to sandbox, for the debugger: Vitest's inspector address (127.0.0.1:9229, or what --inspect
 * named) is listened on by the host, and each debugger client there is handed to the sandbox being
 * debugged, without the host ever connecting to anything the sandbox made. The relay inside keeps a
 * few idle connections open to a unix socket of the host's, in the sandbox's private directory; the
 * host takes one, sends DIAL on it, and joins it with the client; the relay inside then connects to
 * the inspector in the sandbox's own network namespace and answers CONNECTED.
 *
 * One listener per address for the whole run: sandboxes come and go under a debugger (one per test
 * file), and a client that connects between two of them waits for the next one, up to
 * CLIENT_WAIT_MS. Budgets: MAX_IDLE idle connections per sandbox, MAX_WAITING waiting clients.
 */
import net from 'node:net'
import { End, reset } from './pump.js'
import { DIAL } from './protocol.js'
import { serve } from './host.js'
import type { TcpAddress } from './protocol.js'

const MAX_IDLE = 8
const MAX_WAITING = 16
const CLIENT_WAIT_MS = 10_000

/** A sandbox's idle connections, as the relay inside opened them. */
interface Provider {
  idle: End[]
}

interface Listener {
  server: net.Server
  /** The sandboxes being debugged on this address, the newest last. */
  providers: Provider[]
  waiting: Array<{ client: End; timer: NodeJS.Timeout }>
}

export class DebuggerListeners {
  private readonly listeners = new Map<string, Promise<Listener>>()

  constructor(private readonly log: (message: string) => void) {}

  /**
   * Makes `address` on the host reach the sandbox whose relay connects to `socket` (a path in its
   * private directory). Returns the detach function, for when the sandbox ends.
   */
  async attach(address: TcpAddress, socket: string): Promise<() => void> {
    const listener = await this.listener(address)
    const provider: Provider = { idle: [] }
    const server = await serve({ path: socket }, (accepted) => {
      if (provider.idle.length >= MAX_IDLE) return accepted.destroy()
      const idle = End.adopt(accepted)
      // Nothing may come from inside before the host sends DIAL.
      idle.head = () => (idle.socket.destroy(), null)
      idle.socket.once('close', () => remove(provider.idle, idle))
      idle.socket.resume()
      provider.idle.push(idle)
      this.serveWaiting(listener)
    }, this.log)
    listener.providers.push(provider)
    return () => {
      server.close()
      remove(listener.providers, provider)
      for (const idle of provider.idle.splice(0)) idle.socket.destroy()
    }
  }

  /** Stops every listener (when Vitest closes). */
  close(): void {
    for (const pending of this.listeners.values()) {
      pending.then((listener) => {
        listener.server.close()
        for (const { client, timer } of listener.waiting.splice(0)) {
          clearTimeout(timer)
          reset(client.socket)
        }
      }, () => {})
    }
    this.listeners.clear()
  }

  private listener(address: TcpAddress): Promise<Listener> {
    const key = `${address.host}:${address.port}`
    let pending = this.listeners.get(key)
    if (!pending) {
      pending = this.listen(address)
      this.listeners.set(key, pending)
      // A failure (the port is taken on the host) is reported to this sandbox and retried by the next.
      pending.catch(() => this.listeners.delete(key))
    }
    return pending
  }

  private async listen(address: TcpAddress): Promise<Listener> {
    const listener: Omit<Listener, 'server'> = { providers: [], waiting: [] }
    const onClient = (accepted: net.Socket) => {
      const client = End.adopt(accepted)
      if (listener.waiting.length >= MAX_WAITING) return reset(client.socket)
      const waiter = { client, timer: setTimeout(() => (remove(listener.waiting, waiter), reset(client.socket)), CLIENT_WAIT_MS).unref() }
      listener.waiting.push(waiter)
      this.serveWaiting(listener)
    }
    try {
      return Object.assign(listener, { server: await serve(address, onClient, this.log) })
    } catch (error) {
      throw new Error(`vitest-pool-nsjail: cannot listen for the debugger on ${address.host}:${address.port} on the host, to relay it into the sandbox: ${(error as Error).message}`)
    }
  }

  /** Hands waiting clients to idle connections of the newest sandbox that has one. */
  private serveWaiting(listener: Omit<Listener, 'server'>): void {
    while (listener.waiting.length > 0) {
      const provider = [...listener.providers].reverse().find((p) => p.idle.length > 0)
      if (!provider) return
      const idle = provider.idle.shift()!
      const { client, timer } = listener.waiting.shift()!
      clearTimeout(timer)
      idle.socket.write(Buffer.of(DIAL))
      idle.expectConnected()
      client.join(idle)
    }
  }
}

function remove<T>(list: T[], item: T): void {
  const index = list.indexOf(item)
  if (index !== -1) list.splice(index, 1)
}
