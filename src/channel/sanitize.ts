/**
 * Where the worker's messages carry stack traces (errors in results, unhandled errors, leak reports,
 * console call sites, the error of a pool response), every frame whose file the host may not read
 * for this sandbox is neutralized before Vitest's main process sees it (./stacks.ts), and a `cause`
 * that leads back to its own error is cut. Messages are our own decoded copies, so they are
 * rewritten in place.
 */
import { isResponse } from '../pool/messages.js'
import { heldValues } from './codec.js'
import { sanitizeFrames, sanitizeStack } from './stacks.js'

/** RPC calls whose arguments carry errors or stacks. */
const CARRIERS = new Set(['onTaskUpdate', 'onCollected', 'onUnhandledError', 'onAsyncLeaks', 'onUserConsoleLog', 'onTaskArtifactRecord'])

/** Properties that name a file next to a position, as errors of some engines carry them. */
const FILE_FIELDS = ['fileName', 'sourceURL']

/**
 * What an error's `cause` becomes when following causes leads back to that error. Vitest's main
 * process prints each cause in turn, prefixing its name with "Caused by: " each time, with no end
 * on a cycle: a stack overflow after megabytes of output, gigabytes with a long name.
 */
export const CAUSE_CYCLE = '[cause not shown: following it leads back to this error]'

export function sanitizeMessage(message: unknown, safe: (file: string) => boolean): void {
  if (isResponse(message)) return walk(message.error, safe)
  const call = message as { t?: unknown; m?: unknown; a?: unknown }
  if (call?.t === 'q' && typeof call.m === 'string' && CARRIERS.has(call.m)) walk(call.a, safe)
}

/** Iterative, each object once: messages are at most MAX_DEPTH deep but may share and cycle. */
function walk(root: unknown, safe: (file: string) => boolean): void {
  const seen = new Set<object>()
  const settled = new Set<object>()
  const stack: unknown[] = [root]
  while (stack.length) {
    const node = stack.pop()
    if (typeof node !== 'object' || node === null || seen.has(node)) continue
    seen.add(node)
    const record = node as Record<string, unknown>
    if (!Array.isArray(node)) {
      for (const key of ['stack', 'origin']) if (typeof record[key] === 'string') record[key] = sanitizeStack(record[key] as string, safe)
      if (Array.isArray(record.stacks)) record.stacks = sanitizeFrames(record.stacks, safe)
      for (const key of FILE_FIELDS) if (typeof record[key] === 'string' && !safe(record[key] as string)) delete record[key]
      // Most objects have no cause to follow: only a chain can lead back.
      if (typeof record.cause === 'object' && record.cause !== null) cutCauseCycle(node, settled)
    }
    for (const child of heldValues(node)) if (typeof child === 'object' && child !== null) stack.push(child)
  }
}

/**
 * Follows causes from `error` until one ends or comes back to an error met on the way, whose link
 * back it cuts: every error of a cycle is kept once, in order. `settled` holds the errors whose
 * chains are already known to end, so each error is followed once per message, however long its
 * chain.
 */
function cutCauseCycle(error: object, settled: Set<object>): void {
  const chain = new Set<object>()
  let node: unknown = error
  while (typeof node === 'object' && node !== null && !settled.has(node)) {
    chain.add(node)
    const record = node as Record<string, unknown>
    if (typeof record.cause === 'object' && record.cause !== null && chain.has(record.cause)) {
      record.cause = CAUSE_CYCLE
      break
    }
    node = record.cause
  }
  for (const link of chain) settled.add(link)
}
