// The host's cost per message on a sandbox's channel, over a realistic message mix (proportions from
// captured traffic: module fetches and resolves, task updates, console logs, pool protocol messages,
// and the main process's answers, fetched code with its inline source map included). Two figures:
// the RPC firewall alone, and the whole path a worker's message takes in the pool (decode from the
// wire, depth check, hint check, firewall, scope, budgets, stack sanitizing, the violation report's look at task
// updates). Run after `npm run build`:
//   node bench/firewall.mjs [count]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, realpathSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import v8 from 'node:v8'
import { createFirewall } from '../dist/channel/firewall/index.js'
import { checkDepth, decode } from '../dist/channel/codec.js'
import { createScope } from '../dist/channel/scope.js'
import { ByteBudget } from '../dist/channel/budgets.js'
import { MessageBudgets } from '../dist/channel/message-budgets.js'
import { sanitizeMessage } from '../dist/channel/sanitize.js'
import { SandboxReport } from '../dist/violations/sandbox-report.js'
import { RunReport } from '../dist/violations/run-report.js'
import { isHint } from '../dist/violations/hints.js'
import { createPolicyResolver } from '../dist/policy/resolve.js'

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
const testFile = path.join(root, 'test/a.test.ts')
const scope = createScope({ root, projectName: '', bail: 0 })
scope.add([testFile])
const fileId = '-1145737327' // generateFileHash('test/a.test.ts', '')
const task = [[`${fileId}_0`, { state: 'pass', duration: 1.2, errors: [] }, { typecheck: false }]]
const source = 'export function f(x: number) {\n  return x * 2\n}\n'.repeat(40)
/** A transformed module as Vite hands it out: its code and an inline map whose one source is the module. */
function moduleCode(name) {
  const map = { version: 3, sources: [name], sourcesContent: [source], names: [], mappings: 'AAAA;'.repeat(120) }
  return `${source.replaceAll(': number', '')}\n//# sourceMappingSource=vite-generated\n//# sourceMappingURL=data:application/json;charset=utf-8;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}\n`
}
const codes = Array.from({ length: FILES }, (_, f) => moduleCode(`m${f}.ts`))
let seq = 0

/** One "step": a worker message, and the main process's answer when the call has one. */
function step(n) {
  const k = n % 20
  const f = n % FILES
  const i = `c${seq++}`
  if (k < 8) {
    return [
      { t: 'q', i, m: 'fetch', a: [`/src/m${f}.ts`, importer, 'ssr', { cached: false }, null] },
      { t: 's', i, r: { code: codes[f], file: path.join(root, `src/m${f}.ts`), id: path.join(root, `src/m${f}.ts`), url: `/src/m${f}.ts`, invalidate: false } },
    ]
  }
  if (k < 10) return [{ t: 'q', i, m: 'fetch', a: [`/@fs${root}/node_modules/pkg/f${f}.js`, importer, 'ssr', { cached: false }, null] }, { t: 's', i, r: { externalize: `${root}/node_modules/pkg/f${f}.js`, type: 'module' } }]
  if (k < 12) return [{ t: 'q', i, m: 'resolve', a: [`../src/m${f}.ts`, importer, 'ssr'] }, { t: 's', i, r: { file: path.join(root, `src/m${f}.ts`), url: `/src/m${f}.ts`, id: path.join(root, `src/m${f}.ts`) } }]
  if (k < 17) return [{ t: 'q', i, m: 'onTaskUpdate', a: [task, [[`${fileId}_0`, 'test-finished', undefined]]] }, { t: 's', i }]
  if (k < 19) return [{ t: 'q', i, m: 'onUserConsoleLog', a: [{ type: 'stdout', content: 'hello\n', taskId: `${fileId}_0`, time: 1, size: 1 }] }, { t: 's', i }]
  return [{ __vitest_worker_response__: true, type: 'testfileFinished' }]
}

const steps = Array.from({ length: COUNT }, (_, n) => step(n))
// The worker's messages as they arrive: V8-serialized (the frame header is a 4-byte read).
const wire = steps.map(([request]) => v8.serialize(request))
const messages = steps.reduce((sum, s) => sum + s.length, 0)
const MiB = 2 ** 20
const budgets = new MessageBudgets(new ByteBudget(1024 * MiB, 'coverage', 'limits.coverage'), new ByteBudget(2 ** 50, 'output', 'limits.output'))
const safe = (file) => firewall.hostMayOpen(path.resolve(file))
const report = new SandboxReport({
  root,
  policy: createPolicyResolver({}, root).forFile(testFile),
  plan: { access: { readable: [root], writable: [], hidden: [] }, env: {}, ops: [], identity: { home: '/home/sandbox' } },
  hostEnv: {},
  files: [testFile],
  fileOf: (id) => scope.fileOf(id),
  run: new RunReport(),
  projectName: '',
})

/** `full`: the whole path of the pool's Sandbox.fromWorker; else the firewall alone on decoded messages. */
function run(full) {
  let refused = 0
  const start = process.hrtime.bigint()
  for (let n = 0; n < steps.length; n++) {
    const [request, answer] = steps[n]
    let message = request
    if (full) {
      message = decode(wire[n])
      checkDepth(message)
      if (isHint(message)) continue
    }
    const verdict = firewall.inspect(message)
    if (!verdict.pass) refused++
    if (full && message.t === 'q') {
      if (scope.problem(message.m, message.a) || budgets.spend(message, wire[n].length)) refused++
      sanitizeMessage(message, safe)
      report.taskUpdate(message)
    }
    if (answer && !firewall.inspectReply(answer).pass) refused++
  }
  const ns = Number(process.hrtime.bigint() - start)
  return { us: ns / 1000 / messages, refused }
}

console.log(`${COUNT} steps, ${messages} messages (fetch 40% with code and its source map, node_modules fetch 10%, resolve 10%, onTaskUpdate 25%, console 10%, protocol 5%; answers included)`)
let refused = 0
for (const [name, full] of [['firewall alone', false], ['whole channel path', true]]) {
  const cold = run(full) // first pass: realpath/stat of every path, then cached
  const warm = []
  // The same messages again: every call is answered within its step, so its id is free again.
  for (let r = 0; r < 5; r++) warm.push(run(full))
  refused += cold.refused + warm.reduce((s, w) => s + w.refused, 0)
  const sorted = warm.map((w) => w.us).sort((a, b) => a - b)
  console.log(`${name}: cold ${cold.us.toFixed(3)} µs/message; warm best ${sorted[0].toFixed(3)}, median ${sorted[2].toFixed(3)} µs/message`)
}
console.log(`refused: ${refused} (expected 0)`)
rmSync(base, { recursive: true, force: true })
