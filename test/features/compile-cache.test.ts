/**
 * Node's compile cache for the sandboxed workers (src/pool/compile-cache.ts): on Node 22.1+ the host
 * fills it and every later sandbox reads it, read-only; no sandbox can plant, change or add an entry
 * that another would run. Where it is off (an older Node, v8 coverage) the workers run without it and
 * the pool's debug output (DEBUG=vitest-pool-nsjail:compile-cache) says why.
 */
import fs from 'node:fs'
import module from 'node:module'
import path from 'node:path'
import { afterEach, expect, test } from 'vitest'
import { factsByName, runFixture, type FixtureRun } from '../helpers/run-fixture.js'
import { tempFixture, type TempFixture } from '../helpers/temp-fixture.js'
import { runDirParent } from '../../src/hostfs/run-dir.js'

const nodeHasCache = typeof (module as { enableCompileCache?: unknown }).enableCompileCache === 'function'
const FILES = ['a', 'b', 'c', 'd']
const previousDebug = process.env.DEBUG
let fx: TempFixture | undefined

afterEach(() => {
  fx?.remove()
  fx = undefined
  if (previousDebug === undefined) delete process.env.DEBUG
  else process.env.DEBUG = previousDebug
})

/** One worker and no spares: each file's sandbox starts after the previous file ended. */
async function run(options: { root?: string; cli?: Record<string, unknown> } = {}): Promise<FixtureRun> {
  process.env.DEBUG = 'vitest-pool-nsjail:compile-cache'
  const result = await runFixture('compile-cache', { ...options, pool: { prewarm: false }, cli: { maxWorkers: 1, ...options.cli } })
  expect(Object.values(result.tests), JSON.stringify(result.errors) + result.output).toEqual(Array(FILES.length).fill('passed'))
  return result
}

test.runIf(nodeHasCache)('the host fills the cache; later sandboxes read it and cannot write to it; it goes with Vitest', async () => {
  // From the host, at the end of the run (Vitest closes after it): the folder holds what the warm-up
  // wrote and nothing else. It is the only one of this process's run directory: each run's goes when
  // its Vitest closes.
  let seen: Array<{ root: string; folders: string[]; entries: string[]; owners: number[] }> = []
  const onTestRunEnd = () => {
    const runDirs = fs.readdirSync(runDirParent()).filter((name) => name.startsWith(`run-${process.pid}-`)).map((name) => path.join(runDirParent(), name))
    seen = runDirs.flatMap((dir) => fs.readdirSync(dir).filter((name) => name.startsWith('compile-cache-')).map((name) => path.join(dir, name))).map((root) => {
      const folders = fs.readdirSync(root)
      const entries = folders.length === 1 ? fs.readdirSync(path.join(root, folders[0])) : []
      return { root, folders, entries, owners: [...new Set(entries.map((e) => fs.statSync(path.join(root, folders[0], e)).uid))] }
    })
  }
  const result = await run({ cli: { reporters: [{ onTestRunEnd }] } })
  expect(result.output).toMatch(/compile cache: filled v\S+-\d+ from \d+ modules in \d+ ms/)
  const facts = factsByName(result)
  // Every file waits for the cache, so the sandboxes of all files after the first start with it.
  const withCache = FILES.filter((name) => facts[name].dir !== null)
  expect(withCache.length, JSON.stringify(facts)).toBeGreaterThanOrEqual(FILES.length - 1)
  for (const name of FILES) expect(facts[name].root, name).not.toBeNull()
  for (const name of withCache) {
    const fact = facts[name]
    expect(fact.entries, name).toBeGreaterThan(20)
    expect(path.dirname(fact.dir as string), name).toBe(fact.root)
    expect(fact, name).toMatchObject({
      plant: 'EROFS', otherUid: 'EROFS', overwrite: 'EROFS', rename: 'EROFS', unlink: 'EROFS',
      flush: 'done', entriesAfter: fact.entries,
    })
  }
  const first = facts[withCache[0]]
  expect(seen).toEqual([{ root: first.root, folders: [path.basename(first.dir as string)], entries: expect.any(Array), owners: [process.getuid!()] }])
  expect(seen[0].entries).toHaveLength(first.entries as number)
  expect(seen[0].entries).not.toContain('planted')
  // Closed with Vitest.
  expect(fs.existsSync(first.root as string)).toBe(false)
})

test.runIf(nodeHasCache)('with coverage by v8 the workers compile from source; with istanbul they use the cache', async () => {
  fx = tempFixture('compile-cache')
  for (const provider of ['v8', 'istanbul'] as const) {
    const result = await run({ root: fx.root, cli: { coverage: { enabled: true, provider, reporter: [], reportsDirectory: fx.path(`coverage-${provider}`), include: ['test/**'] } } })
    const facts = factsByName(result)
    if (provider === 'v8') {
      // Vitest 5 itself sets NODE_DISABLE_COMPILE_CACHE for v8 coverage; 4.1 does not, and the pool decides.
      expect(result.output).toMatch(/compile cache: off: (coverage by v8 needs code compiled from source|NODE_DISABLE_COMPILE_CACHE is set)/)
      for (const name of FILES) expect(facts[name], name).toMatchObject({ root: null, dir: null })
    } else {
      expect(result.output).toMatch(/compile cache: filled/)
      expect(FILES.filter((name) => (facts[name].entries as number) > 20).length, JSON.stringify(facts)).toBeGreaterThanOrEqual(FILES.length - 1)
    }
  }
})

test.skipIf(nodeHasCache)('on a Node without a compile cache the workers run without one, and the debug output says why', async () => {
  const result = await run()
  expect(result.output).toContain(`compile cache: off: Node ${process.version} has no compile cache (Node 22.1 or later has)`)
  for (const name of FILES) expect(factsByName(result)[name], name).toMatchObject({ root: null, dir: null })
})
