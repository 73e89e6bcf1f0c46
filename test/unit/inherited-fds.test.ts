/**
 * The pure part (reading close-on-exec from fdinfo), and both ends for real in plain processes: what
 * a Node process would pass on, and the worker preload closing what it is told. Through the pool,
 * with bwrap, test/inherited-fds.test.ts.
 */
import { spawnSync, type StdioOptions } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { closeOnExec, INHERITED_FDS_ENV } from '../../src/isolate/inherited-fds.js'

/** Runs `node <args>` holding fds 20 and 21 without close-on-exec, as a careless parent leaves them. */
function nodeHolding20And21(args: string[], env: Record<string, string> = {}) {
  const devNull = fs.openSync('/dev/null', 'r')
  try {
    const stdio: StdioOptions = Array.from({ length: 22 }, (_, fd) => (fd >= 20 ? devNull : fd === 1 || fd === 2 ? 'pipe' : 'ignore'))
    const result = spawnSync(process.execPath, args, { stdio, encoding: 'utf8', env: { ...process.env, ...env } })
    if (result.status !== 0) throw new Error(result.stderr)
    return JSON.parse(result.stdout)
  } finally {
    fs.closeSync(devNull)
  }
}

describe('closeOnExec', () => {
  test('reads O_CLOEXEC from the octal flags of an fdinfo text', () => {
    expect(closeOnExec('pos:\t0\nflags:\t02100002\nmnt_id:\t25\nino:\t1038\n')).toBe(true)
    expect(closeOnExec('pos:\t0\nflags:\t0100001\nmnt_id:\t25\nino:\t12\n')).toBe(false)
    expect(closeOnExec('pos:\t0\nflags:\t01\n')).toBe(false)
    expect(closeOnExec('no flags line')).toBe(false) // unknown: counted as inherited, so it gets closed
  })
})

test('inheritedFds: what a child would get besides its stdio, and none of Node\'s own descriptors', () => {
  const module = path.resolve('dist/isolate/inherited-fds.js')
  const fds: number[] = nodeHolding20And21(['--input-type=module', '-e', `console.log(JSON.stringify((await import(${JSON.stringify(module)})).inheritedFds(4)))`])
  expect(fds).toEqual(expect.arrayContaining([20, 21]))
  // Node marks its first 16 close-on-exec at start; all it opens itself is close-on-exec.
  expect(fds.filter((fd) => fd < 16)).toEqual([])
})

test('the worker preload closes exactly the listed descriptors and forgets the list', () => {
  // fstat, not a listing of /proc/self/fd: the listing's own descriptor may take the number just closed
  // (Node 22 fills the lower ones itself), and would show fd 20 open again.
  const report = `const fs = require('fs'); const open = (fd) => { try { return fs.fstatSync(fd), true } catch { return false } }; console.log(JSON.stringify({ fds: [20, 21].filter(open), env: process.env.${INHERITED_FDS_ENV} ?? null }))`
  const preload = path.resolve('dist/worker/close-inherited-fds.cjs')
  expect(nodeHolding20And21(['--require', preload, '-e', report], { [INHERITED_FDS_ENV]: '20' })).toEqual({ fds: [21], env: null })
})
