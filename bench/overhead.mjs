#!/usr/bin/env node
// Wall-time overhead of the nsjail pool against Vitest's own forks pool, measured in one invocation.
//   node bench/overhead.mjs [N=100] [rounds=5]
// Generates N small test files in a scratch project under the repo, then runs `vitest run` on it with
// `--pool=forks` and with `--pool=nsjail`, alternating, and prints the medians and their ratio.
// Needs `npm run build` first (the scratch config imports the built package).
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = path.resolve(fileURLToPath(import.meta.url), '../..')
const n = Number(process.argv[2] ?? 100)
const rounds = Number(process.argv[3] ?? 5)
const dir = path.join(repo, '.bench-tmp', `overhead-${process.pid}`)
const vitest = path.join(repo, 'node_modules/vitest/vitest.mjs')

mkdirSync(path.join(dir, 'test'), { recursive: true })
writeFileSync(path.join(dir, 'vitest.config.mjs'), `import { nsjail } from 'vitest-pool-nsjail'\nexport default { plugins: [nsjail()] }\n`)
for (let i = 0; i < n; i++) {
  writeFileSync(
    path.join(dir, 'test', `t${i}.test.js`),
    `import { test, expect } from 'vitest'\nimport { createHash } from 'node:crypto'\n` +
      `test('t${i}', () => { expect(createHash('sha256').update('${i}').digest('hex')).toHaveLength(64) })\n`,
  )
}

function once(pool) {
  const start = process.hrtime.bigint()
  const result = spawnSync(process.execPath, [vitest, 'run', '--root', dir, `--pool=${pool}`], { encoding: 'utf8' })
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (result.status !== 0) throw new Error(`${pool} run failed:\n${result.stdout}\n${result.stderr}`)
  if (!result.stdout.includes(`${n} passed`)) throw new Error(`${pool} run did not pass ${n} tests:\n${result.stdout}`)
  return ms
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
try {
  once('forks') // warm the file system cache and Vite's dependency optimizer
  const times = { forks: [], nsjail: [] }
  for (let r = 0; r < rounds; r++) {
    for (const pool of r % 2 ? ['nsjail', 'forks'] : ['forks', 'nsjail']) times[pool].push(once(pool))
  }
  const bwrap = execFileSync('bwrap', ['--version'], { encoding: 'utf8' }).trim()
  console.log(`${n} test files, ${rounds} rounds each, alternating; node ${process.version}, ${bwrap}`)
  for (const pool of ['forks', 'nsjail']) {
    console.log(`${pool.padEnd(7)} median ${median(times[pool]).toFixed(0)} ms   runs: ${times[pool].map((t) => t.toFixed(0)).join(' ')}`)
  }
  console.log(`ratio nsjail/forks: ${(median(times.nsjail) / median(times.forks)).toFixed(3)}`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
