#!/usr/bin/env node
// Per-file start cost: the time from Vitest creating a worker (createPoolWorker) to that worker's
// `started` answer, which Vitest awaits before it sends the file. p50 and p99 for Vitest's forks pool,
// the nsjail pool without spares (`prewarm: false`) and with them (the default).
//   node bench/start.mjs [N files=40] [rounds=3] [--prewarm=1,2,…] [--file-ms=MS]
// --prewarm adds one nsjail variant per count (default: the pool's default only).
// --file-ms makes each file's test wait MS ms, as a test waiting on I/O (a server, a database) does:
// whether a spare is booted when the next worker asks depends on how long the file before it ran.
// Each round runs the N files (isolate: true, so one worker per file) once per variant, in a rotating
// order, in this process through Vitest's Node API. Needs `npm run build` first.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { ForksPoolWorker, startVitest, version } from 'vitest/node'
import { nsjailPool } from 'vitest-pool-nsjail'

const repo = path.resolve(fileURLToPath(import.meta.url), '../..')
const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'))
const n = Number(positional[0] ?? 40)
const rounds = Number(positional[1] ?? 3)
const option = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3)
const counts = option('prewarm')?.split(',').map(Number) ?? []
const fileMs = Number(option('file-ms') ?? 0)
const dir = path.join(repo, '.bench-tmp', `start-${process.pid}`)
mkdirSync(path.join(dir, 'test'), { recursive: true })
for (let i = 0; i < n; i++) {
  const wait = fileMs ? `  await new Promise((resolve) => setTimeout(resolve, ${fileMs}))\n` : ''
  writeFileSync(path.join(dir, 'test', `t${i}.test.js`), `import { test, expect } from 'vitest'\ntest('t${i}', async () => {\n${wait}  expect(${i}).toBe(${i})\n})\n`)
}

/** A pool that creates `create(options)` workers and records each one's creation → `started`. */
function timed(name, create, samples) {
  return {
    name,
    createPoolWorker(options) {
      const created = performance.now()
      const worker = create(options)
      const start = worker.start.bind(worker)
      worker.start = async () => {
        await start()
        const onMessage = (message) => {
          if (message?.__vitest_worker_response__ && message.type === 'started') {
            samples.push(performance.now() - created)
            worker.off('message', onMessage)
          }
        }
        worker.on('message', onMessage)
      }
      return worker
    },
  }
}

const variants = {
  forks: () => (options) => new ForksPoolWorker(options),
  'nsjail prewarm:false': () => nsjailPool({ prewarm: false }).createPoolWorker,
  ...(counts.length
    ? Object.fromEntries(counts.map((prewarm) => [`nsjail prewarm:${prewarm}`, () => nsjailPool({ prewarm }).createPoolWorker]))
    : { nsjail: () => nsjailPool().createPoolWorker }),
}
const sink = new Writable({ write: (_chunk, _enc, done) => done() })

async function once(name, samples) {
  const pool = timed(`timed-${name.replace(/\W+/g, '-')}`, variants[name](), samples)
  const vitest = await startVitest('test', [], { root: dir, config: false, watch: false, pool, reporters: [{}] }, {}, { stdout: sink, stderr: sink })
  const failed = vitest.state.getFiles().filter((f) => f.result?.state !== 'pass')
  await vitest.close()
  if (failed.length) throw new Error(`${name}: ${failed.length} files did not pass`)
}

const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]
const names = Object.keys(variants)
try {
  const samples = Object.fromEntries(names.map((name) => [name, []]))
  await once('forks', []) // warm the file system cache
  const load = [loadavg()[0]]
  for (let r = 0; r < rounds; r++) {
    for (const name of names.map((_, i) => names[(i + r) % names.length])) await once(name, samples[name])
    load.push(loadavg()[0])
  }
  console.log(`${n} files × ${rounds} rounds per variant (isolate: true)${fileMs ? `, each file waits ${fileMs} ms` : ''}; vitest ${version}, node ${process.version}`)
  console.log(`load average (1 min) before and after each round: ${load.map((l) => l.toFixed(1)).join(' ')}`)
  console.log('worker creation → started:')
  for (const name of names) {
    const xs = samples[name]
    console.log(`  ${name.padEnd(22)} p50 ${quantile(xs, 0.5).toFixed(1).padStart(6)} ms   p99 ${quantile(xs, 0.99).toFixed(1).padStart(6)} ms   (${xs.length} workers)`)
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
process.exit(process.exitCode ?? 0)
