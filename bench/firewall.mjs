// Throughput of the RPC firewall over a realistic message mix (proportions from captured traffic:
// module fetches and resolves, task updates, console logs, pool protocol messages, and the main
// process's answers to fetch/resolve). Run after `npm run build`:  node bench/firewall.mjs [count]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, realpathSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createFirewall } from '../dist/channel/firewall/index.js'

const COUNT = Number(process.argv[2] ?? 100_000)
const base = realpathSync(mkdtempSync(path.join(tmpdir(), 'fw-bench-')))
const root = path.join(base, 'proj')
const FILES = 200
for (const dir of ['src', 'test', 'node_modules/pkg']) mkdirSync(path.join(root, dir), { recursive: true })
for (let n = 0; n < FILES; n++) {
  writeFileSync(path.join(root, `src/m${n}.ts`), '')
  writeFileSync(path.join(root, `node_modules/pkg/f${n}.js`), '')
}
const importer = path.join(root, 'test/a.test.ts')
writeFileSync(importer, '')

const firewall = createFirewall({ root, readable: [root, path.join(base, 'lib')], writable: [path.join(base, 'out')] })
const task = [['id_1', { state: 'pass', duration: 1.2, errors: [] }, { typecheck: false }]]
let seq = 0

/** One "step": a worker message, and the main process's answer when the call has one. */
function step(n) {
  const k = n % 20
  const f = n % FILES
  const i = `c${seq++}`
  if (k < 8) {
    return [
      { t: 'q', i, m: 'fetch', a: [`/src/m${f}.ts`, importer, 'ssr', { cached: false }, null] },
      { t: 's', i, r: { cached: true, file: path.join(root, `src/m${f}.ts`), id: path.join(root, `src/m${f}.ts`), tmp: '/tmp/x/ssr/abc', url: `/src/m${f}.ts`, invalidate: false } },
    ]
  }
  if (k < 10) return [{ t: 'q', i, m: 'fetch', a: [`/@fs${root}/node_modules/pkg/f${f}.js`, importer, 'ssr', { cached: false }, null] }, { t: 's', i, r: { externalize: `${root}/node_modules/pkg/f${f}.js`, type: 'module' } }]
  if (k < 12) return [{ t: 'q', i, m: 'resolve', a: [`../src/m${f}.ts`, importer, 'ssr'] }, { t: 's', i, r: { file: path.join(root, `src/m${f}.ts`), url: `/src/m${f}.ts`, id: path.join(root, `src/m${f}.ts`) } }]
  if (k < 17) return [{ t: 'q', i, m: 'onTaskUpdate', a: [task, [['id_1', 'test-finished', undefined]]] }, { t: 's', i }]
  if (k < 19) return [{ t: 'q', i, m: 'onUserConsoleLog', a: [{ type: 'stdout', content: 'hello\n', taskId: 'id_1', time: 1, size: 1 }] }, { t: 's', i }]
  return [{ __vitest_worker_response__: true, type: 'testfileFinished' }]
}

const steps = Array.from({ length: COUNT }, (_, n) => step(n))
const messages = steps.reduce((sum, s) => sum + s.length, 0)

function run() {
  let refused = 0
  const start = process.hrtime.bigint()
  for (const [request, answer] of steps) {
    if (!firewall.inspect(request).pass) refused++
    if (answer && !firewall.inspectReply(answer).pass) refused++
  }
  const ns = Number(process.hrtime.bigint() - start)
  return { us: ns / 1000 / messages, refused }
}

const cold = run() // first pass: realpath/stat of every path, then cached
const warm = []
// The same messages again: every call is answered within its step, so its id is free again.
for (let r = 0; r < 5; r++) warm.push(run())
const best = Math.min(...warm.map((w) => w.us))
console.log(`${COUNT} steps, ${messages} messages (fetch 40%, node_modules fetch 10%, resolve 10%, onTaskUpdate 25%, console 10%, protocol 5%; answers included)`)
console.log(`cold (paths not yet cached): ${cold.us.toFixed(3)} µs/message`)
console.log(`warm: best ${best.toFixed(3)} µs/message, median ${warm.map((w) => w.us).sort((a, b) => a - b)[2].toFixed(3)} µs/message`)
console.log(`refused: ${cold.refused + warm.reduce((s, w) => s + w.refused, 0)} (expected 0)`)
rmSync(base, { recursive: true, force: true })
