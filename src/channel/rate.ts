/**
 * A message-rate budget: a token bucket that refills at `limit` per second and holds up to
 * WINDOW_SECONDS worth, so a burst (a test file's start, a flush of buffered console output) passes
 * and only a sustained flood is refused. Pure apart from the clock, which tests can inject.
 */
const WINDOW_SECONDS = 5

export class MessageRate {
  private tokens: number
  private last: number

  constructor(
    readonly limit: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = limit * WINDOW_SECONDS
    this.last = now()
  }

  /** Counts one message; false when the budget is spent. */
  admit(): boolean {
    const now = this.now()
    this.tokens = Math.min(this.limit * WINDOW_SECONDS, this.tokens + ((now - this.last) / 1000) * this.limit)
    this.last = now
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }
}
