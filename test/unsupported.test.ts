/**
 * `onUnsupported: 'warn'`: on a machine that cannot sandbox, the suite runs in Vitest's own forks
 * worker, unsandboxed, with one loud warning saying why and how to fix it, and a banner that says
 * NOT sandboxed. Machines made real: no bwrap where the option points, and user namespaces refused
 * by a sandbox around Vitest. The default (`'error'`) is tested in failures.test.ts.
 */
import os from 'node:os'
import path from 'node:path'
import { afterEach, expect, test } from 'vitest'
import { nsjailPool } from 'vitest-pool-nsjail'
import { run } from './cgroup/helpers.js'
import { factsByName, FIXTURES, runFixture, type FixtureRun } from './helpers/run-fixture.js'
import { fakeBwraps, NO_USERNS, REAL_BWRAP } from './helpers/nsjail-cli.js'
import { TIMEOUT_VARIABLE } from '../src/probe/probe.js'

const RULES = path.join(FIXTURES, 'rules')
const VITEST = path.resolve('node_modules/vitest/vitest.mjs')
const NO_BWRAP = { bwrap: '/nonexistent/bwrap', onUnsupported: 'warn' }

afterEach(() => {
  delete process.env.NSJAIL_TEST_OPTIONS
})

const count = (text: string, needle: string) => text.split(needle).length - 1

/** Every file ran, outside any sandbox: the host's hostname and home. */
function expectUnsandboxed(facts: Array<Record<string, unknown>>) {
  expect(facts.map((f) => f.name).sort()).toEqual(['debug/trace', 'net/fetch', 'out/write', 'plain'])
  for (const fact of facts) expect({ hostname: fact.hostname, home: fact.home }).toEqual({ hostname: os.hostname(), home: os.homedir() })
}

function expectOneWarning(output: string, why: string) {
  expect(count(output, 'vitest-pool-nsjail: NOT SANDBOXED.')).toBe(1)
  expect(output).toContain(`runs the tests in Vitest's forks pool instead: no namespaces, no filesystem or network isolation, no seccomp filter, no limits, the full environment.\n${why}`)
  expect(output).toContain("  - or set `onUnsupported: 'error'` (the default) to fail instead of running unsandboxed")
}

test('the plugin: no bwrap → the files run in the forks pool, one warning, a NOT sandboxed banner', async () => {
  process.env.NSJAIL_TEST_OPTIONS = JSON.stringify(NO_BWRAP)
  const result: FixtureRun = await runFixture('rules', { noPlugin: true, cli: { config: path.join(RULES, 'vitest.config.ts'), pool: undefined } })
  expect(result.exitCode).toBe(0)
  expect(Object.values(result.tests)).toEqual(['passed', 'passed', 'passed', 'passed'])
  expectUnsandboxed(result.facts)
  expectOneWarning(result.output, 'bubblewrap (/nonexistent/bwrap) was not found (option `bwrap`)\nTo fix it:\n')
  expect(result.output.split('\n').filter((line) => line.startsWith('nsjail '))).toEqual([
    "nsjail  NOT sandboxed: bubblewrap (/nonexistent/bwrap) was not found (option `bwrap`) · 4 files run in Vitest's forks pool",
  ])
})

test('nsjailPool() without the plugin: decided when the first worker starts, the same fallback', async () => {
  const result = await runFixture('rules', { noPlugin: true, config: { test: { pool: nsjailPool(NO_BWRAP as never) } }, cli: { pool: undefined } })
  expect(result.exitCode).toBe(0)
  expectUnsandboxed(result.facts)
  expectOneWarning(result.output, 'bubblewrap (/nonexistent/bwrap) was not found (option `bwrap`)\nTo fix it:\n')
})

test('a namespace probe that does not answer in 2 s: the run goes on sandboxed, with a warning and an unverified banner', async () => {
  const fakes = fakeBwraps({ 'bwrap-slow': `case "$*" in *readlink*) exec sleep 30 ;; esac\nexec ${REAL_BWRAP} "$@"` })
  // The probe's own deadline (2 s), which the suite's config lengthens for a loaded machine.
  const deadline = process.env[TIMEOUT_VARIABLE]
  delete process.env[TIMEOUT_VARIABLE]
  try {
    process.env.NSJAIL_TEST_OPTIONS = JSON.stringify({ bwrap: fakes.path('bwrap-slow'), cgroups: false })
    const result = await runFixture('rules', { noPlugin: true, cli: { config: path.join(RULES, 'vitest.config.ts'), pool: undefined } })
    expect(result.exitCode).toBe(0)
    for (const fact of result.facts) expect(fact.hostname).toBe('nsjail')
    expect(count(result.output, 'vitest-pool-nsjail: could not verify that bubblewrap can build the sandbox here: `')).toBe(1)
    expect(result.output).toContain('did not answer within 2000 ms (abandoned): a slow or loaded machine? The run goes on')
    expect(result.output.split('\n').find((line) => line.startsWith('nsjail '))).toMatch(/ · NOT enforced: namespaces \(not verified: bwrap did not answer within 2000 ms \(abandoned\)\)$/)
  } finally {
    if (deadline !== undefined) process.env[TIMEOUT_VARIABLE] = deadline
    fakes.remove()
  }
})

test('user namespaces refused around Vitest: the cause and its fix in the warning, the suite runs', async () => {
  const result = await run([...NO_USERNS, process.execPath, VITEST, 'run', '--root', RULES], {
    env: { ...process.env, NSJAIL_TEST_OPTIONS: '{"onUnsupported":"warn"}', NO_COLOR: '1' },
  })
  const output = result.stdout + result.stderr
  expect(result.code).toBe(0)
  expectUnsandboxed(output.split('\n').filter((l) => l.startsWith('FACT ')).map((l) => JSON.parse(l.slice(5))))
  expectOneWarning(output, "bubblewrap ")
  expect(output).toContain('Likely cause: this process runs inside a sandbox or container that forbids creating more namespaces')
  expect(output).toMatch(/\nnsjail {2}NOT sandboxed: bubblewrap \d+\.\d+\.\d+ could not create the sandbox's namespaces\. · 4 files run in Vitest's forks pool\n/)
})
