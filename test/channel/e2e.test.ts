/**
 * Bytes a hostile test writes straight onto its channel (fd 3) through the real pool: each attack
 * stops that sandbox and fails its file with the reason, the well-behaved file beside them passes,
 * and Vitest's main process lives to report it all. On Node's IPC channel (before the pool framed
 * its own) the first of these took the whole run down from inside Node's deserializer.
 */
import { execFileSync } from 'node:child_process'
import { beforeAll, expect, test } from 'vitest'
import { runFixture, type FixtureRun } from '../helpers/run-fixture.js'

let run: FixtureRun

beforeAll(async () => {
  run = await runFixture('channel', { cli: { maxWorkers: 2 } })
})

/** Every error the run reported, wherever Vitest put it. */
function allErrors(): string {
  return [...run.unhandled, ...Object.values(run.fileErrors).flat(), ...Object.values(run.errors).flat()].join('\n')
}

test.each([
  ['garbage', /a message of \d+ bytes exceeds the channel's limit/],
  ['huge-header', /a message of 4294967295 bytes exceeds the channel's limit of 268435456 bytes/],
  ['bad-payload', /a message that is not valid \(ReadRawBytes\(\) failed\)/],
  ['deep', /a message that is not valid \(Maximum call stack size exceeded\)/],
  ['flood', /more than 20000 messages per second \(limits\.messages\)/],
])('%s: the sandbox is stopped and its file fails with why', (name, reason) => {
  const line = allErrors().split('\n').find((l) => l.includes(`test/${name}.test.ts`) && l.includes('broke the channel protocol'))
  expect(line, allErrors()).toMatch(reason)
})

test('the file beside the attackers passes, and the run ends failed, not crashed', () => {
  expect(run.tests['test/sibling.test.ts > a well-behaved file next to the attackers']).toBe('passed')
  expect(run.exitCode).toBe(1)
})

test('no sandbox of the run is left', () => {
  const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
  expect(ps).not.toMatch(/fixtures\/channel/)
})
