import net from 'node:net'

/**
 * The port of the demo's forwarded host service: free when the config is read, opened later by the
 * globalSetup (the relay connects on use, so the order does not matter). The config and the
 * globalSetup are loaded separately: the first to ask picks the port, and the environment of
 * Vitest's process carries it to the second.
 */
export async function servicePort(): Promise<number> {
  process.env.DEMO_SERVICE_PORT ??= String(await new Promise<number>((resolve, reject) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo
      probe.close(() => resolve(port))
    })
    probe.on('error', reject)
  }))
  return Number(process.env.DEMO_SERVICE_PORT)
}
