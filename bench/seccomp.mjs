#!/usr/bin/env node
// Seccomp costs, run by hand after `npm run build`:
//
//   node bench/seccomp.mjs [--n 1000000]
//
// 1. Compile time of the 'default' and 'strict' policies: cold (first compile in this process,
//    library load reported separately) and cached (the per-run cache keyed by the policy's JSON).
// 2. Per-system-call cost of the filter: a tight loop of N getppid() calls through koffi's
//    syscall(2) (declared non-variadic), inside `bwrap --unshare-all`, without a filter and with each policy; the same loop
//    over a libc function that makes no system call (labs) gives the FFI overhead to subtract.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const dist = path.join(root, 'dist/seccomp/index.js')
if (!fs.existsSync(dist)) {
  console.error('dist/ is missing: run `npm run build` first.')
  process.exit(1)
}
const { compileSeccomp, clearSeccompCache, validateSeccompOption, planFilter } = await import(dist)
const { loadLibseccomp } = await import(path.join(root, 'dist/seccomp/libseccomp.js'))

const argv = process.argv.slice(2)
const N = argv.includes('--n') ? Number(argv[argv.indexOf('--n') + 1]) : 1_000_000
const ms = (t) => `${t.toFixed(2)} ms`

// ── 1. compile time ──────────────────────────────────────────────────────────────────────────────
let t = performance.now()
const lib = loadLibseccomp()
console.log(`libseccomp ${lib.version} (${lib.nativeArch}), node ${process.version}; load: ${ms(performance.now() - t)}`)
const programs = {}
for (const name of ['default', 'strict']) {
  const policy = validateSeccompOption(name, 'seccomp')
  clearSeccompCache()
  t = performance.now()
  programs[name] = compileSeccomp(policy)
  const cold = performance.now() - t
  t = performance.now()
  const plan = planFilter(policy, lib.nativeArch, lib.resolve)
  const planned = performance.now() - t
  const rounds = 1000
  t = performance.now()
  for (let i = 0; i < rounds; i++) compileSeccomp(policy)
  const cached = (performance.now() - t) / rounds
  console.log(
    `compile ${name.padEnd(7)}: cold ${ms(cold)} (planning alone, warm: ${ms(planned)}), cached ${ms(cached)} (${(cold / cached).toFixed(0)}x); ` +
      `${plan.rules.length} libseccomp rules → ${programs[name].length / 8} BPF instructions`,
  )
}

// ── 2. per-syscall cost ─────────────────────────────────────────────────────────────────────────
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'seccomp-bench-'))
const loop = path.join(work, 'loop.mjs')
fs.writeFileSync(
  loop,
  `import koffi from ${JSON.stringify(path.join(root, 'node_modules/koffi/index.js'))}
const libc = koffi.load('libc.so.6')
// Declared with a fixed argument list: koffi's variadic calls cost far more than the system call
// itself (integer arguments travel the same way either way on x86_64 and aarch64 Linux).
const syscall = libc.func('long syscall(long nr, long a)')
const labs = libc.func('long labs(long)')
const [nr, n] = [Number(process.argv[2]), Number(process.argv[3])]
// Best 1/10th of the run: a busy machine's preemptions land in some chunks, not all.
const time = (fn) => {
  for (let i = 0; i < 10000; i++) fn()
  let best = Infinity
  for (let c = 0; c < 10; c++) {
    const t = process.hrtime.bigint()
    for (let i = 0; i < n / 10; i++) fn()
    best = Math.min(best, Number(process.hrtime.bigint() - t) / (n / 10))
  }
  return best
}
const ffi = time(() => labs(-1))
const sys = time(() => syscall(nr, 0))
process.stdout.write(JSON.stringify({ ffi, sys }))
`,
)

function sandboxed(program) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'bwrap',
      ['--unshare-all', '--die-with-parent', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', ...(program ? ['--seccomp', '9'] : []),
        '--', process.execPath, loop, String(lib.resolve('getppid', lib.nativeArch)), String(N)],
      { stdio: ['ignore', 'pipe', 'inherit', 'ignore', 'ignore', 'ignore', 'ignore', 'ignore', 'ignore', 'pipe'] },
    )
    child.stdio[9].on('error', () => {})
    child.stdio[9].end(program ?? Buffer.alloc(0))
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`bwrap exited with ${code}`))))
  })
}

try {
  // Interleave the variants and keep each one's best of 5, to damp noise from a busy machine.
  const variants = [['no filter', null], ['default', programs.default], ['strict', programs.strict]]
  const best = new Map()
  for (let round = 0; round < 5; round++) {
    for (const [name, program] of variants) {
      const r = await sandboxed(program)
      const prev = best.get(name)
      if (!prev || r.sys < prev.sys) best.set(name, r)
    }
  }
  const base = best.get('no filter')
  console.log(`getppid via koffi syscall(), N=${N}, inside bwrap (best of 5):`)
  for (const [name] of variants) {
    const r = best.get(name)
    const filterCost = r.sys - base.sys
    console.log(
      `  ${name.padEnd(9)}: ${r.sys.toFixed(1)} ns/call (FFI alone ${r.ffi.toFixed(1)} ns → syscall ${(r.sys - r.ffi).toFixed(1)} ns)` +
        (name === 'no filter' ? '' : `; ratio ${(r.sys / base.sys).toFixed(3)}x, filter ≈ ${filterCost.toFixed(1)} ns/call (kernel part ${((r.sys - r.ffi) / (base.sys - base.ffi)).toFixed(2)}x)`),
    )
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true })
}
