/**
 * Looks on the host for the credential files a sandbox's mounts would bring in (./conceal.ts says what
 * is hidden and how), when each sandbox is planned, so a file that appeared since the last one is
 * covered too. Effectful: lstat, realpath, reading git configs, and for `fs.hide` globs a walk of the
 * project that enters neither node_modules nor .git.
 *
 * Everything is compared on real paths: a credential file reached through a symlink is covered where
 * it really is, at every place a mount shows it, and the firewall (which resolves symlinks too)
 * refuses it by any name.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import picomatch from 'picomatch'
import { HIDDEN_BY_DEFAULT, keepConcealed, type Concealed } from './conceal.js'
import { sanitizeGitConfig } from './git-config.js'

export interface ConcealInput {
  /** The project root: `fs.hide` globs are matched in it. */
  root: string
  /** Every host path mounted at its own place (project root, needs, fs.readonly, fs.writable). */
  mounts: string[]
  /** The policy's `fs.hide`: absolute paths, and globs relative to the root. */
  hide: string[]
}

/** Folders a glob walk does not enter: dependencies, and git's own (its configs are sanitized anyway). */
const NOT_WALKED = new Set(['node_modules', '.git'])
/** How deep the walk looks for nested submodules' git folders (`.git/modules/a/modules/b`). */
const MODULES_DEPTH = 8

const isInside = (child: string, parent: string) => child === parent || child.startsWith(parent === '/' ? '/' : `${parent}/`)

export function findConcealed(input: ConcealInput): Concealed[] {
  const views = input.mounts.flatMap((at) => {
    const real = realpath(at)
    return real === undefined ? [] : [{ at: path.resolve(at), real }]
  })
  const candidates: Concealed[] = []
  /** A host path to cover with `content` ('' for a file, null for a folder: as it is found), if a mount shows it. */
  const add = (p: string, content?: string) => {
    const real = realpath(p)
    if (real === undefined || !views.some((v) => isInside(real, v.real))) return
    const folder = isDirectory(real)
    candidates.push({ path: real, content: folder ? null : content ?? '' })
  }

  const folders = views.filter((v) => isDirectory(v.real) && !v.real.split('/').includes('node_modules'))
  for (const folder of new Set(folders.map((v) => v.real))) {
    for (const name of HIDDEN_BY_DEFAULT) add(path.join(folder, name))
    for (const config of gitConfigs(path.join(folder, '.git'))) {
      const original = readOr(config)
      // One this process cannot read is hidden whole.
      if (original === undefined) {
        add(config)
        continue
      }
      const { text, includes } = sanitizeGitConfig(original)
      add(config, text)
      // The sanitized config no longer includes them; where the sandbox could read one directly, it is hidden.
      for (const included of includes) add(includePath(included, path.dirname(config)))
    }
  }
  for (const entry of input.hide) {
    if (path.isAbsolute(entry)) add(entry)
    else for (const match of globMatches(input.root, entry)) add(match)
  }

  const shown = views.map((v) => v.real)
  // Each covered host path, at every place a mount shows it.
  return keepConcealed(candidates, shown).flatMap((c) => [...new Set(views
    .filter((v) => isInside(c.path, v.real))
    .map((v) => v.at + c.path.slice(v.real.length)))]
    .map((at) => ({ path: at, content: c.content })))
}

/**
 * The config files of the repository a `.git` entry stands for: its own and its worktrees', and those
 * of the submodules under it. A `.git` file (a worktree or a submodule checkout) leads to its git folder,
 * whose config is covered where a mount shows it.
 */
function gitConfigs(dotGit: string): string[] {
  let gitDir = dotGit
  try {
    if (lstatSync(dotGit).isFile()) {
      const pointer = /^gitdir: (.+)$/m.exec(readFileSync(dotGit, 'utf8'))
      if (!pointer) return []
      gitDir = path.resolve(path.dirname(dotGit), pointer[1].trim())
    }
  } catch {
    return []
  }
  const found: string[] = []
  const seen = new Set<string>()
  const visit = (dir: string) => {
    const real = realpath(dir)
    if (real === undefined || seen.has(real) || !isDirectory(real)) return
    seen.add(real)
    for (const file of ['config', 'config.worktree']) if (isFile(path.join(real, file))) found.push(path.join(real, file))
    for (const worktree of list(path.join(real, 'worktrees'))) {
      if (isFile(path.join(real, 'worktrees', worktree, 'config.worktree'))) found.push(path.join(real, 'worktrees', worktree, 'config.worktree'))
    }
    // A worktree's git folder keeps the repository's config in its common folder.
    const common = readOr(path.join(real, 'commondir'))
    if (common) visit(path.resolve(real, common.trim()))
    modules(path.join(real, 'modules'), 0)
  }
  // Submodules' git folders, named by the submodule's name, which may hold slashes (`libs/a`).
  const modules = (dir: string, depth: number) => {
    if (depth > MODULES_DEPTH) return
    for (const name of list(dir)) {
      const sub = path.join(dir, name)
      if (isFile(path.join(sub, 'HEAD'))) visit(sub)
      else modules(sub, depth + 1)
    }
  }
  visit(gitDir)
  return found
}

/** Where an `include.path` points: `~/` is the home folder, a relative path is relative to the config's folder. */
function includePath(included: string, configDir: string): string {
  return included.startsWith('~/') ? path.join(os.homedir(), included.slice(2)) : path.resolve(configDir, included)
}

/** Paths in the project matching a glob (dot-files too); a matching folder is not entered, nor are symlinks. */
function globMatches(root: string, glob: string): string[] {
  const matches = picomatch(glob, { dot: true })
  // Without `**` (or braces and extglobs, which may hold a `/`) a glob matches no deeper than its own segments.
  const deepest = /\*\*|[{(]/.test(glob) ? Infinity : glob.split('/').length
  const found: string[] = []
  const walk = (dir: string, relative: string, depth: number) => {
    for (const entry of entries(dir)) {
      const rel = relative ? `${relative}/${entry.name}` : entry.name
      if (matches(rel)) found.push(path.join(dir, entry.name))
      else if (entry.isDirectory() && !NOT_WALKED.has(entry.name) && depth < deepest) walk(path.join(dir, entry.name), rel, depth + 1)
    }
  }
  walk(root, '', 1)
  return found
}

/**
 * Most names looked for are not there: asking first spares the exception a failed realpath throws,
 * which cost more than the lookups themselves at every sandbox's start.
 */
function realpath(p: string): string | undefined {
  try {
    return existsSync(p) ? realpathSync.native(p) : undefined
  } catch {
    return undefined
  }
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory()
  } catch {
    return false
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile()
  } catch {
    return false
  }
}

function readOr(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}

function list(dir: string): string[] {
  return entries(dir).filter((e) => e.isDirectory()).map((e) => e.name)
}

function entries(dir: string) {
  try {
    return readdirSync(dir, { withFileTypes: true })
  } catch {
    return []
  }
}
