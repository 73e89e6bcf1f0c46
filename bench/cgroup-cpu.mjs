// bench/cgroup-cpu.mjs - how much CPU a busy loop gets in a worker cgroup with `limits.cpu`.
//   node bench/cgroup-cpu.mjs [cores=0.5] [seconds=3]       (after `npm run build`)
// Needs a writable cgroup (root, or a delegated one). Prints, does not assert: the share is
// loose (CFS enforces the quota per 100 ms period, and the first period starts unthrottled).
import { spawn } from 'node:child_process'
import * as fs from 'node:fs'
import { join } from 'node:path'

const cores = Number(process.argv[2] ?? 0.5)
const seconds = Number(process.argv[3] ?? 3)

const { openCgroups, enterCommand, DEFAULT_LIMITS } = await import('../dist/cgroup/index.js')

const busy = `const end = Date.now() + ${seconds * 1000}; let x = 0; while (Date.now() < end) x++;
const u = process.cpuUsage(); console.log(JSON.stringify({ cpuMs: (u.user + u.system) / 1000, wallMs: performance.now() }))`
const bwrap = ['bwrap', '--unshare-all', '--die-with-parent', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--']

async function measure(run, cpu) {
  const worker = await run.createWorker({ ...DEFAULT_LIMITS, cpu })
  const argv = enterCommand(worker.joinFiles, [...bwrap, process.execPath, '-e', busy])
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] })
  let stdout = ''
  child.stdout.on('data', (d) => (stdout += d))
  await new Promise((resolve) => child.on('close', resolve))
  const stat = worker.dirs.map((d) => [join(d, 'cpu.stat')]).flat().filter((f) => fs.existsSync(f))
  const throttled = stat.length ? /nr_throttled (\d+)/.exec(fs.readFileSync(stat[0], 'utf8'))?.[1] : undefined
  await worker.remove()
  const { cpuMs, wallMs } = JSON.parse(stdout)
  return { share: cpuMs / wallMs, cpuMs, wallMs, throttled }
}

const run = await openCgroups('required', (m) => console.error(m))
try {
  if (!run.controllers.includes('cpu')) throw new Error('the cpu controller is not available here')
  const free = await measure(run, null)
  const capped = await measure(run, cores)
  const line = (name, r) =>
    `${name.padEnd(14)} share ${r.share.toFixed(3)} cores (cpu ${r.cpuMs.toFixed(0)} ms over ${r.wallMs.toFixed(0)} ms wall)` +
    (r.throttled !== undefined ? `, throttled ${r.throttled} periods` : '')
  console.log(`cgroup v${run.version}, busy loop for ${seconds} s in bwrap`)
  console.log(line('no cpu limit', free))
  console.log(line(`cpu ${cores}`, capped))
} finally {
  await run.close()
}
