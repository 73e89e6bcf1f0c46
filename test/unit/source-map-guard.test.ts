/** The plugin's source map guard (pure core, with stand-ins for the file checks). */
import { describe, expect, test } from 'vitest'
import { guardSourceMap } from '../../src/pool/source-map-guard.js'

const file = '/proj/src/a.js'
const safe = (p: string) => p.startsWith('/proj/')
const maps: Record<string, string> = {
  '/proj/src/a.js.map': JSON.stringify({ version: 3, sources: ['a.ts', '/etc/shadow'], mappings: '' }),
}
const read = (p: string) => maps[p]
const inline = (map: object) => `//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}`

describe('guardSourceMap', () => {
  test('a module without a map comment, or whose map names only safe files, is left to Vite', () => {
    expect(guardSourceMap('export {}\n', file, safe, read)).toBeNull()
    expect(guardSourceMap(`x\n${inline({ version: 3, sources: ['a.ts'], mappings: '' })}`, file, safe, read)).toBeNull()
  })

  test('sources outside get empty content (Vite then does not read them); the comment is blanked', () => {
    const code = `x\n${inline({ version: 3, sources: ['a.ts', '/dev/tty', '../../etc/passwd'], sourcesContent: [null, null], mappings: '' })}`
    const loaded = guardSourceMap(code, file, safe, read)!
    expect(loaded.map?.sourcesContent).toEqual([null, '', ''])
    expect(loaded.code).not.toContain('sourceMappingURL')
    expect(loaded.code.length).toBe(code.length)
  })

  test('a map file outside is never read; a safe one is read and its sources guarded', () => {
    let reads = 0
    const counting = (p: string) => (reads++, read(p))
    expect(guardSourceMap('x\n//# sourceMappingURL=/tmp/fifo\n', file, safe, counting)).toEqual({ code: 'x\n' + ' '.repeat(30) + '\n', map: null })
    expect(reads).toBe(0)
    const loaded = guardSourceMap('x\n/*# sourceMappingURL=a.js.map */\n', file, safe, counting)!
    expect(reads).toBe(1)
    expect(loaded.map?.sourcesContent).toEqual([undefined, ''])
  })
})
