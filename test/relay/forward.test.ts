/**
 * `network: { forward }` end to end: real servers on the host, fixture tests in real sandboxes that
 * reach exactly the forwarded ones (fixtures/relay), and counts taken from the host.
 */
import { execFileSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import dns from 'node:dns'
import fs from 'node:fs'
import https from 'node:https'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { FIXTURES, factsByName, runFixture } from '../helpers/run-fixture.js'
import { MAX_CONNECTIONS } from '../../src/relay/host.js'
// @ts-expect-error a plain script, shared with .ci/run
import { freePort } from '../../scripts/test-services.mjs'

const servers: net.Server[] = []
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'nsjail-relay-test-'))

async function serve(server: net.Server, where: number | string = 0): Promise<number> {
  servers.push(server)
  await new Promise<void>((resolve) => (typeof where === 'string' ? server.listen(where, resolve) : server.listen(where, '127.0.0.1', resolve)))
  return typeof where === 'string' ? 0 : (server.address() as net.AddressInfo).port
}

/** Echoes everything back and ends when the client ends (both directions, half-close). */
const echo = () => net.createServer({ allowHalfOpen: true }, (socket) => socket.on('error', () => {}).pipe(socket))

let echoPort: number
let unixPath: string

beforeAll(async () => {
  fs.chmodSync(scratch, 0o755)
  echoPort = await serve(echo())
  unixPath = path.join(scratch, 'echo.sock')
  await serve(echo(), unixPath)
  fs.chmodSync(unixPath, 0o777)
})

afterAll(() => {
  for (const server of servers) server.close()
  fs.rmSync(scratch, { recursive: true, force: true })
})

test('forwarded: a globalSetup server, a 32 MiB echo, a unix socket, localhost, an execSync client; nothing else', async () => {
  const setupPort = await freePort()
  // Down for the whole run: a free port picked now could be taken meanwhile by a server of a test
  // file running alongside (one that accepts and never answers held this test for 20 s in CI).
  // Port 1 is privileged and no test listens on it.
  const downPort = 1
  const unforwarded = await serve(net.createServer((socket) => socket.end('you should not see this')))
  process.env.RELAY_SETUP_PORT = String(setupPort)
  try {
    const run = await runFixture('relay', {
      filters: ['http', 'transfer', 'unreachable', 'exec', 'unix', 'localhost'],
      pool: {
        network: { forward: [`localhost:${echoPort}`, `127.0.0.1:${setupPort}`, `127.0.0.1:${downPort}`, `unix:${unixPath}`] },
        env: { set: { ECHO_PORT: String(echoPort), RELAY_SETUP_PORT: String(setupPort), DOWN_PORT: String(downPort), UNFORWARDED_PORT: String(unforwarded), UNIX_PATH: unixPath } },
      },
      config: { test: { globalSetup: [path.join(FIXTURES, 'relay/global-setup.ts')] } },
    })
    const failed = Object.entries(run.tests).filter(([, state]) => state !== 'passed')
    expect(failed, JSON.stringify(run.errors, null, 2) + run.output).toEqual([])
    expect(Object.keys(run.tests)).toHaveLength(8)
    // The start banner says what the files can reach.
    expect(run.output).toContain(`· forward localhost:${echoPort}, 127.0.0.1:${setupPort}`)
  } finally {
    delete process.env.RELAY_SETUP_PORT
  }
})

test("the relay inside works under seccomp 'strict' too", async () => {
  const run = await runFixture('relay', {
    filters: ['transfer'],
    pool: { seccomp: 'strict', network: { forward: [`127.0.0.1:${echoPort}`] }, env: { set: { ECHO_PORT: String(echoPort) } } },
  })
  expect(run.tests, JSON.stringify(run.errors) + run.output).toEqual({ 'test/transfer.test.ts > 32 MiB up to an echo server on the host and back, intact, with half-close': 'passed' })
})

describe('thousands of short connections', () => {
  const socketsOf = (pid: number | 'self') => fs.readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')
    } catch {
      return false
    }
  }).length
  /** TCP sockets of the process's network namespace that are neither listening nor in TIME_WAIT. */
  const openTcp = (pid: number) => ['tcp', 'tcp6'].flatMap((file) => fs.readFileSync(`/proc/${pid}/net/${file}`, 'utf8').trim().split('\n').slice(1))
    .map((line) => line.trim().split(/\s+/)[3]).filter((state) => state !== '0A' && state !== '06').length
  /** The sandboxed worker: the node process whose environment carries the marker. */
  const workerOf = (marker: string) => fs.readdirSync('/proc').filter((pid) => /^\d+$/.test(pid)).map(Number).find((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('node') && fs.readFileSync(`/proc/${pid}/environ`, 'utf8').includes(marker)
    } catch {
      return false
    }
  })
  const counts = (worker: number) => ({ host: socketsOf('self'), sandbox: socketsOf(worker), sandboxTcp: openTcp(worker) })

  test('leak no fds or sockets on either side (counted from the host)', async () => {
    const marker = `RELAY_MARKER=${randomUUID()}`
    const seen: Record<string, ReturnType<typeof counts>> = {}
    const control = net.createServer({ allowHalfOpen: true }, (socket) => {
      socket.setEncoding('utf8')
      let said = ''
      socket.on('data', (d) => (said += d)).on('error', () => {})
      socket.on('end', async () => {
        const worker = workerOf(marker)!
        // After the last short connection the relays close their ends asynchronously: wait until
        // the counts are back where they were (a leak never gets there), within a bound.
        for (const end = Date.now() + 10_000; said === 'after' && Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
          const now = counts(worker)
          if (now.host <= seen.before.host && now.sandbox <= seen.before.sandbox && now.sandboxTcp <= seen.before.sandboxTcp) break
        }
        seen[said] = counts(worker)
        socket.end('counted')
      })
    })
    const controlPort = await serve(control)
    const run = await runFixture('relay', {
      filters: ['churn'],
      pool: {
        network: { forward: [`127.0.0.1:${echoPort}`, `127.0.0.1:${controlPort}`] },
        env: { set: { ECHO_PORT: String(echoPort), CONTROL_PORT: String(controlPort), CHURN_COUNT: '3000', RELAY_MARKER: marker.split('=')[1] } },
      },
    })
    expect(run.tests, JSON.stringify(run.errors) + run.output).toEqual({ 'test/churn.test.ts > thousands of short connections through the relay': 'passed' })
    expect(seen.after).toEqual(seen.before)
    // The counts are real: the sandbox side holds its relay's listeners and the control connection.
    expect(seen.before.sandbox).toBeGreaterThan(2)
  })
})

describe('a forwarded name', () => {
  const name = 'api.relay.test'
  let realLookup: typeof dns.lookup

  beforeAll(() => {
    // The test's stand-in for DNS, in this process, where the pool's host side resolves names: the
    // name (reserved, never on the internet) means a local server of this test.
    realLookup = dns.lookup
    dns.lookup = ((hostname: string, options: dns.LookupOptions, callback: (...args: unknown[]) => void) => {
      if (hostname !== name) return (realLookup as (...args: unknown[]) => void)(hostname, options, callback)
      if (options?.all) callback(null, [{ address: '127.0.0.1', family: 4 }])
      else callback(null, '127.0.0.1', 4)
    }) as typeof dns.lookup
  })

  afterAll(() => {
    dns.lookup = realLookup
  })

  test('resolves inside to a private loopback address; TLS to the real name works end to end on port 443', async () => {
    const key = path.join(scratch, 'key.pem')
    const cert = path.join(scratch, 'cert.pem')
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
      '-days', '1', '-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name}`], { stdio: 'ignore' })
    const standIn = https.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) }, (req, res) => res.end(`hello over TLS (${req.url})`))
    const port = await serve(standIn as unknown as net.Server)
    const run = await runFixture('relay', {
      filters: ['names', 'unreachable'],
      pool: {
        // Port 443 inside: the sandbox may bind it in its own network namespace, and nothing more.
        network: { forward: [`127.0.0.1:${await freePort()}`, { from: `${name}:443`, to: `${name}:${port}` }] },
        env: { set: { RELAY_CA: fs.readFileSync(cert, 'utf8'), DOWN_PORT: '1', UNFORWARDED_PORT: String(echoPort) } },
      },
    })
    expect(run.tests['test/names.test.ts > a forwarded name resolves to a private loopback address, and TLS to the real name works on port 443'], JSON.stringify(run.errors) + run.output).toBe('passed')
    expect(factsByName(run).lookup.address).toBe('127.77.0.1')
    // The name is the only thing forwarded: the echo server on the host stays out of reach.
    expect(run.tests['test/unreachable.test.ts > a host service that is not forwarded is unreachable']).toBe('passed')
  })
})

test('a sandbox has at most 256 relayed connections open at once; the ones beyond are reset', async () => {
  const held: net.Socket[] = []
  const hold = net.createServer((socket) => held.push(socket.on('error', () => {})) && socket.write('x'))
  const holdPort = await serve(hold)
  const run = await runFixture('relay', {
    filters: ['budget'],
    pool: { network: { forward: [`127.0.0.1:${holdPort}`] }, env: { set: { HOLD_PORT: String(holdPort), AT_ONCE: '300' } } },
  })
  for (const socket of held) socket.destroy()
  expect(run.tests, JSON.stringify(run.errors) + run.output).toEqual({ 'test/budget.test.ts > many connections at once through the relay': 'passed' })
  expect(factsByName(run).budget).toEqual({ name: 'budget', served: MAX_CONNECTIONS, reset: 300 - MAX_CONNECTIONS })
})

test('two files at once: each has its own relay, and a port a test opens stays private to its sandbox', async () => {
  const waiting: net.Socket[] = []
  const barrier = net.createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => {})
    waiting.push(socket)
    if (waiting.length === 2) for (const s of waiting) s.end('both here')
  })
  const barrierPort = await serve(barrier)
  const run = await runFixture('relay', {
    filters: ['parallel/'],
    pool: {
      network: { forward: [`127.0.0.1:${echoPort}`, `127.0.0.1:${barrierPort}`] },
      env: { set: { ECHO_PORT: String(echoPort), BARRIER_PORT: String(barrierPort), PRIVATE_PORT: '7000' } },
    },
    cli: { maxWorkers: 2 },
  })
  const failed = Object.entries(run.tests).filter(([, state]) => state !== 'passed')
  expect(failed, JSON.stringify(run.errors, null, 2) + run.output).toEqual([])
  expect(Object.keys(run.tests)).toHaveLength(2)
})
