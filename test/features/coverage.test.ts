/**
 * Coverage under the pool, with both providers: the worker collects it inside the sandbox (V8's
 * inspector, or istanbul's instrumented globals) and Vitest's main process writes the report.
 */
import { afterAll, beforeAll, expect, test } from 'vitest'
import { runFixture } from '../helpers/run-fixture.js'
import { tempFixture, type TempFixture } from '../helpers/temp-fixture.js'

let fx: TempFixture
beforeAll(() => {
  fx = tempFixture('with-coverage')
})
afterAll(() => fx.remove())

interface Totals { total: number; covered: number; pct: number }
type Summary = Record<string, { lines: Totals; functions: Totals; branches: Totals; statements: Totals }>

for (const provider of ['v8', 'istanbul'] as const) {
  test(`coverage with @vitest/coverage-${provider}`, async () => {
    const reportsDirectory = fx.path(`coverage-${provider}`)
    const run = await runFixture('with-coverage', {
      root: fx.root,
      cli: { coverage: { enabled: true, provider, reporter: ['json-summary'], reportsDirectory, include: ['src/**'] } },
    })
    expect(run.tests, JSON.stringify(run.errors) + run.output).toEqual({
      'test/math.test.ts > add': 'passed',
      'test/math.test.ts > classify': 'passed',
    })
    expect(run.unhandled).toEqual([])
    const summary = JSON.parse(fx.read(`coverage-${provider}/coverage-summary.json`)) as Summary
    const math = summary[fx.path('src/math.ts')]
    expect(math, Object.keys(summary).join(', ')).toBeDefined()
    expect(math.lines.covered).toBeGreaterThan(0)
    // Real numbers, not "everything" or "nothing": the untaken branch and neverCalled stay uncovered.
    expect(math.lines.covered).toBeLessThan(math.lines.total)
    expect(math.functions).toMatchObject({ total: 3, covered: 2 })
    expect(run.exitCode).toBe(0)
  })
}
