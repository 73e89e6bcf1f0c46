/**
 * The ELF reader: on real binaries of this machine, against readelf; on crafted files of each class
 * and byte order; and on bad input (truncated, huge counts, offsets past the end, random damage),
 * which must end in an ElfError after a bounded amount of reading, never a hang or another error.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import { describe, expect, test } from 'vitest'
import { ElfError, parseElf } from '../../src/rootfs/elf.js'
import { readObject } from '../../src/rootfs/closure.js'
import { findAddons } from '../../src/rootfs/host-files.js'
import { bufferReader, craftElf } from './craft-elf.js'

/** What readelf says about a file's loading: the oracle. */
function readelf(file: string) {
  const dynamic = execFileSync('readelf', ['-d', '-W', file], { encoding: 'utf8' })
  const program = execFileSync('readelf', ['-l', '-W', file], { encoding: 'utf8' })
  const header = execFileSync('readelf', ['-h', '-W', file], { encoding: 'utf8' })
  const values = (tag: string) => [...dynamic.matchAll(new RegExp(`\\(${tag}\\)\\s+[^[]*\\[([^\\]]*)\\]`, 'g'))].map((m) => m[1])
  const one = (tag: string) => (values(tag).length ? values(tag)[0].split(':') : null)
  return {
    bits: /Class:\s+ELF64/.test(header) ? 64 : 32,
    interpreter: /\[Requesting program interpreter: ([^\]]+)\]/.exec(program)?.[1] ?? null,
    needed: values('NEEDED'),
    runpath: one('RUNPATH'),
    rpath: one('RPATH'),
  }
}

const real = (p: string) => (fs.existsSync(p) ? [fs.realpathSync(p)] : [])
const BINARIES = [...new Set([
  ...real(process.execPath), ...real('/usr/bin/setpriv'), ...real('/usr/bin/busybox'), ...real('/usr/bin/git'),
  // RUNPATH into a private folder, RPATH with $ORIGIN
  ...real('/usr/bin/busctl'), ...real('/usr/bin/java'),
  ...real('/lib/x86_64-linux-gnu/libc.so.6'), ...real('/lib/aarch64-linux-gnu/libc.so.6'),
  // the native addons of this repository's node_modules: other projects' build output
  ...findAddons('node_modules'),
])]

describe('real binaries of this machine, as readelf reads them', () => {
  test('there are enough of them, of each kind', () => {
    expect(BINARIES.length).toBeGreaterThanOrEqual(6)
    expect(BINARIES.some((f) => f.endsWith('.node'))).toBe(true)
  })

  test.each(BINARIES)('%s', (file) => {
    const info = readObject(file)
    expect(info.kind).toBe('elf')
    const { elf } = info as Extract<typeof info, { kind: 'elf' }>
    const oracle = readelf(file)
    expect({ bits: elf.bits, interpreter: elf.interpreter, needed: elf.needed, runpath: elf.runpath, rpath: elf.rpath }).toEqual(oracle)
  })
})

describe('crafted files', () => {
  test.each([
    [64, true], [64, false], [32, true], [32, false],
  ] as const)('ELF%i, little endian %s: interpreter, needed, runpath and rpath', (bits, littleEndian) => {
    const { data } = craftElf({ bits, littleEndian, machine: 183, type: 2, interpreter: '/lib/ld-linux-aarch64.so.1', needed: ['libc.so.6', 'libm.so.6'], runpath: '$ORIGIN/../lib:/opt/x', rpath: '/old' })
    const info = parseElf(bufferReader(data).read, data.length)
    expect(info).toEqual({ bits, littleEndian, machine: 183, type: 2, interpreter: '/lib/ld-linux-aarch64.so.1', needed: ['libc.so.6', 'libm.so.6'], runpath: ['$ORIGIN/../lib', '/opt/x'], rpath: ['/old'] })
  })

  test('a static file: no interpreter, nothing needed', () => {
    const { data } = craftElf({ type: 2 })
    expect(parseElf(bufferReader(data).read, data.length)).toMatchObject({ interpreter: null, needed: [], runpath: null, rpath: null })
  })
})

describe('bad input ends in an ElfError, after little reading', () => {
  const { data, layout } = craftElf({ interpreter: '/lib64/ld-linux-x86-64.so.2', needed: ['libc.so.6', 'libfoo.so.1'], runpath: '$ORIGIN' })
  const parse = (bytes: Buffer) => {
    const reader = bufferReader(bytes)
    try {
      return { info: parseElf(reader.read, bytes.length), asked: reader.asked() }
    } catch (error) {
      return { error, asked: reader.asked() }
    }
  }
  const damaged = (change: (b: Buffer) => void) => {
    const copy = Buffer.from(data)
    change(copy)
    return parse(copy)
  }

  test('every truncation of a valid file', () => {
    for (let length = 0; length < data.length; length++) {
      const result = parse(data.subarray(0, length))
      expect(result.error, `truncated to ${length} bytes`).toBeInstanceOf(ElfError)
    }
  })

  test('not an ELF file, an unknown class or byte order', () => {
    expect(damaged((b) => b.write('#!/b', 0)).error).toMatchObject({ message: 'not an ELF file' })
    expect(damaged((b) => (b[4] = 9)).error).toMatchObject({ message: 'unknown ELF class 9' })
    expect(damaged((b) => (b[5] = 0)).error).toMatchObject({ message: 'unknown ELF byte order 0' })
  })

  test('huge counts and sizes are refused before they are read', () => {
    const phnum = damaged((b) => b.writeUInt16LE(0xffff, 56))
    expect(phnum.error).toMatchObject({ message: '65535 program headers (at most 256 are read)' })
    expect(phnum.asked).toBeLessThan(200)
    // PT_DYNAMIC (the last program header) claiming 2^40 bytes
    const dynamic = damaged((b) => b.writeBigUInt64LE(2n ** 40n, layout.phoff + (layout.phnum - 1) * layout.phentsize + 32))
    expect(dynamic.error).toBeInstanceOf(ElfError)
    expect(dynamic.asked).toBeLessThan(1000)
    // DT_STRSZ far past the file, an offset beyond 2^53
    expect(damaged((b) => b.writeBigUInt64LE(2n ** 62n, layout.phoff + 8)).error).toBeInstanceOf(ElfError)
    const strszEntry = layout.dynamic + 4 * 16 + 8
    const strsz = damaged((b) => b.writeBigUInt64LE(2n ** 40n, strszEntry))
    expect(strsz.error ?? strsz.info).toBeDefined()
    expect(strsz.asked).toBeLessThan(20_000)
  })

  test('a string without its terminating NUL, a string table outside every segment', () => {
    const unterminated = damaged((b) => b.fill(0x41, layout.strtab, layout.strtab + layout.strsz))
    expect(unterminated.error).toBeInstanceOf(ElfError)
    const strtabEntry = layout.dynamic + 3 * 16 + 8
    expect(damaged((b) => b.writeBigUInt64LE(BigInt(layout.strsz + 5), layout.dynamic + 8)).error).toMatchObject({ message: 'DT_NEEDED points past the dynamic string table' })
    expect(damaged((b) => b.writeBigUInt64LE(0x10n, strtabEntry)).error).toMatchObject({ message: 'DT_STRTAB is in no loadable segment' })
  })

  test('random damage: an answer or an ElfError, every time, after bounded reading', () => {
    let seed = 20261207
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
    for (let round = 0; round < 3000; round++) {
      const result = damaged((b) => {
        for (let i = 0; i < 1 + random() * 4; i++) b[Math.floor(random() * b.length)] = Math.floor(random() * 256)
      })
      if (result.error) expect(result.error, `round ${round}`).toBeInstanceOf(ElfError)
      expect(result.asked).toBeLessThan(64 * 1024)
    }
  })
})
