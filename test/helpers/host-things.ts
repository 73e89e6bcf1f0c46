/**
 * Things of the host a sandboxed test may need and not see: a file outside the project, and a TCP
 * service on 127.0.0.1. Made for one test file, removed by the returned function.
 */
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'

export interface HostThings {
  /** `host data`, in a folder of its own under the system's temp dir (readable by the sandbox user once allowed). */
  file: string
  dir: string
  /** A server on 127.0.0.1 that answers every connection with `reply` and closes it. */
  port: number
  dispose(): void
}

export async function hostThings(name: string, reply = ''): Promise<HostThings> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `nsjail-${name}-host-`))
  // As root the sandbox user is nobody: once allowed, the file must be readable to it.
  fs.chmodSync(dir, 0o755)
  const file = path.join(dir, 'data.txt')
  fs.writeFileSync(file, 'host data')
  // The relay resets its host-side connection when a sandbox ends before reading all it was sent: no error here.
  const server = net.createServer((socket) => socket.on('error', () => {}).end(reply)).listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  return {
    file,
    dir,
    port: (server.address() as net.AddressInfo).port,
    dispose() {
      server.close()
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}
