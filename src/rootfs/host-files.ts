/**
 * The host-side reads the root builders need: folder listings for splits (bounded), programs on
 * PATH, busybox and its applets, and the native addons in the folders a sandbox mounts (a bounded
 * walk that never follows a symlink).
 */
import { execFileSync } from 'node:child_process'
import { accessSync, constants, lstatSync, readdirSync, readlinkSync, statSync } from 'node:fs'
import path from 'node:path'
import { RootfsTreeError, type HostEntry } from './tree.js'

/** A folder with more entries than this is not split (an image's /usr/bin has a few thousand at most). */
const MAX_SPLIT_ENTRIES = 20_000
/** Folders and files a walk for addons visits per folder it starts from, at most. */
const MAX_WALK_ENTRIES = 200_000

export function listDir(dir: string): HostEntry[] {
  const names = readdirSync(dir)
  if (names.length > MAX_SPLIT_ENTRIES) throw new RootfsTreeError(`${dir} has ${names.length} entries; at most ${MAX_SPLIT_ENTRIES} can be mounted one by one`)
  return names.sort().map((name): HostEntry => {
    const full = path.join(dir, name)
    const stat = lstatSync(full)
    if (stat.isSymbolicLink()) return { name, kind: 'link', target: readlinkSync(full) }
    return { name, kind: stat.isDirectory() ? 'dir' : 'file' }
  })
}

/** Where `name` is on `PATH` (absolute folders only), as named there: the first executable file. */
export function findProgram(name: string, PATH = process.env.PATH ?? ''): string | null {
  for (const dir of PATH.split(':')) {
    if (!path.isAbsolute(dir)) continue
    const candidate = path.join(dir, name)
    try {
      if (!statSync(candidate).isFile()) continue
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return null
}

/** Where Debian's busybox-static and busybox put it, for a PATH without it. */
const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox', '/sbin/busybox', '/usr/sbin/busybox']

export interface Busybox {
  path: string
  /** Absolute paths of its applets as it installs them (`/bin/sh`, `/usr/bin/awk`, …). */
  applets: string[]
}

/** The host's busybox and its applets, or null. It is the host's own binary, run once to list them. */
export function findBusybox(PATH?: string): Busybox | null {
  const bin = findProgram('busybox', PATH) ?? BUSYBOX.find((p) => findProgram(path.basename(p), path.dirname(p)))
  if (!bin) return null
  const list = (flag: string) => execFileSync(bin, [flag], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] }).split('\n').filter(Boolean)
  let applets: string[]
  try {
    applets = list('--list-full').map((p) => `/${p}`)
  } catch {
    // Builds without --list-full: every applet in /bin.
    try {
      applets = list('--list').map((name) => `/bin/${name}`)
    } catch {
      return null
    }
  }
  return { path: bin, applets: applets.filter((p) => path.posix.normalize(p) === p && !p.includes('/../')) }
}

/**
 * The `*.node` files under `dir`, not following symlinks (a linked package's real folder is mounted,
 * and walked, on its own), skipping .git. Stops after MAX_WALK_ENTRIES entries.
 */
export function findAddons(dir: string): string[] {
  const found: string[] = []
  const stack = [dir]
  let seen = 0
  while (stack.length > 0 && seen < MAX_WALK_ENTRIES) {
    const current = stack.pop()!
    let entries
    try {
      entries = readdirSync(current, { withFileTypes: true })
    } catch {
      continue
    }
    for (const entry of entries) {
      if (++seen > MAX_WALK_ENTRIES) break
      const full = path.join(current, entry.name)
      if (entry.isDirectory() && entry.name !== '.git') stack.push(full)
      else if (entry.isFile() && entry.name.endsWith('.node')) found.push(full)
    }
  }
  return found.sort()
}
