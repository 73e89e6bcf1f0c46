import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync, unlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import v8 from 'node:v8'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createFirewall, type Firewall, type FirewallAccess, type Verdict } from '../../src/channel/firewall/index.js'
import type { HostCalls } from '../../src/channel/host-calls.js'
import { methodRule, RPC_METHODS } from '../../src/channel/firewall/rpc-methods.js'

let tmp: string
let proj: string
let canary: string
let out: string
let access: FirewallAccess
let fw: Firewall
let seq = 0

function call(m: string, ...a: unknown[]): { t: 'q'; i: string; m: string; a: unknown[] } {
  return { t: 'q', i: `id${seq++}`, m, a }
}

function refusalOf(v: Verdict): string {
  if (v.pass) throw new Error('expected a refusal, got pass')
  return v.refusal
}

beforeAll(() => {
  tmp = realpathSync(mkdtempSync(path.join(tmpdir(), 'fw-')))
  proj = path.join(tmp, 'proj')
  out = path.join(tmp, 'out')
  const secretDir = path.join(tmp, 'secret')
  canary = path.join(secretDir, 'secret.txt')
  for (const dir of ['src', 'test', 'node_modules/pkg', '.git', 'bench']) mkdirSync(path.join(proj, dir), { recursive: true })
  mkdirSync(secretDir, { recursive: true })
  mkdirSync(out, { recursive: true })
  writeFileSync(canary, 'CANARY')
  writeFileSync(path.join(secretDir, 'data.json'), '{}')
  writeFileSync(path.join(proj, 'src/a.ts'), 'export const a = 1')
  writeFileSync(path.join(proj, 'fixture.txt'), 'fixture')
  writeFileSync(path.join(proj, 'test/x.test.ts'), '')
  writeFileSync(path.join(proj, 'node_modules/pkg/index.js'), '')
  writeFileSync(path.join(proj, '.git/config'), '')
  symlinkSync(canary, path.join(proj, 'link-out'))
  symlinkSync(secretDir, path.join(proj, 'dirlink'))
  access = { root: proj, readable: [proj], writable: [out] }
  fw = createFirewall(access)
})

afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const importer = () => path.join(proj, 'test/x.test.ts')

describe('protocol', () => {
  test('pool protocol messages and answers pass', () => {
    expect(fw.inspect({ __vitest_worker_response__: true, type: 'started' }).pass).toBe(true)
    expect(fw.inspect({ __vitest_worker_response__: true, type: 'testfileFinished' }).pass).toBe(true)
    expect(fw.inspect({ t: 's', i: 'x', r: 1 }).pass).toBe(true)
    expect(fw.inspect({ __nsjail_fs__: {} }).pass).toBe(true)
  })

  test('reporting calls pass untouched', () => {
    for (const m of ['onTaskUpdate', 'onUserConsoleLog', 'onCollected', 'onQueued', 'snapshotSaved', 'resolveSnapshotPath', 'getCountOfFailedTests', 'onCancel', 'onUnhandledError', 'onAsyncLeaks', 'onTestBenchmark', 'onTestModuleDependencies']) {
      expect(fw.inspect(call(m, [], [])), m).toEqual({ pass: true })
    }
  })

  test('unknown methods are refused, naming the method', () => {
    const v = fw.inspect(call('readAnyFile', '/etc/passwd'))
    expect(refusalOf(v)).toMatch(/RPC call to "readAnyFile": the method is not in the sandbox's RPC policy/)
    for (const m of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 42]) {
      expect(fw.inspect(call(m as string)).pass, String(m)).toBe(false)
    }
  })

  test('a refused call rejects with an Error that survives the channel', () => {
    const v = fw.inspect({ t: 'q', i: 'abc', m: 'fetch', a: [canary, null, 'ssr'] })
    expect(v.pass).toBe(false)
    if (v.pass) return
    const reply = v8.deserialize(v8.serialize(v.reply)) as { t: string; i: string; e: Error }
    expect(reply.t).toBe('s')
    expect(reply.i).toBe('abc')
    expect(reply.e).toBeInstanceOf(Error)
    expect(reply.e.message).toBe(v.refusal)
  })

  test('refused events and malformed messages get no reply', () => {
    const v = fw.inspect({ t: 'q', m: 'fetch', a: [canary] })
    expect(v.pass).toBe(false)
    expect(!v.pass && v.reply).toBeUndefined()
    for (const bad of [null, undefined, 'x', 3]) {
      const b = fw.inspect(bad)
      expect(b.pass).toBe(false)
      expect(!b.pass && b.reply).toBeUndefined()
    }
  })

  test('arguments must be a real array of real strings', () => {
    expect(fw.inspect({ t: 'q', i: 'q1', m: 'fetch', a: { 0: canary, length: 1 } }).pass).toBe(false)
    // eslint-disable-next-line no-new-wrappers
    expect(fw.inspect(call('fetch', new String(canary))).pass).toBe(false)
    expect(fw.inspect(call('fetch', '/src/a.ts', { toString: () => '/' })).pass).toBe(false)
  })

  test('the table lists every method with a known check', () => {
    const checks = new Set(['pass', 'module', 'module-file-url', 'warm-files', 'prewarm', 'artifact', 'coverage', 'module-graph-entry', 'benchmark-read', 'benchmark-write'])
    for (const [name, rule] of Object.entries(RPC_METHODS)) expect(checks.has(rule.check), name).toBe(true)
    expect(methodRule('hasOwnProperty')).toBeUndefined()
    expect(methodRule('fetch')?.check).toBe('module')
  })
})

describe('module ids that name the canary are refused', () => {
  const routes: Array<[string, () => [string, string | null]]> = [
    ['absolute path', () => [canary, importer()]],
    ['absolute path without importer', () => [canary, null]],
    ['/@fs/ + ?raw', () => [`/@fs${canary}?raw`, importer()]],
    ['?url', () => [`/@fs${canary}?url`, importer()]],
    ['?inline', () => [`/@fs${canary}?inline`, importer()]],
    ['?worker', () => [`/@fs${canary}?worker&url`, importer()]],
    ['?import&raw', () => [`${canary}?import&raw`, importer()]],
    ['#hash', () => [`${canary}#x`, importer()]],
    ['importActual query', () => [`/@fs${canary}?_vitest_original`, importer()]],
    ['file:// URL', () => [`${pathToFileURL(canary).href}?raw`, importer()]],
    ['file:// URL with ..', () => [`file://${proj}/../secret/secret.txt`, importer()]],
    ['file:// URL, percent-encoded', () => [`file://${path.dirname(canary)}/secre%74.txt?raw`, importer()]],
    ['/@fs/ with ..', () => [`/@fs${proj}/../secret/secret.txt?raw`, importer()]],
    ['/@fs/ percent-encoded', () => [`/@fs${path.dirname(canary)}/secre%74.txt`, importer()]],
    ['/@fs/ encoded ..', () => [`/@fs${proj}/%2e%2e/secret/secret.txt`, importer()]],
    ['/@fs/ encoded slashes', () => [`/@fs${proj}/..%2f..%2fsecret%2fsecret.txt`.replace(proj, proj + '/src'), importer()]],
    ['query hiding ..', () => [`/@fs${proj}/src/a.ts?/../../../secret/secret.txt`, importer()]],
    ['backslashes', () => [`/@fs${proj}/src\\..\\..\\secret\\secret.txt`, importer()]],
    ['root-relative with ..', () => ['/../secret/secret.txt?raw', importer()]],
    ['/@id/ wrapping an absolute path', () => [`/@id/${canary}`, importer()]],
    ['/@id/ wrapping a relative path', () => ['/@id/../secret/secret.txt', importer()]],
    ['/@id/ virtual prefix hiding ..', () => ['/@id/__x00__/../../../secret/secret.txt', importer()]],
    ['relative from the importer', () => ['../../secret/secret.txt?raw', importer()]],
    ['relative without importer', () => ['../secret/secret.txt', null]],
    ['relative from a missing importer (both bases)', () => ['../secret/secret.txt', path.join(proj, 'nope/x.ts')]],
    ['symlink to a file', () => [`/@fs${proj}/link-out?raw`, importer()]],
    ['root-relative through a symlinked dir', () => ['/dirlink/secret.txt?raw', importer()]],
    ['bare specifier with ..', () => ['pkg/../../../secret/secret.txt', importer()]],
    ['bare specifier with encoded ..', () => ['pkg/%2e%2e/%2e%2e/%2e%2e/secret/secret.txt', importer()]],
    ['bare specifier from an outside importer', () => ['pkg', path.join(tmp, 'secret/data.json')]],
    ['NUL byte', () => [`/@fs${proj}/src/a.ts\0${canary}`, importer()]],
  ]

  for (const [name, args] of routes) {
    test(`fetch: ${name}`, () => {
      const [id, from] = args()
      const refusal = refusalOf(fw.inspect(call('fetch', id, from, 'ssr', { cached: false }, null)))
      expect(refusal).toMatch(/^vitest-pool-nsjail: the sandbox refused fetch\(/)
    })
    test(`resolve: ${name}`, () => {
      const [id, from] = args()
      expect(fw.inspect(call('resolve', id, from, 'ssr')).pass).toBe(false)
    })
  }

  test('the refusal names the method, the path, and the option that allows it', () => {
    const refusal = refusalOf(fw.inspect(call('fetch', `/@fs${canary}?raw`, importer(), 'ssr')))
    expect(refusal).toBe(
      `vitest-pool-nsjail: the sandbox refused fetch(${JSON.stringify(`/@fs${canary}?raw`)}): the path ${canary} is outside what this test file may read. ` +
        `Allow it with fs.readonly: [${JSON.stringify(canary)}] (or a rule for this file).`,
    )
    const link = refusalOf(fw.inspect(call('fetch', `/@fs${proj}/link-out`, importer(), 'ssr')))
    expect(link).toContain(`leads (through a symlink) to ${canary}`)
    const named = createFirewall(access, { files: ['test/x.test.ts'] })
    expect(refusalOf(named.inspect(call('fetch', canary, null, 'ssr')))).toContain('(or a rule in `rules` matching test/x.test.ts)')
  })

  test('transform (vm pools) and ensureModuleGraphEntry', () => {
    expect(fw.inspect(call('transform', pathToFileURL(canary).href)).pass).toBe(false)
    const v = fw.inspect(call('ensureModuleGraphEntry', pathToFileURL(canary).href, pathToFileURL(importer()).href))
    expect(v.pass).toBe(false)
    // answered harmlessly: Vitest's native loader does not expect this call to fail
    expect(!v.pass && v.quiet).toBe(true)
    expect(!v.pass && (v.reply as { r?: unknown; e?: unknown }).e).toBeUndefined()
    expect(fw.inspect(call('ensureModuleGraphEntry', pathToFileURL(path.join(proj, 'src/a.ts')).href, pathToFileURL(importer()).href)).pass).toBe(true)
    expect(fw.inspect(call('ensureModuleGraphEntry', 'node:fs', pathToFileURL(importer()).href)).pass).toBe(true)
  })
})

describe('the same routes to files inside pass', () => {
  const routes: Array<[string, () => [string, string | null]]> = [
    ['root-relative (what the module runner sends)', () => ['/src/a.ts', importer()]],
    ['root-relative, extensionless', () => ['/src/a', importer()]],
    ['root-relative ?raw', () => ['/fixture.txt?raw', importer()]],
    ['absolute path in the root', () => [importer(), null]],
    ['/@fs/ + ?raw', () => [`/@fs${proj}/fixture.txt?raw`, importer()]],
    ['?import&raw#x', () => [`/@fs${proj}/fixture.txt?import&raw#x`, importer()]],
    ['file:// URL', () => [`${pathToFileURL(path.join(proj, 'fixture.txt')).href}?raw`, importer()]],
    ['relative from the importer', () => ['../src/a.ts', importer()]],
    ['relative, no importer', () => ['./src/a.ts', null]],
    ['bare specifier', () => ['pkg', importer()]],
    ['scoped bare specifier', () => ['@scope/pkg/sub?x', importer()]],
    ['builtin', () => ['node:fs', importer()]],
    ['virtual \\0 id', () => ['\0virtual:thing', importer()]],
    ['virtual: id', () => ['virtual:thing', importer()]],
    ['/@id/ virtual', () => ['/@id/__x00__virtual:thing', importer()]],
    ['/@vite/client', () => ['/@vite/client', null]],
    ['data: URL', () => ['data:text/javascript,export default 1', importer()]],
    ['https URL', () => ['https://example.com/x.js', importer()]],
    ['vi.mock of a path that exists nowhere', () => ['/virtual/not/here', importer()]],
    ['node_modules file', () => [`/@fs${proj}/node_modules/pkg/index.js`, importer()]],
  ]
  for (const [name, args] of routes) {
    test(`fetch + resolve: ${name}`, () => {
      const [id, from] = args()
      expect(fw.inspect(call('fetch', id, from, 'ssr', { cached: false }, null))).toEqual({ pass: true })
      expect(fw.inspect(call('resolve', id, from, 'ssr'))).toEqual({ pass: true })
    })
  }

  test('writable paths are readable', () => {
    writeFileSync(path.join(out, 'gen.js'), '')
    expect(fw.inspect(call('fetch', `/@fs${out}/gen.js`, importer(), 'ssr'))).toEqual({ pass: true })
  })
})

describe('paths hidden inside the readable set (credential files) are refused by every route', () => {
  let hiding: Firewall
  beforeAll(() => {
    mkdirSync(path.join(proj, '.aws'), { recursive: true })
    writeFileSync(path.join(proj, '.aws/credentials'), 'AWS')
    writeFileSync(path.join(proj, '.npmrc'), 'NPM')
    symlinkSync('.npmrc', path.join(proj, 'npmrc-link'))
    hiding = createFirewall({ ...access, hidden: [path.join(proj, '.npmrc'), path.join(proj, '.aws'), path.join(proj, '.git/config')] })
  })

  test.each([
    ['root-relative ?raw', '/.npmrc?raw'],
    ['/@fs/', '/@fs__PROJ__/.git/config?raw'],
    ['file:// URL', 'file://__PROJ__/.npmrc?raw'],
    ['a symlink to it', '__PROJ__/npmrc-link?raw'],
    ['inside a hidden folder', '__PROJ__/.aws/credentials?raw'],
    ['.. and percent-encoding', '__PROJ__/src/..%2F.npmrc?raw'],
  ])('%s', (_, id) => {
    const v = hiding.inspect(call('fetch', id.replace('__PROJ__', proj), importer(), 'ssr'))
    expect(refusalOf(v)).toContain('is hidden from the sandbox (a credential file, or fs.hide). Show it with fs.readonly: [')
  })

  test('the refusal names the hidden path itself to show it; canRead agrees; the rest of the project stays readable', () => {
    expect(refusalOf(hiding.inspect(call('fetch', `${proj}/.aws/credentials?raw`, importer(), 'ssr'))))
      .toContain(`Show it with fs.readonly: [${JSON.stringify(path.join(proj, '.aws'))}] (or a rule for this file).`)
    expect(hiding.canRead(path.join(proj, '.npmrc'))).toBe(false)
    expect(hiding.hostMayOpen(path.join(proj, '.git/config'))).toBe(false)
    expect(hiding.canRead(path.join(proj, '.awsx'))).toBe(true)
    expect(hiding.inspect(call('fetch', '/fixture.txt?raw', importer(), 'ssr'))).toEqual({ pass: true })
    // Without the hidden list (today's firewall), the same file is served.
    expect(fw.inspect(call('fetch', '/.npmrc?raw', importer(), 'ssr'))).toEqual({ pass: true })
  })
})

describe('symlinks under writable roots are re-checked every time', () => {
  test('a checked file swapped for a symlink is refused', () => {
    const file = path.join(out, 'swap.txt')
    writeFileSync(file, 'ok')
    expect(fw.inspect(call('fetch', `/@fs${file}?raw`, importer(), 'ssr')).pass).toBe(true)
    unlinkSync(file)
    symlinkSync(canary, file)
    expect(fw.inspect(call('fetch', `/@fs${file}?raw`, importer(), 'ssr')).pass).toBe(false)
  })

  test('a path that does not exist yet is judged by its nearest existing parent', () => {
    expect(fw.canRead(path.join(proj, 'not/yet/there.ts'))).toBe(true)
    expect(fw.canRead(path.join(proj, 'dirlink/not/yet'))).toBe(false)
    expect(fw.canRead(path.join(tmp, 'secret/nope'))).toBe(false)
    expect(fw.canRead(`${proj}x/a`)).toBe(false)
    // Under a file (ENOTDIR): judged by the file's real path, inside the project or outside it, also
    // through a link in the project to a file outside.
    expect(fw.canRead(path.join(canary, 'below'))).toBe(false)
    expect(fw.canRead(path.join(proj, 'link-out', 'below'))).toBe(false)
    expect(fw.canRead(path.join(proj, 'fixture.txt', 'below'))).toBe(true)
  })
})

/** The pool's side of the calls the firewall hands over (src/channel/host-calls.ts): recorded here. */
function recordingHost(): HostCalls & { calls: unknown[][] } {
  const calls: unknown[][] = []
  return {
    calls,
    readBenchmark: (p) => (calls.push(['read', p]), p === 'fail' ? (() => { throw new Error('refused by the pool') })() : { read: p }),
    writeBenchmark: (p, d) => void calls.push(['write', p, d]),
    copyAttachment: (p) => (calls.push(['attachment', p]), `/run/copy/${path.basename(p)}`),
    coverageFile: (p) => {
      calls.push(['coverage', p])
      if (p !== '/cov/.tmp/coverage-1.json') throw new Error('vitest-pool-nsjail: the sandbox refused onAfterSuiteRun: not its file')
      return '/cov/.tmp/coverage-nsjail-copy.json'
    },
  }
}

describe('other methods that make the main process read', () => {
  test('attachments are copied by the main process: their paths must be readable', () => {
    const artifact = (p: string) => ({ type: 'x', attachments: [{ path: p }] })
    expect(fw.inspect(call('onTaskArtifactRecord', 't1', artifact(canary))).pass).toBe(false)
    expect(fw.inspect(call('onTaskArtifactRecord', 't1', artifact('../secret/secret.txt'))).pass).toBe(false)
    expect(fw.inspect(call('onTaskArtifactRecord', 't1', artifact('link-out'))).pass).toBe(false)
    const annotation = { type: 'internal:annotation', annotation: { message: 'm', attachment: { path: canary } } }
    expect(refusalOf(fw.inspect(call('onTaskArtifactRecord', 't1', annotation)))).toContain('onTaskArtifactRecord(attachment')
    expect(fw.inspect(call('onTaskArtifactRecord', 't1', artifact('./fixture.txt')))).toEqual({ pass: true })
    expect(fw.inspect(call('onTaskArtifactRecord', 't1', artifact('https://example.com/a.png')))).toEqual({ pass: true })
    expect(fw.inspect(call('onTaskArtifactRecord', 't1', { type: 'internal:annotation', annotation: { message: 'plain' } })).pass).toBe(true)
    expect(fw.inspect(call('onTaskArtifactRecord', 't1', { type: 'x', attachments: [{ body: 'aGk=' }] })).pass).toBe(true)
  })

  test('an attachment in a writable folder is copied by the pool, and the main process gets the copy', () => {
    const host = recordingHost()
    const f = createFirewall(access, { host })
    const q = call('onTaskArtifactRecord', 't1', { type: 'x', attachments: [{ path: path.join(out, 'shot.png') }, { path: './fixture.txt' }] })
    const v = f.inspect(q)
    expect(v).toEqual({ pass: true, message: { ...q, a: ['t1', { type: 'x', attachments: [{ path: '/run/copy/shot.png' }, { path: './fixture.txt' }] }] } })
    const annotation = call('onTaskArtifactRecord', 't1', { type: 'internal:annotation', annotation: { message: 'm', attachment: { path: path.join(out, 'a.txt') } } })
    expect((f.inspect(annotation) as { message: { a: [unknown, { annotation: { attachment: { path: string } } }] } }).message.a[1].annotation.attachment.path).toBe('/run/copy/a.txt')
    expect(host.calls).toEqual([['attachment', path.join(out, 'shot.png')], ['attachment', path.join(out, 'a.txt')]])
    // Reaching the writable folder through a symlink of the project: no copy can be race-free, refused.
    symlinkSync(out, path.join(proj, 'to-out'))
    writeFileSync(path.join(out, 'b.txt'), 'b')
    expect(refusalOf(f.inspect(call('onTaskArtifactRecord', 't1', { type: 'x', attachments: [{ path: 'to-out/b.txt' }] })))).toMatch(/leads through a symlink into the writable folder .*name the file by its path there/)
    unlinkSync(path.join(proj, 'to-out'))
  })

  test('coverage: 5.x file path and 4.1 payloads', () => {
    const meta = (coverage: unknown) => ({ coverage, testFiles: ['test/x.test.ts'], environment: 'ssr', projectName: '' })
    expect(fw.inspect(call('onAfterSuiteRun', meta(path.join(tmp, 'secret/data.json')))).pass).toBe(false)
    expect(fw.inspect(call('onAfterSuiteRun', meta('coverage/.tmp/x.json'))).pass).toBe(false)
    expect(fw.inspect(call('onAfterSuiteRun', meta(path.join(out, 'coverage-1.json')))).pass).toBe(true)
    const v8Result = (url: string) => meta({ result: [{ url: 'node:internal/x' }, { url: pathToFileURL(path.join(proj, 'src/a.ts')).href }, { url }] })
    expect(fw.inspect(call('onAfterSuiteRun', v8Result(pathToFileURL(canary).href))).pass).toBe(false)
    // a file only the sandbox has (its private /tmp): nothing on the host to read
    expect(fw.inspect(call('onAfterSuiteRun', v8Result(pathToFileURL(path.join(tmp, 'sandbox-only.mjs')).href))).pass).toBe(true)
    expect(fw.inspect(call('onAfterSuiteRun', meta({ [canary]: { path: canary } }))).pass).toBe(false)
    expect(fw.inspect(call('onAfterSuiteRun', meta({ [path.join(proj, 'src/a.ts')]: { path: path.join(proj, 'src/a.ts') } }))).pass).toBe(true)
    expect(fw.inspect(call('onAfterSuiteRun', meta(undefined))).pass).toBe(true)
  })

  test('a FIFO the sandbox may read is still never read by the host for it', () => {
    execFileSync('mkfifo', [path.join(proj, 'src/pipe.ts')])
    try {
      for (const id of ['/src/pipe.ts', `/@fs${proj}/src/pipe.ts`, pathToFileURL(path.join(proj, 'src/pipe.ts')).href, '../src/pipe.ts?raw']) {
        expect(refusalOf(fw.inspect(call('fetch', id, importer(), 'ssr', {})))).toMatch(/pipe\.ts is not a regular file or a folder/)
      }
    } finally {
      unlinkSync(path.join(proj, 'src/pipe.ts'))
    }
  })

  test('coverage (4.1): an entry in a writable folder is left out (it could become a FIFO before the report reads it); a FIFO is refused', () => {
    const meta = (coverage: unknown) => ({ coverage, testFiles: ['test/x.test.ts'], environment: 'ssr', projectName: '' })
    const own = { url: pathToFileURL(path.join(proj, 'src/a.ts')).href }
    writeFileSync(path.join(out, 'generated.js'), '')
    const q = call('onAfterSuiteRun', meta({ result: [own, { url: pathToFileURL(path.join(out, 'generated.js')).href }] }))
    expect(fw.inspect(q)).toEqual({ pass: true, message: { ...q, a: [meta({ result: [own] })] } })
    const istanbul = call('onAfterSuiteRun', meta({ [path.join(out, 'generated.js')]: {}, [path.join(proj, 'src/a.ts')]: {} }))
    expect(fw.inspect(istanbul)).toEqual({ pass: true, message: { ...istanbul, a: [meta({ [path.join(proj, 'src/a.ts')]: {} })] } })
    execFileSync('mkfifo', [path.join(proj, 'src/fifo.js')])
    try {
      expect(refusalOf(fw.inspect(call('onAfterSuiteRun', meta({ result: [{ url: pathToFileURL(path.join(proj, 'src/fifo.js')).href }] }))))).toMatch(/fifo\.js"\): it is not a regular file/)
    } finally {
      unlinkSync(path.join(proj, 'src/fifo.js'))
    }
  })

  test('5.x coverage files are copied out of the sandbox by the pool: Vitest is handed the copy', () => {
    const meta = (coverage: unknown) => ({ coverage, testFiles: ['test/x.test.ts'], environment: 'ssr', projectName: '' })
    const f = createFirewall(access, { host: recordingHost() })
    const q = call('onAfterSuiteRun', meta('/cov/.tmp/coverage-1.json'))
    expect(f.inspect(q)).toEqual({ pass: true, message: { ...q, a: [meta('/cov/.tmp/coverage-nsjail-copy.json')] } })
    expect(refusalOf(f.inspect(call('onAfterSuiteRun', meta(path.join(out, 'coverage-1.json')))))).toContain('not its file')
  })

  test('5.x benchmarks: answered by the pool, which refuses what it will not do', () => {
    const host = recordingHost()
    const f = createFirewall(access, { host })
    const read = call('readBenchmarkResult', 'bench/base.json')
    expect(f.inspect(read)).toMatchObject({ pass: false, reply: { t: 's', i: read.i, r: { read: 'bench/base.json' } }, quiet: true })
    const write = call('writeBenchmarkResult', 'bench/base.json', { latency: 1 })
    expect(f.inspect(write)).toMatchObject({ pass: false, reply: { t: 's', i: write.i, r: undefined }, quiet: true })
    expect(host.calls).toEqual([['read', 'bench/base.json'], ['write', 'bench/base.json', { latency: 1 }]])
    const failed = f.inspect(call('readBenchmarkResult', 'fail'))
    expect(refusalOf(failed)).toBe('refused by the pool')
    expect((failed as { reply: { e: Error } }).reply.e.message).toBe('refused by the pool')
    // Without the pool's side (a firewall on its own), nothing is read or written for the worker.
    expect(refusalOf(fw.inspect(call('writeBenchmarkResult', 'bench/base.json', {})))).toContain('the pool does not serve this call here')
  })

  test('5.x warm modules: prewarming is refused quietly while tmp copies are readable', () => {
    const v = fw.inspect(call('prewarmModuleGraph', 'ssr', [importer()]))
    expect(v.pass).toBe(false)
    expect(!v.pass && v.quiet).toBe(true)
    const noTmp = createFirewall(access, { tmpCopies: false })
    expect(noTmp.inspect(call('prewarmModuleGraph', 'ssr', [importer()])).pass).toBe(true)
    expect(noTmp.inspect(call('prewarmModuleGraph', 'ssr', [canary])).pass).toBe(false)
    expect(fw.inspect(call('fetchWarmModules', 'ssr', [importer()])).pass).toBe(true)
    expect(fw.inspect(call('fetchWarmModules', 'ssr', [canary])).pass).toBe(false)
    expect(fw.inspect(call('fetchWarmModules', 'ssr', 'x')).pass).toBe(false)
  })
})

describe('answers from the main process', () => {
  test('a bare specifier that resolved outside: the code never reaches the worker', () => {
    const f = createFirewall(access)
    const q = call('fetch', 'evil-pkg', importer(), 'ssr', {}, null)
    expect(f.inspect(q).pass).toBe(true)
    const answer = { t: 's', i: q.i, r: { code: 'export default "CANARY"', file: canary, id: canary, url: `/@fs${canary}` } }
    const v = f.inspect(q) // the same id again is refused
    expect(v.pass).toBe(false)
    const r = f.inspectReply(answer)
    expect(refusalOf(r)).toContain(`fetch("evil-pkg"): it resolves to ${canary}`)
    expect(!r.pass && (r.reply as { e: Error }).e.message).toBe(!r.pass && r.refusal)
    // answered once: a second answer with that id is not ours to judge
    expect(f.inspectReply(answer).pass).toBe(true)
  })

  test('tmp-copy, resolve and externalized answers', () => {
    const f = createFirewall(access)
    const q1 = call('fetch', 'evil-pkg', importer(), 'ssr')
    f.inspect(q1)
    expect(f.inspectReply({ t: 's', i: q1.i, r: { cached: true, tmp: '/tmp/x', file: canary, id: canary } }).pass).toBe(false)
    const q2 = call('fetch', 'pkg', importer(), 'ssr')
    f.inspect(q2)
    expect(f.inspectReply({ t: 's', i: q2.i, r: { externalize: canary, type: 'module' } }).pass).toBe(true)
    const q3 = call('resolve', 'evil-pkg', importer(), 'ssr')
    f.inspect(q3)
    expect(f.inspectReply({ t: 's', i: q3.i, r: { file: canary, url: `/@fs${canary}`, id: canary } }).pass).toBe(false)
    const q4 = call('resolve', 'pkg', importer(), 'ssr')
    f.inspect(q4)
    expect(f.inspectReply({ t: 's', i: q4.i, r: { file: path.join(proj, 'node_modules/pkg/index.js'), url: '/node_modules/pkg/index.js', id: path.join(proj, 'node_modules/pkg/index.js') } }).pass).toBe(true)
    const q5 = call('resolve', '/virtual/x', importer(), 'ssr')
    f.inspect(q5)
    expect(f.inspectReply({ t: 's', i: q5.i, r: null }).pass).toBe(true)
    expect(f.inspectReply({ __vitest_worker_request__: true, type: 'run' }).pass).toBe(true)
  })

  test('fetchWarmModules answers lose the entries outside', () => {
    const f = createFirewall(access)
    const q = call('fetchWarmModules', 'ssr', [importer()])
    f.inspect(q)
    const inside = { cached: true, file: path.join(proj, 'src/a.ts'), id: path.join(proj, 'src/a.ts'), tmp: '/tmp/a' }
    const v = f.inspectReply({ t: 's', i: q.i, r: { '/src/a.ts': inside, [`/@fs${canary}`]: { cached: true, file: canary, id: canary, tmp: '/tmp/b' } } })
    expect(v.pass).toBe(false)
    expect(!v.pass && v.quiet).toBe(true)
    expect(!v.pass && (v.reply as { r: unknown }).r).toEqual({ '/src/a.ts': inside })
  })
})
