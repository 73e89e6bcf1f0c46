/**
 * Without a writable cgroup: `'required'` fails before any test with a message saying why and how
 * to enable cgroups; `'auto'` warns once and carries on. Checked as an unprivileged user without a
 * delegated cgroup: via setpriv when running as root, directly when running as such a user.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openCgroups } from '../../src/cgroup/index.js'
import { asUnprivileged, compileCgroupModule, ensureUnprivilegedUser, isRoot, repo, run } from './helpers.js'

// Running unprivileged inside a delegated cgroup (the v2 VM check does): cgroups work, nothing to refuse.
const own = isRoot ? null : await openCgroups('auto', () => {})
own?.closeSync()

describe.skipIf(own !== null)('no writable cgroup', () => {
  let compiled: ReturnType<typeof compileCgroupModule>
  beforeAll(() => {
    compiled = compileCgroupModule()
  })
  afterAll(() => compiled?.dispose())

  it("'required' throws SandboxUnavailableError naming the reason and the remedies; 'auto' warns once", async () => {
    const argv = [process.execPath, join(repo, 'test/cgroup/open-as-user.mjs'), compiled.index]
    if (isRoot) expect(ensureUnprivilegedUser()).toBe(true)
    const result = await run(isRoot ? asUnprivileged(argv) : argv)
    expect(result.stderr).toBe('')
    const report = JSON.parse(result.stdout) as {
      uid: number
      required: { name: string; message: string } | null
      warnings: string[]
      runs: boolean[]
    }
    expect(report.uid).not.toBe(0)

    expect(report.required?.name).toBe('SandboxUnavailableError')
    const message = report.required!.message
    expect(message).toMatch(/^vitest-pool-nsjail: `cgroups: 'required'`, but no writable cgroup is available \(.+\)/)
    expect(message).toContain('not writable by uid') // the reason
    expect(message).toContain('`limits` (memory, pids, cpu) cannot be enforced') // what is lost
    expect(message).toContain('as root') // remedies
    expect(message).toMatch(/systemd-run --user --scope -p Delegate=yes npx vitest|cgcreate/)

    expect(report.warnings).toHaveLength(1)
    expect(report.warnings[0]).toMatch(/^vitest-pool-nsjail: no writable cgroup is available/)
    expect(report.warnings[0]).toContain('Tests run without these limits')
    expect(report.warnings[0]).toContain('`cgroups: false` silences this warning')
    expect(report.runs).toEqual([true, true, true]) // auto, auto, false: all null
  })
})
