/**
 * Node's compile cache for the sandboxed workers (src/pool/compile-cache.ts): on Node 22.1+ the host
 * fills it, from run to run, and every sandbox reads it, read-only; no sandbox can plant, change or
 * add an entry that another would run. Where it is off (an older Node, v8 coverage) the workers run without it and
 * the pool's debug output (DEBUG=vitest-pool-nsjail:compile-cache) says why.
 */
import fs from 'node:fs'
import module from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, expect, test } from 'vitest'
import { factsByName, FIXTURES, runFixture, type FixtureRun } from '../helpers/run-fixture.js'
import { descendantArgs, until } from '../helpers/processes.js'
import { tempFixture, type TempFixture } from '../helpers/temp-fixture.js'
import { runDirParent } from '../../src/hostfs/run-dir.js'

// The cache lives beside the run directories from run to run: each test here starts without it, so that
// what earlier runs left cannot make it pass.
beforeEach(() => fs.rmSync(path.join(runDirParent(), 'compile-cache'), { recursive: true, force: true }))

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
async function run(options: { root?: string; cli?: Record<string, unknown>; config?: Parameters<typeof runFixture>[1]['config'] } = {}): Promise<FixtureRun> {
  process.env.DEBUG = 'vitest-pool-nsjail:compile-cache'
  const result = await runFixture('compile-cache', { ...options, pool: { prewarm: false }, cli: { maxWorkers: 1, ...options.cli } })
  expect(Object.values(result.tests), JSON.stringify(result.errors) + result.output).toEqual(Array(FILES.length).fill('passed'))
  return result
}

test.runIf(nodeHasCache)('the host fills the cache; sandboxes read it and cannot write to it; the next run finds it filled', async () => {
  const result = await run()
  expect(result.output).toMatch(/compile cache: filled (v\S+-\d+, )*v\S+-\d+(, warmed before| from \d+ modules in \d+ ms)/)
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
  // From the host (the folder is bound at the same path): what the warm-ups wrote, and nothing else.
  const dir = facts[withCache[0]].dir as string
  const entries = fs.readdirSync(dir)
  expect(entries.length).toBeGreaterThanOrEqual(facts[withCache[0]].entries as number)
  expect(entries).not.toContain('planted')
  expect(new Set(entries.map((entry) => fs.statSync(path.join(dir, entry)).uid))).toEqual(new Set([process.getuid!()]))
  expect(fs.readdirSync(facts[withCache[0]].root as string).every((name) => /^v\d+\.\d+\.\d+-\w+-[0-9a-f]+-\d+$/.test(name))).toBe(true)

  // The cache outlives the run: the next one reads it from its first sandbox on, without a warm-up.
  const again = await run()
  expect(again.output).toContain('warmed before')
  const next = factsByName(again)
  for (const name of FILES) expect(next[name], name).toMatchObject({ dir, plant: 'EROFS' })
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

test.runIf(nodeHasCache)('a V8 flag in test.execArgv (--expose-gc) gives the workers another cache tag: the warm-up fills that one', async () => {
  const result = await run({ config: { test: { execArgv: ['--expose-gc'] } } })
  const facts = factsByName(result)
  expect(FILES.filter((name) => (facts[name].entries as number) > 20).length, JSON.stringify(facts)).toBeGreaterThanOrEqual(FILES.length - 1)
})

test.runIf(nodeHasCache)('a warm-up still running when Vitest closes is stopped with it', async () => {
  const previous = process.env.NODE_OPTIONS
  const mark = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nsjail-warm-')), 'started')
  process.env.NODE_OPTIONS = `${previous ?? ''} --require ${path.join(FIXTURES, 'compile-cache/hang-warm-up.cjs')}`.trim()
  process.env.HANG_MARK = mark
  try {
    const result = await runFixture('basic', { pool: { prewarm: false } })
    expect(Object.values(result.tests), JSON.stringify(result.errors) + result.output).not.toContain('failed')
  } finally {
    if (previous === undefined) delete process.env.NODE_OPTIONS
    else process.env.NODE_OPTIONS = previous
    delete process.env.HANG_MARK
  }
  // It had started (and hangs for 60 s); Vitest has closed, and it is gone (reaped, not a zombie: the
  // polls let this process's event loop collect it).
  const pid = Number(fs.readFileSync(mark, 'utf8'))
  fs.rmSync(path.dirname(mark), { recursive: true, force: true })
  const gone = () => {
    try {
      process.kill(pid, 0)
      return false
    } catch {
      return true
    }
  }
  expect(await until(() => gone() && !descendantArgs().some((args) => args.includes('warm-compile-cache.js')), 5_000), descendantArgs().join('\n')).toBe(true)
})

test.skipIf(nodeHasCache)('on a Node without a compile cache the workers run without one, and the debug output says why', async () => {
  const result = await run()
  expect(result.output).toContain(`compile cache: off: Node ${process.version} has no compile cache (Node 22.1 or later has)`)
  for (const name of FILES) expect(factsByName(result)[name], name).toMatchObject({ root: null, dir: null })
})
