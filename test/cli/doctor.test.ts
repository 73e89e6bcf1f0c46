/**
 * `vitest-pool-nsjail doctor` as users run it (the built bin), on this machine and on machines made
 * real around it: user namespaces refused (a bwrap that disables them), bwrap absent, old, broken or
 * stuck (fake binaries), libseccomp not loadable (its file hidden), no writable cgroup (an
 * unprivileged user without delegation). Exit status and JSON shape are checked each time.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { openCgroups } from '../../src/cgroup/index.js'
import { TIMEOUT_VARIABLE } from '../../src/probe/probe.js'
import type { DoctorReport } from '../../src/report/doctor.js'
import { asUnprivileged, ensureUnprivilegedUser, isRoot, run } from '../cgroup/helpers.js'
import { FIXTURES } from '../helpers/run-fixture.js'
import { CLI, fakeBwraps, NO_USERNS, nsjailCli, REAL_BWRAP, withoutLibseccomp, type CliOptions } from '../helpers/nsjail-cli.js'

const RULES = path.join(FIXTURES, 'rules')
const CONFIG = path.join(RULES, 'vitest.config.ts')

/** The probe's own deadline (2 s): the suite's config lengthens it for a loaded machine. */
const DEFAULT_DEADLINE = { [TIMEOUT_VARIABLE]: undefined }

/** Whether this user has a writable cgroup: then the default limits are enforced here. */
let cgroups = false
beforeAll(async () => {
  const run = await openCgroups('auto', () => {})
  cgroups = run !== null
  await run?.close()
})

async function doctor(options: CliOptions & { pool?: object; args?: string[] } = {}) {
  const result = await nsjailCli(['doctor', '--json', '--config', CONFIG, '--root', RULES, ...(options.args ?? [])], {
    ...options,
    env: { NSJAIL_TEST_OPTIONS: JSON.stringify(options.pool ?? {}), ...options.env },
  })
  let report: DoctorReport
  try {
    report = JSON.parse(result.stdout) as DoctorReport
  } catch {
    throw new Error(`doctor printed no JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`)
  }
  // The exit status is the report's verdict.
  expect(result.code).toBe(report.ok ? 0 : 1)
  const capability = (id: string) => report.capabilities.find((c) => c.id === id)!
  return { result, report, capability }
}

describe('this machine', () => {
  test('--json: the sandbox works; the verdict follows the cgroups this user has', async () => {
    const { report, capability } = await doctor()
    expect(report).toMatchObject({ schema: 1, unsupported: null, machine: { os: 'linux', mode: isRoot ? 'root' : 'rootless' } })
    expect(report.config.file).toBe(CONFIG)
    for (const ns of ['pid', 'net', 'mount', 'uts', 'ipc']) expect(capability(`namespace.${ns}`).status).toBe('ok')
    expect(capability('namespace.user').status).toBe(isRoot ? 'unused' : 'ok')
    expect(capability('bwrap')).toMatchObject({ status: 'ok', detail: expect.stringContaining(`at ${REAL_BWRAP}`) })
    expect(capability('seccomp')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^libseccomp \d+\.\d+\.\d+; kernel actions: .*errno/) })
    expect(capability('cgroups').status).toBe(cgroups ? 'ok' : 'missing')
    const [project] = report.config.projects
    // The fixture's four files: the top level, and the three rule sets they fall into.
    expect(project.policies.map((p) => [p.rules.join('+'), p.files]).sort()).toEqual([['', 1], ['rules[0]+rules[1]', 1], ['rules[1]', 1], ['rules[2]', 1]])
    expect(project.policies.find((p) => p.rules.includes('rules[0]'))!.summary).toContain('network host · +write out')
    expect(report.ok).toBe(cgroups)
    expect(report.probe.steps.map((s) => s.step).sort()).toEqual(['bwrap --version', 'cgroups', 'host facts', 'libseccomp', 'namespaces'])
  })

  test('with `cgroups: false` the limits are off by choice: exit 0 for root and rootless alike', async () => {
    const { result, report, capability } = await doctor({ pool: { cgroups: false } })
    expect(result.code).toBe(0)
    expect(capability('cgroups').status).toBe('unused')
    expect(report.config.projects[0].policies[0].enforcement).toContainEqual({ facet: 'limits', state: 'off', note: '`cgroups: false`', fix: [] })
  })

  test('the table: one row per capability, the policies of the config, the verdict', async () => {
    const { code, stdout } = await nsjailCli(['doctor', '--config', CONFIG, '--root', RULES], { env: { NSJAIL_TEST_OPTIONS: '{"cgroups":false}' } })
    expect(code).toBe(0)
    expect(stdout).toMatch(/^vitest-pool-nsjail doctor\n\nmachine: linux /)
    expect(stdout).toMatch(/\n {2}STATUS +CAPABILITY +DETAIL\n {2}ok +platform +linux /)
    expect(stdout).toMatch(/\n {2}ok +network namespace +created \((as root|rootless)\)\n/)
    expect(stdout).toContain(`config: ${CONFIG}\n  project (root) at ${RULES}: 4 test files, 4 policies\n`)
    expect(stdout).toMatch(/\n {4}rules\[2\] \(1 file\): .*seccomp default \+1 rule · memory 2 GiB · pids 64\n {6}off: limits \(`cgroups: false`\)\n/)
    expect(stdout).toMatch(/verdict: everything the config asks for is enforced here\.\n$/)
  })
})

describe('simulated machines', () => {
  let fakes: ReturnType<typeof fakeBwraps>
  beforeAll(() => {
    fakes = fakeBwraps({
      'bwrap-0.6.1': `if [ "$1" = --version ]; then echo "bubblewrap 0.6.1"; exit 0; fi\nexec ${REAL_BWRAP} "$@"`,
      'bwrap-0.4.0': 'echo "bubblewrap 0.4.0"',
      'bwrap-broken': 'echo "bwrap: error while loading shared libraries: libcap.so.2: cannot open shared object file" >&2\nexit 1',
      // exec: the killed process is the one that hangs, nothing is left behind.
      'bwrap-stuck': 'exec sleep 30',
      // Answers, but takes too long over the probe's namespace attempt (the one that runs readlink).
      'bwrap-slow': `case "$*" in *readlink*) exec sleep 30 ;; esac\nexec ${REAL_BWRAP} "$@"`,
    })
  })
  afterAll(() => fakes.remove())

  test('user namespaces refused (a sandbox that disables them around us): the cause bwrap reports, and its fix', async () => {
    const { report, capability } = await doctor({ wrap: NO_USERNS })
    expect(report.ok).toBe(false)
    expect(report.machine.mode).toBeNull()
    expect(report.unsupported!.what).toMatch(/^bubblewrap \d+\.\d+\.\d+ could not create the sandbox's namespaces\.\nTried: bwrap --unshare-user .*\nbwrap said: bwrap: Creating new namespace failed: nesting depth or \/proc\/sys\/user\/max_\*_namespaces exceeded \(ENOSPC\)$/)
    expect(report.unsupported!.cause).toMatch(/^this process runs inside a sandbox or container that forbids creating more namespaces/)
    expect(report.unsupported!.fix).toEqual(['run the tests outside that sandbox, or as root inside it (as root the sandbox needs no user namespace)'])
    expect(capability('namespace.user')).toMatchObject({ status: 'missing', detail: 'refused', fix: report.unsupported!.fix })
    expect(capability('namespace.pid').status).toBe('unknown')
    expect(report.config.projects[0].ok).toBe(false)
  })

  test('bwrap absent from PATH: how to install it here', async () => {
    const { report, capability } = await doctor({ env: { PATH: '/nonexistent' } })
    expect(report.unsupported).toMatchObject({ what: 'bubblewrap (bwrap) was not found on PATH', cause: null })
    expect(report.unsupported!.fix.join('\n')).toMatch(/apt-get install -y bubblewrap/)
    expect(capability('bwrap')).toMatchObject({ status: 'missing', detail: 'bwrap not found on PATH' })
    expect(capability('namespace.pid')).toMatchObject({ status: 'unknown', detail: 'not tried: bubblewrap (bwrap) was not found on PATH' })
  })

  test('bwrap too old (0.4) or broken (exits 1): refused with what it said', async () => {
    const old = await doctor({ pool: { bwrap: fakes.path('bwrap-0.4.0') } })
    expect(old.report.unsupported!.what).toBe('bubblewrap 0.4.0 is too old: 0.6 or newer is needed (older ones lack flags the sandbox uses)')
    expect(old.report.unsupported!.fix[0]).toMatch(/^upgrade bubblewrap to 0.8 or newer/)
    const broken = await doctor({ pool: { bwrap: fakes.path('bwrap-broken') } })
    expect(broken.report.unsupported!.what).toBe(
      `bubblewrap (${fakes.path('bwrap-broken')}) cannot be used: \`${fakes.path('bwrap-broken')} --version\` exited with code 1: bwrap: error while loading shared libraries: libcap.so.2: cannot open shared object file`,
    )
    expect(broken.report.unsupported!.fix.at(-1)).toBe('or point the `bwrap` option at the bubblewrap binary')
  })

  test('bwrap 0.6.1 (Ubuntu 22.04): works, with the weaker mechanisms named', async () => {
    const { report, capability } = await doctor({ pool: { bwrap: fakes.path('bwrap-0.6.1'), cgroups: false } })
    expect(report.unsupported).toBeNull()
    expect(capability('bwrap')).toMatchObject({ status: 'limited', detail: `0.6.1 at ${fakes.path('bwrap-0.6.1')}: older than 0.8` })
    expect(capability('tmpfs-size').status).toBe('limited')
    expect(capability('nested-userns')).toMatchObject({ status: 'limited', detail: expect.stringMatching(/^refused by the seccomp filter/) })
    // Without cgroups nothing bounds /tmp: limits are off by choice, so the tmpfs size is off too.
    expect(report.config.projects[0].policies[0].enforcement.find((e) => e.facet === 'tmpfs')?.state).toBe('off')
    expect(report.ok).toBe(true)
  })

  test('a bwrap that does not answer is abandoned after 2 s and reported, never waited for', async () => {
    const { report } = await doctor({ pool: { bwrap: fakes.path('bwrap-stuck') }, env: DEFAULT_DEADLINE })
    expect(report.probe.steps.find((s) => s.step === 'bwrap --version')).toMatchObject({ abandoned: true })
    expect(report.unsupported!.what).toBe(`bubblewrap (${fakes.path('bwrap-stuck')}) cannot be used: \`${fakes.path('bwrap-stuck')} --version\` did not answer within 2000 ms: abandoned`)
  })

  test('a namespace attempt that does not answer in 2 s is unverified, not refused: exit 1, no false cause', async () => {
    const { report, capability } = await doctor({ pool: { bwrap: fakes.path('bwrap-slow'), cgroups: false }, env: DEFAULT_DEADLINE })
    expect(report.unsupported).toBeNull()
    expect(report.probe.steps.find((s) => s.step === 'namespaces')).toMatchObject({ abandoned: true })
    expect(capability('namespace.pid')).toMatchObject({ status: 'unknown', detail: 'not verified: bwrap did not answer within 2000 ms (abandoned)', cause: null, fix: [] })
    expect(report.config.projects[0].policies[0].enforcement[0]).toMatchObject({ facet: 'namespaces', state: 'not-enforced' })
    expect(report.ok).toBe(false)
  })

  test('libseccomp not loadable: the filter is not enforced, with how to install the library', async () => {
    const { report, capability } = await doctor({ wrap: withoutLibseccomp() })
    expect(capability('seccomp')).toMatchObject({ status: 'missing', detail: expect.stringMatching(/^seccomp is enabled but libseccomp is not installed \(/) })
    expect(capability('seccomp').fix).toContainEqual(expect.stringMatching(/apt-get install -y libseccomp2$/))
    expect(capability('seccomp').fix.at(-1)).toBe('or turn the filter off with `seccomp: false`')
    const policy = report.config.projects[0].policies[0]
    expect(policy.enforcement.find((e) => e.facet === 'seccomp')).toMatchObject({ state: 'not-enforced', fix: capability('seccomp').fix })
    expect(report.ok).toBe(false)
  })

  test('an unprivileged user without a delegated cgroup: limits not enforced, with how to get a cgroup', async (ctx) => {
    if (!isRoot && cgroups) return ctx.skip('this user has a delegated cgroup (the cgroup v2 VM)')
    if (isRoot) expect(ensureUnprivilegedUser()).toBe(true)
    // No config there: the default options (2 GiB, 512 pids) are what is checked.
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'nsjail-doctor-'))
    fs.chmodSync(home, 0o777)
    try {
      const argv = [process.execPath, CLI, 'doctor', '--json', '--root', home]
      const result = await run(isRoot ? asUnprivileged(argv) : argv, { cwd: home })
      expect(result.code).toBe(1)
      const report = JSON.parse(result.stdout) as DoctorReport
      expect(report.machine.mode).toBe('rootless')
      expect(report.config.file).toBeNull()
      const capability = report.capabilities.find((c) => c.id === 'cgroups')!
      expect(capability).toMatchObject({ status: 'missing', detail: expect.stringMatching(/^no writable cgroup \(cgroup v[12]\): .*not writable by uid \d+/) })
      expect(capability.fix.join('\n')).toMatch(/as root|systemd-run --user --scope -p Delegate=yes npx vitest/)
      expect(report.config.projects[0].policies[0].enforcement).toContainEqual(expect.objectContaining({ facet: 'limits', state: 'not-enforced' }))
    } finally {
      fs.rmSync(home, { recursive: true, force: true })
    }
  })
})
