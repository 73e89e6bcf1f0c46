import { describe, expect, test } from 'vitest'
import { OptionError } from '../../src/policy/errors.js'
import { validateSeccompOption } from '../../src/seccomp/index.js'

const P = 'rules[1].seccomp'

function error(value: unknown): OptionError {
  try {
    validateSeccompOption(value, P)
  } catch (e) {
    expect(e).toBeInstanceOf(OptionError)
    return e as OptionError
  }
  throw new Error(`no error for ${JSON.stringify(value)}`)
}

describe('validateSeccompOption: accepted forms', () => {
  test('undefined and "default" give the default policy; "strict"; false turns it off', () => {
    expect(validateSeccompOption(undefined, P)).toEqual({ base: 'default', deny: [], allow: [] })
    expect(validateSeccompOption('default', P)).toEqual({ base: 'default', deny: [], allow: [] })
    expect(validateSeccompOption('strict', P)).toEqual({ base: 'strict', deny: [], allow: [] })
    expect(validateSeccompOption(false, P)).toBe(false)
  })

  test('objects are normalised: defaults filled, values as 64-bit hex, rules keep their index', () => {
    const policy = validateSeccompOption(
      {
        extends: 'strict',
        deny: [
          'ptrace',
          { syscall: 'socket', errno: 'EACCES', args: [{ index: 0, op: 'eq', value: 'AF_NETLINK' }] },
          { syscall: 'clone', action: 'kill', args: [{ index: 0, op: 'masked_eq', mask: 'CLONE_NEWUSER|CLONE_NEWNET', value: 0x10000000 }] },
          { syscall: 'openat', action: 'log', args: [{ index: 0, op: 'eq', value: -100 }] },
          { syscall: 'mmap', args: [{ index: 2, op: 'ge', value: 7n }, { index: 1, op: 'gt', value: '0x1000' }] },
        ],
        allow: ['mknodat', { syscall: 'personality', args: [{ index: 0, op: 'eq', value: 0xffffffff }] }],
      },
      P,
    )
    expect(policy).toEqual({
      base: 'strict',
      deny: [
        { syscall: 'ptrace', action: 'errno', errno: 'EPERM', args: [] },
        { syscall: 'socket', action: 'errno', errno: 'EACCES', args: [{ index: 0, op: 'eq', value: '0x10' }] },
        { syscall: 'clone', action: 'kill', errno: null, args: [{ index: 0, op: 'masked_eq', value: '0x10000000', mask: '0x50000000' }] },
        { syscall: 'openat', action: 'log', errno: null, args: [{ index: 0, op: 'eq', value: '0xffffffffffffff9c' }] },
        { syscall: 'mmap', action: 'errno', errno: 'EPERM', args: [{ index: 2, op: 'ge', value: '0x7' }, { index: 1, op: 'gt', value: '0x1000' }] },
      ],
      allow: [
        { syscall: 'mknodat', args: [] },
        { syscall: 'personality', args: [{ index: 0, op: 'eq', value: '0xffffffff' }] },
      ],
    })
    // JSON-comparable: a round trip changes nothing.
    expect(JSON.parse(JSON.stringify(policy))).toEqual(policy)
  })

  test('several comparisons on one argument are accepted when they can hold together (a range)', () => {
    const policy = validateSeccompOption({ deny: [{ syscall: 'socket', args: [{ index: 0, op: 'ge', value: 38 }, { index: 0, op: 'le', value: 40 }] }] }, P)
    expect(policy && policy.deny[0]!.args).toEqual([{ index: 0, op: 'ge', value: '0x26' }, { index: 0, op: 'le', value: '0x28' }])
  })

  test('extends defaults to "default"', () => {
    expect(validateSeccompOption({ deny: ['bpf'] }, P)).toMatchObject({ base: 'default' })
  })
})

describe('validateSeccompOption: errors name the option path, the value and what is expected', () => {
  const cases: Array<[unknown, string, string]> = [
    [true, P, "'default', 'strict', false"],
    ['off', P, "'default', 'strict', false"],
    [{ extends: 'paranoid' }, `${P}.extends`, "'default' or 'strict'"],
    [{ deny: 'ptrace' }, `${P}.deny`, 'an array of rules'],
    [{ deny: ['ptrace', 'Bad Name'] }, `${P}.deny[1]`, 'a system call name'],
    [{ deny: [42] }, `${P}.deny[0]`, 'a system call name or {'],
    [{ deny: [{ syscall: 'socket', errno: 'EWHATEVER' }] }, `${P}.deny[0].errno`, 'an errno name such as "EPERM"'],
    [{ deny: [{ syscall: 'socket', action: 'allow' }] }, `${P}.deny[0].action`, "'errno'"],
    [{ deny: [{ syscall: 'socket', action: 'kill', errno: 'EPERM' }] }, `${P}.deny[0].errno`, "errno only applies to action 'errno'"],
    [{ deny: [{ syscall: 'socket', reason: 'x' }] }, `${P}.deny[0].reason`, 'no such key'],
    [{ allow: [{ syscall: 'ptrace', action: 'kill' }] }, `${P}.allow[0].action`, 'an allow rule only allows'],
    [{ deny: [{ syscall: 'socket', args: [{ index: 6, op: 'eq', value: 1 }] }] }, `${P}.deny[0].args[0].index`, 'from 0 to 5'],
    [{ deny: [{ syscall: 'socket', args: [{ index: -1, op: 'eq', value: 1 }] }] }, `${P}.deny[0].args[0].index`, 'from 0 to 5'],
    [{ deny: [{ syscall: 'socket', args: [{ index: 0, op: 'bitand', value: 1 }] }] }, `${P}.deny[0].args[0].op`, '"masked_eq"'],
    [{ deny: [{ syscall: 'socket', args: [{ index: 0, op: 'eq', value: 1, mask: 1 }] }] }, `${P}.deny[0].args[0].mask`, 'a mask only goes with op "masked_eq"'],
    [{ deny: [{ syscall: 'clone', args: [{ index: 0, op: 'masked_eq', value: 1 }] }] }, `${P}.deny[0].args[0].mask`, '(argument & mask) === value'],
    [{ deny: [{ syscall: 'clone', args: [{ index: 0, op: 'masked_eq', mask: 0xf0, value: 0x0f }] }] }, `${P}.deny[0].args[0].value`, 'a value within the mask 0xf0'],
    [{ deny: [{ syscall: 'socket', args: [{ index: 0, op: 'lt', value: 0 }] }] }, `${P}.deny[0].args[0].value`, 'nothing is below 0'],
    [{ deny: [{ syscall: 'socket', args: [{ index: 0, op: 'eq', value: 'AF_MARTIAN' }] }] }, `${P}.deny[0].args[0].value`, 'AF_MARTIAN is not one'],
    [{ deny: [{ syscall: 'socket', args: [{ index: 0, op: 'eq', value: 1.5 }] }] }, `${P}.deny[0].args[0].value`, 'an integer'],
    [{ deny: [{ syscall: 'socket', args: [{ index: 0, op: 'eq', value: 2n ** 64n }] }] }, `${P}.deny[0].args[0].value`, 'fits in 64 bits'],
    [{ deny: [{ syscall: 'socket', args: [{ index: 0, op: 'eq' }] }] }, `${P}.deny[0].args[0].value`, 'a number, bigint'],
    [
      { deny: [{ syscall: 'socket', args: [{ index: 0, op: 'eq', value: 1 }, { index: 0, op: 'gt', value: 5 }] }] },
      `${P}.deny[0].args`,
      'never all match',
    ],
  ]
  for (const [i, [value, option, expected]] of cases.entries()) {
    test(`case ${i}: ${option} (${expected})`, () => {
      const e = error(value)
      expect(e.option).toBe(option)
      expect(e.message).toContain(`\`${option}\``)
      expect(e.message).toContain(expected)
    })
  }

  test('the message quotes the offending value', () => {
    expect(error({ deny: [{ syscall: 'socket', errno: 'EWHATEVER' }] }).message).toContain('"EWHATEVER"')
    expect(error({ deny: [{ syscall: 'socket', args: [{ index: 0, op: 'eq', value: 2n ** 64n }] }] }).message).toContain('18446744073709551616n')
  })
})
