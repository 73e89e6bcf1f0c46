/**
 * The package a file belongs to: the nearest folder up the tree with a package.json. Mounting that
 * folder makes the file's siblings readable too (what `import './helper.js'` needs next), so it is
 * what a refusal advises, not the one file.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'

/**
 * The folder to advise for `file` (a real path): its package root, unless there is none or it also
 * holds the project root `root` (then it is a whole repository, and the file itself is advised).
 */
export function advisedPath(file: string, root: string): string {
  const dir = packageRoot(file)
  return dir === undefined || root === dir || root.startsWith(`${dir}/`) ? file : dir
}

/** The nearest folder above `file` with a package.json, if any. */
export function packageRoot(file: string): string | undefined {
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir
  }
  return undefined
}
