import net from 'node:net'
import type { TestProject } from 'vitest/node'

// globalSetup runs in Vitest's main process, on the host (unsandboxed): a listener on the host's
// loopback that the sandboxed tests then try, and fail, to reach.
export default async function setup(project: TestProject) {
  const server = net.createServer((socket) => socket.on('error', () => {}).end('host secret'))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  project.provide('hostPort', (server.address() as net.AddressInfo).port)
  return () => new Promise<void>((resolve) => server.close(() => resolve()))
}

declare module 'vitest' {
  export interface ProvidedContext {
    hostPort: number
  }
}
