/**
 * The host side of one sandbox's relay, in Vitest's main process. Per forward, a unix socket in the
 * sandbox's private directory; each connection on it is joined with a new connection to that
 * forward's configured target, and to nothing else: no byte from the sandbox is read before the
 * target is chosen, and the target comes from the launch plan alone. The sandbox's side cannot plant
 * a socket or a link where the host connects: its directory is read-only inside, and targets are the
 * user's own host addresses and paths.
 *
 * Budgets: at most MAX_CONNECTIONS relayed connections per sandbox at once (more are refused, which
 * the sandbox sees as a reset), and a connect timeout per target. Every socket has its error handled,
 * so nothing the sandbox does on these sockets can throw in the main process.
 */
import dns from 'node:dns'
import { chmodSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { End } from './pump.js'
import { CONFIG_FILE, CONNECTED } from './protocol.js'
import type { Endpoint } from './entries.js'
import type { RelayPlan } from './plan.js'
import type { DebuggerListeners } from './reverse.js'

export const MAX_CONNECTIONS = 256
export const CONNECT_TIMEOUT_MS = 10_000

export interface HostRelay {
  /** Stops listening and ends every relayed connection of the sandbox. */
  close(): void
}

/** Where the host connects for a forward. Names resolve at each connect, so a changed address is followed. */
function targetOptions(target: Endpoint): net.NetConnectOpts {
  if (target.kind === 'unix') return { path: target.path }
  // dns.lookup is read at each call: a test may stand in for the resolver (test/relay/forward.test.ts).
  const lookup: net.LookupFunction = (hostname, options, callback) => dns.lookup(hostname, options, callback)
  return { host: target.host, port: target.port, lookup }
}

/**
 * A listening server for relayed connections (accepted paused, for End.adopt). A unix socket is made
 * connectable by every user: as root, the sandbox runs as another uid (the private directory keeps
 * the other users of the host out).
 */
export function serve(where: net.ListenOptions, onConnection: (socket: net.Socket) => void, log: (message: string) => void): Promise<net.Server> {
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, onConnection)
  const name = where.path ?? `${where.host}:${where.port}`
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(where, () => {
      server.off('error', reject)
      server.on('error', (error) => log(`vitest-pool-nsjail: relay listener ${name}: ${error.message}`))
      if (where.path) chmodSync(where.path, 0o666)
      resolve(server)
    })
  })
}

export async function startHostRelay(plan: RelayPlan, debuggers: DebuggerListeners, log: (message: string) => void): Promise<HostRelay> {
  const live = new Set<End>()
  const servers: net.Server[] = []
  const detach: Array<() => void> = []
  let warned = false
  const relay: HostRelay = {
    close() {
      for (const server of servers) server.close()
      for (const undo of detach) undo()
      for (const end of live) end.socket.destroy()
    },
  }
  if (plan.inside) writeFileSync(path.join(plan.hostDir, CONFIG_FILE), JSON.stringify(plan.inside), { mode: 0o644 })
  try {
    for (const forward of plan.forwards) {
      servers.push(await serve({ path: path.join(plan.hostDir, forward.socket) }, (accepted) => {
        // Two ends per relayed connection.
        if (live.size >= 2 * MAX_CONNECTIONS) {
          if (!warned) log(`vitest-pool-nsjail: a sandbox has ${MAX_CONNECTIONS} forwarded connections open; more are refused (reset) until some close`)
          warned = true
          return accepted.destroy()
        }
        const inside = End.adopt(accepted)
        const target = End.dial(targetOptions(forward.target))
        target.socket.setTimeout(CONNECT_TIMEOUT_MS, () => target.socket.destroy())
        target.socket.once('connect', () => {
          target.socket.setTimeout(0)
          if (forward.relayed) inside.socket.write(Buffer.of(CONNECTED))
        })
        for (const end of [inside, target]) {
          live.add(end)
          end.socket.once('close', () => live.delete(end))
        }
        inside.join(target)
      }, log))
    }
    for (const reverse of plan.reverse) {
      detach.push(await debuggers.attach(reverse.listen, path.join(plan.hostDir, reverse.socket)))
    }
  } catch (error) {
    relay.close()
    throw error
  }
  return relay
}
