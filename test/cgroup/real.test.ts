/**
 * Real cgroups, real bwrap sandboxes: v1 on the development machine, v2 inside
 * scripts/cgroup-v2-check.sh's VM (as root and as an unprivileged user with a delegated cgroup).
 * Skipped, with the reason printed, where no writable cgroup exists.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import * as fs from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BASE_DIR_NAME, DEFAULT_LIMITS, enterCommand, openCgroups, type CgroupRun } from '../../src/cgroup/index.js'
import { parseOwnedDirName } from '../../src/cgroup/plan.js'
import type { Limits } from '../../src/cgroup/types.js'
import { compileCgroupModule, listTree, pidAlive, repo, run, waitFor } from './helpers.js'

const M = 2 ** 20
const probeWarnings: string[] = []
const probe = await openCgroups('auto', (message) => probeWarnings.push(message))
/** The cgroups our runs live under (v2: the namespace root or our delegated cgroup; v1: one per hierarchy). */
const roots = probe ? [...new Set(probe.dirs.map((dir) => dirname(dirname(dir))))] : []
const version = probe?.version
probe?.closeSync()
if (!probe) console.warn(`cgroup tests skipped: ${probeWarnings.join(' ')}`)

/** Processes whose runs the snapshots watch; runs of other processes (a concurrent Vitest) are ignored. */
const watched = new Set<number>([process.pid])

/** Every cgroup directory under our roots, except those belonging to runs of processes we do not watch. */
function snapshot(): string[] {
  return roots
    .flatMap((root) => listTree(root))
    .filter((dir) =>
      dir.split('/').every((segment) => {
        const owner = parseOwnedDirName(segment)
        return owner === null || watched.has(owner.pid)
      }),
    )
}

const BWRAP = ['bwrap', '--unshare-all', '--die-with-parent', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp', '--']

function limits(l: Partial<Limits>): Limits {
  return { ...DEFAULT_LIMITS, ...l }
}

describe.runIf(probe)(`real cgroups (v${version})`, () => {
  let cgroups: CgroupRun
  let before: string[]
  beforeAll(async () => {
    before = snapshot()
    const opened = await openCgroups('required', (message) => {
      throw new Error(`unexpected warning: ${message}`)
    })
    cgroups = opened!
  })
  afterAll(async () => {
    await cgroups?.close()
    expect(snapshot()).toEqual(before)
  })

  it('creates run directories named after this process, under the hierarchies in use', () => {
    expect(cgroups.version).toBe(version)
    expect(cgroups.controllers).toEqual(expect.arrayContaining(['memory', 'pids']))
    for (const dir of cgroups.dirs) {
      expect(basename(dirname(dir))).toBe(BASE_DIR_NAME)
      expect(parseOwnedDirName(basename(dir))).toMatchObject({ kind: 'run', pid: process.pid })
      expect(fs.existsSync(dir)).toBe(true)
    }
  })

  it('puts the launcher and everything it forks into the worker cgroup before argv runs', async () => {
    const worker = await cgroups.createWorker(DEFAULT_LIMITS)
    // sh -c forks `cat` (two commands): the child reports its own cgroups.
    const result = await run(enterCommand(worker.joinFiles, ['/bin/sh', '-c', 'cat /proc/self/cgroup; true']))
    expect(result.code).toBe(0)
    for (const dir of worker.dirs) {
      const relative = dir.slice(roots.find((root) => dir.startsWith(root + '/'))!.length)
      expect(result.stdout).toContain(relative)
    }
    await worker.remove()
    for (const dir of worker.dirs) expect(fs.existsSync(dir)).toBe(false)
  })

  it('kills a sandboxed worker that allocates past its memory limit, and says why', async () => {
    const worker = await cgroups.createWorker(limits({ memory: 64 * M }))
    const allocate = 'const a = []; for (let i = 0; i < 40; i++) a.push(Buffer.alloc(5 << 20, 1)); console.log("survived")'
    const result = await run(enterCommand(worker.joinFiles, [...BWRAP, process.execPath, '-e', allocate]))
    expect(result.stdout).not.toContain('survived')
    expect(result.code === 137 || result.signal === 'SIGKILL').toBe(true)
    expect(await worker.killReason()).toBe('memory limit 64 MiB reached (oom_kill)')
    await worker.remove()
  })

  it('counts tmpfs writes inside the sandbox against the memory limit', async () => {
    const worker = await cgroups.createWorker(limits({ memory: 64 * M }))
    const dd = ['/bin/sh', '-c', 'dd if=/dev/zero of=/tmp/fill bs=1M count=100 && echo wrote-all']
    const result = await run(enterCommand(worker.joinFiles, [...BWRAP, ...dd]))
    expect(result.stdout).not.toContain('wrote-all')
    expect(result.code).not.toBe(0)
    expect(await worker.killReason()).toContain('memory limit 64 MiB reached')
    await worker.remove()
  })

  it('refuses forks past the pids limit with EAGAIN, and says so', async () => {
    const worker = await cgroups.createWorker(limits({ pids: 32 }))
    const bomb = `
      const { spawn } = require('node:child_process'); const kids = []; const codes = new Set()
      for (let i = 0; i < 100; i++) {
        try { const c = spawn('sleep', ['30']); c.on('error', (e) => codes.add(e.code)); kids.push(c) } catch (e) { codes.add(e.code) }
      }
      setTimeout(() => { console.log('errors:', [...codes].join()); for (const k of kids) k.kill('SIGKILL') }, 300)`
    const result = await run(enterCommand(worker.joinFiles, [...BWRAP, process.execPath, '-e', bomb]))
    expect(result.stdout).toContain('EAGAIN')
    expect(await worker.killReason()).toMatch(/^pids limit 32 reached \(fork\/clone refused \d+ times\)$/)
    await worker.remove()
  })

  it('writes the cpu quota when cpu is limited and the controller is available', async ({ skip }) => {
    if (!cgroups.controllers.includes('cpu')) skip('no cpu controller here')
    const worker = await cgroups.createWorker(limits({ cpu: 0.5 }))
    const dir = worker.dirs.find((d) => fs.existsSync(join(d, 'cpu.max')) || fs.existsSync(join(d, 'cpu.cfs_quota_us')))!
    if (version === 2) expect(fs.readFileSync(join(dir, 'cpu.max'), 'utf8')).toBe('50000 100000\n')
    else expect(fs.readFileSync(join(dir, 'cpu.cfs_quota_us'), 'utf8')).toBe('50000\n')
    await worker.remove()
  })

  it('remove() kills what is left inside, then removes the cgroup', async () => {
    const worker = await cgroups.createWorker(DEFAULT_LIMITS)
    const child = spawn(...split(enterCommand(worker.joinFiles, ['/bin/sh', '-c', 'sleep 1000 & sleep 1000 & wait'])), { stdio: 'ignore' })
    const procs = join(worker.dirs[0], 'cgroup.procs')
    await waitFor(() => fs.readFileSync(procs, 'utf8').trim().split('\n').length >= 3)
    const pids = fs.readFileSync(procs, 'utf8').trim().split('\n').map(Number)
    const closed = once(child, 'close')
    await worker.remove()
    await closed
    for (const pid of pids) await waitFor(() => !pidAlive(pid))
    for (const dir of worker.dirs) expect(fs.existsSync(dir)).toBe(false)
  })
})

describe.runIf(probe)('several runs in one process (one per Vitest project)', () => {
  it('each works; closing in any order leaves nothing behind', async () => {
    const before = snapshot()
    const first = (await openCgroups('required', () => {}))!
    const second = (await openCgroups('required', () => {}))!
    expect(second.dirs).not.toEqual(first.dirs)
    await first.close()
    const worker = await second.createWorker(limits({ memory: 64 * M }))
    const result = await run(enterCommand(worker.joinFiles, ['/bin/sh', '-c', 'cat /proc/self/cgroup; true']))
    expect(result.code).toBe(0)
    await worker.remove()
    const third = (await openCgroups('required', () => {}))!
    await second.close()
    await third.close()
    third.closeSync() // idempotent
    expect(snapshot()).toEqual(before)
  })
})

describe.runIf(probe)('cleanup when the process holding a run ends', () => {
  let compiled: ReturnType<typeof compileCgroupModule>
  beforeAll(() => {
    compiled = compileCgroupModule()
  })
  afterAll(() => compiled?.dispose())

  async function startHolder() {
    const child = spawn(process.execPath, [join(repo, 'test/cgroup/hold-run.mjs'), compiled.index], { stdio: ['ignore', 'pipe', 'pipe'] })
    watched.add(child.pid!)
    let stderr = ''
    child.stderr!.on('data', (d) => (stderr += d))
    const lines = createInterface({ input: child.stdout! })
    const [line] = (await Promise.race([
      once(lines, 'line'),
      once(child, 'exit').then(() => {
        throw new Error(`hold-run.mjs exited early: ${stderr}`)
      }),
    ])) as [string]
    const state = JSON.parse(line) as { runDirs: string[]; workerDirs: string[]; sleepPid: number }
    return { child, state, stderr: () => stderr }
  }

  it('SIGINT: the exit handler kills the worker and removes every directory', async () => {
    const before = snapshot()
    const { child, state } = await startHolder()
    for (const dir of [...state.runDirs, ...state.workerDirs]) expect(fs.existsSync(dir)).toBe(true)
    expect(snapshot().length).toBeGreaterThan(before.length)
    const exited = once(child, 'exit')
    child.kill('SIGINT')
    const [code] = await exited
    expect(code).toBe(130)
    await waitFor(() => !pidAlive(state.sleepPid))
    for (const dir of [...state.runDirs, ...state.workerDirs]) expect(fs.existsSync(dir)).toBe(false)
    expect(snapshot()).toEqual(before)
  })

  it('SIGKILL: the next openCgroups reaps the dead run, killing what it left', async () => {
    const before = snapshot()
    const { child, state } = await startHolder()
    const exited = once(child, 'exit')
    child.kill('SIGKILL')
    await exited
    for (const dir of state.runDirs) expect(fs.existsSync(dir)).toBe(true)
    expect(pidAlive(state.sleepPid)).toBe(true) // orphaned, still in the dead run's cgroup

    const next = await openCgroups('required', () => {})
    for (const dir of [...state.runDirs, ...state.workerDirs]) expect(fs.existsSync(dir)).toBe(false)
    await waitFor(() => !pidAlive(state.sleepPid))
    await next!.close()
    expect(snapshot()).toEqual(before)
  })
})

describe('cgroups: false', () => {
  it('opens nothing and warns nothing', async () => {
    const before = snapshot()
    const warnings: string[] = []
    expect(await openCgroups(false, (m) => warnings.push(m))).toBeNull()
    expect(warnings).toEqual([])
    expect(snapshot()).toEqual(before)
  })
})

function split(argv: string[]): [string, string[]] {
  return [argv[0], argv.slice(1)]
}
