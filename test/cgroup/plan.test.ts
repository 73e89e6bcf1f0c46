import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ENTER_FAILED_EXIT_CODE, ENTER_FAILED_MESSAGE, enterCommand } from '../../src/cgroup/enter.js'
import { DEFAULT_LIMITS } from '../../src/cgroup/limits.js'
import {
  controllersFor,
  controllersToEnable,
  cpuQuotaUs,
  describeKill,
  limitWrites,
  ownedDirName,
  ownerIsGone,
  parseFlatKeyed,
  parseOwnedDirName,
  UNKNOWN_PID_NS,
} from '../../src/cgroup/plan.js'
import type { Limits } from '../../src/cgroup/types.js'

const M = 2 ** 20
const limits = (l: Partial<Limits>): Limits => ({ ...DEFAULT_LIMITS, ...l })

describe('limitWrites', () => {
  it('v2: memory.max, no swap, pids.max, cpu.max', () => {
    expect(limitWrites(2, limits({ memory: 512 * M, pids: 64, cpu: 0.5 }))).toEqual([
      { controller: 'memory', file: 'memory.max', value: String(512 * M) },
      { controller: 'memory', file: 'memory.swap.max', value: '0', optional: true },
      { controller: 'pids', file: 'pids.max', value: '64' },
      { controller: 'cpu', file: 'cpu.max', value: '50000 100000' },
    ])
  })

  it('v1: limit before memsw (the kernel wants memsw >= limit), cfs period before quota', () => {
    expect(limitWrites(1, limits({ memory: 64 * M, pids: 32, cpu: 2 }))).toEqual([
      { controller: 'memory', file: 'memory.limit_in_bytes', value: String(64 * M) },
      { controller: 'memory', file: 'memory.memsw.limit_in_bytes', value: String(64 * M), optional: true },
      { controller: 'memory', file: 'memory.swappiness', value: '0', optional: true },
      { controller: 'pids', file: 'pids.max', value: '32' },
      { controller: 'cpu', file: 'cpu.cfs_period_us', value: '100000' },
      { controller: 'cpu', file: 'cpu.cfs_quota_us', value: '200000' },
    ])
  })

  it('writes nothing for lifted limits', () => {
    expect(limitWrites(2, { memory: null, pids: null, cpu: null, wallTimeMs: 1000 })).toEqual([])
    expect(limitWrites(1, { memory: null, pids: null, cpu: null, wallTimeMs: null })).toEqual([])
  })

  it('keeps the cpu quota at or above the kernel minimum', () => {
    expect(cpuQuotaUs(0.001)).toBe(1000)
    expect(cpuQuotaUs(1.5)).toBe(150_000)
  })

  it('needs cpu only when capped', () => {
    expect(controllersFor(DEFAULT_LIMITS)).toEqual(['memory', 'pids'])
    expect(controllersFor(limits({ cpu: 1 }))).toEqual(['memory', 'pids', 'cpu'])
  })
})

describe('controllersToEnable', () => {
  it('adds what is wanted, available and not yet enabled', () => {
    expect(controllersToEnable(['memory', 'pids', 'cpu'], ['cpu', 'memory', 'pids', 'io'], [])).toEqual(['memory', 'pids', 'cpu'])
    expect(controllersToEnable(['memory', 'pids', 'cpu'], ['memory', 'pids'], ['memory'])).toEqual(['pids'])
    expect(controllersToEnable(['memory', 'pids'], ['memory', 'pids'], ['pids', 'memory'])).toEqual([])
  })
})

describe('owned directory names', () => {
  const owner = { pid: 4242, startTime: '987654', pidNs: '4026531836' }
  it('round-trips', () => {
    const name = ownedDirName('run', owner, 'a1b2c3d4')
    expect(name).toBe('run-4242-987654-4026531836-a1b2c3d4')
    expect(parseOwnedDirName(name)).toEqual({ kind: 'run', ...owner })
  })
  it('a main leaf carries the controllers its owner enabled in the delegated cgroup', () => {
    const name = ownedDirName('main', owner, 'ff', ['cpu', 'memory', 'pids'])
    expect(name).toBe('main-4242-987654-4026531836-ff-cpu+memory+pids')
    expect(parseOwnedDirName(name)).toEqual({ kind: 'main', ...owner, enabled: ['cpu', 'memory', 'pids'] })
    const none = ownedDirName('main', owner, 'ff', [])
    expect(none).toBe('main-4242-987654-4026531836-ff-none')
    expect(parseOwnedDirName(none)).toEqual({ kind: 'main', ...owner, enabled: [] })
  })
  it('ignores names that are not ours', () => {
    for (const name of ['w-1', 'run-1-2-3', 'session-3.scope', 'run-a-1-2-x', 'run-1-2-3-X', 'run-1-2-3-ff-memory', 'main-1-2-3-ff', 'main-1-2-3-ff-Memory']) {
      expect(parseOwnedDirName(name), name).toBeNull()
    }
  })
  it('judges an owner gone when its pid is free or reused, never across pid namespaces', () => {
    expect(ownerIsGone(owner, owner.pidNs, null)).toBe(true)
    expect(ownerIsGone(owner, owner.pidNs, '111')).toBe(true) // pid reused by a younger process
    expect(ownerIsGone(owner, owner.pidNs, owner.startTime)).toBe(false)
    expect(ownerIsGone(owner, '4026532000', null)).toBe(false)
  })
  it('judges nobody when a pid namespace is unknown: pids of two unknown namespaces are not comparable', () => {
    const unknown = { ...owner, pidNs: UNKNOWN_PID_NS }
    expect(ownerIsGone(unknown, UNKNOWN_PID_NS, null)).toBe(false)
    expect(ownerIsGone(unknown, owner.pidNs, null)).toBe(false)
    expect(ownerIsGone(owner, UNKNOWN_PID_NS, null)).toBe(false)
  })
})

describe('describeKill', () => {
  const l = limits({ memory: 512 * M, pids: 64 })
  it('parses flat keyed files', () => {
    expect(parseFlatKeyed('oom_kill_disable 0\nunder_oom 0\noom_kill 3\n')).toEqual({ oom_kill_disable: 0, under_oom: 0, oom_kill: 3 })
  })
  it('v2 memory.events', () => {
    expect(describeKill(l, { memoryEvents: 'low 0\nhigh 0\nmax 812\noom 2\noom_kill 1\noom_group_kill 0\n' })).toBe(
      'memory limit 512 MiB reached (oom_kill)',
    )
    expect(describeKill(l, { memoryEvents: 'low 0\nhigh 0\nmax 812\noom 0\noom_kill 0\n' })).toBeNull() // reclaim is not death
    expect(describeKill(l, { memoryEvents: 'max 3\noom 1\noom_kill 0\n' })).toContain('allocation was refused')
  })
  it('v1 memory.oom_control, and failcnt on kernels that do not count kills', () => {
    expect(describeKill(l, { oomControl: 'oom_kill_disable 0\nunder_oom 0\noom_kill 1\n', memoryFailcnt: '40\n' })).toBe(
      'memory limit 512 MiB reached (oom_kill)',
    )
    expect(describeKill(l, { oomControl: 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n', memoryFailcnt: '40\n' })).toBeNull()
    expect(describeKill(l, { oomControl: 'oom_kill_disable 0\nunder_oom 0\n', memoryFailcnt: '40\n' })).toBe(
      'memory limit 512 MiB reached (limit hit 40 times)',
    )
  })
  it('pids.events', () => {
    expect(describeKill(l, { pidsEvents: 'max 12\n' })).toBe('pids limit 64 reached (fork/clone refused 12 times)')
    expect(describeKill(l, { pidsEvents: 'max 1\n' })).toBe('pids limit 64 reached (fork/clone refused 1 time)')
    expect(describeKill(l, { pidsEvents: 'max 0\n' })).toBeNull()
  })
  it('both, and nothing for lifted limits or missing files', () => {
    expect(describeKill(l, { memoryEvents: 'oom_kill 1\n', pidsEvents: 'max 2\n' })).toBe(
      'memory limit 512 MiB reached (oom_kill); pids limit 64 reached (fork/clone refused 2 times)',
    )
    expect(describeKill(limits({ memory: null, pids: null }), { memoryEvents: 'oom_kill 1\n', pidsEvents: 'max 2\n' })).toBeNull()
    expect(describeKill(l, {})).toBeNull()
  })
})

describe('enterCommand', () => {
  const dir = fs.mkdtempSync(join(tmpdir(), 'nsjail-enter-'))
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  it('returns argv unchanged without cgroups, refuses bad input', () => {
    expect(enterCommand([], ['bwrap', '--', 'node'])).toEqual(['bwrap', '--', 'node'])
    expect(() => enterCommand(['relative/cgroup.procs'], ['true'])).toThrow(TypeError)
    expect(() => enterCommand(['/x'], [])).toThrow(TypeError)
  })

  it('writes 0 (the writer itself) into every file, then execs argv in the same process', () => {
    const files = [join(dir, 'a'), join(dir, 'b with space')]
    const argv = enterCommand(files, ['/bin/sh', '-c', 'echo $$; echo "$@"', 'x', '--', 'a b', '$HOME'])
    const result = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' })
    expect(result.status).toBe(0)
    const [pid, args] = result.stdout.split('\n')
    expect(Number(pid)).toBe(result.pid) // exec'd, not forked: the process that joined is the one that runs argv
    expect(fs.readFileSync(files[0], 'utf8')).toBe('0\n')
    expect(fs.readFileSync(files[1], 'utf8')).toBe('0\n')
    expect(args).toBe('-- a b $HOME') // arguments pass through untouched, `--` included
  })

  it('runs nothing and exits 125 when a cgroup cannot be joined', () => {
    const marker = join(dir, 'ran')
    const argv = enterCommand([join(dir, 'a'), join(dir, 'missing/cgroup.procs')], ['/bin/sh', '-c', `touch ${marker}`])
    const result = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' })
    expect(result.status).toBe(ENTER_FAILED_EXIT_CODE)
    expect(result.stderr).toContain(`${ENTER_FAILED_MESSAGE} (${join(dir, 'missing/cgroup.procs')})`)
    expect(fs.existsSync(marker)).toBe(false)
  })
})
