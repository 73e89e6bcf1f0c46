/**
 * Spare sandboxes (the `prewarm` option): launched ahead of need, each serving only files of the policy
 * it was launched with, replaced silently when one dies before use, and never left behind — after a
 * run, between watch-mode reruns, or after Ctrl-C (failures.test.ts). The pool's debug output
 * (DEBUG=vitest-pool-nsjail:spares) says what the spares did.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, expect, test } from 'vitest'
import { factsByName, openFixture, runFixture } from '../helpers/run-fixture.js'
import { tempFixture, type TempFixture } from '../helpers/temp-fixture.js'
import { VITEST } from '../helpers/cli.js'
import { processes, until } from '../helpers/processes.js'
import { cgroupDirsOf } from '../cgroup/helpers.js'

const DEBUG = 'vitest-pool-nsjail:spares'
let fx: TempFixture | undefined
const previousDebug = process.env.DEBUG

afterEach(() => {
  fx?.remove()
  fx = undefined
  if (previousDebug === undefined) delete process.env.DEBUG
  else process.env.DEBUG = previousDebug
})

/** The debug output's summaries: one per time the spares were stopped. */
function summaries(output: string): Array<{ launched: number; taken: number; died: number }> {
  return [...output.matchAll(/spares stopped: (\d+) launched, (\d+) taken by workers, (\d+) died before use/g)]
    .map((m) => ({ launched: Number(m[1]), taken: Number(m[2]), died: Number(m[3]) }))
}

/** Processes of sandboxes of this fixture copy (bwrap's command line names the project as its --chdir). */
const sandboxes = (root: string) => processes(`--chdir ${root}`)

test('files of two policies each run in a sandbox of their own policy, served by spares; nothing is left after the run', async () => {
  fx = tempFixture('spares')
  // A folder outside the project (and outside this repository, which every sandbox reads) that only
  // the host rule mounts; traversable by the sandbox user as root.
  const extra = fs.mkdtempSync(path.join(os.tmpdir(), 'nsjail-spares-extra-'))
  fs.chmodSync(extra, 0o755)
  process.env.DEBUG = DEBUG
  try {
    const run = await runFixture('spares', {
      root: fx.root,
      filters: ['test/policy', 'test/host'],
      cli: { maxWorkers: 1 },
      pool: {
        env: { set: { POLICY: 'default', EXTRA_DIR: extra } },
        rules: [{ files: 'test/host/**', network: 'host', fs: { readonly: [extra] }, env: { set: { POLICY: 'host' } } }],
      },
    })
    expect(Object.values(run.tests), JSON.stringify(run.errors) + run.output).toEqual(Array(5).fill('passed'))
    const facts = factsByName(run)
    for (const file of ['policy/a', 'policy/b', 'policy/c']) {
      expect(facts[file], file).toMatchObject({ policy: 'default', interfaces: ['lo'], extraMount: false })
    }
    for (const file of ['host/d', 'host/e']) {
      expect(facts[file], file).toMatchObject({ policy: 'host', extraMount: true })
      expect((facts[file].interfaces as string[]).length, file).toBeGreaterThan(1)
    }
    // Each worker after the first starts in a spare (the commonest policy's), so at least 4 of 5.
    const [summary] = summaries(run.output)
    expect(summary, run.output).toBeDefined()
    expect(summary.taken).toBeGreaterThanOrEqual(4)
    expect(summary.launched).toBeGreaterThanOrEqual(summary.taken)
    expect(summary.died).toBe(0)
    // Vitest has closed: every spare is stopped, every cgroup removed.
    expect(sandboxes(fx.root)).toEqual([])
    expect(cgroupDirsOf(process.pid)).toEqual([])
  } finally {
    fs.rmSync(extra, { recursive: true, force: true })
  }
})

test('a spare killed before use is replaced silently: no test fails', async () => {
  fx = tempFixture('spares')
  const gate = fx.path('gate-open')
  const child = spawn(process.execPath, [VITEST, 'run', '--root', fx.root, 'test/gate', 'test/policy'], {
    env: { ...process.env, DEBUG, NO_COLOR: '1', NSJAIL_TEST_OPTIONS: JSON.stringify({ env: { set: { GATE: gate, POLICY: 'default' } } }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (d) => (output += d))
  child.stderr.on('data', (d) => (output += d))
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
  const pids = (event: string) => [...output.matchAll(new RegExp(`spare ${event}: pid (\\d+)`, 'g'))].map((m) => Number(m[1]))
  const untaken = () => pids('launched').filter((pid) => !pids('taken').includes(pid))
  try {
    // The gate file runs; meanwhile a spare waits for the next file.
    expect(await until(() => output.includes('GATE_WAITING') && untaken().length > 0, 60_000), output).toBe(true)
    process.kill(untaken().at(-1)!, 'SIGKILL')
    expect(await until(() => output.includes('a spare died before use'), 10_000), output).toBe(true)
    fs.writeFileSync(gate, '')
    expect(await exited, output).toBe(0)
  } finally {
    child.kill('SIGKILL')
  }
  expect(output).toMatch(/Tests +4 passed \(4\)/)
  expect(summaries(output)[0]?.died).toBe(1)
  // One death is no pattern: nothing is reported, the kind stays prewarmed.
  expect(output).not.toContain('no longer launched ahead of need')
})

test('watch mode: spares are stopped while idle between reruns, launched again for the next, and only for files still to come', async () => {
  fx = tempFixture('spares')
  process.env.DEBUG = DEBUG
  let runs = 0
  const counter = { onTestRunEnd: () => void runs++ }
  const open = await openFixture('spares', { root: fx.root, filters: ['test/policy'], cli: { watch: true, maxWorkers: 1, reporters: [counter] }, pool: { env: { set: { POLICY: 'default' } } } })
  const idle = (stops: number) => until(() => sandboxes(fx!.root).length === 0 && summaries(open.collect().output).length === stops)
  try {
    expect(await until(() => runs === 1, 60_000)).toBe(true)
    // Idle: no worker left, so the spares go (and with them every sandbox of the project).
    expect(await idle(1), open.collect().output).toBe(true)

    // The module all three files import: the rerun runs the three of them.
    fx.write('test/report.ts', `${fx.read('test/report.ts')}\n// changed\n`)
    expect(await until(() => runs === 2, 60_000)).toBe(true)
    expect(await idle(2), open.collect().output).toBe(true)
    // The rerun launched spares again: for the two files after the first, and no more.
    const [, second] = summaries(open.collect().output)
    expect(second.launched).toBeGreaterThan(0)
    expect(second.launched).toBeLessThanOrEqual(2)

    // A rerun of one file has no file to launch a spare for.
    fx.write('test/policy/a.test.ts', `${fx.read('test/policy/a.test.ts')}\ntest('added', () => {})\n`)
    expect(await until(() => runs === 3, 60_000)).toBe(true)
    expect(open.collect().tests['test/policy/a.test.ts > added']).toBe('passed')
    expect(await idle(3), open.collect().output).toBe(true)
    expect(summaries(open.collect().output)[2].launched, open.collect().output).toBe(0)
  } finally {
    await open.vitest.close()
  }
  expect(sandboxes(fx.root)).toEqual([])
  expect(cgroupDirsOf(process.pid)).toEqual([])
})
