/**
 * The report's part in one sandbox (src/pool/sandbox.ts calls it): the hints its worker sends, the
 * channel firewall's refusals, and the failures it reports. A failed test or file whose error the
 * sandbox explains gets one more line per fence, appended to the error's message and stack (so every
 * reporter prints it), and the run's report (./run-report.ts) learns which file hit which fence.
 */
import path from 'node:path'
import { explainEnv, explainError, note, NOTE_PREFIX, type Fence, type Violation } from './classify.js'
import { fenceFactory, type FenceInput } from './fence.js'
import { Hints, type HintMessage } from './hints.js'
import { raisedLimit, type Stop } from './limits.js'
import type { RunReport } from './run-report.js'

export interface SandboxReportInit extends Omit<FenceInput, 'hints'> {
  /** The sandbox's test files (absolute). */
  files: readonly string[]
  /** The file a task id belongs to (absolute), if it is one of the sandbox's. */
  fileOf(taskId: string): string | undefined
  run: RunReport
  projectName: string
}

type Pack = [unknown, { state?: unknown; errors?: unknown } | undefined, unknown]

export class SandboxReport {
  private readonly hints = new Hints()
  private readonly fences: (file: string) => Fence
  /** Refusal texts of the channel firewall → the path `fs.readonly` would need. */
  private readonly refusals = new Map<string, string>()

  constructor(private readonly init: SandboxReportInit) {
    this.fences = fenceFactory({ ...init, hints: this.hints })
  }

  hint(message: HintMessage): void {
    this.hints.add(message)
  }

  /** What the worker hinted, all of it: for the audit's record mode. */
  hinted(): { env: string[]; ports: Array<[string, number]> } {
    return this.hints.all()
  }

  /** A call the firewall refused; the failure it causes is annotated, and a sole file is charged now. */
  refused(text: string, readable: string): void {
    if (this.refusals.size >= 1000 || this.refusals.has(text)) return
    this.refusals.set(text, readable)
    if (this.init.files.length === 1) this.record(this.init.files[0], this.refusal(this.fences(this.init.files[0]), text, readable))
  }

  /** Annotates the failures in an `onTaskUpdate` event from the worker (in place: it is the forwarded copy). */
  taskUpdate(message: { m?: unknown; a?: unknown }): void {
    if (message.m !== 'onTaskUpdate' || !Array.isArray(message.a) || !Array.isArray(message.a[0])) return
    for (const [id, result] of message.a[0] as Pack[]) {
      if (typeof id !== 'string' || result?.state !== 'fail' || !Array.isArray(result.errors)) continue
      const file = this.init.fileOf(id)
      if (!file) continue
      const fence = this.fences(file)
      // A file's own errors (a hook, an import) come with reads made outside any test.
      const reads = this.hints.envReads(id.includes('_') ? id : '')
      result.errors.forEach((error, i) => {
        const found = explainError(fence, error)
        if (i === 0) found.push(...explainEnv(fence, reads))
        for (const [text, readable] of this.refusals) {
          if (typeof (error as { message?: unknown })?.message === 'string' && (error as { message: string }).message.includes(text)) {
            found.push(this.refusal(fence, text, readable))
          }
        }
        for (const violation of found) {
          append(error, violation.note)
          this.record(file, violation)
        }
      })
    }
  }

  /** The note for a sandbox a limit ended (charged to all its files), or null. */
  stopped(stop: Stop): string | null {
    const lines: string[] = []
    for (const file of this.init.files) {
      const fence = this.fences(file)
      const violation = stopViolation(fence, stop)
      if (!violation) continue
      this.record(file, violation)
      lines.push(violation.note)
    }
    return lines.length ? lines.join('\n') : null
  }

  private refusal(fence: Fence, text: string, readable: string): Violation {
    const allow = { readonly: [readable] }
    const what = /refused (\w+\(.{0,120}?\)):/.exec(text)?.[1] ?? 'a module or file request'
    return { kind: 'firewall', what, note: note(fence, `the channel refused ${what} (outside what this file may read)`, `have ${readable} read for it`, allow), allow }
  }

  private record(file: string, violation: Violation): void {
    this.init.run.add({ project: this.init.projectName, root: this.init.root, file: path.relative(this.init.root, file), policy: this.init.policy }, violation)
  }
}

function stopViolation(fence: Fence, stop: Stop): Violation | null {
  if (stop.kind === 'seccomp-kill') {
    // The user's rules that kill are the likely cause; otherwise a 32-bit ABI call (no rule can allow one).
    const seccomp = fence.policy.seccomp
    const killing = seccomp ? [...new Set(seccomp.deny.filter((r) => r.action === 'kill').map((r) => r.syscall))] : []
    if (killing.length) {
      const allow = { seccomp: killing }
      return { kind: 'seccomp', what: `call ${killing.join(', ')} (killed)`, note: note(fence, `the seccomp filter killed the worker: its rules kill for ${killing.join(', ')}`, 'make the call', allow), allow }
    }
    const text = `${NOTE_PREFIX}the seccomp filter killed ${fence.file}'s worker for a 32-bit ABI call; to find it, run \`npx vitest-pool-nsjail audit -- ${fence.file}\``
    return { kind: 'seccomp', what: 'a 32-bit system call', note: text, allow: {} }
  }
  const limits = raisedLimit(fence.policy, stop)
  if (!limits) return null
  const [key] = Object.keys(limits)
  const allow = { limits }
  return { kind: 'limit', what: `limits.${key}`, note: note(fence, `the sandbox ended it at limits.${key}`, `run with twice that (a guess)`, allow), allow }
}

/** One more line at the end of an error's message, and after the message in its stack. */
function append(error: unknown, line: string): void {
  if (typeof error !== 'object' || error === null) return
  const e = error as { message?: unknown; stack?: unknown }
  const message = typeof e.message === 'string' ? e.message : ''
  if (message.includes(line)) return
  e.message = message ? `${message}\n${line}` : line
  if (typeof e.stack === 'string') {
    const at = message ? e.stack.indexOf(message) : -1
    e.stack = at === -1 ? `${e.stack}\n${line}` : `${e.stack.slice(0, at + message.length)}\n${line}${e.stack.slice(at + message.length)}`
  }
}
