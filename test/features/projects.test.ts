/**
 * How users select the pool: `test.projects` mixing it with Vitest's forks pool in one run, the
 * `--pool=nsjail` command-line flag (real CLI, config with only the plugin), and a config file with
 * `plugins: [nsjail()]` + `test: { pool: 'nsjail' }` loaded by path. Which runs were sandboxed is
 * read from inside the tests (hostname, pid namespace).
 */
import os from 'node:os'
import path from 'node:path'
import { stripVTControlCharacters } from 'node:util'
import { expect, test } from 'vitest'
import { nsjailPool } from 'vitest-pool-nsjail'
import { FIXTURES, factsByName, runFixture } from '../helpers/run-fixture.js'
import { runCli } from '../helpers/cli.js'

const ROOT = path.join(FIXTURES, 'projects')

const sandboxed = (fact: Record<string, unknown>) => fact.hostname === 'nsjail' && (fact.pid as number) < 10
const onHost = (fact: Record<string, unknown>) => fact.hostname === os.hostname() && (fact.pid as number) >= 10

test('test.projects: one project on nsjail, one on forks, in the same run', async () => {
  const run = await runFixture('projects', { root: ROOT, noPlugin: true, cli: { config: path.join(ROOT, 'vitest.config.ts'), pool: undefined } })
  expect(run.tests, JSON.stringify(run.errors) + run.output).toEqual({ 'test/where.test.ts > where am I': 'passed' })
  const facts = factsByName(run)
  expect(Object.keys(facts).sort()).toEqual(['where-host', 'where-sandboxed'])
  expect(facts['where-sandboxed'], JSON.stringify(facts)).toSatisfy(sandboxed)
  expect(facts['where-host'], JSON.stringify(facts)).toSatisfy(onHost)
  expect(run.exitCode).toBe(0)
})

test('the real CLI with --pool=nsjail and a config that only adds the plugin', async () => {
  const { code, output } = await runCli(ROOT, ['run', '--root', ROOT, '--config', path.join(ROOT, 'plugin-only.config.ts'), '--pool=nsjail', '--reporter=verbose'])
  expect(code, output).toBe(0)
  const line = output.split('\n').find((l) => l.startsWith('FACT '))
  expect(line, output).toBeDefined()
  expect(JSON.parse(line!.slice(5))).toSatisfy(sandboxed)
})

test('a config file with plugins: [nsjail()] and test.pool = nsjail, loaded by path', async () => {
  const root = path.join(FIXTURES, 'basic')
  const run = await runFixture('basic', { noPlugin: true, cli: { config: path.join(root, 'vitest.config.ts'), pool: undefined } })
  expect(run.tests, JSON.stringify(run.errors) + run.output).toEqual({ 'test/a.test.ts > inside': 'passed' })
  expect(stripVTControlCharacters(run.logs)).toMatch(/hostname nsjail pid \d uid \d+ home \/home\/sandbox/)
})

test('nsjailPool() as test.pool, without the plugin', async () => {
  const run = await runFixture('basic', { noPlugin: true, cli: { pool: undefined }, config: { test: { pool: nsjailPool({ hostname: 'direct' }) } } })
  expect(run.tests['test/a.test.ts > inside'], JSON.stringify(run.errors) + run.unhandled.join('\n') + run.output.slice(-3000)).toBe('failed')
  // The fixture expects the default hostname: this run's sandbox has the one passed to nsjailPool().
  expect(stripVTControlCharacters(run.logs)).toMatch(/hostname direct pid \d uid \d+ home \/home\/sandbox/)
})
