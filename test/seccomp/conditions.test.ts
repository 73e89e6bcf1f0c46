import { describe, expect, test } from 'vitest'
import { and, cubes, not, termOf, type Cmp, type Dnf } from '../../src/seccomp/conditions.js'
import type { ArgOp } from '../../src/seccomp/types.js'
import { holds } from './oracle.js'

const MAX = (1n << 64n) - 1n
const VALUES = [0n, 1n, 2n, 3n, 5n, 8n, 15n, 16n, 17n, 38n, 40n, 0xffn, 0x5412n, 0xffffffffn, 1n << 32n, (1n << 32n) + 16n, 1n << 63n, MAX - 1n, MAX]
const MASKS = [1n, 3n, 0xfn, 0x10n, 0xffffffffn, 0xffffffff00000000n, MAX]
const OPS: ArgOp[] = ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'masked_eq']

// A deterministic PRNG so failures are reproducible.
function rng(seed: number) {
  let s = seed >>> 0
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s % n
  }
}

const evalCmp = (c: Cmp, args: bigint[]): boolean => holds(c.op, args[c.index]!, c.value, c.mask)
const evalDnf = (d: Dnf, args: bigint[]) => d.some((t) => t.every((c) => evalCmp(c, args)))

function randomCmp(r: (n: number) => number, indexes: number): Cmp {
  const op = OPS[r(OPS.length)]!
  const index = r(indexes)
  if (op === 'masked_eq') {
    const mask = MASKS[r(MASKS.length)]!
    return { index, op, mask, value: VALUES[r(VALUES.length)]! & mask }
  }
  return { index, op, value: VALUES[r(VALUES.length)]! }
}

/** Sample points: the interesting values, ±1 around each constant, on up to two arguments. */
function samples(indexes: number): bigint[][] {
  const points = new Set<bigint>()
  for (const v of VALUES) for (const d of [-1n, 0n, 1n]) if (v + d >= 0n && v + d <= MAX) points.add(v + d)
  for (const m of MASKS) points.add(m).add(~m & MAX)
  const list = [...points]
  if (indexes === 1) return list.map((v) => [v])
  return list.flatMap((a) => [0n, 16n, 0xffffffffn, MAX].map((b) => [a, b]))
}

function libseccompShaped(d: Dnf): void {
  for (const t of d) {
    const indexes = t.map((c) => c.index)
    expect(new Set(indexes).size).toBe(indexes.length)
  }
}

describe('conditions: AND / NOT over comparisons, in the shape libseccomp accepts', () => {
  for (const indexes of [1, 2]) {
    test(`x AND NOT y matches exactly the same arguments (random, ${indexes} argument(s))`, () => {
      const r = rng(indexes * 7919)
      const points = samples(indexes)
      let skippedRounds = 0
      for (let round = 0; round < 300; round++) {
        const x = Array.from({ length: 1 + r(2) }, () => randomCmp(r, indexes))
        const y = Array.from({ length: 1 + r(2) }, () => randomCmp(r, indexes))
        let result: Dnf
        try {
          result = and(termOf(x), not(termOf(y), 2000), 2000)
        } catch {
          skippedRounds++
          continue // too complex for the cap: the planner turns this into a clear error
        }
        libseccompShaped(result)
        for (const args of points) {
          const expected = x.every((c) => evalCmp(c, args)) && !y.every((c) => evalCmp(c, args))
          if (evalDnf(result, args) !== expected) {
            throw new Error(`mismatch for x=${fmt(x)} y=${fmt(y)} args=${args.map(String)}: got ${!expected}`)
          }
        }
      }
      expect(skippedRounds).toBeLessThan(30)
    })
  }

  test('ranges split into aligned masked_eq blocks that cover exactly the range', () => {
    const blocks = cubes({ index: 0, op: 'ge', value: 17n }, 37n)
    expect(blocks.length).toBeLessThanOrEqual(6)
    for (let v = 0n; v < 64n; v++) {
      expect(blocks.some((c) => evalCmp(c, [v]))).toBe(v >= 17n && v <= 37n)
    }
  })

  test('NOT of a 32-bit exact match composes small (the ioctl TIOCSTI/TIOCLINUX case: 35 rules)', () => {
    const is32 = (value: bigint): Cmp => ({ index: 1, op: 'masked_eq', mask: 0xffffffffn, value })
    const allowed = and(not(termOf([is32(0x5412n)])), not(termOf([is32(0x541cn)])))
    expect(allowed).toHaveLength(35)
    expect(evalDnf(allowed, [0n, 0x5412n])).toBe(false)
    expect(evalDnf(allowed, [0n, 0x1_00005412n])).toBe(false) // the kernel reads only the low 32 bits
    expect(evalDnf(allowed, [0n, 0x5401n])).toBe(true)
  })

  test('clone namespace flags: NOT of seven single-flag checks merges into one masked_eq', () => {
    const flags = [0x20000n, 0x2000000n, 0x4000000n, 0x8000000n, 0x10000000n, 0x20000000n, 0x40000000n]
    let allowed: Dnf = [[]]
    for (const f of flags) allowed = and(allowed, not(termOf([{ index: 0, op: 'masked_eq', mask: f, value: f }])))
    expect(allowed).toEqual([[{ index: 0, op: 'masked_eq', mask: 0x7e020000n, value: 0n }]])
  })

  test('contradictions give no rule at all, tautologies an unconditional one', () => {
    expect(termOf([{ index: 0, op: 'eq', value: 1n }, { index: 0, op: 'eq', value: 2n }])).toEqual([])
    expect(termOf([{ index: 0, op: 'lt', value: 0n }])).toEqual([])
    expect(termOf([{ index: 0, op: 'ge', value: 0n }])).toEqual([[]])
    expect(not(termOf([]))).toEqual([])
  })
})

function fmt(cs: Cmp[]): string {
  return cs.map((c) => `a${c.index} ${c.op} ${c.value.toString(16)}${c.mask !== undefined ? `/${c.mask.toString(16)}` : ''}`).join(' & ')
}
