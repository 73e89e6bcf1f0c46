/**
 * The host must not read or write for the sandbox by string logic: real Vitest runs of
 * fixtures/hostfs through the real pool, checked from the host. A canary folder outside the project
 * (not mounted into the sandbox) is the target of every attack: symlinks in the project and in
 * node_modules with `..` (class 1), a folder swapped for a symlink while the host works and a planted
 * dangling symlink (class 2), persistence files (class 3), a 1 GiB flood (the write budget). After
 * each run the canary folder must be exactly as it was, and the project's files must not have
 * gained anything that would run on the host.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { factsByName, runFixture, type FixtureRun } from '../helpers/run-fixture.js'
import { tempFixture, type TempFixture } from '../helpers/temp-fixture.js'

const SECRET = 'CANARY-SECRET'
const REFUSED = /^(vitest-pool-nsjail: snapshot write refused or failed: )?vitest-pool-nsjail: the sandbox refused/

let fx: TempFixture
let canary: string

/** Every path under `dir` with its content (files), its target (symlinks) or nothing (folders). */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const name of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const p = path.join(dir, name)
    const stat = fs.lstatSync(p)
    out[name] = stat.isSymbolicLink() ? `-> ${fs.readlinkSync(p)}` : stat.isFile() ? fs.readFileSync(p, 'utf8') : '/'
  }
  return out
}

let canaryBefore: Record<string, string>

beforeAll(() => {
  canary = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'nsjail-hostfs-canary-')))
  fs.chmodSync(canary, 0o755)
  fs.mkdirSync(path.join(canary, 'inner'))
  fs.mkdirSync(path.join(canary, 'pkgs/linked'), { recursive: true })
  fs.writeFileSync(path.join(canary, 'pkgs/linked/package.json'), '{"name":"linked"}')
  fs.writeFileSync(path.join(canary, 'existing.txt'), 'EXISTING')
  fs.writeFileSync(path.join(canary, 'secret.txt'), SECRET)
  canaryBefore = tree(canary)

  fx = tempFixture('hostfs')
  fs.mkdirSync(fx.path('links'))
  fs.symlinkSync(path.join(canary, 'dangling-target.txt'), fx.path('links/dangling.txt'))
  fs.symlinkSync(path.join(canary, 'inner'), fx.path('links/deep'))
  fs.symlinkSync(canary, fx.path('links/out-dir'))
  fs.mkdirSync(fx.path('node_modules'))
  fs.symlinkSync(path.join(canary, 'pkgs/linked'), fx.path('node_modules/linked'))
  // As root the sandbox runs as nobody, which must be able to write its writable folder.
  fs.mkdirSync(fx.path('out'))
  fs.chmodSync(fx.path('out'), 0o777)
})

afterAll(() => {
  fx?.remove()
  if (canary) fs.rmSync(canary, { recursive: true, force: true })
})

function run(update: 'new' | 'all', filters: string[]): Promise<FixtureRun> {
  return runFixture('hostfs', {
    root: fx.root,
    filters,
    cli: { update },
    pool: {
      env: { set: { CANARY_DIR: canary } },
      rules: [{ files: 'test/race.test.ts', fs: { writable: ['out'] } }],
    },
  })
}

const errorOf = (r: FixtureRun, key: string) => (r.errors[key] ?? []).join('\n')

function expectCanaryUntouched(r: FixtureRun): void {
  expect(tree(canary)).toEqual(canaryBefore)
  expect(JSON.stringify([r.errors, r.fileErrors, r.unhandled]) + r.logs + r.output).not.toContain(SECRET)
}

const PERSISTENCE = ['.npmrc', '.vscode/tasks.json', '.husky/pre-commit', '.envrc', '.github/workflows/pwned.yml', 'vitest.config.ts', 'test/new.test.ts', 'test/__snapshots__/.npmrc', 'package.json']

for (const update of ['new', 'all'] as const) {
  describe(`update: '${update}'`, () => {
    let r: FixtureRun
    const sources: Record<string, string> = {}
    beforeAll(async () => {
      for (const file of ['src/helper.ts', 'test/persistence.test.ts']) sources[file] = fx.read(file)
      r = await run(update, ['test/links.test.ts', 'test/persistence.test.ts', 'test/benchmark.test.ts', 'test/calm.test.ts'])
    })

    test('class 1: symlinks in the project and in node_modules, then `..`: every write refused, the canary untouched', () => {
      const links = Object.keys(r.tests).filter((k) => k.startsWith('test/links.test.ts > '))
      expect(links).toHaveLength(7)
      for (const key of links) {
        expect(r.tests[key], key).toBe('failed')
        expect(errorOf(r, key), key).toMatch(REFUSED)
      }
      expect(errorOf(r, 'test/links.test.ts > forged write: a directory symlink, then ..')).toContain('not an absolute path in normal form')
      expect(errorOf(r, 'test/links.test.ts > forged write: an npm-linked package in node_modules, then ../..')).toContain('not an absolute path in normal form')
      expect(errorOf(r, 'test/links.test.ts > toMatchFileSnapshot onto a dangling symlink that points out')).toContain('links/dangling.txt is a symbolic link, which the pool never writes through')
      expect(errorOf(r, 'test/links.test.ts > toMatchFileSnapshot into a directory symlink that points out')).toContain('a path component is a symbolic link')
      expect(errorOf(r, 'test/links.test.ts > forged write onto the dangling symlink itself')).toContain('symbolic link')
      expectCanaryUntouched(r)
      expect(fx.exists('npm-link.txt')).toBe(false)
    })

    test('class 3: no file that runs on the host is created or changed, by toMatchFileSnapshot or forged writes', () => {
      for (const target of PERSISTENCE) {
        for (const how of ['toMatchFileSnapshot', 'forged write']) {
          const key = `test/persistence.test.ts > ${how} ${target}`
          expect(r.tests[key], key).toBe('failed')
          expect(errorOf(r, key), key).toMatch(REFUSED)
        }
        expect(fx.exists(target), target).toBe(false)
      }
      expect(errorOf(r, 'test/persistence.test.ts > forged write .npmrc')).toContain('`.npmrc` is a dot-file or dot-folder')
      expect(errorOf(r, 'test/persistence.test.ts > forged write vitest.config.ts')).toContain('directly in the project root')
      expect(errorOf(r, 'test/persistence.test.ts > forged write test/new.test.ts')).toContain("Vitest itself would run or load it: it matches the project's test include globs")
      // An existing source module (the kind a globalSetup imports): not even -u rewrites it. (Under
      // 'new' Vitest itself writes no existing target: the assertion fails as a mismatch.)
      if (update === 'all') expect(errorOf(r, 'test/persistence.test.ts > toMatchFileSnapshot src/helper.ts')).toContain('a .ts file is code')
      expect(errorOf(r, 'test/persistence.test.ts > forged write src/helper.ts')).toContain('a .ts file is code')
      expect(fx.read('src/helper.ts')).toBe(sources['src/helper.ts'])
      // Code smuggled into a test file or a .snap file through the inline and .snap routes.
      expect(errorOf(r, 'test/persistence.test.ts > forged inline-snapshot rewrite of this test file that adds code')).toContain('outside inline-snapshot literals')
      expect(fx.read('test/persistence.test.ts')).toBe(sources['test/persistence.test.ts'])
      expect(errorOf(r, 'test/persistence.test.ts > forged .snap file carrying code')).toMatch(/not the snapshot file of this sandbox|Vitest's own format/)
      expect(fx.exists('test/__snapshots__/persistence.test.ts.snap')).toBe(false)
    })

    test('benchmark results (Vitest 5 RPC, answered by the pool): the same rules, never through a symlink', () => {
      const key = (name: string) => `test/benchmark.test.ts > ${name}`
      expect(r.tests[key('a benchmark result is written and read back')], JSON.stringify(r.errors)).toBe('passed')
      expect(fx.read('bench/baseline.json')).toBe('{\n  "latency": {\n    "mean": 1\n  }\n}\n')
      expect(errorOf(r, key('a benchmark result written as .npmrc'))).toMatch(/refused writeBenchmarkResult\("bench\/\.npmrc"\): `\.npmrc` is a dot-file/)
      expect(errorOf(r, key('a benchmark result written as package.json'))).toContain('`package.json` is a package manifest or lockfile')
      expect(errorOf(r, key('a benchmark result written through a symlink'))).toContain('a path component is a symbolic link')
      expect(errorOf(r, key('a benchmark result read through a symlink'))).toContain('a path component is a symbolic link')
      expect(fx.exists('bench/.npmrc') || fx.exists('bench/package.json')).toBe(false)
      expectCanaryUntouched(r)
    })

    test('the run goes on: a legitimate file snapshot next to the attacks is written', () => {
      expect(r.tests['test/calm.test.ts > a legitimate file snapshot']).toBe('passed')
      expect(fx.read('test/__snapshots__/calm.txt')).toBe('calm\n')
    })
  })
}

describe('class 2: a writable folder the sandbox changes while the host works', () => {
  let r: FixtureRun
  beforeAll(async () => {
    r = await run('new', ['test/race.test.ts'])
  })

  test('writes through a folder swapped for a symlink: many tried, some at each state, none outside', () => {
    const facts = factsByName(r)
    expect(r.tests['test/race.test.ts > snapshot writes into a folder swapped for a symlink'], JSON.stringify(r.errors)).toBe('passed')
    const writes = facts['race-writes'] as Record<string, number>
    // The race was on: some writes met the real folder, some the symlink (refused).
    expect(writes.ok, JSON.stringify(writes)).toBeGreaterThan(0)
    expect(writes.symlink, JSON.stringify(writes)).toBeGreaterThan(0)
    expectCanaryUntouched(r)
  })

  test("attachments read from the swapped folder never carry the canary's content", () => {
    expect(r.tests['test/race.test.ts > attachments read from a folder swapped for a symlink'], JSON.stringify(r.errors)).toBe('passed')
    const seen = factsByName(r)['race-attachments'] as Record<string, number>
    expect(seen.ok, JSON.stringify(seen)).toBeGreaterThan(0)
    expect(seen.symlink, JSON.stringify(seen)).toBeGreaterThan(0)
    const attachments = fx.path('.vitest-attachments')
    for (const file of fs.existsSync(attachments) ? fs.readdirSync(attachments) : []) {
      expect(fs.readFileSync(path.join(attachments, file), 'utf8')).not.toContain(SECRET)
    }
  })

  test('a planted dangling symlink (no race needed) is not written through', () => {
    const key = 'test/race.test.ts > toMatchFileSnapshot onto a planted dangling symlink (no race needed)'
    expect(r.tests[key]).toBe('failed')
    expect(errorOf(r, key)).toMatch(/refused to snapshot write \".*\/out\/planted\.txt\": planted\.txt is a symbolic link, which the pool never writes through/)
    expectCanaryUntouched(r)
  })
})

test('a 1 GiB flood of snapshot writes stops at the budget (256 MiB), fails that file with the budget message, not the run', async () => {
  const r = await run('new', ['test/flood.test.ts', 'test/calm.test.ts'])
  expect(factsByName(r).flood).toEqual({ name: 'flood', written: 4, refused: 12 })
  const budget = /64 MiB more would exceed this sandbox's budget for snapshot, benchmark and attachment writes \(256 MiB, limits\.hostWrites; 256 MiB used already\)\. The file is not written\./
  expect(errorOf(r, 'test/flood.test.ts > a 1 GiB flood of snapshot writes')).toMatch(budget)
  expect(errorOf(r, 'test/flood.test.ts > a file snapshot after the budget is spent')).toMatch(/nothing more is written: this sandbox's budget for snapshot, benchmark and attachment writes \(256 MiB, limits\.hostWrites; 256 MiB used already\) is spent/)
  expect(r.unhandled).toEqual([])
  const written = fs.readdirSync(fx.path('test/__snapshots__')).filter((f) => f.startsWith('flood-'))
  expect(written.reduce((sum, f) => sum + fs.statSync(fx.path(`test/__snapshots__/${f}`)).size, 0)).toBe(256 * 1024 * 1024)
  expect(r.tests['test/calm.test.ts > a legitimate file snapshot']).toBe('passed')
  for (const f of written) fs.rmSync(fx.path(`test/__snapshots__/${f}`))
})
