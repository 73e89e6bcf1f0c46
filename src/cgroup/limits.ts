/**
 * The `limits` option: parsing, validation and defaults. Pure: no file system, no process state.
 */
import { OptionError } from '../policy/errors.js'
import { closest } from '../policy/suggest.js'
import type { Limits } from './types.js'
import { formatBytes, GiB, KiB, MiB, TiB } from './sizes.js'

export { formatBytes }

/** memory 2 GiB, 512 tasks, no CPU cap, no wall-clock limit. */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  memory: 2 * GiB,
  pids: 512,
  cpu: null,
  wallTimeMs: null,
})

/** Smallest accepted memory limit: below this not even the sandbox's launcher starts. */
export const MIN_MEMORY = MiB
/** cgroup CPU quotas are counted in microseconds per 100 ms period; the kernel's floor is 1 ms. */
export const MIN_CPU = 0.01

const SIZE_UNITS: Record<string, number> = { '': 1, k: KiB, m: MiB, g: GiB, t: TiB }

/**
 * '512M', '2G', '1.5G', '512MiB', '512Mi', '512mb', '64k', '1073741824', or a number of bytes.
 * Units are binary whatever the spelling (M = MB = MiB = 2^20), as in Docker and systemd.
 * Returns null when the value is not a positive size.
 */
export function parseSize(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? value : null
  if (typeof value !== 'string') return null
  const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([kmgt](?:i?b|i)?|b)?\s*$/i.exec(value)
  if (!match) return null
  const unit = (match[2] ?? '').charAt(0).toLowerCase()
  const bytes = Math.floor(Number(match[1]) * SIZE_UNITS[unit === 'b' ? '' : unit])
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : null
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/**
 * '500ms', '30s', '10m', '1h', '1.5h', '1h30m', or a number of milliseconds.
 * Returns null when the value is not a positive duration.
 */
export function parseDuration(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? Math.ceil(value) : null
  if (typeof value !== 'string') return null
  const text = value.trim().toLowerCase()
  if (!/^(?:(?:\d+(?:\.\d+)?|\.\d+)\s*(?:ms|s|m|h)\s*)+$/.test(text)) return null
  let total = 0
  for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h)/g)) {
    total += Number(amount) * DURATION_UNITS[unit]
  }
  total = Math.ceil(total)
  return Number.isSafeInteger(total) && total > 0 ? total : null
}

/** For messages: `500 ms`, `30 s`, `10 min`, `1.5 h`. */
export function formatDuration(ms: number): string {
  if (ms >= 3_600_000) return `${Number((ms / 3_600_000).toFixed(2))} h`
  if (ms >= 60_000) return `${Number((ms / 60_000).toFixed(2))} min`
  if (ms >= 1000) return `${Number((ms / 1000).toFixed(2))} s`
  return `${ms} ms`
}

const KEYS = ['memory', 'pids', 'cpu', 'wallTime'] as const

/**
 * `alsoKnown`: the keys of `limits` other modules own (the host's budgets, src/channel/budgets.ts).
 * Applies a user's `limits` value on top of `base` (the defaults, or the limits a file already has
 * from the top level and earlier rules). Keys that are absent keep the base value; `false` lifts a
 * limit. `option` is the option's path for messages, e.g. `limits` or `rules[0].limits`.
 * Throws OptionError naming the offending key, its value and what is accepted.
 */
export function resolveLimits(value: unknown, option: string, base: Limits, alsoKnown: readonly string[] = []): Limits {
  if (value === undefined) return { ...base }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new OptionError(option, value, "an object such as { memory: '2G', pids: 512, cpu: 1.5, wallTime: '10m' }")
  }
  const given = value as Record<string, unknown>
  for (const key of Object.keys(given)) {
    if (!(KEYS as readonly string[]).includes(key) && !alsoKnown.includes(key)) {
      const known = [...KEYS, ...alsoKnown]
      const guess = closest(key, known)
      throw new OptionError(`${option}.${key}`, given[key], `no such limit${guess ? ` (did you mean \`${option}.${guess}\`?)` : ''} (known: ${known.join(', ')})`)
    }
  }
  const result: Limits = { ...base }

  if (given.memory !== undefined) {
    if (given.memory === false) result.memory = null
    else {
      const bytes = parseSize(given.memory)
      if (bytes === null || bytes < MIN_MEMORY) {
        throw new OptionError(
          `${option}.memory`,
          given.memory,
          "a size of at least 1M such as '512M', '2G', '1.5G' or '512MiB' (binary units), a number of bytes, or false for no limit",
        )
      }
      result.memory = bytes
    }
  }

  if (given.pids !== undefined) {
    if (given.pids === false) result.pids = null
    else if (typeof given.pids === 'number' && Number.isSafeInteger(given.pids) && given.pids >= 1) result.pids = given.pids
    else {
      throw new OptionError(
        `${option}.pids`,
        given.pids,
        'a whole number of tasks (processes and threads; Node.js alone uses about 12), or false for no limit',
      )
    }
  }

  if (given.cpu !== undefined) {
    if (given.cpu === false) result.cpu = null
    else if (typeof given.cpu === 'number' && Number.isFinite(given.cpu) && given.cpu >= MIN_CPU) result.cpu = given.cpu
    else {
      throw new OptionError(`${option}.cpu`, given.cpu, `a number of CPU cores of at least ${MIN_CPU}, such as 0.5 or 2, or false for no limit`)
    }
  }

  if (given.wallTime !== undefined) {
    if (given.wallTime === false) result.wallTimeMs = null
    else {
      const ms = parseDuration(given.wallTime)
      if (ms === null) {
        throw new OptionError(
          `${option}.wallTime`,
          given.wallTime,
          "a duration such as '500ms', '30s', '10m' or '1h', a number of milliseconds, or false for no limit",
        )
      }
      result.wallTimeMs = ms
    }
  }
  return result
}

/** One line for messages and logs: `memory 512 MiB, pids 64, cpu 0.5, wall time 10 min`. */
export function describeLimits(limits: Limits): string {
  return [
    `memory ${limits.memory === null ? 'unlimited' : formatBytes(limits.memory)}`,
    `pids ${limits.pids ?? 'unlimited'}`,
    `cpu ${limits.cpu ?? 'unlimited'}`,
    `wall time ${limits.wallTimeMs === null ? 'unlimited' : formatDuration(limits.wallTimeMs)}`,
  ].join(', ')
}
