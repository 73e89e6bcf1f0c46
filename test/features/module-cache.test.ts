/**
 * Vitest's own temp dirs that the worker reads: transformed modules under project.tmpDir (every
 * run, cacheFs), and the experimental on-disk module cache (experimental.fsModuleCache), which the
 * worker reads from the cache folder on a cache hit. The sandbox must see them read-only.
 */
import fs from 'node:fs'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { runFixture } from '../helpers/run-fixture.js'
import { tempFixture, type TempFixture } from '../helpers/temp-fixture.js'

let fx: TempFixture
beforeAll(() => {
  fx = tempFixture('workers')
})
afterAll(() => fx.remove())

async function twice(fsModuleCachePath: string) {
  // The first run fills the cache, the second one reads from it.
  for (const round of [1, 2]) {
    const run = await runFixture('workers', {
      root: fx.root,
      filters: ['a.test'],
      config: { test: { experimental: { fsModuleCache: true, fsModuleCachePath } } },
    })
    expect(run.unhandled, `round ${round}`).toEqual([])
    expect(run.tests, `round ${round}: ${JSON.stringify(run.errors)}`).toEqual({ 'test/a.test.ts > probe a': 'passed' })
  }
  expect(fs.readdirSync(fsModuleCachePath).length).toBeGreaterThan(1)
}

test('experimental.fsModuleCache with its cache inside the project', async () => {
  await twice(fx.path('.vitest-module-cache'))
})
