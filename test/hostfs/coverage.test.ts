/**
 * Vitest 5 workers write their own coverage files: each sandbox gets a private folder, mounted where
 * Vitest's coverageFilesDirectory is, and the pool copies each reported file out (race-free) into the
 * real folder, which no sandbox can reach. Real runs of fixtures/hostfs with coverage on, checked from
 * the host. (Vitest 4.1 sends coverage over the channel: nothing of this applies; test/features/
 * coverage.test.ts covers both versions.)
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { version } from 'vitest/node'
import { factsByName, runFixture, type FixtureRun } from '../helpers/run-fixture.js'
import { tempFixture, type TempFixture } from '../helpers/temp-fixture.js'

const SECRET = 'CANARY-SECRET'
const FILE = 'test/coverage-folder.test.ts'

describe.runIf(Number(version.split('.')[0]) >= 5)('Vitest 5 coverage files', () => {
  let fx: TempFixture
  let canary: string
  let r: FixtureRun
  const runDirs = () => fs.readdirSync(path.join(os.tmpdir(), `vitest-pool-nsjail-${process.getuid!()}`)).filter((n) => n.startsWith(`run-${process.pid}-`))

  beforeAll(async () => {
    canary = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'nsjail-coverage-canary-')))
    fs.chmodSync(canary, 0o755)
    fs.writeFileSync(path.join(canary, 'secret.txt'), SECRET)
    fx = tempFixture('hostfs')
    r = await runFixture('hostfs', {
      root: fx.root,
      filters: [FILE, 'test/calm.test.ts'],
      cli: { update: 'new', coverage: { enabled: true, provider: 'v8', reporter: ['json-summary'], reportsDirectory: 'coverage', include: ['src/**'], reportOnFailure: true } },
      pool: { env: { set: { CANARY_DIR: canary } } },
    })
  })

  afterAll(() => {
    fx?.remove()
    if (canary) fs.rmSync(canary, { recursive: true, force: true })
  })

  test('the sandbox sees an empty folder of its own where coverageFilesDirectory is', () => {
    const seen = factsByName(r)['coverage-folder'] as { dir: string; entries: string[] }
    expect(seen.dir).toBe(fx.path('coverage/.tmp'))
    expect(seen.entries).toEqual([])
  })

  test('reported files that are symlinks or outside the folder are refused', () => {
    expect(r.tests[`${FILE} > a coverage file that is a symlink to a host file`]).toBe('failed')
    expect(r.errors[`${FILE} > a coverage file that is a symlink to a host file`].join()).toContain('a symbolic link; the pool never follows one')
    expect(r.tests[`${FILE} > a coverage file outside the coverage folder`]).toBe('failed')
    expect(r.errors[`${FILE} > a coverage file outside the coverage folder`].join()).toContain("must be directly in this sandbox's coverage folder")
  })

  test('a file swapped for a symlink after it was reported changes nothing: Vitest reads the copy', () => {
    expect(r.tests[`${FILE} > a coverage file swapped for a symlink after it was reported`]).toBe('passed')
    expect(JSON.stringify([r.errors, r.unhandled]) + r.output + r.logs).not.toContain(SECRET)
  })

  test('the report is built from the copies, and the private folders are gone with their sandboxes', () => {
    expect(r.unhandled).toEqual([])
    const summary = JSON.parse(fx.read('coverage/coverage-summary.json')) as Record<string, { functions: { covered: number } }>
    expect(summary[fx.path('src/helper.ts')]).toBeDefined()
    // This process's run directory holds no sandbox folder any more.
    for (const dir of runDirs()) {
      expect(fs.readdirSync(path.join(os.tmpdir(), `vitest-pool-nsjail-${process.getuid!()}`, dir))).toEqual([])
    }
  })
})
