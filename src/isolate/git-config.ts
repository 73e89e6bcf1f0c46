/**
 * A git config file without its credentials, for the sandbox to read in place of the real one. CI
 * leaves the job's token in the checkout's config (actions/checkout v4:
 * `http.https://github.com/.extraheader = AUTHORIZATION: basic …`), in remote URLs
 * (`https://x-access-token:TOKEN@github.com/o/r`), in credential sections, in `url.<base>.insteadOf`
 * bases, or (v6) in a file an `includeIf` names. Pure.
 *
 * The file is parsed as git parses it (config.c: `[section "subsection"]` and the older
 * `[section.subsection]`, a variable on the same line as its header, case-insensitive names, quoted
 * values, the escapes `\" \\ \n \t \b`, continuation lines, `#` and `;` comments, a UTF-8 BOM), and the
 * result is written anew, every value quoted: what the sandbox reads is exactly the variables judged
 * here, never a byte of the original that this parser might have read differently from git. Dropped:
 * - the `credential` sections (helpers, usernames): no helper is to run inside;
 * - `include` and `includeIf` sections: the included file is not sanitized (v6 puts the token there);
 *   the files named are returned so the caller can hide them where the sandbox could read them;
 * - variables whose name says what they hold: `extraheader` in any section, and names with `token`,
 *   `secret`, `password`/`passwd`, or ending in `pass` (`sendemail.smtpPass`);
 * and the userinfo (`user:password@`, `token@`) is cut from every URL, in values and in subsection
 * names (`[url "https://TOKEN@github.com/"]`, `[http "https://u:p@host/"]`).
 * Everything else is kept, so git works as before: core, extensions, remotes, branches, submodules.
 */

export interface SanitizedGitConfig {
  text: string
  /** The paths `include.path` / `includeIf.<condition>.path` name, as written (relative to the config's folder). */
  includes: string[]
}

export interface Entry {
  /** Lowercased; in the old `[section.subsection]` form it holds the subsection too. */
  section: string
  subsection: string | null
  /** Lowercased. */
  name: string
  /** null: a bare `name` (boolean true). */
  value: string | null
}

const HEADER = '# Sanitized by vitest-pool-nsjail: credentials removed. The real file is outside the sandbox.\n'
const DROPPED_SECTIONS = new Set(['credential', 'include', 'includeif'])
const SECRET_NAME = /extraheader|token|secret|passw(?:or)?d|pass$/
/** `scheme://userinfo@` up to the authority's last `@` (the authority ends at `/`, `?`, `#` or a space). */
const USERINFO = /([a-z][a-z\d+.-]*:\/\/)[^/?#\s]*@/gi

/** `text`: the file decoded as UTF-8 (git's syntax is ASCII; other characters pass through). */
export function sanitizeGitConfig(text: string): SanitizedGitConfig {
  const parsed = parseGitConfig(text)
  if ('error' in parsed) return { text: `${HEADER}# The real file is not valid git config (${parsed.error}): nothing of it is shown.\n`, includes: [] }
  const includes = parsed.entries
    .filter((e) => (topSection(e) === 'include' || topSection(e) === 'includeif') && e.name === 'path' && e.value)
    .map((e) => e.value!)
  const kept = parsed.entries.filter((e) => !DROPPED_SECTIONS.has(topSection(e)) && !SECRET_NAME.test(e.name))
  return { text: HEADER + serialize(kept), includes }
}

/** `includeif` for `[includeIf "gitdir:…"]`, `http` for `[http.foo]`: the part before any subsection. */
function topSection(entry: Entry): string {
  return entry.section.split('.')[0]
}

function stripUserinfo(value: string): string {
  return value.replace(USERINFO, '$1')
}

function serialize(entries: Entry[]): string {
  let out = ''
  let header = ''
  for (const entry of entries) {
    const subsection = entry.subsection === null ? '' : ` "${stripUserinfo(entry.subsection).replace(/[\\"]/g, '\\$&')}"`
    // Variables without a section can only come first, before any header: they get none.
    const next = entry.section === '' && entry.subsection === null ? '' : `[${entry.section}${subsection}]\n`
    if (next !== header) out += header = next
    out += entry.value === null ? `\t${entry.name}\n` : `\t${entry.name} = ${quote(stripUserinfo(entry.value))}\n`
  }
  return out
}

function quote(value: string): string {
  const escaped = value.replace(/[\\"\n\t\b]/g, (c) => ({ '\\': '\\\\', '"': '\\"', '\n': '\\n', '\t': '\\t', '\b': '\\b' })[c]!)
  return `"${escaped}"`
}

// --- git's parser (config.c), character for character ------------------------------------------

const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r'
const isAlpha = (c: string) => /^[A-Za-z]$/.test(c)
const isKeyChar = (c: string) => /^[A-Za-z0-9-]$/.test(c)

/** Thrown inside the parser: the line git would report. */
class BadLine {
  constructor(readonly line: number) {}
}

/** The variables of a config file in order, as git reads them; or the error git would stop with. */
export function parseGitConfig(text: string): { entries: Entry[] } | { error: string } {
  // git stops at a NUL inside a value and fails on one elsewhere: such a file is nobody's config.
  if (text.includes('\0')) return { error: 'it contains a NUL byte' }
  let pos = text.startsWith('\ufeff') ? 1 : 0
  let line = 1
  let eof = false
  /** git's get_next_char: `\r\n` reads as `\n`, the end of the text as a final `\n`. */
  const next = (): string => {
    if (pos >= text.length) {
      eof = true
      line++
      return '\n'
    }
    let c = text[pos++]
    if (c === '\r' && text[pos] === '\n') c = text[pos++]
    if (c === '\n') line++
    return c
  }
  /** `incomplete`: git names the line before the newline it just read (an open quote, a broken header). */
  const fail = (incomplete = false): never => {
    throw new BadLine(incomplete ? line - 1 : line)
  }

  const parseValue = (): string => {
    let value = ''
    let quoted = false
    let comment = false
    let spaces = 0
    for (;;) {
      let c = next()
      if (c === '\n') {
        if (quoted) fail(true)
        return value
      }
      if (comment) continue
      if (isSpace(c) && !quoted) {
        if (value) spaces++
        continue
      }
      if (!quoted && (c === ';' || c === '#')) {
        comment = true
        continue
      }
      value += ' '.repeat(spaces)
      spaces = 0
      if (c === '\\') {
        c = next()
        if (c === '\n') continue
        const escaped = ({ t: '\t', b: '\b', n: '\n', '\\': '\\', '"': '"' } as Record<string, string>)[c]
        if (escaped === undefined) fail()
        value += escaped
        continue
      }
      if (c === '"') {
        quoted = !quoted
        continue
      }
      value += c
    }
  }

  /** After `[`: the section, lowercased, and the subsection of the `[section "subsection"]` form. */
  const parseHeader = (): { section: string; subsection: string | null } => {
    let section = ''
    for (;;) {
      let c = next()
      if (eof) fail()
      if (c === ']') return { section, subsection: null }
      if (isSpace(c)) {
        while (isSpace(c)) {
          if (c === '\n') fail(true)
          c = next()
        }
        if (c !== '"') fail()
        let subsection = ''
        for (;;) {
          c = next()
          if (c === '\n') fail(true)
          if (c === '"') break
          if (c === '\\') {
            c = next()
            if (c === '\n') fail(true)
          }
          subsection += c
        }
        if (next() !== ']') fail()
        return { section, subsection }
      }
      if (!isKeyChar(c) && c !== '.') fail()
      section += c.toLowerCase()
    }
  }

  const entries: Entry[] = []
  // Before any header a variable has no section (git accepts `foo = bar` there, as the key `foo`).
  let current: { section: string; subsection: string | null } = { section: '', subsection: null }
  let comment = false
  try {
    for (;;) {
      const c = next()
      if (c === '\n') {
        if (eof) return { entries }
        comment = false
        continue
      }
      if (comment || isSpace(c)) continue
      if (c === '#' || c === ';') {
        comment = true
        continue
      }
      if (c === '[') {
        current = parseHeader()
        if (current.section === '' && current.subsection === null) fail()
        continue
      }
      if (!isAlpha(c)) fail()
      let name = c.toLowerCase()
      let d = next()
      while (!eof && isKeyChar(d)) {
        name += d.toLowerCase()
        d = next()
      }
      while (d === ' ' || d === '\t') d = next()
      let value: string | null = null
      if (d !== '\n') {
        if (d !== '=') fail()
        value = parseValue()
      }
      entries.push({ ...current, name, value })
    }
  } catch (error) {
    if (error instanceof BadLine) return { error: `bad config line ${error.line}` }
    throw error
  }
}
