/**
 * Debugging sandboxed tests: with --inspect / --inspect-brk the debugger the worker opens inside its
 * sandbox is reachable from the host through the relay (host to sandbox), while the sandbox keeps its
 * own sealed network: a listener on the host's loopback stays out of its reach.
 */
import net from 'node:net'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { connect, pollTargets } from '../helpers/cdp.js'
import { factsByName, runFixture, type FixtureRun } from '../helpers/run-fixture.js'

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

let host: net.Server
let hostPort: number

beforeAll(async () => {
  host = net.createServer((socket) => socket.on('error', () => {}).end('host'))
  await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve))
  hostPort = (host.address() as net.AddressInfo).port
})

afterAll(() => host.close())

/** What the debugged test saw of the network: only lo, and the host's listener refused. */
function expectSealed(run: FixtureRun) {
  expect(factsByName(run).network).toEqual({ name: 'network', interfaces: ['lo'], hostListener: 'ECONNREFUSED' })
}

test('--inspect: the debugger in the sandbox answers on the host; the sandbox does not share the host network', async () => {
  const port = await freePort()
  let done = false
  const running = runFixture('inspect', {
    pool: { env: { set: { HOLD_MS: '2000', HOST_PORT: String(hostPort) } } },
    cli: { inspect: `127.0.0.1:${port}`, fileParallelism: false },
  }).finally(() => (done = true))
  const targets = await pollTargets('127.0.0.1', port, 20_000, () => done)
  const run = await running
  expect(targets, run.output).not.toBeNull()
  expect(targets![0].url).toMatch(/dist\/worker\/entry\.js$/)
  expect(run.tests, JSON.stringify(run.errors) + run.output).toEqual({ 'test/debug-me.test.ts > debuggable from the host': 'passed' })
  expect(run.facts[0]).toMatchObject({ name: 'inspector', hostname: 'nsjail' })
  expect(run.facts[0].url).toContain(`127.0.0.1:${port}/`)
  expectSealed(run)
})

/**
 * Runs the fixture with a debugger that waits for the host: attaches from the host once the
 * inspector answers, releases the worker, resumes every pause. Returns the run and where it paused.
 */
async function debugWaitingWorker(port: number, options: Parameters<typeof runFixture>[1]): Promise<{ run: FixtureRun; paused: string[] }> {
  let done = false
  const running = runFixture('inspect', options).finally(() => (done = true))
  const targets = await pollTargets('127.0.0.1', port, 20_000, () => done)
  expect(targets).not.toBeNull()
  const session = await connect(targets![0].webSocketDebuggerUrl)
  const scripts = new Map<string, string>()
  const paused: string[] = []
  session.onEvent = (event) => {
    if (event.method === 'Debugger.scriptParsed') scripts.set(event.params.scriptId, event.params.url)
    if (event.method !== 'Debugger.paused') return
    paused.push(scripts.get(event.params.callFrames[0]?.location.scriptId) ?? '?')
    void session.send('Debugger.resume').catch(() => {})
  }
  await session.send('Debugger.enable')
  await session.send('Runtime.runIfWaitingForDebugger')
  const run = await running
  session.close()
  expect(run.tests, JSON.stringify(run.errors) + run.output).toEqual({ 'test/debug-me.test.ts > debuggable from the host': 'passed' })
  expectSealed(run)
  return { run, paused }
}

test('--inspect-brk: the worker waits for the host debugger, which releases it and resumes the breakpoint', async () => {
  const port = await freePort()
  const { paused } = await debugWaitingWorker(port, {
    pool: { env: { set: { HOLD_MS: '0', HOST_PORT: String(hostPort) } } },
    cli: { inspectBrk: `127.0.0.1:${port}`, fileParallelism: false },
  })
  // Vitest's breakpoint on the first line of the test file stopped it; we resumed it from the host.
  expect(paused, 'where the debugger stopped').toEqual([expect.stringMatching(/^file:.*\/test\/debug-me\.test\.ts$/)])
})

test("--inspect-brk in the worker's own execArgv: held until the host debugger attaches, then stopped before any test code", async () => {
  const port = await freePort()
  // Node would hold the worker before its preloads, so before the relay: the relay's preload waits instead.
  const { paused } = await debugWaitingWorker(port, {
    pool: { env: { set: { HOLD_MS: '0', HOST_PORT: String(hostPort) } } },
    config: { test: { execArgv: [`--inspect-brk=127.0.0.1:${port}`] } },
  })
  expect(paused, 'where the debugger stopped').toEqual([expect.stringMatching(/\/relay\/inside\/preload\.js$/)])
})

test('the debugger address taken on the host: the file fails with why, and the run goes on', async () => {
  const taken = net.createServer()
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
  const port = (taken.address() as net.AddressInfo).port
  const run = await runFixture('inspect', {
    pool: { env: { set: { HOLD_MS: '0', HOST_PORT: String(hostPort) } } },
    cli: { inspect: `127.0.0.1:${port}`, fileParallelism: false },
  })
  taken.close()
  const report = [...run.unhandled, ...Object.values(run.fileErrors).flat()].join('\n')
  expect(report).toContain(`vitest-pool-nsjail: cannot listen for the debugger on 127.0.0.1:${port} on the host, to relay it into the sandbox: listen EADDRINUSE`)
  expect(run.exitCode).toBe(1)
})
