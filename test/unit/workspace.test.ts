import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { declaredPackages, parsePnpmWorkspace, workspacePackages } from '../../src/isolate/workspace.js'
import { advisedPath } from '../../src/isolate/package-root.js'

let dir: string
const at = (...parts: string[]) => path.join(dir, ...parts)
const touch = (file: string, content = '{}') => {
  fs.mkdirSync(path.dirname(at(file)), { recursive: true })
  fs.writeFileSync(at(file), content)
}

beforeAll(() => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'nsjail-workspace-')))
  touch('mono/package.json', JSON.stringify({ workspaces: { packages: ['packages/*', 'tools/**', '!tools/private'] } }))
  for (const p of ['packages/a', 'packages/b', 'tools/lint', 'tools/deep/gen', 'tools/private']) touch(`mono/${p}/package.json`)
  touch('mono/packages/not-a-package/readme.md', '')
  touch('mono/packages/a/src/index.js', '')
  fs.mkdirSync(at('mono/node_modules/@demo'), { recursive: true })
  fs.symlinkSync('../../packages/b', at('mono/node_modules/@demo/b'))
  // A package linked from outside the workspace, with a dependency of its own that is linked too.
  touch('linked/lib/package.json')
  touch('linked/dep/package.json')
  fs.mkdirSync(at('linked/lib/node_modules'), { recursive: true })
  fs.symlinkSync('../../dep', at('linked/lib/node_modules/dep'))
  fs.symlinkSync(at('linked/lib'), at('mono/node_modules/lib'))
})
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

test('pnpm-workspace.yaml: block and flow sequences, quotes and comments', () => {
  expect(parsePnpmWorkspace("packages:\n  - 'packages/*'\n  - \"apps/**\" # apps\n  - '!**/test/**'\ncatalog:\n  x: 1\n")).toEqual(['packages/*', 'apps/**', '!**/test/**'])
  expect(parsePnpmWorkspace("packages: ['a/*', b]\n")).toEqual(['a/*', 'b'])
  expect(parsePnpmWorkspace('onlyBuiltDependencies: []\n')).toEqual([])
})

test('a workspace root declares its package folders (those with a package.json), negations respected', () => {
  expect(declaredPackages(at('mono')).map((p) => path.relative(at('mono'), p)).sort()).toEqual(['packages/a', 'packages/b', 'tools/deep/gen', 'tools/lint'])
  expect(declaredPackages(at('linked/lib'))).toEqual([])
})

test('from a package: its siblings, linked packages and what they link, one folder each, nothing readable already', () => {
  const found = workspacePackages([at('mono/packages/a'), at('mono/node_modules')], [at('mono')])
  expect(found.map((p) => path.relative(dir, p)).sort()).toEqual([
    'linked/dep', 'linked/lib', 'mono/packages/b', 'mono/tools/deep/gen', 'mono/tools/lint',
  ])
})

test('a refusal advises the package root, not one file; never a folder that holds the project', () => {
  expect(advisedPath(at('mono/packages/a/src/index.js'), at('mono/packages/b'))).toBe(at('mono/packages/a'))
  expect(advisedPath(at('mono/packages/not-a-package/readme.md'), at('mono/packages/a'))).toBe(at('mono/packages/not-a-package/readme.md'))
  expect(advisedPath(at('mono/packages/a/src/index.js'), at('mono/packages/a/test'))).toBe(at('mono/packages/a/src/index.js'))
})
