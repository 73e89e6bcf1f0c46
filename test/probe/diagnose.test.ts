/**
 * The pure side of the probe: machines this one cannot be (macOS, Windows, WSL, Ubuntu 24.04's
 * AppArmor restriction, Docker, GitHub Actions, old bubblewrap, no libseccomp, no delegated cgroup)
 * as injected probe data → status, cause and the exact fix, in the table, the JSON, the banner and
 * the pool's error texts.
 */
import { describe, expect, test } from 'vitest'
import { diagnose, unsupported, type Capability } from '../../src/probe/diagnose.js'
import { DOCKER_RUN } from '../../src/probe/fixes.js'
import { containerOf, parseOsRelease, wslVersion } from '../../src/probe/host-facts.js'
import { createPolicyResolver } from '../../src/policy/resolve.js'
import type { NsjailOptions } from '../../src/policy/types.js'
import { validateOptions } from '../../src/policy/validate.js'
import { bannerLines, unsandboxedBanner, type PolicyGroup } from '../../src/report/banner.js'
import { doctorReport } from '../../src/report/doctor.js'
import { doctorText } from '../../src/report/doctor-text.js'
import { enforcementOf } from '../../src/report/facets.js'
import { problemText, unsandboxedWarning } from '../../src/report/problem.js'
import type { MachineProbe } from '../../src/probe/types.js'
import { healthy, machine, NO_CGROUP, refused } from './machines.js'

const ROOT = '/home/me/proj'

const row = (probe: MachineProbe, id: string): Capability => {
  const found = diagnose(probe).find((c) => c.id === id)
  if (!found) throw new Error(`no capability ${id}`)
  return found
}

/** One policy group per rule set of `options` (the top level, then each rule alone), `files` each. */
function groups(options: NsjailOptions = {}, files = 3): PolicyGroup[] {
  const resolver = createPolicyResolver(validateOptions(options), ROOT)
  const rules = (options.rules ?? []).map((_, i) => resolver.forFile(`${ROOT}/r${i}/x.test.ts`))
  return [resolver.topLevel, ...rules].map((policy, i) => ({
    project: '',
    root: ROOT,
    options,
    policy,
    rules: i === 0 ? [] : [`rules[${i - 1}]`],
    files,
  }))
}

const states = (probe: MachineProbe, options: NsjailOptions = {}) =>
  Object.fromEntries(enforcementOf({ ...groups(options)[0], probe }).map((e) => [e.facet, e.state]))

describe('a healthy rootless machine', () => {
  test('every capability is ok, nothing to fix, every facet enforced', () => {
    const probe = healthy()
    expect(unsupported(probe)).toBeNull()
    for (const capability of diagnose(probe)) {
      expect({ id: capability.id, status: capability.status, fix: capability.fix }).toEqual({ id: capability.id, status: 'ok', fix: [] })
    }
    expect(Object.values(states(probe))).toEqual(expect.arrayContaining(['enforced']))
    expect(Object.values(states(probe))).not.toContain('not-enforced')
  })

  test('the banner: one line per distinct policy, the rules line says what differs', () => {
    const options: NsjailOptions = { rules: [{ files: 'r0/**', network: 'host', seccomp: false }, { files: 'r1/**', limits: { pids: 64 } }] }
    expect(bannerLines(healthy(), groups(options, 2))).toEqual([
      'nsjail  user+pid+net+mnt+uts+ipc ns · seccomp default · memory 2 GiB · pids 512 · cgroup v2 · 6 files, 4 with rules',
      'nsjail  rules[0] (2 files): user+pid+mnt+uts+ipc ns · network host · seccomp off',
      'nsjail  rules[1] (2 files): pids 64',
    ])
  })

  test("the banner names a rule's root filesystem when it is not the host's", () => {
    const options: NsjailOptions = { rules: [{ files: 'r0/**', rootfs: { base: 'minimal', tools: ['git'] } }, { files: 'r1/**', rootfs: 'minimal' }] }
    expect(bannerLines(healthy(), groups(options, 1)).slice(1)).toEqual([
      'nsjail  rules[0] (1 file): rootfs minimal +git',
      'nsjail  rules[1] (1 file): rootfs minimal',
    ])
  })

  test('the banner says which host services each set of files can reach (network: { forward })', () => {
    const options: NsjailOptions = {
      network: { forward: ['127.0.0.1:5432', 'api.example.com:443'] },
      rules: [{ files: 'r0/**', network: { forward: [{ from: 'localhost:6379', to: 'cache.internal:6379' }] } }, { files: 'r1/**', network: { forward: [] } }],
    }
    expect(bannerLines(healthy(), groups(options, 2))).toEqual([
      'nsjail  user+pid+net+mnt+uts+ipc ns · forward 127.0.0.1:5432, api.example.com:443 (inside 127.77.0.1:443) · seccomp default · memory 2 GiB · pids 512 · cgroup v2 · 6 files, 4 with rules',
      'nsjail  rules[0] (2 files): forward localhost:6379 → host cache.internal:6379',
      'nsjail  rules[1] (2 files): forward none',
    ])
  })
})

describe('machines that cannot sandbox at all', () => {
  test('macOS: not Linux, run it in Linux or with onUnsupported: warn', () => {
    const probe = machine({ host: { os: 'darwin', arch: 'arm64', kernel: '23.5.0', distro: null }, bwrap: { path: null, version: null }, namespaces: null, seccomp: null, cgroups: null })
    const problem = unsupported(probe)!
    expect(problem.what).toBe('this is macOS, not Linux: the sandbox is made of Linux namespaces, seccomp and cgroups')
    expect(problem.fix[0]).toBe(`run the tests on Linux: in CI, in a Linux VM, or in a container: ${DOCKER_RUN}`)
    expect(problem.fix[1]).toBe("or set `onUnsupported: 'warn'` to run them here without the sandbox (with a warning)")
    expect(diagnose(probe)).toEqual([expect.objectContaining({ id: 'platform', status: 'missing', fix: problem.fix })])
    // Nothing the options ask for is enforced; what they turn off stays off.
    const facets = enforcementOf({ ...groups({ seccomp: false })[0], probe })
    expect(facets.filter((e) => e.state !== 'off').map((e) => e.note)).toEqual(facets.filter((e) => e.state !== 'off').map(() => `no sandbox on this machine: ${problem.what}`))
    expect(facets.find((e) => e.facet === 'seccomp')?.state).toBe('off')
    expect(facets.find((e) => e.facet === 'files')).toMatchObject({ state: 'not-enforced', fix: problem.fix })
  })

  test('Windows: WSL 2 is one of the ways', () => {
    const problem = unsupported(machine({ host: { os: 'win32' }, namespaces: null }))!
    expect(problem.what).toMatch(/^this is Windows, not Linux/)
    expect(problem.fix[0]).toContain('in WSL 2,')
  })

  test('WSL 1: no namespaces; convert the distribution to WSL 2', () => {
    const kernel = '4.4.0-19041-Microsoft'
    expect(wslVersion(kernel)).toBe(1)
    expect(wslVersion('5.15.153.1-microsoft-standard-WSL2')).toBe(2)
    const probe = machine({ host: { kernel, wsl: 1 }, ...refused('bwrap: Creating new namespace failed: Invalid argument') })
    expect(unsupported(probe)).toEqual({ what: 'this is WSL 1', cause: 'WSL 1 has no Linux namespaces', fix: ['convert the distribution to WSL 2: wsl --set-version <distribution> 2 (in Windows PowerShell)'] })
    expect(row(probe, 'platform').status).toBe('missing')
  })

  test('Ubuntu 24.04 (AppArmor restricts user namespaces): the sysctl, or a profile for bwrap', () => {
    const probe = machine({ host: { apparmorRestrictUserns: true }, ...refused('bwrap: setting up uid map: Permission denied') })
    const problem = unsupported(probe)!
    expect(problem.cause).toMatch(/^AppArmor restricts unprivileged user namespaces \(kernel.apparmor_restrict_unprivileged_userns = 1/)
    expect(problem.fix[0]).toMatch(/^sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 \(to keep it: echo kernel.apparmor_restrict_unprivileged_userns=0 \| sudo tee \/etc\/sysctl.d\/60-userns.conf\)$/)
    expect(problem.fix[1]).toContain("profile bwrap /usr/bin/bwrap flags=(unconfined) {\\n  userns,\\n}")
    expect(problem.fix[1]).toContain('sudo apparmor_parser -r /etc/apparmor.d/bwrap')
    expect(problemText(problem)).toContain('bwrap said: bwrap: setting up uid map: Permission denied\nLikely cause: AppArmor restricts')
    // The table: the user namespace carries the cause and the fix, once; what depends on it is untested.
    expect(row(probe, 'namespace.user')).toMatchObject({ status: 'missing', fix: problem.fix })
    expect(row(probe, 'namespace.pid')).toMatchObject({ status: 'unknown', fix: [] })
    expect(row(probe, 'loopback').status).toBe('unknown')
  })

  test('GitHub Actions ubuntu-24.04: the fix is a workflow step', () => {
    const probe = machine({ host: { apparmorRestrictUserns: true, ci: 'github-actions', uid: 1001 }, ...refused('bwrap: setting up uid map: Permission denied') })
    expect(unsupported(probe)!.fix[0]).toBe('GitHub Actions: add a step before the tests: - run: sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0')
  })

  test('AppArmor with a network namespace: lo cannot be brought up', () => {
    const probe = machine({
      host: { apparmorRestrictUserns: true },
      namespaces: { ok: false, stderr: 'bwrap: loopback: Failed RTM_NEWADDR: Operation not permitted', each: { user: 'fresh', pid: 'fresh', net: 'refused', mount: 'fresh', uts: 'fresh', ipc: 'fresh', cgroup: 'fresh' }, loopback: false },
    })
    expect(unsupported(probe)!.cause).toMatch(/^AppArmor/)
    expect(row(probe, 'namespace.net')).toMatchObject({ status: 'missing', detail: 'refused' })
    expect(row(probe, 'namespace.net').fix[0]).toMatch(/^sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0/)
  })

  test("Docker's default seccomp profile, as root: the docker run flags", () => {
    const probe = machine({
      host: { uid: 0, container: 'docker', underSeccompFilter: true, distro: { id: 'debian', like: [], version: '12' } },
      namespaces: { mode: 'root', ok: false, stderr: 'bwrap: Creating new namespace failed: Operation not permitted', each: { user: 'unused', pid: 'untested', net: 'untested', mount: 'refused', uts: 'untested', ipc: 'untested', cgroup: 'untested' } },
    })
    const problem = unsupported(probe)!
    expect(problem.what).toContain('(as root, switching to an unprivileged uid inside)')
    expect(problem.cause).toMatch(/^this process runs in a container whose seccomp profile or missing capabilities refuse new namespaces/)
    expect(problem.fix[0]).toBe('docker run --cap-add SYS_ADMIN --security-opt seccomp=unconfined --security-opt apparmor=unconfined … (or --privileged); podman: --security-opt seccomp=unconfined; Kubernetes: securityContext.privileged: true')
    expect(row(probe, 'namespace.user').status).toBe('unused')
  })

  test('user namespaces switched off by sysctl: the sysctl that switches them on', () => {
    const max = unsupported(machine({ host: { maxUserNamespaces: 0 }, ...refused('bwrap: No permissions to create new namespace') }))!
    expect(max.fix).toEqual(['sudo sysctl -w user.max_user_namespaces=15000'])
    const clone = unsupported(machine({ host: { unprivilegedUsernsClone: false, distro: { id: 'debian', like: [], version: '10' } }, ...refused('bwrap: No permissions to create new namespace') }))!
    expect(clone.fix).toEqual(['sudo sysctl -w kernel.unprivileged_userns_clone=1'])
  })

  test('as root without setpriv: install util-linux', () => {
    const probe = machine({
      host: { uid: 0, setpriv: false, distro: { id: 'fedora', like: [], version: '40' } },
      namespaces: { mode: 'root', ok: false, stderr: 'bwrap: execvp /usr/bin/setpriv: No such file or directory', each: { user: 'unused', pid: 'fresh', net: 'fresh', mount: 'fresh', uts: 'fresh', ipc: 'fresh', cgroup: 'fresh' } },
    })
    expect(unsupported(probe)!.fix).toEqual(['dnf install -y util-linux-core'])
    expect(row(probe, 'setpriv')).toMatchObject({ status: 'missing', fix: ['dnf install -y util-linux-core'] })
  })

  test('bubblewrap missing: the install command of this distribution, its CI, its container', () => {
    const missing = { bwrap: { path: null, version: null }, namespaces: null } as const
    expect(unsupported(machine({ ...missing, host: { distro: { id: 'fedora', like: [], version: '40' } } }))!.fix).toEqual(['sudo dnf install -y bubblewrap'])
    expect(unsupported(machine({ ...missing, host: { ci: 'github-actions' } }))!.fix).toEqual(['GitHub Actions: add a step before the tests: - run: sudo apt-get update && sudo apt-get install -y bubblewrap'])
    expect(unsupported(machine({ ...missing, host: { container: 'docker', uid: 0 } }))!.fix).toEqual([
      'in the image: RUN apt-get update && apt-get install -y bubblewrap',
      'or now: apt-get update && apt-get install -y bubblewrap',
    ])
    expect(unsupported(machine({ ...missing, host: { distro: null } }))!.fix[0]).toBe(
      'Debian/Ubuntu: apt-get install -y bubblewrap; Fedora/RHEL: dnf install -y bubblewrap; Arch: pacman -S --noconfirm bubblewrap; Alpine: apk add bubblewrap; openSUSE: zypper install -y bubblewrap',
    )
    const option = unsupported(machine({ ...missing, bwrap: { command: '/opt/bwrap', fromOption: true, path: null, version: null } }))!
    expect(option.what).toBe('bubblewrap (/opt/bwrap) was not found (option `bwrap`)')
    expect(option.fix.at(-1)).toBe('or point the `bwrap` option at the bubblewrap binary')
  })

  test('bubblewrap older than 0.6 is refused', () => {
    const probe = machine({ bwrap: { version: '0.4.1', tmpfsSize: false, disableUserns: false }, namespaces: null })
    expect(unsupported(probe)!.what).toBe('bubblewrap 0.4.1 is too old: 0.6 or newer is needed (older ones lack flags the sandbox uses)')
    expect(row(probe, 'bwrap').status).toBe('missing')
  })
})

describe('machines that sandbox with less', () => {
  test('bubblewrap 0.6 (Ubuntu 22.04): tmpfs bounded by the memory limit, nested userns by the seccomp filter', () => {
    const old = { bwrap: { version: '0.6.1', tmpfsSize: false, disableUserns: false }, namespaces: { nestedUsernsDisabled: false, tmpfsSize: false } } as const
    const probe = machine(old)
    expect(unsupported(probe)).toBeNull()
    expect(row(probe, 'bwrap')).toMatchObject({ status: 'limited', detail: '0.6.1 at /usr/bin/bwrap: older than 0.8' })
    expect(row(probe, 'bwrap').fix[0]).toMatch(/^upgrade bubblewrap to 0.8 or newer/)
    expect(row(probe, 'nested-userns')).toMatchObject({ status: 'limited', detail: 'refused by the seccomp filter (bubblewrap before 0.8 cannot lock them)' })
    expect(row(probe, 'tmpfs-size').status).toBe('limited')
    const tmpfs = enforcementOf({ ...groups()[0], probe }).find((e) => e.facet === 'tmpfs')
    expect(tmpfs).toMatchObject({ state: 'enforced', note: 'by the memory limit (bubblewrap before 0.7 has no tmpfs --size)' })
    expect(doctorReport(probe, null, [{ name: '', root: ROOT, onUnsupported: 'error', problems: [], groups: groups() }]).ok).toBe(true)
    // Without a cgroup nothing bounds the tmpfs: that is not enforced either.
    const neither = machine({ ...old, ...NO_CGROUP })
    expect(states(neither)).toMatchObject({ tmpfs: 'not-enforced', limits: 'not-enforced' })
    // seccomp: false leaves nested user namespaces to bwrap 0.6, which cannot: off, by the options' choice.
    expect(states(probe, { seccomp: false })).toMatchObject({ 'nested user namespaces': 'off', seccomp: 'off' })
  })

  test('libseccomp missing: the filter is not enforced, with how to install it; seccomp: false is a choice', () => {
    const probe = machine({ seccomp: { library: null, error: 'seccomp is enabled but libseccomp is not installed (libseccomp.so.2: cannot open shared object file)' } })
    expect(row(probe, 'seccomp')).toMatchObject({ status: 'missing', fix: ['sudo apt-get update && sudo apt-get install -y libseccomp2', 'or turn the filter off with `seccomp: false`'] })
    expect(states(probe)).toMatchObject({ seccomp: 'not-enforced' })
    expect(states(probe, { seccomp: false })).toMatchObject({ seccomp: 'off' })
  })

  test('cgroup v2 without delegation on GitHub Actions: limits not enforced, the fix for that runner', () => {
    const probe = machine({ host: { ci: 'github-actions', uid: 1001 }, ...NO_CGROUP })
    const cgroups = row(probe, 'cgroups')
    expect(cgroups).toMatchObject({ status: 'missing', detail: expect.stringMatching(/^no writable cgroup \(cgroup v2\): our cgroup .* is not writable by uid 1001/) })
    expect(cgroups.fix[0]).toMatch(/^GitHub Actions \(no delegated cgroup for the runner user\): start it from a shell moved into a cgroup created for your user beforehand \(`sudo mkdir \/sys\/fs\/cgroup\/vitest/)
    expect(cgroups.fix[1]).toBe('or run the tests as root: sudo -E env "PATH=$PATH" npx vitest run')
    expect(bannerLines(probe, groups())[0]).toBe(
      'nsjail  user+pid+net+mnt+uts+ipc ns · seccomp default · memory 2 GiB · pids 512 · 3 files · NOT enforced: limits (no writable cgroup (our cgroup /sys/fs/cgroup/system.slice/runner.service is not writable by uid 1001 (not delegated)))',
    )
    expect(states(probe, { cgroups: false })).toMatchObject({ limits: 'off' })
    expect(states(probe, { limits: { memory: false, pids: false } })).not.toHaveProperty('limits')
  })

  test("a systemd delegation without cpu: only a cpu limit is not enforced", () => {
    const probe = machine({ cgroups: { controllers: ['memory', 'pids'], cpuMissing: 'the cpu controller is not available in /sys/fs/cgroup/user.slice' } })
    expect(row(probe, 'cgroups').status).toBe('limited')
    expect(row(probe, 'cgroups').fix[0]).toContain('`sudo systemctl edit user@.service` ([Service] Delegate=cpu memory pids)')
    expect(states(probe)).toMatchObject({ limits: 'enforced' })
    expect(states(probe, { limits: { cpu: 1.5 } })).toMatchObject({ limits: 'not-enforced' })
    const cpu = enforcementOf({ ...groups({ limits: { cpu: 1.5 } })[0], probe }).find((e) => e.facet === 'limits')
    expect(cpu).toMatchObject({ note: 'cpu: the cpu controller is not available in /sys/fs/cgroup/user.slice', fix: row(probe, 'cgroups').fix })
  })
})

describe('a probe that was abandoned', () => {
  test('slow is not refused: the namespaces are unverified, not unsupported; doctor cannot say yes', () => {
    const probe = machine({ namespaces: { ok: false, abandoned: true, stderr: 'did not answer within 2000 ms (abandoned)', each: { user: 'untested', pid: 'untested', net: 'untested', mount: 'untested', uts: 'untested', ipc: 'untested', cgroup: 'untested' } } })
    expect(unsupported(probe)).toBeNull()
    expect(row(probe, 'namespace.pid')).toMatchObject({ status: 'unknown', detail: 'not verified: bwrap did not answer within 2000 ms (abandoned)', fix: [] })
    expect(row(probe, 'loopback').status).toBe('unknown')
    expect(states(probe)).toMatchObject({ namespaces: 'not-enforced', network: 'enforced', seccomp: 'enforced' })
    expect(doctorReport(probe, null, [{ name: '', root: ROOT, onUnsupported: 'error', problems: [], groups: groups() }]).ok).toBe(false)
    expect(bannerLines(probe, groups())[0]).toMatch(/ · 3 files · NOT enforced: namespaces \(not verified: bwrap did not answer within 2000 ms \(abandoned\)\)$/)
  })
})

describe('reports', () => {
  test("doctor's JSON: a stable, serializable shape whose ok is the exit status", () => {
    const probe = machine(NO_CGROUP)
    const report = doctorReport(probe, '/p/vitest.config.ts', [{ name: 'unit', root: ROOT, onUnsupported: 'error', problems: [], groups: groups({ rules: [{ files: 'r0/**', seccomp: false }] }) }])
    expect(JSON.parse(JSON.stringify(report))).toEqual(report)
    expect(Object.keys(report)).toEqual(['schema', 'ok', 'machine', 'capabilities', 'unsupported', 'config', 'probe'])
    expect(report).toMatchObject({ schema: 1, ok: false, unsupported: null, machine: { os: 'linux', mode: 'rootless', distro: 'ubuntu 24.04', uid: 1000 } })
    for (const capability of report.capabilities) expect(Object.keys(capability)).toEqual(['id', 'label', 'status', 'detail', 'cause', 'fix'])
    const [project] = report.config.projects
    expect(Object.keys(project)).toEqual(['name', 'root', 'onUnsupported', 'problems', 'policies', 'ok'])
    expect(project.policies.map((p) => [p.rules, p.files])).toEqual([[[], 3], [['rules[0]'], 3]])
    expect(Object.keys(project.policies[0])).toEqual(['rules', 'files', 'summary', 'enforcement'])
    expect(project.policies[0].enforcement.find((e) => e.facet === 'limits')).toMatchObject({ state: 'not-enforced', fix: expect.arrayContaining([expect.stringContaining('systemd-run --user --scope -p Delegate=yes')]) })
    expect(project.policies[1].enforcement.find((e) => e.facet === 'seccomp')).toEqual({ facet: 'seccomp', state: 'off', note: '`seccomp: false`', fix: [] })
  })

  test("doctor's table: a fix under each missing capability, the policies, the verdict", () => {
    const probe = machine({ ...NO_CGROUP, seccomp: { library: null, error: 'libseccomp is not installed' } })
    const text = doctorText(doctorReport(probe, null, [{ name: '', root: ROOT, onUnsupported: 'error', problems: [], groups: groups() }]))
    expect(text).toMatch(/\n {2}MISSING +seccomp filter +libseccomp is not installed\n {11}fix: sudo apt-get update && sudo apt-get install -y libseccomp2\n {11}fix: or turn the filter off with `seccomp: false`\n/)
    expect(text).toMatch(/\n {2}MISSING +cgroups \(limits\) +no writable cgroup \(cgroup v2\): .*\n {11}fix: run Vitest in a cgroup delegated to you: `systemd-run --user --scope -p Delegate=yes npx vitest`\n/)
    expect(text).toContain('config: none found (the default options are checked)')
    expect(text).toContain('      NOT enforced: seccomp: libseccomp is not installed\n')
    expect(text).toMatch(/verdict: NOT everything the config asks for is enforced here \(see above\)\.\n$/)
  })

  test('the unsandboxed warning and banner say why, how to fix it, and what is lost', () => {
    const problem = unsupported(machine({ bwrap: { path: null, version: null }, namespaces: null }))!
    const warning = unsandboxedWarning(problem)
    expect(warning).toMatch(/^vitest-pool-nsjail: NOT SANDBOXED\. This machine cannot build the sandbox, and `onUnsupported: 'warn'` runs the tests in Vitest's forks pool instead: no namespaces/)
    expect(warning).toContain('\nbubblewrap (bwrap) was not found on PATH\nTo fix it:\n  - sudo apt-get update && sudo apt-get install -y bubblewrap\n')
    expect(unsandboxedBanner(problem, 4)).toBe("nsjail  NOT sandboxed: bubblewrap (bwrap) was not found on PATH · 4 files run in Vitest's forks pool")
  })

  test('host facts parsers: os-release, container markers', () => {
    expect(parseOsRelease('NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="24.04"\n')).toEqual({ id: 'ubuntu', like: ['debian'], version: '24.04' })
    expect(parseOsRelease('NAME=nothing\n')).toBeNull()
    const none = { dockerenv: false, containerenv: false, pid1Cgroup: '0::/init.scope\n', env: undefined }
    expect(containerOf(none)).toBeNull()
    expect(containerOf({ ...none, dockerenv: true })).toBe('docker')
    expect(containerOf({ ...none, containerenv: true })).toBe('podman')
    expect(containerOf({ ...none, pid1Cgroup: '0::/kubepods/besteffort/pod1/abc\n' })).toBe('kubernetes')
    expect(containerOf({ ...none, env: 'lxc' })).toBe('lxc')
  })
})
