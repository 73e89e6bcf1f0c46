#!/usr/bin/env node
// Module fetch round trips per test file, forks vs nsjail: the count behind the Vitest 5 gap.
//   node bench/fetches.mjs [N files=20] [M source modules=60]
// Generates a suite shaped like a utility library's (radashi, lodash-es…): N test files, each
// importing the project's own src/index.ts, which re-exports M source modules. Runs it once per pool
// in this process through Vitest's Node API and counts the `fetch` calls each worker made to the main
// process (Vitest records every one in state.metadata). Each is one sequential round trip over the
// worker's channel. Vitest 5's forks worker asks once for a snapshot of the modules it has as files
// (fetchWarmModules, needs cacheFs) and reads them itself; a worker without cacheFs fetches each.
// Needs `npm run build` first.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { startVitest, version } from 'vitest/node'
import { nsjail } from 'vitest-pool-nsjail'

const repo = path.resolve(fileURLToPath(import.meta.url), '../..')
const n = Number(process.argv[2] ?? 20)
const m = Number(process.argv[3] ?? 60)
const dir = path.join(repo, '.bench-tmp', `fetches-${process.pid}`)
mkdirSync(path.join(dir, 'test'), { recursive: true })
mkdirSync(path.join(dir, 'src'), { recursive: true })
for (let i = 0; i < m; i++) {
  writeFileSync(path.join(dir, 'src', `m${i}.ts`), `${i ? `import { f${i - 1} } from './m${i - 1}'\n` : ''}export function f${i}(x: number): number { return ${i ? `f${i - 1}(x) + 1` : 'x'} }\n`)
}
writeFileSync(path.join(dir, 'src', 'index.ts'), Array.from({ length: m }, (_, i) => `export * from './m${i}'`).join('\n') + '\n')
for (let i = 0; i < n; i++) {
  writeFileSync(path.join(dir, 'test', `t${i}.test.ts`), `import { expect, test } from 'vitest'\nimport { f${m - 1} } from '../src/index'\ntest('t${i}', () => expect(f${m - 1}(${i})).toBe(${i + m - 1}))\n`)
}
const sink = new Writable({ write: (_chunk, _enc, done) => done() })

async function once(pool) {
  const started = performance.now()
  const vitest = await startVitest('test', [], { root: dir, config: false, watch: false, pool, reporters: [{}] }, { plugins: [nsjail()] }, { stdout: sink, stderr: sink })
  const ms = performance.now() - started
  const failed = vitest.state.getFiles().filter((f) => f.result?.state !== 'pass').length
  const fetches = Object.values(vitest.state.metadata).flatMap((meta) => Object.values(meta.duration)).reduce((sum, calls) => sum + calls.length, 0)
  await vitest.close()
  if (failed) throw new Error(`${pool}: ${failed} files failed`)
  return { fetches, ms }
}

try {
  await once('forks') // the file system cache and Vite's dependency optimizer
  console.log(`${n} test files importing a ${m + 1}-module source graph; vitest ${version}, node ${process.version}`)
  for (const pool of ['forks', 'nsjail']) {
    const { fetches, ms } = await once(pool)
    console.log(`${pool.padEnd(7)} ${fetches} fetch round trips (${(fetches / n).toFixed(1)} per file), run ${ms.toFixed(0)} ms`)
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
process.exit(process.exitCode ?? 0)
