/**
 * Stack traces from the worker name files that Vitest's main process then opens on the host: it
 * reads them to map positions through source maps, to print code frames and leak reports. A forged
 * frame would make it read any host file into the log, or block forever on a FIFO or /dev/tty. Every
 * frame whose file the host may not read on the sandbox's behalf is rewritten so that no stack
 * parser can take a file from it; the text stays, for the reader. Pure: `safe` decides.
 *
 * Which files a line names is judged the way Vitest's parser reads stacks (V8's `at … (file:l:c)`,
 * Firefox/Safari's `fn@file:l:c`, `file://` and `/@fs/` prefixes, http URLs by their path, paths
 * relative to the host's cwd), and generously: every reading any of those forms allows is checked.
 */

/** The file a location such as `(/a/b.js:1:2)`, `file:///a.js:3:4` or `async /a.js:5:6` names. */
function locationFile(location: string): string | undefined {
  const parts = /(.+?)(?::(\d+))?(?::(\d+))?$/.exec(location.replace(/^\(|\)$/g, ''))
  if (!parts || !parts[2]) return undefined
  let url = parts[1]
  if (url.startsWith('async ')) url = url.slice(6)
  if (/^https?:/.test(url)) {
    try {
      const parsed = new URL(url)
      url = parsed.pathname + parsed.hash + parsed.search
    } catch {
      return url
    }
  }
  if (url.startsWith('/@fs/')) url = url.slice(4)
  url = url.replace(/[?&]?vitest=\d+/, '')
  if (url.startsWith('file://')) url = url.slice(7)
  return url
}

/** Every file a stack parser could take from this line. */
export function frameFiles(line: string): string[] {
  const text = line.trim()
  const locations: string[] = []
  if (/^at\s/.test(text)) {
    // V8: the text after `at`, and any parenthesized tail (the location of a named frame).
    locations.push(text.replace(/^\S+\s+/, ''))
    for (let i = text.indexOf('('); i !== -1; i = text.indexOf('(', i + 1)) locations.push(text.slice(i))
  }
  // Firefox/Safari: what follows any `@`.
  for (let i = text.indexOf('@'); i !== -1; i = text.indexOf('@', i + 1)) locations.push(text.slice(i + 1))
  const files: string[] = []
  for (const location of locations) {
    const file = location.includes(':') ? locationFile(location) : undefined
    if (file && !files.includes(file)) files.push(file)
  }
  return files
}

/** Files no parser reads from the disk: Node's own modules, native and eval frames. */
function isVirtual(file: string): boolean {
  return file.startsWith('node:') || file.startsWith('internal:') || file === 'native' || file === '<anonymous>' || file === 'eval'
}

/**
 * The line with nothing a parser could read a location from (no `:`, `@` or parentheses left):
 * e.g. `at [not shown to the host  /etc/shadow 1 1]`.
 */
function neutralize(line: string): string {
  const indent = /^\s*/.exec(line)![0]
  return `${indent}at [not shown to the host  ${line.trim().replace(/^at\s+/, '').replace(/[:@()]/g, ' ')}]`
}

/** The stack with every frame that names an unsafe file neutralized; unchanged when all are safe. */
export function sanitizeStack(stack: string, safe: (file: string) => boolean): string {
  if (!stack.includes(':')) return stack
  let changed = false
  const lines = stack.split('\n').map((line) => {
    const files = frameFiles(line)
    if (files.every((file) => isVirtual(file) || safe(file))) return line
    changed = true
    return neutralize(line)
  })
  return changed ? lines.join('\n') : stack
}

/** Parsed frames (`{ file, line, column }`) keep only those whose file is safe or virtual. */
export function sanitizeFrames(frames: unknown[], safe: (file: string) => boolean): unknown[] {
  return frames.filter((frame) => {
    const file = (frame as { file?: unknown } | null)?.file
    return typeof file === 'string' && (isVirtual(file) || safe(file))
  })
}
