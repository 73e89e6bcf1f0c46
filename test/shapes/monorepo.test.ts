/**
 * A workspace monorepo, installed by its package manager (npm, then pnpm from the npm registry) in
 * a folder of its own outside this repository, run through the pool by Vitest's real command line:
 * from the repository root with `test.projects`, and from inside a package. Package a imports the
 * workspace package @demo/b (node_modules/@demo/b is a symlink to packages/b) and reads one of its
 * files; nothing but the workspace mechanism makes packages/b readable in a's sandbox.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { factsOf, runCliReport } from '../helpers/cli.js'
import { linkToolchain, tempFixture, type TempFixture } from '../helpers/temp-fixture.js'

const sandboxed = (fact: Record<string, unknown> | undefined) => fact?.hostname === 'nsjail' && (fact.pid as number) < 10

const INSTALL = {
  // Workspace packages only: nothing is fetched, so no registry is needed.
  npm: ['npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error']],
  pnpm: ['npx', ['--yes', 'pnpm@10', 'install', '--offline', '--reporter=silent']],
} as const

describe.each(['npm', 'pnpm'] as const)('%s workspaces', (manager) => {
  let fx: TempFixture
  beforeAll(() => {
    fx = tempFixture('monorepo', { outside: true })
    // pnpm links workspace packages for the workspace: protocol (npm does not know it).
    if (manager === 'pnpm') fx.write('packages/a/package.json', fx.read('packages/a/package.json').replace('"@demo/b": "*"', '"@demo/b": "workspace:*"'))
    const [command, args] = INSTALL[manager]
    execFileSync(command, args, { cwd: fx.root, stdio: 'pipe' })
    const link = manager === 'npm' ? 'node_modules/@demo/b' : 'packages/a/node_modules/@demo/b'
    expect(fs.lstatSync(fx.path(link)).isSymbolicLink()).toBe(true)
    linkToolchain(fx.root)
  }, 120_000)
  afterAll(() => fx.remove())

  test('from the repository root, with test.projects', async () => {
    const run = await runCliReport(fx.root, ['run'])
    expect(run.states, run.output).toEqual({
      'packages/a/test/uses-b.test.ts > imports the workspace package @demo/b (and the module it imports in turn)': 'passed',
      'packages/a/test/uses-b.test.ts > reads a file of the workspace package with plain fs': 'passed',
      'packages/b/test/own.test.ts > b tests itself': 'passed',
    })
    const facts = factsOf(run.output)
    expect(facts['uses-b'], run.output).toSatisfy(sandboxed)
    expect(facts['own-b'], run.output).toSatisfy(sandboxed)
    expect(run.code).toBe(0)
  })

  test('inline test.projects without extends: true, and a folder project: pool: nsjail where set, --pool=nsjail everywhere', async () => {
    const config = ['run', '--config', 'inline.config.ts']
    const own = await runCliReport(fx.root, config)
    expect(Object.values(own.states), own.output).toEqual(['passed', 'passed', 'passed', 'passed'])
    let facts = factsOf(own.output)
    expect(facts['uses-b'], own.output).toSatisfy(sandboxed)
    // Projects that do not say pool: 'nsjail' stay on Vitest's default pool.
    expect(facts['own-b'], own.output).not.toSatisfy(sandboxed)
    expect(facts.e2e, own.output).not.toSatisfy(sandboxed)
    const all = await runCliReport(fx.root, [...config, '--pool=nsjail'])
    expect(Object.values(all.states), all.output).toEqual(['passed', 'passed', 'passed', 'passed'])
    expect(all.output).not.toContain('is not supported')
    facts = factsOf(all.output)
    for (const name of ['uses-b', 'own-b', 'e2e']) expect(facts[name], `${name}\n${all.output}`).toSatisfy(sandboxed)
    expect(all.code).toBe(0)
  })

  test('from inside packages/a', async () => {
    const run = await runCliReport(fx.path('packages/a'), ['run'])
    expect(run.states, run.output).toEqual({
      'test/uses-b.test.ts > imports the workspace package @demo/b (and the module it imports in turn)': 'passed',
      'test/uses-b.test.ts > reads a file of the workspace package with plain fs': 'passed',
    })
    expect(factsOf(run.output)['uses-b'], run.output).toSatisfy(sandboxed)
    expect(run.code).toBe(0)
  })
})
