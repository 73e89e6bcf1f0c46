/**
 * Budgets on the work the host does for one sandbox. Its cgroup limits what its own processes do,
 * not what the pool and Vitest's main process do on its behalf: without these, a test could fill
 * the host's disk with snapshot writes, its memory with coverage or console output Vitest keeps,
 * or its CPU with a flood of messages. Each is a `limits` key (validated here, next to the cgroup
 * limits of src/cgroup/limits.ts); going over one fails that sandbox's files with the budget's
 * name and never the run.
 */
import { formatBytes, parseSize } from '../cgroup/limits.js'
import { OptionError } from '../policy/errors.js'

const MiB = 2 ** 20

export interface Budgets {
  /** Bytes the pool writes for the sandbox: snapshots, file snapshots, benchmark results, attachment copies. */
  hostWrites: number
  /** Bytes of coverage the sandbox hands the host: 4.1's payloads, 5.x's coverage files. */
  coverage: number
  /** Bytes of console output Vitest keeps for the sandbox's tests (reporters hold it until the run ends). */
  output: number
  /** Messages per second the sandbox may send, averaged over a few seconds. */
  messages: number
  /** The largest single message. */
  messageSize: number
}

export const DEFAULT_BUDGETS: Readonly<Budgets> = Object.freeze({
  hostWrites: 256 * MiB,
  coverage: 1024 * MiB,
  output: 64 * MiB,
  messages: 20_000,
  messageSize: 256 * MiB,
})

export const BUDGET_KEYS = Object.keys(DEFAULT_BUDGETS) as Array<keyof Budgets>

const SIZE = "a size such as '64M' or '1G' (binary units)"

/** The budgets `given` (a user's `limits` object) sets on top of `base`. Throws OptionError. */
export function resolveBudgets(given: Record<string, unknown>, option: string, base: Budgets): Budgets {
  const result = { ...base }
  for (const key of BUDGET_KEYS) {
    const value = given[key]
    if (value === undefined) continue
    if (key === 'messages') {
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 100) {
        throw new OptionError(`${option}.${key}`, value, 'a whole number of messages per second, at least 100')
      }
      result.messages = value
    } else {
      const bytes = parseSize(value)
      if (bytes === null || bytes < MiB) throw new OptionError(`${option}.${key}`, value, `${SIZE}, at least 1M`)
      result[key] = bytes
    }
  }
  return result
}

/** Spends a byte budget; says, naming the budget and its option, when it is spent. */
export class ByteBudget {
  private used = 0

  constructor(
    readonly limit: number,
    /** What it counts, e.g. "snapshot and benchmark writes". */
    readonly what: string,
    /** Its option, e.g. `limits.hostWrites`. */
    readonly option: string,
  ) {}

  /** What is left. */
  get remaining(): number {
    return this.limit - this.used
  }

  /** Takes `bytes` when they fit (null); otherwise takes nothing and says so, naming the budget. */
  take(bytes: number): string | null {
    if (bytes <= this.remaining) {
      this.used += bytes
      return null
    }
    return `${formatBytes(bytes)} more would exceed ${this.describe()}`
  }

  /** e.g. "this sandbox's budget for coverage files (1 GiB, limits.coverage; 3 MiB used already)". */
  describe(): string {
    return `this sandbox's budget for ${this.what} (${formatBytes(this.limit)}, ${this.option}; ${formatBytes(this.used)} used already)`
  }
}
