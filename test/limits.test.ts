/**
 * Resource limits through real Vitest runs: a runaway file is killed and named, its siblings pass,
 * and every cgroup made for the run is gone afterwards. Where this user has no writable cgroup
 * (rootless on cgroup v1), the 'auto' warning and the 'required' error are what is tested instead.
 */
import { beforeAll, describe, expect, test } from 'vitest'
import path from 'node:path'
import { factsByName, FIXTURES, runFixture } from './helpers/run-fixture.js'
import { openCgroups } from '../src/cgroup/index.js'
import { cgroupDirsOf } from './cgroup/helpers.js'

let available = false
beforeAll(async () => {
  const run = await openCgroups('auto', () => {})
  available = run !== null
  await run?.close()
})

describe('with cgroups', () => {
  test('a memory bomb and a /tmp bomb are killed and named; a sibling passes; no cgroup is left', async (ctx) => {
    if (!available) return ctx.skip('no writable cgroup for this user (see the rootless tests below)')
    const run = await runFixture('limits', {
      filters: ['memory-bomb', 'tmpfs-bomb', 'calm'],
      pool: { cgroups: 'required', limits: { memory: '128M' } },
    })
    expect(run.tests['test/calm.test.ts > a well-behaved sibling']).toBe('passed')
    const report = [...run.unhandled, ...Object.values(run.errors).flat()].join('\n')
    expect(report).toContain('killed by the sandbox: memory limit 128 MiB reached (oom_kill) — test/memory-bomb.test.ts')
    expect(report).toContain('killed by the sandbox: memory limit 128 MiB reached (oom_kill) — test/tmpfs-bomb.test.ts')
    expect(run.exitCode).toBe(1)
    // The run is this process's own (runFixture runs Vitest in-process).
    expect(cgroupDirsOf(process.pid)).toEqual([])
  })

  test('a fork bomb gets EAGAIN at pids.max and is reported', async (ctx) => {
    if (!available) return ctx.skip('no writable cgroup for this user')
    const run = await runFixture('limits', { filters: ['fork-bomb'], pool: { cgroups: 'required', limits: { pids: 48 } } })
    const fact = factsByName(run)['fork-bomb']
    expect(fact.code).toBe('EAGAIN')
    expect(Number(fact.spawned)).toBeLessThan(48)
    expect(run.tests['test/fork-bomb.test.ts > a fork bomb is capped by pids.max'], JSON.stringify(run.errors)).toBe('passed')
  })
})

test('a wall-time overrun is killed with its pid namespace and reported as timed out', async () => {
  const run = await runFixture('limits', {
    filters: ['busy', 'calm'],
    pool: { cgroups: false, rules: [{ files: 'test/busy.test.ts', limits: { wallTime: '3s' } }] },
  })
  expect(run.tests['test/calm.test.ts > a well-behaved sibling']).toBe('passed')
  // On a slow machine (the emulated cgroup-v2 VM) the limit may strike before the test even started:
  // then it is the file's error, not the test's.
  const report = [...run.unhandled, ...Object.values(run.fileErrors).flat(), ...Object.values(run.errors).flat()].join('\n')
  expect(report).toContain('killed by the sandbox: wall-time limit 3 s reached: timed out, killed with its whole pid namespace — test/busy.test.ts')
})

test('the wall time counts from the first test file: a boot slower than the limit is not a timeout', async () => {
  // Each worker's boot takes 4 s (a preload that waits), over the 3 s the calm file is allowed.
  const run = await runFixture('limits', {
    filters: ['calm'],
    pool: { cgroups: false, prewarm: false, limits: { wallTime: '3s' } },
    config: { test: { execArgv: ['--require', path.join(FIXTURES, 'limits/slow-boot.cjs')] } },
  })
  expect(run.tests, JSON.stringify(run.unhandled) + run.output).toEqual({ 'test/calm.test.ts > a well-behaved sibling': 'passed' })
})

describe('without a writable cgroup', () => {
  test("'required' fails before any test with how to enable cgroups; 'auto' warns once and runs", async (ctx) => {
    if (available) return ctx.skip('this user has a writable cgroup (run the suite as an unprivileged user on cgroup v1 to see this)')
    const required = await runFixture('limits', { filters: ['calm'], pool: { cgroups: 'required' } }).catch((e: Error) => e)
    const text = required instanceof Error ? required.message : required.output + required.unhandled.join('\n')
    expect(text).toContain("`cgroups: 'required'`, but no writable cgroup is available")
    expect(text).toMatch(/To enable them, /)
    const auto = await runFixture('limits', { filters: ['calm'], pool: { cgroups: 'auto' } })
    expect(auto.tests['test/calm.test.ts > a well-behaved sibling']).toBe('passed')
    expect(auto.output.split('cannot be enforced').length - 1).toBe(1)
  })
})
