/**
 * The `rootfs` options against this host, before any test: a tool must be on PATH, a `dir` must be a
 * root filesystem the sandbox user can enter; every problem names option, value and what is expected.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { checkRootfs } from '../../src/rootfs/preflight.js'
import { OptionsError, Problems } from '../../src/policy/errors.js'
import type { NsjailOptions } from '../../src/policy/types.js'

let dir: string
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rootfs-preflight-'))
  fs.mkdirSync(path.join(dir, 'image/usr/bin'), { recursive: true })
  fs.symlinkSync('usr/bin', path.join(dir, 'image/bin'))
  fs.mkdirSync(path.join(dir, 'not-a-root/src'), { recursive: true })
  fs.writeFileSync(path.join(dir, 'file'), '')
  fs.mkdirSync(path.join(dir, 'locked/usr'), { recursive: true, mode: 0o700 })
  fs.chmodSync(path.join(dir, 'locked/usr'), 0o700)
})
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

const nobody = { uid: 65534, gid: 65534, user: 'sandbox', home: '/home/sandbox', setuid: true }

function problems(options: NsjailOptions, PATH = '/usr/bin:/bin'): string[] {
  const found = new Problems()
  checkRootfs(options, dir, nobody, found, PATH)
  try {
    found.throwIfAny()
    return []
  } catch (error) {
    return (error as OptionsError).problems.map((p) => p.message.replace(dir, '<dir>').replace(dir, '<dir>'))
  }
}

test('an image folder, relative to the project root, and tools on PATH pass', () => {
  expect(problems({ rootfs: { dir: 'image' }, rules: [{ files: 'x', rootfs: { base: 'minimal', tools: ['sh'] } }] })).toEqual([])
})

test('a tool that is not on the host PATH is named with the PATH searched', () => {
  expect(problems({ rules: [{ files: 'x', rootfs: { base: 'minimal', tools: ['sh', 'no-such-tool-here'] } }] })).toEqual([
    'vitest-pool-nsjail: option `rules[0].rootfs.tools[1]` is "no-such-tool-here"; expected a program on the host\'s PATH (it is added with its libraries): there is no executable no-such-tool-here in /usr/bin:/bin.',
  ])
})

test.each([
  ['missing', '<dir>/missing does not exist'],
  ['file', '<dir>/file is not a folder'],
  ['not-a-root', '<dir>/not-a-root has neither usr nor bin: it does not look like a root filesystem'],
  ['/', "/ is the host's own root (that is rootfs: 'host')"],
  ['locked', 'the sandbox user (uid 65534) cannot enter <dir>/locked/usr: `chmod a+rX` the image\'s files'],
])('a dir that is no usable root filesystem: %s', (value, why) => {
  expect(problems({ rootfs: { dir: value } })).toEqual([
    `vitest-pool-nsjail: option \`rootfs.dir\` is "${value}"; expected a folder holding an unpacked root filesystem, e.g. from \`docker export\` (relative paths resolve against the project root <dir>): ${why}.`,
  ])
})
