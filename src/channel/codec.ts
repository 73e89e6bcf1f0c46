/**
 * Messages on the channel are V8's structured-clone format (what Node's own IPC uses with
 * `serialization: 'advanced'`, so Vitest's messages — Errors, Maps, undefined, typed arrays — keep
 * their shape), each in one frame. Unlike Node's IPC channel, decoding happens where a failure is
 * caught: malformed bytes become a ChannelViolation for that sandbox instead of an exception thrown
 * inside Node's internals, which took Vitest's whole run down.
 */
import type { Writable } from 'node:stream'
import v8 from 'node:v8'
import { ChannelViolation, frameHeader } from './frames.js'

/** Writes the frame carrying `message`. Throws if the message cannot be cloned. */
export function writeMessage(stream: Writable, message: unknown): void {
  const payload = v8.serialize(message)
  stream.cork()
  stream.write(frameHeader(payload.length))
  stream.write(payload)
  stream.uncork()
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

/** Throws ChannelViolation when `value` nests objects deeper than MAX_DEPTH. Iterative. */
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
