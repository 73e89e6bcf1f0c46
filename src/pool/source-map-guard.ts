/**
 * Vite, when it loads a module for a worker, follows the module's source map comment on the host: it
 * reads the map file the comment names (`//# sourceMappingURL=/dev/tty` blocked Vitest's main thread;
 * a JSON error quoting `/etc/shadow` landed in the log) and, for every source whose content the map
 * lacks, the file the source names (injectSourcesContent). A test file or module in the project can
 * name anything there. The plugin loads such modules itself: a map file or source is followed only
 * when it is a regular file inside the project or the module's own package, and outside every
 * writable folder of the options (where a sandbox could put a FIFO); other sources get empty content,
 * so Vite does not read them, and an unsafe map file is dropped. Modules without a source map
 * comment are left to Vite. The firewall checks again, per sandbox, what reaches the worker
 * (src/channel/firewall/source-maps.ts).
 */
import { readFileSync, realpathSync, statSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import type { Plugin } from 'vite'
import { optionLayers } from '../policy/resolve.js'
import type { NsjailOptions } from '../policy/types.js'
import { packageRoot } from '../isolate/package-root.js'

/** The comment forms convert-source-map (and so Vite) reads: `//# …` and `/*# … *\/`, at a line's end. */
const MAP_COMMENT = /(?:\/\/[@#][ \t]+sourceMappingURL=([^\s'"`]+?)[ \t]*$)|(?:\/\*[@#][ \t]+sourceMappingURL=([^*]+?)[ \t]*(?:\*\/)[ \t]*$)/gm

interface RawMap {
  sources?: unknown
  sourcesContent?: unknown
  sourceRoot?: unknown
}

export interface Loaded {
  code: string
  map: RawMap | null
}

/**
 * What to load instead of `code` (the module at `file`), or null when its source map is safe to
 * leave to Vite. `safe(p)` judges a map file or source path; `read(p)` reads a safe map file.
 */
export function guardSourceMap(code: string, file: string, safe: (p: string) => boolean, read: (p: string) => string): Loaded | null {
  const urls = [...code.matchAll(MAP_COMMENT)].map((m) => (m[1] ?? m[2]).trim())
  if (!urls.length) return null
  // Like Vite: the last comment is the one that counts.
  const url = urls[urls.length - 1]
  const dir = path.dirname(file)
  let map: RawMap | null = null
  let changed = false
  if (url.startsWith('data:')) {
    map = parseDataUrl(url)
  } else {
    const mapFile = path.resolve(dir, decodeURI(url))
    if (safe(mapFile)) map = parseJson(read(mapFile))
    else changed = true
  }
  if (map && Array.isArray(map.sources)) {
    const root = typeof map.sourceRoot === 'string' ? map.sourceRoot : ''
    const contents = Array.isArray(map.sourcesContent) ? map.sourcesContent : []
    map.sources.forEach((source, i) => {
      if (contents[i] != null) return
      const named = typeof source === 'string' ? path.resolve(dir, root, decodeURI(source.replace(/[?#].*$/, ''))) : ''
      if (named && safe(named)) return
      contents[i] = ''
      changed = true
    })
    map.sourcesContent = contents
  }
  if (!changed) return null
  return { code: code.replace(MAP_COMMENT, (comment) => ' '.repeat(comment.length)), map }
}

function parseDataUrl(url: string): RawMap | null {
  const comma = url.indexOf(',')
  if (comma === -1) return null
  const meta = url.slice(0, comma)
  const data = url.slice(comma + 1)
  try {
    return parseJson(meta.endsWith(';base64') ? Buffer.from(data, 'base64').toString('utf8') : decodeURIComponent(data))
  } catch {
    return null
  }
}

function parseJson(text: string): RawMap | null {
  try {
    const value = JSON.parse(text) as unknown
    return typeof value === 'object' && value !== null ? (value as RawMap) : null
  } catch {
    return null
  }
}

/** A regular file (by its real path) inside one of `roots` and none of `writable`. */
function isSafeFile(p: string, roots: readonly string[], writable: readonly string[]): boolean {
  try {
    const real = realpathSync.native(p)
    const inside = (dirs: readonly string[]) => dirs.some((d) => real === d || real.startsWith(`${d}/`))
    return statSync(real).isFile() && inside(roots) && !inside(writable)
  } catch {
    return false
  }
}

/** The plugin hook: Vite's own loader for plain files, with the source map comment guarded. */
export function sourceMapGuard(options: NsjailOptions): Pick<Plugin, 'configResolved' | 'load'> {
  let projectRoot = '/'
  let writable: string[] = []
  return {
    configResolved(config) {
      projectRoot = realpathSync.native(config.root)
      writable = optionLayers(options).flatMap(({ layer }) => layer.fs?.writable ?? []).map((p) => {
        const absolute = path.resolve(config.root, p)
        try {
          return realpathSync.native(absolute)
        } catch {
          return absolute
        }
      })
    },
    async load(id) {
      // Only what Vite's own loader would read as a file: no virtual ids, no queries (?raw …).
      if (!id.startsWith('/') || /[?#\0]/.test(id) || id.includes('/node_modules/')) return null
      let code: string
      try {
        if (!statSync(id).isFile()) return null
        code = await readFile(id, 'utf8')
      } catch {
        return null
      }
      if (!code.includes('sourceMappingURL')) return null
      const real = realpathSync.native(id)
      const roots = [projectRoot, packageRoot(real) ?? path.dirname(real)]
      const loaded = guardSourceMap(code, id, (p) => isSafeFile(p, roots, writable), (p) => readFileSync(p, 'utf8'))
      return loaded && { code: loaded.code, map: loaded.map as never }
    },
  }
}
