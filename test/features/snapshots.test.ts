/**
 * Snapshots under the pool: Vitest's snapshot writes (files, inline rewrites, toMatchFileSnapshot,
 * `-u`, obsolete removal) are carried out by the pool on the host, inside the project root only,
 * while test code in the sandbox still sees a read-only project.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { factsByName, runFixture, type FixtureRun } from '../helpers/run-fixture.js'
import { tempFixture, type TempFixture } from '../helpers/temp-fixture.js'

let fx: TempFixture
beforeAll(() => {
  fx = tempFixture('snapshots')
})
afterAll(() => fx.remove())

const SNAP = 'test/__snapshots__/snap.test.ts.snap'
const OBSOLETE = 'test/__snapshots__/obsolete.test.ts.snap'
const EMPTY = 'test/__snapshots__/empty.test.ts.snap'

// In order, as tests in a file run by default: each builds on the copy the one before left (Vitest 5
// has no describe.sequential).
describe('snapshots', () => {
  let first: FixtureRun

  beforeAll(async () => {
    // `update: 'new'` is Vitest's local default; spelled out so CI (where it is 'none') behaves the same.
    first = await runFixture('snapshots', { root: fx.root, cli: { update: 'new', reporters: ['default'] } })
  })

  test('new snapshots are written on the host: __snapshots__ file, inline, toMatchFileSnapshot', () => {
    for (const name of ['file snapshot', 'inline snapshot', 'file snapshot target']) {
      expect(first.tests[`test/snap.test.ts > ${name}`], JSON.stringify(first.errors) + first.output).toBe('passed')
    }
    expect(fx.read(SNAP)).toContain('exports[`file snapshot 1`] = `\n{\n  "answer": 42,\n  "greeting": "hello",\n}\n`;')
    expect(fx.read('test/snap.test.ts')).toContain('toMatchInlineSnapshot(`\n    {\n      "inline": [\n        "a",\n        "b",\n      ],\n    }\n  `)')
    expect(fx.read('test/__snapshots__/raw.txt')).toBe('raw snapshot content\n')
    expect(first.snapshot.added).toBe(7)
    expect(first.snapshot.filesAdded).toBeGreaterThanOrEqual(1)
  })

  test('the other forms: property matcher, error snapshot, a file next to the test, generated code', () => {
    for (const name of ['inline snapshot with a property matcher', 'inline error snapshot', 'file snapshot next to the test', 'generated code under __snapshots__']) {
      expect(first.tests[`test/kinds.test.ts > ${name}`], JSON.stringify(first.errors)).toBe('passed')
    }
    const kinds = fx.read('test/kinds.test.ts')
    expect(kinds).toContain('toMatchInlineSnapshot({ id: expect.any(Number) }, `\n    {\n      "id": Any<Number>,\n      "name": "kind",\n    }\n  `)')
    expect(kinds).toContain('toThrowErrorMatchingInlineSnapshot(`[Error: a \\`tick\\` and \\${not.code} and \\\\ backslash]`)')
    expect(fx.read('test/basic.output.html')).toBe('<main>output</main>\n')
    expect(fx.read('test/__snapshots__/out.ts')).toBe('export const generated = 1\n')
  })

  test('test code inside the sandbox still cannot write the project', () => {
    expect(first.tests['test/snap.test.ts > the project stays read-only to test code']).toBe('passed')
    expect(factsByName(first)['project-write']).toMatchObject({ testFile: 'EROFS', newFile: 'EROFS' })
    expect(fx.exists('test/written-by-test.txt')).toBe(false)
  })

  test('a toMatchFileSnapshot target outside the project is refused and not created', () => {
    const key = 'test/outside.test.ts > file snapshot outside the project'
    expect(first.tests[key]).toBe('failed')
    expect(first.errors[key].join('\n')).toMatch(/vitest-pool-nsjail: snapshot write refused or failed: .*outside the project root/)
    expect(fs.existsSync(path.resolve(fx.root, `../outside-${path.basename(fx.root)}.txt`))).toBe(false)
  })

  test('obsolete snapshots are detected and counted', () => {
    expect(first.tests['test/obsolete.test.ts > kept']).toBe('passed')
    expect(first.snapshot.unchecked).toBe(2)
    expect(first.snapshot.uncheckedKeysByFile.map((f) => [path.relative(fx.root, f.filePath), f.keys]).sort()).toEqual([
      ['test/empty.test.ts', ['removed test 1']],
      ['test/obsolete.test.ts', ['gone 1']],
    ])
    expect(first.output).toMatch(/2 obsolete/)
  })

  test('in CI mode (update: none) the written snapshots match, and obsolete ones fail the file', async () => {
    const run = await runFixture('snapshots', { root: fx.root, filters: ['snap.test', 'obsolete.test', 'kinds.test'], cli: { update: 'none' } })
    expect(run.tests['test/snap.test.ts > file snapshot']).toBe('passed')
    expect(run.tests['test/snap.test.ts > inline snapshot']).toBe('passed')
    expect(run.tests['test/snap.test.ts > file snapshot target']).toBe('passed')
    expect(Object.entries(run.tests).filter(([k]) => k.startsWith('test/kinds.test.ts')).every(([, s]) => s === 'passed'), JSON.stringify(run.errors)).toBe(true)
    expect(run.snapshot.matched).toBe(8)
    expect(run.snapshot.added).toBe(0)
    expect(run.fileErrors['test/obsolete.test.ts']?.join('\n')).toContain('Obsolete snapshots found when no snapshot update is expected')
  })

  test('-u updates changed snapshots, inline ones too, and removes obsolete entries and files', async () => {
    fx.write('test/snap.test.ts', fx.read('test/snap.test.ts').replace("answer: 42", "answer: 43").replace("inline: ['a', 'b']", "inline: ['a', 'c']"))
    const run = await runFixture('snapshots', { root: fx.root, filters: ['snap.test', 'obsolete.test', 'empty.test'], cli: { update: true } })
    expect(Object.values(run.tests).every((s) => s === 'passed'), JSON.stringify(run.errors) + run.output).toBe(true)
    expect(fx.read(SNAP)).toContain('"answer": 43,')
    expect(fx.read('test/snap.test.ts')).toContain('toMatchInlineSnapshot(`\n    {\n      "inline": [\n        "a",\n        "c",\n      ],\n    }\n  `)')
    expect(fx.read(OBSOLETE)).not.toContain('gone 1')
    expect(fx.read(OBSOLETE)).toContain('exports[`kept 1`] = `"still here"`;')
    expect(fx.exists(EMPTY)).toBe(false)
    expect(run.snapshot.updated).toBe(2)
    expect(run.snapshot.filesRemoved).toBe(1)
    expect(run.exitCode).toBe(0)
  })
})
