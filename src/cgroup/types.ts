/** Resource-limit option shapes (owned by src/cgroup; the policy layer only passes them through). */

export interface LimitsOption {
  /** e.g. '512M', '2G'. `false` lifts the default. */
  memory?: string | false
  /** Maximum number of tasks (processes + threads). `false` lifts the default. */
  pids?: number | false
  /** CPU cores, e.g. 1.5. */
  cpu?: number | false
  /** Wall-clock limit for one worker, e.g. '10m', '30s'. */
  wallTime?: string | false
}

/** Resolved limits; `null` means unlimited. */
export interface Limits {
  memory: number | null
  pids: number | null
  cpu: number | null
  wallTimeMs: number | null
}
