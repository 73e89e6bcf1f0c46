/**
 * Gathers on the host what a project's minimal and image bases are made of, once per run: the ELF
 * closure of node, setpriv, busybox, the named tools and the project's native addons, busybox's
 * applets, and folder listings for splits. Everything is cached: each base is computed once.
 */
import { existsSync, statSync } from 'node:fs'
import { imageBase, minimalBase, type BaseRoot } from './base.js'
import { ElfClosure, isInside, realpath, type ClosureRoot } from './closure.js'
import { findAddons, findBusybox, findProgram, listDir, type Busybox } from './host-files.js'
import { librarySearchDirs } from './libdirs.js'
import type { HostEntry } from './tree.js'
import type { RootfsPolicy } from './types.js'
import type { HostLayout } from '../isolate/plan.js'
import { SETPRIV } from '../isolate/bwrap.js'

/** Data Node and libc read: time zones, and the certificate files /etc/ssl/certs links to. */
const DATA = ['/usr/share/zoneinfo', '/usr/share/ca-certificates']
/** The loader's cache: libraries in ld.so.conf folders (e.g. /usr/local/lib) are found inside as on the host. */
const LD_CACHE = '/etc/ld.so.cache'
/**
 * Name service modules for the sources the synthesized /etc/nsswitch.conf names (files, dns): libc
 * loads them with dlopen, not through DT_NEEDED. Since glibc 2.34 they are stubs; before, users and
 * host names resolve only with them.
 */
const NSS_MODULES = ['libnss_files.so.2', 'libnss_dns.so.2']
/** The host's kind of object (e_machine, class), the one node runs as: libraries of another are skipped. */
const MACHINES: Record<string, [number, 32 | 64]> = { x64: [62, 64], arm64: [183, 64], ia32: [3, 32], arm: [40, 32] }

export interface ProjectView {
  /** The node binary that runs the worker, by its real path. */
  node: string
  /** Host paths the sandbox mounts anyway (the project root and its needs): addons are found there. */
  visible: string[]
}

export class RootfsBuilder {
  private closure?: ElfClosure
  private busybox?: Busybox | null
  private addons?: string[]
  private readonly listings = new Map<string, HostEntry[]>()
  private readonly bases = new Map<string, BaseRoot>()
  private readonly list = (dir: string) => memo(this.listings, dir, () => listDir(dir))

  constructor(
    private readonly layout: HostLayout,
    private readonly project: ProjectView,
    private readonly PATH = process.env.PATH ?? '',
  ) {}

  /** The base for a policy's rootfs; undefined for 'host', which the plan builds from HostLayout. */
  base(rootfs: RootfsPolicy): BaseRoot | undefined {
    if (rootfs.base === 'host') return undefined
    return memo(this.bases, JSON.stringify(rootfs), () => {
      const elf = this.elfClosure()
      const closure = elf.of(this.roots(rootfs, elf), this.project.visible)
      const cache = existsSync(LD_CACHE) ? [LD_CACHE] : []
      if (rootfs.base === 'dir') return imageBase(rootfs.dir, closure, cache, this.list)
      return minimalBase({
        system: this.layout.system,
        busybox: this.hostBusybox(),
        data: DATA.filter((d) => existsSync(d)),
        closure,
        // The host base's /etc/alternatives links point into a /usr that is not there.
        etc: [...this.layout.etc.filter((p) => p !== '/etc/alternatives'), ...cache],
      }, this.list)
    })
  }

  /** Trusted: node (by the names it runs under), libc's name services, setpriv, busybox and the tools; untrusted: the addons. */
  private roots(rootfs: RootfsPolicy, elf: ElfClosure): ClosureRoot[] {
    const { project } = this
    const trusted = (p: string): ClosureRoot => ({ path: p, trusted: true })
    const names = [process.execPath, findProgram('node', this.PATH)].filter((p): p is string => p !== null && realpath(p) === project.node)
    const roots = [...new Set([project.node, ...names])].map(trusted)
    for (const module of NSS_MODULES) {
      const found = elf.library(module)
      if (found) roots.push(trusted(found))
    }
    if (existsSync(SETPRIV)) roots.push(trusted(SETPRIV))
    if (rootfs.base === 'minimal') {
      const busybox = this.hostBusybox()
      if (busybox) roots.push(trusted(busybox.path))
      for (const tool of rootfs.tools) {
        const found = findProgram(tool, this.PATH)
        // preflight.ts has reported a tool that is not there.
        if (found) roots.push(trusted(found))
      }
    }
    for (const addon of this.projectAddons()) roots.push({ path: addon, trusted: false })
    return roots
  }

  /** The `*.node` files in the folders the sandbox mounts (each walked once, not twice when nested). */
  private projectAddons(): string[] {
    if (!this.addons) {
      const dirs = this.project.visible.filter((p) => isDir(p))
      const tops = dirs.filter((d) => !dirs.some((o) => o !== d && isInside(d, o)))
      this.addons = [...new Set(tops.flatMap((dir) => findAddons(dir)))]
    }
    return this.addons
  }

  private hostBusybox(): Busybox | null {
    if (this.busybox === undefined) this.busybox = findBusybox(this.PATH)
    return this.busybox
  }

  private elfClosure(): ElfClosure {
    if (!this.closure) {
      const [machine, bits] = MACHINES[process.arch] ?? MACHINES.x64
      this.closure = new ElfClosure({ machine, bits, searchDirs: librarySearchDirs(machine, bits) })
    }
    return this.closure
  }
}

function memo<K, V>(cache: Map<K, V>, key: K, make: () => V): V {
  if (!cache.has(key)) cache.set(key, make())
  return cache.get(key)!
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory()
  } catch {
    return false
  }
}
