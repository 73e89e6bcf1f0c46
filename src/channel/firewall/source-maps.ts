/**
 * The source map inside a fetched module's code. Vite fills a map's `sourcesContent` by reading, on
 * the host, the files its `sources` name (injectSourcesContent), and a module's own source map can
 * name any file: a test ending with a crafted map got any host file's content back inside its own
 * transformed code. Every source the sandbox may not read loses its content here. Pure but for
 * `readable`.
 *
 * Every fetched module carries a map, so the common case is made cheap: only the map's `sources`
 * array is parsed, and only a map naming a source other than the module itself (or one the sandbox
 * cannot read), or with a `sourceRoot`, is parsed whole and rewritten.
 */
import path from 'node:path'

const MARK = 'sourceMappingURL=data:application/json;'

interface RawMap {
  sources?: unknown
  sourcesContent?: unknown
  sourceRoot?: unknown
}

const BASE64_RUN = /[A-Za-z0-9+/=]*/y

/** `code` with the content of unreadable sources removed from its inline maps, and those sources. */
export function checkSourceMap(code: string, file: string | undefined, readable: (source: string) => boolean): { code: string; dropped: string[] } {
  let at = code.indexOf(MARK)
  if (at === -1) return { code, dropped: [] }
  const base = path.dirname(file && path.isAbsolute(file) ? file : '/')
  const isOwnOrReadable = (named: string) => named === file || readable(named)
  const resolve = (root: string, source: string) => path.resolve(base, root, source.replace(/^file:\/\//, ''))
  const dropped: string[] = []
  const pieces: string[] = []
  let copied = 0
  while (at !== -1) {
    const comma = code.indexOf(',', at + MARK.length)
    if (comma === -1) break
    BASE64_RUN.lastIndex = comma + 1
    BASE64_RUN.exec(code)
    const end = BASE64_RUN.lastIndex
    const payload = code.slice(comma + 1, end)
    const json = code.slice(at + MARK.length, comma).endsWith('base64') ? Buffer.from(payload, 'base64').toString('utf8') : ''
    if (json && !settled(json)) {
      const rewritten = rewrite(json)
      if (rewritten !== undefined) {
        pieces.push(code.slice(copied, comma + 1), rewritten)
        copied = end
      }
    }
    at = code.indexOf(MARK, end)
  }
  return { code: copied === 0 ? code : pieces.join('') + code.slice(copied), dropped }

  /** True when the map (its JSON text) names only its own module or readable files, and has no sourceRoot. */
  function settled(json: string): boolean {
    // A key's quotes are bare only outside strings (inside, JSON escapes them).
    if (json.includes('"sourceRoot":')) return false
    const sources = sourcesOf(json)
    return sources !== undefined && sources.every((s) => typeof s === 'string' && isOwnOrReadable(resolve('', s)))
  }

  /** The map (base64) with the contents of unreadable sources nulled; undefined when nothing changes. */
  function rewrite(json: string): string | undefined {
    let map: RawMap
    try {
      map = JSON.parse(json) as RawMap
    } catch {
      return undefined
    }
    if (!Array.isArray(map.sources) || !Array.isArray(map.sourcesContent)) return undefined
    const root = typeof map.sourceRoot === 'string' ? map.sourceRoot : ''
    const contents = map.sourcesContent as unknown[]
    let changed = false
    map.sources.forEach((source, i) => {
      if (contents[i] === null || contents[i] === undefined) return
      const named = typeof source === 'string' ? resolve(root, source) : ''
      if (named && isOwnOrReadable(named)) return
      contents[i] = null
      dropped.push(named || String(source))
      changed = true
    })
    return changed ? Buffer.from(JSON.stringify(map)).toString('base64') : undefined
  }
}

/**
 * The `sources` array of a map's JSON text, parsed alone; undefined when it is not found or not
 * well-formed, or the key appears twice (JSON.parse would take the last: then the whole map is read).
 */
function sourcesOf(json: string): unknown[] | undefined {
  const key = '"sources":['
  const at = json.indexOf(key)
  if (at === -1 || json.indexOf(key, at + 1) !== -1) return undefined
  let inString = false
  for (let i = at + key.length; i < json.length; i++) {
    const c = json[i]
    if (inString) {
      if (c === '\\') i++
      else if (c === '"') inString = false
    } else if (c === '"') inString = true
    else if (c === ']') {
      try {
        const list = JSON.parse(json.slice(at + key.length - 1, i + 1)) as unknown
        return Array.isArray(list) ? list : undefined
      } catch {
        return undefined
      }
    }
  }
  return undefined
}
