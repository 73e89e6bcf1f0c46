/**
 * A collected file whose tasks are not a tree, sent by a hostile test through the real pool: the run
 * must end, with that file failed and the reason, however Vitest's main process would have walked
 * it. Likewise errors whose causes form a cycle. Run with Vitest's real command line in a child
 * process, killed if it hangs.
 */
import { spawn } from 'node:child_process'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { VITEST } from '../helpers/cli.js'
import { tempFixture, type TempFixture } from '../helpers/temp-fixture.js'

let fixture: TempFixture
beforeAll(() => {
  fixture = tempFixture('forgery')
  fixture.write('vitest.config.ts', [
    "import { nsjail } from 'vitest-pool-nsjail'",
    'export default { plugins: [nsjail({ env: { set: { SHAPE: process.env.SHAPE } } })], test: { pool: "nsjail" } }',
    '',
  ].join('\n'))
})
afterAll(() => fixture.remove())

const HANG_MS = 60_000

function run(shape: string, file = 'test/forge-shape.test.ts') {
  return new Promise<{ code: number | null; signal: string | null; output: string }>((resolve) => {
    const child = spawn(process.execPath, [VITEST, 'run', file], {
      cwd: fixture.root,
      env: { ...process.env, SHAPE: shape, NO_COLOR: '1', FORCE_COLOR: '0', CI: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (d) => (output = (output + d).slice(-5_000_000)))
    child.stderr.on('data', (d) => (output = (output + d).slice(-5_000_000)))
    const timer = setTimeout(() => child.kill('SIGKILL'), HANG_MS)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, output })
    })
  })
}

test.each([
  ['tasks-cycle', /the task "[^"]+_0" is listed more than once/],
  ['tasks-fanout', /the task "[^"]+_0(_0)*" is listed more than once/],
  ['tasks-wide', /the task "[^"]+_0" is listed more than once/],
  ['suite-cycle', /the task "[^"]+_[01]" names another suite than the one it is in/],
  ['foreign-file', /the task "[^"]+_0" names another file than the one it is in/],
])('%s: Vitest ends, the file fails with why', async (shape, why) => {
  const result = await run(shape)
  expect(result.signal, `Vitest hung on it and was killed after ${HANG_MS} ms:\n${result.output.slice(-3000)}`).toBeNull()
  expect(result.output).toContain('it reported a collected file whose tasks are not a tree')
  expect(result.output).toMatch(why)
  expect(result.output).toMatch(/Test Files\s+1 failed/)
  expect(result.code).toBe(1)
}, HANG_MS + 30_000)

test('errors whose causes lead back to them are printed once, and the run ends', async () => {
  const result = await run('none', 'test/cause-cycle.test.ts')
  expect(result.signal, `Vitest hung on it and was killed after ${HANG_MS} ms`).toBeNull()
  expect(result.output).toContain('Error: its own cause')
  expect(result.output).toContain('Caused by: Error: the second of two')
  expect(result.output).not.toContain('Caused by: Caused by:')
  expect(result.output).toMatch(/Tests\s+2 failed/)
  expect(result.code).toBe(1)
}, HANG_MS + 30_000)
