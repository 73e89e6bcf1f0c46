import { describe, expect, test } from 'vitest'
import { validateOptions } from '../../src/policy/validate.js'
import { createPolicyResolver, resolveUser } from '../../src/policy/resolve.js'
import { OptionsError } from '../../src/policy/errors.js'

const root = '/proj'

describe('validateOptions', () => {
  test.each([
    [{ network: 'none' }, 'option `network` is "none"; expected \'loopback\' (a private network with only lo) or \'host\''],
    [{ netwrok: 'host' }, 'option `netwrok` is "host"; expected one of the known options (did you mean `network`?)'],
    [{ rules: [{ files: 'a', limts: {} }] }, 'option `rules[0].limts` is {}; expected one of the known options (did you mean `rules[0].limits`?)'],
    [{ shiny: true }, 'option `shiny` is true; expected one of the known options: network,'],
    [{ fs: { tmpSize: 'lots' } }, 'option `fs.tmpSize` is "lots"; expected a size such as'],
    [{ fs: { readonly: ['/a', 3] } }, 'option `fs.readonly[1]` is 3; expected a non-empty string'],
    [{ env: { allow: 'GITHUB_*' } }, 'option `env.allow` is "GITHUB_*"; expected an array of variable name globs'],
    [{ env: { set: { A: 1 } } }, 'option `env.set.A` is 1; expected a string'],
    [{ hostname: 'bad host' }, 'option `hostname` is "bad host"'],
    [{ cgroups: 'yes' }, 'option `cgroups` is "yes"; expected \'auto\', \'required\' or false'],
    [{ rules: [{ network: 'host' }] }, 'option `rules[0].files` is undefined; expected a glob or a non-empty array of globs'],
    [{ rules: [{ files: 'a/**', network: 'wifi' }] }, 'option `rules[0].network` is "wifi"'],
    [{ rules: [{ files: 'a/**', bwrap: '/x' }] }, 'option `rules[0].bwrap` is "/x"; expected one of the known options'],
    [{ user: 'root' }, 'option `user` is "root"; expected \'owner\' (the project\'s owner, nobody when that is root), \'nobody\', or { uid, gid }'],
    [{ user: { uid: 0, gid: 1000 } }, 'option `user.uid` is 0; expected a uid from 1 to 4294967294: the worker never runs as root (0)'],
    [{ user: { uid: 1000, gid: 1000, name: 'x' } }, 'option `user.name` is "x"; expected one of the known options'],
    [{ rules: [{ files: 'a/**', user: 'nobody' }] }, 'option `rules[0].user` is "nobody"; expected one of the known options'],
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
    const options = { network: 'host', fs: { tmpSize: '1G' }, user: { uid: 1001, gid: 1001 }, rules: [{ files: ['x/**'], hostname: 'x' }] }
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
    expect(policy.fs).toEqual({ readonly: ['/proj/data'], writable: [], tmpSize: 64 * 2 ** 20 })
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

  test('globs are relative to the project root', () => {
    expect(resolver.forFile('/proj/src/x.e2e.ts').fs.writable).toEqual(['/var/cache/x'])
    expect(resolver.forFile('/elsewhere/test/integration/a.test.ts').network).toBe('loopback')
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
