/**
 * The relay inside the sandbox (a worker thread started by preload.ts). It only ever connects to its
 * own sockets, in the read-only relay directory, and — for the debugger — to the inspector address
 * inside the sandbox's own network namespace: it is no way out of the sandbox, only a way to the
 * host side, which decides where a connection goes.
 *
 *  - forwards: listens on each forwarded address inside; every connection is joined with a new
 *    connection to the forward's socket, and reset should the host side not reach the target.
 *  - reverse: keeps idle connections to the host's socket; when the host hands a debugger client to
 *    one (DIAL), connects to the inspector and answers CONNECTED.
 */
import net from 'node:net'
import path from 'node:path'
import { parentPort, workerData } from 'node:worker_threads'
import { End } from '../pump.js'
import { CONNECTED, DIAL, RELAY_DIR, type InsideConfig, type TcpAddress } from '../protocol.js'

/** After the host closed an idle connection (or refused one), the next one waits this long. */
const IDLE_RETRY_MS = 200

function listen(address: TcpAddress, socket: string): Promise<void> {
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (accepted) => {
    const host = End.dial({ path: path.join(RELAY_DIR, socket) })
    host.expectConnected()
    End.adopt(accepted).join(host)
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host: address.host, port: address.port }, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

function keepIdle(socket: string, target: TcpAddress): void {
  const idle = End.dial({ path: path.join(RELAY_DIR, socket) })
  let taken = false
  idle.head = (chunk) => {
    if (chunk[0] !== DIAL) return idle.socket.destroy(), null
    taken = true
    keepIdle(socket, target)
    const inspector = End.dial(target)
    inspector.socket.once('connect', () => idle.socket.write(Buffer.of(CONNECTED)))
    idle.join(inspector)
    return chunk.subarray(1)
  }
  idle.socket.once('close', () => taken || setTimeout(() => keepIdle(socket, target), IDLE_RETRY_MS).unref())
  idle.socket.resume()
}

async function start(config: InsideConfig): Promise<void> {
  for (const forward of config.forwards) {
    for (const address of forward.listen) {
      try {
        await listen(address, forward.socket)
      } catch (error) {
        if (!address.optional) throw new Error(`cannot listen on ${address.host}:${address.port}: ${(error as Error).message}`)
      }
    }
  }
  for (const reverse of config.reverse) {
    for (let i = 0; i < reverse.idle; i++) keepIdle(reverse.socket, reverse.target)
  }
}

start(workerData as InsideConfig).then(
  () => parentPort!.postMessage({}),
  (error: Error) => parentPort!.postMessage({ error: error.message }),
)
