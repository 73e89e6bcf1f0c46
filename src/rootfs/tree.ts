/**
 * The sandbox's root as a tree of three kinds of entries, turned into setup operations: folders made
 * on the root tmpfs, host paths bound read-only (grafts), and symlinks. Pure but for `list`, which
 * reads a grafted host folder when the tree must look inside it.
 *
 * A graft is opaque until something must go inside it: nothing can be created in a read-only bind,
 * so the graft is then split — replaced by a made folder holding one graft (or symlink) per entry of
 * the host folder — and the new entry takes its place. That is how the host's Node and its libraries
 * go into an image's /usr, and the synthesized /etc files into the image's /etc: the later placement
 * wins, and the rest of the folder is still the image's. Symlinks on the way are followed as the
 * sandbox will follow them (an absolute target from the sandbox's root), at most MAX_HOPS of them.
 */
import path from 'node:path'
import type { SetupOp } from '../isolate/plan.js'

export type HostEntry = { name: string } & ({ kind: 'dir' | 'file' } | { kind: 'link'; target: string })

/** The entries of a host folder (that `graft` was given), for a split. */
export type ListDir = (hostDir: string) => HostEntry[]

type Made = { kind: 'made'; children: Map<string, Node> }
type Node = Made | { kind: 'graft'; src: string; dir: boolean } | { kind: 'link'; target: string }

/** What the tree sets up: ops in order, and the host paths visible at their own place. */
export interface TreeOps {
  ops: SetupOp[]
  /** Grafts whose host path is their place in the sandbox: what the firewall may let the host read. */
  readable: string[]
}

const MAX_HOPS = 40

export class RootfsTreeError extends Error {}

export class RootTree {
  private readonly root: Made = { kind: 'made', children: new Map() }

  constructor(private readonly list: ListDir) {}

  /** Binds the host file or folder `src` at `dest`, replacing whatever the tree had there. */
  graft(dest: string, src: string, dir: boolean): void {
    const { parent, name } = this.walk(dest, 'create')!
    parent.children.set(name, { kind: 'graft', src, dir })
  }

  /** A symlink at `dest`; none when `dest` already is `target` itself (e.g. through a linked /lib). */
  link(dest: string, target: string): void {
    const at = this.walk(dest, 'create')!
    const to = this.walk(path.posix.resolve(path.dirname(dest), target), 'peek')
    if (to && to.canonical === at.canonical) return
    at.parent.children.set(at.name, { kind: 'link', target })
  }

  /**
   * Makes `dest` free for a mount that comes after the tree's: grafts on the way are split, and a
   * graft or symlink at `dest` itself removed. A made folder stays (the mount covers it). A path that
   * leaves the tree needs nothing: its folders are made by whoever mounts there.
   */
  clear(dest: string): void {
    const at = this.walk(dest, 'split')
    if (at && at.parent.children.get(at.name)?.kind !== 'made') at.parent.children.delete(at.name)
  }

  ops(): TreeOps {
    const out: TreeOps = { ops: [], readable: [] }
    const emit = (dir: Made, at: string) => {
      for (const name of [...dir.children.keys()].sort()) {
        const node = dir.children.get(name)!
        const dest = `${at}/${name}`
        if (node.kind === 'made') {
          out.ops.push({ op: 'dir', dest, perms: '0755' })
          emit(node, dest)
        } else if (node.kind === 'graft') {
          out.ops.push({ op: 'ro-bind', src: node.src, dest })
          if (node.src === dest) out.readable.push(dest)
        } else {
          out.ops.push({ op: 'symlink', target: node.target, dest })
        }
      }
    }
    emit(this.root, '')
    return out
  }

  /**
   * The made folder that holds `p`'s last component, following symlinks. `create`: grafts on the way
   * are split and missing folders made; `split`: grafts are split, and a path that leaves the tree
   * gives null; `peek`: changes nothing, and a graft on the way gives null too.
   */
  private walk(p: string, mode: 'create' | 'split' | 'peek'): { parent: Made; name: string; canonical: string } | null {
    let parts = path.posix.resolve('/', p).split('/').filter(Boolean)
    // The root is no entry of a folder: nothing can be placed there, and no placement is it.
    const atRoot = () => {
      if (mode === 'peek') return null
      throw new RootfsTreeError(`${p} is the root itself: nothing can be placed there`)
    }
    if (parts.length === 0) return atRoot()
    let hops = 0
    restart: for (;;) {
      let dir = this.root
      for (let i = 0; i < parts.length - 1; i++) {
        const name = parts[i]
        const node = dir.children.get(name)
        if (node?.kind === 'link') {
          if (++hops > MAX_HOPS) throw new RootfsTreeError(`too many symlinks on the way to ${p}`)
          const here = `/${parts.slice(0, i).join('/')}`
          parts = path.posix.resolve(here, node.target, ...parts.slice(i + 1)).split('/').filter(Boolean)
          if (parts.length === 0) return atRoot()
          continue restart
        }
        let next: Made
        if (node?.kind === 'made') {
          next = node
        } else if (node?.kind === 'graft' && node.dir) {
          if (mode === 'peek') return null
          next = this.split(node.src)
        } else {
          // Missing, or a file in the way: the placement wins.
          if (mode !== 'create') return null
          next = { kind: 'made', children: new Map() }
        }
        dir.children.set(name, next)
        dir = next
      }
      return { parent: dir, name: parts[parts.length - 1], canonical: `/${parts.join('/')}` }
    }
  }

  private split(src: string): Made {
    const children = new Map<string, Node>()
    for (const entry of this.list(src)) {
      const at = path.join(src, entry.name)
      children.set(entry.name, entry.kind === 'link' ? { kind: 'link', target: entry.target } : { kind: 'graft', src: at, dir: entry.kind === 'dir' })
    }
    return { kind: 'made', children }
  }
}
