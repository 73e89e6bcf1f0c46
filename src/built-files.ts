/**
 * Where this package's built files are, for those that run outside the host's module graph: in a
 * sandbox (the worker entry and what it loads), in a Worker thread there (the relay), in a child
 * process (the compile cache's warmer). They are found from the package's root, not from the place
 * of the module asking, because the host side is bundled into one file (scripts/bundle.mjs) and
 * tests run it from src/.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { packageRoot } from './isolate/package-root.js'

/** The package's folder: the nearest one with a package.json above this module (dist/ and src/ have none). */
export const PACKAGE_ROOT = packageRoot(fileURLToPath(import.meta.url))!

/** A file of dist/, by its path there. */
export function builtFile(relative: string): string {
  return path.join(PACKAGE_ROOT, 'dist', relative)
}
