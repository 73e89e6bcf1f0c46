#!/usr/bin/env node
// The per-file path of one sandbox, step by step, on a real project (the pool's own modules, as the
// pool calls them): what a worker pays when it launches its own sandbox, and what is left when a
// spare is ready for it.
//   node bench/handoff.mjs [rounds=20]
// Fresh: cgroup + seccomp program copy, host I/O (coverage folder, fds), launch plan, firewall, bwrap
// argv, then launch → `started` as a whole (bwrap, Node's boot, Vitest's worker runtime, its start).
// Spare (launched earlier and given time to boot): adopt, `start` → `started`, and handing it a `run`
// request (its files reach the channel scope, the snapshot bridge and the firewall's advice).
// Needs `npm run build` first; as root, cgroups are real.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createVitest } from 'vitest/node'

const repo = path.resolve(fileURLToPath(import.meta.url), '../..')
const rounds = Number(process.argv[2] ?? 20)
const dist = (file) => import(path.join(repo, 'dist', file))
const { nsjail } = await dist('index.js')
const { PoolShared } = await dist('pool/shared.js')
const { Sandbox } = await dist('pool/sandbox.js')
const { SandboxHostIo } = await dist('channel/sandbox-host-io.js')
const { sandboxPlan } = await dist('pool/sandbox-plan.js')
const { bwrapArgs } = await dist('isolate/bwrap.js')

const dir = path.join(repo, '.bench-tmp', `handoff-${process.pid}`)
mkdirSync(path.join(dir, 'test'), { recursive: true })
const file = path.join(dir, 'test/a.test.js')
writeFileSync(file, `import { test } from 'vitest'\ntest('a', () => {})\n`)
const vitest = await createVitest('test', { root: dir, config: false, watch: false, pool: 'nsjail' }, { plugins: [nsjail()] })
const project = vitest.projects[0]
const shared = new PoolShared({ prewarm: false })
await shared.preflight(project)
const options = { project, distPath: vitest.distPath, env: { ...process.env, TEST: 'true', VITEST: 'true' }, execArgv: [], environment: { name: 'node', options: null }, method: 'run' }
const sandboxProject = await shared.project(options)
const policy = sandboxProject.resolver.forFile(file)
const start = shared.withSnapshotEnvironment({
  __vitest_worker_request__: true, type: 'start', poolId: 1, workerId: 1, options: { reportMemory: false },
  context: { environment: { name: 'node', options: null }, config: project.serializedConfig, pool: 'nsjail' }, traces: { enabled: false },
})
const run = { __vitest_worker_request__: true, type: 'run', context: { files: [{ filepath: file }], workerId: 1, environment: { name: 'node', options: null }, providedContext: {}, invalidates: [] } }
const owner = { onMessage() {}, onUnexpectedExit() {} }
const create = () => new Sandbox({ key: 'k', policy, project: sandboxProject, options, shared, workerConfig: project.serializedConfig, inspector: null })

const t = {}
const time = async (step, fn) => {
  const a = performance.now()
  const result = await fn()
  ;(t[step] ??= []).push(performance.now() - a)
  return result
}
const load = [loadavg()[0]]
for (let i = 0; i < rounds; i++) {
  // The steps a fresh sandbox's launch consists of, each on its own.
  const resources = await time('fresh: cgroup + seccomp copy', () => shared.resources(policy, [], null, sandboxProject.identity))
  const io = await time('fresh: host I/O', () => new SandboxHostIo({ project, root: sandboxProject.root, identity: sandboxProject.identity, workerConfig: project.serializedConfig, vitestFile: sandboxProject.vitestFile }))
  const plan = await time('fresh: launch plan', () => sandboxPlan(sandboxProject, project, policy, {
    distPath: options.distPath, execArgv: options.execArgv, workerEnv: options.env, seccomp: resources.seccomp, privateMounts: io.mounts,
  }))
  await time('fresh: firewall', () => resources.attach(plan, io.attach(plan.access.writable)))
  await time('fresh: bwrap argv', () => bwrapArgs(plan, sandboxProject.bwrap.features))
  io.close()
  await resources.release()

  const fresh = create()
  await time('fresh: launch → started', async () => {
    await fresh.launch()
    fresh.adopt(owner)
    await fresh.start(start)
  })
  const spare = create()
  await spare.launch()
  // Booted, as a spare is by the time the next file's worker asks for it.
  await Promise.all([fresh.kill(), new Promise((r) => setTimeout(r, 1500))])
  await time('spare: adopt', () => spare.adopt(owner))
  await time('spare: start → started', () => spare.start(start))
  await time('spare: hand it the run request', () => spare.send(run))
  await spare.kill()
  load.push(loadavg()[0])
}
const q = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]
console.log(`${rounds} rounds; node ${process.version}; load average (1 min) over the rounds: ${Math.min(...load).toFixed(1)}–${Math.max(...load).toFixed(1)}`)
for (const [step, xs] of Object.entries(t)) console.log(`${step.padEnd(32)} p50 ${q(xs, 0.5).toFixed(2).padStart(8)} ms   p99 ${q(xs, 0.99).toFixed(2).padStart(8)} ms`)
await vitest.close()
rmSync(dir, { recursive: true, force: true })
process.exit(process.exitCode ?? 0)
