/**
 * `seccomp` option → SeccompPolicy. Pure: shape checks, defaults and normalisation only. Whether a
 * syscall name exists is libseccomp's business and is checked when the policy is compiled.
 */
import { OptionError } from '../policy/errors.js'
import { termOf } from './conditions.js'
import { errnoNumber, hex, parseValue, U64_MAX } from './constants.js'
import type { ArgOp, PolicyAllowRule, PolicyArgComparison, PolicyDenyRule, SeccompPolicy } from './types.js'

const OPS: readonly ArgOp[] = ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'masked_eq']
const ACTIONS = ['errno', 'kill', 'log'] as const
const SYSCALL_NAME = /^[a-z_][a-z0-9_]*$/
const SHAPE = "'default', 'strict', false or { extends?: 'default' | 'strict', deny?: rule[], allow?: rule[] }"
const RULE_SHAPE = "a system call name or { syscall, action?: 'errno' | 'kill' | 'log', errno?: 'EPERM' | …, args?: [{ index, op, value, mask? }] }"

/** The policy used when the option is left out. */
export const DEFAULT_POLICY: SeccompPolicy = Object.freeze({ base: 'default', deny: [], allow: [] }) as SeccompPolicy

/**
 * Validates and normalises a `seccomp` option. `undefined` gives the 'default' policy, `false` turns
 * the filter off. `option` is the option's path for messages, e.g. `rules[1].seccomp`.
 */
export function validateSeccompOption(value: unknown, option: string): SeccompPolicy | false {
  if (value === undefined || value === 'default') return { base: 'default', deny: [], allow: [] }
  if (value === 'strict') return { base: 'strict', deny: [], allow: [] }
  if (value === false) return false
  if (!isPlainObject(value)) throw new OptionError(option, value, SHAPE)

  checkKeys(value, ['extends', 'deny', 'allow'], option, SHAPE)
  const base = value.extends ?? 'default'
  if (base !== 'default' && base !== 'strict') throw new OptionError(`${option}.extends`, base, "'default' or 'strict'")
  const deny = list(value.deny, `${option}.deny`).map((rule, i) => denyRule(rule, `${option}.deny[${i}]`))
  const allow = list(value.allow, `${option}.allow`).map((rule, i) => allowRule(rule, `${option}.allow[${i}]`))
  return { base, deny, allow }
}

function list(value: unknown, path: string): unknown[] {
  if (value === undefined) return []
  if (!Array.isArray(value)) throw new OptionError(path, value, `an array of rules (${RULE_SHAPE})`)
  return value
}

function syscallName(value: unknown, path: string): string {
  if (typeof value !== 'string' || !SYSCALL_NAME.test(value)) {
    throw new OptionError(path, value, 'a system call name such as "ptrace" or "socket" (lowercase, as in `man 2 syscalls`)')
  }
  return value
}

function denyRule(rule: unknown, path: string): PolicyDenyRule {
  if (typeof rule === 'string') return { syscall: syscallName(rule, path), action: 'errno', errno: 'EPERM', args: [] }
  if (!isPlainObject(rule)) throw new OptionError(path, rule, RULE_SHAPE)
  checkKeys(rule, ['syscall', 'action', 'errno', 'args'], path, RULE_SHAPE)
  const syscall = syscallName(rule.syscall, `${path}.syscall`)
  const action = rule.action ?? 'errno'
  if (!ACTIONS.includes(action as (typeof ACTIONS)[number])) {
    throw new OptionError(`${path}.action`, action, "'errno' (fail with an errno, the default), 'kill' (kill the process) or 'log' (allow, and log to the kernel audit log)")
  }
  let errno: string | null = null
  if (action === 'errno') {
    errno = rule.errno === undefined ? 'EPERM' : (rule.errno as string)
    if (typeof errno !== 'string' || errnoNumber(errno) === undefined) {
      throw new OptionError(`${path}.errno`, rule.errno, 'an errno name such as "EPERM", "EACCES" or "ENOSYS" (see os.constants.errno)')
    }
  } else if (rule.errno !== undefined) {
    throw new OptionError(`${path}.errno`, rule.errno, `nothing: errno only applies to action 'errno' (this rule's action is '${action as string}')`)
  }
  return { syscall, action: action as PolicyDenyRule['action'], errno, args: argList(rule.args, `${path}.args`) }
}

function allowRule(rule: unknown, path: string): PolicyAllowRule {
  if (typeof rule === 'string') return { syscall: syscallName(rule, path), args: [] }
  if (!isPlainObject(rule)) throw new OptionError(path, rule, 'a system call name or { syscall, args? }')
  if (rule.action !== undefined || rule.errno !== undefined) {
    const key = rule.action !== undefined ? 'action' : 'errno'
    throw new OptionError(`${path}.${key}`, rule[key], 'nothing: an allow rule only allows (put rules with an action under deny)')
  }
  checkKeys(rule, ['syscall', 'args'], path, 'a system call name or { syscall, args? }')
  return { syscall: syscallName(rule.syscall, `${path}.syscall`), args: argList(rule.args, `${path}.args`) }
}

function argList(value: unknown, path: string): PolicyArgComparison[] {
  if (value === undefined) return []
  if (!Array.isArray(value)) throw new OptionError(path, value, 'an array of { index, op, value, mask? }')
  const args = value.map((arg, i) => argComparison(arg, `${path}[${i}]`))
  // Several comparisons on one argument are fine (the planner splits them into rules libseccomp can
  // take), but not when together they can never hold.
  const asCmps = args.map((c) => ({ index: c.index, op: c.op, value: BigInt(c.value), ...(c.mask ? { mask: BigInt(c.mask) } : {}) }))
  if (args.length > 1 && termOf(asCmps).length === 0) {
    throw new OptionError(path, value.map(show), 'comparisons that can hold together (these never all match, so the rule would never apply)')
  }
  return args
}

function argComparison(arg: unknown, path: string): PolicyArgComparison {
  const shape = '{ index: 0..5, op: "eq" | "ne" | "lt" | "le" | "gt" | "ge" | "masked_eq", value, mask? (masked_eq only) }'
  if (!isPlainObject(arg)) throw new OptionError(path, arg, shape)
  checkKeys(arg, ['index', 'op', 'value', 'mask'], path, shape)
  const { index, op } = arg
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > 5) {
    throw new OptionError(`${path}.index`, index, 'an argument index from 0 to 5 (system calls have at most six arguments)')
  }
  if (typeof op !== 'string' || !OPS.includes(op as ArgOp)) {
    throw new OptionError(`${path}.op`, op, OPS.map((o) => `"${o}"`).join(', '))
  }
  if (arg.value === undefined) throw new OptionError(`${path}.value`, undefined, 'a number, bigint, numeric string or constant name such as "AF_NETLINK"')
  const value = parseValue(arg.value)
  if (typeof value !== 'bigint') throw new OptionError(`${path}.value`, show(arg.value), value.error)
  if (op !== 'masked_eq') {
    if (arg.mask !== undefined) throw new OptionError(`${path}.mask`, show(arg.mask), `nothing: a mask only goes with op "masked_eq" (this comparison is "${op}")`)
    if ((op === 'lt' && value === 0n) || (op === 'gt' && value === U64_MAX)) {
      throw new OptionError(`${path}.value`, show(arg.value), `a value that op "${op}" can match (arguments are unsigned 64-bit: nothing is ${op === 'lt' ? 'below 0' : 'above 2^64-1'})`)
    }
    return { index, op: op as ArgOp, value: hex(value) }
  }
  if (arg.mask === undefined) throw new OptionError(`${path}.mask`, undefined, 'a mask: op "masked_eq" matches when (argument & mask) === value')
  const mask = parseValue(arg.mask)
  if (typeof mask !== 'bigint') throw new OptionError(`${path}.mask`, show(arg.mask), mask.error)
  if ((value & ~mask) !== 0n) {
    throw new OptionError(`${path}.value`, show(arg.value), `a value within the mask ${hex(mask)} ((argument & mask) can never equal ${hex(value)})`)
  }
  return { index, op: 'masked_eq', value: hex(value), mask: hex(mask) }
}

function checkKeys(object: Record<string, unknown>, allowed: string[], path: string, expected: string): void {
  for (const key of Object.keys(object)) {
    if (!allowed.includes(key)) throw new OptionError(`${path}.${key}`, object[key], `no such key; ${expected}`)
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** OptionError's describe() cannot JSON a bigint. */
function show(value: unknown): unknown {
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, show(v)]))
  }
  return value
}
