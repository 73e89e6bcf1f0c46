import { describe, expect, it } from 'vitest'
import { OptionError } from '../../src/policy/errors.js'
import {
  DEFAULT_LIMITS,
  describeLimits,
  formatBytes,
  formatDuration,
  parseDuration,
  parseSize,
  resolveLimits,
} from '../../src/cgroup/limits.js'

const M = 2 ** 20
const G = 2 ** 30

describe('parseSize', () => {
  it.each([
    ['512M', 512 * M],
    ['2G', 2 * G],
    ['1.5G', 1.5 * G],
    ['512MiB', 512 * M],
    ['512Mi', 512 * M],
    ['512mb', 512 * M],
    ['64k', 64 * 1024],
    [' 1 T ', 2 ** 40],
    ['100', 100],
    ['100b', 100],
    [.5 * G, .5 * G],
  ])('%j is %d bytes', (value, bytes) => expect(parseSize(value)).toBe(bytes))

  it.each(['', 'M', '-1M', '0', '1X', '1 GB extra', '1.5.5G', '100i', 0, -5, 1.5, NaN, null, true, {}])('rejects %j', (value) =>
    expect(parseSize(value)).toBeNull(),
  )
})

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['10m', 600_000],
    ['1h', 3_600_000],
    ['1.5h', 5_400_000],
    ['1h30m', 5_400_000],
    ['2m 5s', 125_000],
    [1500, 1500],
  ])('%j is %d ms', (value, ms) => expect(parseDuration(value)).toBe(ms))

  it.each(['', '10', '10x', 'm', '-1s', '0s', 0, -1, Infinity, null, false])('rejects %j', (value) =>
    expect(parseDuration(value)).toBeNull(),
  )
})

describe('formatting', () => {
  it('formats bytes in binary units', () => {
    expect(formatBytes(512 * M)).toBe('512 MiB')
    expect(formatBytes(1.5 * G)).toBe('1.5 GiB')
    expect(formatBytes(2 * G)).toBe('2 GiB')
    expect(formatBytes(64 * 1024)).toBe('64 KiB')
    expect(formatBytes(100)).toBe('100 B')
  })
  it('formats durations', () => {
    expect(formatDuration(500)).toBe('500 ms')
    expect(formatDuration(30_000)).toBe('30 s')
    expect(formatDuration(600_000)).toBe('10 min')
    expect(formatDuration(5_400_000)).toBe('1.5 h')
  })
  it('describes limits', () => {
    expect(describeLimits(DEFAULT_LIMITS)).toBe('memory 2 GiB, pids 512, cpu unlimited, wall time unlimited')
  })
})

describe('resolveLimits', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_LIMITS).toEqual({ memory: 2 * G, pids: 512, cpu: null, wallTimeMs: null })
    expect(Object.isFrozen(DEFAULT_LIMITS)).toBe(true)
  })

  it('keeps the base for absent keys and undefined', () => {
    expect(resolveLimits(undefined, 'limits', DEFAULT_LIMITS)).toEqual(DEFAULT_LIMITS)
    expect(resolveLimits({}, 'limits', DEFAULT_LIMITS)).toEqual(DEFAULT_LIMITS)
    expect(resolveLimits({ cpu: 0.5 }, 'limits', DEFAULT_LIMITS)).toEqual({ ...DEFAULT_LIMITS, cpu: 0.5 })
  })

  it('applies every key, and false lifts a limit', () => {
    expect(resolveLimits({ memory: '512M', pids: 64, cpu: 1.5, wallTime: '10m' }, 'limits', DEFAULT_LIMITS)).toEqual({
      memory: 512 * M,
      pids: 64,
      cpu: 1.5,
      wallTimeMs: 600_000,
    })
    const top = resolveLimits({ cpu: 2, wallTime: '30s' }, 'limits', DEFAULT_LIMITS)
    expect(resolveLimits({ memory: false, pids: false, cpu: false, wallTime: false }, 'rules[0].limits', top)).toEqual({
      memory: null,
      pids: null,
      cpu: null,
      wallTimeMs: null,
    })
  })

  it('layers rules over the top level', () => {
    const top = resolveLimits({ memory: '1G' }, 'limits', DEFAULT_LIMITS)
    const file = resolveLimits({ pids: 32 }, 'rules[1].limits', top)
    expect(file).toEqual({ memory: G, pids: 32, cpu: null, wallTimeMs: null })
    expect(top.pids).toBe(512) // not mutated
  })

  it.each([
    ['rules[0].limits', '512M', 'rules[0].limits', 'an object such as'],
    ['limits', { memory: '512X' }, 'limits.memory', "'512M', '2G', '1.5G' or '512MiB'"],
    ['limits', { memory: 1000 }, 'limits.memory', 'at least 1M'],
    ['limits', { memory: true }, 'limits.memory', 'false for no limit'],
    ['limits', { pids: 1.5 }, 'limits.pids', 'a whole number of tasks'],
    ['limits', { pids: '64' }, 'limits.pids', 'a whole number of tasks'],
    ['limits', { cpu: 0 }, 'limits.cpu', 'at least 0.01'],
    ['rules[3].limits', { wallTime: '10 minutes' }, 'rules[3].limits.wallTime', "'500ms', '30s', '10m' or '1h'"],
    ['limits', { memroy: '1G' }, 'limits.memroy', 'known: memory, pids, cpu, wallTime'],
  ])('%s = %j is refused, naming %s', (option, value, path, expected) => {
    let error: unknown
    try {
      resolveLimits(value, option, DEFAULT_LIMITS)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(OptionError)
    expect((error as OptionError).option).toBe(path)
    expect((error as Error).message).toContain(`\`${path}\``)
    expect((error as Error).message).toContain(expected)
  })

  it('names the value in the message', () => {
    expect(() => resolveLimits({ memory: '512X' }, 'limits', DEFAULT_LIMITS)).toThrow('"512X"')
  })
})
