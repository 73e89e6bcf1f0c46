import net from 'node:net'
import type { TestProject } from 'vitest/node'
import { servicePort } from './ports.js'

// globalSetup runs in Vitest's main process, on the host (unsandboxed): two listeners on the host's
// loopback. The sandboxed tests reach the one the config forwards (network: { forward }), and not
// the other.
export default async function setup(project: TestProject) {
  const listen = async (port: number, greeting: string) => {
    const server = net.createServer((socket) => socket.on('error', () => {}).end(greeting))
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
    return server
  }
  const port = await servicePort()
  const service = await listen(port, 'hello from the forwarded host service')
  const other = await listen(0, 'host secret')
  project.provide('hostPort', (other.address() as net.AddressInfo).port)
  project.provide('servicePort', port)
  return () => Promise.all([service, other].map((server) => new Promise<void>((resolve) => server.close(() => resolve()))))
}

declare module 'vitest' {
  export interface ProvidedContext {
    hostPort: number
    servicePort: number
  }
}
