/**
 * Bytes a hostile test writes straight onto its channel (fd 3) through the real pool: each attack
 * stops that sandbox and fails its file with the reason, the well-behaved file beside them passes,
 * and Vitest's main process lives to report it all. On Node's IPC channel (before the pool framed
 * its own) the first of these took the whole run down from inside Node's deserializer.
 */
import { beforeAll, expect, test } from 'vitest'
import { runFixture, type FixtureRun } from '../helpers/run-fixture.js'
import { descendantArgs } from '../helpers/processes.js'

let run: FixtureRun

beforeAll(async () => {
  run = await runFixture('channel', { filters: ['garbage', 'header', 'payload', 'deep', 'flood.test', 'sibling'], cli: { maxWorkers: 2 } })
})

/** Every error the run reported, wherever Vitest put it. */
function allErrors(): string {
  return [...run.unhandled, ...Object.values(run.fileErrors).flat(), ...Object.values(run.errors).flat()].join('\n')
}

test.each([
  ['garbage', /it sent a message of [\d.]+ GiB, over the limit of 256 MiB \(limits\.messageSize\)/],
  ['huge-header', /it sent a message of 4 GiB, over the limit of 256 MiB \(limits\.messageSize\)/],
  ['bad-payload', /it sent a message that is not valid \(ReadRawBytes\(\) failed\)/],
  ['deep', /it sent a message that is not valid \(Maximum call stack size exceeded\)/],
  ['flood', /it sent more than 20000 messages per second \(limits\.messages\)/],
])('%s: the sandbox is stopped and its file fails with why', (name, reason) => {
  const line = allErrors().split('\n').find((l) => l.includes(`test/${name}.test.ts`) && l.includes('the pool stopped it'))
  expect(line, allErrors()).toMatch(reason)
})

test('the file beside the attackers passes, and the run ends failed, not crashed', () => {
  expect(run.tests['test/sibling.test.ts > a well-behaved file next to the attackers']).toBe('passed')
  expect(run.exitCode).toBe(1)
})

test.each([
  ['output-flood', /budget for console output Vitest keeps \(1 MiB, limits\.output; [\d.]+ [KMG]?i?B used already\)/],
  ['coverage-flood', /budget for coverage \(1 MiB, limits\.coverage; 0 B used already\)/],
])('%s: over its budget, the file fails naming the budget; the file beside it passes', async (name, reason) => {
  const budget = await runFixture('channel', { filters: [name, 'sibling'], pool: { limits: { output: '1M', coverage: '1M' } }, cli: { maxWorkers: 2 } })
  const errors = [...budget.unhandled, ...Object.values(budget.fileErrors).flat(), ...Object.values(budget.errors).flat()].join('\n')
  const line = errors.split('\n').find((l) => l.includes(`test/${name}.test.ts`) && l.includes('it went over a budget'))
  expect(line, errors).toMatch(reason)
  expect(budget.tests['test/sibling.test.ts > a well-behaved file next to the attackers']).toBe('passed')
})

test('no sandbox of the run is left', () => {
  expect(descendantArgs().filter((args) => args.includes('fixtures/channel'))).toEqual([])
})
