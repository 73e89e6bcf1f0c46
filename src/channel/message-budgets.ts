/**
 * What the worker's messages cost the host beyond reading them: console output that Vitest keeps
 * for the reporters (until the run ends), and Vitest 4.1's coverage, which arrives inside a message
 * and is held until the report. Vitest 5's coverage files are counted where the pool copies them
 * (./coverage-files.ts), against the same coverage budget.
 */
import type { ByteBudget } from './budgets.js'

export class MessageBudgets {
  constructor(
    private readonly coverage: ByteBudget,
    private readonly output: ByteBudget,
  ) {}

  /** Spends what `message` (`bytes` on the wire) costs; says why not when it is over a budget. */
  spend(message: unknown, bytes: number): string | null {
    const call = message as { t?: unknown; m?: unknown; a?: unknown[] }
    if (call?.t !== 'q' || !Array.isArray(call.a)) return null
    if (call.m === 'onUserConsoleLog') {
      const content = (call.a[0] as { content?: unknown } | null)?.content
      return typeof content === 'string' ? this.output.take(Buffer.byteLength(content)) : null
    }
    if (call.m === 'onAfterSuiteRun' && typeof (call.a[0] as { coverage?: unknown } | null)?.coverage === 'object') {
      return this.coverage.take(bytes)
    }
    return null
  }
}
