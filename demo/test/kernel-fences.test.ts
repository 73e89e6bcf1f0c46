import { expect, test } from 'vitest'
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'

const status = fs.readFileSync('/proc/self/status', 'utf8')
const seccompMode = /Seccomp:\s+(\d)/.exec(status)?.[1]

const attempt = (file: string, args: string[]) => {
  try {
    execFileSync(file, args, { stdio: 'pipe' })
    return 'succeeded'
  } catch (error) {
    return String((error as { stderr?: Buffer }).stderr ?? '').trim().split('\n')[0] || 'failed'
  }
}

test(`seccomp: filter mode ${seccompMode} (2 = a BPF filter is on)`, () => {
  expect(seccompMode).toBe('2')
})

const unshare = attempt('/usr/bin/unshare', ['--user', '--map-root-user', 'true'])
test(`no nested namespaces: \`unshare --user\` → ${unshare}`, () => {
  expect(unshare).not.toBe('succeeded')
})

const mount = attempt('/usr/bin/mount', ['-t', 'tmpfs', 'x', '/tmp'])
test(`no mounts: \`mount -t tmpfs\` → ${mount}`, () => {
  expect(mount).not.toBe('succeeded')
})

// This file runs with `limits: { pids: 64 }` (see vitest.config.ts): spawn until the kernel says no.
const children: ChildProcess[] = []
let refusal = 'never refused'
for (let i = 0; i < 200; i++) {
  const child = spawn('/bin/sleep', ['30'], { stdio: 'ignore' })
  const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined))
    child.once('error', resolve)
  })
  if (error) {
    refusal = `${error.code} after ${children.length} processes`
    break
  }
  children.push(child)
}
for (const child of children) child.kill('SIGKILL')

const enforced = refusal !== 'never refused'
test(`cgroup pids limit: a fork bomb gets ${refusal}${enforced ? '' : ' (no writable cgroup here: limits are not enforced, see the warning above)'}`, () => {
  // The pids limit counts threads too (Node has ~12), so the bomb is stopped short of 64 processes.
  if (enforced) expect(children.length).toBeLessThan(64)
})
