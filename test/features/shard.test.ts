/**
 * Spreading a suite over CI machines: `--shard=1/2` and `--shard=2/2` with the blob reporter, each
 * shard sandboxed, then `--merge-reports` on the blobs gives the totals of the whole suite.
 */
import fs from 'node:fs'
import { stripVTControlCharacters } from 'node:util'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { runFixture, type FixtureRun } from '../helpers/run-fixture.js'
import { tempFixture, type TempFixture } from '../helpers/temp-fixture.js'

let fx: TempFixture
beforeAll(() => {
  fx = tempFixture('shard')
})
afterAll(() => fx.remove())

const states = (run: FixtureRun) => Object.values(run.tests).reduce<Record<string, number>>((n, s) => ({ ...n, [s]: (n[s] ?? 0) + 1 }), {})

test('two shards into blobs, merged: the totals of the whole suite', async () => {
  const blobs = fx.path('blobs')
  const shards: FixtureRun[] = []
  for (const shard of ['1/2', '2/2']) {
    const outputFile = `${blobs}/blob-${shard.replace('/', '-')}.json`
    shards.push(await runFixture('shard', { root: fx.root, cli: { shard, reporters: [['blob', { outputFile }]] } }))
  }
  for (const run of shards) {
    expect(run.exitCode, JSON.stringify(run.errors) + run.output).toBe(0)
    expect(run.facts.every((f) => f.hostname === 'nsjail' && (f.pid as number) < 10), JSON.stringify(run.facts)).toBe(true)
  }
  // Each shard ran a part, together all four files, none twice.
  const files = shards.map((run) => [...new Set(Object.keys(run.tests).map((k) => k.split(' > ')[0]))])
  expect(files.every((f) => f.length > 0 && f.length < 4)).toBe(true)
  expect(files.flat().sort()).toEqual(['test/file1.test.ts', 'test/file2.test.ts', 'test/file3.test.ts', 'test/file4.test.ts'])
  expect(fs.readdirSync(blobs).sort()).toEqual(['blob-1-2.json', 'blob-2-2.json'])

  const merged = await runFixture('shard', { root: fx.root, cli: { mergeReports: blobs, reporters: ['default'] } })
  expect(states(merged)).toEqual({ passed: 10, skipped: 4 })
  expect(merged.exitCode).toBe(0)
  // The sandboxed tests' console output travels in the blobs too.
  expect(merged.facts.filter((f) => f.hostname === 'nsjail')).toHaveLength(10)
  expect(stripVTControlCharacters(merged.output)).toMatch(/Tests\s+(\S+\s+)?10 passed[^\n]*4 skipped/)
})
