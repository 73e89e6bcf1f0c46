#!/usr/bin/env node
// The machine probe's cost, run by hand after `npm run build`:
//
//   node bench/probe.mjs [runs=30]
//
// Each run is a fresh Node process that imports the probe and times one probeMachine() call as the
// pool makes it before a run (bwrap --version, the namespace attempt, libseccomp loaded, the run's
// cgroups set up and closed): a fresh process, because libseccomp is loaded once per process and a
// second probe in the same process would not pay for it. Node's own start-up and the module import
// are not counted (the pool pays them anyway). Prints p50/p99/min/max and the median of each step.
import { execFileSync } from 'node:child_process'

const runs = Number(process.argv[2] ?? 30)
const dist = (file) => JSON.stringify(new URL(`../dist/${file}`, import.meta.url).href)

const once = `
  const { probeMachine } = await import(${dist('probe/probe.js')})
  const { sandboxIdentity } = await import(${dist('isolate/host.js')})
  const identity = sandboxIdentity(process.cwd())
  const started = performance.now()
  const { probe, cgroups } = await probeMachine({ identity, seccomp: true, cgroups: true })
  const ms = performance.now() - started
  await cgroups?.run?.close()
  if (probe.namespaces?.ok !== true) throw new Error('the sandbox cannot be built here: ' + (probe.namespaces?.stderr ?? probe.bwrap.error))
  console.log(JSON.stringify({ ms, steps: probe.steps }))
`

const samples = []
for (let i = 0; i < runs; i++) {
  samples.push(JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', once], { encoding: 'utf8' })))
}
const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]
}
const f = (n) => `${n.toFixed(1)} ms`
const totals = samples.map((s) => s.ms)
console.log(`probeMachine(), ${runs} fresh processes, ${process.getuid?.() === 0 ? 'as root' : 'rootless'}:`)
console.log(`  p50 ${f(quantile(totals, 0.5))}   p99 ${f(quantile(totals, 0.99))}   min ${f(Math.min(...totals))}   max ${f(Math.max(...totals))}`)
for (const step of samples[0].steps.map((s) => s.step)) {
  const times = samples.map((s) => s.steps.find((t) => t.step === step)?.ms ?? 0)
  console.log(`  ${step.padEnd(16)} p50 ${f(quantile(times, 0.5))}`)
}
