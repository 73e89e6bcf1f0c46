/**
 * Where the host's dynamic loader looks for a library by name after an object's own run paths: the
 * folders of /etc/ld.so.conf (and the files it includes, as ldconfig reads them to build the cache),
 * then the loader's built-in folders. Read from the host's own configuration, which only root can
 * change, so it is trusted.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'

/** An include loop or a pathological configuration stops after this many files. */
const MAX_CONF_FILES = 256

/** Debian-style multiarch triplets by e_machine, for the loader's built-in folders. */
const MULTIARCH: Record<number, string> = { 62: 'x86_64-linux-gnu', 183: 'aarch64-linux-gnu', 3: 'i386-linux-gnu', 40: 'arm-linux-gnueabihf' }

/** The loader's own folders: the multiarch ones (Debian, Ubuntu), lib64 (Fedora, Arch), then lib. */
export function builtinLibraryDirs(machine: number, bits: 32 | 64): string[] {
  const triplet = MULTIARCH[machine]
  return [
    ...(triplet ? [`/lib/${triplet}`, `/usr/lib/${triplet}`] : []),
    ...(bits === 64 ? ['/lib64', '/usr/lib64'] : []),
    '/lib', '/usr/lib',
  ]
}

/**
 * The folders ld.so.conf names, in order, following `include` lines (globs in their last component,
 * relative to the including file's folder), each file once. `hwcap` lines and comments are skipped.
 */
export function ldSoConfDirs(conf = '/etc/ld.so.conf'): string[] {
  const dirs: string[] = []
  const seen = new Set<string>()
  const visit = (file: string) => {
    if (seen.has(file) || seen.size >= MAX_CONF_FILES) return
    seen.add(file)
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch {
      return
    }
    for (const raw of text.split('\n')) {
      const line = raw.replace(/#.*/, '').trim()
      if (line === '' || line.startsWith('hwcap ')) continue
      const include = /^include\s+(.+)$/.exec(line)
      if (include) {
        for (const pattern of include[1].split(/\s+/)) expandGlob(path.resolve(path.dirname(file), pattern)).forEach(visit)
        continue
      }
      // Old syntax allowed several folders per line and a `=TYPE` suffix.
      for (const dir of line.split(/[\s,:]+/)) {
        const clean = path.normalize(dir.replace(/=.*$/, ''))
        if (clean.startsWith('/') && !dirs.includes(clean)) dirs.push(clean)
      }
    }
  }
  visit(conf)
  return dirs
}

/** The loader's search folders after the object's run paths: ld.so.conf's, then the built-in ones. */
export function librarySearchDirs(machine: number, bits: 32 | 64, conf?: string): string[] {
  return [...new Set([...ldSoConfDirs(conf), ...builtinLibraryDirs(machine, bits)])]
}

/** `*` and `?` in the last component only, as /etc/ld.so.conf.d/*.conf uses them; sorted as glob(3) does. */
function expandGlob(pattern: string): string[] {
  const base = path.basename(pattern)
  if (!/[*?]/.test(base)) return [pattern]
  const re = new RegExp(`^${base.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`)
  try {
    return readdirSync(path.dirname(pattern)).filter((name) => re.test(name)).sort().map((name) => path.join(path.dirname(pattern), name))
  } catch {
    return []
  }
}
