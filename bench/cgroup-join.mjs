// bench/cgroup-join.mjs - what joining a worker cgroup costs a sandbox's start: `node -e 0` run
// through the pool's launcher (enterCommand: the shell writes `0`, itself, into each join file) and
// through a launcher that writes its pid into each `cgroup.procs` instead, against no cgroup at all.
//   node bench/cgroup-join.mjs [runs=20]       (after `npm run build`)
// Needs a writable cgroup (root, or a delegated one). A process move takes a system-wide lock whose
// RCU grace period the writer waits for; on cgroup v1 a single thread's move (`tasks`) skips it.
import { spawn } from 'node:child_process'
import { join } from 'node:path'

const runs = Number(process.argv[2] ?? 20)
const { openCgroups, enterCommand, DEFAULT_LIMITS } = await import('../dist/cgroup/index.js')

const command = [process.execPath, '-e', '0']
const viaProcs = (dirs) => ['/bin/sh', '-c', `for f do echo $$ >"$f"; done; exec ${JSON.stringify(process.execPath)} -e 0`, 'join', ...dirs.map((d) => join(d, 'cgroup.procs'))]
const variants = {
  'no cgroup': () => command,
  'pid into cgroup.procs': (worker) => viaProcs(worker.dirs),
  'enterCommand (pool)': (worker) => enterCommand(worker.joinFiles, command),
}

const run = await openCgroups('required', (m) => console.error(m))
const times = Object.fromEntries(Object.keys(variants).map((name) => [name, []]))
try {
  for (let i = 0; i < runs; i++) {
    for (const [name, argv] of Object.entries(variants)) {
      const worker = await run.createWorker(DEFAULT_LIMITS)
      const args = argv(worker)
      const start = performance.now()
      const child = spawn(args[0], args.slice(1), { stdio: 'ignore' })
      const code = await new Promise((resolve) => child.on('close', resolve))
      times[name].push(performance.now() - start)
      await worker.remove()
      if (code !== 0) throw new Error(`${name}: exit ${code}`)
    }
  }
} finally {
  await run.close()
}
const p50 = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1]
console.log(`cgroup v${run.version}, ${runs} runs of \`node -e 0\` each, alternating`)
for (const [name, xs] of Object.entries(times)) console.log(`${name.padEnd(24)} p50 ${p50(xs).toFixed(1).padStart(6)} ms`)
