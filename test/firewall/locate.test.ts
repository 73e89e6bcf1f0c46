import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { locateUncached } from '../../src/channel/firewall/view.js'

// locateUncached finds a missing path's deepest existing ancestor by a binary search over its depth.
// The reference here is the plain walk up, one level at a time: both must place every path alike.
function walkUp(p: string): { real: string; kind: string } {
  const rest: string[] = []
  for (let current = p; ; current = path.dirname(current)) {
    let stat
    try {
      stat = statSync(current)
    } catch {
      // missing, behind a file or a dangling link: one level up
    }
    if (stat) {
      const real = realpathSync.native(current)
      if (rest.length) return { real: path.join(real, ...rest.reverse()), kind: 'missing' }
      return { real, kind: stat.isFile() ? 'file' : stat.isDirectory() ? 'dir' : 'other' }
    }
    rest.push(path.basename(current))
  }
}

let tmp: string
beforeAll(() => {
  tmp = realpathSync(mkdtempSync(path.join(tmpdir(), 'locate-')))
  mkdirSync(path.join(tmp, 'proj/src/deep/er'), { recursive: true })
  mkdirSync(path.join(tmp, 'outside'))
  writeFileSync(path.join(tmp, 'proj/src/a.ts'), '')
  writeFileSync(path.join(tmp, 'outside/secret.txt'), '')
  symlinkSync(path.join(tmp, 'outside'), path.join(tmp, 'proj/link-out'))
  symlinkSync(path.join(tmp, 'outside/secret.txt'), path.join(tmp, 'proj/src/to-secret.ts'))
  symlinkSync(path.join(tmp, 'nowhere/at/all'), path.join(tmp, 'proj/dangling'))
  symlinkSync('../..', path.join(tmp, 'proj/src/deep/up'))
  execFileSync('mkfifo', [path.join(tmp, 'proj/fifo')])
})
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const cases = [
  'proj/src/a.ts',
  'proj/src/deep/er',
  'proj/fifo',
  'proj/src/missing.ts',
  'proj/src/deep/er/x/y/z/w/v/u.ts',
  // An absolute module id tried under the root: many missing levels at once.
  `proj${'/home/user/projects/app/src/components/button/index.ts'}`,
  'proj/link-out/secret.txt',
  'proj/link-out/not-there/x.ts',
  'proj/src/to-secret.ts',
  'proj/src/to-secret.ts/behind/a/file',
  'proj/src/a.ts/x',
  'proj/dangling',
  'proj/dangling/below',
  'proj/src/deep/up/src/a.ts',
  'proj/src/deep/up/link-out/a/b',
  'nothing-here-either',
]

test.each(cases)('%s: placed as the walk up one level at a time places it', (relative) => {
  const p = path.join(tmp, relative)
  expect(locateUncached(p)).toEqual(walkUp(p))
})

test('a missing path resolves through the links of its existing part', () => {
  expect(locateUncached(path.join(tmp, 'proj/link-out/not-there/x.ts'))).toEqual({ real: path.join(tmp, 'outside/not-there/x.ts'), kind: 'missing' })
  expect(locateUncached(path.join(tmp, 'proj/src/to-secret.ts'))).toEqual({ real: path.join(tmp, 'outside/secret.txt'), kind: 'file' })
  expect(locateUncached(path.join(tmp, 'proj/fifo')).kind).toBe('other')
})

test('the file system root and paths right under it', () => {
  expect(locateUncached('/')).toEqual({ real: '/', kind: 'dir' })
  expect(locateUncached('/no-such-top-level-folder/x')).toEqual({ real: '/no-such-top-level-folder/x', kind: 'missing' })
})
