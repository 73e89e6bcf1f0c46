/**
 * How Vitest spreads files over workers, under the pool: isolate: false (files of one policy share a
 * sandbox; a file with another policy gets its own, and the worker switches), maxWorkers: 1 and
 * fileParallelism: false (files never overlap), and VITEST_POOL_ID / VITEST_WORKER_ID inside.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { expect, test } from 'vitest'
import { version, type TestSequencer, type TestSpecification } from 'vitest/node'
import { factsByName, runFixture, type FixtureRun } from '../helpers/run-fixture.js'

interface Probe {
  name: string
  sandbox: string
  hostname: string
  filesInThisProcess: string[]
  poolId: string
  workerId: string
  start: number
  end: number
  /** With a rendezvous folder: whether another file was running at the same time. */
  met?: boolean
}
const vitestMajor = Number(version.split('.')[0])
const probes = (run: FixtureRun) => run.facts as unknown as Probe[]

const allPassed = (run: FixtureRun) => {
  expect(Object.values(run.tests).every((s) => s === 'passed') && Object.keys(run.tests).length > 0, JSON.stringify(run.errors) + run.unhandled + run.output).toBe(true)
  expect(run.exitCode).toBe(0)
}

/** Runs the files in this order: policies interleaved (a: default, c: the rule's, then b and d: default). */
class Interleaved implements TestSequencer {
  async shard(files: TestSpecification[]) {
    return files
  }
  async sort(files: TestSpecification[]) {
    const order = ['a', 'c', 'b', 'd']
    const rank = (spec: TestSpecification) => order.indexOf(path.basename(spec.moduleId, '.test.ts'))
    return [...files].sort((x, y) => rank(x) - rank(y))
  }
}

test('isolate: false: files of one policy share a sandbox, a rule gives another file its own', async () => {
  const run = await runFixture('workers', {
    pool: { rules: [{ files: 'test/special/**', hostname: 'special' }] },
    cli: { isolate: false, maxWorkers: 1 },
    config: { test: { sequence: { sequencer: Interleaved } } },
  })
  allPassed(run)
  const facts = factsByName(run) as unknown as Record<string, Probe>
  expect(Object.keys(facts).sort()).toEqual(['a', 'b', 'd', 'special'])
  // One process (one sandbox) ran a, b and d, one after the other, keeping its globals.
  expect(new Set([facts.a.sandbox, facts.b.sandbox, facts.d.sandbox]).size).toBe(1)
  expect(facts.d.filesInThisProcess).toEqual(['a', 'b', 'd'])
  // The rule's file ran in a sandbox of its own, with its policy.
  expect(facts.special.sandbox).not.toBe(facts.a.sandbox)
  expect(facts.special.hostname).toBe('special')
  expect(facts.a.hostname).toBe('nsjail')
  expect(facts.special.filesInThisProcess).toEqual(['special'])
})

const hold = { env: { set: { HOLD_MS: '300' } } }
const overlaps = (p: Probe[]) => p.some((x) => p.some((y) => x !== y && x.start < y.end && y.start < x.end))

for (const cli of [{ maxWorkers: 1 }, { fileParallelism: false }]) {
  test(`${JSON.stringify(cli)}: files run one at a time, each in its own sandbox`, async () => {
    const run = await runFixture('workers', { filters: ['a.test', 'b.test', 'd.test'], pool: hold, cli })
    allPassed(run)
    const p = probes(run)
    expect(p).toHaveLength(3)
    expect(overlaps(p), JSON.stringify(p)).toBe(false)
    expect(new Set(p.map((x) => x.sandbox)).size).toBe(3)
    expect(p.map((x) => x.poolId)).toEqual(['1', '1', '1'])
    expect(new Set(p.map((x) => x.workerId)).size).toBe(3)
  })
}

test('maxWorkers: 2: files overlap, VITEST_POOL_ID is 1 or 2 and VITEST_WORKER_ID unique', async () => {
  // Files running at once meet in a shared folder, however loaded the machine is.
  const rendezvous = fs.mkdtempSync(path.join(os.tmpdir(), 'nsjail-rendezvous-'))
  fs.chmodSync(rendezvous, 0o777)
  const pool = { fs: { writable: [rendezvous] }, env: { set: { ...hold.env.set, RENDEZVOUS_DIR: rendezvous } } }
  const run = await runFixture('workers', { filters: ['a.test', 'b.test', 'd.test'], pool, cli: { maxWorkers: 2 } }).finally(() => fs.rmSync(rendezvous, { recursive: true, force: true }))
  allPassed(run)
  const p = probes(run)
  expect(p).toHaveLength(3)
  // The control for the tests above: with two workers the same files do overlap.
  expect(p.filter((x) => x.met).length, JSON.stringify(p)).toBeGreaterThanOrEqual(2)
  expect(new Set(p.map((x) => x.poolId))).toEqual(new Set(['1', '2']))
  const workerIds = p.map((x) => Number(x.workerId))
  expect(new Set(workerIds).size).toBe(3)
  // Vitest 4.1 counts workers from 0, Vitest 5 from 1.
  const first = vitestMajor >= 5 ? 1 : 0
  expect(workerIds.every((id) => Number.isInteger(id) && id >= first && id < first + 3), JSON.stringify(workerIds)).toBe(true)
})
