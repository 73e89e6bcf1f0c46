#!/usr/bin/env node
// The cost of the audit's record mode: N generated test files, each doing a little of everything a
// suite does (imports, file reads, a loopback server and client, a child process), run with
// `vitest run` and with the audit command (strace inside every sandbox), alternating, in one
// invocation. Prints the medians, their ratio, and the trace size per file.
//   node bench/audit.mjs [N=20] [rounds=3]          (after `npm run build`)
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = path.resolve(fileURLToPath(import.meta.url), '../..')
const n = Number(process.argv[2] ?? 20)
const rounds = Number(process.argv[3] ?? 3)
const dir = path.join(repo, '.bench-tmp', `audit-${process.pid}`)
const vitest = path.join(repo, 'node_modules/vitest/vitest.mjs')
const cli = path.join(repo, 'dist/cli/main.js')

mkdirSync(path.join(dir, 'test'), { recursive: true })
writeFileSync(path.join(dir, 'vitest.config.mjs'), `import { nsjail } from 'vitest-pool-nsjail'\nexport default { plugins: [nsjail()], test: { pool: 'nsjail' } }\n`)
writeFileSync(path.join(dir, 'data.json'), JSON.stringify({ rows: Array.from({ length: 100 }, (_, i) => i) }))
for (let i = 0; i < n; i++) {
  writeFileSync(path.join(dir, 'test', `t${i}.test.js`), `import { test, expect } from 'vitest'
import fs from 'node:fs'
import net from 'node:net'
import { execFileSync } from 'node:child_process'
test('t${i}', async () => {
  expect(JSON.parse(fs.readFileSync('data.json', 'utf8')).rows).toHaveLength(100)
  const server = net.createServer((s) => s.end('ok')).listen(0, '127.0.0.1')
  await new Promise((r) => server.once('listening', r))
  const reply = await new Promise((r) => net.connect(server.address().port, '127.0.0.1').on('data', (d) => r(String(d))))
  server.close()
  expect(reply).toBe('ok')
  expect(execFileSync('sh', ['-c', 'echo ${i}'], { encoding: 'utf8' }).trim()).toBe('${i}')
})
`)
}

const env = { ...process.env, CI: '', NO_COLOR: '1' }
function once(mode) {
  const args = mode === 'audit' ? [cli, 'audit', '--out', 'audit.json', '--', 'run'] : [vitest, 'run']
  const start = process.hrtime.bigint()
  const result = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8', env })
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (result.status !== 0 || !result.stdout.includes(`${n} passed`)) throw new Error(`${mode} run failed:\n${result.stdout}\n${result.stderr}`)
  return ms
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
try {
  once('run') // warm the file system cache and Vite's dependency optimizer
  const times = { run: [], audit: [] }
  for (let r = 0; r < rounds; r++) for (const mode of r % 2 ? ['audit', 'run'] : ['run', 'audit']) times[mode].push(once(mode))
  console.log(`${n} test files, ${rounds} rounds each, alternating; node ${process.version}`)
  for (const mode of ['run', 'audit']) console.log(`${mode.padEnd(6)} median ${median(times[mode]).toFixed(0)} ms   runs: ${times[mode].map((t) => t.toFixed(0)).join(' ')}`)
  console.log(`ratio audit/run: ${(median(times.audit) / median(times.run)).toFixed(2)}; per file: +${((median(times.audit) - median(times.run)) / n).toFixed(0)} ms`)
  const audit = JSON.parse(readFileSync(path.join(dir, 'audit.json'), 'utf8'))
  const needy = audit.files.filter((f) => f.rule)
  console.log(`files needing more than the default policy: ${needy.length} (expected 0)${needy.length ? `: ${JSON.stringify(needy[0])}` : ''}`)
} finally {
  if (!process.env.AUDIT_BENCH_KEEP) rmSync(dir, { recursive: true, force: true })
}
