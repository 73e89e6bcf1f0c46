#!/usr/bin/env node
// What loading the plugin costs each `vitest` run that uses it: the import of the package after
// vitest/node (which the config has loaded by then), in fresh processes, p50 and p99. Beside it, the
// same code as tsc leaves it, one module per source file (dist/pool/plugin.js and its imports), which
// is what the build's bundling step (scripts/bundle.mjs) takes off.
//   node bench/plugin-import.mjs [runs=15]
// Needs `npm run build` first.
import { execFileSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const repo = path.resolve(fileURLToPath(import.meta.url), '../..')
const runs = Number(process.argv[2] ?? 15)
const variants = {
  'bundled (dist/index.js)': path.join(repo, 'dist/index.js'),
  "tsc's modules (dist/pool/plugin.js)": path.join(repo, 'dist/pool/plugin.js'),
}
const script = (file) =>
  `await import('vitest/node'); const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); console.log(performance.now() - t)`

const times = Object.fromEntries(Object.keys(variants).map((name) => [name, []]))
for (let i = 0; i < runs; i++) {
  for (const [name, file] of Object.entries(variants)) {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script(file)], { cwd: repo, encoding: 'utf8' })
    times[name].push(Number(out))
  }
}
const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]
console.log(`import after vitest/node, ${runs} fresh processes each; node ${process.version}`)
for (const [name, xs] of Object.entries(times)) {
  console.log(`${name.padEnd(38)} p50 ${quantile(xs, 0.5).toFixed(1).padStart(6)} ms   p99 ${quantile(xs, 0.99).toFixed(1).padStart(6)} ms`)
}
