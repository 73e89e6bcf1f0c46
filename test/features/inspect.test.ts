/**
 * Debugging sandboxed tests: with --inspect / --inspect-brk the pool shares the host network for that
 * run, so the debugger the worker opens inside the sandbox is reachable from the host.
 */
import net from 'node:net'
import { expect, test } from 'vitest'
import { connect, pollTargets } from '../helpers/cdp.js'
import { runFixture } from '../helpers/run-fixture.js'

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

test('--inspect: the debugger in the sandbox answers on the host', async () => {
  const port = await freePort()
  let done = false
  const running = runFixture('inspect', {
    pool: { env: { set: { HOLD_MS: '2000' } } },
    cli: { inspect: `127.0.0.1:${port}`, fileParallelism: false },
  }).finally(() => (done = true))
  const targets = await pollTargets('127.0.0.1', port, 20_000, () => done)
  const run = await running
  expect(targets, run.output).not.toBeNull()
  expect(targets![0].url).toMatch(/dist\/worker\/entry\.js$/)
  expect(run.tests, JSON.stringify(run.errors) + run.output).toEqual({ 'test/debug-me.test.ts > debuggable from the host': 'passed' })
  expect(run.facts[0]).toMatchObject({ name: 'inspector', hostname: 'nsjail' })
  expect(run.facts[0].url).toContain(`127.0.0.1:${port}/`)
})

test('--inspect-brk: the worker waits for the host debugger, which releases it and resumes the breakpoint', async () => {
  const port = await freePort()
  let done = false
  const running = runFixture('inspect', {
    pool: { env: { set: { HOLD_MS: '0' } } },
    cli: { inspectBrk: `127.0.0.1:${port}`, fileParallelism: false },
  }).finally(() => (done = true))
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
  // Vitest's breakpoint on the first line of the test file stopped it; we resumed it from the host.
  expect(paused, 'where the debugger stopped').toEqual([expect.stringMatching(/^file:.*\/test\/debug-me\.test\.ts$/)])
})
