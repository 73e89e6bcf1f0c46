// The attacks a sandbox can stage in a folder the host then works in, and what src/hostfs answers to
// each, as a JSON-able map: `{ scenario: 'ok' | <error code> }`. Shared by test/hostfs/beneath.test.ts
// (both strategies, in this process) and by enosys.mjs (a process whose openat2 fails with ENOSYS).
//
//   runScenarios(hostfs, scratch, outside) → { results, outsideTouched: string[] }
// `scratch` is an empty directory (the "writable folder"), `outside` one the operations must never reach.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

export function runScenarios(hostfs, scratch, outside) {
  const at = (rel) => path.join(scratch, rel)
  fs.mkdirSync(at('dir'))
  fs.writeFileSync(at('dir/file.txt'), 'inside')
  fs.writeFileSync(at('big.txt'), 'x'.repeat(100))
  fs.writeFileSync(path.join(outside, 'secret.txt'), 'SECRET')
  fs.symlinkSync(outside, at('dirlink'))
  fs.symlinkSync(path.join(outside, 'secret.txt'), at('filelink'))
  fs.symlinkSync(path.join(outside, 'created.txt'), at('dangling'))
  fs.linkSync(at('dir/file.txt'), at('hardlink.txt'))
  execFileSync('mkfifo', [at('fifo')])
  const before = fs.readdirSync(outside).sort()
  const base = hostfs.openBase(scratch)
  const results = {}
  const attempt = (name, op) => {
    try {
      const value = op()
      results[name] = Buffer.isBuffer(value) || typeof value === 'string' ? `ok:${value.toString()}` : 'ok'
    } catch (error) {
      results[name] = error.code ?? error.message
    }
  }
  const data = Buffer.from('written by the host')
  attempt('read a regular file', () => hostfs.read(base, 'dir/file.txt', 1000))
  attempt('read through a directory symlink', () => hostfs.read(base, 'dirlink/secret.txt', 1000))
  attempt('read a symlink to a file', () => hostfs.read(base, 'filelink', 1000))
  attempt('read a FIFO (must not hang)', () => hostfs.read(base, 'fifo', 1000))
  attempt('read a directory', () => hostfs.read(base, 'dir', 1000))
  attempt('read over the size cap', () => hostfs.read(base, 'big.txt', 99))
  attempt('read with ..', () => hostfs.read(base, 'dir/../dirlink/secret.txt', 1000))
  attempt('read an absolute path', () => hostfs.read(base, path.join(outside, 'secret.txt'), 1000))
  attempt('create a new file', () => hostfs.create(base, 'dir/new.txt', data))
  attempt('create an existing file', () => hostfs.create(base, 'dir/file.txt', data))
  attempt('create over a dangling symlink', () => hostfs.create(base, 'dangling', data))
  attempt('create through a directory symlink', () => hostfs.create(base, 'dirlink/created.txt', data))
  attempt('create with mkdirs through a directory symlink', () => hostfs.create(base, 'dirlink/sub/created.txt', data, { mkdirs: true }))
  attempt('create with mkdirs', () => hostfs.create(base, 'a/b/c.txt', data, { mkdirs: true }))
  attempt('replace a regular file', () => hostfs.replace(base, 'dir/new.txt', Buffer.from('replaced')))
  attempt('replace a file with two hard links', () => hostfs.replace(base, 'hardlink.txt', data))
  attempt('replace a symlink to a file', () => hostfs.replace(base, 'filelink', data))
  attempt('replace a FIFO (must not hang)', () => hostfs.replace(base, 'fifo', data))
  attempt('replace a missing file', () => hostfs.replace(base, 'dir/missing.txt', data))
  attempt('write over a dangling symlink', () => hostfs.write(base, 'dangling', data))
  attempt('mkdirs through a directory symlink', () => hostfs.mkdirs(base, 'dirlink/made'))
  attempt('unlink a symlink (not its target)', () => hostfs.unlink(base, 'filelink'))
  attempt('unlink through a directory symlink', () => hostfs.unlink(base, 'dirlink/secret.txt'))
  attempt('kind of a dangling symlink', () => hostfs.kind(base, 'dangling'))
  attempt('kind of a regular file', () => hostfs.kind(base, 'dir/file.txt'))
  attempt('kind of a missing file in a missing folder', () => hostfs.kind(base, 'none/none.txt'))
  attempt('kind through a directory symlink', () => hostfs.kind(base, 'dirlink/secret.txt'))
  attempt('make a directory over a symlink', () => hostfs.makeDir(base, 'dirlink').close())
  attempt('open-or-make a directory that is a symlink', () => hostfs.openOrMakeDir(base, 'dirlink').close())
  base.close()
  results['replaced content'] = fs.readFileSync(at('dir/new.txt'), 'utf8')
  const after = fs.readdirSync(outside).sort()
  const secret = fs.readFileSync(path.join(outside, 'secret.txt'), 'utf8')
  return { results, outsideTouched: JSON.stringify(after) === JSON.stringify(before) && secret === 'SECRET' ? [] : after }
}

/** What src/hostfs must answer, whichever strategy resolves directories. */
export const EXPECTED = {
  'read a regular file': 'ok:inside',
  'read through a directory symlink': 'ELOOP',
  'read a symlink to a file': 'ELOOP',
  'read a FIFO (must not hang)': 'NOTREG',
  'read a directory': 'NOTREG',
  'read over the size cap': 'TOOBIG',
  'read with ..': 'BADPATH',
  'read an absolute path': 'BADPATH',
  'create a new file': 'ok',
  'create an existing file': 'EEXIST',
  'create over a dangling symlink': 'ELOOP',
  'create through a directory symlink': 'ELOOP',
  'create with mkdirs through a directory symlink': 'ELOOP',
  'create with mkdirs': 'ok',
  'replace a regular file': 'ok',
  'replace a file with two hard links': 'NLINK',
  'replace a symlink to a file': 'ELOOP',
  'replace a FIFO (must not hang)': 'NOTREG',
  'replace a missing file': 'ENOENT',
  'write over a dangling symlink': 'ELOOP',
  'mkdirs through a directory symlink': 'ELOOP',
  'unlink a symlink (not its target)': 'ok',
  'unlink through a directory symlink': 'ELOOP',
  'kind of a dangling symlink': 'ok:symlink',
  'kind of a regular file': 'ok:file',
  'kind of a missing file in a missing folder': 'ok:missing',
  'kind through a directory symlink': 'ELOOP',
  'make a directory over a symlink': 'EEXIST',
  'open-or-make a directory that is a symlink': 'ELOOP',
  'replaced content': 'replaced',
}
