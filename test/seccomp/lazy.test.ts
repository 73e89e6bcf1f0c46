// `seccomp: false` (and everything short of compiling) must not load koffi or libseccomp. Vitest
// runs each test file in a fresh worker, so this process's memory map shows what this file loaded.
import fs from 'node:fs'
import { expect, test } from 'vitest'
import { compileSeccomp, describeSeccomp, planFilter, validateSeccompOption } from '../../src/seccomp/index.js'
import type { SeccompPolicy } from '../../src/seccomp/types.js'

const mapped = () => fs.readFileSync('/proc/self/maps', 'utf8')

test('validating, describing and planning never load koffi or libseccomp', () => {
  expect(validateSeccompOption(false, 'seccomp')).toBe(false)
  expect(describeSeccomp(false)).toBe('seccomp off')
  const strict = validateSeccompOption({ extends: 'strict', deny: [{ syscall: 'socket', args: [{ index: 0, op: 'eq', value: 'AF_NETLINK' }] }] }, 'seccomp') as SeccompPolicy
  expect(describeSeccomp(strict)).toMatch(/^seccomp strict \(\d+ system calls allowed, others EPERM\) \+deny socket\(a0==0x10\)→EPERM$/)
  planFilter(strict, 'x86_64', () => 1)
  expect(mapped()).not.toMatch(/libseccomp/)
  expect(mapped()).not.toMatch(/koffi/)
})

test('compiling loads them', () => {
  compileSeccomp(validateSeccompOption('default', 'seccomp') as SeccompPolicy)
  expect(mapped()).toMatch(/libseccomp\.so/)
  expect(mapped()).toMatch(/koffi/)
})
