/**
 * Budgets on what the host writes for one sandbox. The sandbox's cgroup limits what its own
 * processes do, not what the pool does on its behalf: a test that asks for 1 GB of snapshot writes
 * in a loop would otherwise fill the host's disk at the pool's expense.
 */
const MiB = 1024 * 1024

/** Snapshot files, toMatchFileSnapshot targets, inline rewrites and benchmark results, per sandbox. */
export const DEFAULT_WRITE_BUDGET = 256 * MiB
/** Coverage files copied out of the sandbox's private coverage folder (Vitest 5), per sandbox. */
export const DEFAULT_COVERAGE_BUDGET = 1024 * MiB

export class ByteBudget {
  private used = 0

  constructor(
    readonly limit: number,
    /** What it counts, e.g. "snapshot and benchmark writes". */
    readonly what: string,
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

  /** e.g. "this sandbox's budget for coverage files (1024 MiB; 3 MiB used already)". */
  describe(): string {
    return `this sandbox's budget for ${this.what} (${formatBytes(this.limit)}; ${formatBytes(this.used)} used already)`
  }
}

export function formatBytes(bytes: number): string {
  if (bytes >= MiB) return `${+(bytes / MiB).toFixed(1)} MiB`
  if (bytes >= 1024) return `${+(bytes / 1024).toFixed(1)} KiB`
  return `${bytes} bytes`
}
