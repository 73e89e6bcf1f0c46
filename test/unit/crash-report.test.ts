import { expect, test } from 'vitest'
import { failedRunEvents, type TaskLike } from '../../src/pool/crash-report.js'

const error = new Error('vitest-pool-nsjail: killed by the sandbox: memory limit 128 MiB reached (oom_kill) — t.test.ts')

test('a collected file: the file and its unfinished tests and suites fail; finished and skipped ones keep their result', () => {
  const file: TaskLike = {
    id: 'f', type: 'suite', meta: { m: 1 }, result: { state: 'run' },
    tasks: [
      { id: 't1', type: 'test', result: { state: 'pass' } },
      { id: 's', type: 'suite', result: { state: 'run' }, tasks: [{ id: 't2', type: 'test', result: { state: 'run' } }, { id: 't3', type: 'test' }] },
      { id: 't4', type: 'test', mode: 'skip' },
    ],
  }
  const done: TaskLike = { id: 'g', type: 'suite', result: { state: 'pass' }, tasks: [{ id: 'u', type: 'test' }] }
  const [update] = failedRunEvents({ uncollected: [], collected: [file, done], root: '/p', projectName: '', pool: 'nsjail', error }) as Array<{ m: string; a: [unknown[], unknown[]] }>
  expect(update.m).toBe('onTaskUpdate')
  const [packs, events] = update.a
  const unfinished = { name: 'Error', message: `${error.message} (before this test's result reached Vitest)`, stack: `Error: ${error.message} (before this test's result reached Vitest)` }
  expect(packs).toEqual([
    ['s', { state: 'fail' }, {}],
    ['t2', { state: 'fail', errors: [unfinished] }, {}],
    ['t3', { state: 'fail', errors: [unfinished] }, {}],
    ['f', { state: 'fail', errors: [{ name: 'Error', message: error.message, stack: `Error: ${error.message}` }] }, { m: 1 }],
  ])
  expect(events).toEqual([['t2', 'test-finished', undefined], ['t3', 'test-finished', undefined], ['f', 'suite-finished', undefined]])
})

test('a file never collected is reported collected, failed, with the error', () => {
  const [collected] = failedRunEvents({ uncollected: ['/p/t.test.ts'], collected: [], root: '/p', projectName: 'unit', pool: 'nsjail', error }) as Array<{ m: string; a: [Array<Record<string, unknown>>] }>
  expect(collected.m).toBe('onCollected')
  expect(collected.a[0][0]).toMatchObject({ name: 't.test.ts', filepath: '/p/t.test.ts', projectName: 'unit', pool: 'nsjail', result: { state: 'fail', errors: [{ message: error.message }] } })
  expect(failedRunEvents({ uncollected: [], collected: [], root: '/p', projectName: '', pool: 'nsjail', error })).toEqual([])
})
