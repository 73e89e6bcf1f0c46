// A process holding a cgroup run, for the SIGINT/SIGKILL cleanup tests:
//   node hold-run.mjs <compiled cgroup index.js>
// Opens a run ('required'), creates a worker, starts `sleep` inside it through enterCommand,
// prints {"pid", "runDirs", "workerDirs", "sleepPid"} as one JSON line, then waits to be signalled.
// Like Vitest, it turns SIGINT into process.exit(130), so 'exit' handlers run.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'

const { openCgroups, enterCommand, DEFAULT_LIMITS } = await import(process.argv[2])
process.on('SIGINT', () => process.exit(130))

const run = await openCgroups('required', (message) => console.error(message))
const worker = await run.createWorker({ ...DEFAULT_LIMITS, memory: 64 * 2 ** 20, pids: 64 })
const argv = enterCommand(worker.joinFiles, ['sleep', '1000'])
const sleeper = spawn(argv[0], argv.slice(1), { stdio: 'ignore' })
// Wait until the launcher has exec'd sleep (it is inside the cgroup by then).
for (let i = 0; i < 500; i++) {
  const cmdline = readFileSync(`/proc/${sleeper.pid}/cmdline`, 'utf8')
  if (cmdline.startsWith('sleep\0')) break
  await new Promise((resolve) => setTimeout(resolve, 10))
}
console.log(JSON.stringify({ pid: process.pid, runDirs: run.dirs, workerDirs: worker.dirs, sleepPid: sleeper.pid }))
setInterval(() => {}, 1 << 30)
