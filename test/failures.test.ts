/**
 * Failure behaviour through the real CLI: bad options and unusable machines fail once, fast, with
 * what was tried and how to fix it; interrupted runs leave no sandbox behind.
 */
import { execFileSync, spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { expect, test } from 'vitest'
import { FIXTURES } from './helpers/run-fixture.js'
import { openCgroups } from '../src/cgroup/index.js'
import { runDir, runDirParent } from '../src/hostfs/run-dir.js'
import { cgroupDirsOf } from './cgroup/helpers.js'
import { processes, until } from './helpers/processes.js'
// @ts-expect-error a plain script, shared with .ci/run
import { freePort } from '../scripts/test-services.mjs'
import { NO_USERNS, withoutLibseccomp } from './helpers/nsjail-cli.js'

const VITEST = path.resolve('node_modules/vitest/vitest.mjs')
const ROOT = path.join(FIXTURES, 'configured')

function cli(options: object, args: string[] = [], wrap: string[] = []) {
  const argv = [...wrap, process.execPath, VITEST, 'run', '--root', ROOT, ...args]
  return new Promise<{ code: number | null; output: string; ms: number }>((resolve) => {
    const started = Date.now()
    const child = spawn(argv[0], argv.slice(1), {
      env: { ...process.env, NSJAIL_TEST_OPTIONS: JSON.stringify(options), NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (d) => (output += d))
    child.stderr.on('data', (d) => (output += d))
    child.on('exit', (code) => resolve({ code, output, ms: Date.now() - started }))
  })
}

const count = (text: string, needle: string) => text.split(needle).length - 1

/** Host processes whose command line contains `needle`. */

test('a bad option fails the run before any test, naming option, value and what is accepted', async () => {
  const run = await cli({ network: 'wifi' })
  expect(run.code).not.toBe(0)
  expect(run.output).toContain('option `network` is "wifi"; expected \'loopback\' (a private network with only lo), \'host\', or { forward: [...] }')
  expect(run.output).not.toContain('Test Files')
})

test('a fs path that does not exist is refused up front', async () => {
  const run = await cli({ rules: [{ files: 'test/one*', fs: { readonly: ['/no/such/dir'] } }] })
  expect(run.code).not.toBe(0)
  expect(run.output).toContain('option `rules[0].fs.readonly[0]` is "/no/such/dir"; expected an existing host path')
})

test('bad forward entries fail the run before any test, named by their option path', async () => {
  const shape = await cli({ rules: [{ files: 'test/one*', network: { forward: ['127.0.0.1:5432', 'localhost:99999'] } }] })
  expect(shape.code).not.toBe(0)
  expect(shape.output).toContain('option `rules[0].network.forward[1]` is "localhost:99999"; expected a port from 1 to 65535 after the host')
  expect(shape.output).not.toContain('Test Files')
  // Checked against the host, as fs paths are.
  const host = await cli({ rules: [{ files: 'test/two*', network: { forward: ['unix:/no/such/dir/s.sock'] } }] })
  expect(host.code).not.toBe(0)
  expect(host.output).toContain('option `rules[0].network.forward[0]` is "unix:/no/such/dir/s.sock"; expected a unix socket in a directory that exists on the host (/no/such/dir does not)')
  expect(host.output).not.toContain('Test Files')
})

test("the host network and Vitest's API server in one run: refused before any test, saying why and what to do instead", async () => {
  const run = await cli({ rules: [{ files: 'test/two*', network: 'host' }] }, ['--api', String(await freePort())])
  expect(run.code).not.toBe(0)
  expect(run.output).toMatch(/option `rules\[0\].network` is "host"; expected 'loopback' or \{ forward: \[\.\.\.\] \} while Vitest's API\/UI server is on \(localhost:\d+, from --ui, --api or `api`\): a test that reaches it could have Vitest rewrite and rerun project files outside the sandbox/)
  expect(run.output).toContain("Forward only the services the tests need, e.g. network: { forward: ['127.0.0.1:5432'] }")
  expect(run.output).not.toContain('Test Files')
})

test('bwrap missing: one message with how to install it, no hang', async () => {
  const run = await cli({ bwrap: '/nonexistent/bwrap' })
  expect(run.code).not.toBe(0)
  expect(count(run.output, 'bubblewrap (/nonexistent/bwrap) was not found (option `bwrap`)')).toBe(1)
  expect(run.output).toContain('apt-get install -y bubblewrap')
  expect(run.ms).toBeLessThan(30_000)
})

test('user namespaces refused: one message with what was tried and the fixes', async () => {
  // A machine where creating user namespaces fails, as under Docker's default seccomp profile or
  // Ubuntu's AppArmor restriction: inside this bwrap, no further user namespace can be made.
  const run = await cli({}, [], NO_USERNS)
  expect(run.code).not.toBe(0)
  expect(count(run.output, 'could not create the sandbox\'s namespaces')).toBe(1)
  expect(run.output).toContain('Tried: bwrap --unshare-user')
  expect(run.output).not.toContain('    at ') // the message is the whole story: no stack trace
  expect(run.output).toContain('bwrap said: bwrap: Creating new namespace failed')
  // The cause this machine shows (bwrap's ENOSPC), and its fix only.
  expect(run.output).toContain('Likely cause: this process runs inside a sandbox or container that forbids creating more namespaces')
  expect(run.output).toContain('run the tests outside that sandbox, or as root inside it')
  expect(run.output).not.toContain('kernel.apparmor_restrict_unprivileged_userns')
  expect(run.output).not.toContain('Test Files')
})

test('libseccomp not loadable: one message with how to install it; seccomp: false runs', async () => {
  const run = await cli({}, [], withoutLibseccomp())
  expect(run.code).not.toBe(0)
  expect(count(run.output, 'the seccomp filter (on by default) cannot be used: seccomp is enabled but libseccomp is not installed (')).toBe(1)
  expect(run.output).toMatch(/\n {2}- (in the image: RUN )?(sudo )?apt-get update && (sudo )?apt-get install -y libseccomp2\n/)
  expect(run.output).toContain('  - or turn the filter off with `seccomp: false`')
  expect(run.output).not.toContain('Test Files')
  const off = await cli({ seccomp: false }, ['one'], withoutLibseccomp())
  expect(off.output).toContain('Test Files  1 passed')
  expect(off.code).toBe(0)
})

/** The private directory of the run of process `pid` (named after it): its relay's sockets live there. */
const runDirsOf = (pid: number) => (fs.existsSync(runDirParent()) ? fs.readdirSync(runDirParent()).filter((name) => name.startsWith(`run-${pid}-`)) : [])

for (const signal of ['SIGINT', 'SIGKILL'] as const) {
  test(`${signal} to Vitest leaves no sandbox, spare, leaked process, cgroup or run directory behind`, async () => {
    const marker = `nsjail-interrupt-${signal}-${process.pid}`
    // A forward gives the sandbox a relay, and the run a private directory for its sockets.
    const options = { env: { set: { SLOW_MARKER: marker } }, network: { forward: [`127.0.0.1:${await freePort()}`] } }
    // Two files after the slow one, so that spares are launched for them and wait while it runs. The
    // slow file runs first: one worker, and with no cached results Vitest runs the largest file first.
    const child = spawn(process.execPath, [VITEST, 'run', '--root', ROOT, 'slow', 'one', 'two', '--maxWorkers=1', '--cache=false'], {
      // The debug output says when a spare sandbox is up: it must go too.
      env: { ...process.env, DEBUG: 'vitest-pool-nsjail:spares', NSJAIL_TEST_OPTIONS: JSON.stringify(options) },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the slow test never started:\n${output}`)), 30_000)
      const onData = (d: Buffer) => {
        output += d
        if (output.includes('SLOW_STARTED')) {
          clearTimeout(timer)
          resolve()
        }
      }
      child.stdout.on('data', onData)
      child.stderr.on('data', onData)
    })
    expect(await until(() => processes(marker).length > 0)).toBe(true)
    expect(await until(() => /spare launched: pid \d+/.test(output)), output).toBe(true)
    // As root a cgroup is always writable here, so the sandbox runs in one of ours.
    if (process.getuid?.() === 0) expect(cgroupDirsOf(child.pid!).length).toBeGreaterThan(0)
    expect(runDirsOf(child.pid!)).toHaveLength(1)
    const exited = new Promise((resolve) => child.on('exit', resolve))
    child.kill(signal)
    await exited
    // The kernel tears the pid namespace down asynchronously; give it a moment.
    await until(() => processes(marker).length + processes(`--chdir ${ROOT}`).length === 0)
    expect(processes(marker)).toEqual([])
    expect(processes(`--chdir ${ROOT}`)).toEqual([])
    // SIGINT: the exit handler removed this run's cgroups and run directory. SIGKILL leaves them
    // for the next run, which reaps directories whose owner is gone.
    if (signal === 'SIGKILL') {
      expect(runDirsOf(child.pid!)).toHaveLength(1)
      await (await openCgroups('auto', () => {}))?.close()
      // The next run's directory is made after reaping those whose process is gone.
      runDir()
    }
    expect(cgroupDirsOf(child.pid!)).toEqual([])
    expect(runDirsOf(child.pid!)).toEqual([])
  })
}
