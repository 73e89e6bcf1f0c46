/**
 * The audit's account of a run: per test file, what its sandbox did beyond its default policy
 * (./record.ts), and the smallest options that allow exactly that — the user's options with one
 * `rules` entry per file appended: exact paths, exact `host:port` entries, single system calls and
 * variable names, never `network: 'host'` or `fs.readonly: ['/']`. Whether a recorder is active is a
 * process-wide switch only the audit command sets.
 */
import net from 'node:net'
import path from 'node:path'
import { locateUncached } from '../channel/firewall/view.js'
import { isEmpty, ruleFor, type Allowance } from '../violations/allowance.js'
import { writableTarget } from '../violations/classify.js'
import { isLoopback, type ForwardOption } from '../relay/entries.js'
import type { FileKey } from '../violations/run-report.js'
import type { NsjailOptions, Rule } from '../policy/types.js'
import type { TracedFindings } from './findings.js'

export interface FileFindings extends TracedFindings {
  /** Environment variables read and not found that the host has. */
  env: string[]
  /** Host names a client asked for, with the port (hints from inside). */
  names: Array<[string, number]>
}

export interface AuditFile {
  project: string
  file: string
  reads: string[]
  writes: string[]
  connections: string[]
  names: string[]
  syscalls: string[]
  env: string[]
  rule: Rule | null
}

export interface AuditResult {
  files: AuditFile[]
  /** A valid options object for nsjail(): the run's own options and the rules above. */
  options: NsjailOptions
}

const KEY = Symbol.for('vitest-pool-nsjail:audit')

/** The recorder of the audit command running in this process, if any. */
export function auditRecorder(): AuditRecorder | undefined {
  return (globalThis as { [KEY]?: AuditRecorder })[KEY]
}

interface Entry extends FileKey {
  found: FileFindings[]
}

export class AuditRecorder {
  private readonly entries = new Map<string, Entry>()
  /** The options of the plugin whose sandboxes were recorded (the first one, with several). */
  private options?: NsjailOptions

  /** Makes this the process's recorder: every sandbox started from now on records. */
  activate(): void {
    Object.defineProperty(globalThis, KEY, { value: this, configurable: true })
  }

  deactivate(): void {
    delete (globalThis as { [KEY]?: AuditRecorder })[KEY]
  }

  usedOptions(options: NsjailOptions): void {
    this.options ??= options
  }

  add(key: FileKey, found: FileFindings): void {
    const id = `${key.project}\0${key.root}\0${key.file}`
    const entry = this.entries.get(id) ?? { ...key, found: [] }
    entry.found.push(found)
    this.entries.set(id, entry)
  }

  result(): AuditResult {
    const files = [...this.entries.values()].sort((a, b) => a.project.localeCompare(b.project) || a.file.localeCompare(b.file)).map((entry) => {
      const merged = merge(entry.found)
      const allowance = allowanceOf(entry.root, merged)
      return {
        project: entry.project,
        file: entry.file,
        reads: merged.reads,
        writes: merged.writes.map((w) => w.path),
        connections: merged.connections,
        names: merged.names.map(([name, port]) => `${name}:${port}`),
        syscalls: merged.syscalls,
        env: merged.env,
        rule: isEmpty(allowance) ? null : ruleFor(entry.file, entry.policy, entry.root, allowance),
      }
    })
    const rules = files.flatMap((f) => (f.rule ? [f.rule] : []))
    const options = { ...this.options }
    if (rules.length) options.rules = [...(options.rules ?? []), ...rules]
    return { files, options }
  }
}

function merge(list: FileFindings[]): FileFindings {
  const all = <T>(pick: (f: FileFindings) => T[]) => [...new Map(list.flatMap(pick).map((x) => [JSON.stringify(x), x])).values()]
  return {
    reads: all((f) => f.reads).sort(),
    writes: all((f) => f.writes),
    connections: all((f) => f.connections).sort(),
    syscalls: all((f) => f.syscalls).sort(),
    env: all((f) => f.env).sort(),
    names: all((f) => f.names),
  }
}

const exists = (p: string) => locateUncached(p).kind !== 'missing'

/** The openings that the findings need, each as narrow as the option allows. */
export function allowanceOf(root: string, found: FileFindings): Allowance {
  const forward: ForwardOption[] = []
  const named = new Map(found.names.map(([name, port]) => [port, name]))
  for (const connection of found.connections) {
    const m = /^\[?(.+?)\]?:(\d+)$/.exec(connection)
    if (connection.startsWith('unix:') || !m) {
      forward.push(connection)
      continue
    }
    const [, address, port] = m
    const name = named.get(Number(port))
    if (isLoopback(address)) forward.push(connection)
    else if (name) forward.push(`${name}:${port}`)
    else forward.push({ from: `127.0.0.1:${port}`, to: net.isIPv6(address) ? `[${address}]:${port}` : connection })
  }
  // A name looked up whose connection failed (no route on this machine) is still what the test asked for.
  for (const [name, port] of found.names) if (!forward.includes(`${name}:${port}`)) forward.push(`${name}:${port}`)
  const inRoot = (p: string) => !path.relative(root, p).startsWith('..')
  return {
    ...(found.reads.length ? { readonly: found.reads } : {}),
    ...(found.writes.length ? { writable: [...new Set(found.writes.map((w) => (inRoot(w.path) ? writableTarget(root, w.path, w.mkdir, exists) : w.path)))] } : {}),
    ...(forward.length ? { forward } : {}),
    ...(found.syscalls.length ? { seccomp: found.syscalls } : {}),
    ...(found.env.length ? { env: found.env } : {}),
  }
}
