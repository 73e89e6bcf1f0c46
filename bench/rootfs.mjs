#!/usr/bin/env node
// What the rootfs bases cost, next to 'host'.
//   node bench/rootfs.mjs [N=40] [rounds=3]
// 1. Computing a base, once per run: the ELF closure of node, setpriv and busybox, busybox's applet
//    list and the walk for native addons in this repository (a fresh builder each time; the file
//    system cache is warm), and the per-sandbox cost of laying it out for a plan.
// 2. One sandbox, bare: bwrap with each base's launch plan running /bin/true (busybox's on minimal
//    and on the image), spawn to exit: the mounts a base adds.
// 3. Per test file, through the real pool: N one-test files run with maxWorkers 1 on each base,
//    alternating, medians of `vitest run` divided by N.
// The image is made from the host's busybox (test/helpers/busybox-image.mjs). Needs
// `npm run build` first. Prints medians; the machine is shared, so compare within one invocation.
import { execFileSync, spawn } from 'node:child_process'
import { mkdirSync, realpathSync, rmSync } from 'node:fs'
import path from 'node:path'
import { RootfsBuilder } from '../dist/rootfs/builder.js'
import { findBusybox } from '../dist/rootfs/host-files.js'
import { probeHostLayout, sandboxIdentity } from '../dist/isolate/host.js'
import { planLaunch } from '../dist/isolate/plan.js'
import { bwrapArgs, bwrapFeatures, FIRST_INPUT_FD } from '../dist/isolate/bwrap.js'
import { createPolicyResolver } from '../dist/policy/resolve.js'
import { busyboxImage } from '../test/helpers/busybox-image.mjs'
import { median, repo, scratchProject, timedRun } from './vitest-runs.mjs'

const n = Number(process.argv[2] ?? 40)
const rounds = Number(process.argv[3] ?? 3)
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6
// maxWorkers 1: the time per file is the time of one sandbox after another.
const dir = scratchProject('rootfs', n, `import { nsjail } from 'vitest-pool-nsjail'\nconst bases = { host: 'host', minimal: 'minimal', image: { dir: new URL('image', import.meta.url).pathname } }\n` +
  `export default { plugins: [nsjail({ rootfs: bases[process.env.BENCH_ROOTFS] })], test: { pool: 'nsjail', maxWorkers: 1, include: ['test/**'] } }\n`)
const image = path.join(dir, 'image')
const bases = { host: 'host', minimal: 'minimal', image: { dir: image } }
mkdirSync(image, { mode: 0o755 })
busyboxImage(image, findBusybox().path)
const node = realpathSync(process.execPath)
const project = { node, visible: [repo, path.join(repo, 'node_modules'), node] }

try {
  // 1. computing a base
  const compute = { minimal: [], image: [] }
  const layout = { minimal: [], image: [] }
  const host = probeHostLayout()
  for (let r = 0; r < 7; r++) {
    for (const [name, rootfs] of [['minimal', { base: 'minimal', tools: [] }], ['image', { base: 'dir', dir: image }]]) {
      const t0 = process.hrtime.bigint()
      const base = new RootfsBuilder(host, project).base(rootfs)
      compute[name].push(ms(t0))
      const t1 = process.hrtime.bigint()
      base.build(['/etc/passwd', '/proc', '/dev', '/tmp', '/home/sandbox', repo, node].map((p) => ({ op: 'ro-bind', src: p, dest: p })))
      layout[name].push(ms(t1))
    }
  }

  // 2. one bare sandbox per base
  const identity = sandboxIdentity(repo)
  const features = bwrapFeatures(execFileSync('bwrap', ['--version'], { encoding: 'utf8' }))
  const builder = new RootfsBuilder(host, project)
  const bare = { host: [], minimal: [], image: [] }
  const opsCount = {}
  const once = (name) => new Promise((resolve, reject) => {
    const policy = { ...createPolicyResolver({ rootfs: bases[name] }, repo).forFile(path.join(repo, 'a.test.js')), seccomp: false }
    const plan = planLaunch({
      policy, identity, host, root: repo, needs: project.visible.slice(1), command: ['/bin/true'],
      workerEnv: {}, configEnv: {}, seccomp: null, base: builder.base(policy.rootfs),
    })
    opsCount[name] = plan.ops.length
    const { args, inputs } = bwrapArgs(plan, features)
    const t0 = process.hrtime.bigint()
    const child = spawn('bwrap', args, { stdio: ['ignore', 'ignore', 'pipe', 'ignore', ...inputs.map(() => 'pipe')] })
    inputs.forEach((data, i) => child.stdio[FIRST_INPUT_FD + i].end(data))
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    child.on('exit', (code) => (code === 0 ? resolve(ms(t0)) : reject(new Error(`${name}: bwrap exited ${code}: ${stderr}`))))
  })
  for (let r = 0; r < 30; r++) for (const name of Object.keys(bases)) bare[name].push(await once(name))

  // 3. per test file through the pool
  const run = (name) => timedRun(dir, n, [], { BENCH_ROOTFS: name })
  run('host')
  const perFile = { host: [], minimal: [], image: [] }
  for (let r = 0; r < rounds; r++) {
    const order = Object.keys(bases)
    for (const name of r % 2 ? order.reverse() : order) perFile[name].push(run(name) / n)
  }

  const bwrap = execFileSync('bwrap', ['--version'], { encoding: 'utf8' }).trim()
  console.log(`node ${process.version}, ${bwrap}, ${identity.setuid ? 'as root' : 'rootless'}`)
  console.log('computing a base (once per run and project): closure, applets, addon walk')
  for (const name of ['minimal', 'image']) console.log(`  ${name.padEnd(8)} median ${median(compute[name]).toFixed(1)} ms; laying it out for one plan ${median(layout[name]).toFixed(2)} ms`)
  console.log('one bare sandbox (bwrap with the plan, /bin/true), spawn to exit, 30 each')
  for (const name of Object.keys(bases)) console.log(`  ${name.padEnd(8)} median ${median(bare[name]).toFixed(1)} ms (${opsCount[name]} setup ops)`)
  console.log(`per test file through the pool (${n} files, maxWorkers 1, ${rounds} rounds alternating)`)
  for (const name of Object.keys(bases)) console.log(`  ${name.padEnd(8)} median ${median(perFile[name]).toFixed(1)} ms/file   runs: ${perFile[name].map((t) => t.toFixed(1)).join(' ')}`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
