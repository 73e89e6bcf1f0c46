/**
 * The library closure: on real programs of this machine against `ldd` (trusted system binaries, so
 * running their loader is fine here), and on crafted objects in a temporary folder: dependency loops,
 * run paths an addon may not choose, a library of the wrong class, scripts.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { ElfClosure, type LoaderHost } from '../../src/rootfs/closure.js'
import { ldSoConfDirs, librarySearchDirs } from '../../src/rootfs/libdirs.js'
import { craftElf, type CraftOptions } from './craft-elf.js'

const [machine, bits] = process.arch === 'arm64' ? [183, 64] as const : [62, 64] as const
const host: LoaderHost = { machine, bits, searchDirs: librarySearchDirs(machine, bits) }

/**
 * The real paths ldd says a trusted program loads (vdso aside). By the program's real path: run by a
 * symlink (/usr/bin/java → /etc/alternatives/java → …), ldd expands $ORIGIN from the link's folder,
 * which the kernel never does.
 */
function lddClosure(program: string): string[] {
  const out = execFileSync('ldd', [fs.realpathSync(program)], { encoding: 'utf8' })
  const paths = [...out.matchAll(/(?:=> )?(\/\S+) \(0x/g)].map((m) => fs.realpathSync(m[1]))
  return [...new Set(paths)].sort()
}

describe('real programs, against ldd', () => {
  const programs = [process.execPath, '/usr/bin/git', '/usr/bin/setpriv', '/usr/bin/busctl', '/usr/bin/java'].filter((p) => fs.existsSync(p))

  test.each(programs)('%s', (program) => {
    const closure = new ElfClosure(host).of([{ path: program, trusted: true }], [])
    const libraries = closure.files.filter((f) => f !== fs.realpathSync(program)).sort()
    expect(libraries).toEqual(lddClosure(program))
    expect(closure.missing).toEqual([])
    // Each library is reachable by the name the loader looks for, e.g. libstdc++.so.6 → libstdc++.so.6.0.30.
    for (const link of closure.links) expect(fs.realpathSync(link.path)).toBe(link.target)
  })
})

test("a library by name, as libc's dlopen finds it: the name service modules", () => {
  const found = new ElfClosure(host).library('libnss_files.so.2')
  expect(found).not.toBeNull()
  expect(host.searchDirs).toContain(found!.slice(0, found!.lastIndexOf('/')))
  expect(new ElfClosure(host).library('libno-such-library.so.9')).toBeNull()
})

describe('crafted objects', () => {
  let dir: string
  const write = (relative: string, options: CraftOptions) => {
    const file = path.join(dir, relative)
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, craftElf({ machine, bits, ...options }).data)
    return file
  }
  const libc = lddClosure(process.execPath).find((f) => /\/libc[.-]/.test(f))!
  /** libc and the loader it names: what any crafted object gets from the system folders. */
  const system = [...new Set([libc, ...lddClosure(libc)])].sort()

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'closure-'))
  })
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  test('a dependency loop ends; libraries inside the mounted folders are not added, the system ones are', () => {
    const addon = write('mounted/addon.node', { needed: ['libA.so'], runpath: '$ORIGIN/lib' })
    // DT_RUNPATH is an object's own: libA needs one of its own to find libB, as for the loader.
    write('mounted/lib/libA.so', { needed: ['libB.so', 'libc.so.6'], runpath: '$ORIGIN' })
    write('mounted/lib/libB.so', { needed: ['libA.so'], runpath: '$ORIGIN' })
    const closure = new ElfClosure(host).of([{ path: addon, trusted: false }], [path.join(dir, 'mounted')])
    expect(closure.files.sort()).toEqual(system)
    expect(closure.missing).toEqual([])
  })

  test('an addon chooses nothing outside the mounted folders: no run path, no interpreter, no path as a name', () => {
    const secret = write('outside/libsecret.so', {})
    const addon = write('mounted2/evil.node', {
      needed: ['libsecret.so', secret, 'libc.so.6'],
      runpath: `${path.join(dir, 'outside')}:$ORIGIN/../outside`,
      interpreter: secret,
    })
    const closure = new ElfClosure(host).of([{ path: addon, trusted: false }], [path.join(dir, 'mounted2')])
    expect(closure.files.sort()).toEqual(system)
    expect(closure.missing).toEqual([`libsecret.so (needed by ${addon})`])
    // The same object from the host (a trusted program) gets what it asks for.
    const trusted = new ElfClosure(host).of([{ path: addon, trusted: true }], [])
    expect(trusted.files).toEqual(expect.arrayContaining([fs.realpathSync(secret), libc]))
  })

  test('a run path that is a symlink out of the mounted folder counts as outside', () => {
    write('outside3/libx.so', {})
    fs.mkdirSync(path.join(dir, 'mounted3'), { recursive: true })
    fs.symlinkSync(path.join(dir, 'outside3'), path.join(dir, 'mounted3/lib'))
    const addon = write('mounted3/a.node', { needed: ['libx.so'], runpath: '$ORIGIN/lib' })
    expect(new ElfClosure(host).of([{ path: addon, trusted: false }], [path.join(dir, 'mounted3')]).missing).toEqual([`libx.so (needed by ${addon})`])
  })

  test('a library of another class is skipped, as the loader skips it', () => {
    write('mounted4/lib32/libc.so.6', { bits: 32, machine: 3 })
    const addon = write('mounted4/a.node', { needed: ['libc.so.6'], runpath: '$ORIGIN/lib32' })
    expect(new ElfClosure(host).of([{ path: addon, trusted: false }], [path.join(dir, 'mounted4')]).files.sort()).toEqual(system)
  })

  test("a trusted script brings its interpreter's closure; symlinked names are kept", () => {
    const script = path.join(dir, 'tool')
    fs.writeFileSync(script, `#!${process.execPath}\nconsole.log(1)\n`, { mode: 0o755 })
    fs.symlinkSync(script, path.join(dir, 'tool-link'))
    const closure = new ElfClosure(host).of([{ path: path.join(dir, 'tool-link'), trusted: true }], [])
    expect(closure.files).toEqual(expect.arrayContaining([fs.realpathSync(script), fs.realpathSync(process.execPath), libc]))
    expect(closure.links).toContainEqual({ path: path.join(dir, 'tool-link'), target: fs.realpathSync(script) })
  })

  test('ld.so.conf: includes by glob, in order, each file once even in a loop', () => {
    const conf = path.join(dir, 'ld.so.conf')
    fs.mkdirSync(path.join(dir, 'ld.so.conf.d'))
    fs.writeFileSync(conf, `# comment\ninclude ${dir}/ld.so.conf.d/*.conf\n/opt/last\n`)
    fs.writeFileSync(path.join(dir, 'ld.so.conf.d/b.conf'), '/opt/b\ninclude ../ld.so.conf\n')
    fs.writeFileSync(path.join(dir, 'ld.so.conf.d/a.conf'), '/opt/a  # trailing\nhwcap 0 nosegneg\n/opt/a/../a2\n')
    fs.writeFileSync(path.join(dir, 'ld.so.conf.d/ignored.txt'), '/opt/no\n')
    expect(ldSoConfDirs(conf)).toEqual(['/opt/a', '/opt/a2', '/opt/b', '/opt/last'])
  })
})
