/**
 * What the in-sandbox reporter (src/worker/hints.ts) tells the host: names of environment variables a
 * test read and did not find, and the host name and port a client asked for. Worker messages are
 * untrusted, so a hint is only ever a choice between true statements the host makes itself
 * (src/violations/classify.ts); it opens nothing. Bounded: a flood of hints costs a few kilobytes.
 */

export interface HintMessage {
  __nsjail_hint__: { env: string; task?: string } | { connect: string; port: number }
}

export function isHint(message: unknown): message is HintMessage {
  return typeof message === 'object' && message !== null && '__nsjail_hint__' in message
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/
const HOST = /^[a-z0-9.-]{1,253}$/i
const TASK = /^[\w-]{1,128}$/
const MAX_ENV = 512
const MAX_HOSTS = 256

export class Hints {
  /** task id ('' for the file as a whole) → variable names read and missing. */
  private readonly env = new Map<string, Set<string>>()
  private envCount = 0
  private readonly ports = new Map<string, number>()

  add(message: HintMessage): void {
    const hint = message.__nsjail_hint__ as Record<string, unknown>
    if (typeof hint !== 'object' || hint === null) return
    if (typeof hint.env === 'string' && ENV_NAME.test(hint.env) && this.envCount < MAX_ENV) {
      const task = typeof hint.task === 'string' && TASK.test(hint.task) ? hint.task : ''
      const names = this.env.get(task) ?? new Set<string>()
      if (!names.has(hint.env)) this.envCount++
      this.env.set(task, names.add(hint.env))
    } else if (typeof hint.connect === 'string' && HOST.test(hint.connect) && Number.isInteger(hint.port)) {
      const port = hint.port as number
      if (port > 0 && port < 65536 && (this.ports.size < MAX_HOSTS || this.ports.has(hint.connect))) this.ports.set(hint.connect.toLowerCase(), port)
    }
  }

  /** Names read and missing while the task ran, or (for a file's own errors) while nothing ran. */
  envReads(task: string): string[] {
    return [...(this.env.get(task) ?? [])]
  }

  /** Everything hinted (the audit's record mode reads it all). */
  all(): { env: string[]; ports: Array<[string, number]> } {
    return { env: [...new Set([...this.env.values()].flatMap((names) => [...names]))], ports: [...this.ports] }
  }

  portFor(hostname: string): number | undefined {
    return this.ports.get(hostname)
  }
}
