/**
 * Shape validation of the user's options. Pure: it never touches the filesystem. Each failure is an
 * OptionError naming the option path, the value and what is accepted, so a typo fails the run before
 * any test starts instead of silently weakening the sandbox.
 */
import { OptionError } from './errors.js'
import { parseSize } from '../cgroup/limits.js'
import type { NsjailOptions, Rule, SandboxOptions } from './types.js'

const SANDBOX_KEYS = ['network', 'fs', 'env', 'hostname', 'seccomp', 'limits'] as const
const TOP_KEYS = [...SANDBOX_KEYS, 'bwrap', 'cgroups', 'rules'] as const
const RULE_KEYS = ['files', ...SANDBOX_KEYS] as const
const FS_KEYS = ['readonly', 'writable', 'tmpSize']
const ENV_KEYS = ['allow', 'set']
const HOSTNAME = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function checkKeys(value: Record<string, unknown>, option: string, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new OptionError(option ? `${option}.${key}` : key, value[key], `one of the known options: ${allowed.join(', ')}`)
    }
  }
}

function checkStringArray(value: unknown, option: string, what: string): void {
  if (!Array.isArray(value)) throw new OptionError(option, value, `an array of ${what}`)
  value.forEach((item, i) => {
    if (typeof item !== 'string' || item === '') throw new OptionError(`${option}[${i}]`, item, `a non-empty string (${what})`)
  })
}

/** Validates the options that may differ per file; `at` is the option path prefix ('' or 'rules[2]'). */
function checkSandboxOptions(options: SandboxOptions & Record<string, unknown>, at: string): void {
  const name = (key: string) => (at ? `${at}.${key}` : key)
  if (options.network !== undefined && options.network !== 'loopback' && options.network !== 'host') {
    throw new OptionError(name('network'), options.network, `'loopback' (a private network with only lo) or 'host'`)
  }
  if (options.hostname !== undefined && (typeof options.hostname !== 'string' || !HOSTNAME.test(options.hostname))) {
    throw new OptionError(name('hostname'), options.hostname, 'a hostname of letters, digits and inner hyphens (at most 63 characters)')
  }
  if (options.fs !== undefined) {
    if (!isPlainObject(options.fs)) throw new OptionError(name('fs'), options.fs, '{ readonly?, writable?, tmpSize? }')
    checkKeys(options.fs, name('fs'), FS_KEYS)
    if (options.fs.readonly !== undefined) checkStringArray(options.fs.readonly, name('fs.readonly'), 'host paths')
    if (options.fs.writable !== undefined) checkStringArray(options.fs.writable, name('fs.writable'), 'host paths')
    if (options.fs.tmpSize !== undefined && parseSize(options.fs.tmpSize) === null) {
      throw new OptionError(name('fs.tmpSize'), options.fs.tmpSize, `a size such as '256M' or '1G'`)
    }
  }
  if (options.env !== undefined) {
    if (!isPlainObject(options.env)) throw new OptionError(name('env'), options.env, '{ allow?, set? }')
    checkKeys(options.env, name('env'), ENV_KEYS)
    if (options.env.allow !== undefined) checkStringArray(options.env.allow, name('env.allow'), 'variable name globs')
    if (options.env.set !== undefined) {
      if (!isPlainObject(options.env.set)) throw new OptionError(name('env.set'), options.env.set, 'an object of variable names to string values')
      for (const [key, value] of Object.entries(options.env.set)) {
        if (typeof value !== 'string') throw new OptionError(name(`env.set.${key}`), value, 'a string')
      }
    }
  }
}

/** Validates everything the user passed to `nsjail()` / `nsjailPool()`. Throws OptionError. */
export function validateOptions(options: unknown): NsjailOptions {
  if (options === undefined) return {}
  if (!isPlainObject(options)) throw new OptionError('options', options, 'an object')
  checkKeys(options, '', TOP_KEYS)
  checkSandboxOptions(options, '')
  if (options.bwrap !== undefined && (typeof options.bwrap !== 'string' || options.bwrap === '')) {
    throw new OptionError('bwrap', options.bwrap, 'the path of the bwrap executable')
  }
  if (options.cgroups !== undefined && options.cgroups !== 'auto' && options.cgroups !== 'required' && options.cgroups !== false) {
    throw new OptionError('cgroups', options.cgroups, `'auto', 'required' or false`)
  }
  if (options.rules !== undefined) {
    if (!Array.isArray(options.rules)) throw new OptionError('rules', options.rules, 'an array of { files, ...options }')
    options.rules.forEach((rule: unknown, i: number) => {
      const at = `rules[${i}]`
      if (!isPlainObject(rule)) throw new OptionError(at, rule, '{ files, ...options }')
      checkKeys(rule, at, RULE_KEYS)
      const files = (rule as Partial<Rule>).files
      const list = typeof files === 'string' ? [files] : files
      if (!Array.isArray(list) || list.length === 0 || list.some((f) => typeof f !== 'string' || f === '')) {
        throw new OptionError(`${at}.files`, files, 'a glob or a non-empty array of globs, relative to the project root')
      }
      checkSandboxOptions(rule, at)
    })
  }
  return options as NsjailOptions
}
