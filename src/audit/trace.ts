/**
 * strace's output (`strace -f -o FILE`) as events: one per completed system call, with its arguments
 * split at the top level and its result. Lines of calls that another thread interrupted
 * (`<unfinished ...>` … `<... name resumed>`) are joined first. Pure.
 */

export interface TraceEvent {
  pid: number
  name: string
  /** Top-level arguments as strace prints them (strings still quoted). */
  args: string[]
  /** The return value as printed: `0`, `3`, `0x401a`, `-1`, `?`. */
  ret: string
  /** The errno name when the call failed (`ENOENT`), else null. */
  errno: string | null
}

/** Splits `a, "b, c", {d, e}, [f]` at its top-level commas; quotes may hold escaped quotes. */
export function splitArgs(text: string): string[] {
  const out: string[] = []
  let depth = 0
  let quoted = false
  let start = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quoted) {
      if (c === '\\') i++
      else if (c === '"') quoted = false
    } else if (c === '"') quoted = true
    else if (c === '{' || c === '[' || c === '(') depth++
    else if (c === '}' || c === ']' || c === ')') depth--
    else if (c === ',' && depth === 0) {
      out.push(text.slice(start, i).trim())
      start = i + 1
    }
  }
  const last = text.slice(start).trim()
  if (last !== '' || out.length) out.push(last)
  return out
}

/** The end of a call's arguments: the `)` that closes the one opened after its name, outside quotes. */
function closing(text: string, open: number): number {
  let depth = 0
  let quoted = false
  for (let i = open; i < text.length; i++) {
    const c = text[i]
    if (quoted) {
      if (c === '\\') i++
      else if (c === '"') quoted = false
    } else if (c === '"') quoted = true
    else if (c === '(') depth++
    else if (c === ')' && --depth === 0) return i
  }
  return -1
}

const LINE = /^(\d+)\s+(.*)$/
const RESUMED = /^<\.\.\. (\w+) resumed>(.*)$/
const UNFINISHED = ' <unfinished ...>'

export function parseTrace(text: string): TraceEvent[] {
  const events: TraceEvent[] = []
  const pending = new Map<number, string>()
  for (const line of text.split('\n')) {
    const m = LINE.exec(line)
    if (!m) continue
    const pid = Number(m[1])
    let rest = m[2]
    if (rest.endsWith(UNFINISHED)) {
      pending.set(pid, rest.slice(0, -UNFINISHED.length))
      continue
    }
    const resumed = RESUMED.exec(rest)
    if (resumed) {
      const start = pending.get(pid)
      pending.delete(pid)
      if (start === undefined) continue
      rest = start + resumed[2]
    }
    const name = /^(\w+)\(/.exec(rest)?.[1]
    if (!name) continue
    const end = closing(rest, name.length)
    if (end === -1) continue
    const result = /^\s*=\s*(\S+)(?:\s+(E[A-Z0-9]+))?/.exec(rest.slice(end + 1))
    if (!result) continue
    events.push({ pid, name, args: splitArgs(rest.slice(name.length + 1, end)), ret: result[1], errno: result[1] === '-1' ? result[2] ?? null : null })
  }
  return events
}

/** A quoted strace string as its text (`\\x..`, `\\n`, `\\"` decoded); null when `arg` is not one or was cut short (`"…"...`). */
export function unquote(arg: string | undefined): string | null {
  if (!arg || arg[0] !== '"' || !arg.endsWith('"')) return null
  const body = arg.slice(1, -1)
  return body.replace(/\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)/g, (_, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16))
    if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8))
    return ({ n: '\n', t: '\t', r: '\r', v: '\v', f: '\f' } as Record<string, string>)[e] ?? e
  })
}
