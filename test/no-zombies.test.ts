/**
 * No process of a sandbox outlives its run, zombie or not, however the sandbox ends. Each run here is
 * the real CLI in a fresh pid namespace whose pid 1 reaps nothing but its own child
 * (test/helpers/no-reap-init.mjs: the situation of `docker run` without `--init`), so whatever the
 * pool does not wait for stays there as a zombie. Once Vitest has exited, nothing but that pid 1 may
 * be left in the namespace.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { expect, test } from 'vitest'
import { FIXTURES, runFixture } from './helpers/run-fixture.js'
import { isSubreaper, orphanedInits, reaped, watchSandbox } from '../src/isolate/reap-sandboxes.js'

const VITEST = path.resolve('node_modules/vitest/vitest.mjs')
const INIT = path.resolve('test/helpers/no-reap-init.mjs')
// Options come from NSJAIL_TEST_OPTIONS (see that config); it serves the other fixtures too.
const CONFIG = path.join(FIXTURES, 'configured/vitest.config.ts')
const isRoot = process.getuid?.() === 0

interface Leftover {
  pid: number
  state: string
  comm: string
  ppid: number
}

/**
 * `vitest run` on a fixture, under a pid 1 that does not reap. `interrupt`: once the output shows
 * `on`, Vitest's process group gets SIGINT (a terminal's Ctrl-C), or Vitest alone SIGTERM.
 */
function runUnderNonReapingInit(fixture: string, filters: string[], options: object, extra: { cli?: string[]; interrupt?: { on: string; signal: 'SIGINT' | 'SIGTERM' } } = {}) {
  // bwrap as the maker of the namespace: it is here anyway, rootless or root, and with --as-pid-1
  // our init is pid 1 itself.
  const argv = [
    'bwrap', '--dev-bind', '/', '/', '--unshare-pid', '--as-pid-1', '--proc', '/proc', '--die-with-parent', '--',
    process.execPath, INIT, process.execPath, VITEST, 'run', '--config', CONFIG, '--root', path.join(FIXTURES, fixture), ...(extra.cli ?? []), ...filters,
  ]
  const child = spawn(argv[0], argv.slice(1), {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      NSJAIL_TEST_OPTIONS: JSON.stringify(options),
      NO_COLOR: '1',
      FORCE_COLOR: '0',
      ...(extra.interrupt ? { INTERRUPT_ON: extra.interrupt.on, INTERRUPT_SIGNAL: extra.interrupt.signal } : {}),
    },
  })
  let output = ''
  child.stdout.on('data', (d) => (output += d))
  child.stderr.on('data', (d) => (output += d))
  return new Promise<{ output: string; leftover: Leftover[] }>((resolve, reject) =>
    child.on('close', () => {
      const line = output.split('\n').find((l) => l.startsWith('LEFTOVER '))
      if (!line) reject(new Error(`no LEFTOVER line:\n${output}`))
      else resolve({ output, leftover: JSON.parse(line.slice('LEFTOVER '.length)) })
    }),
  )
}

test('files whose sandboxes Vitest stops when they are done', async () => {
  const run = await runUnderNonReapingInit('configured', ['one', 'two'], {})
  expect(run.output).toContain('Test Files  2 passed')
  expect(run.leftover).toEqual([])
})

test('a worker that crashes (its sandbox reports the exit without waiting for its pid 1)', async () => {
  const run = await runUnderNonReapingInit('isolation', ['crash.test'], {})
  expect(run.output).toContain('exited with code 137 (SIGKILL)')
  expect(run.leftover).toEqual([])
})

test('the wall-time limit', async () => {
  const run = await runUnderNonReapingInit('limits', ['busy', 'calm'], { cgroups: false, rules: [{ files: 'test/busy.test.ts', limits: { wallTime: '2s' } }] })
  expect(run.output).toContain('wall-time limit 2 s reached')
  expect(run.leftover).toEqual([])
})

test.runIf(isRoot)('the memory limit (the kernel kills the worker)', async () => {
  const run = await runUnderNonReapingInit('limits', ['memory-bomb', 'calm'], { cgroups: 'required', limits: { memory: '128M' } })
  expect(run.output).toContain('memory limit 128 MiB reached (oom_kill)')
  expect(run.leftover).toEqual([])
})

test('one worker running files of two policies in turn (isolate: false): the first sandbox is shut down', async () => {
  const run = await runUnderNonReapingInit('configured', ['one', 'two'], { rules: [{ files: 'test/two.test.ts', hostname: 'other' }] }, { cli: ['--no-isolate', '--maxWorkers=1'] })
  expect(run.output).toContain('Test Files  2 passed')
  expect(run.leftover).toEqual([])
})

test.each([
  ['Ctrl-C', 'SIGINT'],
  ['SIGTERM to Vitest alone', 'SIGTERM'],
] as const)('%s while a test runs (and has started a process of its own)', async (_name, signal) => {
  const options = { env: { set: { SLOW_MARKER: `nsjail-zombies-${process.pid}` } } }
  const run = await runUnderNonReapingInit('configured', ['slow'], options, { interrupt: { on: 'SLOW_STARTED', signal } })
  expect(run.output).not.toContain('Test Files  1 passed')
  expect(run.leftover).toEqual([])
})

test('Vitest\'s process is a child subreaper only while sandboxes run', async () => {
  // The pool runs in this process here: sampled while a sandbox runs a test, and afterwards.
  const during: boolean[] = []
  const run = await runFixture('configured', { filters: ['one'], cli: { reporters: [{ onTestCaseResult: () => void during.push(isSubreaper()) }] } })
  expect(run.tests['test/one.test.ts > one']).toBe('passed')
  expect(during).toEqual([true])
  expect(isSubreaper()).toBe(false)
})

test('a bwrap killed before it reported its pid 1 on --info-fd: that orphan is found and waited for', async () => {
  // What happens to a spare launched just as Vitest exits: its monitor dies before writing the info.
  const monitor = spawn('bwrap', ['--dev-bind', '/', '/', '--unshare-pid', '--die-with-parent', '--', 'sleep', '60'], { stdio: 'ignore' })
  const info = new PassThrough()
  watchSandbox(monitor, info)
  const childrenOf = (pid: number) => fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
  let init: number | undefined
  for (let tries = 0; init === undefined && tries < 500; tries++) {
    init = childrenOf(monitor.pid!)[0]
    if (init === undefined) await new Promise((resolve) => setTimeout(resolve, 10))
  }
  expect(init, 'the sandbox pid 1').toBeDefined()
  info.end()
  monitor.kill('SIGKILL')
  await reaped(monitor)
  // Not left as a zombie of ours (nor later of the host's init).
  expect(fs.existsSync(`/proc/${init}`), `pid ${init} is still there`).toBe(false)
  expect(orphanedInits()).toEqual([])
})
