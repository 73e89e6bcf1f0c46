/**
 * What the dynamic loader needs to start an ELF file: its interpreter (PT_INTERP), the libraries it
 * names (DT_NEEDED) and where it asks to look for them (DT_RUNPATH, DT_RPATH). Read from the file's
 * headers, never by running it (`ldd` runs the program's own loader on it): the `*.node` files in a
 * project's node_modules are untrusted input. ELF32 and ELF64, either byte order.
 *
 * Every read is bounded, whatever the headers claim: a truncated file, a huge count or an offset
 * past the end is an ElfError after a few kilobytes of reading, never a hang or a huge allocation.
 */

/** Reads up to `length` bytes at `offset` (fewer at the end of the file). */
export type ReadAt = (offset: number, length: number) => Buffer

export interface ElfInfo {
  bits: 32 | 64
  littleEndian: boolean
  /** e_machine: 62 x86_64, 183 aarch64, 3 i386, 40 arm, … */
  machine: number
  /** e_type: 2 an executable, 3 a shared object (or a PIE executable). */
  type: number
  /** PT_INTERP: the loader an executable names, e.g. /lib64/ld-linux-x86-64.so.2. */
  interpreter: string | null
  needed: string[]
  /** DT_RUNPATH entries (colon-separated in the file); null when absent. */
  runpath: string[] | null
  /** DT_RPATH entries (the loader ignores them when DT_RUNPATH is present); null when absent. */
  rpath: string[] | null
}

export class ElfError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ElfError'
  }
}

/** Real files have about a dozen program headers and a few dozen dynamic entries. */
const MAX_PROGRAM_HEADERS = 256
const MAX_DYNAMIC_ENTRIES = 4096
const MAX_STRING = 4096
const MAX_NEEDED = 512

const PT_LOAD = 1
const PT_DYNAMIC = 2
const PT_INTERP = 3
const DT_NULL = 0
const DT_NEEDED = 1
const DT_STRTAB = 5
const DT_STRSZ = 10
const DT_RPATH = 15
const DT_RUNPATH = 29

/** Whether the first bytes are an ELF file's. */
export function isElf(head: Buffer): boolean {
  return head.length >= 4 && head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46
}

interface Segment {
  type: number
  offset: number
  vaddr: number
  filesz: number
}

/** Parses an ELF file's loading information. Throws ElfError for anything malformed. */
export function parseElf(read: ReadAt, size: number): ElfInfo {
  const ident = read(0, 16)
  if (!isElf(ident)) throw new ElfError('not an ELF file')
  if (ident[4] !== 1 && ident[4] !== 2) throw new ElfError(`unknown ELF class ${ident[4]}`)
  if (ident[5] !== 1 && ident[5] !== 2) throw new ElfError(`unknown ELF byte order ${ident[5]}`)
  const bits = ident[4] === 2 ? 64 : 32
  const le = ident[5] === 1
  const header = exact(read, 0, bits === 64 ? 64 : 52, 'the ELF header')
  const u16 = (b: Buffer, at: number) => (le ? b.readUInt16LE(at) : b.readUInt16BE(at))
  const u32 = (b: Buffer, at: number) => (le ? b.readUInt32LE(at) : b.readUInt32BE(at))
  /** An address or offset, as a number: one beyond 2^53 cannot be in any file we read anyway. */
  const word = (b: Buffer, at: number): number => {
    if (bits === 32) return u32(b, at)
    const value = le ? b.readBigUInt64LE(at) : b.readBigUInt64BE(at)
    return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value)
  }
  const type = u16(header, 16)
  const machine = u16(header, 18)
  const phoff = word(header, bits === 64 ? 32 : 28)
  const phentsize = u16(header, bits === 64 ? 54 : 42)
  const phnum = u16(header, bits === 64 ? 56 : 44)
  const phsize = bits === 64 ? 56 : 32
  if (phnum > MAX_PROGRAM_HEADERS) throw new ElfError(`${phnum} program headers (at most ${MAX_PROGRAM_HEADERS} are read)`)
  if (phnum > 0 && phentsize < phsize) throw new ElfError(`program header size ${phentsize}, expected at least ${phsize}`)
  within(phoff, phnum * phentsize, size, 'the program headers')
  const table = exact(read, phoff, phnum * phentsize, 'the program headers')
  const segments: Segment[] = []
  for (let i = 0; i < phnum; i++) {
    const at = i * phentsize
    segments.push(bits === 64
      ? { type: u32(table, at), offset: word(table, at + 8), vaddr: word(table, at + 16), filesz: word(table, at + 32) }
      : { type: u32(table, at), offset: u32(table, at + 4), vaddr: u32(table, at + 8), filesz: u32(table, at + 16) })
  }

  let interpreter: string | null = null
  const interp = segments.find((s) => s.type === PT_INTERP)
  if (interp) {
    within(interp.offset, interp.filesz, size, 'PT_INTERP')
    interpreter = cString(exact(read, interp.offset, Math.min(interp.filesz, MAX_STRING), 'PT_INTERP'), 'PT_INTERP')
  }

  const info: ElfInfo = { bits, littleEndian: le, machine, type, interpreter, needed: [], runpath: null, rpath: null }
  const dynamic = segments.find((s) => s.type === PT_DYNAMIC)
  if (!dynamic) return info
  const entsize = bits === 64 ? 16 : 8
  const count = Math.floor(dynamic.filesz / entsize)
  if (count > MAX_DYNAMIC_ENTRIES) throw new ElfError(`${count} dynamic entries (at most ${MAX_DYNAMIC_ENTRIES} are read)`)
  within(dynamic.offset, count * entsize, size, 'PT_DYNAMIC')
  const entries = exact(read, dynamic.offset, count * entsize, 'PT_DYNAMIC')
  let strtab = -1
  let strsz = -1
  const refs: Array<{ tag: number; value: number }> = []
  for (let i = 0; i < count; i++) {
    const tag = bits === 64 ? word(entries, i * 16) : u32(entries, i * 8)
    const value = bits === 64 ? word(entries, i * 16 + 8) : u32(entries, i * 8 + 4)
    if (tag === DT_NULL) break
    if (tag === DT_STRTAB) strtab = value
    else if (tag === DT_STRSZ) strsz = value
    else if (tag === DT_NEEDED || tag === DT_RPATH || tag === DT_RUNPATH) refs.push({ tag, value })
  }
  if (refs.length === 0) return info
  if (strtab < 0 || strsz < 0) throw new ElfError('dynamic entries name strings but there is no DT_STRTAB/DT_STRSZ')
  if (refs.filter((r) => r.tag === DT_NEEDED).length > MAX_NEEDED) throw new ElfError(`more than ${MAX_NEEDED} DT_NEEDED entries`)
  // DT_STRTAB is an address: the loadable segment that holds it says where it is in the file.
  const load = segments.find((s) => s.type === PT_LOAD && s.vaddr <= strtab && strtab - s.vaddr < s.filesz)
  if (!load) throw new ElfError('DT_STRTAB is in no loadable segment')
  const strtabOffset = load.offset + (strtab - load.vaddr)
  within(strtabOffset, Math.min(strsz, load.filesz - (strtab - load.vaddr)), size, 'the dynamic string table')
  const string = (value: number, what: string) => {
    if (value >= strsz) throw new ElfError(`${what} points past the dynamic string table`)
    const length = Math.min(MAX_STRING, strsz - value, size - (strtabOffset + value))
    return cString(read(strtabOffset + value, length), what)
  }
  for (const ref of refs) {
    if (ref.tag === DT_NEEDED) info.needed.push(string(ref.value, 'DT_NEEDED'))
    else if (ref.tag === DT_RUNPATH) info.runpath = string(ref.value, 'DT_RUNPATH').split(':')
    else info.rpath = string(ref.value, 'DT_RPATH').split(':')
  }
  return info
}

function within(offset: number, length: number, size: number, what: string): void {
  if (offset < 0 || length < 0 || offset + length > size) throw new ElfError(`${what}: outside the file (offset ${offset}, ${length} bytes, a file of ${size})`)
}

function exact(read: ReadAt, offset: number, length: number, what: string): Buffer {
  const data = read(offset, length)
  if (data.length < length) throw new ElfError(`${what}: cut short (the file ends)`)
  return data
}

function cString(data: Buffer, what: string): string {
  const end = data.indexOf(0)
  if (end < 0) throw new ElfError(`${what}: no terminated string within ${MAX_STRING} bytes`)
  return data.toString('utf8', 0, end)
}
