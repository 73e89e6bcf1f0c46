import { describe, expect, test } from 'vitest'
import { planLaunch, type PlanInput } from '../../src/isolate/plan.js'
import { bwrapArgs, bwrapFeatures, FIRST_INPUT_FD } from '../../src/isolate/bwrap.js'
import { sandboxEnv } from '../../src/isolate/env.js'
import { describeExit, exitStatus } from '../../src/pool/exit.js'
import { createPolicyResolver } from '../../src/policy/resolve.js'
import { imageBase, minimalBase } from '../../src/rootfs/base.js'
import type { HostEntry } from '../../src/rootfs/tree.js'

const policy = createPolicyResolver({}, '/p').forFile('/p/a.test.ts')

function input(overrides: Partial<PlanInput> = {}): PlanInput {
  return {
    policy,
    identity: { uid: 1000, gid: 1000, user: 'sandbox', home: '/home/sandbox', setuid: false },
    host: { system: [{ path: '/usr', symlink: null }, { path: '/lib', symlink: 'usr/lib' }], etc: ['/etc/ssl/certs'], resolvConf: 'nameserver 10.0.0.53\n' },
    root: '/tmp/work/p',
    needs: ['/tmp/work/p/node_modules', '/tmp/work/node_modules', '/opt/node/bin/node'],
    command: ['/opt/node/bin/node', '/tmp/work/node_modules/vitest/dist/workers/forks.js'],
    workerEnv: { PATH: '/usr/bin', GITHUB_TOKEN: 'ghp_x', AWS_SECRET_ACCESS_KEY: 'k', LC_ALL: 'C', VITEST_MODE: 'RUN' },
    configEnv: { FROM_CONFIG: '1' },
    seccomp: null,
    ...overrides,
  }
}

describe('planLaunch', () => {
  test('mount order: system, /etc, proc, dev, scratch tmpfs, binds parents first, then the root read-only', () => {
    const plan = planLaunch(input())
    const order = plan.ops.map((op) => `${op.op} ${'dest' in op ? op.dest : ''}`)
    expect(order[0]).toBe('ro-bind /usr')
    expect(order[1]).toBe('symlink /lib')
    expect(order.indexOf('tmpfs /tmp')).toBeLessThan(order.indexOf('ro-bind /tmp/work/p'))
    expect(order.at(-1)).toBe('remount-ro /')
    // A child of a read-only bind adds nothing: /tmp/work/p/node_modules is inside the project.
    expect(order).not.toContain('ro-bind /tmp/work/p/node_modules')
    expect(order).toContain('ro-bind /tmp/work/node_modules')
  })

  test('optional binds (the audit\'s host folders) are --ro-bind-try, and never stand in for a required one inside them', () => {
    const plan = planLaunch(input({ optionalReadonly: ['/tmp/work', '/srv'] }))
    const { args } = bwrapArgs(plan, bwrapFeatures('bubblewrap 0.8.0'))
    const binds = args.flatMap((a, i) => (a.startsWith('--ro-bind') ? [`${a} ${args[i + 1]}`] : []))
    expect(binds).toContain('--ro-bind-try /tmp/work')
    expect(binds).toContain('--ro-bind-try /srv')
    // Inside an optional folder, the project and node_modules are still bound for sure.
    expect(binds).toContain('--ro-bind /tmp/work/p')
    expect(binds).toContain('--ro-bind /tmp/work/node_modules')
  })

  test('a writable folder inside the read-only project is mounted on top of it', () => {
    const plan = planLaunch(input({ policy: { ...policy, fs: { ...policy.fs, writable: ['/tmp/work/p/out'] } } }))
    const binds = plan.ops.filter((op) => op.op === 'bind' || op.op === 'ro-bind').map((op) => `${op.op} ${(op as { dest: string }).dest}`)
    expect(binds.indexOf('bind /tmp/work/p/out')).toBeGreaterThan(binds.indexOf('ro-bind /tmp/work/p'))
    expect(plan.access.writable).toEqual(['/tmp/work/p/out'])
  })

  test("a private folder (Vitest 5's coverage files) is mounted last, over the project's own, and is not in access", () => {
    const dest = '/tmp/work/p/coverage/.tmp'
    const plan = planLaunch(input({ policy: { ...policy, fs: { ...policy.fs, writable: ['/tmp/work/p/coverage'] } }, privateMounts: [{ src: '/run/s-1', dest }] }))
    const binds = plan.ops.filter((op) => op.op === 'bind' || op.op === 'ro-bind').map((op) => `${op.op} ${(op as { src: string }).src} ${(op as { dest: string }).dest}`)
    expect(binds.at(-1)).toBe(`bind /run/s-1 ${dest}`)
    expect(binds.indexOf('bind /tmp/work/p/coverage /tmp/work/p/coverage')).toBeLessThan(binds.length - 1)
    expect(plan.access.writable).toEqual(['/tmp/work/p/coverage'])
    expect(plan.access.readable).not.toContain('/run/s-1')
  })

  test('access is exactly what the mounts expose', () => {
    const plan = planLaunch(input({ policy: { ...policy, fs: { ...policy.fs, readonly: ['/data'] } } }))
    expect(plan.access.readable.sort()).toEqual(['/data', '/etc/ssl/certs', '/opt/node/bin/node', '/tmp/work/node_modules', '/tmp/work/p', '/usr'].sort())
  })

  test('synthesized /etc names the sandbox user and the hostname', () => {
    const plan = planLaunch(input())
    const files = Object.fromEntries(plan.ops.filter((op) => op.op === 'file').map((op) => [(op as { dest: string }).dest, (op as { data: string }).data]))
    expect(files['/etc/passwd']).toContain('sandbox:x:1000:1000:sandbox user:/home/sandbox:/bin/sh')
    expect(files['/etc/hosts']).toContain('127.0.0.1\tlocalhost nsjail')
    expect(files['/etc/resolv.conf']).toBe('')
  })

  test("the host's resolver configuration comes with the host network only", () => {
    const resolv = (network: 'host' | 'loopback') =>
      planLaunch(input({ policy: { ...policy, network } })).ops.find((op) => op.op === 'file' && op.dest === '/etc/resolv.conf')
    expect(resolv('host')).toMatchObject({ data: 'nameserver 10.0.0.53\n' })
    expect(resolv('loopback')).toMatchObject({ data: '' })
  })

  test('files the environment makes Node load are mounted read-only: NODE_OPTIONS preloads, the extra CA file', () => {
    const plan = planLaunch(input({
      workerEnv: { NODE_OPTIONS: '--max-old-space-size=300 --require /opt/hooks/trace.cjs --import=./local.mjs -r dotenv/config', NODE_EXTRA_CA_CERTS: '/etc/corp/ca.pem' },
    }))
    expect(plan.env.NODE_OPTIONS).toBe('--max-old-space-size=300 --require /opt/hooks/trace.cjs --import=./local.mjs -r dotenv/config')
    expect(plan.ops).toContainEqual({ op: 'ro-bind', src: '/opt/hooks/trace.cjs', dest: '/opt/hooks/trace.cjs' })
    expect(plan.ops).toContainEqual({ op: 'ro-bind', src: '/etc/corp/ca.pem', dest: '/etc/corp/ca.pem' })
    // ./local.mjs resolves against the sandbox's working directory, the project: mounted already.
    expect(plan.access.readable).not.toContain('/tmp/work/p/local.mjs')
    expect(plan.access.readable).toEqual(expect.arrayContaining(['/opt/hooks/trace.cjs', '/etc/corp/ca.pem']))
  })

  test('git trusts the project\'s repository through command-line configuration, after entries already there', () => {
    expect(planLaunch(input({ gitRepositories: ['/tmp/work/p'] })).env).toMatchObject({
      GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'safe.directory', GIT_CONFIG_VALUE_0: '/tmp/work/p',
    })
    const passed = planLaunch(input({
      gitRepositories: ['/tmp/work/p'],
      policy: { ...policy, env: { allow: ['GIT_CONFIG_*'], set: {} } },
      workerEnv: { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'core.pager', GIT_CONFIG_VALUE_0: 'cat' },
    })).env
    expect(passed).toMatchObject({ GIT_CONFIG_COUNT: '2', GIT_CONFIG_KEY_0: 'core.pager', GIT_CONFIG_KEY_1: 'safe.directory', GIT_CONFIG_VALUE_1: '/tmp/work/p' })
    // Not passed: our entry is number 0, with no gap git would refuse.
    expect(planLaunch(input({ gitRepositories: ['/r'], workerEnv: { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'a.b' } })).env)
      .toMatchObject({ GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'safe.directory', GIT_CONFIG_VALUE_0: '/r' })
    expect(planLaunch(input()).env.GIT_CONFIG_COUNT).toBeUndefined()
  })
})

describe('a built base (rootfs minimal or { dir })', () => {
  const closure = {
    files: ['/usr/bin/busybox', '/opt/node/bin/node', '/usr/bin/setpriv', '/usr/lib/x86_64-linux-gnu/libc.so.6', '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2'],
    links: [{ path: '/lib64/ld-linux-x86-64.so.2', target: '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2' }],
  }
  const minimal = minimalBase({
    system: [{ path: '/usr', symlink: null }, { path: '/bin', symlink: 'usr/bin' }, { path: '/lib64', symlink: 'usr/lib64' }],
    busybox: { path: '/usr/bin/busybox', applets: ['/bin/sh', '/usr/bin/env', '/bin/setpriv'] },
    data: ['/usr/share/zoneinfo'],
    closure,
    etc: ['/etc/ssl/certs', '/etc/ld.so.cache'],
  }, () => [])
  const ops = (plan: ReturnType<typeof planLaunch>) => plan.ops.map((op) => `${op.op} ${'dest' in op ? op.dest : ''}`)

  test("minimal: no host /usr, the base's files and links, then /etc, the scratch space and the binds", () => {
    const plan = planLaunch(input({ base: minimal }))
    const order = ops(plan)
    expect(order).not.toContain('ro-bind /usr')
    expect(order.slice(0, 2)).toEqual(['symlink /bin', 'symlink /lib64'])
    expect(order).toEqual(expect.arrayContaining(['symlink /usr/bin/sh', 'symlink /usr/bin/env', 'ro-bind /usr/bin/busybox', 'ro-bind /usr/share/zoneinfo', 'symlink /usr/lib64/ld-linux-x86-64.so.2']))
    // A host program wins over busybox's applet of the same name.
    expect(plan.ops).toContainEqual({ op: 'ro-bind', src: '/usr/bin/setpriv', dest: '/usr/bin/setpriv' })
    expect(order).not.toContain('symlink /usr/bin/setpriv')
    // The node binary is one of the plan's needs: bound once, by the plan.
    expect(order.filter((o) => o === 'ro-bind /opt/node/bin/node')).toHaveLength(1)
    expect(order.indexOf('ro-bind /opt/node/bin/node')).toBeGreaterThan(order.indexOf('tmpfs /tmp'))
    // The base's /etc entries, not the host base's.
    expect(order).toContain('ro-bind /etc/ld.so.cache')
    expect(order.at(-1)).toBe('remount-ro /')
    // Folders the base made are not made again before a mount.
    expect(order.filter((o) => o === 'dir /usr')).toHaveLength(1)
  })

  test('minimal: access is exactly what is mounted at its own place', () => {
    const plan = planLaunch(input({ base: minimal }))
    expect(plan.access.readable.sort()).toEqual([
      '/etc/ld.so.cache', '/etc/ssl/certs', '/opt/node/bin/node', '/tmp/work/node_modules', '/tmp/work/p',
      '/usr/bin/busybox', '/usr/bin/setpriv', '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', '/usr/lib/x86_64-linux-gnu/libc.so.6', '/usr/share/zoneinfo',
    ])
    const bound = plan.ops.filter((op) => op.op === 'ro-bind' && op.src === op.dest).map((op) => (op as { dest: string }).dest)
    expect(plan.access.readable.sort()).toEqual(bound.sort())
  })

  test("{ dir }: the image's system and /etc, the host's node on top, the synthesized files in place of the image's", () => {
    const image: Record<string, HostEntry[]> = {
      '/img': [{ name: 'bin', kind: 'link', target: 'usr/bin' }, { name: 'etc', kind: 'dir' }, { name: 'home', kind: 'dir' }, { name: 'usr', kind: 'dir' }],
      '/img/usr': [{ name: 'bin', kind: 'dir' }],
      '/img/usr/bin': [{ name: 'busybox', kind: 'file' }, { name: 'sh', kind: 'link', target: 'busybox' }],
      '/img/etc': [{ name: 'os-release', kind: 'file' }, { name: 'passwd', kind: 'file' }],
    }
    // The image brings its own busybox: the closure is node's and setpriv's.
    const base = imageBase('/img', { ...closure, files: closure.files.filter((f) => f !== '/usr/bin/busybox') }, ['/etc/ld.so.cache'], (dir) => image[dir])
    const plan = planLaunch(input({ base }))
    const order = ops(plan)
    expect(plan.ops).toContainEqual({ op: 'ro-bind', src: '/img/etc/os-release', dest: '/etc/os-release' })
    expect(plan.ops).toContainEqual({ op: 'ro-bind', src: '/img/usr/bin/busybox', dest: '/usr/bin/busybox' })
    expect(plan.ops).not.toContainEqual(expect.objectContaining({ src: '/img/etc/passwd' }))
    expect(order).not.toContain('ro-bind /home')
    expect(order.indexOf('file /etc/passwd')).toBeGreaterThan(order.indexOf('ro-bind /etc/os-release'))
    expect(plan.ops).toContainEqual({ op: 'ro-bind', src: '/usr/bin/setpriv', dest: '/usr/bin/setpriv' })
    // The image's files are not the host's paths: the firewall may not let the host read /usr/bin/busybox for it.
    expect(plan.access.readable).not.toContain('/usr/bin/busybox')
    expect(plan.access.readable).not.toContain('/img/usr/bin/busybox')
    expect(plan.access.readable).toContain('/usr/lib/x86_64-linux-gnu/libc.so.6')
    expect(base.programs()).toEqual(['busybox', 'sh'])
  })

  test("the base's program names, for messages about a program that is not there", () => {
    expect(minimal.programs()).toEqual(['busybox', 'env', 'node', 'setpriv', 'sh'])
  })
})

describe('sandboxEnv', () => {
  test('an allowlist: secrets stay out, locale and Vitest variables pass, config and policy values win', () => {
    const env = sandboxEnv({
      workerEnv: { PATH: '/bin', GITHUB_TOKEN: 'x', NPM_TOKEN: 'y', LC_ALL: 'C', VITEST_POOL_TIMEOUT: '1', HOME: '/root', MY_FLAG: 'on', NODE_OPTIONS: '--enable-source-maps', DEBUG: 'app:*', COLUMNS: '120' },
      configEnv: { FROM_CONFIG: '1' },
      allow: ['MY_*'],
      set: { EXTRA: 'e' },
      home: '/home/sandbox',
      user: 'sandbox',
    })
    expect(env).toEqual({
      PATH: '/bin', LC_ALL: 'C', VITEST_POOL_TIMEOUT: '1', MY_FLAG: 'on', FROM_CONFIG: '1', EXTRA: 'e',
      NODE_OPTIONS: '--enable-source-maps', DEBUG: 'app:*', COLUMNS: '120',
      HOME: '/home/sandbox', USER: 'sandbox', LOGNAME: 'sandbox', SHELL: '/bin/sh', TMPDIR: '/tmp',
    })
  })
})

describe('bwrapArgs', () => {
  test('namespaces, identity and hardening flags by bwrap version', () => {
    const plan = planLaunch(input())
    const modern = bwrapArgs(plan, bwrapFeatures('bubblewrap 0.8.0')).args
    expect(modern).toEqual(expect.arrayContaining(['--unshare-user', '--unshare-pid', '--unshare-net', '--disable-userns', '--uid', '1000']))
    expect(modern).toEqual(expect.arrayContaining(['--die-with-parent', '--new-session', '--cap-drop', 'ALL', '--hostname', 'nsjail']))
    expect(modern.join(' ')).toContain('--size 536870912 --perms 1777 --tmpfs /tmp')
    const old = bwrapArgs(plan, bwrapFeatures('bubblewrap 0.6.1')).args
    expect(old).not.toContain('--disable-userns')
    expect(old).not.toContain('--size')
  })

  test('as root: no user namespace, and setpriv makes the worker the unprivileged user', () => {
    const plan = planLaunch(input({ identity: { uid: 65534, gid: 65534, user: 'sandbox', home: '/home/sandbox', setuid: true } }))
    const { args } = bwrapArgs(plan, bwrapFeatures('0.8.0'))
    expect(args).not.toContain('--unshare-user')
    expect(args).not.toContain('--uid')
    expect(args.join(' ')).toContain('--cap-drop ALL --cap-add CAP_SETUID --cap-add CAP_SETGID')
    expect(args.slice(args.indexOf('--'))).toEqual(['--', '/usr/bin/setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--', ...plan.command])
  })

  test('parents of mount points are created traversable before the mount', () => {
    const ops = planLaunch(input()).ops.map((op) => `${op.op} ${'dest' in op ? op.dest : ''}${'perms' in op && op.perms ? ` ${op.perms}` : ''}`)
    expect(ops.indexOf('dir /tmp/work 0755')).toBeGreaterThan(ops.indexOf('tmpfs /tmp 1777'))
    expect(ops.indexOf('dir /tmp/work 0755')).toBeLessThan(ops.indexOf('ro-bind /tmp/work/node_modules'))
    expect(ops).toContain('dir /home 0755')
    expect(ops).toContain('dir /opt 0755')
    expect(ops).not.toContain('dir /tmp/work/p 0755')
  })

  test('host network shares the namespace; data goes through numbered fds', () => {
    const plan = planLaunch(input({ policy: { ...policy, network: 'host' }, seccomp: Buffer.from([1, 2, 3]) }))
    const { args, inputs } = bwrapArgs(plan, bwrapFeatures('0.8.0'))
    expect(args).not.toContain('--unshare-net')
    const seccompFd = Number(args[args.indexOf('--seccomp') + 1])
    expect(inputs[seccompFd - FIRST_INPUT_FD]).toEqual(Buffer.from([1, 2, 3]))
    const passwdFd = Number(args[args.indexOf('/etc/passwd') - 1])
    expect(inputs[passwdFd - FIRST_INPUT_FD].toString()).toContain('sandbox:x:1000')
    expect(args.slice(args.indexOf('--'))).toEqual(['--', ...plan.command])
  })
})

describe('exit messages', () => {
  test('signals through bwrap show as 128+N', () => {
    expect(exitStatus(137, null)).toBe('exited with code 137 (SIGKILL)')
    expect(exitStatus(1, null)).toBe('exited with code 1')
    expect(exitStatus(null, 'SIGTERM')).toBe('was killed by SIGTERM')
  })

  test('limits and early deaths explain themselves and name the files', () => {
    expect(describeExit({ files: ['t/leak.test.ts'], code: 137, signal: null, reason: 'memory limit 512 MiB reached (oom_kill)', started: true, stderr: '' }))
      .toBe('vitest-pool-nsjail: killed by the sandbox: memory limit 512 MiB reached (oom_kill) — t/leak.test.ts')
    expect(describeExit({ files: ['x.ts'], code: 159, signal: null, reason: null, started: true, stderr: '' }))
      .toMatch(/^vitest-pool-nsjail: killed by the sandbox: the seccomp filter killed the worker \(SIGSYS\).* — x\.ts$/)
    expect(describeExit({ files: ['a.ts'], code: 1, signal: null, reason: null, started: false, stderr: 'bwrap: Can\'t find source path /x\n' }))
      .toBe('vitest-pool-nsjail: the sandbox for a.ts exited with code 1 before the worker started.\nbwrap: Can\'t find source path /x')
  })
})
