/**
 * File operations the host does for a sandbox, beneath a directory fd, such that the kernel — not
 * string logic — keeps them there: no symlink is ever followed (a planted or swapped one fails the
 * operation with ELOOP), no `..` is accepted, and every check is made on the fd that is then used,
 * so there is no window between checking a path and using it.
 *
 * Directories are resolved with `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
 * RESOLVE_NO_MAGICLINKS)`, or, where the kernel (or a seccomp profile) lacks openat2, by a walk of
 * `openat(O_NOFOLLOW | O_DIRECTORY)` one component at a time from the base fd. The last component is
 * always opened with `O_NOFOLLOW` relative to the resolved parent's fd. Every fd is `O_CLOEXEC`: a
 * sandbox spawned meanwhile must never inherit a handle on the host's tree.
 *
 * Effects only: which paths are legitimate is decided by the callers (src/channel/*).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { errnoName, loadLibc, type Libc } from './libc.js'

const O_CLOEXEC = 0o2000000
const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_NOCTTY, O_DIRECTORY } = fs.constants
const O_PATH = 0o10000000
const AT_FDCWD = -100
const RESOLVE_NO_MAGICLINKS = 0x02
const RESOLVE_NO_SYMLINKS = 0x04
const RESOLVE_BENEATH = 0x08
const RESOLVE = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS
const DIR = O_RDONLY | O_DIRECTORY | O_CLOEXEC
const { ENOENT, EEXIST, ELOOP, ENOTDIR, EXDEV } = os.constants.errno
/** Opened for reading: never blocks on a FIFO, never becomes a controlling terminal. */
const READ = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC

/** A refused or failed operation: `code` is the errno name, or NOTREG / NLINK / TOOBIG / BADPATH. */
export class HostFsError extends Error {
  constructor(
    readonly code: string,
    /** The path as given, relative to the base. */
    readonly at: string,
    readonly reason: string,
  ) {
    super(`${at}: ${reason}`)
    this.name = 'HostFsError'
  }
}

/** An open directory; `path` only names it in messages. */
export interface Dir {
  readonly fd: number
  readonly path: string
  close(): void
}

export interface HostFs {
  /** How directories are resolved here: the kernel's openat2, or the per-component walk. */
  readonly strategy: 'openat2' | 'walk'
  /**
   * A base directory by its absolute path (following symlinks: a base is a path the user or the pool
   * chose, e.g. the project root; everything beneath it is resolved without them).
   */
  openBase(absolute: string): Dir
  /** The content of an existing regular file, at most `limit` bytes. */
  read(base: Dir, rel: string, limit: number): Buffer
  /** Creates a new file (`O_EXCL`: never an existing one, never through a symlink). */
  create(base: Dir, rel: string, data: Buffer, options?: { mkdirs?: boolean }): void
  /**
   * Rewrites an existing regular file that has no other hard link with `next`, or with what `next`
   * returns for its current content (at most `limit` bytes; it may throw to leave the file as it is).
   * Read, check and write happen on one fd.
   */
  replace(base: Dir, rel: string, next: Buffer | ((current: Buffer) => Buffer), limit?: number): void
  /** A new file, or else the existing regular file (one hard link) rewritten; never through a symlink. */
  write(base: Dir, rel: string, data: Buffer, options?: { mkdirs?: boolean }): void
  /** mkdir -p beneath the base. */
  mkdirs(base: Dir, rel: string): void
  /**
   * What is at `rel`, looked at without following it: a dry run of the operations above (a parent
   * that is a symlink throws ELOOP as they would; a missing parent is `missing`: they create it).
   */
  kind(base: Dir, rel: string): 'missing' | 'file' | 'directory' | 'symlink' | 'other'
  /** Removes a non-directory entry (a symlink itself, never its target), if it is there. */
  unlink(base: Dir, rel: string): void
  /**
   * A new directory `name` directly in `base` (it must not exist yet), mode 0700, opened without
   * following symlinks and then given to `owner` with fchown on that fd.
   */
  makeDir(base: Dir, name: string, owner?: { uid: number; gid: number }): Dir
  /** `name` in `base` as a directory, created 0700 if missing; never through a symlink. */
  openOrMakeDir(base: Dir, name: string): Dir
}

let detected: boolean | undefined

/** Whether this kernel (and any seccomp profile around us) lets openat2 through. */
function openat2Works(libc: Libc): boolean {
  if (detected === undefined) {
    const fd = libc.openat2(AT_FDCWD, '/', DIR, 0, RESOLVE_NO_SYMLINKS)
    if (fd >= 0) fs.closeSync(fd)
    // ENOSYS: an old kernel. EPERM: a seccomp profile that predates the call (older Docker). EINVAL /
    // E2BIG: a kernel that does not know our struct. Any of them: use the walk.
    detected = fd >= 0
  }
  return detected
}

/** The host file operations; `openat2: false` forces the walk (the kernel's choice otherwise). */
export function hostFs(options: { openat2?: boolean } = {}): HostFs {
  const libc = loadLibc()
  const useOpenat2 = (options.openat2 ?? true) && openat2Works(libc)

  function fail(at: string, rc: number, doing: string): never {
    const errno = -rc
    const reason =
      errno === ELOOP ? 'a path component is a symbolic link; the pool never follows one for the sandbox'
      : errno === EXDEV ? 'the path leads out of the directory it must stay beneath'
      : errno === ENOTDIR ? 'a path component is not a directory'
      : errno === EEXIST ? 'it already exists'
      : errno === ENOENT ? 'it does not exist'
      : `${doing} failed with ${errnoName(errno)}`
    throw new HostFsError(errnoName(errno), at, reason)
  }

  /** A single directory entry name. */
  function entryName(name: string): string {
    if (segments(name).length !== 1) throw new HostFsError('BADPATH', name, 'not a single directory entry name')
    return name
  }

  /** The components of a relative path; `..`, `.`, empty and absolute forms are refused outright. */
  function segments(rel: string): string[] {
    const parts = rel.split('/')
    if (rel === '' || parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\0'))) {
      throw new HostFsError('BADPATH', rel, 'not a plain relative path (no empty, ".", ".." or NUL parts)')
    }
    return parts
  }

  /** ENOTDIR from `openat(O_NOFOLLOW | O_DIRECTORY)` on a symlink: say ELOOP, as openat2 does. */
  function openDirStep(fd: number, name: string): number {
    const next = libc.openat(fd, name, DIR | O_NOFOLLOW, 0)
    if (next !== -ENOTDIR) return next
    const probe = libc.openat(fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0)
    if (probe < 0) return next
    const link = fs.fstatSync(probe).isSymbolicLink()
    fs.closeSync(probe)
    return link ? -ELOOP : next
  }

  /** An fd of the directory `parts` beneath `base`, created on the way when `create`. */
  function openDir(base: Dir, parts: string[], at: string, create: boolean): number {
    if (useOpenat2) {
      const fd = libc.openat2(base.fd, parts.length ? parts.join('/') : '.', DIR, 0, RESOLVE)
      if (fd >= 0) return fd
      if (!(fd === -ENOENT && create)) fail(at, fd, 'opening the directory')
    }
    let fd = libc.openat(base.fd, '.', DIR, 0)
    if (fd < 0) fail(at, fd, 'opening the base directory')
    for (const name of parts) {
      let next = openDirStep(fd, name)
      if (next === -ENOENT && create) {
        const made = libc.mkdirat(fd, name, 0o755)
        if (made < 0 && made !== -EEXIST) {
          fs.closeSync(fd)
          fail(at, made, 'creating a directory')
        }
        next = openDirStep(fd, name)
      }
      fs.closeSync(fd)
      if (next < 0) fail(at, next, 'opening a directory')
      fd = next
    }
    return fd
  }

  /** Runs `use` with an fd of `rel`'s parent and `rel`'s last component. */
  function inParent<T>(base: Dir, rel: string, create: boolean, use: (dirfd: number, name: string) => T): T {
    const parts = segments(rel)
    const name = parts.pop()!
    const dirfd = openDir(base, parts, rel, create)
    try {
      return use(dirfd, name)
    } finally {
      fs.closeSync(dirfd)
    }
  }

  function openFile(base: Dir, rel: string, flags: number, mode: number, create: boolean): number {
    return inParent(base, rel, create, (dirfd, name) => {
      const fd = libc.openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC, mode)
      // O_EXCL on a symlink says EEXIST: say what it is.
      if (fd === -EEXIST && kindAt(dirfd, name) === 'symlink') fail(rel, -ELOOP, 'creating the file')
      if (fd < 0) fail(rel, fd, 'opening the file')
      return fd
    })
  }

  function kindAt(dirfd: number, name: string): ReturnType<HostFs['kind']> {
    const fd = libc.openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0)
    if (fd === -ENOENT) return 'missing'
    if (fd < 0) fail(name, fd, 'looking at the file')
    const stat = withFd(fd, (f) => fs.fstatSync(f))
    return stat.isFile() ? 'file' : stat.isDirectory() ? 'directory' : stat.isSymbolicLink() ? 'symlink' : 'other'
  }

  /** fstat of what was opened: a regular file (not a FIFO, device or directory), size within limit. */
  function checkRegular(fd: number, rel: string, limit: number, single = false): fs.Stats {
    const stat = fs.fstatSync(fd)
    if (!stat.isFile()) throw new HostFsError('NOTREG', rel, 'it is not a regular file')
    if (single && stat.nlink > 1) throw new HostFsError('NLINK', rel, `it has ${stat.nlink} hard links; the pool only rewrites a file that has one`)
    if (stat.size > limit) throw new HostFsError('TOOBIG', rel, `it is ${stat.size} bytes, more than the limit of ${limit}`)
    return stat
  }

  function readAll(fd: number, rel: string, limit: number): Buffer {
    const chunks: Buffer[] = []
    let total = 0
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1 << 20, limit + 1 - total))
      const n = fs.readSync(fd, chunk, 0, chunk.length, null)
      if (n === 0) break
      chunks.push(chunk.subarray(0, n))
      total += n
      // It grew after fstat: still no more than the limit.
      if (total > limit) throw new HostFsError('TOOBIG', rel, `it is more than the limit of ${limit} bytes`)
    }
    return Buffer.concat(chunks, total)
  }

  function writeAll(fd: number, data: Buffer): void {
    for (let done = 0; done < data.length; ) done += fs.writeSync(fd, data, done, data.length - done, done)
  }

  function withFd<T>(fd: number, use: (fd: number) => T): T {
    try {
      return use(fd)
    } finally {
      fs.closeSync(fd)
    }
  }

  function dir(fd: number, at: string): Dir {
    let open = true
    return {
      fd,
      path: at,
      close: () => {
        if (open) fs.closeSync(fd)
        open = false
      },
    }
  }

  return {
    strategy: useOpenat2 ? 'openat2' : 'walk',
    openBase(absolute) {
      if (!path.isAbsolute(absolute)) throw new HostFsError('BADPATH', absolute, 'a base directory must be an absolute path')
      const fd = libc.openat(AT_FDCWD, absolute, DIR, 0)
      if (fd < 0) fail(absolute, fd, 'opening the directory')
      return dir(fd, absolute)
    },
    read(base, rel, limit) {
      return withFd(openFile(base, rel, READ, 0, false), (fd) => {
        checkRegular(fd, rel, limit)
        return readAll(fd, rel, limit)
      })
    },
    create(base, rel, data, options = {}) {
      withFd(openFile(base, rel, O_WRONLY | O_CREAT | O_EXCL, 0o644, options.mkdirs ?? false), (fd) => writeAll(fd, data))
    },
    replace(base, rel, next, limit = Number.MAX_SAFE_INTEGER) {
      withFd(openFile(base, rel, O_RDWR | O_NONBLOCK | O_NOCTTY, 0, false), (fd) => {
        checkRegular(fd, rel, typeof next === 'function' ? limit : Number.MAX_SAFE_INTEGER, true)
        const data = typeof next === 'function' ? next(readAll(fd, rel, limit)) : next
        fs.ftruncateSync(fd, 0)
        writeAll(fd, data)
      })
    },
    write(base, rel, data, options) {
      try {
        this.create(base, rel, data, options)
      } catch (error) {
        if (!(error instanceof HostFsError && error.code === 'EEXIST')) throw error
        this.replace(base, rel, data)
      }
    },
    mkdirs(base, rel) {
      fs.closeSync(openDir(base, segments(rel), rel, true))
    },
    kind(base, rel) {
      try {
        return inParent(base, rel, false, kindAt)
      } catch (error) {
        if (error instanceof HostFsError && error.code === 'ENOENT') return 'missing'
        throw error
      }
    },
    unlink(base, rel) {
      inParent(base, rel, false, (dirfd, name) => {
        const rc = libc.unlinkat(dirfd, name, 0)
        if (rc < 0 && rc !== -ENOENT) fail(rel, rc, 'removing the file')
      })
    },
    makeDir(base, name, owner) {
      const only = entryName(name)
      const made = libc.mkdirat(base.fd, only, 0o700)
      if (made < 0) fail(name, made, 'creating the directory')
      const fd = libc.openat(base.fd, only, DIR | O_NOFOLLOW, 0)
      if (fd < 0) fail(name, fd, 'opening the new directory')
      fs.fchmodSync(fd, 0o700)
      if (owner) fs.fchownSync(fd, owner.uid, owner.gid)
      return dir(fd, path.join(base.path, only))
    },
    openOrMakeDir(base, name) {
      const made = libc.mkdirat(base.fd, entryName(name), 0o700)
      if (made < 0 && made !== -EEXIST) fail(name, made, 'creating the directory')
      const fd = openDirStep(base.fd, name)
      if (fd < 0) fail(name, fd, 'opening the directory')
      return dir(fd, path.join(base.path, name))
    },
  }
}
