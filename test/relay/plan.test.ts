import { describe, expect, test } from 'vitest'
import { planLaunch } from '../../src/isolate/plan.js'
import { bwrapArgs, bwrapFeatures } from '../../src/isolate/bwrap.js'
import { createPolicyResolver } from '../../src/policy/resolve.js'
import { validateOptions } from '../../src/policy/validate.js'
import { needsRelay, planRelay } from '../../src/relay/plan.js'
import { deferDebuggerWait, inspectorAddress } from '../../src/relay/inspector.js'
import { parseForwards } from '../../src/relay/entries.js'
import { RELAY_DIR, type TcpAddress } from '../../src/relay/protocol.js'
import type { NsjailOptions } from '../../src/policy/types.js'

const forwards = parseForwards([
  '127.0.0.1:5432', 'localhost:6379', 'api.example.com:443', 'api.example.com:80', 'unix:/var/run/postgresql/.s.PGSQL.5432',
  { from: 'db.test:5433', to: 'unix:/tmp/db.sock' },
])

describe('planRelay', () => {
  const plan = planRelay(forwards, { host: '127.0.0.1', port: 9229 }, '/tmp/relay/s1')

  test('the host side: one socket per forward, to its configured target; the debugger on its address', () => {
    expect(plan.forwards.map((f) => [f.socket, f.target, f.relayed])).toEqual([
      ['f0.sock', { kind: 'tcp', host: '127.0.0.1', port: 5432 }, true],
      ['f1.sock', { kind: 'tcp', host: 'localhost', port: 6379 }, true],
      ['f2.sock', { kind: 'tcp', host: 'api.example.com', port: 443 }, true],
      ['f3.sock', { kind: 'tcp', host: 'api.example.com', port: 80 }, true],
      ['f4.sock', { kind: 'unix', path: '/var/run/postgresql/.s.PGSQL.5432' }, false],
      ['f5.sock', { kind: 'unix', path: '/tmp/db.sock' }, true],
    ])
    expect(plan.reverse).toEqual([{ socket: 'inspector.sock', listen: { host: '127.0.0.1', port: 9229 } }])
  })

  test('inside: the same loopback addresses, localhost on both families, a private address per name', () => {
    expect(plan.inside).toEqual({
      forwards: [
        { listen: [{ host: '127.0.0.1', port: 5432 }], socket: 'f0.sock' },
        { listen: [{ host: '127.0.0.1', port: 6379 }, { host: '::1', port: 6379, optional: true }], socket: 'f1.sock' },
        { listen: [{ host: '127.77.0.1', port: 443 }], socket: 'f2.sock' },
        { listen: [{ host: '127.77.0.1', port: 80 }], socket: 'f3.sock' },
        { listen: [{ host: '127.77.0.2', port: 5433 }], socket: 'f5.sock' },
      ],
      reverse: [{ socket: 'inspector.sock', target: { host: '127.0.0.1', port: 9229 }, idle: 2 }],
    })
    expect(plan.hosts).toEqual(['127.77.0.1\tapi.example.com', '127.77.0.2\tdb.test'])
    expect(plan.lowPorts).toBe(true)
  })

  test('a unix entry needs no relay inside: the host socket is bound at its path', () => {
    const unixOnly = planRelay(parseForwards(['unix:/run/a.sock']), null, '/d')
    expect(unixOnly.binds).toEqual([{ src: '/d/f0.sock', dest: '/run/a.sock' }])
    expect(unixOnly.inside).toBeNull()
    expect(unixOnly.lowPorts).toBe(false)
  })

  test('a debugger on a wildcard address is reached on loopback inside', () => {
    expect(planRelay([], { host: '0.0.0.0', port: 9230 }, '/d').inside?.reverse[0].target).toEqual({ host: '127.0.0.1', port: 9230 })
  })

  test('needsRelay: forwards, or a debugger without the host network', () => {
    expect(needsRelay('loopback', null)).toBe(false)
    expect(needsRelay({ forward: [] }, null)).toBe(false)
    expect(needsRelay({ forward: forwards }, null)).toBe(true)
    expect(needsRelay('loopback', { host: '127.0.0.1', port: 9229 })).toBe(true)
    expect(needsRelay('host', { host: '127.0.0.1', port: 9229 })).toBe(false)
  })
})

describe('the relay in the launch plan', () => {
  const rootless = { uid: 1000, gid: 1000, user: 'sandbox', home: '/home/sandbox', setuid: false }
  const asRoot = { ...rootless, setuid: true }
  function plan(options: NsjailOptions, identity = rootless, inspector: TcpAddress | null = null) {
    return planLaunch({
      policy: createPolicyResolver(validateOptions(options), '/p').forFile('/p/a.test.ts'),
      identity,
      host: { system: [{ path: '/usr', symlink: null }], etc: [] },
      root: '/p',
      needs: [],
      command: ['/usr/bin/node', '--conditions', 'node', '/vitest/dist/workers/forks.js'],
      workerEnv: {},
      configEnv: {},
      seccomp: null,
      relay: { hostDir: '/tmp/relay/s1', preload: '/pkg/dist/relay/inside/preload.js', inspector },
    })
  }
  const ops = (p: ReturnType<typeof plan>) => p.ops.map((op) => `${op.op} ${'src' in op ? `${op.src} ` : ''}${'dest' in op ? op.dest : ''}`)

  test('the private directory is bound read-only, unix entries at their paths, names in /etc/hosts, the relay preloaded', () => {
    const p = plan({ network: { forward: ['127.0.0.1:5432', 'api.example.com:8443', 'unix:/var/run/postgresql/.s.PGSQL.5432'] } })
    expect(ops(p)).toEqual(expect.arrayContaining([
      `ro-bind /tmp/relay/s1 ${RELAY_DIR}`,
      'dir /var/run/postgresql',
      'ro-bind /tmp/relay/s1/f2.sock /var/run/postgresql/.s.PGSQL.5432',
    ]))
    expect(ops(p).indexOf(`ro-bind /tmp/relay/s1 ${RELAY_DIR}`)).toBeGreaterThan(ops(p).indexOf('tmpfs /tmp'))
    expect(ops(p).at(-1)).toBe('remount-ro /')
    const hosts = p.ops.find((op) => op.op === 'file' && op.dest === '/etc/hosts') as { data: string }
    expect(hosts.data).toContain('127.77.0.1\tapi.example.com\n')
    expect(p.command).toEqual(['/usr/bin/node', '--import=file:///pkg/dist/relay/inside/preload.js', '--conditions', 'node', '/vitest/dist/workers/forks.js'])
    // The relay's paths are not the sandbox's files: the channel firewall does not serve them.
    expect(p.access.readable.some((r) => r.startsWith('/tmp/relay') || r.startsWith('/var/run'))).toBe(false)
    expect(p.network).toBe('loopback')
    const args = bwrapArgs(p, bwrapFeatures('bubblewrap 0.8.0')).args
    expect(args).toEqual(expect.arrayContaining(['--unshare-net', '--disable-userns', '--dev', '/dev']))
    expect(args).not.toContain('--cap-add')
  })

  test('ports below 1024, rootless: CAP_NET_BIND_SERVICE of its own user namespace, no nested one, /dev without devpts', () => {
    const p = plan({ network: { forward: [{ from: 'api.example.com:443', to: 'api.example.com:443' }] } })
    const args = bwrapArgs(p, bwrapFeatures('bubblewrap 0.8.0')).args
    expect(args).toEqual(expect.arrayContaining(['--unshare-user', '--unshare-net', '--cap-drop', 'ALL', '--cap-add', 'CAP_NET_BIND_SERVICE']))
    expect(args).not.toContain('--disable-userns')
    expect(args).not.toContain('--dev')
    expect(ops(p)).toEqual(expect.arrayContaining(['tmpfs /dev', 'dev-bind /dev/null /dev/null', 'dev-bind /dev/urandom /dev/urandom', 'symlink /dev/fd', 'dir /dev/shm']))
  })

  test('ports below 1024, as root: the worker keeps CAP_NET_BIND_SERVICE across setpriv, and nothing else', () => {
    const args = bwrapArgs(plan({ network: { forward: ['localhost:80'] } }, asRoot), bwrapFeatures('bubblewrap 0.8.0')).args
    expect(args).toEqual(expect.arrayContaining(['--dev', '/dev', '--cap-add', 'CAP_NET_BIND_SERVICE']))
    const setpriv = args.slice(args.indexOf('/usr/bin/setpriv'))
    expect(setpriv.slice(0, setpriv.indexOf('--'))).toEqual(['/usr/bin/setpriv', '--reuid=1000', '--regid=1000', '--clear-groups',
      '--inh-caps=+net_bind_service', '--ambient-caps=+net_bind_service'])
  })

  test('debugging alone: the sealed network, a relay for the debugger; with the host network, no relay', () => {
    const debugged = plan({}, rootless, { host: '127.0.0.1', port: 9229 })
    expect(debugged.network).toBe('loopback')
    expect(debugged.relay?.reverse).toEqual([{ socket: 'inspector.sock', listen: { host: '127.0.0.1', port: 9229 } }])
    expect(debugged.command[1]).toMatch(/^--import=/)
    const onHost = plan({ network: 'host' }, rootless, { host: '127.0.0.1', port: 9229 })
    expect(onHost.relay).toBeNull()
    expect(onHost.command[1]).toBe('--conditions')
  })
})

describe('deferDebuggerWait', () => {
  test('--inspect-brk and --inspect-wait become --inspect; the relay waits (and breaks) once it is up', () => {
    expect(deferDebuggerWait(['node', '--inspect-brk=127.0.0.1:9339', 'entry.js'])).toEqual({ command: ['node', '--inspect=127.0.0.1:9339', 'entry.js'], wait: 'break' })
    expect(deferDebuggerWait(['node', '--inspect-wait', 'entry.js'])).toEqual({ command: ['node', '--inspect', 'entry.js'], wait: 'wait' })
    expect(deferDebuggerWait(['node', '--inspect=9229', 'entry.js'])).toEqual({ command: ['node', '--inspect=9229', 'entry.js'], wait: null })
  })

  test('in the plan: only for a sandbox with a relay', () => {
    const input = {
      identity: { uid: 1000, gid: 1000, user: 'sandbox', home: '/home/sandbox', setuid: false },
      host: { system: [], etc: [] }, root: '/p', needs: [], workerEnv: {}, configEnv: {}, seccomp: null,
      command: ['/usr/bin/node', '--inspect-brk=9339', '/vitest/forks.js'],
      relay: { hostDir: '/d', preload: '/pkg/preload.js', inspector: { host: '127.0.0.1', port: 9339 } },
    }
    const sealed = planLaunch({ ...input, policy: createPolicyResolver({}, '/p').forFile('/p/a.test.ts') })
    expect(sealed.command).toEqual(['/usr/bin/node', '--import=file:///pkg/preload.js', '--inspect=9339', '/vitest/forks.js'])
    expect(sealed.relay?.inside?.debuggerWait).toBe('break')
    const onHost = planLaunch({ ...input, policy: createPolicyResolver({ network: 'host' }, '/p').forFile('/p/a.test.ts') })
    expect(onHost.command).toEqual(input.command)
  })
})

describe('inspectorAddress', () => {
  test.each([
    [{ enabled: true }, [], { host: '127.0.0.1', port: 9229 }],
    [{ enabled: true, host: '0.0.0.0', port: 9333 }, [], { host: '0.0.0.0', port: 9333 }],
    [{ enabled: false }, ['--inspect'], { host: '127.0.0.1', port: 9229 }],
    [undefined, ['--conditions', 'x', '--inspect-brk=9339'], { host: '127.0.0.1', port: 9339 }],
    [undefined, ['--inspect=localhost:9400'], { host: 'localhost', port: 9400 }],
    [undefined, ['--inspect-wait=[::1]:9401'], { host: '::1', port: 9401 }],
    [undefined, ['--inspect=0.0.0.0'], { host: '0.0.0.0', port: 9229 }],
    [undefined, ['--inspect=0'], null],
    [undefined, ['--inspect-port=9229'], null],
    [{ enabled: false }, [], null],
  ])('%j %j → %j', (config, execArgv, expected) => {
    expect(inspectorAddress(config, execArgv)).toEqual(expected)
  })
})
