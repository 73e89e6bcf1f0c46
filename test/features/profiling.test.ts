/**
 * Vitest's way to profile tests, `test.execArgv: ['--cpu-prof', '--cpu-prof-dir=…']`, through the
 * real pool: each sandboxed worker writes its profile when the pool ends it, into a writable folder;
 * a folder the sandbox cannot write fails the run before any test, saying which option to add.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { runFixture } from '../helpers/run-fixture.js'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsjail-profiles-'))
// As root the sandbox runs as another user, who must be able to write there.
fs.chmodSync(dir, 0o777)
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

test('each of the four files leaves its CPU profile in the writable folder', async () => {
  const run = await runFixture('shard', {
    pool: { fs: { writable: [dir] } },
    config: { test: { execArgv: ['--cpu-prof', `--cpu-prof-dir=${dir}`] } },
  })
  expect(run.exitCode).toBe(0)
  const profiles = fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))
  expect(profiles).toHaveLength(4)
  for (const file of profiles) expect(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')).nodes.length).toBeGreaterThan(0)
}, 60_000)

test('a profile folder the sandbox cannot write fails the run before any test, naming the fix', async () => {
  await expect(runFixture('shard', { config: { test: { execArgv: ['--cpu-prof', '--cpu-prof-dir=profiles'] } } })).rejects.toThrow(
    `\`test.execArgv\` has --cpu-prof, so each sandboxed worker writes its profile into ${path.join(path.resolve('fixtures/shard'), 'profiles')}`,
  )
})
