#!/usr/bin/env node
// One RPC round trip between a worker and the host, as a worker waiting on `resolve` or `fetch` pays
// it: Node's IPC channel with advanced serialization (Vitest's forks pool) against the pool's channel
// (framed V8 messages on a pipe, the host side policed by Connection), plain and inside bwrap. The
// host answers at once: this is the transport, none of Vitest's or the firewall's work.
//   node bench/round-trip.mjs [round trips=3000] [rounds=3]
// Needs `npm run build` first.
import { fork, spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const self = fileURLToPath(import.meta.url)
const dist = path.resolve(self, '../../dist')
const [mode, count] = process.argv.slice(2)
const request = (i) => ({ t: 'q', i, m: 'resolve', a: ['/project/test/a.test.ts', null, 'ssr'] })

if (mode === '--child-ipc' || mode === '--child-channel') {
  // The worker's side: N requests one after another, each sent when the previous one is answered.
  const n = Number(count)
  let send, listen
  if (mode === '--child-ipc') {
    send = (m) => process.send(m)
    listen = (cb) => process.on('message', cb)
  } else {
    const { openWorkerChannel } = await import(path.join(dist, 'worker/channel.js'))
    const channel = openWorkerChannel(() => process.exit(0))
    send = channel.post
    listen = channel.on
  }
  let i = 0
  const start = performance.now()
  listen(() => {
    if (++i < n) return send(request(i))
    process.stdout.write(String(((performance.now() - start) / n) * 1000))
    process.exit(0)
  })
  send(request(0))
} else {
  const n = Number(process.argv[2] ?? 3000)
  const rounds = Number(process.argv[3] ?? 3)
  const { Connection } = await import(path.join(dist, 'channel/connection.js'))
  const answer = (m) => ({ t: 's', i: m.i, r: { id: m.a[0], file: m.a[0] } })
  const collect = (child) => new Promise((resolve) => {
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.on('exit', () => resolve(Number(out)))
  })
  const variants = {
    'Node IPC (forks)': () => {
      const child = fork(self, ['--child-ipc', String(n)], { serialization: 'advanced', stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
      child.on('message', (m) => child.send(answer(m)))
      return collect(child)
    },
    ...Object.fromEntries([
      ['the pool\'s channel', []],
      ['the pool\'s channel in bwrap', ['bwrap', '--ro-bind', '/', '/', '--unshare-all', '--die-with-parent', '--new-session', '--dev', '/dev', '--proc', '/proc']],
    ].map(([name, prefix]) => [name, () => {
      const argv = [...prefix, process.execPath, self, '--child-channel', String(n)]
      const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit', 'pipe'] })
      const connection = new Connection(child.stdio[3], { messageBytes: 1 << 20, messagesPerSecond: 1e9 }, {
        message: (m) => connection.send(answer(m)),
        violation: (error) => console.error(error.message),
      })
      return collect(child)
    }])),
  }
  const times = Object.fromEntries(Object.keys(variants).map((name) => [name, []]))
  for (let r = 0; r < rounds; r++) for (const [name, run] of Object.entries(variants)) times[name].push(await run())
  console.log(`${n} round trips, ${rounds} rounds; node ${process.version}`)
  for (const [name, xs] of Object.entries(times)) console.log(`${name.padEnd(30)} ${xs.map((x) => x.toFixed(1)).join(' ')} µs a round trip`)
}
