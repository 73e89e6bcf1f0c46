// `seccomp: false` (and everything short of compiling) must not load koffi or libseccomp. Vitest
// runs each test file in a fresh worker, so this process's memory map shows what this file loaded.
import fs from 'node:fs'
import { expect, test } from 'vitest'
import { compileSeccomp, describePolicy, planFilter, validateSeccompOption } from '../../src/seccomp/index.js'
import { describeSeccomp } from '../../src/seccomp/describe.js'
import type { SeccompPolicy } from '../../src/seccomp/types.js'

const mapped = () => fs.readFileSync('/proc/self/maps', 'utf8')

test('validating, describing and planning never load koffi or libseccomp', () => {
  expect(validateSeccompOption(false, 'seccomp')).toBe(false)
  expect(describePolicy(false)).toBe('seccomp off')
  const strict = validateSeccompOption({ extends: 'strict', deny: [{ syscall: 'socket', args: [{ index: 0, op: 'eq', value: 'AF_NETLINK' }] }] }, 'seccomp') as SeccompPolicy
  expect(describePolicy(strict)).toMatch(/^seccomp strict \(\d+ system calls allowed, others EPERM\) \+deny socket\(a0==0x10\)→EPERM$/)
  planFilter(strict, 'x86_64', () => 1)
  // What users call to see a policy, row by row with the reasons.
  const rows = describeSeccomp('default', { rows: true }).split('\n')
  expect(rows[0]).toMatch(/^seccomp default \(\d+ system calls denied or checked\)$/)
  expect(rows).toContainEqual(expect.stringMatching(/^ {2}EPERM {2}ptrace, process_vm_readv, .*: Reading or changing another process/))
  expect(rows.at(-1)).toBe('  allow  (everything else): Not in the denylist.')
  expect(() => describeSeccomp({ extends: 'lenient' } as never)).toThrow(/option `seccomp.extends` is "lenient"/)
  expect(mapped()).not.toMatch(/libseccomp/)
  expect(mapped()).not.toMatch(/koffi/)
})

test('compiling loads them', () => {
  compileSeccomp(validateSeccompOption('default', 'seccomp') as SeccompPolicy)
  expect(mapped()).toMatch(/libseccomp\.so/)
  expect(mapped()).toMatch(/koffi/)
})
