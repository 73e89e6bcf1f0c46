import { describe, expect, test } from 'vitest'
import { validateOptions } from '../../src/policy/validate.js'
import { createPolicyResolver, resolveUser } from '../../src/policy/resolve.js'
import { OptionsError } from '../../src/policy/errors.js'
import { describeRootfs } from '../../src/rootfs/option.js'

const root = '/proj'

describe('validateOptions', () => {
  test.each([
    [{ network: 'none' }, 'option `network` is "none"; expected \'loopback\' (a private network with only lo), \'host\', or { forward: [...] } (only the listed host services)'],
    [{ netwrok: 'host' }, 'option `netwrok` is "host"; expected one of the known options (did you mean `network`?)'],
    [{ rules: [{ files: 'a', limts: {} }] }, 'option `rules[0].limts` is {}; expected one of the known options (did you mean `rules[0].limits`?)'],
    [{ shiny: true }, 'option `shiny` is true; expected one of the known options: network,'],
    [{ limits: { output: 'lots' } }, 'option `limits.output` is "lots"; expected a size such as \'64M\' or \'1G\' (binary units), at least 1M'],
    [{ limits: { messages: 10 } }, 'option `limits.messages` is 10; expected a whole number of messages per second, at least 100'],
    [{ rules: [{ files: 'a', limits: { mesages: 500 } }] }, 'option `rules[0].limits.mesages` is 500; expected no such limit (did you mean `rules[0].limits.messages`?)'],
    [{ fs: { tmpSize: 'lots' } }, 'option `fs.tmpSize` is "lots"; expected a size such as'],
    [{ fs: { readonly: ['/a', 3] } }, 'option `fs.readonly[1]` is 3; expected a non-empty string'],
    [{ env: { allow: 'GITHUB_*' } }, 'option `env.allow` is "GITHUB_*"; expected an array of variable name globs'],
    [{ env: { set: { A: 1 } } }, 'option `env.set.A` is 1; expected a string'],
    [{ hostname: 'bad host' }, 'option `hostname` is "bad host"'],
    [{ rootfs: 'alpine' }, 'option `rootfs` is "alpine"; expected \'host\' (the host\'s /usr, read-only), \'minimal\' (node, its libraries and busybox), { base: \'minimal\', tools: [\'git\', …] } or { dir:'],
    [{ rootfs: { dir: '' } }, 'option `rootfs.dir` is ""; expected the path of a folder holding an unpacked root filesystem'],
    [{ rootfs: { dir: '/img', tools: ['git'] } }, 'option `rootfs.tools` is ["git"]; expected one of the known options: dir'],
    [{ rootfs: { base: 'host', tools: [] } }, 'option `rootfs.base` is "host"; expected \'minimal\''],
    [{ rootfs: { base: 'minimal', toolz: ['git'] } }, 'option `rootfs.toolz` is ["git"]; expected one of the known options (did you mean `rootfs.tools`?)'],
    [{ rules: [{ files: 'a/**', rootfs: { base: 'minimal', tools: ['git', '../bin/sh'] } }] }, 'option `rules[0].rootfs.tools[1]` is "../bin/sh"; expected a program name as found on PATH (no slash)'],
    [{ cgroups: 'yes' }, 'option `cgroups` is "yes"; expected \'auto\', \'required\' or false'],
    [{ onUnsupported: 'ignore' }, 'option `onUnsupported` is "ignore"; expected \'error\' (fail on a machine that cannot sandbox) or \'warn\' (run unsandboxed, with a warning)'],
    [{ rules: [{ files: 'a/**', onUnsupported: 'warn' }] }, 'option `rules[0].onUnsupported` is "warn"; expected one of the known options'],
    [{ rules: [{ network: 'host' }] }, 'option `rules[0].files` is undefined; expected a glob or a non-empty array of globs'],
    [{ rules: [{ files: 'a/**', network: 'wifi' }] }, 'option `rules[0].network` is "wifi"'],
    [{ rules: [{ files: 'a/**', bwrap: '/x' }] }, 'option `rules[0].bwrap` is "/x"; expected one of the known options'],
    [{ user: 'root' }, 'option `user` is "root"; expected \'owner\' (the project\'s owner, nobody when that is root), \'nobody\', or { uid, gid }'],
    [{ user: { uid: 0, gid: 1000 } }, 'option `user.uid` is 0; expected a uid from 1 to 4294967294: the worker never runs as root (0)'],
    [{ user: { uid: 1000, gid: 1000, name: 'x' } }, 'option `user.name` is "x"; expected one of the known options'],
    [{ rules: [{ files: 'a/**', user: 'nobody' }] }, 'option `rules[0].user` is "nobody"; expected one of the known options'],
    [{ fs: { hide: '.env' } }, 'option `fs.hide` is ".env"; expected an array of paths, or globs relative to the project root'],
    [{ fs: { hide: ['!.npmrc'] } }, 'option `fs.hide[0]` is "!.npmrc"; expected a path or glob to hide; to show a hidden path, name it in fs.readonly instead of negating it here'],
    [{ rules: [{ files: 'a/**', fs: { hide: ['/etc/*.conf'] } }] }, 'option `rules[0].fs.hide[0]` is "/etc/*.conf"; expected a glob relative to the project root, inside it'],
    [{ report: '' }, "option `report` is \"\"; expected the path of a JSON file to write the sandbox's report to"],
    [{ rules: [{ files: 'a/**', report: 'r.json' }] }, 'option `rules[0].report` is "r.json"; expected one of the known options'],
    [{ fs: { hide: ['../shared/*.key'] } }, 'option `fs.hide[0]` is "../shared/*.key"; expected a glob relative to the project root, inside it (globs match files in the project); name a path outside the project without wildcards'],
    [{ prewarm: true }, 'option `prewarm` is true; expected false, or the number of spare sandboxes kept ready per policy, from 0 to 16'],
    [{ prewarm: 1.5 }, 'option `prewarm` is 1.5; expected false'],
    [{ prewarm: 17 }, 'option `prewarm` is 17; expected false'],
    [{ rules: [{ files: 'a/**', prewarm: 2 }] }, 'option `rules[0].prewarm` is 2; expected one of the known options'],
  ])('%j is refused with its option, value and what is expected', (options, message) => {
    expect(() => validateOptions(options)).toThrow(OptionsError)
    expect(() => validateOptions(options)).toThrow(message)
  })

  test('every problem of a config is reported at once, without a stack trace or an options dump', () => {
    let error: OptionsError | undefined
    try {
      validateOptions({ netwrok: 'host', fs: { readonly: ['/a', 3], tmpSize: 'lots' }, rules: [{ files: 'a/**', limits: { memory: 'x' } }, { hostname: 'bad host' }] })
    } catch (e) {
      error = e as OptionsError
    }
    expect(error?.problems.map((p) => p.option)).toEqual([
      'netwrok', 'fs.readonly[1]', 'fs.tmpSize', 'rules[0].limits.memory', 'rules[1].files', 'rules[1].hostname',
    ])
    expect(error?.message).toMatch(/^vitest-pool-nsjail: 6 problems in the options:\n  - option `netwrok` is "host"; expected one of the known options \(did you mean `network`\?\)/)
    expect(error?.stack).toBe(`OptionsError: ${error?.message}`)
    expect(Object.keys(error!)).toEqual([])
    expect(Object.keys(error!.problems[0])).toEqual([])
  })

  test('valid options pass through', () => {
    const options = { network: 'host', fs: { tmpSize: '1G', hide: ['.env*', '../shared/api.key'] }, user: { uid: 1001, gid: 1001 }, rules: [{ files: ['x/**'], hostname: 'x', fs: { hide: ['**/*.pem'] } }] }
    expect(validateOptions(options)).toBe(options)
    for (const prewarm of [false, 0, 2, 16]) expect(validateOptions({ prewarm })).toEqual({ prewarm })
    expect(validateOptions(undefined)).toEqual({})
  })
})

describe('createPolicyResolver', () => {
  const resolver = createPolicyResolver(
    validateOptions({
      fs: { readonly: ['data'], tmpSize: '64M' },
      env: { set: { A: '1' } },
      rules: [
        { files: 'test/integration/**', network: 'host', env: { set: { B: '2' } } },
        { files: ['test/integration/slow/**', '**/*.e2e.ts'], fs: { writable: ['/var/cache/x'] } },
      ],
    }),
    root,
  )

  test('defaults and top-level options', () => {
    const policy = resolver.forFile('/proj/test/unit/a.test.ts')
    expect(policy.network).toBe('loopback')
    expect(policy.hostname).toBe('nsjail')
    expect(policy.fs).toEqual({ readonly: ['/proj/data'], writable: [], tmpSize: 64 * 2 ** 20, hide: [] })
    expect(policy.env.set).toEqual({ A: '1' })
  })

  test('later rules override earlier settings for the files they match, field by field', () => {
    const policy = resolver.forFile('/proj/test/integration/slow/b.test.ts')
    expect(policy.network).toBe('host')
    expect(policy.env.set).toEqual({ A: '1', B: '2' })
    expect(policy.fs.writable).toEqual(['/var/cache/x'])
    expect(policy.fs.readonly).toEqual(['/proj/data'])
  })

  test('policy keys are equal exactly when policies are', () => {
    expect(resolver.keyForFile('/proj/test/unit/a.test.ts')).toBe(resolver.keyForFile('/proj/test/unit/b.test.ts'))
    expect(resolver.keyForFile('/proj/test/unit/a.test.ts')).not.toBe(resolver.keyForFile('/proj/test/integration/a.test.ts'))
    expect(resolver.keyForFile('/proj/test/integration/slow/b.test.ts')).toBe(resolver.keyForFile('/proj/test/integration/slow/c.test.ts'))
  })

  test('relative fs paths resolve against the project root, above it too', () => {
    const policy = createPolicyResolver(validateOptions({ fs: { readonly: ['../shared', 'data'], writable: ['out'] } }), '/repo/packages/a').forFile('/repo/packages/a/t.test.ts')
    expect(policy.fs).toMatchObject({ readonly: ['/repo/packages/shared', '/repo/packages/a/data'], writable: ['/repo/packages/a/out'] })
  })

  test('fs.hide: paths resolve like fs.readonly, globs stay relative to the project root; a rule replaces the list', () => {
    const hide = createPolicyResolver(validateOptions({
      fs: { hide: ['./secrets/*.key', 'config/local.json', '../shared/.env', '/etc/app/token'] },
      rules: [{ files: 'test/env/**', fs: { hide: ['.env*'] } }],
    }), '/repo/a')
    expect(hide.forFile('/repo/a/test/x.test.ts').fs.hide).toEqual(['secrets/*.key', '/repo/a/config/local.json', '/repo/shared/.env', '/etc/app/token'])
    expect(hide.forFile('/repo/a/test/env/x.test.ts').fs.hide).toEqual(['.env*'])
  })

  test('globs are relative to the project root', () => {
    expect(resolver.forFile('/proj/src/x.e2e.ts').fs.writable).toEqual(['/var/cache/x'])
    expect(resolver.forFile('/elsewhere/test/integration/a.test.ts').network).toBe('loopback')
  })

  test("rootfs: 'host' by default; a rule's replaces the one before as a whole; a relative dir is the project's", () => {
    const rootfs = createPolicyResolver(validateOptions({
      rootfs: { base: 'minimal', tools: ['git'] },
      rules: [{ files: 'image/**', rootfs: { dir: '../images/debian' } }, { files: 'image/plain/**', rootfs: 'minimal' }],
    }), '/repo/app')
    expect(createPolicyResolver({}, root).forFile('/proj/a.test.ts').rootfs).toEqual({ base: 'host' })
    expect(rootfs.forFile('/repo/app/a.test.ts').rootfs).toEqual({ base: 'minimal', tools: ['git'] })
    expect(rootfs.forFile('/repo/app/image/a.test.ts').rootfs).toEqual({ base: 'dir', dir: '/repo/images/debian' })
    expect(rootfs.forFile('/repo/app/image/plain/a.test.ts').rootfs).toEqual({ base: 'minimal', tools: [] })
  })

  test('describeRootfs: one line for each base, for whatever shows a policy', () => {
    expect(describeRootfs({ base: 'host' })).toBe("rootfs host: the host's /usr, /bin and /lib*, read-only")
    expect(describeRootfs({ base: 'minimal', tools: ['git', 'make'] })).toBe(
      "rootfs minimal: node, setpriv and the libraries they and the project's native addons load, busybox as /bin/sh and its applets, and git, make from the host; nothing else of /usr")
    expect(describeRootfs({ base: 'dir', dir: '/images/debian12' })).toBe(
      "rootfs /images/debian12: that image's /usr, /bin, /sbin, /lib* and /etc, read-only, with the host's node, setpriv and their libraries on top")
    for (const line of [describeRootfs({ base: 'host' }), describeRootfs({ base: 'minimal', tools: [] })]) expect(line).not.toContain('\n')
  })
})

describe('resolveUser (who the worker is when Vitest is root)', () => {
  test("'owner' (the default) is the project's owner, or nobody when root owns it; never 0", () => {
    expect(resolveUser(undefined, { uid: 1000, gid: 100 })).toEqual({ uid: 1000, gid: 100 })
    expect(resolveUser('owner', { uid: 0, gid: 0 })).toEqual({ uid: 65534, gid: 65534 })
    expect(resolveUser('nobody', { uid: 1000, gid: 100 })).toEqual({ uid: 65534, gid: 65534 })
    expect(resolveUser({ uid: 1001, gid: 1002 }, { uid: 0, gid: 0 })).toEqual({ uid: 1001, gid: 1002 })
  })
})

describe('budgets', () => {
  test('defaults, and a rule overrides one budget for its files, keeping the others', () => {
    const resolver = createPolicyResolver(validateOptions({ limits: { hostWrites: '64M' }, rules: [{ files: 'big/**', limits: { output: '1G' } }] }), root)
    expect(resolver.forFile('/proj/a.test.ts').budgets).toEqual({ hostWrites: 64 * 2 ** 20, coverage: 2 ** 30, output: 64 * 2 ** 20, messages: 20_000, messageSize: 256 * 2 ** 20 })
    expect(resolver.forFile('/proj/big/a.test.ts').budgets).toMatchObject({ hostWrites: 64 * 2 ** 20, output: 2 ** 30 })
  })
})
