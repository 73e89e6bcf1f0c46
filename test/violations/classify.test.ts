/**
 * The report's pure parts: which serialized errors the sandbox explains (with a fake Fence standing
 * for the host's facts), the rules it proposes on top of a file's policy, the literal printer, the
 * listening-socket reader and the bounds on hints.
 */
import { describe, expect, test } from 'vitest'
import { explainEnv, explainError, type Fence, type Place } from '../../src/violations/classify.js'
import { ruleFor } from '../../src/violations/allowance.js'
import { literal } from '../../src/violations/literal.js'
import { hostListens } from '../../src/violations/network.js'
import { Hints } from '../../src/violations/hints.js'
import { createPolicyResolver } from '../../src/policy/resolve.js'
import type { NsjailOptions } from '../../src/policy/types.js'

const root = '/proj'

function fence(options: NsjailOptions = {}, facts: Partial<Fence> = {}): Fence {
  return {
    root,
    file: 'test/a.test.ts',
    policy: createPolicyResolver(options, root).forFile('/proj/test/a.test.ts'),
    place: (p): Place => (p.startsWith('/proj/out') ? 'writable' : p.startsWith('/proj') || p.startsWith('/usr') ? 'readable' : p.startsWith('/proc') ? 'private' : 'outside'),
    exists: (p) => ['/proj', '/srv/data', '/srv/data/x.json'].includes(p),
    hostListens: (address, port) => address === '127.0.0.1' && port === 5432,
    withheld: (name) => name === 'API_TOKEN',
    portFor: (host) => (host === 'db.example.com' ? 5432 : undefined),
    ...facts,
  }
}

const notes = (f: Fence, error: unknown) => explainError(f, error).map((v) => v.note)

describe('explainError', () => {
  test('EROFS in the project: fs.writable names the folder the file goes into', () => {
    expect(notes(fence(), { code: 'EROFS', syscall: 'open', path: 'gen/x.json', message: 'EROFS' })).toEqual([
      "vitest-pool-nsjail: the project is read-only here; to let test/a.test.ts write ./gen/x.json use rules: [{ files: 'test/a.test.ts', fs: { writable: ['gen'] } }]",
    ])
  })

  test('EROFS where the sandbox may write, or in its own /proc, is not the fence', () => {
    expect(notes(fence(), { code: 'EROFS', path: '/proj/out/x' })).toEqual([])
    expect(notes(fence(), { code: 'EROFS', path: '/proc/sys/x' })).toEqual([])
  })

  test('ENOENT outside the view: only for a path the host has, never for one it does not', () => {
    expect(notes(fence(), { code: 'ENOENT', path: '/srv/data/x.json' })[0]).toContain("fs: { readonly: ['/srv/data/x.json'] }")
    expect(notes(fence(), { code: 'ENOENT', path: '/srv/secret-guess' })).toEqual([])
    expect(notes(fence(), { code: 'ENOENT', path: '/proj/missing.txt' })).toEqual([])
  })

  test('a rule repeats what the file already has: arrays in a rule replace the inherited ones', () => {
    expect(notes(fence({ fs: { readonly: ['/opt/tools'] } }), { code: 'EACCES', path: '/srv/data' })[0]).toContain(
      "fs: { readonly: ['/opt/tools', '/srv/data'] }")
  })

  test('ECONNREFUSED on loopback: only where the host listens; a refusal under network host is the host\'s own', () => {
    const error = { code: 'ECONNREFUSED', address: '127.0.0.1', port: 5432, syscall: 'connect' }
    expect(notes(fence(), error)[0]).toContain("network: { forward: ['127.0.0.1:5432'] }")
    expect(notes(fence(), { ...error, port: 6000 })).toEqual([])
    expect(notes(fence({ network: 'host' }), error)).toEqual([])
  })

  test('inside fetch\'s cause and an AggregateError\'s errors', () => {
    const refused = { code: 'ECONNREFUSED', address: '127.0.0.1', port: 5432 }
    expect(notes(fence(), { message: 'fetch failed', cause: refused })).toHaveLength(1)
    expect(notes(fence(), { message: 'x', errors: [{ code: 'ECONNREFUSED', address: '::1', port: 5432 }, refused] })).toHaveLength(1)
  })

  test('a failed lookup: the name with the port a client asked for (a hint), or PORT to fill in', () => {
    expect(notes(fence(), { code: 'EAI_AGAIN', hostname: 'db.example.com', syscall: 'getaddrinfo' })[0]).toContain("network: { forward: ['db.example.com:5432'] }")
    expect(notes(fence(), { code: 'ENOTFOUND', hostname: 'other.example.com' })[0]).toContain("'other.example.com:PORT'")
    expect(notes(fence(), { code: 'ENOTFOUND', hostname: 'localhost' })).toEqual([])
  })

  test('a refused system call: by the error\'s syscall field or a call the filter refuses named with its errno', () => {
    expect(notes(fence(), { message: 'unshare: unshare failed: Operation not permitted' })[0]).toContain("seccomp: { allow: ['unshare'] }")
    expect(notes(fence(), { message: 'io_uring_setup: Function not implemented' })[0]).toContain('(ENOSYS)')
    // The filter does not refuse it, or the errno is not the filter's answer.
    expect(notes(fence(), { message: 'read failed: Operation not permitted' })).toEqual([])
    expect(notes(fence(), { message: 'mount: EBUSY' })).toEqual([])
    expect(notes(fence({ seccomp: false }), { message: 'unshare failed: Operation not permitted' })).toEqual([])
  })

  test('strict keeps its base; a deny rule of the user for that call goes (a deny wins over an allow)', () => {
    const strict = fence({ seccomp: { extends: 'strict', deny: [{ syscall: 'ptrace', errno: 'EACCES' }, 'bpf'] } })
    expect(notes(strict, { message: 'ptrace: EACCES' })[0]).toContain("seccomp: { extends: 'strict', deny: ['bpf'], allow: ['ptrace'] }")
    expect(notes(strict, { code: 'EPERM', syscall: 'sethostname', message: 'EPERM' })[0]).toContain("allow: ['sethostname']")
  })
})

test('explainEnv: names the host has and the sandbox withheld, never a value', () => {
  expect(explainEnv(fence(), ['API_TOKEN', 'NOT_ON_HOST']).map((v) => v.note)).toEqual([
    "vitest-pool-nsjail: the sandbox withheld the environment variable API_TOKEN (the host has it; names from what the test read); to let test/a.test.ts read it use rules: [{ files: 'test/a.test.ts', env: { allow: ['API_TOKEN'] } }]",
  ])
  expect(explainEnv(fence(), ['NOT_ON_HOST'])).toEqual([])
})

test('ruleFor keeps forwards written as { from, to }', () => {
  const policy = { ...fence().policy, network: { forward: [{ spec: '127.0.0.1:8080 → staging:80', from: { kind: 'tcp', host: '127.0.0.1', port: 8080 } }] } } as never
  expect(ruleFor('t.ts', policy, root, { forward: ['127.0.0.1:5432'] }).network).toEqual({ forward: [{ from: '127.0.0.1:8080', to: 'staging:80' }, '127.0.0.1:5432'] })
})

test('literal prints what a config file holds', () => {
  expect(literal({ files: "it's", 'a-b': [1, { c: true }], skip: undefined })).toBe("{ files: 'it\\'s', 'a-b': [1, { c: true }] }")
})

test('hostListens reads LISTEN sockets of /proc/net/tcp and tcp6, wildcards included', () => {
  const header = '  sl  local_address rem_address   st\n'
  const tcp = `${header}   0: 0100007F:1538 00000000:0000 0A\n   1: 00000000:0050 00000000:0000 0A\n   2: 0100007F:1F90 0100007F:9C40 01\n`
  const tcp6 = `${header}   0: 00000000000000000000000001000000:18EB 00000000000000000000000000000000:0000 0A\n`
  const read = (file: string) => (file.endsWith('6') ? tcp6 : tcp)
  expect(hostListens('127.0.0.1', 5432, read)).toBe(true)
  expect(hostListens('127.0.0.2', 80, read)).toBe(true)
  expect(hostListens('127.0.0.1', 8080, read)).toBe(false)
  expect(hostListens('::1', 6379, read)).toBe(true)
  expect(hostListens('::1', 5432, read)).toBe(false)
})

test('hints are bounded and shaped: a flood or a malformed one costs nothing', () => {
  const hints = new Hints()
  for (let i = 0; i < 2000; i++) hints.add({ __nsjail_hint__: { env: `V${i}`, task: 't_1' } })
  hints.add({ __nsjail_hint__: { env: 'bad name!', task: 't_1' } })
  hints.add({ __nsjail_hint__: { connect: 'db.example.com', port: 70000 } })
  hints.add({ __nsjail_hint__: { connect: 'api.example.com', port: 443 } })
  expect(hints.envReads('t_1')).toHaveLength(512)
  expect(hints.portFor('db.example.com')).toBeUndefined()
  expect(hints.portFor('api.example.com')).toBe(443)
})
