/**
 * Failure behaviour through the real CLI: bad options and unusable machines fail once, fast, with
 * what was tried and how to fix it; interrupted runs leave no sandbox behind.
 */
import { spawn } from 'node:child_process'
import path from 'node:path'
import { expect, test } from 'vitest'
import { FIXTURES } from './helpers/run-fixture.js'
import { openCgroups } from '../src/cgroup/index.js'
import { ourCgroupDirs, processes, until } from './helpers/processes.js'

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


test('a bad option fails the run before any test, naming option, value and what is accepted', async () => {
  const run = await cli({ network: 'wifi' })
  expect(run.code).not.toBe(0)
  expect(run.output).toContain('option `network` is "wifi"; expected \'loopback\' (a private network with only lo) or \'host\'')
  expect(run.output).not.toContain('Test Files')
})

test('a fs path that does not exist is refused up front', async () => {
  const run = await cli({ rules: [{ files: 'test/one*', fs: { readonly: ['/no/such/dir'] } }] })
  expect(run.code).not.toBe(0)
  expect(run.output).toContain('option `rules[0].fs.readonly[0]` is "/no/such/dir"; expected an existing host path')
})

test('bwrap missing: one message with how to install it, no hang', async () => {
  const run = await cli({ bwrap: '/nonexistent/bwrap' })
  expect(run.code).not.toBe(0)
  expect(count(run.output, 'bubblewrap (/nonexistent/bwrap) was not found (option `bwrap`)')).toBe(1)
  expect(run.output).toContain('apt-get install bubblewrap')
  expect(run.ms).toBeLessThan(30_000)
})

test('user namespaces refused: one message with what was tried and the fixes', async () => {
  // A machine where creating user namespaces fails, as under Docker's default seccomp profile or
  // Ubuntu's AppArmor restriction: inside this bwrap, no further user namespace can be made.
  const noUserns = ['bwrap', '--unshare-user', '--uid', '1000', '--gid', '1000', '--disable-userns', '--bind', '/', '/', '--proc', '/proc', '--dev', '/dev', '--']
  const run = await cli({}, [], noUserns)
  expect(run.code).not.toBe(0)
  expect(count(run.output, 'could not create the sandbox\'s namespaces')).toBe(1)
  expect(run.output).toContain('Tried: bwrap --unshare-user')
  expect(run.output).toContain('bwrap said: bwrap: Creating new namespace failed')
  expect(run.output).toContain('kernel.apparmor_restrict_unprivileged_userns=0')
  expect(run.output).toContain('--security-opt seccomp=unconfined')
  expect(run.output).not.toContain('Test Files')
})

for (const signal of ['SIGINT', 'SIGKILL'] as const) {
  test(`${signal} to Vitest leaves no sandbox, spare, leaked process or cgroup behind`, async () => {
    const marker = `nsjail-interrupt-${signal}-${process.pid}`
    const child = spawn(process.execPath, [VITEST, 'run', '--root', ROOT, 'slow'], {
      // The debug output says when a spare sandbox is up: it must go too.
      env: { ...process.env, DEBUG: 'vitest-pool-nsjail:spares', NSJAIL_TEST_OPTIONS: JSON.stringify({ env: { set: { SLOW_MARKER: marker } } }) },
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
    if (process.getuid?.() === 0) expect(ourCgroupDirs(child.pid!).length).toBeGreaterThan(0)
    const exited = new Promise((resolve) => child.on('exit', resolve))
    child.kill(signal)
    await exited
    // The kernel tears the pid namespace down asynchronously; give it a moment.
    await until(() => processes(marker).length + processes(`--chdir ${ROOT}`).length === 0)
    expect(processes(marker)).toEqual([])
    expect(processes(`--chdir ${ROOT}`)).toEqual([])
    // SIGINT: the exit handler removed this run's cgroups. SIGKILL leaves them for the next run,
    // which reaps directories whose owner is gone.
    if (signal === 'SIGKILL') await (await openCgroups('auto', () => {}))?.close()
    expect(ourCgroupDirs(child.pid!)).toEqual([])
  })
}
