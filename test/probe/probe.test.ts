/**
 * The probe on this machine, for real: the workers' namespaces made and compared, libseccomp loaded,
 * the run's cgroups set up (and closed again), against what the kernel's files say independently.
 * Also run in the cgroup v2 VM (scripts/cgroup-v2-check.sh), as root and as a delegated user.
 */
import fs from 'node:fs'
import { expect, test } from 'vitest'
import { locateCgroups, parseMountinfo, parseProcCgroup } from '../../src/cgroup/detect.js'
import { sandboxIdentity } from '../../src/isolate/host.js'
import { diagnose, unsupported } from '../../src/probe/diagnose.js'
import { probeMachine } from '../../src/probe/probe.js'
import { isRoot } from '../cgroup/helpers.js'

test('this machine: the sandbox can be built, and the facts agree with the kernel', async () => {
  const { probe, cgroups } = await probeMachine({ identity: sandboxIdentity(process.cwd()), seccomp: true, cgroups: true })
  await cgroups?.run?.close()
  expect(unsupported(probe)).toBeNull()
  expect(probe.namespaces).toMatchObject({ ok: true, mode: isRoot ? 'root' : 'rootless', loopback: true })
  expect(probe.namespaces!.each).toMatchObject({ pid: 'fresh', net: 'fresh', mount: 'fresh', uts: 'fresh', ipc: 'fresh', user: isRoot ? 'unused' : 'fresh' })
  expect(probe.seccomp!.library).toMatch(/^\d+\.\d+\.\d+$/)
  expect(probe.host.seccompActions).toContain('errno')

  // Which cgroup version manages memory here, read independently of the probe's own attempt.
  const layout = locateCgroups(parseProcCgroup(fs.readFileSync('/proc/self/cgroup', 'utf8')), parseMountinfo(fs.readFileSync('/proc/self/mountinfo', 'utf8')))
  expect(probe.cgroups!.machineVersion).toBe(layout.version)
  if (isRoot) expect(probe.cgroups).toMatchObject({ version: layout.version, controllers: expect.arrayContaining(['memory', 'pids']), reason: null })
  if (probe.cgroups!.version === null) expect(probe.cgroups!.reason).toMatch(/not writable by uid \d+/)
  // Closed: the run directories it made are gone.
  for (const dir of probe.cgroups!.dirs) expect(fs.existsSync(dir)).toBe(false)

  const status = Object.fromEntries(diagnose(probe).map((c) => [c.id, c.status]))
  expect(status).toMatchObject({ platform: 'ok', bwrap: 'ok', loopback: 'ok', seccomp: 'ok', 'namespace.pid': 'ok' })
})
