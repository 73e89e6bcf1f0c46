/**
 * The files a program needs to start, found the way the host's dynamic loader would find them: its
 * interpreter, then each DT_NEEDED library through DT_RPATH/DT_RUNPATH ($ORIGIN expanded), the
 * folders of ld.so.conf and the loader's own, transitively. Each library comes with the name it was
 * found by (often a symlink such as libstdc++.so.6 → libstdc++.so.6.0.30), so the sandbox can reach
 * it by that name too.
 *
 * Roots are trusted (host programs: node, setpriv, busybox, named tools) or untrusted (the `*.node`
 * files of a project's node_modules). An untrusted object chooses nothing on the host: no interpreter,
 * no path in a DT_NEEDED, and its run paths count only inside the folders the sandbox mounts anyway
 * (`visible`), so a crafted addon cannot make the pool mount a host file. The libraries it needs from
 * the system folders are found as for anyone. The work is bounded: each file is parsed once (cached
 * for the run), and a closure stops after MAX_OBJECTS files.
 */
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync } from 'node:fs'
import path from 'node:path'
import { ElfError, isElf, parseElf, type ElfInfo } from './elf.js'

/** Host files to mount at their own path, and the names (symlinks) by which the loader reaches them. */
export interface Placement {
  /** Real paths. */
  files: string[]
  /** A symlink at `path` to the real file `target`. */
  links: Array<{ path: string; target: string }>
}

export interface Closure extends Placement {
  /** What was not found or could not be read, e.g. `libfoo.so.1 (needed by /app/node_modules/x/x.node)`. */
  missing: string[]
}

export interface ClosureRoot {
  path: string
  trusted: boolean
}

/** The host's own kind of object: a library of another class or machine is skipped, as the loader does. */
export interface LoaderHost {
  machine: number
  bits: 32 | 64
  /** ld.so.conf's folders, then the loader's built-in ones (libdirs.ts). */
  searchDirs: string[]
}

const MAX_OBJECTS = 2000
const SHEBANG_BYTES = 256

type ObjectInfo = { kind: 'elf'; elf: ElfInfo } | { kind: 'script'; interpreter: string } | { kind: 'other'; why?: string }

export const isInside = (child: string, parent: string) => child === parent || child.startsWith(parent === '/' ? '/' : `${parent}/`)

export class ElfClosure {
  /** By real path: parsed once per run. */
  private readonly objects = new Map<string, ObjectInfo>()

  constructor(private readonly host: LoaderHost) {}

  /** The closure of `roots`. `visible`: folders the sandbox mounts anyway (files there are not added). */
  of(roots: ClosureRoot[], visible: string[]): Closure {
    const files = new Set<string>()
    const links = new Map<string, string>()
    const missing: string[] = []
    const done = new Set<string>()
    const shown = (p: string) => visible.some((v) => isInside(p, v))
    const queue: Array<{ named: string; real: string; trusted: boolean; origin: string }> = []

    const add = (named: string, trusted: boolean, by: string, originFromReal: boolean) => {
      const real = realpath(named)
      if (real === null) return void missing.push(`${named}${by}`)
      if (named !== real) links.set(named, real)
      if (!shown(real)) files.add(real)
      if (done.has(real)) return
      if (done.size >= MAX_OBJECTS) return void missing.push(`${named}${by}: more than ${MAX_OBJECTS} files, the rest is not followed`)
      done.add(real)
      // The loader expands $ORIGIN from the path it opened: the executable's real one, a library's as found.
      queue.push({ named, real, trusted, origin: path.dirname(originFromReal ? real : named) })
    }

    for (const root of roots) add(root.path, root.trusted, '', true)
    while (queue.length > 0) {
      const object = queue.shift()!
      const info = this.read(object.real)
      const by = ` (needed by ${object.named})`
      if (info.kind === 'script') {
        if (object.trusted) add(info.interpreter, true, ` (the interpreter of ${object.named})`, true)
        continue
      }
      if (info.kind === 'other') {
        if (info.why) missing.push(`${object.named}: ${info.why}`)
        continue
      }
      const { elf } = info
      if (elf.machine !== this.host.machine || elf.bits !== this.host.bits) continue
      if (object.trusted && elf.interpreter) add(elf.interpreter, true, by, true)
      const own = this.runDirs(elf, object.origin, object.trusted, visible)
      for (const name of elf.needed) {
        // A name with a slash is a path the loader opens as it is: never one an addon chooses.
        if (name.includes('/')) {
          if (object.trusted && path.isAbsolute(name)) add(name, true, by, false)
          continue
        }
        const found = this.find(name, own) ?? this.find(name, this.host.searchDirs)
        if (!found) {
          missing.push(`${name}${by}`)
          continue
        }
        // A library from a mounted folder is the project's: as untrusted as the addon that found it.
        add(found, !shown(realpath(found) ?? found), by, false)
      }
    }
    return { files: [...files], links: [...links].map(([p, target]) => ({ path: p, target })), missing }
  }

  /** A library by name in the system folders, as dlopen(3) finds it (the path it was found by), or null. */
  library(name: string): string | null {
    return this.find(name, this.host.searchDirs)
  }

  /** DT_RPATH (ignored when DT_RUNPATH is there), then DT_RUNPATH; an untrusted object's only inside `visible`. */
  private runDirs(elf: ElfInfo, origin: string, trusted: boolean, visible: string[]): string[] {
    const entries = [...(elf.runpath === null ? elf.rpath ?? [] : []), ...(elf.runpath ?? [])]
    const dirs: string[] = []
    for (const entry of entries) {
      const expanded = entry.replace(/\$(ORIGIN\b|\{ORIGIN\})/g, origin)
      // $LIB, $PLATFORM and relative entries (the working directory) are not followed.
      if (expanded.includes('$') || !path.isAbsolute(expanded)) continue
      const dir = path.normalize(expanded)
      if (!trusted) {
        const real = realpath(dir)
        if (real === null || !visible.some((v) => isInside(real, v))) continue
      }
      dirs.push(dir)
    }
    return dirs
  }

  /** The first `dir/name` that is a regular ELF file of the host's class and machine. */
  private find(name: string, dirs: string[]): string | null {
    for (const dir of dirs) {
      const candidate = path.join(dir, name)
      const real = realpath(candidate)
      if (real === null) continue
      const info = this.read(real)
      if (info.kind === 'elf' && info.elf.machine === this.host.machine && info.elf.bits === this.host.bits) return candidate
    }
    return null
  }

  private read(real: string): ObjectInfo {
    let info = this.objects.get(real)
    if (!info) {
      info = readObject(real)
      this.objects.set(real, info)
    }
    return info
  }
}

export function realpath(p: string): string | null {
  try {
    return realpathSync(p)
  } catch {
    return null
  }
}

/** An ELF file's loading information, a script's interpreter, or neither. Reads headers only. */
export function readObject(file: string): ObjectInfo {
  let fd: number
  try {
    // Non-blocking: a FIFO planted under a .node name must not hang the pool on open.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (error) {
    return { kind: 'other', why: (error as Error).message }
  }
  try {
    const stat = fstatSync(fd)
    if (!stat.isFile()) return { kind: 'other' }
    const size = stat.size
    const read = (offset: number, length: number) => {
      const buffer = Buffer.alloc(Math.max(0, Math.min(length, size - offset)))
      const n = buffer.length > 0 ? readSync(fd, buffer, 0, buffer.length, offset) : 0
      return buffer.subarray(0, n)
    }
    const head = read(0, SHEBANG_BYTES)
    if (isElf(head)) return { kind: 'elf', elf: parseElf(read, size) }
    const shebang = /^#!\s*(\S+)/.exec(head.toString('utf8').split('\n')[0])
    return shebang && path.isAbsolute(shebang[1]) ? { kind: 'script', interpreter: shebang[1] } : { kind: 'other' }
  } catch (error) {
    if (error instanceof ElfError) return { kind: 'other', why: error.message }
    throw error
  } finally {
    closeSync(fd)
  }
}
