/**
 * Real traffic: a scratch project run by a real Vitest whose pool is Vitest's forks worker with the
 * firewall on the channel (test/firewall/capture-pool.ts). Its tests import files in every way
 * (`?raw`, `?url`, vi.importActual/importMock, vi.mock, import.meta.glob, import() of run-time
 * strings, bare specifiers, file URLs), write snapshots (file, inline, toMatchFileSnapshot), record
 * attachments, collect coverage and fail once under --bail; they also try to read a canary outside
 * the project by each route and expect the firewall's refusal. Then:
 * - every method the worker called is in the table (rpc-methods.ts);
 * - legitimate traffic was never refused (every refusal names the canary, or is a quiet one);
 * - each canary route was refused and the rest passed (the scratch project's own assertions).
 * Runs on the installed Vitest (4.1); on 5.x too when VITEST5_DIR names a directory with
 * node_modules/vitest@5, node_modules/@vitest/coverage-v8@5 and node_modules/.bin/node (>= 22.12).
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterAll, describe, expect, test } from 'vitest'
import { RPC_METHODS } from '../../src/channel/firewall/rpc-methods.js'
import type { CaptureRecord } from './capture-pool.js'

const repo = path.resolve(fileURLToPath(new URL('../..', import.meta.url)))

interface Target {
  label: string
  nodeModules: string
  node: string
}

const targets: Target[] = [{ label: 'installed Vitest', nodeModules: path.join(repo, 'node_modules'), node: process.execPath }]
if (process.env.VITEST5_DIR) {
  const dir = path.resolve(process.env.VITEST5_DIR)
  targets.push({ label: 'Vitest 5', nodeModules: path.join(dir, 'node_modules'), node: path.join(dir, 'node_modules/.bin/node') })
}

const scratchDirs: string[] = []
afterAll(() => {
  if (!process.env.FW_KEEP) for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true })
})

function scratchProject(target: Target) {
  const base = realpathSync(mkdtempSync(path.join(tmpdir(), 'fw-traffic-')))
  scratchDirs.push(base)
  const root = path.join(base, 'proj')
  const outside = path.join(base, 'outside')
  const canary = path.join(outside, 'canary.txt')
  const evil = path.join(outside, 'evil.js')
  const log = path.join(base, 'rpc.jsonl')
  for (const dir of ['test/globbed', 'src', 'native']) mkdirSync(path.join(root, dir), { recursive: true })
  mkdirSync(outside)
  writeFileSync(canary, 'CANARY-CONTENT')
  writeFileSync(evil, 'export default "CANARY-CONTENT"\n')
  symlinkSync(target.nodeModules, path.join(root, 'node_modules'))
  symlinkSync(canary, path.join(root, 'test/link.txt'))
  writeFileSync(path.join(root, 'test/fixture.txt'), 'hello fixture\n')
  writeFileSync(path.join(root, 'test/globbed/one.ts'), 'export const a = 1\n')
  writeFileSync(path.join(root, 'test/globbed/two.ts'), 'export const b = 2\n')
  writeFileSync(path.join(root, 'src/mod.ts'), "export function real() { return 'real' }\nexport const value = 42\n")
  const access = { root, readable: [root, realpathSync(target.nodeModules)], writable: [] }
  writeFileSync(
    path.join(root, 'vitest.config.ts'),
    `import { capturePool } from ${JSON.stringify(path.join(repo, 'test/firewall/capture-pool.ts'))}
export default {
  resolve: { alias: { 'evil-alias': ${JSON.stringify(evil)} } },
  test: {
    pool: capturePool({ log: ${JSON.stringify(log)}, access: ${JSON.stringify(access)} }),
    include: ['test/**/*.test.ts'],
    coverage: { provider: 'v8', reporter: ['json-summary'], reportsDirectory: 'coverage' },
  },
}
`,
  )
  // Second run: Node's own loader instead of Vite's module runner (ensureModuleGraphEntry), and
  // dependency recording (onTestModuleDependencies, 5.x). Plain .js: Node 20 cannot load .ts.
  writeFileSync(path.join(root, 'src/plain.js'), 'export const value = 42\n')
  writeFileSync(
    path.join(root, 'vitest.native.config.ts'),
    `import { capturePool } from ${JSON.stringify(path.join(repo, 'test/firewall/capture-pool.ts'))}
export default {
  test: {
    pool: capturePool({ log: ${JSON.stringify(log)}, access: ${JSON.stringify(access)} }),
    include: ['native/**/*.test.js'],
    experimental: { viteModuleRunner: false, recordDependencies: true },
  },
}
`,
  )
  writeFileSync(
    path.join(root, 'native/native.test.js'),
    `import { test, expect } from 'vitest'
import { value } from '../src/plain.js'
test('native imports', async () => {
  expect(value).toBe(42)
  expect((await import('../src/plain.js')).value).toBe(42)
  // Unsandboxed here, Node itself loads it (in the sandbox the mounts stop it); the module-graph
  // entry the loader hook reports for it is refused quietly, and the test goes on.
  expect((await import(${JSON.stringify(pathToFileURL(evil).href)})).default).toBe('CANARY-CONTENT')
})
`,
  )
  const refused = (call: string) => `.rejects.toThrow(${JSON.stringify(`the sandbox refused ${call}`)})`
  writeFileSync(
    path.join(root, 'test/modules.test.ts'),
    `import { test, expect, vi } from 'vitest'
import fixture from './fixture.txt?raw'
import { value } from '/src/mod.ts'
vi.mock('../src/mod.ts', async (importOriginal) => ({ ...(await importOriginal<any>()), real: () => 'mocked' }))
const CANARY = ${JSON.stringify(canary)}

test('static ?raw and root-relative imports', () => {
  expect(fixture).toContain('hello')
  expect(value).toBe(42)
})
test('?url and a template import', async () => {
  expect((await import('./fixture.txt?url')).default).toBe('/test/fixture.txt')
  const name = 'fix' + 'ture.txt'
  expect((await import(\`./\${name}?raw\`)).default).toContain('hello')
})
test('vi.importActual / vi.importMock', async () => {
  expect((await vi.importActual<any>('../src/mod.ts')).real()).toBe('real')
  expect((await import('../src/mod.ts')).real()).toBe('mocked')
  expect(await vi.importMock<any>('../src/mod.ts')).toBeTruthy()
})
test('import.meta.glob', async () => {
  expect(Object.keys(import.meta.glob('./globbed/*.ts', { eager: true }))).toHaveLength(2)
  for (const load of Object.values(import.meta.glob('./globbed/*.ts'))) await load()
  for (const load of Object.values(import.meta.glob('./globbed/*.ts', { query: '?raw', import: 'default' }))) expect(await load()).toContain('export')
})
test('bare, builtin, file URL and run-time specifiers', async () => {
  expect(await import('picomatch')).toBeTruthy()
  expect((await import('node:path')).join).toBeTypeOf('function')
  expect((await import(new URL('./fixture.txt?raw', import.meta.url).href)).default).toContain('hello')
  const bare = 'pico' + 'match'
  expect(await import(bare)).toBeTruthy()
  expect(await vi.importActual<any>(bare)).toBeTruthy()
  const relative = '../src/m' + 'od.ts'
  expect((await import(relative)).value).toBe(42)
  const rootRelative = '/src/' + 'mod.ts'
  expect((await import(rootRelative)).value).toBe(42)
})
test('canary: literal ?raw import', async () => {
  await expect(import(${JSON.stringify(`${canary}?raw`)}))${refused('fetch')}
})
test('canary: run-time ?raw import', async () => {
  await expect(import(CANARY + '?raw'))${refused('fetch')}
})
test('canary: file URL', async () => {
  await expect(import('file://' + CANARY + '?raw'))${refused('fetch')}
})
test('canary: symlink in the project', async () => {
  await expect(import('./link.txt?raw'))${refused('fetch')}
})
test('canary: vi.importActual', async () => {
  await expect(vi.importActual(CANARY))${refused('resolve')}
})
test('canary: import.meta.glob', async () => {
  const loaders = Object.values(import.meta.glob('../../outside/*.txt', { query: '?raw', import: 'default' }))
  expect(loaders).toHaveLength(1)
  await expect(loaders[0]())${refused('fetch')}
})
test('canary: a bare specifier the main process resolves outside (alias)', async () => {
  const name = 'evil-' + 'alias'
  await expect(import(name))${refused('fetch("evil-alias")')}
})
`,
  )
  writeFileSync(
    path.join(root, 'test/snap.test.ts'),
    `import { test, expect } from 'vitest'
test('snapshot', () => { expect({ a: 1 }).toMatchSnapshot() })
test('inline snapshot', () => { expect('x').toMatchInlineSnapshot() })
test('file snapshot', async () => { await expect('file content').toMatchFileSnapshot('./__snapshots__/file.txt') })
test('annotations', async ({ annotate }) => {
  await annotate('note', { path: './test/fixture.txt' })
  await annotate('plain')
  await expect(annotate('leak', { path: ${JSON.stringify(canary)} }))${refused('onTaskArtifactRecord')}
})
test('console', () => { console.log('logged') })
test('deliberately fails', () => { expect(1).toBe(2) })
`,
  )
  return { root, canary, outside, log }
}

function runScratch(target: Target, root: string, extra: string[]) {
  const run = spawnSync(target.node, [path.join(target.nodeModules, 'vitest/vitest.mjs'), 'run', ...extra, '--reporter=json', '--outputFile=results.json'], {
    cwd: root,
    encoding: 'utf-8',
    timeout: 180_000,
    env: { ...process.env, NO_COLOR: '1' },
  })
  const resultsFile = path.join(root, 'results.json')
  if (!existsSync(resultsFile)) throw new Error(`the scratch run wrote no results (exit ${run.status}):\n${run.stdout}\n${run.stderr}`)
  const results = JSON.parse(readFileSync(resultsFile, 'utf-8')) as {
    testResults: Array<{ assertionResults: Array<{ title: string; status: string; failureMessages: string[] }> }>
  }
  rmSync(resultsFile)
  return { run, outcomes: results.testResults.flatMap((file) => file.assertionResults) }
}

function readLog(log: string): CaptureRecord[] {
  const records = readFileSync(log, 'utf-8').trim().split('\n').map((line) => JSON.parse(line) as CaptureRecord)
  rmSync(log)
  return records
}

for (const target of targets) {
  const available = existsSync(path.join(target.nodeModules, 'vitest/package.json')) && existsSync(target.node)
  const version = available ? (JSON.parse(readFileSync(path.join(target.nodeModules, 'vitest/package.json'), 'utf-8')).version as string) : ''
  let project: ReturnType<typeof scratchProject> | undefined
  describe.skipIf(!available)(`real traffic through the firewall: ${target.label}`, () => {
    test('every method is in the table; only the canary routes are refused', () => {
      const { root, outside, log } = (project = scratchProject(target))
      const { run, outcomes } = runScratch(target, root, ['--update', '--bail=100', '--coverage.enabled'])
      const unexpected = outcomes.filter((t) => (t.title === 'deliberately fails' ? t.status !== 'failed' : t.status !== 'passed'))
      expect(unexpected.map((t) => `${t.title}: ${t.status} ${t.failureMessages.join('\n')}`), run.stderr).toEqual([])
      expect(outcomes.length).toBe(18)

      const records = readLog(log)
      const called = new Set(records.filter((r) => r.refusal === undefined && r.method).map((r) => r.method!))
      const unknown = [...called].filter((m) => !Object.hasOwn(RPC_METHODS, m))
      expect(unknown, `methods called by Vitest ${version} workers that the table lacks`).toEqual([])
      for (const m of ['fetch', 'resolve', 'onTaskUpdate', 'onCollected', 'snapshotSaved', 'resolveSnapshotPath', 'onTaskArtifactRecord', 'onAfterSuiteRun', 'getCountOfFailedTests', 'onUserConsoleLog']) {
        expect(called.has(m), m).toBe(true)
      }
      const refusals = records.filter((r) => r.refusal !== undefined)
      const legitimateRefused = refusals.filter((r) => !r.quiet && !r.refusal!.includes(outside))
      expect(legitimateRefused.map((r) => r.refusal)).toEqual([])
      expect(refusals.filter((r) => !r.quiet).length).toBeGreaterThanOrEqual(8)
      // for the report: what this Vitest's workers called
      console.log(`Vitest ${version}: ${[...called].sort().join(', ')}; quiet refusals: ${[...new Set(refusals.filter((r) => r.quiet).map((r) => r.method))].join(', ') || 'none'}`)
    }, 200_000)

    test("Node's loader (ensureModuleGraphEntry) and dependency recording", () => {
      const { root, outside, log } = project ?? scratchProject(target)
      const { run, outcomes } = runScratch(target, root, ['--config', 'vitest.native.config.ts'])
      expect(outcomes.map((t) => `${t.title}: ${t.status} ${t.failureMessages.join('\n')}`), run.stderr).toEqual(['native imports: passed '])
      const records = readLog(log)
      const called = new Set(records.filter((r) => r.refusal === undefined && r.method).map((r) => r.method!))
      expect([...called].filter((m) => !Object.hasOwn(RPC_METHODS, m))).toEqual([])
      expect(called.has('ensureModuleGraphEntry')).toBe(true)
      if (version.startsWith('5.')) expect(called.has('onTestModuleDependencies')).toBe(true)
      const refusals = records.filter((r) => r.refusal !== undefined)
      expect(refusals.length).toBeGreaterThanOrEqual(1)
      for (const r of refusals) {
        expect(r.method).toBe('ensureModuleGraphEntry')
        expect(r.quiet).toBe(true)
        expect(r.refusal).toContain(outside)
      }
      console.log(`Vitest ${version}, native loader: ${[...called].sort().join(', ')}`)
    }, 200_000)
  })
}
