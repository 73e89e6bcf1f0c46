/**
 * The inline-snapshot rewrite check against Vitest's own writer (@vitest/snapshot's SnapshotState →
 * saveInlineSnapshots): everything it writes passes, for every call form; forged rewrites that put
 * code anywhere but inside a snapshot literal do not.
 */
import { SnapshotState } from '@vitest/snapshot'
import { describe, expect, test } from 'vitest'
import { inlineRewriteRefusal, inlineSnapshotSlots } from '../../src/channel/inline-snapshots.js'

const FILE = '/project/test/a.test.ts'

/** What Vitest writes into `code` for snapshots at (line, column) of the call's method name. */
async function vitestWrites(code: string, snaps: Array<{ at: string; snapshot: string; nth?: number }>): Promise<string> {
  let written = code
  const environment = {
    getVersion: () => '1',
    getHeader: () => '// header',
    resolvePath: async (p: string) => `${p}.snap`,
    resolveRawPath: async (_t: string, p: string) => p,
    prepareDirectory: async () => {},
    saveSnapshotFile: async (_f: string, content: string) => void (written = content),
    readSnapshotFile: async (f: string) => (f === FILE ? code : null),
    removeSnapshotFile: async () => {},
  }
  const state = await SnapshotState.create(FILE, { updateSnapshot: 'all', snapshotEnvironment: environment as never, snapshotFormat: {} })
  for (const { at, snapshot, nth = 0 } of snaps) {
    let index = -1
    for (let n = 0; n <= nth; n++) index = code.indexOf(at, index + 1)
    if (index === -1) throw new Error(`no ${at} in the code`)
    const before = code.slice(0, index).split('\n')
    const stack = { file: FILE, line: before.length, column: before[before.length - 1].length, method: at }
    ;(state as unknown as { _addSnapshot: (k: string, s: string, o: object) => void })._addSnapshot('key', snapshot, { stack, testId: 't' })
  }
  await state.save()
  return written
}

const t = (lines: string[]) => lines.join('\n') + '\n'

const FORMS = {
  'empty ()': t(['test("a", () => {', '  expect(value).toMatchInlineSnapshot()', '})']),
  'empty with a comment inside': t(['test("a", () => {', '  expect(value).toMatchInlineSnapshot(/* later */)', '})']),
  "single-quoted 'old'": t(['test("a", () => {', "  expect(value).toMatchInlineSnapshot('old')", '})']),
  'double-quoted "old"': t(['test("a", () => {', '  expect(value).toMatchInlineSnapshot("old")', '})']),
  'template `old`, multi-line': t(['test("a", () => {', '  expect(value).toMatchInlineSnapshot(`', '    old', '  `)', '})']),
  'tagged template': t(['test("a", () => {', '  expect(value).toMatchInlineSnapshot(dedent`old`)', '})']),
  'property matcher, no snapshot': t(['test("a", () => {', '  expect(value).toMatchInlineSnapshot({ id: expect.any(Number) })', '})']),
  'property matcher, then a snapshot': t(['test("a", () => {', "  expect(value).toMatchInlineSnapshot({ id: expect.any(Number) }, 'old')", '})']),
  'property matcher over lines, trailing comma': t(['test("a", () => {', '  expect(value).toMatchInlineSnapshot(', '    { id: expect.any(Number) },', '  )', '})']),
  toThrowErrorMatchingInlineSnapshot: t(['test("a", () => {', '  expect(() => f()).toThrowErrorMatchingInlineSnapshot()', '})']),
  'a comment before the literal': t(['test("a", () => {', "  expect(value).toMatchInlineSnapshot(// note", "    'old')", '})']),
}

const SNAPSHOTS = {
  'one line': '"simple"',
  'several lines': '{\n  "a": 1,\n  "b": [\n    2,\n  ],\n}',
  'backticks, ${ and backslashes': '"a `tick` and ${not.code} and \\\\ and \\\\`"',
}

describe("Vitest's own writes pass (under -u)", () => {
  for (const [form, code] of Object.entries(FORMS)) {
    for (const [kind, snapshot] of Object.entries(SNAPSHOTS)) {
      test(`${form}: ${kind}`, async () => {
        const method = form === 'toThrowErrorMatchingInlineSnapshot' ? form : 'toMatchInlineSnapshot'
        const next = await vitestWrites(code, [{ at: method, snapshot }])
        expect(next).not.toBe(code)
        expect(inlineRewriteRefusal(code, next, 'all')).toBeNull()
      })
    }
  }

  test('several snapshots in one file, some unchanged', async () => {
    const code = t([
      "import { expect, test } from 'vitest'",
      'test("a", () => {',
      '  expect(1).toMatchInlineSnapshot()',
      "  expect(2).toMatchInlineSnapshot('2')",
      '  // expect(0).toMatchInlineSnapshot() in a comment',
      '  expect({ x: 3 }).toMatchInlineSnapshot({ x: expect.any(Number) })',
      '  const s = "toMatchInlineSnapshot()"',
      '})',
    ])
    expect(inlineSnapshotSlots(code)).toHaveLength(3)
    const next = await vitestWrites(code, [
      { at: 'toMatchInlineSnapshot', snapshot: '1' },
      { at: 'toMatchInlineSnapshot', snapshot: '{\n  "x": Any<Number>,\n}', nth: 3 },
    ])
    expect(next).toContain('toMatchInlineSnapshot(`1`)')
    expect(inlineRewriteRefusal(code, next, 'all')).toBeNull()
    expect(inlineRewriteRefusal(code, next, 'new')).toBeNull()
  })
})

test("update: 'new' fills empty snapshots only; changing an existing one needs -u", async () => {
  const empty = await vitestWrites(FORMS['empty ()'], [{ at: 'toMatchInlineSnapshot', snapshot: '"x"' }])
  expect(inlineRewriteRefusal(FORMS['empty ()'], empty, 'new')).toBeNull()
  const matcher = await vitestWrites(FORMS['property matcher, no snapshot'], [{ at: 'toMatchInlineSnapshot', snapshot: '"x"' }])
  expect(inlineRewriteRefusal(FORMS['property matcher, no snapshot'], matcher, 'new')).toBeNull()
  for (const form of ["single-quoted 'old'", 'property matcher, then a snapshot'] as const) {
    const changed = await vitestWrites(FORMS[form], [{ at: 'toMatchInlineSnapshot', snapshot: '"new"' }])
    expect(inlineRewriteRefusal(FORMS[form], changed, 'new')).toMatch(/changes an existing inline snapshot.*update: 'new'.*-u/)
  }
})

describe('forged rewrites are refused', () => {
  const code = t([
    "import { expect, test } from 'vitest'",
    'test("a", () => {',
    '  expect(1).toMatchInlineSnapshot()',
    "  expect(2).toMatchInlineSnapshot('2')",
    '  // expect(0).toMatchInlineSnapshot()',
    '  /* expect(0).toMatchInlineSnapshot() */',
    "  const s = 'expect(0).toMatchInlineSnapshot()'",
    '  const r = /toMatchInlineSnapshot()/',
    '})',
  ])
  const evil = "require('child_process').execSync('touch /tmp/pwned')"
  const cases: Record<string, string> = {
    'a line of code added after the test': code + `${evil}\n`,
    'code added before the first snapshot': code.replace("from 'vitest'", `from 'vitest'; ${evil}`),
    'the literal closed early, code after it': code.replace('toMatchInlineSnapshot()', `toMatchInlineSnapshot(\`1\`); ${evil}; (\`\`)`),
    'a substitution in the literal': code.replace('toMatchInlineSnapshot()', `toMatchInlineSnapshot(\`\${${evil}}\`)`),
    'an expression instead of a literal': code.replace('toMatchInlineSnapshot()', `toMatchInlineSnapshot('1' + ${evil})`),
    'a literal in a line comment (its newline ends the comment)': code.replace('// expect(0).toMatchInlineSnapshot()', `// expect(0).toMatchInlineSnapshot(\`\n${evil}\n\`)`),
    'a literal in a block comment (it closes the comment)': code.replace('/* expect(0).toMatchInlineSnapshot() */', `/* expect(0).toMatchInlineSnapshot(\`*/ ${evil} /*\`) */`),
    'a literal in a string (it closes the string)': code.replace("'expect(0).toMatchInlineSnapshot()'", `'expect(0).toMatchInlineSnapshot(\`'; ${evil}; '\`)'`),
    'a literal in a regular expression': code.replace('/toMatchInlineSnapshot()/', `/toMatchInlineSnapshot(\`/; ${evil}; /\`)/`),
    'an unterminated literal swallowing the rest': code.replace("toMatchInlineSnapshot('2')", 'toMatchInlineSnapshot(`2'),
    'a tag put before the literal': code.replace("toMatchInlineSnapshot('2')", 'toMatchInlineSnapshot(evil`2`)'),
    'the whole file replaced': `${evil}\n`,
    'the file emptied': '',
  }
  for (const [name, next] of Object.entries(cases)) {
    test(name, () => {
      expect(next).not.toBe(code)
      expect(inlineRewriteRefusal(code, next, 'all')).toMatch(/outside inline-snapshot literals|unescaped \$\{|template literal|never ends/)
    })
  }
})
