/**
 * The system part of a sandbox's root for `rootfs: 'minimal'` and `{ dir }`, as a RootTree: what the
 * bases hold, decided from facts gathered on the host (./builder.ts). Pure but for `list`, which
 * reads a host folder when one must be split.
 *
 * - minimal: the host's top-level links (/bin → usr/bin, …, so host paths work), busybox's applets
 *   as links to it, time zone and CA certificate data, then the closure (node, setpriv, busybox, the
 *   tools and every library they and the addons load), which wins over an applet of the same name.
 * - dir: the image's /usr, /bin, /sbin, /lib* and /etc, then the same closure on top (the host's Node
 *   must run, so its loader and libraries replace the image's files of the same name).
 *
 * On both, every path the rest of the plan mounts is cleared last (./tree.ts: clear), so the project,
 * node_modules and the synthesized /etc files go on top of the base, whatever it holds there.
 */
import path from 'node:path'
import { RootTree, type ListDir, type TreeOps } from './tree.js'
import type { Placement } from './closure.js'
import type { HostLayout, SetupOp } from '../isolate/plan.js'

export interface BaseRoot {
  /** Host /etc entries mounted at their own place (instead of the host base's HostLayout.etc). */
  etc: string[]
  /** Names of the programs in the base's bin folders: what a test can spawn, for messages. */
  programs(): string[]
  /** The base's setup operations, given the plan's ops that follow them (what they put in place goes on top). */
  build(after: SetupOp[]): TreeOps
}

/** What of an image is the base: the system folders, as on the host base, and /etc. */
export const IMAGE_ENTRIES = ['usr', 'bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32', 'etc']

const BIN = /\/s?bin\/([^/]+)$/

export interface MinimalInputs {
  system: HostLayout['system']
  busybox: { path: string; applets: string[] } | null
  /** Host folders of data mounted whole: time zones, the certificates /etc/ssl/certs links into. */
  data: string[]
  closure: Placement
  etc: string[]
}

export function minimalBase(inputs: MinimalInputs, list: ListDir): BaseRoot {
  const { system, busybox, data, closure } = inputs
  return {
    etc: inputs.etc,
    programs: () => binNames([...(busybox?.applets ?? []), ...closure.files, ...closure.links.map((l) => l.path)]),
    build: recent((placed) => {
      const tree = new RootTree(list)
      for (const entry of system) if (entry.symlink !== null) tree.link(entry.path, entry.symlink)
      for (const applet of busybox?.applets ?? []) tree.link(applet, busybox!.path)
      for (const dir of data) tree.graft(dir, dir, true)
      return finish(tree, closure, placed)
    }),
  }
}

export function imageBase(dir: string, closure: Placement, etc: string[], list: ListDir): BaseRoot {
  return {
    etc,
    programs: () => binNames(['usr/bin', 'bin', 'usr/sbin', 'sbin'].flatMap((bin) => {
      try {
        return list(path.join(dir, bin)).map((e) => `/${bin}/${e.name}`)
      } catch {
        return []
      }
    })),
    build: recent((placed) => {
      const tree = new RootTree(list)
      for (const entry of list(dir)) {
        if (!IMAGE_ENTRIES.includes(entry.name)) continue
        if (entry.kind === 'link') tree.link(`/${entry.name}`, entry.target)
        else if (entry.kind === 'dir') tree.graft(`/${entry.name}`, path.join(dir, entry.name), true)
      }
      return finish(tree, closure, placed)
    }),
  }
}

/** The closure on top (files first, so a link that is its own target through a linked folder is dropped), then room for the plan's mounts. */
function finish(tree: RootTree, closure: Placement, placed: string[]): TreeOps {
  for (const file of closure.files) tree.graft(file, file, false)
  for (const link of closure.links) tree.link(link.path, link.target)
  for (const dest of placed) tree.clear(dest)
  return tree.ops()
}

/** Layouts kept per base: sandboxes of one policy mount the same paths (Vitest 5's coverage folders differ per sandbox). */
const RECENT_LAYOUTS = 16

/**
 * The paths the ops after the base put something at (a `dir` adds to what is there, the final
 * `remount-ro` changes nothing): those are cleared. Layouts are kept by those paths, a few
 * milliseconds per sandbox saved.
 */
function recent(build: (placed: string[]) => TreeOps): (after: SetupOp[]) => TreeOps {
  const layouts = new Map<string, TreeOps>()
  return (after) => {
    const placed = after.filter((op) => op.op !== 'dir' && op.op !== 'remount-ro').map((op) => op.dest)
    const key = placed.join('\0')
    let ops = layouts.get(key)
    if (!ops) {
      ops = build(placed)
      if (layouts.size >= RECENT_LAYOUTS) layouts.delete(layouts.keys().next().value!)
      layouts.set(key, ops)
    }
    return ops
  }
}

function binNames(paths: string[]): string[] {
  return [...new Set(paths.map((p) => BIN.exec(p)?.[1]).filter((n): n is string => n !== undefined))].sort()
}
