#!/usr/bin/env node
// Wall-time overhead of the nsjail pool against Vitest's own forks pool, measured in one invocation.
//   node bench/overhead.mjs [N=100] [rounds=5] [--isolate=false] [--library] [--prewarm=N]
// Generates N small test files in a scratch project under the repo, then runs `vitest run` on it with
// `--pool=forks` (a config without the plugin), `--pool=nsjail` (default options: spare sandboxes) and
// `--pool=nsjail` with `prewarm: false`, alternating their order each round, and prints the medians
// and their ratios.
//   --isolate=false  runs with `isolate: false` (workers reused across files)
//   --prewarm=N      the nsjail variant's `prewarm` (default: the pool's default)
//   --library        each file imports a generated mid-size library (60 modules, ~2,000 functions) from
//                    node_modules, as a realistic suite imports its dependencies
// Needs `npm run build` first (the scratch config imports the built package).
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = path.resolve(fileURLToPath(import.meta.url), '../..')
const flags = process.argv.slice(2).filter((a) => a.startsWith('--'))
const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'))
const n = Number(positional[0] ?? 100)
const rounds = Number(positional[1] ?? 5)
const isolate = !flags.includes('--isolate=false')
const library = flags.includes('--library')
const prewarm = flags.find((f) => f.startsWith('--prewarm='))?.slice('--prewarm='.length)
const dir = path.join(repo, '.bench-tmp', `overhead-${process.pid}`)
const vitest = path.join(repo, 'node_modules/vitest/vitest.mjs')

mkdirSync(path.join(dir, 'test'), { recursive: true })
writeFileSync(
  path.join(dir, 'vitest.config.mjs'),
  `import { nsjail } from 'vitest-pool-nsjail'\n` +
    `const prewarm = process.env.BENCH_PREWARM\n` +
    `export default { plugins: [nsjail(prewarm ? { prewarm: JSON.parse(prewarm) } : {})], test: { isolate: ${isolate} } }\n`,
)
// Vitest's own pool runs without the plugin, as in a project that does not use this package: loading
// the plugin and its source map guard are part of what the sandboxed runs cost. Its own Vite cache
// folder: Vite's dependency optimizer keys on the plugins, and one folder for both configs would be
// re-optimized at each switch, which changes every key of Vitest 5's module cache.
writeFileSync(path.join(dir, 'vitest.forks.config.mjs'), `export default { cacheDir: 'node_modules/.vite-forks', test: { isolate: ${isolate} } }\n`)
const LIBRARY_MODULES = 60
const LIBRARY_FUNCTIONS = 35
if (library) {
  const lib = path.join(dir, 'node_modules/bench-lib')
  mkdirSync(lib, { recursive: true })
  writeFileSync(path.join(lib, 'package.json'), JSON.stringify({ name: 'bench-lib', type: 'module', exports: './index.js' }))
  for (let m = 0; m < LIBRARY_MODULES; m++) {
    const fns = Array.from({ length: LIBRARY_FUNCTIONS }, (_, f) =>
      `export function m${m}f${f}(xs) { return xs.map((x) => (x * ${f + 1}) ^ ${m}).filter((x) => x % 3 !== 0).reduce((a, b) => a + b, 0) }`)
    writeFileSync(path.join(lib, `m${m}.js`), `${m ? `import { m${m - 1}f0 } from './m${m - 1}.js'\nexport const chain${m} = (xs) => m${m - 1}f0(xs)\n` : ''}${fns.join('\n')}\n`)
  }
  writeFileSync(path.join(lib, 'index.js'), Array.from({ length: LIBRARY_MODULES }, (_, m) => `export * from './m${m}.js'`).join('\n') + '\n')
}
for (let i = 0; i < n; i++) {
  writeFileSync(
    path.join(dir, 'test', `t${i}.test.js`),
    `import { test, expect } from 'vitest'\nimport { createHash } from 'node:crypto'\n` +
      (library ? `import * as lib from 'bench-lib'\n` : '') +
      `test('t${i}', () => { expect(createHash('sha256').update('${i}').digest('hex')).toHaveLength(64) })\n` +
      (library ? `test('lib ${i}', () => { expect(typeof lib.m${i % LIBRARY_MODULES}f${i % LIBRARY_FUNCTIONS}([1, 2, 3])).toBe('number') })\n` : ''),
  )
}
const tests = library ? 2 * n : n

const variants = {
  forks: { pool: 'forks', config: 'vitest.forks.config.mjs', env: {} },
  [prewarm ? `prewarm:${prewarm}` : 'nsjail']: { pool: 'nsjail', config: 'vitest.config.mjs', env: prewarm ? { BENCH_PREWARM: prewarm } : {} },
  'prewarm:false': { pool: 'nsjail', config: 'vitest.config.mjs', env: { BENCH_PREWARM: 'false' } },
}

function once(name) {
  const { pool, config, env } = variants[name]
  const start = process.hrtime.bigint()
  const result = spawnSync(process.execPath, [vitest, 'run', '--root', dir, '--config', path.join(dir, config), `--pool=${pool}`], { encoding: 'utf8', env: { ...process.env, ...env } })
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (result.status !== 0) throw new Error(`${name} run failed:\n${result.stdout}\n${result.stderr}`)
  if (!result.stdout.includes(`${tests} passed`)) throw new Error(`${name} run did not pass ${tests} tests:\n${result.stdout}`)
  return ms
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const names = Object.keys(variants)
try {
  // Warm the file system cache, Vite's dependency optimizer and Vitest 5's module cache of each config.
  once('forks')
  once(names[1])
  const load = [loadavg()[0]]
  const times = Object.fromEntries(names.map((name) => [name, []]))
  for (let r = 0; r < rounds; r++) {
    // Each variant goes first, second and last in turn: none always runs after the same neighbour.
    const order = names.map((_, i) => names[(i + r) % names.length])
    for (const name of order) times[name].push(once(name))
    load.push(loadavg()[0])
  }
  const bwrap = execFileSync('bwrap', ['--version'], { encoding: 'utf8' }).trim()
  const vitestVersion = JSON.parse(execFileSync(process.execPath, ['-p', `JSON.stringify(require(${JSON.stringify(path.join(repo, 'node_modules/vitest/package.json'))}).version)`], { encoding: 'utf8' }))
  console.log(`${n} test files${library ? ' importing a 60-module library' : ''}, isolate: ${isolate}, ${rounds} rounds, alternating; vitest ${vitestVersion}, node ${process.version}, ${bwrap}`)
  console.log(`load average (1 min) before and after each round: ${load.map((l) => l.toFixed(1)).join(' ')}`)
  for (const name of names) {
    console.log(`${name.padEnd(14)} median ${median(times[name]).toFixed(0).padStart(6)} ms   runs: ${times[name].map((t) => t.toFixed(0)).join(' ')}`)
  }
  // On a shared machine whole rounds run slow together: the ratio within each round (the pools ran
  // back to back) is steadier than the ratio of the medians, so both are printed.
  for (const name of names.slice(1)) {
    const paired = times[name].map((t, i) => t / times.forks[i])
    console.log(`ratio ${name}/forks: ${(median(times[name]) / median(times.forks)).toFixed(3)} of the medians, ${median(paired).toFixed(3)} median of the rounds' (per round: ${paired.map((r) => r.toFixed(2)).join(' ')})`)
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
