/**
 * Watch mode: Vitest stays up, the host edits files, Vitest reruns the affected tests in fresh
 * sandboxes, which see the edited files.
 */
import { afterAll, beforeAll, expect, test } from 'vitest'
import { openFixture, type OpenFixture } from '../helpers/run-fixture.js'
import { tempFixture, type TempFixture } from '../helpers/temp-fixture.js'

let fx: TempFixture
let open: OpenFixture | undefined
let runs = 0
const previousExitCode = process.exitCode
const waiters: Array<{ count: number; resolve: () => void }> = []

const lastRun = (facts: Array<Record<string, unknown>>) => facts.filter((f) => f.name === 'run').at(-1)

function runEnded(count: number, ms = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (runs >= count) return resolve()
    const timer = setTimeout(() => reject(new Error(`no test run #${count} within ${ms} ms (runs: ${runs})`)), ms)
    waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) })
  })
}

beforeAll(async () => {
  fx = tempFixture('watch')
  const counter = {
    onTestRunEnd() {
      runs++
      for (const w of waiters.filter((w) => runs >= w.count)) w.resolve()
    },
  }
  open = await openFixture('watch', { root: fx.root, cli: { watch: true, reporters: [counter] } })
})

afterAll(async () => {
  await open?.vitest.close()
  // The failing rerun set the exit code of this process (Vitest runs in it); that was the fixture's.
  process.exitCode = previousExitCode
  fx.remove()
})

test('first run, an edited test file, then an edited dependency: each rerun sees the edit', async () => {
  await runEnded(1)
  let run = open!.collect()
  expect(run.tests, JSON.stringify(run.errors) + run.output).toEqual({
    'test/other.test.ts > unrelated file': 'passed',
    'test/value.test.ts > value': 'passed',
  })
  expect(lastRun(run.facts)).toEqual({ name: 'run', value: 1, hostname: 'nsjail' })

  // The test file changes: it now expects 2 and has a second test.
  fx.write('test/value.test.ts', fx.read('test/value.test.ts').replace('toBe(1)', 'toBe(2)') + "\ntest('added in watch mode', () => {})\n")
  await runEnded(2)
  run = open!.collect()
  expect(run.tests['test/value.test.ts > value']).toBe('failed')
  expect(run.errors['test/value.test.ts > value'].join('\n')).toContain('expected 1 to be 2')
  expect(run.tests['test/value.test.ts > added in watch mode']).toBe('passed')

  // A source file the test imports changes: only the dependent test reruns, and now passes.
  fx.write('src/value.ts', 'export const value = 2\n')
  await runEnded(3)
  run = open!.collect()
  expect(run.tests['test/value.test.ts > value'], JSON.stringify(run.errors)).toBe('passed')
  expect(lastRun(run.facts)).toEqual({ name: 'run', value: 2, hostname: 'nsjail' })
  expect(run.facts.filter((f) => f.name === 'run')).toHaveLength(3)
  // The edits touched only value.test.ts's graph: the unrelated file ran once, in the first run.
  expect(run.facts.filter((f) => f.name === 'other')).toHaveLength(1)
  expect(runs).toBe(3)
})
