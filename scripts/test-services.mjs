#!/usr/bin/env node
// A real PostgreSQL and a real Redis (Debian's `postgresql` and `redis-server` packages) for the
// relay tests, on loopback and on unix sockets, in a directory of their own: nothing of the
// machine's own instances is touched. The tests start them themselves (test/helpers/services.ts);
// .ci/run starts one pair for all its legs and hands them over in NSJAIL_TEST_SERVICES.
//
//   node scripts/test-services.mjs start <dir>   prints the services as JSON (daemonized)
//   node scripts/test-services.mjs stop <dir>
//
// As root, PostgreSQL (which refuses to run as root) runs as the `postgres` user, or nobody.
import { execFileSync, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const PG_USER = 'relay'

/** Debian installs each major version's binaries in /usr/lib/postgresql/<version>/bin; the newest wins. */
export function postgresBin() {
  const root = '/usr/lib/postgresql'
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, 'bin/postgres'))) : []
  if (versions.length === 0) throw new Error('PostgreSQL is not installed: apt-get install postgresql (the relay tests need a real server)')
  return path.join(root, versions.sort((a, b) => Number(a) - Number(b)).at(-1), 'bin')
}

/** Who runs PostgreSQL: ourselves, or as root an unprivileged account. */
function serviceUser() {
  if (process.getuid() !== 0) return {}
  for (const name of ['postgres', 'nobody']) {
    const line = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${name}:`))
    if (line) {
      const [, , uid, gid] = line.split(':')
      return { uid: Number(uid), gid: Number(gid) }
    }
  }
  throw new Error('no unprivileged user to run PostgreSQL as')
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

function run(file, args, options = {}) {
  const result = spawnSync(file, args, { encoding: 'utf8', ...options })
  if (result.status !== 0) throw new Error(`${file} ${args.join(' ')} failed (${result.status ?? result.signal}): ${result.stderr || result.stdout || result.error?.message}`)
  return result.stdout
}

/** Polls `ready` until it says yes (a server that is starting), at most `ms`. */
async function until(ready, ms, what) {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
    if (ready()) return
  }
  throw new Error(`${what} did not come up within ${ms} ms`)
}

export async function startPostgres(dir) {
  const bin = postgresBin()
  const user = serviceUser()
  const data = path.join(dir, 'pg')
  const socketDir = path.join(dir, 'pg-socket')
  fs.mkdirSync(socketDir, { recursive: true, mode: 0o755 })
  fs.chmodSync(dir, 0o755)
  if (user.uid !== undefined) fs.chownSync(socketDir, user.uid, user.gid)
  const as = { ...user, cwd: dir }
  if (!fs.existsSync(data)) {
    fs.mkdirSync(data, { mode: 0o700 })
    if (user.uid !== undefined) fs.chownSync(data, user.uid, user.gid)
    run(path.join(bin, 'initdb'), ['-D', data, '-U', PG_USER, '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions'], as)
  }
  const port = await freePort()
  run(path.join(bin, 'pg_ctl'), ['start', '-D', data, '-l', path.join(data, 'log'), '-s', '-w', '-o',
    `-p ${port} -k ${socketDir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`], as)
  return { host: '127.0.0.1', port, socketDir, user: PG_USER, database: 'postgres', psql: path.join(bin, 'psql'), data }
}

export function stopPostgres(service) {
  spawnSync(path.join(postgresBin(), 'pg_ctl'), ['stop', '-D', service.data, '-m', 'immediate', '-s', '-w'], { ...serviceUser(), cwd: path.dirname(service.data) })
}

export async function startRedis(dir) {
  const port = await freePort()
  const socket = path.join(dir, 'redis.sock')
  const pidfile = path.join(dir, 'redis.pid')
  run('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--unixsocket', socket, '--unixsocketperm', '777',
    '--save', '', '--appendonly', 'no', '--daemonize', 'yes', '--pidfile', pidfile, '--dir', dir, '--logfile', path.join(dir, 'redis.log')])
  await until(() => spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout.trim() === 'PONG', 10_000, 'redis-server')
  return { host: '127.0.0.1', port, socket, cli: execFileSync('sh', ['-c', 'command -v redis-cli'], { encoding: 'utf8' }).trim(), pidfile }
}

export function stopRedis(service) {
  spawnSync('redis-cli', ['-p', String(service.port), 'shutdown', 'nosave'])
}

export async function startServices(dir) {
  const postgres = await startPostgres(dir)
  try {
    return { postgres, redis: await startRedis(dir) }
  } catch (error) {
    stopPostgres(postgres)
    throw error
  }
}

export function stopServices(services) {
  stopRedis(services.redis)
  stopPostgres(services.postgres)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [command, dir = path.join(os.tmpdir(), 'nsjail-test-services')] = process.argv.slice(2)
  const state = path.join(dir, 'services.json')
  if (command === 'start') {
    fs.mkdirSync(dir, { recursive: true })
    const services = await startServices(dir)
    fs.writeFileSync(state, JSON.stringify(services))
    console.log(JSON.stringify(services))
  } else if (command === 'stop') {
    if (fs.existsSync(state)) stopServices(JSON.parse(fs.readFileSync(state, 'utf8')))
    fs.rmSync(dir, { recursive: true, force: true })
  } else {
    console.error('usage: test-services.mjs start|stop [dir]')
    process.exit(2)
  }
}
