/**
 * Credential files in the mounts: what is covered and how (src/isolate/conceal.ts, pure), how the
 * launch plan and bwrap's argv carry it, and what the host scan finds on a real tree
 * (src/isolate/find-concealed.ts): defaults at the top of every mounted folder outside node_modules,
 * git configs sanitized (submodules, worktrees, included files), fs.hide paths and globs, symlinks,
 * and what must stay visible.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { concealOps, keepConcealed, type Concealed } from '../../src/isolate/conceal.js'
import { findConcealed } from '../../src/isolate/find-concealed.js'
import { planLaunch } from '../../src/isolate/plan.js'
import { bwrapArgs, bwrapFeatures, FIRST_INPUT_FD } from '../../src/isolate/bwrap.js'
import { createPolicyResolver } from '../../src/policy/resolve.js'

describe('keepConcealed and concealOps (pure)', () => {
  test('what a mount or fs.readonly names, or holds, stays visible', () => {
    const candidates: Concealed[] = [
      { path: '/p/.npmrc', content: '' },
      { path: '/p/.aws', content: null },
      { path: '/p/.git/config', content: '# sanitized\n' },
      { path: '/repo', content: null },
    ]
    expect(keepConcealed(candidates, ['/repo/p', '/p', '/p/.npmrc']).map((c) => c.path)).toEqual(['/p/.aws', '/p/.git/config'])
  })

  test('nothing inside a covered folder is covered again; of two stand-ins for a file the empty one wins', () => {
    const kept = keepConcealed([
      { path: '/p/.git/config', content: '# sanitized\n' },
      { path: '/p/secrets', content: null },
      { path: '/p/secrets/a.key', content: '' },
      { path: '/p/.git/config', content: '' },
      { path: '/p/.git/config', content: '# sanitized again\n' },
    ], [])
    expect(kept).toEqual([{ path: '/p/.git/config', content: '' }, { path: '/p/secrets', content: null }])
  })

  test('a file gets a read-only stand-in, a folder an empty read-only tmpfs; all are hidden', () => {
    expect(concealOps([{ path: '/p/.npmrc', content: '' }, { path: '/p/.aws', content: null }, { path: '/p/.git/config', content: 'x' }])).toEqual({
      ops: [
        { op: 'ro-bind-data', dest: '/p/.npmrc', data: '' },
        { op: 'tmpfs', dest: '/p/.aws', size: null, perms: '0555' },
        { op: 'remount-ro', dest: '/p/.aws' },
        { op: 'ro-bind-data', dest: '/p/.git/config', data: 'x' },
      ],
      hidden: ['/p/.npmrc', '/p/.aws', '/p/.git/config'],
    })
  })

  test('the plan covers them after every bind, before the root turns read-only, and hands them to the firewall', () => {
    const policy = createPolicyResolver({}, '/p').forFile('/p/a.test.ts')
    const plan = planLaunch({
      policy: { ...policy, fs: { ...policy.fs, writable: ['/p/out'] } },
      identity: { uid: 65534, gid: 65534, user: 'sandbox', home: '/home/sandbox', setuid: true },
      host: { system: [{ path: '/usr', symlink: null }], etc: [], resolvConf: '' },
      root: '/p',
      needs: ['/opt/node'],
      command: ['/opt/node/bin/node'],
      workerEnv: {},
      configEnv: {},
      seccomp: null,
      privateMounts: [{ src: '/run/cov', dest: '/p/coverage/.tmp' }],
      concealed: [{ path: '/p/.git/config', content: '[core]\n\tbare = "false"\n' }, { path: '/p/out/.aws', content: null }],
    })
    const order = plan.ops.map((op) => `${op.op} ${'dest' in op ? op.dest : ''}`)
    const lastBind = Math.max(...order.map((o, i) => (/^(ro-)?bind /.test(o) ? i : -1)))
    expect(order.slice(lastBind + 1)).toEqual(['ro-bind-data /p/.git/config', 'tmpfs /p/out/.aws', 'remount-ro /p/out/.aws', 'remount-ro /'])
    expect(plan.access.hidden).toEqual(['/p/.git/config', '/p/out/.aws'])

    const { args, inputs } = bwrapArgs(plan, bwrapFeatures('0.8.0'))
    const at = args.indexOf('--ro-bind-data')
    // 0444: as root the worker is another user than the one bwrap writes the file as.
    expect(args.slice(at - 2, at + 3)).toEqual(['--perms', '0444', '--ro-bind-data', args[at + 1], '/p/.git/config'])
    expect(inputs[Number(args[at + 1]) - FIRST_INPUT_FD].toString()).toBe('[core]\n\tbare = "false"\n')
    expect(args.join(' ')).toContain('--perms 0555 --tmpfs /p/out/.aws --remount-ro /p/out/.aws')
  })
})

describe('findConcealed on a real tree', () => {
  let dir: string
  const at = (...parts: string[]) => path.join(dir, ...parts)
  const touch = (file: string, content = 'x') => {
    fs.mkdirSync(path.dirname(at(file)), { recursive: true })
    fs.writeFileSync(at(file), content)
  }
  const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'protocol.file.allow=always', ...args], { cwd: at(cwd), stdio: 'pipe' })
  const TOKEN_HEADER = 'AUTHORIZATION: basic dG9rZW4='
  /** Found for `mounts` and `hide`, as { path relative to the tree: content or 'folder' }. */
  const found = (mounts: string[], hide: string[] = [], root = 'p') =>
    Object.fromEntries(findConcealed({ root: at(root), mounts: mounts.map((m) => at(m)), hide }).map((c) => [path.relative(dir, c.path), c.content ?? 'folder']))

  beforeAll(() => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'nsjail-conceal-')))
    for (const file of ['.npmrc', '.yarnrc.yml', '.git-credentials', '.netrc', '.pypirc', '.docker/config.json', '.aws/credentials']) touch(`p/${file}`)
    touch('p/package.json', '{}')
    touch('p/.env')
    // Not at the top of a mounted folder: a test fixture's, a dependency's.
    touch('p/test/fixtures/app/.npmrc')
    touch('p/node_modules/dep/.npmrc')
    touch('p/secrets/a.key')
    touch('p/secrets/nested/b.key')
    touch('p/secrets/readme.txt')
    touch('p/node_modules/dep/c.key')
    touch('p/deep/er/still/d.key')
    fs.symlinkSync('../outside/.netrc', at('p/netrc-link'))
    touch('outside/.netrc')
    touch('sub-source/README.md')
    git('sub-source', 'init', '-q')
    git('sub-source', 'add', '-A')
    git('sub-source', 'commit', '-qm', 'sub')
    git('p', 'init', '-q')
    git('p', 'submodule', 'add', '-q', at('sub-source'), 'libs/sub')
    git('p', 'config', 'http.https://github.com/.extraheader', TOKEN_HEADER)
    git('p', 'config', 'include.path', 'creds.config')
    git('p', 'config', 'includeIf.gitdir:/elsewhere/.git.path', at('outside/creds.config'))
    touch('p/.git/creds.config', `[http]\n\textraheader = ${TOKEN_HEADER}\n`)
    git('p/libs/sub', 'config', 'http.https://github.com/.extraheader', TOKEN_HEADER)
    git('p', 'commit', '-qm', 'init')
    git('p', 'worktree', 'add', '-q', at('wt'))
    // A package linked from outside, its own repository.
    touch('linked/package.json', '{}')
    touch('linked/.npmrc')
    git('linked', 'init', '-q')
  })
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  test('the defaults at the top of each mounted folder outside node_modules; git configs sanitized, included files hidden', () => {
    const seen = found(['p', 'p/node_modules', 'linked'])
    expect(Object.keys(seen).sort()).toEqual([
      'linked/.git/config', 'linked/.npmrc',
      'p/.aws', 'p/.docker/config.json', 'p/.git-credentials', 'p/.git/config', 'p/.git/creds.config', 'p/.git/modules/libs/sub/config',
      'p/.netrc', 'p/.npmrc', 'p/.pypirc', 'p/.yarnrc.yml',
    ])
    expect(seen['p/.aws']).toBe('folder')
    expect(seen['p/.npmrc']).toBe('')
    expect(seen['p/.git/creds.config']).toBe('')
    for (const config of ['p/.git/config', 'p/.git/modules/libs/sub/config']) {
      expect(seen[config]).toMatch(/^# Sanitized by vitest-pool-nsjail/)
      expect(seen[config]).toContain('repositoryformatversion')
      expect(seen[config]).not.toContain(TOKEN_HEADER)
    }
  })

  test("a worktree's .git file leads to the repository's config, covered where a mount shows it", () => {
    expect(found(['wt'])).toEqual({})
    const seen = found(['wt', 'p/.git'], [], 'wt')
    expect(Object.keys(seen)).toContain('p/.git/config')
    expect(seen['p/.git/config']).not.toContain(TOKEN_HEADER)
  })

  test('a credential file reached through a symlink is covered where it really is, if a mount shows it', () => {
    expect(found(['p'], [at('p/netrc-link')])['outside/.netrc']).toBeUndefined()
    expect(found(['p', 'outside'], [at('p/netrc-link')])['outside/.netrc']).toBe('')
    // Mounted at another path (a symlinked project root): covered at the path the sandbox sees.
    fs.symlinkSync(at('p'), at('p-link'))
    expect(found(['p-link'], [], 'p-link')['p-link/.npmrc']).toBe('')
  })

  test('fs.hide: paths, and globs in the project that enter neither node_modules nor .git nor a matched folder', () => {
    const keys = (hide: string[]) => Object.keys(found(['p'], hide)).filter((k) => !k.startsWith('p/.')).sort()
    expect(keys(['secrets/*.key', at('p/.env')])).toEqual(['p/secrets/a.key'])
    expect(found(['p'], [at('p/.env')])['p/.env']).toBe('')
    expect(keys(['**/*.key'])).toEqual(['p/deep/er/still/d.key', 'p/secrets/a.key', 'p/secrets/nested/b.key'])
    expect(keys(['secrets', 'secrets/*.key'])).toEqual(['p/secrets'])
    expect(keys(['**/.npmrc'])).toEqual(['p/test/fixtures/app/.npmrc'])
  })

  test('what a mount or fs.readonly names, or holds, stays visible', () => {
    expect(found(['p', 'p/.npmrc'])['p/.npmrc']).toBeUndefined()
    expect(found(['p', 'p/.git/config'])['p/.git/config']).toBeUndefined()
    expect(found(['p', 'p/node_modules'], ['node_modules', 'test'])).not.toHaveProperty('p/node_modules')
    expect(found(['p'], ['test'])['p/test']).toBe('folder')
  })
})
