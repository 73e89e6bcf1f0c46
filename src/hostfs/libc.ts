/**
 * The few libc calls Node's fs has no equivalent for, through koffi: opening relative to a directory
 * fd (`openat`, and the kernel's `openat2` by number), `mkdirat` and `unlinkat`. Everything else on
 * the fds they return (fstat, read, write, ftruncate, fchown, close) is Node's own fs, which takes
 * raw fds. Loaded lazily, once per process; functions are declared without named koffi types, so a
 * second copy of this module in the process (a re-imported config, two copies of the package) loads
 * side by side.
 */
import { createRequire } from 'node:module'
import os from 'node:os'
import { loadFirst, once } from '../native/load.js'

/** Each call returns what the kernel would: a non-negative result, or `-errno`. */
export interface Libc {
  openat(dirfd: number, path: string, flags: number, mode: number): number
  /** `openat2(dirfd, path, &{ flags, mode, resolve }, 24)` through syscall(2). */
  openat2(dirfd: number, path: string, flags: number, mode: number, resolve: number): number
  mkdirat(dirfd: number, path: string, mode: number): number
  unlinkat(dirfd: number, path: string, flags: number): number
}

/** openat2's number is the same on every architecture that has it (x86_64 and aarch64 included). */
const SYS_OPENAT2 = 437
/** glibc first, then musl's names. */
const LIBC_NAMES = ['libc.so.6', 'libc.musl-x86_64.so.1', 'libc.musl-aarch64.so.1', 'libc.so'] as const

type Fn = (...args: unknown[]) => number

const libc = once(openLibc, (error) => new Error(`vitest-pool-nsjail: the host-side file operations need libc through koffi, which failed: ${(error as Error).message}`))

export function loadLibc(): Libc {
  return libc.get()
}

function openLibc(): Libc {
  const require = createRequire(import.meta.url)
  const koffi = require('koffi') as typeof import('koffi')
  const lib = loadFirst(koffi, LIBC_NAMES)
  if (typeof lib === 'string') throw new Error(`no C library could be loaded (${lib})`)
  const openat = lib.func('int openat(int dirfd, const char *path, int flags, ...)') as Fn
  const syscall = lib.func('long syscall(long number, ...)') as Fn
  const mkdirat = lib.func('int mkdirat(int dirfd, const char *path, uint32_t mode)') as Fn
  const unlinkat = lib.func('int unlinkat(int dirfd, const char *path, int flags)') as Fn
  // koffi saves errno right after each call: read it before anything else can change it.
  const result = (rc: number) => (rc < 0 ? -koffi.errno() : rc)
  return {
    openat: (dirfd, path, flags, mode) => result(openat(dirfd, path, flags, 'uint32_t', mode)),
    openat2: (dirfd, path, flags, mode, resolve) => {
      const how = Buffer.alloc(24)
      how.writeBigUInt64LE(BigInt(flags >>> 0), 0)
      how.writeBigUInt64LE(BigInt(mode), 8)
      how.writeBigUInt64LE(BigInt(resolve), 16)
      return result(Number(syscall(SYS_OPENAT2, 'int', dirfd, 'const char *', path, 'void *', how, 'size_t', 24)))
    },
    mkdirat: (dirfd, path, mode) => result(mkdirat(dirfd, path, mode)),
    unlinkat: (dirfd, path, flags) => result(unlinkat(dirfd, path, flags)),
  }
}

/** `ELOOP` for 40, …; the number itself when the name is unknown. */
export function errnoName(errno: number): string {
  return Object.entries(os.constants.errno).find(([, n]) => n === errno)?.[0] ?? String(errno)
}
