/**
 * The channel's framing and decoding, fed the bytes a hostile worker could write: every input ends
 * in messages or in a ChannelViolation, never in another exception, a hang or an unbounded buffer.
 */
import { PassThrough } from 'node:stream'
import v8 from 'node:v8'
import { describe, expect, test } from 'vitest'
import { checkDepth, decode, decodeUntrusted, MAX_DEPTH, SHALLOW_BYTES, writeMessage } from '../../src/channel/codec.js'
import { ChannelViolation, FrameDecoder, HEADER_BYTES } from '../../src/channel/frames.js'
import { MessageRate } from '../../src/channel/rate.js'

function framed(...messages: unknown[]): Buffer {
  const stream = new PassThrough()
  for (const message of messages) writeMessage(stream, message)
  return stream.read() as Buffer
}

/** A bare header, as a worker could write one whatever follows. */
function frameHeader(length: number): Buffer {
  const header = Buffer.alloc(HEADER_BYTES)
  header.writeUInt32BE(length)
  return header
}

const sample = [
  { t: 'q', i: 1, m: 'fetch', a: ['/src/a.ts', undefined, 'ssr', {}] },
  { __vitest_worker_response__: true, type: 'started' },
  { t: 'q', m: 'onTaskUpdate', a: [[['abc_0', { state: 'fail', errors: [new Error('boom')] }, {}]], []] },
  new Map([[1, new Set(['x'])]]),
  Buffer.from('bytes'),
]

describe('FrameDecoder', () => {
  test('messages come out whole however the bytes are split', () => {
    const bytes = framed(...sample)
    for (const size of [1, 2, 3, 5, 7, 64, bytes.length]) {
      const decoder = new FrameDecoder(1 << 20)
      const out: unknown[] = []
      for (let at = 0; at < bytes.length; at += size) out.push(...decoder.push(bytes.subarray(at, at + size)).map(decode))
      expect(out).toEqual(sample)
      expect(decoder.pending).toBe(0)
    }
  })

  test('a header announcing more than the limit is a violation before anything is buffered for it', () => {
    const decoder = new FrameDecoder(1024)
    expect(() => decoder.push(frameHeader(0xffffffff))).toThrow(ChannelViolation)
    expect(() => new FrameDecoder(1024).push(frameHeader(1025))).toThrow('it sent a message of 1 KiB, over the limit of 1 KiB (limits.messageSize)')
    expect(new FrameDecoder(1024).push(Buffer.concat([frameHeader(1024), Buffer.alloc(1024)]))).toHaveLength(1)
  })
})

describe('decode', () => {
  test.each([
    ['empty', Buffer.alloc(0)],
    ['text', Buffer.from('hello world')],
    ['a wrong version header', Buffer.from([0xff, 0x7f, 0x6f])],
    ['a truncated object', v8.serialize({ a: 'x'.repeat(100) }).subarray(0, 20)],
    ['a host object with a bad type index', Buffer.from([0xff, 0x0f, 0x5c, 0x63, 0xff, 0xff, 0xff, 0x0f, 0x04, 0x00, 0x00, 0x00, 0x00])],
  ])('%s is a violation', (_, bytes) => {
    expect(() => decode(bytes)).toThrow(ChannelViolation)
  })

  test('random mutations of real messages decode or are violations, nothing else (5,000 cases)', () => {
    let seed = 42
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff)
    const originals = sample.map((m) => v8.serialize(m))
    let violations = 0
    for (let n = 0; n < 5000; n++) {
      const bytes = Buffer.from(originals[n % originals.length])
      for (let k = 0, edits = 1 + Math.floor(random() * 4); k < edits; k++) {
        const at = Math.floor(random() * bytes.length)
        bytes[at] = Math.floor(random() * 256)
      }
      const cut = random() < 0.3 ? bytes.subarray(0, Math.floor(random() * bytes.length)) : bytes
      try {
        decodeUntrusted(cut)
      } catch (error) {
        expect(error).toBeInstanceOf(ChannelViolation)
        violations++
      }
    }
    expect(violations).toBeGreaterThan(100)
  })
})

describe('checkDepth', () => {
  function nested(depth: number): unknown {
    let value: unknown = {}
    for (let i = 1; i < depth; i++) value = [value]
    return value
  }

  test(`objects nested up to ${MAX_DEPTH} levels pass, deeper ones are a violation`, () => {
    expect(() => checkDepth(nested(MAX_DEPTH))).not.toThrow()
    expect(() => checkDepth(nested(MAX_DEPTH + 1))).toThrow(ChannelViolation)
    expect(() => checkDepth(decode(v8.serialize(nested(1_000))))).toThrow(ChannelViolation)
    // Deeper than V8's own deserializer can recurse: `{ a: { a: … ` a million times over.
    const deep = Buffer.concat([Buffer.from([0xff, 0x0f]), Buffer.alloc(4 * 1_000_000, Buffer.from([0x6f, 0x22, 0x01, 0x61]))])
    expect(() => decode(deep)).toThrow(ChannelViolation)
  })

  // The most compact way each kind of object can hold another, innermost a one-byte Boolean object.
  const holders: Record<string, (inner: unknown) => unknown> = {
    Set: (inner) => new Set([inner]),
    'Map key': (inner) => new Map([[inner, 0]]),
    'Map value': (inner) => new Map([[0, inner]]),
    array: (inner) => [inner],
    'sparse array': (inner) => Object.assign(new Array(1), { 0: inner }),
    object: (inner) => ({ a: inner }),
    'error cause': (inner) => Object.assign(new Error('', { cause: inner }), { stack: '' }),
  }
  test.each(Object.keys(holders))(`a %s chain deeper than ${MAX_DEPTH} is more than SHALLOW_BYTES, so it is walked and refused`, (kind) => {
    let value: unknown = new Boolean(true)
    for (let level = 1; level <= MAX_DEPTH; level++) value = holders[kind](value)
    const bytes = v8.serialize(value)
    expect(bytes.length).toBeGreaterThan(SHALLOW_BYTES)
    expect(() => decodeUntrusted(bytes)).toThrow(`nested deeper than ${MAX_DEPTH} levels`)
  })

  test('a chain shared through references is no shorter than one without', () => {
    // Every level a new object: a back-reference can only point at one already on the path (a cycle).
    const shared = new Set<unknown>()
    let value: unknown = shared
    for (let level = 1; level <= MAX_DEPTH + 1; level++) value = new Set([value, shared])
    expect(v8.serialize(value).length).toBeGreaterThan(SHALLOW_BYTES)
    expect(() => decodeUntrusted(v8.serialize(value))).toThrow(ChannelViolation)
  })

  test('cycles and shared objects end', () => {
    const a: Record<string, unknown> = {}
    a.self = a
    a.list = [a, a]
    expect(() => checkDepth(decode(v8.serialize(a)))).not.toThrow()
  })
})

describe('MessageRate', () => {
  test('a burst of five seconds worth passes, a sustained flood does not, and the budget refills', () => {
    let now = 0
    const rate = new MessageRate(100, () => now)
    for (let i = 0; i < 500; i++) expect(rate.admit()).toBe(true)
    expect(rate.admit()).toBe(false)
    now += 1000
    for (let i = 0; i < 100; i++) expect(rate.admit()).toBe(true)
    expect(rate.admit()).toBe(false)
  })
})
