/**
 * The PoolWorker our runner gives Vitest. Vitest creates it before the run's machine check may have
 * happened (`nsjailPool()` checks when the first worker starts), so it becomes, in start(), what the
 * check decided: our sandboxed worker, or, with `onUnsupported: 'warn'` on a machine that cannot
 * sandbox, Vitest's own forks worker, which then runs the files exactly as `pool: 'forks'` would.
 * Vitest attaches its listeners after start(), so from then on everything goes straight to the choice.
 */
import { ForksPoolWorker, type PoolOptions, type PoolTask, type PoolWorker, type WorkerRequest } from 'vitest/node'
import { NsjailPoolWorker } from './worker.js'
import type { PoolShared } from './shared.js'

export class ChosenWorker implements PoolWorker {
  /** The runner's name: Vitest matches it against the task's pool name. */
  readonly name = 'nsjail'
  /**
   * Read by Vitest when it creates the worker, before the choice. Ours needs false (see
   * NsjailPoolWorker.cacheFs); Vitest's forks worker works with either (modules over the channel).
   */
  readonly cacheFs = false
  private chosen?: PoolWorker

  constructor(
    private readonly options: PoolOptions,
    private readonly shared: PoolShared,
  ) {}

  async start(): Promise<void> {
    const sandboxed = (await this.shared.preflight(this.options.project)) !== null
    this.chosen = sandboxed ? new NsjailPoolWorker(this.options, this.shared) : new ForksPoolWorker(this.options)
    await this.chosen.start()
  }

  // Before a choice (the machine check failed, and Vitest tidies up) there is nothing to talk to.

  on(event: string, callback: (arg: any) => void): void {
    this.chosen?.on(event, callback)
  }

  off(event: string, callback: (arg: any) => void): void {
    this.chosen?.off(event, callback)
  }

  send(message: WorkerRequest): void {
    this.chosen?.send(message)
  }

  deserialize(data: unknown): unknown {
    return this.chosen ? this.chosen.deserialize(data) : data
  }

  /** Undefined for Vitest's forks worker, so that Vitest compares environments itself, as for forks. */
  get canReuse(): ((task: PoolTask) => boolean) | undefined {
    const chosen = this.chosen
    return chosen?.canReuse && ((task) => chosen.canReuse!(task))
  }

  async stop(): Promise<void> {
    await this.chosen?.stop()
  }
}
