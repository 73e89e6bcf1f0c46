/**
 * The effectful part: libseccomp through koffi. Loads lazily (nothing here runs unless a filter is
 * compiled), resolves system call names, executes a FilterPlan and exports the BPF program.
 */
import fs from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { SandboxUnavailableError } from '../policy/errors.js'
import { loadFirst, once } from '../native/load.js'
import { libseccompFix } from '../probe/fixes.js'
import type { FilterPlan, SeccompArch, SyscallResolver } from './plan.js'

/** Oldest libseccomp with SCMP_ACT_KILL_PROCESS and SCMP_ACT_LOG. */
export const MIN_VERSION = [2, 4, 0] as const

/** Said far from any probe of the host: every distribution's command. */
const INSTALL_HINT = `install libseccomp (${libseccompFix(null).join('), ')}`

/** libseccomp cannot be used: the fact, then how to get it. */
const unusable = (fact: string) => new SandboxUnavailableError(`${fact}; ${INSTALL_HINT}.`, fact)

export interface Libseccomp {
  /** e.g. `2.5.4`. */
  version: string
  /** The architecture this process runs on, as libseccomp names it, if supported. */
  nativeArch: SeccompArch | null
  resolve: SyscallResolver
  /** Executes the plan and returns the BPF program (struct sock_filter[], 8 bytes each). */
  compile(plan: FilterPlan): Buffer
}

// Minimal shape of the koffi functions used here.
type Fn = (...args: unknown[]) => unknown

const library = once(
  () => openLibseccomp(),
  (error) => (error instanceof SandboxUnavailableError ? error : unusable(`seccomp: could not use libseccomp: ${(error as Error).message}`)),
)

/** libseccomp, loaded once; throws SandboxUnavailableError when missing, too old or unusable. */
export function loadLibseccomp(): Libseccomp {
  return library.get()
}

/** For tests: forget the loaded library (or pretend it failed to load). */
export function resetLibseccompForTests(replacement?: Libseccomp | SandboxUnavailableError): void {
  library.set(replacement)
}

/** Default names tried, in order, by the dynamic loader. */
export const LIBRARY_NAMES = ['libseccomp.so.2', 'libseccomp.so'] as const

/** Loads libseccomp from the first of `candidates` that loads (uncached; loadLibseccomp() caches). */
export function openLibseccomp(candidates: readonly string[] = LIBRARY_NAMES): Libseccomp {
  const require = createRequire(import.meta.url)
  let koffi: typeof import('koffi')
  try {
    koffi = require('koffi') as typeof import('koffi')
  } catch (error) {
    throw new SandboxUnavailableError(`seccomp: the koffi package (used to call libseccomp) could not be loaded: ${(error as Error).message}. Reinstall vitest-pool-nsjail's dependencies, or turn the filter off with \`seccomp: false\`.`)
  }

  const lib = loadFirst(koffi, candidates)
  if (typeof lib === 'string') {
    throw unusable(`seccomp is enabled but libseccomp is not installed (${lib})`)
  }

  const fn = (signature: string): Fn | null => {
    try {
      return lib!.func(signature) as Fn
    } catch {
      return null
    }
  }
  // koffi type names are process-global, and this module may be loaded more than once in a process
  // (a config file re-imported on a watch-mode restart, a second copy of the package): reuse a
  // declaration another copy made instead of declaring the name twice, which koffi refuses.
  const struct = (name: string, fields: Record<string, string>) => {
    try {
      return koffi.type(name)
    } catch {
      return koffi.struct(name, fields)
    }
  }
  const scmpVersion = struct('vitest_pool_nsjail_scmp_version', { major: 'uint', minor: 'uint', micro: 'uint' })
  struct('vitest_pool_nsjail_scmp_arg_cmp', { arg: 'uint', op: 'int', datum_a: 'uint64_t', datum_b: 'uint64_t' })

  const versionFn = fn('const vitest_pool_nsjail_scmp_version *seccomp_version(void)')
  if (!versionFn) {
    throw unusable(`seccomp: libseccomp is older than 2.3 (no seccomp_version()); version ${MIN_VERSION.join('.')} or newer is needed`)
  }
  const v = koffi.decode(versionFn(), scmpVersion) as { major: number; minor: number; micro: number }
  const version = `${v.major}.${v.minor}.${v.micro}`
  if (compareVersions([v.major, v.minor, v.micro], MIN_VERSION) < 0) {
    throw unusable(`seccomp: libseccomp ${version} is too old (${MIN_VERSION.join('.')} or newer is needed for the kill-process and log actions)`)
  }

  const required = (signature: string): Fn => {
    const f = fn(signature)
    if (!f) throw unusable(`seccomp: libseccomp ${version} lacks ${signature.split('(')[0]!.split(' ').pop()}`)
    return f
  }
  const api = {
    init: required('void *seccomp_init(uint32_t def_action)'),
    release: required('void seccomp_release(void *ctx)'),
    archNative: required('uint32_t seccomp_arch_native(void)'),
    archResolveName: required('uint32_t seccomp_arch_resolve_name(const char *name)'),
    archAdd: required('int seccomp_arch_add(void *ctx, uint32_t arch_token)'),
    archRemove: required('int seccomp_arch_remove(void *ctx, uint32_t arch_token)'),
    attrSet: required('int seccomp_attr_set(void *ctx, int attr, uint32_t value)'),
    resolveNameArch: required('int seccomp_syscall_resolve_name_arch(uint32_t arch_token, const char *name)'),
    ruleAddArray: required('int seccomp_rule_add_array(void *ctx, uint32_t action, int syscall, unsigned int arg_cnt, const vitest_pool_nsjail_scmp_arg_cmp *arg_array)'),
    exportBpf: required('int seccomp_export_bpf(void *ctx, int fd)'),
  }
  let memfdCreate: Fn | null = null
  try {
    memfdCreate = koffi.load('libc.so.6').func('int memfd_create(const char *name, unsigned int flags)') as Fn
  } catch {
    // Not glibc, or too old: fall back to a temporary file.
  }

  const tokens = new Map<SeccompArch, number>()
  const token = (arch: SeccompArch): number => {
    let t = tokens.get(arch)
    if (t === undefined) {
      t = api.archResolveName(arch) as number
      if (!t) throw new SandboxUnavailableError(`seccomp: libseccomp ${version} does not know the architecture ${arch}`)
      tokens.set(arch, t)
    }
    return t
  }
  const native = api.archNative() as number
  const nativeArch = (['x86_64', 'aarch64'] as const).find((arch) => token(arch) === native) ?? null

  const resolve: SyscallResolver = (name, arch) => {
    const nr = api.resolveNameArch(token(arch), name) as number
    if (nr >= 0) return nr
    // __NR_SCMP_ERROR (-1): unknown name. Other negative numbers are libseccomp's pseudo numbers for
    // calls this architecture does not have (e.g. -10095 for iopl on aarch64).
    return nr === -1 ? 'unknown' : 'absent'
  }

  const compile = (plan: FilterPlan): Buffer => {
    const ctx = api.init(plan.defaultAction.value)
    if (!ctx) throw new SandboxUnavailableError(`seccomp: seccomp_init failed (libseccomp ${version})`)
    try {
      const target = token(plan.arch)
      if (target !== native) {
        check(api.archAdd(ctx, target) as number, `seccomp_arch_add(${plan.arch})`)
        check(api.archRemove(ctx, native) as number, 'seccomp_arch_remove(native)')
      }
      for (const a of plan.attributes) {
        const rc = api.attrSet(ctx, a.attr, a.value) as number
        if (rc < 0 && a.required) check(rc, `seccomp_attr_set(${a.name}, ${a.value})`)
      }
      for (const rule of plan.rules) {
        const args = rule.args.map((c) => ({ arg: c.index, op: c.opCode, datum_a: c.datumA, datum_b: c.datumB }))
        const rc = api.ruleAddArray(ctx, rule.action.value, rule.nr, args.length, args.length ? args : null) as number
        check(rc, `seccomp_rule_add(${rule.syscall}, from ${rule.source})`)
      }
      return exportBpf(ctx)
    } finally {
      api.release(ctx)
    }
  }

  function exportBpf(ctx: unknown): Buffer {
    let fd = -1
    let dir: string | null = null
    try {
      if (memfdCreate) fd = memfdCreate('vitest-pool-nsjail-seccomp', 1 /* MFD_CLOEXEC */) as number
      if (fd < 0) {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vitest-pool-nsjail-seccomp-'))
        fd = fs.openSync(path.join(dir, 'filter.bpf'), 'w+', 0o600)
      }
      check(api.exportBpf(ctx, fd) as number, 'seccomp_export_bpf')
      const size = fs.fstatSync(fd).size
      const buffer = Buffer.alloc(size)
      let done = 0
      while (done < size) done += fs.readSync(fd, buffer, done, size - done, done)
      return buffer
    } finally {
      if (fd >= 0) fs.closeSync(fd)
      if (dir) fs.rmSync(dir, { recursive: true, force: true })
    }
  }

  function check(rc: number, what: string): void {
    if (rc >= 0) return
    const name = Object.entries(os.constants.errno).find(([, n]) => n === -rc)?.[0] ?? String(-rc)
    throw new SandboxUnavailableError(`seccomp: ${what} failed with ${name} (libseccomp ${version})`)
  }

  return { version, nativeArch, resolve, compile }
}

export function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0)
    if (d !== 0) return d
  }
  return 0
}
