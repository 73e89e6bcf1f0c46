/**
 * What the sandbox isolates, asserted from inside real sandboxes (the fixture's tests) and from the
 * host (canary files, leaked processes, listeners), through real Vitest runs of fixtures/isolation.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { factsByName, runFixture, type FixtureRun } from './helpers/run-fixture.js'
import { TEMP_FIXTURES } from './helpers/temp-fixture.js'
import { busyboxImage } from './helpers/busybox-image.mjs'
import { findBusybox } from '../src/rootfs/host-files.js'
import type { NsjailOptions } from 'vitest-pool-nsjail'

const marker = `nsjail-leak-${process.pid}-${Date.now()}`
const canary = path.join(os.homedir(), `.nsjail-canary-${process.pid}`)
let server: net.Server
let port: number

beforeAll(async () => {
  fs.writeFileSync(canary, 'host secret')
  server = net.createServer((socket) => socket.on('error', () => {}).end('host'))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as net.AddressInfo).port
})

afterAll(() => {
  fs.rmSync(canary, { force: true })
  fs.rmSync(path.join(TEMP_FIXTURES, `isolation-image-${process.pid}`), { recursive: true, force: true })
  server.close()
})

function env() {
  return {
    CANARY: canary,
    HOST_ADDRESS: '127.0.0.1',
    HOST_PORT: String(port),
    LEAK_MARKER: marker,
    EXPECT_HOSTNAME: 'nsjail',
    // Reversed, so that the hint itself does not put the secret into the sandbox's environment.
    SECRET_VALUE_HINT: [...'ghp_supersecret'].reverse().join(''),
  }
}

/** An image root filesystem for `rootfs: { dir }`, made from the host's busybox. */
function image(): string {
  const dir = path.join(TEMP_FIXTURES, `isolation-image-${process.pid}`)
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 })
  busyboxImage(dir, findBusybox()!.path)
  return dir
}

// Every base isolates the same: the same fixture, the same facts, whatever the root is built from.
describe.each([
  ["the host's /usr", (): NsjailOptions['rootfs'] => 'host'],
  ['a minimal root', (): NsjailOptions['rootfs'] => 'minimal'],
  ['an image root', (): NsjailOptions['rootfs'] => ({ dir: image() })],
])('a sealed run on %s', (_, rootfs) => {
  let run: FixtureRun
  beforeAll(async () => {
    process.env.GITHUB_TOKEN = 'ghp_supersecret-token'
    process.env.NSJAIL_TEST_SECRET = 'ghp_supersecret-other'
    process.env.ALLOWED_BY_CONFIG = 'yes'
    try {
      run = await runFixture('isolation', {
        filters: ['namespaces', 'filesystem', 'vanish', 'leak', 'port-'],
        pool: { rootfs: rootfs(), env: { allow: ['ALLOWED_BY_CONFIG'], set: env() } },
        cli: { maxWorkers: 2 },
      })
    } finally {
      delete process.env.GITHUB_TOKEN
      delete process.env.NSJAIL_TEST_SECRET
      delete process.env.ALLOWED_BY_CONFIG
    }
  })

  test('every isolation test passes inside the sandbox', () => {
    const failed = Object.entries(run.tests).filter(([, state]) => state !== 'passed')
    expect(failed, JSON.stringify(run.errors, null, 2) + run.output).toEqual([])
    expect(Object.keys(run.tests).length).toBe(12)
    expect(run.unhandled).toEqual([])
  })

  test('the facts seen inside', () => {
    const facts = factsByName(run)
    expect(facts.hostname.hostname).toBe('nsjail')
    expect(facts.pids.pid).toBeLessThan(10)
    expect(facts.canary.exists).toBe(false)
    expect(facts['project-write'].code).toBe('EROFS')
    expect(facts['host-listener'].result).toBe('ECONNREFUSED')
    expect(facts.identity.uid).not.toBe(0)
  })

  test('nothing was written into the project, and the leaked process died with its sandbox', () => {
    expect(fs.existsSync(path.resolve('fixtures/isolation/written-by-test.txt'))).toBe(false)
    const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
    expect(ps).not.toContain(marker)
  })
})

test('a rule gives one folder the host network while the rest stays sealed', async () => {
  const run = await runFixture('isolation', {
    filters: ['hostnet/', 'filesystem'],
    pool: { env: { set: env() }, rules: [{ files: 'test/hostnet/**', network: 'host' }] },
  })
  expect(run.tests['test/hostnet/reach.test.ts > a rule gives this folder the host network']).toBe('passed')
  expect(run.tests['test/filesystem.test.ts > host network is unreachable, loopback works']).toBe('passed')
  // Names resolve where the network is the host's: the host's resolver configuration comes along.
  const facts = factsByName(run)
  expect(facts['resolv-host'].content).toBe(fs.readFileSync('/etc/resolv.conf', 'utf8'))
  expect(facts['resolv-sealed'].content).toBe('')
})

test('a crashing file is reported by name while its siblings pass', async () => {
  const run = await runFixture('isolation', { filters: ['crash.test', 'namespaces'], pool: { env: { set: env() } } })
  expect(run.tests['test/namespaces.test.ts > uts namespace: hostname']).toBe('passed')
  const report = [...run.unhandled, ...Object.values(run.fileErrors).flat()].join('\n')
  expect(report).toContain('test/crash.test.ts')
  expect(report).toMatch(/exited with code 137 \(SIGKILL\)/)
  expect(run.exitCode).toBe(1)
})

test('a file that dies while it is being imported is still counted as a failed file, with why', async () => {
  const run = await runFixture('isolation', { filters: ['crash-early', 'namespaces'], pool: { env: { set: env() } } })
  expect(run.fileErrors['test/crash-early.test.ts']).toEqual([
    'vitest-pool-nsjail: the sandboxed worker running test/crash-early.test.ts exited with code 137 (SIGKILL).',
  ])
  expect(run.tests['test/namespaces.test.ts > uts namespace: hostname']).toBe('passed')
  expect(run.exitCode).toBe(1)
})

test('the hostname option', async () => {
  const run = await runFixture('isolation', {
    filters: ['namespaces'],
    pool: { hostname: 'box-7', env: { set: { ...env(), EXPECT_HOSTNAME: 'box-7' } } },
  })
  expect(run.tests['test/namespaces.test.ts > uts namespace: hostname']).toBe('passed')
})
