/**
 * The pure rules of the snapshot write bridge: which requests become which writes, in each update
 * mode; the toMatchFileSnapshot target rule (persistence vectors refused, real uses allowed); and the
 * .snap format check against Vitest's own writer.
 */
import { SnapshotState } from '@vitest/snapshot'
import { describe, expect, test } from 'vitest'
import { fileTargetRefusal, vitestFileMatcher } from '../../src/channel/file-targets.js'
import { snapFileRefusal } from '../../src/channel/snap-file.js'
import { judgeSnapshotWrite, type SnapshotRules, type UpdateMode } from '../../src/channel/snapshot-writes.js'

const ROOT = '/project'
const vitestFile = vitestFileMatcher({
  globs: [
    { what: "it matches the project's test include globs", dir: ROOT, patterns: ['**/*.{test,spec}.?(c|m)[jt]s?(x)'] },
    { what: 'it matches includeSource (in-source tests)', dir: ROOT, patterns: ['src/**/*.inline.ts'] },
  ],
  files: new Map([
    [`${ROOT}/test/setup.txt`, 'it is a setupFiles entry'],
    [`${ROOT}/config/global.data`, 'it is a globalSetup file'],
  ]),
})

const rules = (mode: UpdateMode, writable: string[] = []): SnapshotRules => ({
  mode,
  root: ROOT,
  writable,
  vitestFile,
  snapFiles: new Set([`${ROOT}/test/__snapshots__/a.test.ts.snap`]),
  testFiles: new Set([`${ROOT}/test/a.test.ts`]),
})

const judge = (op: 'write' | 'remove' | 'mkdir' | 'check', target: string, mode: UpdateMode, writable?: string[]) => {
  const plan = judgeSnapshotWrite(op, target, rules(mode, writable))
  return 'refusal' in plan ? plan.refusal : `${plan.action} ${plan.base} ${plan.rel}`
}

describe('requests by kind and update mode', () => {
  test("update: 'none' (CI) writes nothing", () => {
    for (const target of [`${ROOT}/test/__snapshots__/a.test.ts.snap`, `${ROOT}/test/a.test.ts`, `${ROOT}/test/__snapshots__/x.txt`]) {
      expect(judge('write', target, 'none')).toMatch(/refused to snapshot write .*this run does not update snapshots \(update: 'none', as on CI\)/)
    }
  })

  test(".snap files: exactly Vitest's paths for this sandbox's test files; removed only under -u", () => {
    expect(judge('write', `${ROOT}/test/__snapshots__/a.test.ts.snap`, 'new')).toBe(`snap ${ROOT} test/__snapshots__/a.test.ts.snap`)
    expect(judge('mkdir', `${ROOT}/test/__snapshots__`, 'new')).toBe(`mkdir ${ROOT} test/__snapshots__`)
    expect(judge('remove', `${ROOT}/test/__snapshots__/a.test.ts.snap`, 'all')).toBe(`remove ${ROOT} test/__snapshots__/a.test.ts.snap`)
    expect(judge('remove', `${ROOT}/test/__snapshots__/a.test.ts.snap`, 'new')).toMatch(/removes none\. Remove obsolete snapshots with -u/)
    expect(judge('remove', `${ROOT}/test/__snapshots__/other.test.ts.snap`, 'all')).toMatch(/only an obsolete snapshot file of this sandbox's test files/)
    expect(judge('remove', `${ROOT}/src/index.ts`, 'all')).toMatch(/only an obsolete snapshot file/)
    expect(judge('mkdir', `${ROOT}/.husky`, 'all')).toMatch(/only the folder of a snapshot file of this sandbox/)
  })

  test("the sandbox's own test files are rewritten (inline snapshots); other test files are not", () => {
    expect(judge('write', `${ROOT}/test/a.test.ts`, 'new')).toBe(`inline ${ROOT} test/a.test.ts`)
    expect(judge('write', `${ROOT}/test/b.test.ts`, 'all')).toMatch(/Vitest itself would run or load it: it matches the project's test include globs/)
  })

  test("toMatchFileSnapshot targets: new files only under 'new', rewrites too under -u", () => {
    expect(judge('write', `${ROOT}/test/__snapshots__/page.html`, 'new')).toBe(`create ${ROOT} test/__snapshots__/page.html`)
    expect(judge('write', `${ROOT}/test/__snapshots__/page.html`, 'all')).toBe(`create-or-replace ${ROOT} test/__snapshots__/page.html`)
    expect(judge('check', `${ROOT}/test/basic.output.html`, 'new')).toBe(`none ${ROOT} test/basic.output.html`)
  })

  test('paths: absolute and normal only, inside the root or a writable folder, beneath the deepest base', () => {
    for (const target of ['test/__snapshots__/x.txt', `${ROOT}/test/../x/y.txt`, `${ROOT}/test/./x.txt`, `${ROOT}//test/x.txt`, `${ROOT}/test/x.txt/`, `${ROOT}/test/x\0.txt`]) {
      expect(judge('write', target, 'all'), target).toMatch(/not an absolute path in normal form/)
    }
    expect(judge('write', '/etc/passwd', 'all')).toMatch(/outside the project root \/project\. Allow it with fs\.writable: \["\/etc"\]/)
    expect(judge('write', `${ROOT}-other/x/y.txt`, 'all')).toMatch(/outside the project root/)
    expect(judge('write', '/out/report/x.txt', 'all', ['/out'])).toBe('create-or-replace /out report/x.txt')
    expect(judge('write', `${ROOT}/out/x/y.txt`, 'all', [`${ROOT}/out`])).toBe(`create-or-replace ${ROOT}/out x/y.txt`)
    // A writable folder inside the project is still judged from the project root.
    expect(judge('write', `${ROOT}/out/.npmrc`, 'all', [`${ROOT}/out`])).toMatch(/`\.npmrc` is a dot-file/)
    expect(judge('write', `${ROOT}/out/x.test.ts`, 'all', [`${ROOT}/out`])).toMatch(/Vitest itself would run/)
  })

  test('an unknown operation is refused', () => {
    expect(judge('truncate' as never, `${ROOT}/test/__snapshots__/x.txt`, 'all')).toMatch(/unknown operation "truncate"/)
  })
})

describe('toMatchFileSnapshot targets: persistence vectors refused in every mode, real uses allowed', () => {
  const refusal = (rel: string, inProject = true) => fileTargetRefusal({ segments: rel.split('/'), inProject, absolute: `${ROOT}/${rel}` }, vitestFile)
  const refused: Record<string, RegExp> = {
    '.npmrc': /`\.npmrc` is a dot-file or dot-folder/,
    'test/.npmrc': /`\.npmrc` is a dot-file/,
    '.vscode/tasks.json': /`\.vscode` is a dot-file or dot-folder/,
    '.husky/pre-commit': /`\.husky`/,
    '.envrc': /`\.envrc`/,
    '.github/workflows/ci.yml': /`\.github`/,
    '.git/hooks/pre-commit': /`\.git`/,
    'test/__snapshots__/.hidden/x.txt': /`\.hidden`/,
    'node_modules/pkg/index.js': /inside node_modules/,
    'packages/a/node_modules/x.txt': /inside node_modules/,
    'vitest.config.ts': /directly in the project root/,
    'README.md': /directly in the project root/,
    'packages/a/vitest.config.ts': /`vitest\.config\.ts` is tool configuration \(`\*\.config\.\*`/,
    'packages/a/vite.config.mjs': /tool configuration/,
    'packages/a/eslint.config.js': /tool configuration/,
    'packages/a/package.json': /`package\.json` is a package manifest or lockfile/,
    'packages/a/pnpm-lock.yaml': /package manifest or lockfile/,
    'packages/a/tsconfig.json': /TypeScript\/JavaScript compiler configuration/,
    'packages/a/tsconfig.build.json': /compiler configuration/,
    'packages/a/Makefile': /a build, task or environment file/,
    'docker/Dockerfile': /build, task or environment file/,
    'docs/AGENTS.md': /instructions that coding agents read/,
    'docs/CLAUDE.md': /coding agents/,
    'packages/a/vitest.workspace.json': /Vitest's project list/,
    'test/new.test.ts': /Vitest itself would run or load it: it matches the project's test include globs/,
    'test/__snapshots__/evil.spec.mjs': /Vitest itself would run/,
    'src/x.inline.ts': /includeSource/,
    'test/setup.txt': /it is a setupFiles entry/,
    'config/global.data': /it is a globalSetup file/,
    'src/util.ts': /a \.ts file is code .* only inside a __snapshots__ folder \(e\.g\. \.\/__snapshots__\/util\.ts\)/,
    'test/helpers/fixture.js': /a \.js file is code/,
    'scripts/deploy.sh': /a \.sh file is code/,
    'lib/addon.node': /a \.node file is code/,
  }
  for (const [rel, reason] of Object.entries(refused)) {
    test(`refused: ${rel}`, () => expect(refusal(rel)).toMatch(reason))
  }
  for (const rel of ['test/__snapshots__/page.html', 'test/basic.output.html', '__snapshots__/out.ts', 'test/__snapshots__/codegen/out.ts', 'src/__snapshots__/schema.json', 'test/fixtures/expected.txt', 'out/report.json']) {
    test(`allowed: ${rel}`, () => expect(refusal(rel)).toBeNull())
  }
  test('a writable folder outside the project: its own root level is fine, the name rules still apply', () => {
    expect(refusal('report.txt', false)).toBeNull()
    expect(refusal('.bashrc', false)).toMatch(/dot-file/)
    expect(refusal('package.json', false)).toMatch(/package manifest/)
  })
})

describe(".snap content: Vitest's own format only (a snapshot file is run when it is loaded)", () => {
  async function vitestSnapFile(entries: Record<string, string>): Promise<string> {
    let written = ''
    const environment = {
      getVersion: () => '1',
      getHeader: () => '// Vitest Snapshot v1, https://vitest.dev/guide/snapshot.html',
      resolvePath: async (p: string) => `${p}.snap`,
      readSnapshotFile: async () => null,
      saveSnapshotFile: async (_f: string, content: string) => void (written = content),
    }
    const state = await SnapshotState.create('/p/a.test.ts', { updateSnapshot: 'all', snapshotEnvironment: environment as never, snapshotFormat: {} })
    for (const [key, value] of Object.entries(entries)) (state as unknown as { _addSnapshot: (k: string, s: string, o: object) => void })._addSnapshot(key, value, {})
    await state.save()
    return written
  }

  test("what Vitest writes passes, backticks, ${ and backslashes in keys and values included", async () => {
    const content = await vitestSnapFile({ 'a 1': '"plain"', 'b `x` ${y} \\ 1': '{\n  "v": "`${z}` \\\\",\n}', 'c 1': '' })
    expect(content).toContain('exports[`b \\`x\\` \\${y} \\\\ 1`]')
    expect(snapFileRefusal(content)).toBeNull()
  })

  test('code anywhere is refused', async () => {
    const content = await vitestSnapFile({ 'a 1': '"plain"' })
    const evil = "require('child_process').execSync('id')"
    for (const forged of [
      `${content}${evil}\n`,
      content.replace('exports[', `${evil};\nexports[`),
      content.replace('"plain"', `\${${evil}}`),
      content.replace('`"plain"`', `\`x\` + ${evil}`),
      content.replace('// Vitest', evil),
      `${content.trimEnd()}\n\nexports[\`b 1\`] = ${evil};\n`,
      '',
    ]) {
      expect(snapFileRefusal(forged), forged).not.toBeNull()
    }
  })
})
