/** The firewall's check of source maps inside fetched code (pure, with a stand-in `readable`). */
import { describe, expect, test } from 'vitest'
import { checkSourceMap } from '../../src/channel/firewall/source-maps.js'

function inline(map: object, style = 'application/json;base64'): string {
  return `//# sourceMappingURL=data:${style},${Buffer.from(JSON.stringify(map)).toString('base64')}`
}

function mapsOf(code: string) {
  return [...code.matchAll(/sourceMappingURL=data:application\/json;(?:charset=[^;,]+;)?base64,([A-Za-z0-9+/=]+)/g)].map((m) => JSON.parse(Buffer.from(m[1], 'base64').toString()))
}

const file = '/proj/test/a.test.ts'
const readable = (source: string) => source.startsWith('/proj/')

describe('checkSourceMap', () => {
  test('the content of a source outside what the sandbox may read is removed, the rest kept', () => {
    const map = { version: 3, sources: ['a.test.ts', '/etc/shadow', '../../etc/passwd', '../src/x.ts'], sourcesContent: ['own', 'root:secret', 'root:x', 'x'], mappings: 'AAAA' }
    const code = `export {}\n${inline(map, 'application/json;charset=utf-8;base64')}\n`
    const checked = checkSourceMap(code, file, readable)
    expect(mapsOf(checked.code)[0].sourcesContent).toEqual(['own', null, null, 'x'])
    expect(checked.dropped).toEqual(['/etc/shadow', '/etc/passwd'])
  })

  test('sourceRoot and file URLs are followed as Vite does; every inline map in the code is checked', () => {
    const code = [
      inline({ version: 3, sourceRoot: '../../../', sources: ['etc/shadow'], sourcesContent: ['s'], mappings: '' }),
      inline({ version: 3, sources: ['file:///etc/hosts'], sourcesContent: ['h'], mappings: '' }),
    ].join('\n')
    const checked = checkSourceMap(code, file, readable)
    expect(mapsOf(checked.code).map((m) => m.sourcesContent)).toEqual([[null], [null]])
  })

  test('code without an inline map, or whose sources are all readable, is returned as it is', () => {
    const plain = 'export const x = 1\n'
    expect(checkSourceMap(plain, file, readable).code).toBe(plain)
    const own = `x\n${inline({ version: 3, sources: ['a.test.ts'], sourcesContent: ['x'], mappings: '' })}`
    expect(checkSourceMap(own, file, readable).code).toBe(own)
    const broken = '//# sourceMappingURL=data:application/json;base64,bm90IGpzb24='
    expect(checkSourceMap(broken, file, readable).code).toBe(broken)
  })
})
