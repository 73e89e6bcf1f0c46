#!/usr/bin/env node
// Wall-time overhead of the nsjail pool against Vitest's own forks pool, measured in one invocation.
//   node bench/overhead.mjs [N=100] [rounds=5]
// Generates N small test files in a scratch project under the repo, then runs `vitest run` on it with
// `--pool=forks` and with `--pool=nsjail`, alternating, and prints the medians and their ratio.
// Needs `npm run build` first (the scratch config imports the built package).
import { execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { median, scratchProject, timedRun } from './vitest-runs.mjs'

const n = Number(process.argv[2] ?? 100)
const rounds = Number(process.argv[3] ?? 5)
const dir = scratchProject('overhead', n, `import { nsjail } from 'vitest-pool-nsjail'\nexport default { plugins: [nsjail()] }\n`)
const once = (pool) => timedRun(dir, n, [`--pool=${pool}`])

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
