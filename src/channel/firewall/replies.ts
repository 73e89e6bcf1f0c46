/**
 * Vitest's answers to the worker's module calls, checked on their way back: where a bare import or
 * an alias really went (a `resolve` answer, or a `fetch` answer carrying code, for an existing file
 * outside the readable set is replaced by a refusal), the cached modules a 5.x `fetchWarmModules`
 * answer hands out, and the source map inside fetched code (./source-maps.ts).
 */
import { advisedPath } from '../../isolate/package-root.js'
import { cleanUrl, resolveAbsolute, unique } from './paths.js'
import { PREFIX, Refusal, refusalError } from './refusal.js'
import { checkSourceMap } from './source-maps.js'
import type { View } from './view.js'

/** Methods whose answers are looked at. */
const WATCHED = new Set(['fetch', 'resolve', 'fetchWarmModules'])
const PENDING_LIMIT = 100_000

export type ReplyVerdict =
  | { pass: true }
  /** `reply` replaces the answer: a refusal, or the answer with what may not be seen taken out. */
  | { pass: false; reply: unknown; refusal: string; quiet?: boolean; readable?: string }

export function replyWatch(view: View) {
  /** birpc call id → the method and first argument, for the answers checked here. */
  const pending = new Map<string, { method: string; shown: string }>()

  /** An absolute path that exists on the host and is not readable by the sandbox. */
  function outsideExisting(file: string): boolean {
    if (!file.startsWith('/') || file.includes('\0')) return false
    const located = view.locate(resolveAbsolute(file))
    return located.kind !== 'missing' && !located.readable
  }

  /** Remembers a call whose answer will be checked; throws a Refusal for a reused id or a flood. */
  function track(method: string, id: unknown, args: unknown[]): void {
    if (!WATCHED.has(method) || (typeof id !== 'string' && typeof id !== 'number')) return
    const key = String(id)
    if (pending.has(key)) throw new Refusal(`${PREFIX} ${method}(): the call id ${JSON.stringify(id)} is already in use.`)
    if (pending.size >= PENDING_LIMIT) throw new Refusal(`${PREFIX} ${method}(): too many unanswered calls.`)
    pending.set(key, { method, shown: typeof args[0] === 'string' ? args[0] : method === 'fetchWarmModules' ? String(args[0]) : '' })
  }

  function inspectReply(message: unknown): ReplyVerdict {
    if (typeof message !== 'object' || message === null) return { pass: true }
    const m = message as { t?: unknown; i?: unknown; r?: unknown; e?: unknown }
    if (m.t !== 's' || (typeof m.i !== 'string' && typeof m.i !== 'number')) return { pass: true }
    const call = pending.get(String(m.i))
    if (!call) return { pass: true }
    pending.delete(String(m.i))
    const result = m.r
    if (m.e !== undefined || !result || typeof result !== 'object') return { pass: true }
    const shown = `${call.method}(${JSON.stringify(call.shown)})`
    if (call.method === 'fetchWarmModules') return warmModules(m, result as Record<string, unknown>, shown)
    const r = result as { file?: unknown; id?: unknown; code?: unknown; tmp?: unknown }
    // fetch: only answers that carry the module's content (code, or a tmp copy) matter; externalized
    // modules are imported by the worker itself, inside the sandbox. resolve: where the id went.
    if (call.method === 'fetch' && !('code' in r) && !('tmp' in r)) return { pass: true }
    const file = typeof r.file === 'string' ? r.file : typeof r.id === 'string' ? cleanUrl(r.id) : undefined
    if (file !== undefined && outsideExisting(file)) {
      const located = view.locate(resolveAbsolute(file))
      const readable = advisedPath(located.real, view.realRoot)
      const text = `${PREFIX} ${shown}: it resolves to ${located.real}, outside what this test file may read. ` +
        `Allow it with fs.readonly: [${JSON.stringify(readable)}] ${view.ruleHint()}.`
      return { pass: false, reply: { t: 's', i: m.i, e: refusalError(text) }, refusal: text, readable }
    }
    if (typeof r.code === 'string') {
      const checked = checkSourceMap(r.code, file, (source) => !outsideExisting(source))
      if (checked.code !== r.code) {
        return {
          pass: false,
          reply: { ...m, r: { ...r, code: checked.code } },
          refusal: `${PREFIX} ${shown}: removed from its source map the content of ${checked.dropped.join(', ')}, outside what this test file may read.`,
          quiet: true,
        }
      }
    }
    return { pass: true }
  }

  function warmModules(m: object, result: Record<string, unknown>, shown: string): ReplyVerdict {
    const kept: Record<string, unknown> = {}
    const dropped: string[] = []
    for (const [key, entry] of Object.entries(result)) {
      const file = (entry as { file?: unknown } | null)?.file
      if (typeof file === 'string' && outsideExisting(file)) dropped.push(file)
      else kept[key] = entry
    }
    if (!dropped.length) return { pass: true }
    return {
      pass: false,
      reply: { ...m, r: kept },
      refusal: `${PREFIX} ${shown}: dropped cached modules outside what this test file may read: ${unique(dropped).join(', ')}.`,
      quiet: true,
    }
  }

  return { track, inspectReply }
}
