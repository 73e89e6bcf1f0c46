#!/usr/bin/env node
// Measures which system calls a sandboxed Node/Vitest run makes: the provenance of the 'strict'
// allowlist in src/seccomp/presets.ts. Run by hand (needs strace, bwrap, root or user namespaces):
//
//   node bench/seccomp-syscalls.mjs [--node /path/to/node] [--keep]
//
// It traces, inside `bwrap --unshare-all … --tmpfs /tmp`, with `strace -f`:
//   1. test/seccomp/fixtures/workload.mjs (worker_threads, child_process, fs.watch, http/net/dgram on
//      loopback, dns, crypto, zlib, timers),
//   2. `vitest run` (main process + forks workers) on a scratch project under /tmp that runs the
//      same workload from inside a test, plus snapshots and fake timers,
// counts syscalls only from the moment a traced process execs something other than bwrap (bwrap's
// own setup is not the sandboxed program's business), and prints the union with counts. With
// dist/ built it also prints the difference with the 'strict' table (missing / never seen).
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { makeVitestProject } from '../test/seccomp/fixtures/scratch-project.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const nodeBin = args.includes('--node') ? args[args.indexOf('--node') + 1] : process.execPath
const keep = args.includes('--keep')

for (const tool of ['strace', 'bwrap']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    console.error(`${tool} is required (apt-get install ${tool === 'bwrap' ? 'bubblewrap' : tool})`)
    process.exit(2)
  }
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'seccomp-measure-'))
const project = path.join(work, 'project')
makeVitestProject(project)

const runs = [
  { name: 'workload', cwd: work, command: [nodeBin, path.join(root, 'test/seccomp/fixtures/workload.mjs')] },
  { name: 'vitest run', cwd: project, command: [nodeBin, 'node_modules/vitest/vitest.mjs', 'run'] },
]

const total = new Map()
process.on('exit', () => {
  if (keep) console.log(`# traces kept in ${work}`)
  else fs.rmSync(work, { recursive: true, force: true })
})
for (const run of runs) {
  const out = path.join(work, `${run.name.replace(/\W+/g, '-')}.strace`)
  const result = spawnSync('strace', [
    // --pidns-translation: clone() inside the sandbox returns pid-namespace pids; this adds the global one.
    '-f', '-qq', '--pidns-translation', '-o', out,
    'bwrap', '--unshare-all', '--die-with-parent', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc',
    '--tmpfs', '/tmp', '--bind', work, work,
    // The node binary may itself live under /tmp (e.g. `npm i node@22` in a scratch folder).
    '--ro-bind', path.dirname(path.dirname(nodeBin)), path.dirname(path.dirname(nodeBin)),
    '--chdir', run.cwd, '--', ...run.command,
  ], { encoding: 'utf8' })
  const counts = countSyscalls(fs.readFileSync(out, 'utf8'))
  console.log(`# ${run.name}: exit ${result.status}, ${counts.size} distinct syscalls`)
  if (result.status !== 0) console.log(result.stdout.slice(-2000), result.stderr.slice(-2000))
  for (const [name, n] of counts) total.set(name, (total.get(name) ?? 0) + n)
}

const sorted = [...total].sort((a, b) => a[0].localeCompare(b[0]))
console.log(`# union (${sorted.length}), node ${spawnSync(nodeBin, ['--version'], { encoding: 'utf8' }).stdout.trim()}`)
console.log(sorted.map(([name, n]) => `${name} ${n}`).join('\n'))

const dist = path.join(root, 'dist/seccomp/presets.js')
if (fs.existsSync(dist)) {
  const { STRICT_ALLOW } = await import(dist)
  const listed = new Set(STRICT_ALLOW.map((entry) => entry.syscall))
  const missing = sorted.map(([name]) => name).filter((name) => !listed.has(name))
  const unseen = [...listed].filter((name) => !total.has(name)).sort()
  console.log(`# seen but not in the strict table (${missing.length}): ${missing.join(' ')}`)
  console.log(`# in the strict table but not seen in this run (${unseen.length}): ${unseen.join(' ')}`)
} else {
  console.log('# (run `npm run build` to compare with the strict table)')
}

/**
 * strace -f output → syscall counts. A process counts from its first non-bwrap execve on; a child or
 * thread cloned by a counted process counts from its first line (two passes, because a new thread's
 * first lines often come before its parent's clone() returns in the log).
 */
function countSyscalls(text) {
  const lines = []
  for (const line of text.split('\n')) {
    const m = /^(\d+)\s+(?:<\.\.\. (\w+) resumed>(.*)|(\w+)\((.*))$/.exec(line)
    if (m) lines.push({ pid: Number(m[1]), resumed: m[2] !== undefined, name: m[2] ?? m[4], tail: m[3] ?? m[5] })
  }
  const start = new Map() // pid → index of the first line that counts
  const execTarget = new Map() // pid → was its pending execve a non-bwrap program?
  lines.forEach((entry, index) => {
    const { pid, resumed, name, tail } = entry
    if (name === 'execve' && !resumed) execTarget.set(pid, !/^"[^"]*bwrap"/.test(tail))
    const ret = /\)\s+=\s+(-?\d+)(?: \/\* (\d+) in strace's PID NS \*\/)?/.exec(tail)
    if (!ret) return
    const child = Number(ret[2] ?? ret[1])
    if (name === 'execve' && ret[1] === '0' && execTarget.get(pid) && !start.has(pid)) {
      // Count the execve itself: find its first line.
      let first = index
      while (first > 0 && !(lines[first].pid === pid && lines[first].name === 'execve' && !lines[first].resumed)) first--
      start.set(pid, first)
    }
    if (/^(clone|clone3|fork|vfork)$/.test(name) && child > 0 && start.has(pid) && start.get(pid) <= index) {
      if (!start.has(child)) start.set(child, 0)
    }
  })
  const counts = new Map()
  lines.forEach((entry, index) => {
    if (entry.resumed || !start.has(entry.pid) || index < start.get(entry.pid)) return
    counts.set(entry.name, (counts.get(entry.name) ?? 0) + 1)
  })
  return new Map([...counts].sort((a, b) => b[1] - a[1]))
}
