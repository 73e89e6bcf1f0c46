/**
 * Minimal ELF files made to order, for the parser's and the closure's tests: a header, one loadable
 * segment over the whole file, PT_INTERP when asked, and a PT_DYNAMIC naming libraries and run paths.
 * Any class and byte order; `layout` says where each part is, so a test can break one of them.
 */
export interface CraftOptions {
  bits?: 32 | 64
  littleEndian?: boolean
  /** e_machine (default 62, x86_64). */
  machine?: number
  /** e_type (default 3, a shared object). */
  type?: number
  interpreter?: string
  needed?: string[]
  runpath?: string
  rpath?: string
}

export interface Crafted {
  data: Buffer
  layout: { phoff: number; phentsize: number; phnum: number; dynamic: number; strtab: number; strsz: number; interp: number | null }
}

const BASE = 0x400000

export function craftElf(options: CraftOptions = {}): Crafted {
  const { bits = 64, littleEndian = true, machine = 62, type = 3, interpreter, needed = [], runpath, rpath } = options
  const wide = bits === 64
  const ehsize = wide ? 64 : 52
  const phentsize = wide ? 56 : 32
  const dynsize = wide ? 16 : 8
  const phnum = 2 + (interpreter !== undefined ? 1 : 0)

  const strings = ['', ...needed, ...(runpath !== undefined ? [runpath] : []), ...(rpath !== undefined ? [rpath] : [])]
  const offsets = new Map<string, number>()
  let strtabBytes = Buffer.alloc(0)
  for (const s of strings) {
    if (!offsets.has(s)) offsets.set(s, strtabBytes.length)
    strtabBytes = Buffer.concat([strtabBytes, Buffer.from(`${s}\0`)])
  }
  const interpBytes = interpreter !== undefined ? Buffer.from(`${interpreter}\0`) : Buffer.alloc(0)

  const phoff = ehsize
  const interp = phoff + phnum * phentsize
  const strtab = interp + interpBytes.length
  const dynamic = Math.ceil((strtab + strtabBytes.length) / 8) * 8
  const entries: Array<[number, number]> = [
    ...needed.map((n): [number, number] => [1, offsets.get(n)!]),
    ...(runpath !== undefined ? [[29, offsets.get(runpath)!] as [number, number]] : []),
    ...(rpath !== undefined ? [[15, offsets.get(rpath)!] as [number, number]] : []),
    [5, BASE + strtab],
    [10, strtabBytes.length],
    [0, 0],
  ]
  const size = dynamic + entries.length * dynsize
  const data = Buffer.alloc(size)
  const u16 = (at: number, v: number) => (littleEndian ? data.writeUInt16LE(v, at) : data.writeUInt16BE(v, at))
  const u32 = (at: number, v: number) => (littleEndian ? data.writeUInt32LE(v, at) : data.writeUInt32BE(v, at))
  const word = (at: number, v: number) => (wide ? (littleEndian ? data.writeBigUInt64LE(BigInt(v), at) : data.writeBigUInt64BE(BigInt(v), at)) : u32(at, v))

  data.set([0x7f, 0x45, 0x4c, 0x46, wide ? 2 : 1, littleEndian ? 1 : 2, 1], 0)
  u16(16, type)
  u16(18, machine)
  u32(20, 1)
  word(wide ? 32 : 28, phoff)
  u16(wide ? 52 : 40, ehsize)
  u16(wide ? 54 : 42, phentsize)
  u16(wide ? 56 : 44, phnum)

  const segments: Array<{ type: number; offset: number; filesz: number }> = [
    { type: 1, offset: 0, filesz: size },
    ...(interpreter !== undefined ? [{ type: 3, offset: interp, filesz: interpBytes.length }] : []),
    { type: 2, offset: dynamic, filesz: entries.length * dynsize },
  ]
  segments.forEach((s, i) => {
    const at = phoff + i * phentsize
    u32(at, s.type)
    if (wide) {
      word(at + 8, s.offset)
      word(at + 16, BASE + s.offset)
      word(at + 32, s.filesz)
      word(at + 40, s.filesz)
    } else {
      u32(at + 4, s.offset)
      u32(at + 8, BASE + s.offset)
      u32(at + 16, s.filesz)
      u32(at + 20, s.filesz)
    }
  })
  interpBytes.copy(data, interp)
  strtabBytes.copy(data, strtab)
  entries.forEach(([tag, value], i) => {
    word(dynamic + i * dynsize, tag)
    word(dynamic + i * dynsize + (wide ? 8 : 4), value)
  })
  return {
    data,
    layout: { phoff, phentsize, phnum, dynamic, strtab, strsz: strtabBytes.length, interp: interpreter !== undefined ? interp : null },
  }
}

/** A reader over a buffer that counts what it was asked for. */
export function bufferReader(data: Buffer): { read: (offset: number, length: number) => Buffer; asked: () => number } {
  let asked = 0
  return {
    read: (offset, length) => {
      asked += length
      return data.subarray(offset, offset + length)
    },
    asked: () => asked,
  }
}
