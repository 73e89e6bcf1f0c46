/**
 * Boolean algebra over libseccomp argument comparisons. Pure.
 *
 * libseccomp's model: a rule is an AND of comparisons, at most one per argument; rules for one
 * syscall with the same action are ORed; rules with different actions must not overlap (libseccomp
 * evaluates overlapping chains in an internal order, so the winner would be unspecified). The
 * planner therefore needs "this rule AND NOT those earlier rules" in that shape: a disjunction
 * (DNF) of terms, each term at most one comparison per argument. This module provides it, merging
 * two comparisons on one argument into one where possible and otherwise splitting them into
 * masked_eq "cubes" (aligned bit patterns), which always merge.
 */
import { U64_MAX } from './constants.js'
import type { ArgOp } from './types.js'

/** One comparison; `mask` only for masked_eq: matches when (arg & mask) === value. */
export interface Cmp {
  index: number
  op: ArgOp
  value: bigint
  mask?: bigint
}

/** AND of comparisons, at most one per argument, sorted by index. Empty = always true. */
export type Term = Cmp[]

/** OR of terms. Empty = never. */
export type Dnf = Term[]

export const ALWAYS: Dnf = [[]]
export const NEVER: Dnf = []

/** Thrown when a condition needs more rules than `limit`. */
export class TooComplexError extends Error {}

const bit = (b: number) => 1n << BigInt(b)

export function test(c: Cmp, v: bigint): boolean {
  switch (c.op) {
    case 'eq': return v === c.value
    case 'ne': return v !== c.value
    case 'lt': return v < c.value
    case 'le': return v <= c.value
    case 'gt': return v > c.value
    case 'ge': return v >= c.value
    case 'masked_eq': return (v & c.mask!) === c.value
  }
}

/** Canonical form of one comparison: true (always), false (never) or a simplified comparison. */
export function normalize(c: Cmp): Cmp | boolean {
  switch (c.op) {
    case 'masked_eq': {
      const mask = c.mask!
      if ((c.value & ~mask) !== 0n) return false
      if (mask === 0n) return true
      if (mask === U64_MAX) return { index: c.index, op: 'eq', value: c.value }
      return { index: c.index, op: 'masked_eq', value: c.value, mask }
    }
    case 'lt': return c.value === 0n ? false : c.value === 1n ? eq(c.index, 0n) : c
    case 'le': return c.value === U64_MAX ? true : c.value === 0n ? eq(c.index, 0n) : c
    case 'gt': return c.value === U64_MAX ? false : c.value === U64_MAX - 1n ? eq(c.index, U64_MAX) : c
    case 'ge': return c.value === 0n ? true : c.value === U64_MAX ? eq(c.index, U64_MAX) : c
    default: return { index: c.index, op: c.op, value: c.value }
  }
}

const eq = (index: number, value: bigint): Cmp => ({ index, op: 'eq', value })
const masked = (index: number, mask: bigint, value: bigint): Cmp | false => {
  const n = normalize({ index, op: 'masked_eq', mask, value })
  return n === true ? { index, op: 'masked_eq', mask: 0n, value: 0n } : n
}

/** A term from a list of comparisons (AND), or NEVER/ALWAYS shapes, as a DNF. */
export function termOf(cmps: Cmp[], limit = Infinity): Dnf {
  let dnf: Dnf = ALWAYS
  for (const c of cmps) {
    const n = normalize(c)
    if (n === false) return NEVER
    if (n === true) continue
    dnf = and(dnf, [[n]], limit)
  }
  return dnf
}

const isRange = (op: ArgOp) => op === 'lt' || op === 'le' || op === 'gt' || op === 'ge'

/** Inclusive bounds of a range comparison. */
function bounds(c: Cmp): [bigint, bigint] {
  switch (c.op) {
    case 'lt': return [0n, c.value - 1n]
    case 'le': return [0n, c.value]
    case 'gt': return [c.value + 1n, U64_MAX]
    case 'ge': return [c.value, U64_MAX]
    default: throw new Error(`not a range: ${c.op}`)
  }
}

function fromBounds(index: number, lo: bigint, hi: bigint): Cmp[] {
  if (lo > hi) return []
  if (lo === hi) return [eq(index, lo)]
  if (lo === 0n) return [{ index, op: 'le', value: hi }]
  if (hi === U64_MAX) return [{ index, op: 'ge', value: lo }]
  return cubes({ index, op: 'ge', value: lo }, hi)
}

/**
 * Alternatives (OR) of masked_eq/eq comparisons whose union is exactly `c`. For ranges, the classic
 * split of [lo, hi] into aligned power-of-two blocks (at most ~128).
 */
export function cubes(c: Cmp, hiOverride?: bigint): Cmp[] {
  const { index } = c
  if (c.op === 'eq' || c.op === 'masked_eq') return [c]
  if (c.op === 'ne') {
    // arg !== v  ⇔  some bit of arg differs from v's.
    return Array.from({ length: 64 }, (_, b) => masked(index, bit(b), ~c.value & bit(b)) as Cmp)
  }
  let [lo, hi] = bounds(c)
  if (hiOverride !== undefined) hi = hiOverride
  const out: Cmp[] = []
  while (lo <= hi) {
    // The largest aligned block starting at lo: lo's lowest set bit, shrunk until it fits.
    let size = lo === 0n ? 1n << 64n : lo & -lo
    while (lo + size - 1n > hi) size >>= 1n
    const n = masked(index, U64_MAX & ~(size - 1n), lo)
    if (n) out.push(n)
    if (lo + size - 1n >= U64_MAX) break
    lo += size
  }
  return out
}

/**
 * `x AND y` for two comparisons on the same argument, as alternatives (OR) of single comparisons:
 * [] = never, one element = merged.
 */
export function conjoin(x: Cmp, y: Cmp): Cmp[] {
  if (same(x, y)) return [x]
  if (x.op === 'eq') return test(y, x.value) ? [x] : []
  if (y.op === 'eq') return test(x, y.value) ? [y] : []
  if (x.op === 'masked_eq' && y.op === 'masked_eq') {
    const overlap = x.mask! & y.mask!
    if ((x.value & overlap) !== (y.value & overlap)) return []
    const m = masked(x.index, x.mask! | y.mask!, x.value | y.value)
    return m ? [m] : []
  }
  if (x.op === 'ne' && y.op === 'ne') {
    // Split one of them into bit literals: each literal either implies the other ne or is split again.
    return cubes(y).flatMap((cy) => conjoin(cy, x))
  }
  if (x.op === 'ne' || y.op === 'ne') {
    const [ne, other] = x.op === 'ne' ? [x, y] : [y, x]
    if (!test(other, ne.value)) return [other]
    if (other.op === 'masked_eq') {
      // (arg & m) === w and arg !== v, with v itself matching: some bit outside m must differ from v.
      const out: Cmp[] = []
      for (let b = 0; b < 64; b++) {
        if ((other.mask! & bit(b)) !== 0n) continue
        const m = masked(other.index, other.mask! | bit(b), other.value | (~ne.value & bit(b)))
        if (m) out.push(m)
      }
      return out
    }
    // A range containing v.
    const [lo, hi] = bounds(other)
    return [...fromBounds(other.index, lo, ne.value - 1n), ...fromBounds(other.index, ne.value + 1n, hi)]
  }
  if (isRange(x.op) && isRange(y.op)) {
    const [xl, xh] = bounds(x)
    const [yl, yh] = bounds(y)
    const lo = xl > yl ? xl : yl
    const hi = xh < yh ? xh : yh
    return fromBounds(x.index, lo, hi)
  }
  // masked_eq with a range: split the range into cubes, which merge with masked_eq.
  const [range, m] = isRange(x.op) ? [x, y] : [y, x]
  return cubes(range).flatMap((c) => conjoin(c, m))
}

function same(x: Cmp, y: Cmp): boolean {
  return x.index === y.index && x.op === y.op && x.value === y.value && x.mask === y.mask
}

/** x implies y (same argument): merging y into x changes nothing. */
export function implies(x: Cmp, y: Cmp): boolean {
  if (x.op === 'eq') return test(y, x.value)
  if (x.op === 'masked_eq' && y.op === 'masked_eq') return (y.mask! & ~x.mask!) === 0n && (x.value & y.mask!) === y.value
  const merged = conjoin(x, y)
  return merged.length === 1 && same(merged[0]!, x)
}

function termImplies(t1: Term, t2: Term): boolean {
  return t2.every((c2) => t1.some((c1) => c1.index === c2.index && implies(c1, c2)))
}

function andTerms(t1: Term, t2: Term): Dnf {
  let partial: Dnf = [[]]
  const indexes = [...new Set([...t1, ...t2].map((c) => c.index))].sort((a, b) => a - b)
  for (const index of indexes) {
    const a = t1.find((c) => c.index === index)
    const b = t2.find((c) => c.index === index)
    const options = a && b ? conjoin(a, b) : [(a ?? b)!]
    if (options.length === 0) return NEVER
    partial = partial.flatMap((t) => options.map((o) => [...t, o]))
  }
  return partial
}

/** AND of two DNFs, simplified. Throws TooComplexError past `limit` terms. */
export function and(d1: Dnf, d2: Dnf, limit = Infinity): Dnf {
  const out: Dnf = []
  for (const t1 of d1) {
    for (const t2 of d2) {
      out.push(...andTerms(t1, t2))
      if (out.length > limit * 8) throw new TooComplexError(`more than ${limit} rules`)
    }
  }
  const result = simplify(out)
  if (result.length > limit) throw new TooComplexError(`${result.length} rules (limit ${limit})`)
  return result
}

/** NOT of one term: the OR of each comparison's negation. */
export function notTerm(t: Term): Dnf {
  if (t.length === 0) return NEVER
  return simplify(t.flatMap((c) => negate(c).map((n) => [n])))
}

export function not(d: Dnf, limit = Infinity): Dnf {
  let result: Dnf = ALWAYS
  for (const t of d) result = and(result, notTerm(t), limit)
  return result
}

function negate(c: Cmp): Cmp[] {
  const n = (op: ArgOp): Cmp[] => {
    const r = normalize({ index: c.index, op, value: c.value })
    return r === true ? [{ index: c.index, op: 'masked_eq', mask: 0n, value: 0n }] : r === false ? [] : [r]
  }
  switch (c.op) {
    case 'eq': return n('ne')
    case 'ne': return n('eq')
    case 'lt': return n('ge')
    case 'ge': return n('lt')
    case 'le': return n('gt')
    case 'gt': return n('le')
    case 'masked_eq': {
      // (arg & m) !== v  ⇔  some bit of m differs from v's.
      const out: Cmp[] = []
      for (let b = 0; b < 64; b++) {
        if ((c.mask! & bit(b)) === 0n) continue
        const m = masked(c.index, bit(b), ~c.value & bit(b))
        if (m) out.push(m)
      }
      return out
    }
  }
}

/** Drops always-true comparisons, duplicate terms and terms implied by (contained in) another. */
export function simplify(d: Dnf): Dnf {
  const cleaned: Dnf = []
  const keys = new Set<string>()
  for (const t of d) {
    const term = t.filter((c) => !(c.op === 'masked_eq' && c.mask === 0n)).sort((a, b) => a.index - b.index)
    if (term.length === 0) return ALWAYS
    const key = termKey(term)
    if (keys.has(key)) continue
    keys.add(key)
    cleaned.push(term)
  }
  // Most general terms first: they are the ones that contain others.
  cleaned.sort((a, b) => specificity(a) - specificity(b))
  const kept: Dnf = []
  for (const t of cleaned) {
    if (!kept.some((k) => termImplies(t, k))) kept.push(t)
  }
  return kept
}

/** Roughly how many bits a term pins down: fewer = more general. */
function specificity(t: Term): number {
  let n = 0
  for (const c of t) {
    if (c.op === 'masked_eq') {
      for (let m = c.mask!; m !== 0n; m &= m - 1n) n++
    } else n += c.op === 'eq' ? 64 : c.op === 'ne' ? 1 : 2
  }
  return n
}

export function termKey(t: Term): string {
  return t.map((c) => `${c.index}:${c.op}:${c.value.toString(16)}${c.mask === undefined ? '' : `/${c.mask.toString(16)}`}`).join(',')
}
