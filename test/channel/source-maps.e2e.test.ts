/**
 * Source maps naming host files, through the real pool: Vite follows a module's source map comment
 * on the host (the map file it names, the sources it lacks content for), and the code it hands a
 * worker carries the result. A project module names a canary outside the sandbox and a FIFO; the
 * test fetches it through Vitest's main process and reports what came back, and the run must end
 * (a FIFO read would block Vitest forever) with no canary content in the code or the log.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { factsByName, runFixture, type FixtureRun } from '../helpers/run-fixture.js'
import { tempFixture, type TempFixture } from '../helpers/temp-fixture.js'

const secret = `CANARY-SECRET-MAP-${process.pid}`
let dir: string
let fixture: TempFixture
let run: FixtureRun

const inline = (map: object) => `//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}`

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsjail-maps-'))
  const canary = path.join(dir, 'canary.txt')
  const fifo = path.join(dir, 'fifo')
  fs.writeFileSync(canary, `${secret}\n`)
  execFileSync('mkfifo', [fifo])
  fixture = tempFixture('forgery')
  const modules: Record<string, string> = {
    'src/sources-canary.js': `export default 1\n${inline({ version: 3, sources: [canary], mappings: 'AAAA' })}\n`,
    'src/sources-fifo.js': `export default 2\n${inline({ version: 3, sources: [fifo, '/dev/tty'], mappings: 'AAAA' })}\n`,
    'src/mapfile-fifo.js': `export default 3\n//# sourceMappingURL=${fifo}\n`,
    'src/mapfile-canary.js': `export default 4\n//# sourceMappingURL=${canary}\n`,
  }
  for (const [file, code] of Object.entries(modules)) fixture.write(file, code)
  fixture.write('test/maps.test.ts', `
import { expect, test } from 'vitest'
import { fetchModule, inlineMaps } from './channel.js'
for (const name of ${JSON.stringify(Object.keys(modules))}) {
  test(name, async () => {
    const { code, error } = await fetchModule('/' + name)
    console.log('FACT ' + JSON.stringify({ name, error, maps: code ? inlineMaps(code) : [], code }))
    expect(error).toBeUndefined()
  })
}
`)
  run = await runFixture('forgery', { root: fixture.root, filters: ['maps'], cli: { reporters: ['default'] } })
}, 120_000)

afterAll(() => {
  fixture?.remove()
  fs.rmSync(dir, { recursive: true, force: true })
})

test('the run ends: Vitest never opened the FIFO or /dev/tty', () => {
  expect(Object.values(run.tests)).toEqual(['passed', 'passed', 'passed', 'passed'])
})

test('no content of the canary reaches the worker or the log', () => {
  expect(run.logs).not.toContain(secret)
  expect(run.output).not.toContain(secret)
  const facts = factsByName(run)
  for (const name of ['src/sources-canary.js', 'src/mapfile-canary.js']) {
    for (const map of facts[name].maps as Array<{ sourcesContent: Array<string | null> }>) {
      expect(map.sourcesContent.join('')).not.toContain(secret)
    }
  }
})
