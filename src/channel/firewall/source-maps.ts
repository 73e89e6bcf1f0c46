/**
 * The source map inside a fetched module's code. Vite fills a map's `sourcesContent` by reading, on
 * the host, the files its `sources` name (injectSourcesContent), and a module's own source map can
 * name any file: a test ending with a crafted map got any host file's content back inside its own
 * transformed code. Every source the sandbox may not read loses its content here. Pure but for
 * `readable`.
 */
import path from 'node:path'

const INLINE_MAP = /(\/\/[#@] sourceMappingURL=data:application\/json;(?:charset=[^;,]+;)?base64,)([A-Za-z0-9+/=]+)/g

interface RawMap {
  sources?: unknown
  sourcesContent?: unknown
  sourceRoot?: unknown
}

/** `code` with the content of unreadable sources removed from its inline maps, and those sources. */
export function checkSourceMap(code: string, file: string | undefined, readable: (source: string) => boolean): { code: string; dropped: string[] } {
  if (!code.includes('sourceMappingURL=data:')) return { code, dropped: [] }
  const dropped: string[] = []
  const checked = code.replace(INLINE_MAP, (whole, prefix: string, payload: string) => {
    let map: RawMap
    try {
      map = JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as RawMap
    } catch {
      return whole
    }
    if (!Array.isArray(map.sources) || !Array.isArray(map.sourcesContent)) return whole
    const base = path.dirname(file && path.isAbsolute(file) ? file : '/')
    const root = typeof map.sourceRoot === 'string' ? map.sourceRoot : ''
    let changed = false
    map.sources.forEach((source, i) => {
      const content = (map.sourcesContent as unknown[])[i]
      if (content === null || content === undefined) return
      const named = typeof source === 'string' ? path.resolve(base, root, source.replace(/^file:\/\//, '')) : ''
      if (named && (named === file || readable(named))) return
      ;(map.sourcesContent as unknown[])[i] = null
      dropped.push(named || String(source))
      changed = true
    })
    return changed ? prefix + Buffer.from(JSON.stringify(map)).toString('base64') : whole
  })
  return { code: checked, dropped }
}
