#!/usr/bin/env node
// A forwarded connection (network: { forward }) against a direct one (network: 'host'), from the
// same test in a real sandbox to the same servers in a separate process on the host:
//   node bench/network.mjs [rounds=3] [megabytes=256] [connects=2000]
// Throughput: MB/s of a 256 MB upload and of a 256 MB download. Latency: p50/p99 of 2,000 connects,
// each timed from connect() to the server's first byte (with a relay, the client's TCP handshake is
// with the relay inside, so the first byte is what shows the target was reached). Rounds alternate
// direct and forwarded; medians are printed, and the ratios. Needs `npm run build` first.
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = path.resolve(fileURLToPath(import.meta.url), '../..')
const rounds = Number(process.argv[2] ?? 3)
const megabytes = Number(process.argv[3] ?? 256)
const connects = Number(process.argv[4] ?? 2000)
const dir = path.join(repo, '.bench-tmp', `network-${process.pid}`)
const vitest = path.join(repo, 'node_modules/vitest/vitest.mjs')

// The servers: a sink (reads everything, answers the byte count), a source (sends N bytes), and a
// greeter (one byte on accept, for the connect latency).
const SERVERS = `
const net = require('net')
const chunk = Buffer.alloc(256 * 1024, 7)
const listen = (server) => new Promise((r) => server.listen(0, '127.0.0.1', () => r(server.address().port)))
Promise.all([
  listen(net.createServer({ allowHalfOpen: true }, (s) => { let n = 0; s.on('data', (d) => (n += d.length)); s.on('end', () => s.end(String(n))); s.on('error', () => {}) })),
  listen(net.createServer((s) => { let left = ${megabytes} * 2 ** 20; s.on('error', () => {}); const more = () => { while (left > 0) { left -= chunk.length; if (!s.write(chunk)) return s.once('drain', more) } s.end() }; more() })),
  listen(net.createServer((s) => { s.on('error', () => {}); s.end('!') })),
]).then((ports) => process.stdout.write(JSON.stringify(ports) + '\\n'))
`

// The test, in the sandbox: prints one BENCH line with its measurements.
const TEST = `
import net from 'node:net'
import { test } from 'vitest'
const [sink, source, greeter] = JSON.parse(process.env.BENCH_PORTS)
const bytes = ${megabytes} * 2 ** 20
const chunk = Buffer.alloc(256 * 1024, 7)
const connect = (port, onConnect) => new Promise((resolve, reject) => {
  const s = net.connect(port, '127.0.0.1', () => onConnect?.(s))
  let text = ''
  s.on('data', (d) => { if (d.length < 32) text += d })
  s.on('end', () => resolve(text)); s.on('error', reject)
})
const seconds = async (run) => { const t = process.hrtime.bigint(); await run(); return Number(process.hrtime.bigint() - t) / 1e9 }
test('network', async () => {
  const upload = await seconds(() => connect(sink, (s) => { let sent = 0; const more = () => { while (sent < bytes) { sent += chunk.length; if (!s.write(chunk)) return s.once('drain', more) } s.end() }; more() }))
  const download = await seconds(() => connect(source))
  const latencies = []
  for (let i = 0; i < ${connects}; i++) latencies.push(await seconds(() => new Promise((resolve, reject) => {
    const s = net.connect(greeter, '127.0.0.1'); s.once('data', () => { s.destroy(); resolve() }); s.on('error', reject)
  })) * 1000)
  latencies.sort((a, b) => a - b)
  const at = (q) => latencies[Math.floor(q * (latencies.length - 1))]
  console.log('BENCH ' + JSON.stringify({ upload: ${megabytes} / upload, download: ${megabytes} / download, p50: at(0.5), p99: at(0.99) }))
}, 600_000)
`

mkdirSync(path.join(dir, 'test'), { recursive: true })
writeFileSync(path.join(dir, 'vitest.config.mjs'), `import { nsjail } from 'vitest-pool-nsjail'
export default { plugins: [nsjail(JSON.parse(process.env.BENCH_OPTIONS))], test: { pool: 'nsjail' } }\n`)
writeFileSync(path.join(dir, 'test', 'network.test.js'), TEST)

const servers = spawn(process.execPath, ['-e', SERVERS], { stdio: ['ignore', 'pipe', 'inherit'] })
const ports = await new Promise((resolve) => servers.stdout.once('data', (d) => resolve(JSON.parse(String(d)))))

function once(mode) {
  const network = mode === 'direct' ? 'host' : { forward: ports.map((port) => `127.0.0.1:${port}`) }
  const result = spawnSync(process.execPath, [vitest, 'run', '--root', dir], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', BENCH_OPTIONS: JSON.stringify({ network, env: { set: { BENCH_PORTS: JSON.stringify(ports) } } }) },
  })
  const line = /^BENCH (.*)$/m.exec(result.stdout)
  if (result.status !== 0 || !line) throw new Error(`${mode} run failed:\n${result.stdout}\n${result.stderr}`)
  return JSON.parse(line[1])
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
try {
  const runs = { direct: [], forwarded: [] }
  for (let r = 0; r < rounds; r++) {
    for (const mode of r % 2 ? ['forwarded', 'direct'] : ['direct', 'forwarded']) runs[mode].push(once(mode))
  }
  const m = Object.fromEntries(Object.entries(runs).map(([mode, list]) => [mode, Object.fromEntries(['upload', 'download', 'p50', 'p99'].map((k) => [k, median(list.map((x) => x[k]))]))]))
  console.log(`${megabytes} MB each way, ${connects} connects, ${rounds} rounds alternating; node ${process.version}, ${os.cpus().length} cores`)
  for (const mode of ['direct', 'forwarded']) {
    const x = m[mode]
    console.log(`${mode.padEnd(9)} upload ${x.upload.toFixed(0)} MB/s  download ${x.download.toFixed(0)} MB/s  connect p50 ${x.p50.toFixed(3)} ms  p99 ${x.p99.toFixed(3)} ms`)
  }
  const ratio = (k) => (m.forwarded[k] / m.direct[k]).toFixed(2)
  console.log(`forwarded/direct: upload ${ratio('upload')}  download ${ratio('download')}  connect p50 ${ratio('p50')} (+${(m.forwarded.p50 - m.direct.p50).toFixed(3)} ms)  p99 ${ratio('p99')} (+${(m.forwarded.p99 - m.direct.p99).toFixed(3)} ms)`)
} finally {
  servers.kill()
  rmSync(dir, { recursive: true, force: true })
}
