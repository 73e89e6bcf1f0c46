/**
 * Messages on the channel are V8's structured-clone format (what Node's own IPC uses with
 * `serialization: 'advanced'`, so Vitest's messages — Errors, Maps, undefined, typed arrays — keep
 * their shape), each in one frame. Unlike Node's IPC channel, decoding happens where a failure is
 * caught: malformed bytes become a ChannelViolation for that sandbox instead of an exception thrown
 * inside Node's internals, which took Vitest's whole run down.
 */
import type { Writable } from 'node:stream'
import v8 from 'node:v8'
import { ChannelViolation, HEADER_BYTES } from './frames.js'

/**
 * The frame carrying `message`: the payload is serialized behind room for its header, so the frame
 * is one buffer, written in one call (no copy, no corked write of two pieces). Throws if the message
 * cannot be cloned.
 */
function encodeFrame(message: unknown): Buffer {
  const serializer = new v8.DefaultSerializer()
  serializer.writeRawBytes(HEADER_ROOM)
  serializer.writeHeader()
  serializer.writeValue(message)
  const frame = serializer.releaseBuffer()
  frame.writeUInt32BE(frame.length - HEADER_BYTES, 0)
  return frame
}

const HEADER_ROOM = Buffer.alloc(HEADER_BYTES)

export function writeMessage(stream: Writable, message: unknown): void {
  stream.write(encodeFrame(message))
}

/** The message in one frame's payload. Throws ChannelViolation for bytes that are not one. */
export function decode(payload: Buffer): unknown {
  try {
    return v8.deserialize(payload)
  } catch (error) {
    throw new ChannelViolation(`it sent a message that is not valid (${(error as Error).message})`)
  }
}

/**
 * Objects nested deeper than this are a violation: Vitest's own messages stay far below it, and the
 * host walks messages (firewall, sanitizers) that must not recurse without bound.
 */
export const MAX_DEPTH = 200

/**
 * Payloads this small cannot nest deeper than MAX_DEPTH, so they are not walked (most messages are:
 * `resolve`, `fetch`, `onQueued`…). In V8's format every object that holds another takes at least
 * two bytes of its own (a tag that opens it and one that closes it or counts it), the innermost one
 * at least one, and the version header two. A walk that visits each object once (checkDepth) only
 * goes down through distinct objects, so depth d needs 2d + 1 bytes or more.
 */
export const SHALLOW_BYTES = 2 * MAX_DEPTH

/** A worker's message: decoded, and checked for depth when its size allows it to be too deep. */
export function decodeUntrusted(payload: Buffer): unknown {
  const message = decode(payload)
  if (payload.length > SHALLOW_BYTES) checkDepth(message)
  return message
}

/** Throws ChannelViolation when `value` nests objects deeper than MAX_DEPTH. Iterative, each object once. */
export function checkDepth(value: unknown): void {
  if (typeof value !== 'object' || value === null) return
  const stack: Array<[object, number]> = [[value, 1]]
  const seen = new Set<object>()
  while (stack.length) {
    const [node, depth] = stack.pop()!
    if (seen.has(node)) continue
    seen.add(node)
    if (depth > MAX_DEPTH) throw new ChannelViolation(`it sent a message nested deeper than ${MAX_DEPTH} levels`)
    for (const child of heldValues(node)) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1])
  }
}

/**
 * What a decoded object holds: a Map's keys and values, a Set's members, an object's or array's own
 * enumerable values, and an Error's `cause`, which V8 decodes as a non-enumerable property (so a walk
 * of enumerable values alone would never reach a chain of causes, nor the stacks along it).
 */
export function heldValues(node: object): Iterable<unknown> {
  if (ArrayBuffer.isView(node)) return []
  if (node instanceof Map) return [...node.keys(), ...node.values()]
  if (node instanceof Set) return node
  const values = Object.values(node)
  if (node instanceof Error && Object.hasOwn(node, 'cause') && !Object.prototype.propertyIsEnumerable.call(node, 'cause')) values.push(node.cause)
  return values
}
