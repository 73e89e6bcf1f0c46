/**
 * The audit's pure parts: strace's output as events, the findings drawn from them against a default
 * view, the default filter's answers to raw arguments, the host folders record mode shows, and the
 * openings the recorder proposes.
 */
import { describe, expect, test } from 'vitest'
import { parseTrace, splitArgs, unquote } from '../../src/audit/trace.js'
import { findings, type TraceFacts } from '../../src/audit/findings.js'
import { filterAnswers } from '../../src/audit/filter-answer.js'
import { hostFolders } from '../../src/audit/record.js'
import { allowanceOf } from '../../src/audit/recorder.js'
import { configSnippet } from '../../src/audit/command.js'
import { planFilter } from '../../src/seccomp/plan.js'
import { DEFAULT_POLICY } from '../../src/seccomp/validate.js'

test('splitArgs keeps quoted commas, structures and escaped quotes together', () => {
  expect(splitArgs('AT_FDCWD, "/a, \\"b\\"", {st_mode=S_IFREG, st_size=1}, [1, 2]')).toEqual(['AT_FDCWD', '"/a, \\"b\\""', '{st_mode=S_IFREG, st_size=1}', '[1, 2]'])
  expect(unquote('"/x\\ty\\x41\\""')).toBe('/x\tyA"')
  expect(unquote('"/cut"...')).toBeNull()
})

test('parseTrace joins unfinished and resumed calls, and reads results and errnos', () => {
  const events = parseTrace([
    '12 openat(AT_FDCWD, "/srv/a.txt", O_RDONLY|O_CLOEXEC <unfinished ...>',
    '13 connect(21, {sa_family=AF_INET, sin_port=htons(5432), sin_addr=inet_addr("127.0.0.1")}, 16) = -1 EINPROGRESS (Operation now in progress)',
    '12 <... openat resumed>) = 23',
    '12 mkdir("out", 0777) = -1 EROFS (Read-only file system)',
    '12 +++ exited with 0 +++',
  ].join('\n'))
  expect(events).toEqual([
    { pid: 13, name: 'connect', args: ['21', '{sa_family=AF_INET, sin_port=htons(5432), sin_addr=inet_addr("127.0.0.1")}', '16'], ret: '-1', errno: 'EINPROGRESS' },
    { pid: 12, name: 'openat', args: ['AT_FDCWD', '"/srv/a.txt"', 'O_RDONLY|O_CLOEXEC'], ret: '23', errno: null },
    { pid: 12, name: 'mkdir', args: ['"out"', '0777'], ret: '-1', errno: 'EROFS' },
  ])
})

const answers = filterAnswers(planFilter(DEFAULT_POLICY, 'x86_64', (name) => ({ personality: 135, unshare: 272, clone: 56, clone3: 435, mount: 165 })[name] ?? 'absent'))

const facts: TraceFacts = {
  root: '/proj',
  own: (p) => p.startsWith('/tmp') || p.startsWith('/proc'),
  visible: (p) => p === '/' || p === '/srv' || p.startsWith('/proj') || p.startsWith('/usr'),
  answer: answers.answer,
}

describe('findings', () => {
  test('reads outside the default view; folders only looked at on the way are dropped; own and visible paths are not findings', () => {
    const found = findings(parseTrace([
      '1 newfstatat(AT_FDCWD, "/srv/data", {st_mode=S_IFDIR|0755}, 0) = 0',
      '1 openat(AT_FDCWD, "/srv/data/a.json", O_RDONLY|O_CLOEXEC) = 3',
      '1 openat(AT_FDCWD, "/srv/data/missing", O_RDONLY) = -1 ENOENT (No such file or directory)',
      '1 openat(AT_FDCWD, "/proj/src/x.ts", O_RDONLY) = 3',
      '1 openat(AT_FDCWD, "/tmp/own.txt", O_RDONLY) = 3',
      '1 openat(5, "rel.txt", O_RDONLY) = 3',
      '1 openat(AT_FDCWD, "/opt/list", O_RDONLY|O_DIRECTORY) = 4',
      '1 openat(AT_FDCWD, "/opt/list/one", O_RDONLY) = 4',
      '1 mkdir("out", 0777) = -1 EROFS (Read-only file system)',
    ].join('\n')), facts)
    expect(found.reads).toEqual(['/opt/list', '/srv/data/a.json'])
    expect(found.writes).toEqual([{ path: '/proj/out', mkdir: true }])
  })

  test('connections: done or finished (SO_ERROR 0), not to the sandbox\'s own servers, not datagrams or DNS', () => {
    const found = findings(parseTrace([
      '1 socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 20',
      '1 connect(20, {sa_family=AF_INET, sin_port=htons(5432), sin_addr=inet_addr("127.0.0.1")}, 16) = -1 EINPROGRESS (Operation now in progress)',
      '1 getsockopt(20, SOL_SOCKET, SO_ERROR, [0], [4]) = 0',
      '1 connect(21, {sa_family=AF_INET, sin_port=htons(6379), sin_addr=inet_addr("127.0.0.1")}, 16) = -1 EINPROGRESS (Operation now in progress)',
      '1 getsockopt(21, SOL_SOCKET, SO_ERROR, [111], [4]) = 0',
      '1 bind(22, {sa_family=AF_INET, sin_port=htons(0), sin_addr=inet_addr("127.0.0.1")}, 16) = 0',
      '1 getsockname(22, {sa_family=AF_INET, sin_port=htons(40001), sin_addr=inet_addr("127.0.0.1")}, [16]) = 0',
      '1 connect(23, {sa_family=AF_INET, sin_port=htons(40001), sin_addr=inet_addr("127.0.0.1")}, 16) = 0',
      '1 socket(0x2, 0x80802, 0) = 24',
      '1 connect(24, {sa_family=AF_INET, sin_port=htons(9999), sin_addr=inet_addr("127.0.0.1")}, 16) = 0',
      '1 connect(25, {sa_family=AF_INET6, sin6_port=htons(53), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = 0',
      '1 connect(26, {sa_family=AF_INET6, sin6_port=htons(8080), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = 0',
      '1 connect(27, {sa_family=AF_UNIX, sun_path="/run/postgresql/.s.PGSQL.5432"}, 110) = 0',
    ].join('\n')), facts)
    expect(found.connections).toEqual(['127.0.0.1:5432', '[::1]:8080', 'unix:/run/postgresql/.s.PGSQL.5432'])
  })

  test('system calls: what the default filter refuses, judged on raw arguments; ENOSYS fallbacks are not needs', () => {
    const found = findings(parseTrace([
      '1 personality(0xffffffff) = 0',
      '1 personality(0x40000) = 0',
      '1 clone(0x1200011, 0, 0, 0, 0) = 7',
      '1 clone(0x10000011, 0, 0, 0, 0) = 8',
      '1 clone3({flags=CLONE_VM, exit_signal=0}, 88) = 9',
      '1 unshare(CLONE_NEWNS) = -1 EPERM (Operation not permitted)',
    ].join('\n')), facts)
    expect(found.syscalls).toEqual(['clone', 'personality', 'unshare'])
  })
})

test('record mode shows top-level host folders, and /tmp and the home\'s parent entry by entry, never its own ones', () => {
  const tree: Record<string, string[]> = { '/': ['proc', 'etc', 'usr', 'srv', 'tmp', 'home', 'notes.txt'], '/tmp': ['a.sock', 'data'], '/home': ['sandbox', 'alice'] }
  const dirs = new Set(['/srv', '/tmp', '/home', '/tmp/data', '/home/alice', '/home/sandbox', '/usr', '/etc', '/proc'])
  const shown = hostFolders('/home/sandbox', (dir) => tree[dir] ?? [], (p) => {
    if (p === '/notes.txt' || p === '/tmp/a.sock') return false
    if (!dirs.has(p)) throw new Error('ENOENT')
    return true
  })
  expect(shown).toEqual(['/srv', '/tmp/a.sock', '/tmp/data', '/home/alice'])
})

test('the openings: exact entries; a name a client asked for stands for its address', () => {
  expect(allowanceOf('/proj', {
    reads: ['/srv/a.json'],
    writes: [{ path: '/proj/out', mkdir: true }, { path: '/proj/gen/x.txt', mkdir: false }],
    connections: ['127.0.0.1:5432', '93.184.216.34:443', '10.0.0.5:6379', 'unix:/run/x.sock'],
    syscalls: ['personality'],
    env: ['API_TOKEN'],
    names: [['api.example.com', 443], ['down.example.com', 80]],
  })).toEqual({
    readonly: ['/srv/a.json'],
    writable: ['/proj/out', '/proj/gen'],
    forward: ['127.0.0.1:5432', 'api.example.com:443', { from: '127.0.0.1:6379', to: '10.0.0.5:6379' }, 'unix:/run/x.sock', 'down.example.com:80'],
    seccomp: ['personality'],
    env: ['API_TOKEN'],
  })
})

test('the config snippet: one line per top-level option and per rule, valid JavaScript', () => {
  const snippet = configSnippet({ files: [], options: { rootfs: 'minimal', env: { set: { A: '1' } }, rules: [{ files: 'test/a.test.ts', seccomp: { allow: ['personality'] } }] } })
  expect(snippet).toBe([
    'nsjail({',
    "  rootfs: 'minimal',",
    "  env: { set: { A: '1' } },",
    '  rules: [',
    "    { files: 'test/a.test.ts', seccomp: { allow: ['personality'] } },",
    '  ],',
    '})',
  ].join('\n'))
  const nsjail = (options: unknown) => options
  expect(new Function('nsjail', `return ${snippet}`)(nsjail)).toEqual({ rootfs: 'minimal', env: { set: { A: '1' } }, rules: [{ files: 'test/a.test.ts', seccomp: { allow: ['personality'] } }] })
})
