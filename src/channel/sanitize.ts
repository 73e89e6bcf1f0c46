/**
 * Where the worker's messages carry stack traces (errors in results, unhandled errors, leak reports,
 * console call sites, the error of a pool response), every frame whose file the host may not read
 * for this sandbox is neutralized before Vitest's main process sees it (./stacks.ts). Messages are
 * our own decoded copies, so they are rewritten in place.
 */
import { isResponse } from '../pool/messages.js'
import { sanitizeFrames, sanitizeStack } from './stacks.js'

/** RPC calls whose arguments carry errors or stacks. */
const CARRIERS = new Set(['onTaskUpdate', 'onCollected', 'onUnhandledError', 'onAsyncLeaks', 'onUserConsoleLog', 'onTaskArtifactRecord'])

/** Properties that name a file next to a position, as errors of some engines carry them. */
const FILE_FIELDS = ['fileName', 'sourceURL']

export function sanitizeMessage(message: unknown, safe: (file: string) => boolean): void {
  if (isResponse(message)) return walk(message.error, safe)
  const call = message as { t?: unknown; m?: unknown; a?: unknown }
  if (call?.t === 'q' && typeof call.m === 'string' && CARRIERS.has(call.m)) walk(call.a, safe)
}

/** Iterative, each object once: messages are at most MAX_DEPTH deep but may share and cycle. */
function walk(root: unknown, safe: (file: string) => boolean): void {
  const seen = new Set<object>()
  const stack: unknown[] = [root]
  while (stack.length) {
    const node = stack.pop()
    if (typeof node !== 'object' || node === null || seen.has(node) || ArrayBuffer.isView(node)) continue
    seen.add(node)
    const record = node as Record<string, unknown>
    if (!Array.isArray(node)) {
      for (const key of ['stack', 'origin']) if (typeof record[key] === 'string') record[key] = sanitizeStack(record[key] as string, safe)
      if (Array.isArray(record.stacks)) record.stacks = sanitizeFrames(record.stacks, safe)
      for (const key of FILE_FIELDS) if (typeof record[key] === 'string' && !safe(record[key] as string)) delete record[key]
    }
    const children = node instanceof Map ? [...node.values()] : node instanceof Set ? [...node] : Object.values(node)
    for (const child of children) if (typeof child === 'object' && child !== null) stack.push(child)
  }
}
