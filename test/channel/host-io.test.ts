/**
 * The pool's host-side file work for a sandbox, on real folders: the RPC calls it answers itself
 * (Vitest 5 benchmark results, attachment copies), the private coverage folders and their copies,
 * and the run directory they live in (0700, reaped after a crash, never through a planted link).
 */
import { execFileSync, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test, onTestFinished } from 'vitest'
import { BaseDirs } from '../../src/channel/base-dirs.js'
import { privateCoverageFiles } from '../../src/channel/coverage-files.js'
import { createHostCalls } from '../../src/channel/host-calls.js'
import { vitestFileMatcher } from '../../src/channel/file-targets.js'
import { ByteBudget } from '../../src/channel/budgets.js'
import { hostFs } from '../../src/hostfs/beneath.js'
import { parentDirProblem, runDir } from '../../src/hostfs/run-dir.js'
import { ROOT } from '../seccomp/sandbox.js'

let tmp: string
let root: string
let out: string
let outside: string

beforeAll(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'nsjail-host-io-')))
  root = path.join(tmp, 'project')
  out = path.join(tmp, 'out')
  outside = path.join(tmp, 'outside')
  for (const dir of [path.join(root, 'bench'), out, outside]) fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(root, 'bench/base.json'), '{"latency":1}')
  fs.writeFileSync(path.join(outside, 'secret.json'), '{"secret":true}')
  fs.symlinkSync(outside, path.join(root, 'bench/link'))
  fs.writeFileSync(path.join(out, 'shot.png'), 'PNG')
  fs.symlinkSync(path.join(outside, 'secret.json'), path.join(out, 'link.png'))
})

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }))

function calls(budget = 1024) {
  const dirs = new BaseDirs(hostFs())
  const scope = { root, writable: [out], vitestFile: vitestFileMatcher({ globs: [], files: new Map() }) }
  return { dirs, host: createHostCalls({ dirs, scope, budget: new ByteBudget(budget, 'snapshot, benchmark and attachment writes', 'limits.hostWrites'), coverage: null }) }
}

const thrown = (f: () => unknown) => {
  try {
    f()
  } catch (error) {
    return (error as Error).message
  }
  return 'no error'
}

describe('Vitest 5 benchmark results, answered by the pool', () => {
  test('read: JSON beneath the root; null when missing; never through a symlink or out of the root', () => {
    const { host, dirs } = calls()
    expect(host.readBenchmark('bench/base.json')).toEqual({ latency: 1 })
    expect(host.readBenchmark(path.join(root, 'bench/base.json'))).toEqual({ latency: 1 })
    expect(host.readBenchmark('bench/missing.json')).toBeNull()
    expect(thrown(() => host.readBenchmark('bench/link/secret.json'))).toMatch(/refused readBenchmarkResult\("bench\/link\/secret.json"\): bench\/link\/secret.json: a path component is a symbolic link/)
    expect(thrown(() => host.readBenchmark('../outside/secret.json'))).toMatch(/outside the project root/)
    dirs.close()
  })

  test("write: Vitest's format, the toMatchFileSnapshot target rules, the budget", () => {
    const { host, dirs } = calls(64)
    host.writeBenchmark('bench/results/new.json', { latency: 2 })
    expect(fs.readFileSync(path.join(root, 'bench/results/new.json'), 'utf8')).toBe('{\n  "latency": 2\n}\n')
    expect(thrown(() => host.writeBenchmark('bench/.npmrc', {}))).toMatch(/`\.npmrc` is a dot-file/)
    expect(thrown(() => host.writeBenchmark('bench/package.json', {}))).toMatch(/package manifest/)
    expect(thrown(() => host.writeBenchmark('bench/link/x.json', {}))).toMatch(/symbolic link/)
    expect(thrown(() => host.writeBenchmark('bench/big.json', { pad: 'x'.repeat(100) }))).toMatch(/more would exceed this sandbox's budget for snapshot, benchmark and attachment writes \(64 B, limits\.hostWrites; 22 B used already\)/)
    expect(fs.readdirSync(outside)).toEqual(['secret.json'])
    dirs.close()
  })
})

test('attachments in a writable folder: copied by the pool, never through a symlink', () => {
  const { host, dirs } = calls()
  const copy = host.copyAttachment(path.join(out, 'shot.png'))
  expect(path.basename(copy)).toBe('shot.png')
  expect(fs.readFileSync(copy, 'utf8')).toBe('PNG')
  expect(copy.startsWith(runDir().path)).toBe(true)
  expect(thrown(() => host.copyAttachment(path.join(out, 'link.png')))).toMatch(/out of|symbolic link/)
  expect(thrown(() => host.copyAttachment(path.join(root, 'bench/base.json')))).toMatch(/not in a writable folder/)
  host.close()
  expect(fs.existsSync(copy)).toBe(false)
  dirs.close()
})

describe('private coverage folders', () => {
  test('a reported file is copied into the real folder; symlinks, other folders and the budget refused', () => {
    const real = path.join(tmp, 'coverage/.tmp')
    fs.mkdirSync(real, { recursive: true })
    const owner = process.getuid!() === 0 ? { uid: 65534, gid: 65534 } : undefined
    const coverage = privateCoverageFiles(real, owner, hostFs(), new ByteBudget(32, 'coverage files', 'limits.coverage'))
    const own = coverage.mount.src
    expect(coverage.mount.dest).toBe(real)
    expect(fs.statSync(own).mode & 0o777).toBe(0o700)
    if (owner) expect(fs.statSync(own).uid).toBe(65534)
    fs.writeFileSync(path.join(own, 'coverage-1.json'), '{"result":[]}')
    const copy = coverage.copy(path.join(real, 'coverage-1.json'))
    expect(path.dirname(copy)).toBe(real)
    expect(fs.readFileSync(copy, 'utf8')).toBe('{"result":[]}')
    fs.symlinkSync(path.join(outside, 'secret.json'), path.join(own, 'coverage-2.json'))
    expect(thrown(() => coverage.copy(path.join(real, 'coverage-2.json')))).toMatch(/refused onAfterSuiteRun\(.*\): coverage-2\.json: a path component is a symbolic link/)
    expect(thrown(() => coverage.copy(path.join(outside, 'secret.json')))).toMatch(/must be directly in this sandbox's coverage folder/)
    expect(thrown(() => coverage.copy(path.join(real, 'sub/coverage-3.json')))).toMatch(/must be directly in/)
    fs.writeFileSync(path.join(own, 'coverage-4.json'), `{"result":[${'0,'.repeat(20)}0]}`)
    expect(thrown(() => coverage.copy(path.join(real, 'coverage-4.json')))).toMatch(/larger than what is left of this sandbox's budget for coverage files \(32 B, limits\.coverage; 13 B used already\)/)
    expect(fs.readdirSync(real)).toEqual([path.basename(copy)])
    coverage.remove()
    expect(fs.existsSync(own)).toBe(false)
  })
})

describe('the run directory', () => {
  test("0700, this user's, named for this process", () => {
    const run = runDir()
    expect(fs.statSync(run.path).mode & 0o777).toBe(0o700)
    expect(fs.statSync(path.dirname(run.path)).mode & 0o777).toBe(0o700)
    expect(path.basename(run.path)).toMatch(new RegExp(`^run-${process.pid}-\\d+-\\d+-[0-9a-f]+$`))
  })

  test('a parent folder that is not ours alone is refused', () => {
    expect(parentDirProblem({ uid: 1234, mode: 0o40700 }, 0)).toMatch(/belongs to uid 1234/)
    expect(parentDirProblem({ uid: 0, mode: 0o40755 }, 0)).toMatch(/mode is 755, open to other users/)
    expect(parentDirProblem({ uid: 0, mode: 0o40700 }, 0)).toBeNull()
  })

  /**
   * A TMPDIR for one test: short, since a longer one makes the run directory move to /tmp (the relay's
   * socket paths below it must fit the kernel's 107 bytes).
   */
  function tmpdirForTest(): string {
    const dir = fs.mkdtempSync('/tmp/')
    onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }))
    return dir
  }

  /** A fresh process using the run directory under `tmpdir`: what it printed, or its error. */
  function inProcess(tmpdir: string): string {
    const script = `import(${JSON.stringify(path.join(ROOT, 'dist/hostfs/run-dir.js'))}).then((m) => console.log(m.runDir().path), (e) => console.log(e.message))`
    const r = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, TMPDIR: tmpdir }, encoding: 'utf8' })
    return `${r.stdout}${r.stderr}`.trim()
  }

  test("directories of runs whose process is gone are reaped; a live run's are kept; its own goes at exit", () => {
    const tmpdir = tmpdirForTest()
    const parent = path.join(tmpdir, `vitest-pool-nsjail-${process.getuid!()}`)
    fs.mkdirSync(parent, { mode: 0o700 })
    const pidNs = /\[(\d+)\]/.exec(fs.readlinkSync('/proc/self/ns/pid'))![1]
    const gone = spawnSync('true').pid
    const selfStart = fs.readFileSync('/proc/self/stat', 'utf8').slice(fs.readFileSync('/proc/self/stat', 'utf8').lastIndexOf(')') + 2).split(' ')[19]
    fs.mkdirSync(path.join(parent, `run-${gone}-123-${pidNs}-dead`))
    fs.writeFileSync(path.join(parent, `run-${gone}-123-${pidNs}-dead/left.json`), '{}')
    fs.mkdirSync(path.join(parent, `run-${process.pid}-${selfStart}-${pidNs}-live`))
    const made = inProcess(tmpdir)
    expect(made.startsWith(parent)).toBe(true)
    expect(fs.readdirSync(parent).sort()).toEqual([`run-${process.pid}-${selfStart}-${pidNs}-live`])
  })

  test('a parent folder planted as a symlink, or left open to others, is not used', () => {
    const planted = tmpdirForTest()
    fs.symlinkSync(outside, path.join(planted, `vitest-pool-nsjail-${process.getuid!()}`))
    expect(inProcess(planted)).toMatch(/a path component is a symbolic link/)
    expect(fs.readdirSync(outside)).toEqual(['secret.json'])
    const open = tmpdirForTest()
    fs.mkdirSync(path.join(open, `vitest-pool-nsjail-${process.getuid!()}`), { mode: 0o755 })
    execFileSync('chmod', ['755', path.join(open, `vitest-pool-nsjail-${process.getuid!()}`)])
    expect(inProcess(open)).toMatch(/will not use .*: its mode is 755, open to other users \(0700 expected\)\. Remove it\./)
  })
})
