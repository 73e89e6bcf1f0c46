/**
 * Vitest's on-disk module cache (experimental.fsModuleCache): the worker reads cached modules from
 * the cache folder itself (on a hit, and for the copy written on a miss), so the sandbox must see it,
 * wherever fsModuleCachePath puts it. Two rounds each: the first fills the cache, the second hits it.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { runFixture } from '../helpers/run-fixture.js'
import { tempFixture, type TempFixture } from '../helpers/temp-fixture.js'

let fx: TempFixture
let outside: string
beforeAll(() => {
  fx = tempFixture('workers')
  outside = fs.mkdtempSync(path.join(os.tmpdir(), 'nsjail-module-cache-'))
  // Vitest would create it 0755; mkdtemp makes it 0700, unreadable to the sandbox's uid as root.
  fs.chmodSync(outside, 0o755)
})
afterAll(() => {
  fx.remove()
  fs.rmSync(outside, { recursive: true, force: true })
})

async function twice(fsModuleCachePath: string) {
  for (const round of [1, 2]) {
    const run = await runFixture('workers', {
      root: fx.root,
      filters: ['a.test'],
      config: { test: { experimental: { fsModuleCache: true, fsModuleCachePath } } },
    })
    expect(run.unhandled, `round ${round}`).toEqual([])
    expect(run.tests, `round ${round}: ${JSON.stringify(run.errors)}`).toEqual({ 'test/a.test.ts > probe a': 'passed' })
  }
  // The cache was really used: metadata plus cached modules.
  expect(fs.readdirSync(fsModuleCachePath).length).toBeGreaterThan(1)
}

test('experimental.fsModuleCache with its cache inside the project', async () => {
  await twice(fx.path('.vitest-module-cache'))
})

test('experimental.fsModuleCache with fsModuleCachePath outside the project (under the host /tmp)', async () => {
  await twice(outside)
})
