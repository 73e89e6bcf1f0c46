/**
 * Which files the pool writes on a worker's behalf (snapshots): only inside the project root, never
 * into node_modules or .git, and never through a symlink that leads elsewhere.
 */
import { realpathSync } from 'node:fs'
import path from 'node:path'
import type { Access } from './resources.js'

const FORBIDDEN_SEGMENTS = new Set(['node_modules', '.git'])

/** The real location of `target`, resolving symlinks of its nearest existing ancestor. */
export function realLocation(target: string): string {
  const missing: string[] = []
  let current = path.resolve(target)
  for (;;) {
    try {
      return path.join(realpathSync(current), ...missing.reverse())
    } catch {
      if (current === path.dirname(current)) return path.resolve(target)
      missing.push(path.basename(current))
      current = path.dirname(current)
    }
  }
}

export function checkSnapshotWrite(target: string, access: Access): string | null {
  const root = realLocation(access.root)
  const real = realLocation(target)
  const relative = path.relative(root, real)
  if (relative.startsWith('..') || path.isAbsolute(relative)) {
    return `${target} is outside the project root ${access.root}`
  }
  if (relative.split(path.sep).some((segment) => FORBIDDEN_SEGMENTS.has(segment))) {
    return `${target} is inside node_modules or .git`
  }
  return null
}
