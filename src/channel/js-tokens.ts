/**
 * Just enough of a JavaScript/TypeScript lexer to tell code from what only looks like code: comments,
 * string and template literals (with their `${…}` expressions, nested), regular expression literals.
 * The inline-snapshot check (./inline-snapshots.ts) uses it to find the `toMatchInlineSnapshot(…)`
 * calls that are really calls, never text in a comment or a string, where a literal put in by a
 * forged write could end the comment or string and become code.
 *
 * Regex-or-division is decided by the previous significant token, as lexers without a parser do; a
 * "regex" that would run past the end of its line is lexed as a division instead. Pure.
 */

export type TokenType = 'space' | 'comment' | 'string' | 'template' | 'regex' | 'name' | 'number' | 'punct'

export interface Token {
  type: TokenType
  start: number
  /** Exclusive. */
  end: number
}

/** Words after which a `/` starts a regular expression. */
const BEFORE_REGEX = new Set([
  'return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await',
])

/** Thrown for source that does not lex (an unterminated literal or comment). */
export class LexError extends Error {}

const isSpace = (c: string) => /\s/.test(c)
const isNameStart = (c: string) => /[\p{ID_Start}$_\\]/u.test(c)
const isNamePart = (c: string) => /[\p{ID_Continue}$\u200c\u200d\\]/u.test(c)
const isLineEnd = (c: string) => c === '\n' || c === '\r' || c === '\u2028' || c === '\u2029'

/** The tokens of `source`; throws LexError where a literal or comment never ends. */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = []
  lex(source, 0, tokens, false)
  return tokens
}

/** Where a quoted string starting at `start` ends (exclusive). */
function stringEnd(source: string, start: number): number {
  const quote = source[start]
  for (let i = start + 1; i < source.length; i++) {
    const c = source[i]
    if (c === '\\') i++
    else if (c === quote) return i + 1
    else if (c === '\n' || c === '\r') break
  }
  throw new LexError(`unterminated string at ${start}`)
}

/** Where a template literal starting at `start` ends (exclusive), its `${…}` expressions lexed as code. */
function templateEnd(source: string, start: number): number {
  for (let i = start + 1; i < source.length; i++) {
    const c = source[i]
    if (c === '\\') i++
    else if (c === '`') return i + 1
    else if (c === '$' && source[i + 1] === '{') i = lex(source, i + 2, [], true) - 1
  }
  throw new LexError(`unterminated template literal at ${start}`)
}

/**
 * Where a template literal without substitutions that starts at `start` ends (exclusive), or why
 * there is none: the form Vitest writes snapshots in, data that cannot run code.
 */
export function plainTemplateEnd(source: string, start: number): number | string {
  if (source[start] !== '`') return 'a snapshot must be a template literal (`…`)'
  for (let i = start + 1; i < source.length; i++) {
    const c = source[i]
    if (c === '\\') i++
    else if (c === '`') return i + 1
    else if (c === '$' && source[i + 1] === '{') return 'the snapshot literal has an unescaped ${ (a substitution runs code)'
  }
  return 'the snapshot literal never ends'
}

/** Where a regular expression starting at `start` ends, or -1 when it would cross a line end. */
function regexEnd(source: string, start: number): number {
  let inClass = false
  for (let i = start + 1; i < source.length; i++) {
    const c = source[i]
    if (isLineEnd(c)) return -1
    if (c === '\\') i++
    else if (c === '[') inClass = true
    else if (c === ']') inClass = false
    else if (c === '/' && !inClass) {
      let j = i + 1
      while (j < source.length && isNamePart(source[j])) j++
      return j
    }
  }
  return -1
}

/**
 * Lexes from `from`; inside a template expression (`nested`) stops after the `}` that closes it and
 * returns the index after it. Returns the end of the source otherwise.
 */
function lex(source: string, from: number, tokens: Token[], nested: boolean): number {
  let depth = 0
  let i = from
  let previous: Token | undefined
  const push = (type: TokenType, end: number) => {
    const token = { type, start: i, end }
    tokens.push(token)
    if (type !== 'space' && type !== 'comment') previous = token
    i = end
  }
  if (i === 0 && source.startsWith('#!')) {
    let end = 2
    while (end < source.length && !isLineEnd(source[end])) end++
    push('comment', end)
  }
  while (i < source.length) {
    const c = source[i]
    const next = source[i + 1]
    if (isSpace(c)) {
      let end = i + 1
      while (end < source.length && isSpace(source[end])) end++
      push('space', end)
    } else if (c === '/' && next === '/') {
      let end = i + 2
      while (end < source.length && !isLineEnd(source[end])) end++
      push('comment', end)
    } else if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2)
      if (end === -1) throw new LexError(`unterminated comment at ${i}`)
      push('comment', end + 2)
    } else if (c === '"' || c === "'") {
      push('string', stringEnd(source, i))
    } else if (c === '`') {
      push('template', templateEnd(source, i))
    } else if (c === '/' && regexAllowed(source, previous)) {
      const end = regexEnd(source, i)
      push(end === -1 ? 'punct' : 'regex', end === -1 ? i + 1 : end)
    } else if (isNameStart(c)) {
      let end = i + 1
      while (end < source.length && isNamePart(source[end])) end++
      push('name', end)
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(next ?? ''))) {
      let end = i + 1
      while (end < source.length && /[0-9a-zA-Z_.]/.test(source[end])) end++
      push('number', end)
    } else {
      if (nested && c === '}' && depth === 0) return i + 1
      if (c === '{') depth++
      else if (c === '}') depth--
      push('punct', i + 1)
    }
  }
  if (nested) throw new LexError(`unterminated template expression at ${from}`)
  return i
}

function regexAllowed(source: string, previous: Token | undefined): boolean {
  if (!previous) return true
  if (previous.type === 'name') return BEFORE_REGEX.has(source.slice(previous.start, previous.end))
  if (previous.type === 'punct') return !')]'.includes(source[previous.start])
  return false
}
