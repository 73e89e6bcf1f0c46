/**
 * Whether a rewrite of a test file is one Vitest's inline-snapshot writer could have made: the new
 * content may differ from the file on disk only inside the snapshot literal of
 * `toMatchInlineSnapshot(…)` / `toThrowErrorMatchingInlineSnapshot(…)` calls, and only by a template
 * literal without substitutions. The request comes from the sandbox, where test code can forge it;
 * this check is what keeps a forged one from putting code into the test file. Pure.
 *
 * What Vitest writes (@vitest/snapshot, saveInlineSnapshots → replaceInlineSnap / replaceObjectSnap,
 * prepareSnapString), per call site, all else left as it was:
 * - `(…'old')`, `(…"old")`, `` (…`old`) `` (after optional comments and an identifier such as a tag):
 *   the quoted literal is overwritten by `` `new` ``;
 * - `()` (comments inside allowed): `` `new` `` is inserted before the `)`;
 * - `({ shape })`: `` , `new` `` is inserted after the shape; `({ shape }, 'old')` (anything between
 *   the shape's `}` and the call's `)`) is overwritten by `` , `new` ``.
 * `` `new` `` escapes `\`, `` ` `` and `${`, so it has no substitution and ends where it should. In an
 * `update: 'new'` run Vitest only fills snapshots that are missing, so there an existing literal must
 * stay as it is.
 */
import { LexError, plainTemplateEnd, tokenize, type Token } from './js-tokens.js'

const CALLS = new Set(['toMatchInlineSnapshot', 'toThrowErrorMatchingInlineSnapshot'])

/** A place in the file on disk that Vitest's writer may replace: [start, end). */
interface Slot {
  start: number
  end: number
  /** `literal`: a quoted literal; `empty`: `()`; `after-shape`: between a property matcher and `)`. */
  kind: 'literal' | 'empty' | 'after-shape'
  /** Whether the slot holds a snapshot already (an update, not an addition, changes it). */
  filled: boolean
}

const significant = (t: Token) => t.type !== 'space' && t.type !== 'comment'

/** The snapshot slots of every inline-snapshot call in `source` that is code (not a comment or string). */
export function inlineSnapshotSlots(source: string): Slot[] {
  const tokens = tokenize(source)
  const text = (t: Token | undefined) => (t ? source.slice(t.start, t.end) : '')
  const nextSignificant = (from: number) => {
    let i = from
    while (i < tokens.length && !significant(tokens[i])) i++
    return i
  }
  const slots: Slot[] = []
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i].type !== 'name' || !CALLS.has(text(tokens[i]))) continue
    const open = nextSignificant(i + 1)
    if (text(tokens[open]) !== '(') continue
    const first = nextSignificant(open + 1)
    const token = tokens[first]
    if (!token) continue
    if (text(token) === ')') {
      slots.push({ start: token.start, end: token.start, kind: 'empty', filled: false })
    } else if (isLiteral(token)) {
      slots.push({ start: token.start, end: token.end, kind: 'literal', filled: true })
    } else if (token.type === 'name' && isLiteral(tokens[first + 1])) {
      // An identifier right before the quote (a tag): Vitest keeps it and replaces the literal.
      slots.push({ start: tokens[first + 1].start, end: tokens[first + 1].end, kind: 'literal', filled: true })
    } else if (text(token) === '{') {
      const slot = afterShape(tokens, first, text)
      if (slot) slots.push(slot)
    }
  }
  return slots
}

function isLiteral(token: Token | undefined): boolean {
  return token?.type === 'string' || token?.type === 'template'
}

/**
 * The part of `({ shape } …)` after the shape's `}` and before the call's `)`, when it holds nothing
 * but commas, comments and at most one literal (anything else is no snapshot of Vitest's making).
 */
function afterShape(tokens: Token[], open: number, text: (t: Token | undefined) => string): Slot | null {
  let depth = 0
  let close = open
  for (; close < tokens.length; close++) {
    const t = text(tokens[close])
    if (tokens[close].type !== 'punct') continue
    if (t === '{') depth++
    else if (t === '}' && --depth === 0) break
  }
  if (close >= tokens.length) return null
  let literals = 0
  for (let i = close + 1; i < tokens.length; i++) {
    const token = tokens[i]
    if (text(token) === ')') return { start: tokens[close].end, end: token.start, kind: 'after-shape', filled: literals > 0 }
    if (isLiteral(token)) literals++
    else if (significant(token) && text(token) !== ',') return null
    if (literals > 1) return null
  }
  return null
}

/** Where Vitest's replacement for `slot` would end if it starts at `at` in `next`, or why there is none. */
function replacementEnd(next: string, at: number, slot: Slot): number | string {
  if (slot.kind !== 'after-shape') return plainTemplateEnd(next, at)
  if (next[at] !== ',') return 'after a property matcher, Vitest writes ", `snapshot`"'
  let i = at + 1
  while (/\s/.test(next[i] ?? '')) i++
  return plainTemplateEnd(next, i)
}

/**
 * Null when `next` is `current` with snapshot slots filled or updated as Vitest does (in `update:
 * 'new'`, only empty slots filled); otherwise why not.
 */
export function inlineRewriteRefusal(current: string, next: string, mode: 'new' | 'all'): string | null {
  let slots: Slot[]
  try {
    slots = inlineSnapshotSlots(current)
  } catch (error) {
    if (error instanceof LexError) return `the test file on disk could not be read as JavaScript (${error.message})`
    throw error
  }
  // The unchanged text before the first slot, between slots, and after the last one.
  const gaps = [0, ...slots.map((s) => s.end)].map((from, i) => current.slice(from, slots[i]?.start ?? current.length))
  if (!next.startsWith(gaps[0])) return outside(next, 0)
  let at = gaps[0].length
  for (const [i, slot] of slots.entries()) {
    const old = current.slice(slot.start, slot.end)
    const gap = gaps[i + 1]
    const end = replacementEnd(next, at, slot)
    if (typeof end === 'number' && next.startsWith(gap, end)) {
      if (slot.filled && mode === 'new' && next.slice(at, end) !== old) {
        return "it changes an existing inline snapshot, which a run that only adds snapshots (update: 'new') never does. Update it with -u."
      }
      at = end + gap.length
    } else if (next.startsWith(old, at) && next.startsWith(gap, at + old.length)) {
      at += old.length + gap.length
    } else {
      return typeof end === 'string' && !next.startsWith(old, at) ? `${end} (${where(next, at)})` : outside(next, at)
    }
  }
  return at === next.length ? null : outside(next, at)
}

function where(text: string, at: number): string {
  return `line ${text.slice(0, at).split('\n').length}`
}

function outside(next: string, at: number): string {
  return `it changes the file outside inline-snapshot literals (${where(next, at)}); only the literals of toMatchInlineSnapshot / toThrowErrorMatchingInlineSnapshot are written back`
}
