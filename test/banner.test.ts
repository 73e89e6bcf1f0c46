/**
 * The start banner through real Vitest runs of a config with several rules (fixtures/rules): one
 * line per distinct policy, once per run, through Vitest's logger; beside Vitest's own banner for
 * terminal reporters, on stderr when stdout carries a machine-readable report.
 */
import path from 'node:path'
import { afterEach, beforeAll, expect, test } from 'vitest'
import { openCgroups } from '../src/cgroup/index.js'
import { isRoot, run } from './cgroup/helpers.js'
import { factsByName, FIXTURES, runFixture } from './helpers/run-fixture.js'

const RULES = path.join(FIXTURES, 'rules')
const VITEST = path.resolve('node_modules/vitest/vitest.mjs')

let cgroups = false
beforeAll(async () => {
  const opened = await openCgroups('auto', () => {})
  cgroups = opened !== null
  await opened?.close()
})
afterEach(() => {
  delete process.env.NSJAIL_TEST_OPTIONS
})

/** A run of fixtures/rules through its own config file, with extra options. */
function runRules(options: object, cli: Record<string, unknown> = {}) {
  process.env.NSJAIL_TEST_OPTIONS = JSON.stringify(options)
  return runFixture('rules', { noPlugin: true, cli: { config: path.join(RULES, 'vitest.config.ts'), pool: undefined, ...cli } })
}

const bannerOf = (output: string) => output.split('\n').filter((line) => line.startsWith('nsjail '))
const ns = (net: boolean) => `${isRoot ? '' : 'user+'}pid+${net ? 'net+' : ''}mnt+uts+ipc ns`

test('one line per distinct policy, printed once, saying what each rule changes', async () => {
  const result = await runRules({})
  expect(result.exitCode).toBe(0)
  for (const fact of Object.values(factsByName(result))) expect(fact.hostname).toBe('nsjail')
  const [first, ...rest] = bannerOf(result.output)
  const limits = cgroups ? ' · cgroup v[12] · 4 files, 3 with rules$' : ' · 4 files, 3 with rules · NOT enforced: limits \\(no writable cgroup \\(.+\\)\\)$'
  expect(first).toMatch(new RegExp(`^nsjail  ${ns(true).replace(/\+/g, '\\+')} · \\+env RULES_FIXTURE_\\* · seccomp default · memory 2 GiB · pids 512${limits}`))
  expect(rest.map((line) => line.replace(/ · cgroup v[12]/, '').replace(/ · NOT enforced: .*/, '')).sort()).toEqual([
    `nsjail  rules[0]+rules[1] (1 file): ${ns(false)} · network host · +write out · +env RULES_FIXTURE_*,OUT_DIR`,
    'nsjail  rules[1] (1 file): +write out · +env RULES_FIXTURE_*,OUT_DIR',
    'nsjail  rules[2] (1 file): seccomp default +1 rule · pids 64',
  ])
  // After Vitest's own banner, before the results.
  expect(result.output.indexOf('RUN ')).toBeLessThan(result.output.indexOf(first))
})

test('with a machine-readable report on stdout, the banner goes to stderr', async () => {
  // TAP goes to stdout on Vitest 4.1 and 5 alike (their json and junit reporters differ there).
  const result = await run([process.execPath, VITEST, 'run', '--root', RULES, '--reporter=tap'], {
    env: { ...process.env, NSJAIL_TEST_OPTIONS: '{"cgroups":false}', NO_COLOR: '1' },
  })
  expect(result.code).toBe(0)
  expect(result.stdout).toMatch(/^TAP version 13\n1\.\.4\n/)
  expect(bannerOf(result.stdout)).toEqual([])
  expect(bannerOf(result.stderr)).toHaveLength(4)
  expect(bannerOf(result.stderr)[0]).toMatch(/ · 4 files, 3 with rules$/)
})
