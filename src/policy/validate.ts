/**
 * Shape validation of the user's options. Pure: it never touches the filesystem. Each problem is an
 * OptionError naming the option path, the value and what is accepted; all of them are reported at
 * once (OptionsError), so a config with two typos fails the run once, before any test starts,
 * instead of silently weakening the sandbox or costing one run per typo.
 *
 * Each option has one validator in the tables below; an option's key is known exactly when it has
 * a validator, so a new option is one entry here (and its resolution in resolve.ts).
 */
import path from 'node:path'
import { OptionError, Problems } from './errors.js'
import { validateRootfsOption } from '../rootfs/option.js'
import { closest } from './suggest.js'
import { parseSize } from '../cgroup/limits.js'
import { validateLimitsOption } from './extensions.js'
import { validateSeccompOption } from '../seccomp/validate.js'
import { isGlob } from './resolve.js'
import { validateForwards } from '../relay/entries.js'
import type { NsjailOptions, Rule } from './types.js'

/** Checks one option's value (`option` is its path, for messages): throws or adds to `problems`. */
type Validator = (value: unknown, option: string, problems: Problems) => void

/** The largest valid id: (uid_t)-1 means "no change" to the kernel. */
const MAX_ID = 2 ** 32 - 2

const HOSTNAME = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** `option` for the top level is '', else e.g. `rules[0]` or `fs`. */
function join(option: string, key: string): string {
  return option ? `${option}.${key}` : key
}

/** Reports every key of `value` that is not in `allowed`, with the closest known one. */
export function checkKeys(value: Record<string, unknown>, option: string, allowed: readonly string[], problems: Problems): void {
  for (const key of Object.keys(value)) {
    if (allowed.includes(key)) continue
    const guess = closest(key, allowed)
    problems.add(new OptionError(join(option, key), value[key],
      `one of the known options${guess ? ` (did you mean \`${join(option, guess)}\`?)` : ''}: ${allowed.join(', ')}`))
  }
}

/** Validates each known key present in `value` with its validator, after reporting unknown keys. */
function checkObject(value: Record<string, unknown>, option: string, validators: Record<string, Validator>, problems: Problems): void {
  checkKeys(value, option, Object.keys(validators), problems)
  for (const [key, validate] of Object.entries(validators)) {
    if (value[key] !== undefined) problems.check(() => validate(value[key], join(option, key), problems))
  }
}

function stringArray(what: string): Validator {
  return (value, option, problems) => {
    if (!Array.isArray(value)) throw new OptionError(option, value, `an array of ${what}`)
    value.forEach((item, i) => {
      if (typeof item !== 'string' || item === '') problems.add(new OptionError(`${option}[${i}]`, item, `a non-empty string (${what})`))
    })
  }
}

function section(shape: string, validators: Record<string, Validator>): Validator {
  return (value, option, problems) => {
    if (!isPlainObject(value)) throw new OptionError(option, value, shape)
    checkObject(value, option, validators, problems)
  }
}

const FS: Record<string, Validator> = {
  readonly: stringArray('host paths'),
  writable: stringArray('host paths'),
  tmpSize: (value, option) => {
    if (parseSize(value) === null) throw new OptionError(option, value, `a size such as '256M' or '1G'`)
  },
  hide: (value, option, problems) => {
    stringArray('paths, or globs relative to the project root')(value, option, problems)
    const items = value as unknown[]
    items.forEach((item, i) => {
      if (typeof item !== 'string' || item === '') return
      if (item.startsWith('!')) {
        problems.add(new OptionError(`${option}[${i}]`, item, 'a path or glob to hide; to show a hidden path, name it in fs.readonly instead of negating it here'))
      } else if (isGlob(item) && (path.isAbsolute(item) || item.split('/').includes('..'))) {
        problems.add(new OptionError(`${option}[${i}]`, item, 'a glob relative to the project root, inside it (globs match files in the project); name a path outside the project without wildcards'))
      }
    })
  },
}

const ENV: Record<string, Validator> = {
  allow: stringArray('variable name globs'),
  set: (value, option, problems) => {
    if (!isPlainObject(value)) throw new OptionError(option, value, 'an object of variable names to string values')
    for (const [key, item] of Object.entries(value)) {
      if (typeof item !== 'string') problems.add(new OptionError(`${option}.${key}`, item, 'a string'))
    }
  },
}

/** Options that may differ per test file: allowed at the top level and in each rule. */
const SANDBOX: Record<string, Validator> = {
  network: (value, option, problems) => {
    if (value === 'loopback' || value === 'host') return
    if (!isPlainObject(value)) {
      throw new OptionError(option, value, `'loopback' (a private network with only lo), 'host', or { forward: [...] } (only the listed host services)`)
    }
    checkObject(value, option, { forward: validateForwards }, problems)
    if (value.forward === undefined) throw new OptionError(`${option}.forward`, undefined, 'an array of the host services to reach, e.g. [\'127.0.0.1:5432\']')
  },
  fs: section('{ readonly?, writable?, tmpSize?, hide? }', FS),
  env: section('{ allow?, set? }', ENV),
  hostname: (value, option) => {
    if (typeof value !== 'string' || !HOSTNAME.test(value)) {
      throw new OptionError(option, value, 'a hostname of letters, digits and inner hyphens (at most 63 characters)')
    }
  },
  rootfs: (value, option, problems) => validateRootfsOption(value, option, problems),
  seccomp: (value, option) => validateSeccompOption(value, option),
  limits: (value, option) => validateLimitsOption(value, option),
}

const RULE: Record<string, Validator> = {
  files: (value, option) => {
    const list = typeof value === 'string' ? [value] : value
    if (!Array.isArray(list) || list.length === 0 || list.some((f) => typeof f !== 'string' || f === '')) {
      throw new OptionError(option, value, 'a glob or a non-empty array of globs, relative to the project root')
    }
  },
  ...SANDBOX,
}

/** Each spare is an idle Node process (tens of MiB): more than this per policy is a mistake. */
const MAX_PREWARM = 16

/** Options of the run as a whole (top level only). */
const TOP: Record<string, Validator> = {
  ...SANDBOX,
  bwrap: (value, option) => {
    if (typeof value !== 'string' || value === '') throw new OptionError(option, value, 'the path of the bwrap executable')
  },
  cgroups: (value, option) => {
    if (value !== 'auto' && value !== 'required' && value !== false) throw new OptionError(option, value, `'auto', 'required' or false`)
  },
  prewarm: (value, option) => {
    if (value === false) return
    if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > MAX_PREWARM) {
      throw new OptionError(option, value, `false, or the number of spare sandboxes kept ready per policy, from 0 to ${MAX_PREWARM}`)
    }
  },
  user: (value, option, problems) => {
    if (value === 'owner' || value === 'nobody') return
    const expected = `'owner' (the project's owner, nobody when that is root), 'nobody', or { uid, gid } (numbers other than 0)`
    if (!isPlainObject(value)) throw new OptionError(option, value, expected)
    checkKeys(value, option, ['uid', 'gid'], problems)
    for (const key of ['uid', 'gid']) {
      const id = value[key]
      if (!Number.isInteger(id) || (id as number) < 1 || (id as number) > MAX_ID) {
        problems.add(new OptionError(`${option}.${key}`, id, `a ${key} from 1 to ${MAX_ID}: the worker never runs as root (0)`))
      }
    }
  },
  report: (value, option) => {
    if (typeof value !== 'string' || value === '' || value.includes('\0') || value.endsWith('/')) {
      throw new OptionError(option, value, "the path of a JSON file to write the sandbox's report to, e.g. 'nsjail-report.json'")
    }
  },
  onUnsupported: (value, option) => {
    if (value !== 'error' && value !== 'warn') throw new OptionError(option, value, `'error' (fail on a machine that cannot sandbox) or 'warn' (run unsandboxed, with a warning)`)
  },
  rules: (value, option, problems) => {
    if (!Array.isArray(value)) throw new OptionError(option, value, 'an array of { files, ...options }')
    value.forEach((rule: unknown, i: number) => {
      const at = `${option}[${i}]`
      if (!isPlainObject(rule)) return problems.add(new OptionError(at, rule, '{ files, ...options }'))
      // `files` is required: its validator reports it missing too.
      if ((rule as Partial<Rule>).files === undefined) problems.check(() => RULE.files(undefined, `${at}.files`, problems))
      checkObject(rule, at, RULE, problems)
    })
  },
}

/** Validates everything the user passed to `nsjail()` / `nsjailPool()`. Throws OptionsError. */
export function validateOptions(options: unknown): NsjailOptions {
  if (options === undefined) return {}
  const problems = new Problems()
  if (!isPlainObject(options)) problems.add(new OptionError('options', options, 'an object'))
  else checkObject(options, '', TOP, problems)
  problems.throwIfAny()
  return options as NsjailOptions
}
