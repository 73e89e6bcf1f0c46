/**
 * Files that Node loads by itself when a process starts, named by its flags and environment:
 * `--require`/`--import`/`--loader` values (in execArgv or NODE_OPTIONS) and NODE_EXTRA_CA_CERTS.
 * Inside the sandbox they must be readable at the same path, or the worker dies before any test.
 * Pure: paths are resolved as Node inside the sandbox resolves them (against its working directory).
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const PRELOAD_FLAGS = new Set(['--require', '-r', '--import', '--loader', '--experimental-loader'])

/** NODE_OPTIONS as Node splits it: on spaces, with "double quotes" grouping and `\` escaping inside them. */
export function splitNodeOptions(value: string): string[] {
  const args: string[] = []
  let current = ''
  let quoted = false
  let started = false
  for (let i = 0; i < value.length; i++) {
    const c = value[i]
    if (quoted && c === '\\' && i + 1 < value.length) {
      current += value[++i]
    } else if (c === '"') {
      quoted = !quoted
      started = true
    } else if (c === ' ' && !quoted) {
      if (started) args.push(current)
      current = ''
      started = false
    } else {
      current += c
      started = true
    }
  }
  if (started) args.push(current)
  return args
}

export interface Preload {
  /** The flag as written, e.g. `--require`. */
  flag: string
  /** Its value as written. */
  value: string
  /** The absolute file it names, or null for a package name (resolved through node_modules). */
  file: string | null
}

/** The code-loading flags among `args` (`--require x`, `-r x`, `--import=x`, …), resolved against `cwd`. */
export function preloads(args: readonly string[], cwd: string): Preload[] {
  const found: Preload[] = []
  args.forEach((arg, i) => {
    const eq = arg.indexOf('=')
    const [flag, inline] = eq > 0 && arg.startsWith('--') ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined]
    if (!PRELOAD_FLAGS.has(flag)) return
    const value = inline ?? args[i + 1]
    if (value === undefined || value === '') return
    found.push({ flag, value, file: fileOf(value, cwd) })
  })
  return found
}

function fileOf(value: string, cwd: string): string | null {
  if (value.startsWith('file:')) {
    try {
      return fileURLToPath(value)
    } catch {
      return null
    }
  }
  if (path.isAbsolute(value)) return path.normalize(value)
  if (value === '.' || value === '..' || value.startsWith('./') || value.startsWith('../')) return path.resolve(cwd, value)
  return null
}

/** A file an environment variable makes Node load, with where it came from (for messages). */
export interface EnvFile {
  variable: 'NODE_OPTIONS' | 'NODE_EXTRA_CA_CERTS'
  /** The NODE_OPTIONS flag that loads it (`--require`, …); none for the CA file. */
  flag?: string
  /** The path as written. */
  value: string
  file: string
}

/** The files the sandbox's environment makes Node load: preloads in NODE_OPTIONS, the extra CA file. */
export function envFiles(env: Readonly<Record<string, string | undefined>>, cwd: string): EnvFile[] {
  const files: EnvFile[] = []
  for (const p of preloads(splitNodeOptions(env.NODE_OPTIONS ?? ''), cwd)) {
    if (p.file !== null) files.push({ variable: 'NODE_OPTIONS', flag: p.flag, value: p.value, file: p.file })
  }
  const ca = env.NODE_EXTRA_CA_CERTS
  if (ca) files.push({ variable: 'NODE_EXTRA_CA_CERTS', value: ca, file: path.resolve(cwd, ca) })
  return files
}
