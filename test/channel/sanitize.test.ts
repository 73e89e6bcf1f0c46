/**
 * Errors whose causes come back to them, as a worker can send them (V8's format keeps cycles): the
 * sanitizer cuts each cycle at one link back, keeping every error once and in order
 * (fixtures/forgery/test/cause-cycle.test.ts does the same through the real pool).
 */
import v8 from 'node:v8'
import { expect, test } from 'vitest'
import { CAUSE_CYCLE, sanitizeMessage } from '../../src/channel/sanitize.js'

type Err = { message: string; cause?: unknown }
const update = (...errors: Err[]) => ({ t: 'q', m: 'onTaskUpdate', a: [[['f_0', { state: 'fail', errors }, {}]], []] })
/** The message as the host decodes it, sanitized; returns its errors. */
function sanitized(...errors: Err[]): Err[] {
  const message = v8.deserialize(v8.serialize(update(...errors))) as ReturnType<typeof update>
  sanitizeMessage(message, () => true)
  return message.a[0][0][1].errors
}
const causes = (error: Err) => {
  const out: unknown[] = []
  // Bounded, so a cycle left in place fails the test instead of hanging it.
  for (let e: unknown = error; typeof e === 'object' && e !== null && out.length <= 10_000; e = (e as Err).cause) out.push((e as Err).message)
  return out
}

test('an error that is its own cause keeps itself, without the cause', () => {
  const a: Err = { message: 'a' }
  a.cause = a
  const [out] = sanitized(a)
  expect(out.cause).toBe(CAUSE_CYCLE)
})

test('a cycle of two, or of 1,000, is cut at the link back to the error met first', () => {
  const a: Err = { message: 'a' }
  const b: Err = { message: 'b', cause: a }
  a.cause = b
  expect(causes(sanitized(a)[0])).toEqual(['a', 'b'])
  const ring: Err[] = Array.from({ length: 1000 }, (_, i) => ({ message: `e${i}` }))
  ring.forEach((e, i) => (e.cause = ring[(i + 1) % ring.length]))
  const [out] = sanitized(ring[0])
  expect(causes(out)).toEqual(ring.map((e) => e.message))
})

test('a long chain that ends in a cycle is cut once: from every error, each cause is met once', () => {
  // 1,000 errors (about as deep as V8 serializes), each the cause of the next, the last one's cause the 500th; every error is also
  // listed in the result, so the walk meets each of them first from another place.
  const chain: Err[] = Array.from({ length: 1000 }, (_, i) => ({ message: `e${i}` }))
  chain.forEach((e, i) => (e.cause = chain[i + 1] ?? chain[500]))
  const out = sanitized(...chain)
  expect(out.filter((e) => e.cause === CAUSE_CYCLE)).toHaveLength(1)
  for (const error of out) expect(new Set(causes(error)).size).toBe(causes(error).length)
})

test('errors without cycles are left as they are', () => {
  const root: Err = { message: 'root', cause: { message: 'inner', cause: 'a string' } }
  expect(causes(sanitized(root)[0])).toEqual(['root', 'inner'])
})

test('the stack of a cause is sanitized when the errors are V8 errors, whose causes do not enumerate', () => {
  // What a worker sends when it puts real Error objects in a message instead of Vitest's plain copies.
  const inner = new Error('inner')
  inner.stack = 'Error: inner\n    at /root/.ssh/id_rsa:1:1'
  const outer = new Error('outer', { cause: inner })
  outer.stack = 'Error: outer\n    at /project/test/a.test.ts:1:1'
  const message = v8.deserialize(v8.serialize({ t: 'q', m: 'onUnhandledError', a: [outer, 'Error'] })) as { a: [Error & { cause: Error }] }
  sanitizeMessage(message, (file) => file.startsWith('/project/'))
  const [error] = message.a
  expect(error.stack).toContain('/project/test/a.test.ts:1:1')
  expect(error.cause.stack).toContain('inner')
  expect(error.cause.stack).not.toMatch(/\/root\/\.ssh\/id_rsa:1:1/)
})
