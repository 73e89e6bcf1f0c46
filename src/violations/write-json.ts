/**
 * Writes the run's JSON report. A sandbox may have written into the report's folder (an `fs.writable`
 * folder, say), and a symlink planted there must not make the host write elsewhere: the file is
 * written beneath a directory fd, never through a symlink (src/hostfs).
 */
import path from 'node:path'
import { hostFs } from '../hostfs/beneath.js'

/** `file` is absolute; inside `root` it is resolved beneath the root, else beneath its own folder. */
export function writeReport(file: string, root: string, data: unknown): void {
  const inside = !path.relative(root, file).startsWith('..')
  const fs = hostFs()
  const base = fs.openBase(inside ? root : path.dirname(file))
  try {
    fs.write(base, inside ? path.relative(root, file) : path.basename(file), Buffer.from(`${JSON.stringify(data, null, 2)}\n`), { mkdirs: true })
  } finally {
    base.close()
  }
}
