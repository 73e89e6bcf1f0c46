/**
 * The RPC firewall: a sandboxed worker asks Vitest's main process (unsandboxed, on the host) to
 * resolve and load modules, copy attachments, read coverage files… and the main process would do so
 * for any path: `await import('/root/secret.txt?raw')` from inside the sandbox returned the file.
 * Every call from the worker passes `inspect` before Vitest sees it, and every answer from Vitest
 * passes `inspectReply` before the worker sees it.
 *
 * The rule is one sentence: the main process may touch a path on the worker's behalf only when the
 * sandbox could read it itself (the plan's readable and writable mounts: ./view.ts). Where the main
 * process would read or write a file the sandbox can change (5.x benchmark results, 5.x coverage
 * files, attachments in a writable folder), a check would race with the sandbox swapping in a
 * symlink: those calls are done by the pool instead, beneath a directory fd (../host-calls.ts), and
 * answered, or forwarded naming the pool's copy.
 *
 * - which methods exist and how each is policed: ./rpc-methods.ts (a method not listed is refused);
 * - how module ids name files: ./module-ids.ts; the other argument checks: ./calls.ts;
 * - answers (where an import really went, source maps): ./replies.ts.
 * Static imports, `vi.importActual`/`vi.importMock`, `vi.mock`, `import.meta.glob` expansions and
 * `import()` of strings built at run time all reach the main process as `resolve`/`fetch` calls
 * (checked on real traffic: test/firewall/real-traffic.test.ts).
 *
 * Not covered here: files the worker reads itself (mounts do that), the fs-module-cache directory
 * the main process writes transformed code to (shared by all test files of a run), and the
 * check-then-read race on modules under writable roots (the sandbox could swap a checked file for a
 * symlink before Vite reads it; those paths are never cached, but the race remains).
 */
import { callChecks, type CallOptions } from './calls.js'
import { resolveAbsolute } from './paths.js'
import { PREFIX, Refusal, refusalError } from './refusal.js'
import { replyWatch } from './replies.js'
import { methodRule } from './rpc-methods.js'
import { createView, type FirewallAccess } from './view.js'

export type { FirewallAccess } from './view.js'
export { refusalError } from './refusal.js'
export { cleanUrl } from './paths.js'

export interface FirewallOptions extends CallOptions {
  /** Test files of this sandbox (relative to the root), named in refusals: "a rule for …". */
  files?: string[]
}

export type Verdict =
  /** Forward the message, or `message` instead: the same call naming the pool's copy of a file. */
  | { pass: true; message?: unknown }
  | {
      pass: false
      /**
       * What to send to the worker instead of forwarding the message: a birpc answer that rejects
       * the call (or, for a `quiet` verdict, resolves it harmlessly, or with the pool's own answer).
       * `undefined` when the message expects no answer (an event, or a malformed message): just drop it.
       */
      reply: unknown
      /** The refusal, as the worker sees it: for logs. */
      refusal: string
      /** Expected in normal runs (e.g. 5.x prewarming): log at debug level only. */
      quiet?: boolean
      /** The host path an `fs.readonly` entry would have to name for the call to pass (src/violations). */
      readable?: string
    }

export interface Firewall {
  /** A message from the worker, before Vitest sees it. */
  inspect(message: unknown): Verdict
  /** A message from Vitest, before the worker sees it: answers to resolve/fetch/fetchWarmModules. */
  inspectReply(message: unknown): Verdict
  /** Whether the sandbox may read `target` (absolute), i.e. the main process may read it for it. */
  canRead(target: string): boolean
  /**
   * Whether the main process may open `target` (absolute) because the sandbox named it (a stack
   * frame): a regular file or nothing, readable by the sandbox, and not where the sandbox writes,
   * since there it could swap the file for a FIFO or a link between this check and the read.
   */
  hostMayOpen(target: string): boolean
}

const PASS: Verdict = Object.freeze({ pass: true })

export function createFirewall(access: FirewallAccess, options: FirewallOptions = {}): Firewall {
  const view = createView(access, options.files)
  const checkCall = callChecks(view, options)
  const replies = replyWatch(view)

  function refuse(message: { i?: unknown }, refusal: Refusal): Verdict {
    const id = message.i
    if (typeof id !== 'string' && typeof id !== 'number') return { pass: false, reply: undefined, refusal: refusal.text, readable: refusal.readable }
    if (refusal.quiet) return { pass: false, reply: { t: 's', i: id, r: undefined }, refusal: refusal.text, quiet: true }
    return { pass: false, reply: { t: 's', i: id, e: refusalError(refusal.text) }, refusal: refusal.text, readable: refusal.readable }
  }

  function inspect(message: unknown): Verdict {
    if (typeof message !== 'object' || message === null) {
      return { pass: false, reply: undefined, refusal: `${PREFIX} a message that is not an object (${message === null ? 'null' : typeof message}).` }
    }
    const m = message as { __vitest_worker_response__?: unknown; t?: unknown; i?: unknown; m?: unknown; a?: unknown }
    // Vitest routes anything with this flag to the pool protocol, never to birpc.
    if (m.__vitest_worker_response__) return PASS
    // Answers (to the main process's own calls) and anything else birpc treats as an answer: inert.
    if (m.t !== 'q') return PASS
    const rule = methodRule(m.m)
    if (!rule) {
      return refuse(m, new Refusal(
        `${PREFIX} an RPC call to ${JSON.stringify(m.m)}: the method is not in the sandbox's RPC policy (written for Vitest 4.1 and 5.x). ` +
          'A newer Vitest may have added it: upgrade vitest-pool-nsjail, or report it.',
      ))
    }
    const method = m.m as string
    const args = m.a === undefined ? [] : m.a
    if (!Array.isArray(args)) return refuse(m, new Refusal(`${PREFIX} ${method}(): the arguments are not an array.`))
    let outcome: ReturnType<typeof checkCall>
    try {
      outcome = checkCall(method, rule.check, args)
      if (!(outcome && 'answer' in outcome)) replies.track(method, m.i, args)
    } catch (error) {
      if (error instanceof Refusal) return refuse(m, error)
      throw error
    }
    if (outcome && 'answer' in outcome) {
      const text = `${method}(): answered by the pool`
      const id = m.i
      if (typeof id !== 'string' && typeof id !== 'number') return { pass: false, reply: undefined, refusal: text, quiet: true }
      return { pass: false, reply: { t: 's', i: id, r: outcome.answer }, refusal: text, quiet: true }
    }
    return outcome ? { pass: true, message: { ...m, a: outcome.args } } : PASS
  }

  function canRead(target: string): boolean {
    if (typeof target !== 'string' || !target.startsWith('/') || target.includes('\0')) return false
    return view.locate(resolveAbsolute(target)).readable
  }

  function hostMayOpen(target: string): boolean {
    if (!canRead(target)) return false
    const normal = resolveAbsolute(target)
    const located = view.locate(normal)
    return (located.kind === 'file' || located.kind === 'missing') && !view.writable(normal, located)
  }

  return { inspect, inspectReply: replies.inspectReply, canRead, hostMayOpen }
}
