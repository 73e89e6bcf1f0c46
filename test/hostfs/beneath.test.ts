/**
 * src/hostfs against the real kernel: every way a sandbox can stage a folder (directory symlinks,
 * symlinks to files, dangling symlinks, hard links, FIFOs, `..`) with both ways of resolving
 * directories — openat2, and the O_NOFOLLOW walk used where openat2 answers ENOSYS (checked in a
 * process whose seccomp filter makes it do so) — and a symlink swapped in while the host works.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, test } from 'vitest'
import { hostFs, HostFsError } from '../../src/hostfs/beneath.js'
import { compileSeccomp, validateSeccompOption } from '../../src/seccomp/index.js'
import type { SeccompPolicy } from '../../src/seccomp/types.js'
import { bwrapWorks, cleanEnv, ROOT, runSandboxed } from '../seccomp/sandbox.js'
import { EXPECTED, runScenarios } from './scenarios.mjs'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const dirs: string[] = []
const children: ChildProcess[] = []
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL')
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
})

/** A fresh directory under the checkout (visible in the seccomp test's sandbox, which hides /tmp). */
function scratch(name: string): string {
  const parent = path.join(ROOT, '.fixtures-tmp')
  fs.mkdirSync(parent, { recursive: true })
  const dir = fs.mkdtempSync(path.join(parent, `hostfs-${name}-`))
  dirs.push(dir)
  return dir
}

function pair(name: string): { inside: string; outside: string } {
  const root = scratch(name)
  const inside = path.join(root, 'writable')
  const outside = path.join(root, 'outside')
  fs.mkdirSync(inside)
  fs.mkdirSync(outside)
  return { inside, outside }
}

describe.each([
  { strategy: 'openat2', options: {} },
  { strategy: 'walk', options: { openat2: false } },
] as const)('$strategy', ({ strategy, options }) => {
  test('this kernel has openat2, and the walk can be forced', () => {
    expect(hostFs(options).strategy).toBe(strategy)
  })

  test('no symlink followed, no FIFO opened for long, no second hard link rewritten, nothing outside reached', () => {
    const { inside, outside } = pair(strategy)
    const { results, outsideTouched } = runScenarios(hostFs(options), inside, outside)
    expect(results).toEqual(EXPECTED)
    expect(outsideTouched).toEqual([])
    expect(fs.readFileSync(path.join(inside, 'dir/file.txt'), 'utf8')).toBe('inside')
  })

  test('makeDir: 0700, and owned by whom it is given to (fchown on the fd it opened)', () => {
    const { inside } = pair(`${strategy}-own`)
    const fsops = hostFs(options)
    const base = fsops.openBase(inside)
    const owner = process.getuid!() === 0 ? { uid: 65534, gid: 65534 } : undefined
    const made = fsops.makeDir(base, 'private', owner)
    const stat = fs.statSync(path.join(inside, 'private'))
    expect(stat.mode & 0o777).toBe(0o700)
    if (owner) expect([stat.uid, stat.gid]).toEqual([65534, 65534])
    made.close()
    base.close()
  })
})

test('where openat2 answers ENOSYS, the walk takes over with the same answers', async () => {
  if (!bwrapWorks()) return
  const { inside, outside } = pair('enosys')
  const policy = validateSeccompOption({ extends: 'default', deny: [{ syscall: 'openat2', errno: 'ENOSYS' }] }, 'seccomp') as SeccompPolicy
  const result = await runSandboxed(
    compileSeccomp(policy),
    [process.execPath, path.join(HERE, 'enosys.mjs'), path.join(ROOT, 'dist/hostfs/beneath.js'), inside, outside],
    { binds: [path.dirname(inside)], env: cleanEnv() },
  )
  expect(result.code, result.stderr).toBe(0)
  expect(JSON.parse(result.stdout)).toEqual({ strategy: 'walk', results: EXPECTED, outsideTouched: [] })
})

/**
 * A sandbox process flipping `swap` between a real folder and a symlink out, as fast as it can,
 * while the host creates and reads files through `swap/`. A check-then-use (realpath, then the
 * path) is shown to escape in the same setup; hostfs never does.
 */
describe('a symlink swapped in while the host works', () => {
  const ITERATIONS = 20_000

  function race(name: string) {
    const { inside, outside } = pair(name)
    fs.mkdirSync(path.join(inside, 'real'))
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'SECRET')
    fs.writeFileSync(path.join(inside, 'real/secret.txt'), 'inside')
    const swapper = spawn(process.execPath, ['-e', `
      const fs = require('fs'); process.chdir(${JSON.stringify(inside)})
      const quiet = (f) => { try { f() } catch {} }
      process.stdout.write('ready\\n')
      for (;;) {
        quiet(() => fs.renameSync('real', 'swap')); quiet(() => fs.renameSync('swap', 'real'))
        quiet(() => fs.symlinkSync(${JSON.stringify(outside)}, 'swap')); quiet(() => fs.unlinkSync('swap'))
      }`], { stdio: ['ignore', 'pipe', 'inherit'] })
    children.push(swapper)
    const ready = new Promise((resolve) => swapper.stdout!.once('data', resolve))
    return { inside, outside, ready }
  }

  test('a naive check-then-write in the same setup does escape (the race is real)', async () => {
    const { inside, outside, ready } = race('naive')
    await ready
    let escaped = 0
    for (let i = 0; i < 20 * ITERATIONS && escaped === 0; i++) {
      const target = path.join(inside, 'swap', `n-${i}.txt`)
      try {
        if (!fs.realpathSync(path.dirname(target)).startsWith(inside)) continue
        fs.writeFileSync(target, 'x')
      } catch {
        continue
      }
      escaped = fs.readdirSync(outside).filter((f) => f.startsWith('n-')).length
    }
    expect(escaped).toBeGreaterThan(0)
  })

  for (const strategy of ['openat2', 'walk'] as const) {
    test(`hostfs (${strategy}): ${ITERATIONS} creates and reads, none outside`, async () => {
      const { inside, outside, ready } = race(strategy)
      const fsops = hostFs(strategy === 'walk' ? { openat2: false } : {})
      await ready
      const base = fsops.openBase(inside)
      const outcomes = new Map<string, number>()
      const count = (what: string) => outcomes.set(what, (outcomes.get(what) ?? 0) + 1)
      for (let i = 0; i < ITERATIONS; i++) {
        for (const op of [
          () => fsops.create(base, `swap/h-${i}.txt`, Buffer.from('x')),
          () => expect(fsops.read(base, 'swap/secret.txt', 100).toString()).toBe('inside'),
        ]) {
          try {
            op()
            count('ok')
          } catch (error) {
            if (!(error instanceof HostFsError)) throw error
            count(error.code)
          }
        }
      }
      base.close()
      expect(fs.readdirSync(outside)).toEqual(['secret.txt'])
      // Every outcome is one of: done inside, refused at the symlink (the walk may see it as "not a
      // directory" when it changes between its open and its look at what failed), or nothing there.
      expect([...outcomes.keys()].every((k) => ['ok', 'ELOOP', 'ENOTDIR', 'ENOENT'].includes(k)), JSON.stringify([...outcomes])).toBe(true)
      expect(outcomes.get('ELOOP'), JSON.stringify([...outcomes])).toBeGreaterThan(0)
    })
  }
})
