/**
 * Workspace packages are part of the code under test: in an npm, pnpm or yarn workspace a test that
 * imports `@demo/b` goes through `node_modules/@demo/b`, a symlink to `packages/b`, which is outside
 * the project root and outside every node_modules folder. Found two ways, each package mounted
 * read-only as one folder (never the whole repository):
 * - links: symlinked entries of the node_modules folders the sandbox mounts (`name`, `@scope/name`),
 *   resolved on the host, whose target is not readable already; then the same for each package
 *   found (its own node_modules, and those up its tree), so a chain of workspace dependencies works;
 * - the workspace roots Vite computes for the project (`server.fs.allow`, whose default is
 *   `searchForWorkspaceRoot`): their declared packages (package.json `workspaces`,
 *   pnpm-workspace.yaml `packages`, lerna.json `packages`), so a test may also read a sibling package
 *   through an alias or a relative path.
 */
import { existsSync, readdirSync, readFileSync, realpathSync, type Dirent } from 'node:fs'
import path from 'node:path'
import picomatch from 'picomatch'
import { nodeModulesChain } from './host.js'

const isInside = (child: string, parent: string) => child === parent || child.startsWith(parent === '/' ? '/' : `${parent}/`)

/** Globs deeper than this (`packages/**`) stop descending: workspaces are not that deep. */
const MAX_DEPTH = 6

/**
 * Package folders to mount, given the folders already readable (`readable`: the project root, its
 * node_modules chain, …) and the candidate workspace roots. Real paths.
 */
export function workspacePackages(readable: string[], workspaceRoots: string[]): string[] {
  const covered = readable.map((p) => tryRealpath(p) ?? p)
  const found: string[] = []
  const add = (dir: string) => {
    if (covered.some((c) => isInside(dir, c))) return false
    covered.push(dir)
    found.push(dir)
    return true
  }
  const scanned = new Set<string>()
  const queue = readable.filter((p) => path.basename(p) === 'node_modules')
  // A package's dependencies resolve from its real location: the node_modules folders up its tree
  // are mounted with it (for a workspace package they are the workspace's, mounted already).
  const withDependencies = (dir: string) => {
    if (!add(dir)) return
    for (const modules of nodeModulesChain(dir)) {
      add(modules)
      queue.push(modules)
    }
  }
  for (const root of new Set(workspaceRoots)) for (const dir of declaredPackages(root)) withDependencies(dir)
  while (queue.length) {
    const modules = queue.shift()!
    if (scanned.has(modules)) continue
    scanned.add(modules)
    for (const target of linkTargets(modules)) withDependencies(target)
  }
  return found
}

/** Where the symlinked packages of one node_modules folder lead (`name` and `@scope/name` entries). */
function linkTargets(modules: string): string[] {
  const targets: string[] = []
  for (const entry of list(modules)) {
    if (entry.name.startsWith('.')) continue
    if (entry.name.startsWith('@') && entry.isDirectory()) {
      for (const scoped of list(path.join(modules, entry.name))) {
        if (scoped.isSymbolicLink()) targets.push(path.join(modules, entry.name, scoped.name))
      }
    } else if (entry.isSymbolicLink()) {
      targets.push(path.join(modules, entry.name))
    }
  }
  return targets.flatMap((link) => tryRealpath(link) ?? [])
}

/** The package folders a workspace root declares; [] when it declares none. */
export function declaredPackages(root: string): string[] {
  const patterns = workspacePatterns(root)
  if (patterns.length === 0) return []
  const include = patterns.filter((p) => !p.startsWith('!')).map(normalize)
  const exclude = patterns.filter((p) => p.startsWith('!')).map((p) => normalize(p.slice(1)))
  const isIncluded = picomatch(include)
  const isExcluded = exclude.length ? picomatch(exclude) : () => false
  const deepest = Math.max(...include.map((p) => (p.includes('**') ? MAX_DEPTH : p.split('/').length)))
  const packages: string[] = []
  const walk = (dir: string, relative: string, depth: number) => {
    if (depth > deepest) return
    for (const entry of list(dir)) {
      if (!entry.isDirectory() || entry.name === 'node_modules' || entry.name.startsWith('.')) continue
      const rel = relative ? `${relative}/${entry.name}` : entry.name
      const abs = path.join(dir, entry.name)
      if (isIncluded(rel) && !isExcluded(rel) && existsSync(path.join(abs, 'package.json'))) packages.push(tryRealpath(abs) ?? abs)
      walk(abs, rel, depth + 1)
    }
  }
  walk(root, '', 1)
  return packages
}

/** Workspace globs of a root: package.json `workspaces` (npm, yarn), pnpm-workspace.yaml, lerna.json. */
function workspacePatterns(root: string): string[] {
  const json = (file: string) => {
    try {
      return JSON.parse(readFileSync(path.join(root, file), 'utf8')) as Record<string, unknown>
    } catch {
      return undefined
    }
  }
  const pkg = json('package.json')
  const workspaces = pkg?.workspaces
  const fromPackage = Array.isArray(workspaces) ? workspaces : (workspaces as { packages?: unknown } | undefined)?.packages
  let pnpm: string[] = []
  try {
    pnpm = parsePnpmWorkspace(readFileSync(path.join(root, 'pnpm-workspace.yaml'), 'utf8'))
  } catch {
    // no pnpm workspace here
  }
  const lerna = json('lerna.json')
  const fromLerna = lerna ? (Array.isArray(lerna.packages) ? lerna.packages : ['packages/*']) : []
  return [...(Array.isArray(fromPackage) ? fromPackage : []), ...pnpm, ...fromLerna].filter((p): p is string => typeof p === 'string' && p !== '')
}

/**
 * The `packages` list of a pnpm-workspace.yaml: a block sequence (`packages:` then `- 'glob'` lines)
 * or a flow sequence (`packages: ['a/*', b]`). The rest of the file is not read.
 */
export function parsePnpmWorkspace(text: string): string[] {
  const lines = text.split(/\r?\n/)
  const start = lines.findIndex((l) => /^packages\s*:/.test(l))
  if (start === -1) return []
  const unquote = (s: string) => s.trim().replace(/^(['"])(.*)\1$/, '$2')
  const inline = lines[start].replace(/^packages\s*:/, '').replace(/\s+#.*$/, '').trim()
  if (inline.startsWith('[')) return inline.replace(/^\[|\]$/g, '').split(',').map(unquote).filter(Boolean)
  const items: string[] = []
  for (const line of lines.slice(start + 1)) {
    if (/^\s*(#.*)?$/.test(line)) continue
    const item = /^\s+-\s+(.*?)\s*(#.*)?$/.exec(line) ?? /^-\s+(.*?)\s*(#.*)?$/.exec(line)
    if (!item) break
    items.push(unquote(item[1]))
  }
  return items
}

function normalize(pattern: string): string {
  return pattern.replace(/^\.\//, '').replace(/\/+$/, '')
}

function list(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
  } catch {
    return []
  }
}

function tryRealpath(p: string): string | undefined {
  try {
    return realpathSync(p)
  } catch {
    return undefined
  }
}
