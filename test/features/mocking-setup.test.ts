/**
 * Module mocking (vi.mock with factories, __mocks__, builtins, automock, vi.importActual, spies),
 * setupFiles (inside the sandbox) and globalSetup (Vitest's main process, unsandboxed) under the pool.
 */
import os from 'node:os'
import { beforeAll, expect, test } from 'vitest'
import { factsByName, runFixture, type FixtureRun } from '../helpers/run-fixture.js'

let run: FixtureRun
beforeAll(async () => {
  run = await runFixture('mocking', {
    config: { test: { setupFiles: ['test/setup.ts'], globalSetup: ['global-setup.ts'] } },
    cli: { reporters: ['default'] },
  })
})

test('every mocking test passes inside the sandbox', () => {
  expect(run.tests, JSON.stringify(run.errors, null, 2) + run.output).toEqual({
    'test/mocking.test.ts > vi.mock with a factory, importOriginal and vi.hoisted': 'passed',
    'test/mocking.test.ts > vi.mock of a module used indirectly, a manual mock, and a builtin': 'passed',
    'test/mocking.test.ts > automock and vi.importActual': 'passed',
    'test/mocking.test.ts > vi.spyOn and vi.fn': 'passed',
    'test/mocking.test.ts > setupFiles ran inside the sandbox': 'passed',
    'test/mocking.test.ts > globalSetup ran in the main process, outside the sandbox': 'passed',
  })
  expect(run.unhandled).toEqual([])
  expect(run.exitCode).toBe(0)
})

test('setupFiles ran in the sandbox, globalSetup in this very process', () => {
  const facts = factsByName(run)
  expect(facts['setup-file']).toMatchObject({ hostname: 'nsjail' })
  expect(facts['setup-file'].pid).toBeLessThan(10)
  // Vitest's Node API runs the fixture in this process: globalSetup saw our pid and host name.
  expect(facts['global-setup'].outside).toEqual({ pid: process.pid, hostname: os.hostname(), uid: process.getuid!() })
  expect(run.output).toContain('global teardown ran')
})
