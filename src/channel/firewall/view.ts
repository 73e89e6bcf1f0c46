/**
 * The sandbox's view of the host's files, as the firewall judges paths with it: the plan's readable
 * and writable mounts less its hidden paths, compared on real paths (symlinks resolved on the host;
 * for a path that does not exist yet, its nearest existing parent). No I/O besides realpath/stat of
 * the paths in question, cached where the sandbox cannot change them.
 */
import { existsSync, realpathSync, statSync } from 'node:fs'
import path from 'node:path'
import { advisedPath } from '../../isolate/package-root.js'
import { callText, PREFIX, Refusal, type Call } from './refusal.js'
import { resolveAbsolute, under, unique } from './paths.js'

export interface FirewallAccess {
  /** The project root (Vite's `root`): root-relative module ids and benchmark paths resolve here. */
  root: string
  /** Absolute host paths (directories or files) the sandbox may read: its read-only mounts. */
  readable: string[]
  /** Absolute host paths the sandbox may write (and so read): its writable mounts. */
  writable: string[]
  /** Absolute host paths inside those that the sandbox sees only a stand-in for (credential files): never read for it. */
  hidden?: string[]
}

export type Kind = 'file' | 'dir' | 'other' | 'missing'

export interface Located {
  /** The real path: symlinks resolved, or the nearest existing parent's real path + the rest. */
  real: string
  kind: Kind
  readable: boolean
}

const CACHE_LIMIT = 50_000

export interface View {
  /** The project root, lexically and real. */
  root: string
  realRoot: string
  /** `p` must be absolute and normal. */
  locate(p: string): Located
  /** Lexically or really under a writable mount: the sandbox can change what is there at any time. */
  writable(p: string, located: Located): boolean
  /** Where refusals send the user: `(or a rule in \`rules\` matching …)`. */
  ruleHint(): string
  readRefusal(call: Call, p: string, located: Located): Refusal
  /** Refuses unless `p` (absolute; normalised here) is readable, and a file, a folder or nothing yet. */
  mustRead(call: Call, p: string): void
  /** Refuses a FIFO, socket or device at `p` (located). */
  mustBeFileOrFolder(call: Call, p: string, located: Located): void
  /** The first writable mount `real` lies in, if any. */
  writeRootOf(real: string): string | undefined
}

/**
 * Where a path really is, without the cache. `p` must be absolute and normal. A path that is missing
 * (or unreachable: behind a file, unreadable) is placed by its deepest existing ancestor: that
 * folder's real path plus the rest.
 */
export function locateUncached(p: string): { real: string; kind: Kind } {
  // existsSync, not realpath, asks first: a missing path is common (an absolute module id is tried
  // under the project root first), and a throwing realpath costs ~30 µs where a "no" costs ~2.
  if (existsSync(p)) {
    try {
      const real = realpathSync.native(p)
      const stat = statSync(real)
      return { real, kind: stat.isFile() ? 'file' : stat.isDirectory() ? 'dir' : 'other' }
    } catch {
      // gone in between: missing, as below
    }
  }
  const parts = p.split('/')
  // Whether an ancestor exists only changes once along the path (a path exists only if its parent
  // does), so a binary search over the depth finds the deepest one: `<root>/home/u/app/src/x.ts`,
  // ten levels missing, takes four probes, not ten. `found` exists, `missing` does not.
  let found = 0
  let missing = parts.length - 1
  for (;;) {
    while (missing - found > 1) {
      const middle = (found + missing) >> 1
      if (existsSync(parts.slice(0, middle + 1).join('/'))) found = middle
      else missing = middle
    }
    try {
      const real = realpathSync.native(parts.slice(0, found + 1).join('/') || '/')
      return { real: path.join(real, ...parts.slice(found + 1)), kind: 'missing' }
    } catch {
      // That ancestor went away in between: search above it again (`/` is always there).
      missing = found
      found = 0
    }
  }
}

/**
 * What exists at or around a located path: the path itself, or for a missing one (an id Vite will
 * still probe for extensions, `./x` → `x.js`) the folder it would be in. Advice names it, since
 * `fs.readonly` only takes paths that exist.
 */
function existingAround(located: Located): string {
  let target = located.real
  if (located.kind === 'missing') while (!existsSync(target)) target = path.dirname(target)
  return target
}

export function createView(access: FirewallAccess, files: readonly string[] = []): View {
  const root = path.resolve(access.root)
  const writableLexical = unique(access.writable.map((p) => path.resolve(p)))
  const readRoots = unique([...access.readable, ...access.writable].map((p) => locateUncached(path.resolve(p)).real))
  const writeRoots = unique(writableLexical.map((p) => locateUncached(p).real))
  const hiddenRoots = unique((access.hidden ?? []).map((p) => locateUncached(path.resolve(p)).real))
  const realRoot = locateUncached(root).real
  const cache = new Map<string, Located>()
  // `files` is the sandbox's live list: a spare is given its files after the firewall was made.
  const ruleHint = () => `(or ${files.length ? `a rule in \`rules\` matching ${files.join(', ')}` : 'a rule for this file'})`

  const writable = (p: string, located: Located) => under(p, writableLexical) || under(located.real, writeRoots)

  function locate(p: string): Located {
    const hit = cache.get(p)
    if (hit) return hit
    const { real, kind } = locateUncached(p)
    const located: Located = { real, kind, readable: under(real, readRoots) && !under(real, hiddenRoots) }
    // Only what the sandbox cannot change is cached: an existing path outside its writable roots.
    if (kind !== 'missing' && !writable(p, located)) {
      if (cache.size >= CACHE_LIMIT) cache.clear()
      cache.set(p, located)
    }
    return located
  }

  function readRefusal(call: Call, p: string, located: Located): Refusal {
    const where = located.real === p ? `the path ${p}` : `the path ${p} leads (through a symlink) to ${located.real}, which`
    // Naming a hidden path itself in fs.readonly is what shows it (src/isolate/conceal.ts).
    const hidden = hiddenRoots.find((h) => under(located.real, [h]))
    const readable = hidden ?? advisedPath(existingAround(located), realRoot)
    const why = hidden !== undefined
      ? `is hidden from the sandbox (a credential file, or fs.hide). Show it with fs.readonly: [${JSON.stringify(readable)}]`
      : `is outside what this test file may read. Allow it with fs.readonly: [${JSON.stringify(readable)}]`
    return new Refusal(`${PREFIX} ${callText(call)}: ${where} ${why} ${ruleHint()}.`, false, readable)
  }

  function mustRead(call: Call, p: string): void {
    if (p.includes('\0')) throw new Refusal(`${PREFIX} ${callText(call)}: the path contains a NUL byte.`)
    const normal = resolveAbsolute(p)
    const located = locate(normal)
    if (!located.readable) throw readRefusal(call, normal, located)
    mustBeFileOrFolder(call, normal, located)
  }

  function mustBeFileOrFolder(call: Call, p: string, located: Located): void {
    // A FIFO, socket or device would block or never end the host's read (Vite reads modules on
    // libuv's four threads: four such reads stall every file operation of the run).
    if (located.kind === 'other') throw new Refusal(`${PREFIX} ${callText(call)}: ${p} is not a regular file or a folder.`)
  }

  return {
    root,
    realRoot,
    locate,
    writable,
    ruleHint,
    readRefusal,
    mustRead,
    mustBeFileOrFolder,
    writeRootOf: (real) => writeRoots.find((w) => under(real, [w])),
  }
}
