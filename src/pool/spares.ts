/**
 * Spare sandboxes: launched ahead of need — cgroup, seccomp program, mounts, firewall, Node booted and
 * Vitest's worker runtime loaded — so that a worker Vitest creates starts in one instead of waiting for
 * all that. Vitest's worker takes its identity from the `start` message, and its files from `run`:
 * nothing a spare is launched with belongs to a file.
 *
 * Spares are kept per kind: a project and everything its sandbox is launched with (policy, Node
 * arguments, environment, Vitest 5's coverage folder; ./launch-key.ts). A spare only ever serves a
 * worker of its own kind. Each kind a worker asked for keeps `count` spares until the pool is idle (no
 * worker left: the end of a run, or watch mode between reruns), when they are stopped; the next
 * worker launches them again. A kind never keeps more spares than its project has files the run has
 * not yet given a worker: the last files of a run, and a run of one file, launch none to waste.
 */
import type { TestProject, Vitest } from 'vitest/node'
import type { Sandbox } from './sandbox.js'

/**
 * Spares per kind unless the `prewarm` option says otherwise. A sandbox boots in about the time Vitest
 * takes for a few small files, so with one spare the next worker often waits for it to finish
 * booting; measured on 2 cores (bench/start.mjs): worker start p50 220 ms with 1, 54 ms with 2, 41 ms
 * with 3, each idle spare ~60 MB RSS (README, Speed).
 */
export const DEFAULT_PREWARM = 2

/** Spares of one kind that died in a row before use; then that kind gets no more (reported once). */
const MAX_FAILED_SPARES = 3

/**
 * With no worker left for this long, the spares are stopped. Vitest creates the next file's worker
 * before it stops the last one's, so a run never drops to zero workers between files; between
 * `sequence.groupOrder` groups it may for a moment.
 */
const IDLE_MS = 500

export interface SpareKind {
  /** Equal for two sandboxes exactly when they are launched the same way. */
  key: string
  /** Its workers' project: the run's files left without a worker are counted per project. */
  project: TestProject
  /** A sandbox of this kind, not launched yet. */
  create(): Sandbox
}

interface Stock {
  kind: SpareKind
  spares: Sandbox[]
  failures: number
}

export interface SpareCounts {
  launched: number
  /** Taken by a worker (started for it; dropped if its files turn out to have another policy). */
  taken: number
  /** Spares that died before anyone used them (each replaced). */
  died: number
}

export class Spares {
  private stocks = new Map<string, Stock>()
  /** Kinds whose spares kept dying: reported once, never prewarmed again by this pool. */
  private readonly failing = new Set<string>()
  private workers = 0
  private idle?: NodeJS.Timeout
  /** Vitest is closing: no spare is launched any more (a worker still starting may ask for one). */
  private closed = false
  private counts: SpareCounts = { launched: 0, taken: 0, died: 0 }
  /**
   * Per project, the current run's test files that no worker was created for yet. Spares serve
   * isolate: true only, where Vitest creates one worker per file. Unknown (no run start seen): no cap.
   */
  private unassigned = new Map<TestProject, number>()

  /**
   * `count` spares per kind (0: none). `debug` receives one line per event when the pool's debug
   * output is on.
   */
  constructor(
    private readonly count: number,
    private readonly debug: ((vitest: Vitest, message: string) => void) | null,
  ) {}

  /** A launched spare of this kind (its replacement is launched at once), or undefined. */
  take(kind: SpareKind): Sandbox | undefined {
    const stock = this.stock(kind)
    const spare = stock.spares.shift()
    if (spare) {
      this.counts.taken++
      stock.failures = 0
      // After its launch (whose own line comes first), when its pid is known.
      if (this.debug) spare.launch().then(() => this.debug!(kind.project.vitest, `spare taken: pid ${spare.pid}`), () => {})
    }
    this.fill(stock)
    return spare
  }

  /** A run starts with these test files (Vitest's reporters' onTestRunStart). */
  runStarted(files: readonly { project: TestProject }[]): void {
    this.unassigned = new Map()
    for (const { project } of files) this.unassigned.set(project, (this.unassigned.get(project) ?? 0) + 1)
  }

  /** A worker exists: spares are worth keeping, and one more of its project's files has a worker. */
  workerOpened(project: TestProject): void {
    const left = this.unassigned.get(project)
    if (left) this.unassigned.set(project, left - 1)
    this.workers++
    clearTimeout(this.idle)
  }

  /** A worker is gone; with none left for a moment the spares are stopped. */
  workerClosed(): void {
    if (--this.workers > 0) return
    clearTimeout(this.idle)
    this.idle = setTimeout(() => void this.stop(), IDLE_MS)
    this.idle.unref()
  }

  /** Vitest is closing: stops every spare, for good. */
  close(): Promise<void> {
    this.closed = true
    return this.stop()
  }

  /** Stops every spare (idle, or Vitest closing); kinds are stocked again when a worker asks. */
  async stop(): Promise<void> {
    clearTimeout(this.idle)
    const stocks = [...this.stocks.values()]
    this.stocks = new Map()
    const spares = stocks.flatMap((stock) => stock.spares.splice(0))
    if (stocks.length && this.debug) {
      const { launched, taken, died } = this.counts
      this.debug(stocks[0].kind.project.vitest, `spares stopped: ${launched} launched, ${taken} taken by workers, ${died} died before use, ${spares.length} stopped unused`)
    }
    this.counts = { launched: 0, taken: 0, died: 0 }
    await Promise.all(spares.map((spare) => spare.kill('SIGKILL')))
  }

  private stock(kind: SpareKind): Stock {
    let stock = this.stocks.get(kind.key)
    if (!stock) this.stocks.set(kind.key, (stock = { kind, spares: [], failures: 0 }))
    return stock
  }

  private fill(stock: Stock): void {
    const wanted = Math.min(this.count, this.unassigned.get(stock.kind.project) ?? this.count)
    while (!this.closed && stock.spares.length < wanted && !this.failing.has(stock.kind.key) && this.stocks.get(stock.kind.key) === stock) {
      this.launch(stock)
    }
  }

  private launch(stock: Stock): void {
    const spare = stock.kind.create()
    stock.spares.push(spare)
    this.counts.launched++
    spare.launch().then(() => {
      this.debug?.(stock.kind.project.vitest, `spare launched: pid ${spare.pid}`)
      return spare.gone
    }, (error: Error) => error).then((error) => {
      const index = stock.spares.indexOf(spare)
      // Taken by a worker (whose business it is now), or stopped by the pool: nothing to replace.
      if (index === -1 || error === null) return
      stock.spares.splice(index, 1)
      this.counts.died++
      this.debug?.(stock.kind.project.vitest, `a spare died before use: ${error.message}`)
      if (++stock.failures < MAX_FAILED_SPARES) return this.fill(stock)
      this.failing.add(stock.kind.key)
      stock.kind.project.vitest.logger.error(`vitest-pool-nsjail: ${MAX_FAILED_SPARES} spare sandboxes in a row died before use, so this kind of sandbox is no longer launched ahead of need (each worker launches its own). The last one: ${error.message}`)
    })
  }
}
