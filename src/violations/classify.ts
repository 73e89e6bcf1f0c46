/**
 * Errors that the sandbox explains. A test's failure arrives on the host as the error objects Vitest
 * serialized in the worker (message, stack, and Node's own fields: `code`, `syscall`, `path`,
 * `address`, `port`, `hostname`, …, with `cause` and an AggregateError's `errors`). Each is matched
 * against what the host knows for certain — the file's policy, its launch plan, the host's file
 * system and listening sockets — and only a true statement about the sandbox is made: an error the
 * sandbox did not cause, or one about a host path that does not exist, gets nothing. What the worker
 * says (the error's fields, the in-sandbox hints) only chooses which true statement to print; no
 * decision opens anything. Pure: the host facts come in through `Fence`.
 */
import net from 'node:net'
import path from 'node:path'
import { literal } from './literal.js'
import { ruleFor, type Allowance } from './allowance.js'
import { reaches } from './network.js'
import { isLoopback } from '../relay/entries.js'
import { refusedNames, seccompAnswer } from './seccomp.js'
import type { Policy } from '../policy/types.js'

export type FenceKind = 'read-only' | 'hidden-path' | 'network' | 'dns' | 'seccomp' | 'env' | 'firewall' | 'limit'

export interface Violation {
  kind: FenceKind
  /** What was stopped, for the summary: `write out/report.json`, `connect 127.0.0.1:5432`, … */
  what: string
  /** The line appended to the failure. */
  note: string
  allow: Allowance
}

/** Where a path lies as the sandbox sees it. */
export type Place = 'readable' | 'writable' | 'private' | 'outside'

/** What the host knows about one sandbox (src/violations/fence.ts builds it). */
export interface Fence {
  root: string
  /** The test file, relative to the root: named in notes and in the rule. */
  file: string
  policy: Policy
  /** `p` absolute and normal. */
  place(p: string): Place
  /** Whether the host has something at `p` (any kind; symlinks followed). */
  exists(p: string): boolean
  hostListens(address: string, port: number): boolean
  /** The host has the variable and the sandbox does not. */
  withheld(name: string): boolean
  /** Hints from inside: the port a client wanted on `hostname`. */
  portFor(hostname: string): number | undefined
}

export const NOTE_PREFIX = 'vitest-pool-nsjail: '

export function note(fence: Pick<Fence, 'file' | 'policy' | 'root'>, why: string, doing: string, allow: Allowance): string {
  return `${NOTE_PREFIX}${why}; to let ${fence.file} ${doing} use rules: [${literal(ruleFor(fence.file, fence.policy, fence.root, allow))}]`
}

interface ErrorLike {
  message?: unknown
  code?: unknown
  syscall?: unknown
  path?: unknown
  dest?: unknown
  address?: unknown
  port?: unknown
  hostname?: unknown
  cause?: unknown
  errors?: unknown
}

/** The error and those it carries (cause, AggregateError members), a few levels deep. */
function nodes(error: unknown, depth = 0, out: ErrorLike[] = []): ErrorLike[] {
  if (typeof error !== 'object' || error === null || depth > 3 || out.length > 32) return out
  out.push(error as ErrorLike)
  const { cause, errors } = error as ErrorLike
  nodes(cause, depth + 1, out)
  if (Array.isArray(errors)) for (const e of errors.slice(0, 8)) nodes(e, depth + 1, out)
  return out
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined)

function absolute(fence: Fence, p: string | undefined): string | undefined {
  if (!p || p.includes('\0')) return undefined
  return path.resolve(fence.root, p)
}

/**
 * What `fs.writable` should name for a write to `p` (inside `root`): the folder made (mkdir), else the
 * written file's folder, or in the root itself the file when it exists (a missing fs.writable entry is
 * made a folder), else the root.
 */
export function writableTarget(root: string, p: string, mkdir: boolean, exists: (p: string) => boolean): string {
  if (mkdir) return p
  const dir = path.dirname(p)
  if (dir !== root) return dir
  return exists(p) ? p : root
}

function readOnly(fence: Fence, e: ErrorLike): Violation | null {
  const p = absolute(fence, str(e.path))
  if (!p) return null
  const place = fence.place(p)
  // Node's recursive mkdir reports a read-only mount as ENOENT, though the parent is there.
  const mkdirQuirk = e.code === 'ENOENT' && e.syscall === 'mkdir' && place === 'readable' && fence.exists(path.dirname(p))
  if (e.code !== 'EROFS' && !mkdirQuirk) return null
  if (place === 'private' || place === 'writable' || (place === 'outside' && !fence.exists(p))) return null
  const target = place === 'outside' ? p : writableTarget(fence.root, p, e.syscall === 'mkdir', fence.exists)
  const shown = path.relative(fence.root, p).startsWith('..') ? p : `./${path.relative(fence.root, p)}`
  const where = path.relative(fence.root, p).startsWith('..') ? `${p} is read-only here` : 'the project is read-only here'
  const allow = { writable: [target] }
  return { kind: 'read-only', what: `write ${shown}`, note: note(fence, where, `write ${shown}`, allow), allow }
}

const PATH_ERRORS = new Set(['ENOENT', 'EACCES', 'ENOTDIR'])

function hiddenPath(fence: Fence, e: ErrorLike): Violation | null {
  if (!PATH_ERRORS.has(String(e.code))) return null
  // Relative paths resolve in the working directory, the project root, which the sandbox reads.
  const p = str(e.path)
  if (!p || !p.startsWith('/')) return null
  const normal = path.resolve(p)
  // Never a word about a path the host does not have: the note would tell the test's author what exists.
  if (fence.place(normal) !== 'outside' || !fence.exists(normal)) return null
  const allow = { readonly: [normal] }
  return { kind: 'hidden-path', what: `read ${normal}`, note: note(fence, `${normal} exists on the host but is not in this sandbox`, `read it`, allow), allow }
}

function connection(fence: Fence, e: ErrorLike): Violation | null {
  const code = String(e.code)
  const address = str(e.address)
  const port = typeof e.port === 'number' && Number.isInteger(e.port) && e.port > 0 && e.port < 65536 ? e.port : undefined
  if (!address || port === undefined || net.isIP(address) === 0 || reaches(fence.policy, address, port)) return null
  const shown = net.isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`
  if (code === 'ECONNREFUSED' && isLoopback(address)) {
    // The test's own server that is not up yet is an ordinary failure: only a port the host serves counts.
    if (!fence.hostListens(address, port)) return null
    const allow = { forward: [shown] }
    return { kind: 'network', what: `connect ${shown}`, note: note(fence, `nothing listens on ${shown} inside the sandbox (its network is its own; the host's ${shown} is not forwarded)`, `reach the host's ${shown}`, allow), allow }
  }
  if ((code === 'ENETUNREACH' || code === 'EHOSTUNREACH') && !isLoopback(address)) {
    const allow = { forward: [{ from: `127.0.0.1:${port}`, to: shown }] }
    const text = note(fence, `the sandbox has no route to ${shown} (its network has only lo)`, `reach it`, allow)
    return { kind: 'network', what: `connect ${shown}`, note: `${text} (and connect to 127.0.0.1:${port} instead, or to a host name forwarded the same way)`, allow }
  }
  return null
}

const NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i

function lookup(fence: Fence, e: ErrorLike): Violation | null {
  const hostname = str(e.hostname)?.toLowerCase()
  if ((e.code !== 'EAI_AGAIN' && e.code !== 'ENOTFOUND') || !hostname || !NAME.test(hostname) || net.isIP(hostname) !== 0) return null
  if (hostname === 'localhost' || reaches(fence.policy, hostname, undefined)) return null
  const port = fence.portFor(hostname)
  const entry = `${hostname}:${port ?? 'PORT'}`
  const allow = { forward: [entry] }
  const why = `the sandbox has no DNS (its network is its own), so ${hostname} does not resolve`
  const text = note(fence, why, `reach ${port === undefined ? hostname : entry}`, allow)
  return { kind: 'dns', what: `look up ${hostname}`, note: port === undefined ? `${text} (PORT: the port it connects to)` : text, allow }
}

const ERRNO_TEXT: Record<string, string> = { EPERM: 'Operation not permitted', ENOSYS: 'Function not implemented', EACCES: 'Permission denied' }

function seccomp(fence: Fence, e: ErrorLike): Violation | null {
  const message = str(e.message) ?? ''
  const code = str(e.code)
  const candidates = [str(e.syscall), ...(message.match(/[a-z_][a-z0-9_]*/g) ?? [])].filter((n): n is string => !!n)
  const names = refusedNames(fence.policy.seccomp)
  const fromField = str(e.syscall)
  for (const name of new Set(candidates)) {
    // A name from the message must be one the filter refuses by its own rows or the user's; the field may name any call.
    if (name !== fromField && !names.has(name)) continue
    const answer = seccompAnswer(fence.policy.seccomp, name)
    if (!answer || answer.answer === 'kill' || answer.answer === 'log') continue
    const said = code === answer.answer || message.includes(answer.answer) || message.includes(ERRNO_TEXT[answer.answer] ?? '\0')
    if (!said) continue
    const allow = { seccomp: [name] }
    const why = `the seccomp filter refuses ${name}()${answer.conditional ? ' with these arguments' : ''} here (${answer.answer})`
    return { kind: 'seccomp', what: `call ${name}`, note: note(fence, why, `call it`, allow), allow }
  }
  return null
}

/** The notes an error gets, one per fence it hit (usually none). */
export function explainError(fence: Fence, error: unknown): Violation[] {
  const found: Violation[] = []
  for (const e of nodes(error)) {
    for (const check of [readOnly, hiddenPath, connection, lookup, seccomp]) {
      const violation = check(fence, e)
      if (violation && !found.some((v) => v.note === violation.note)) found.push(violation)
    }
  }
  return found
}

/** A failed test read variables the sandbox withheld (names from the in-sandbox hints; values never). */
export function explainEnv(fence: Fence, names: readonly string[]): Violation[] {
  const withheld = names.filter((n) => fence.withheld(n))
  if (withheld.length === 0) return []
  const allow = { env: withheld }
  const list = withheld.join(', ')
  const why = `the sandbox withheld the environment variable${withheld.length > 1 ? 's' : ''} ${list} (the host has ${withheld.length > 1 ? 'them' : 'it'}; names from what the test read)`
  return [{ kind: 'env', what: `read env ${list}`, note: note(fence, why, `read ${withheld.length > 1 ? 'them' : 'it'}`, allow), allow }]
}
