/**
 * Descriptors that the process starting Vitest left open (no close-on-exec) must not reach test code.
 * A parent holding a directory on the host's `/` (twice, one at fd 200), a directory on a host temp
 * dir, a writable host file and a connected host unix socket starts the real CLI; the sandboxed test
 * (fixtures/configured/test/inherited-fds.test.ts) lists its descriptors and those of pid 1 and of a
 * child it starts, and tries to use every descriptor beyond stdio and the channel. Here we check,
 * from the outside, that none of ours got in and that nothing on the host was reached.
 */
import { spawn, type StdioOptions } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { FIXTURES } from './helpers/run-fixture.js'
import type { Listing } from '../fixtures/configured/test/inherited-fds.test.js'

const VITEST = path.resolve('node_modules/vitest/vitest.mjs')
const ROOT = path.join(FIXTURES, 'configured')


/** The host's side: what is passed in, and what would show that the sandbox reached it. */
interface Host {
  dir: string
  canary: string
  file: string
  socket: string
  /** Every connection and every chunk the host socket received. */
  received: string[]
  /** fd number in Vitest's process → the host object's identity (dev:ino). */
  passed: Map<number, string>
  stdio: StdioOptions
  close(): void
}

async function openHost(): Promise<Host> {
  // Short: the socket's path is also tried as /proc/self/fd/<n>/<path> (at most 108 bytes).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsjail-fds-'))
  // As root the sandbox runs as the project's owner or nobody: had a descriptor leaked, it could use it.
  fs.chmodSync(dir, 0o777)
  const canary = path.join(dir, 'canary')
  fs.writeFileSync(canary, 'host secret', { mode: 0o644 })
  const file = path.join(dir, 'file')
  fs.writeFileSync(file, '', { mode: 0o666 })
  const socket = path.join(dir, 'host.sock')
  const received: string[] = []
  const server = net.createServer((connection) => {
    received.push('connection')
    connection.on('data', (d) => received.push(String(d)))
  })
  await new Promise<void>((resolve) => server.listen(socket, resolve))
  fs.chmodSync(socket, 0o777)
  const client = net.connect(socket)
  await new Promise((resolve) => client.once('connect', resolve))

  // Node keeps a socket's descriptor in its handle (on Unix).
  const clientFd = (client as unknown as { _handle: { fd: number } })._handle.fd
  // At these numbers in Vitest's process: 5 is one of the pool's own stdio slots for bwrap (replaced),
  // 40-43 and 200 are above them.
  const opened = { 5: fs.openSync('/', 'r'), 40: fs.openSync('/', 'r'), 41: fs.openSync(dir, 'r'), 42: fs.openSync(file, 'a'), 200: fs.openSync('/', 'r') }
  const stdio: StdioOptions = Array.from({ length: 201 }, () => 'ignore')
  stdio[1] = 'pipe'
  stdio[2] = 'pipe'
  const passed = new Map<number, string>()
  for (const [at, fd] of [...Object.entries(opened), ['43', clientFd] as const]) {
    stdio[Number(at)] = fd
    const stat = fs.fstatSync(fd)
    passed.set(Number(at), `${stat.dev}:${stat.ino}`)
  }
  return {
    dir,
    canary,
    file,
    socket,
    received,
    passed,
    stdio,
    close() {
      for (const fd of Object.values(opened)) fs.closeSync(fd)
      client.destroy()
      server.close()
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** The real CLI, started by a parent whose extra descriptors (Host.stdio) it inherits. */
function runCli(host: Host, options: object) {
  const pool = { ...options, env: { set: { HOST_CANARY: host.canary, HOST_SOCKET: host.socket } } }
  const child = spawn(process.execPath, [VITEST, 'run', '--root', ROOT, 'inherited-fds'], {
    stdio: host.stdio,
    env: { ...process.env, NSJAIL_TEST_OPTIONS: JSON.stringify(pool), NO_COLOR: '1', FORCE_COLOR: '0' },
  })
  let output = ''
  child.stdout!.on('data', (d) => (output += d))
  child.stderr!.on('data', (d) => (output += d))
  return new Promise<{ code: number | null; output: string; facts: Record<string, Record<string, unknown>> }>((resolve) =>
    child.on('close', (code) => {
      const facts = output.split('\n').filter((l) => l.startsWith('FACT ')).map((l) => JSON.parse(l.slice(5)))
      resolve({ code, output, facts: Object.fromEntries(facts.map((f) => [f.name, f])) })
    }),
  )
}

/** What a descriptor may point at in a worker: Node's own epoll, eventfds and self-pipes, /dev/null. */
const nodesOwn = (target: string) => /^anon_inode:\[(eventpoll|eventfd|signalfd|timerfd|io_uring)\]$/.test(target) || /^pipe:\[\d+\]$/.test(target) || target === '/dev/null'

describe.each([
  ['the default options', {}],
  ['no cgroup, no seccomp (bwrap is started directly, with fewer inputs)', { cgroups: false, seccomp: false }],
])('a parent holding extra descriptors starts Vitest: %s', (_name, options) => {
  let host: Host
  beforeEach(async () => {
    host = await openHost()
  })
  afterEach(() => host.close())

  test('only stdio and the channel are in the sandbox, and nothing of the host was reached', async () => {
    const run = await runCli(host, options)
    expect(run.code, run.output).toBe(0)
    const { worker, init, child } = run.facts.descriptors as { worker: Listing; init: Listing; child: number[] }
    const hostObjects = new Set(host.passed.values())

    // Soft: a leak shows everywhere at once, and all of it is worth seeing.
    // The worker: stdio, the channel (fd 3), and what Node opened itself (close-on-exec, and only
    // epoll/eventfd, pipes whose both ends it holds, /dev/null).
    const fds = worker.fds!
    expect.soft(fds.filter((d) => !d.cloexec).map((d) => d.fd).filter((fd) => fd > 3)).toEqual([])
    const beyond = fds.filter((d) => d.fd > 3)
    expect.soft(beyond.filter((d) => !nodesOwn(d.target))).toEqual([])
    for (const pipe of beyond.filter((d) => d.target.startsWith('pipe:'))) {
      expect.soft(beyond.filter((d) => d.target === pipe.target), `${pipe.target} has both ends in the worker`).toHaveLength(2)
    }
    // Pid 1 (bwrap's reaper), where visible (rootless: the same user), and a process the test starts.
    for (const listing of [worker, init]) {
      for (const d of listing.fds ?? []) expect.soft(hostObjects.has(`${d.dev}:${d.ino}`), `fd ${d.fd} → ${d.target}`).toBe(false)
    }
    expect.soft(child).toEqual([0, 1, 2])

    // Every attempt through a leftover descriptor failed, and the host saw nothing.
    const { attempts } = run.facts.attempts as { attempts: Record<string, string> }
    expect.soft(Object.entries(attempts).filter(([, outcome]) => outcome === 'succeeded')).toEqual([])
    expect.soft(host.received).toEqual(['connection']) // only our own client's
    expect.soft(fs.readFileSync(host.file, 'utf8')).toBe('')
    expect.soft(fs.readdirSync(host.dir).sort()).toEqual(['canary', 'file', 'host.sock'])
  })
})
