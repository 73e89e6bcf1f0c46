/**
 * A small project of its own (outside this repository, vitest and the pool linked into its
 * node_modules), run through the pool by Vitest's real command line. As root its checkout belongs to
 * root, as on a CI container, so the worker is nobody: git must still trust the checkout, and one
 * `fs.writable: ['out']` must be enough for a test writing ./out/report.json. Also: what is wrong is
 * reported before any test (two typos at once; as root, an unwritable out/ and unreadable files),
 * and the environment Node and tools rely on arrives (NODE_OPTIONS, its preloads, the CA file).
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, expect, test } from 'vitest'
import { factsOf, runCli } from '../helpers/cli.js'
import { linkToolchain, tempFixture, type TempFixture } from '../helpers/temp-fixture.js'

const asRoot = process.getuid!() === 0
let fx: TempFixture

beforeEach(() => {
  fx = tempFixture('app', { outside: true })
  linkToolchain(fx.root)
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: fx.root, stdio: 'pipe' })
  git('init', '-q')
  git('add', '-A')
  git('commit', '-qm', 'init')
})
afterEach(() => fx.remove())

test('one fs.writable entry makes ./out/report.json work (created before any test), and git trusts the checkout', async () => {
  expect(fx.exists('out')).toBe(false)
  const run = await runCli(fx.root, ['run'])
  expect(run.code, run.output).toBe(0)
  expect(run.output).toMatch(/Tests {2}2 passed/)
  const git = factsOf(run.output).git
  expect(git.head).toBe(execFileSync('git', ['rev-parse', 'HEAD'], { cwd: fx.root, encoding: 'utf8' }).trim())
  const report = JSON.parse(fx.read('out/report.json')) as { from: string; uid: number }
  expect(report).toEqual({ from: 'the sandbox', uid: git.uid })
  if (asRoot) {
    // A root-owned checkout: the worker is nobody, and out/ was made its own.
    expect(fs.statSync(fx.root).uid).toBe(0)
    expect(git.uid).toBe(65534)
    expect(fs.statSync(fx.path('out')).uid).toBe(65534)
  }
})

test('the fs.writable entry may be in a rule', async () => {
  const run = await runCli(fx.root, ['run', '--config', 'rule.config.ts'])
  expect(run.code, run.output).toBe(0)
  expect(JSON.parse(fx.read('out/report.json')).from).toBe('the sandbox')
})

test('a config with two typos: both reported at once, before any test, with what was meant', async () => {
  const run = await runCli(fx.root, ['run', '--config', 'typos.config.ts'])
  expect(run.code).toBe(1)
  expect(run.output).toContain('vitest-pool-nsjail: 2 problems in the options:')
  expect(run.output).toContain('option `netwrok` is "host"; expected one of the known options (did you mean `network`?)')
  expect(run.output).toContain('option `fs.writeable` is ["out"]; expected one of the known options (did you mean `fs.writable`?)')
  expect(run.output.match(/2 problems in the options/g)).toHaveLength(1)
  expect(run.output).not.toMatch(/Test Files/)
})

test('as root: an out/ the worker cannot write and a strict-umask checkout are reported before any test, with the fixes', async (ctx) => {
  if (!asRoot) return ctx.skip('rootless, the worker is the user who owns the checkout')
  fs.mkdirSync(fx.path('out'), { mode: 0o755 })
  fs.chmodSync(fx.path('test'), 0o700)
  const run = await runCli(fx.root, ['run'])
  expect(run.code).toBe(1)
  expect(run.output).toContain('vitest-pool-nsjail: 2 problems to fix before any test can run:')
  expect(run.output).toContain(`option \`fs.writable[0]\` is "out"; expected a path the sandbox user (uid 65534, gid 65534) can write, and ${fx.path('out')} is not: run \`chown -R 65534:65534 ${fx.path('out')}\``)
  expect(run.output).toContain("the sandbox user (uid 65534, gid 65534) cannot read 2 of the project's test and config files: test/git.test.ts (the folder test has mode 0700, owner 0:0)")
  expect(run.output).toContain(`Fix: \`chmod -R a+rX ${fx.root}\``)
  expect(run.output).not.toMatch(/Test Files/)
})

test('as root: the user option picks the worker\'s uid and gid', async (ctx) => {
  if (!asRoot) return ctx.skip('rootless, the worker is always the user running Vitest')
  const run = await runCli(fx.root, ['run', '--config', 'user.config.ts'])
  expect(run.code, run.output).toBe(0)
  expect(factsOf(run.output).git.uid).toBe(4242)
  expect(fs.statSync(fx.path('out')).uid).toBe(4242)
})

test('NODE_OPTIONS (memory flags, preloads), NODE_EXTRA_CA_CERTS and DEBUG reach the sandbox; a globalSetup variable does not, and is named', async () => {
  const outside = fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), 'nsjail-env-'))
  try {
    fs.chmodSync(outside, 0o755)
    fs.writeFileSync(path.join(outside, 'hook.cjs'), 'globalThis.__preloaded = "by NODE_OPTIONS"\n', { mode: 0o644 })
    fs.copyFileSync('/etc/ssl/certs/ca-certificates.crt', path.join(outside, 'ca.pem'))
    fs.chmodSync(path.join(outside, 'ca.pem'), 0o644)
    const nodeOptions = `--max-old-space-size=200 --require ${path.join(outside, 'hook.cjs')}`
    const run = await runCli(fx.root, ['run', '--config', 'env.config.ts'], {
      NODE_OPTIONS: nodeOptions,
      NODE_EXTRA_CA_CERTS: path.join(outside, 'ca.pem'),
      DEBUG: 'app:*',
    })
    expect(run.code, run.output).toBe(0)
    const env = factsOf(run.output).env
    expect(env).toMatchObject({ nodeOptions, preloaded: 'by NODE_OPTIONS', debug: 'app:*', late: null, provided: 'http://127.0.0.1:9' })
    expect(env.caBytes).toBe(fs.statSync('/etc/ssl/certs/ca-certificates.crt').size)
    // V8's limit follows the flag (old space 200 MiB plus the young generation), not the machine's default.
    expect(env.heapLimitMiB).toBeGreaterThanOrEqual(200)
    expect(env.heapLimitMiB).toBeLessThan(300)
    expect(run.output).toContain('vitest-pool-nsjail: LATE_SERVER_URL was set after Vitest started (by a globalSetup?) and is withheld from the sandbox')
  } finally {
    fs.rmSync(outside, { recursive: true, force: true })
  }
})
