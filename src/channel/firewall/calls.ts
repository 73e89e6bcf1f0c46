/**
 * The argument checks of each kind of RPC call (the kinds are in ./rpc-methods.ts): module ids,
 * file lists, attachments, coverage payloads, and the calls the pool answers itself. A check throws
 * a Refusal, or says what to forward instead (the same call naming the pool's copy of a file), or
 * what the pool answers.
 */
import path from 'node:path'
import type { HostCalls } from '../host-calls.js'
import { fileOf, moduleChecks } from './module-ids.js'
import { resolveAbsolute } from './paths.js'
import { PREFIX, Refusal } from './refusal.js'
import type { Check } from './rpc-methods.js'
import type { View } from './view.js'

export interface CallOptions {
  /**
   * True when transformed modules reach the worker as files it reads (the PoolWorker's
   * `cacheFs: true`, or Vitest's fs module cache). Then `prewarmModuleGraph` (5.x) is refused: it
   * makes the main process transform a whole import graph, unchecked, into files the sandbox can
   * read. Default true.
   */
  tmpCopies?: boolean
  /** The pool's race-free file operations for the calls that need them; without, those are refused. */
  host?: HostCalls
}

export type CallOutcome = void | { args: unknown[] } | { answer: unknown }

export function callChecks(view: View, options: CallOptions) {
  const tmpCopies = options.tmpCopies ?? true
  const { checkModuleId, checkImporter } = moduleChecks(view)
  const { locate, mustRead, readRefusal } = view

  function checkCall(method: string, check: Check, args: unknown[]): CallOutcome {
    switch (check) {
      case 'pass':
        return
      case 'module':
        checkImporter(method, args[0], args[1])
        return checkModuleId(method, args[0], args[1])
      case 'module-file-url':
        return checkModuleId(method, args[0], undefined)
      case 'module-graph-entry':
        return checkGraphEntry(method, args)
      case 'prewarm':
        if (tmpCopies) {
          throw new Refusal(
            `${PREFIX} ${method}(): pre-transforming the import graph would write modules the firewall has not checked where this sandbox reads them. The worker fetches modules one by one instead.`,
            true,
          )
        }
        return checkFiles(method, args[1])
      case 'warm-files':
        return checkFiles(method, args[1])
      case 'artifact': {
        const artifact = checkArtifact(method, args[1])
        return artifact === args[1] ? undefined : { args: [args[0], artifact, ...args.slice(2)] }
      }
      case 'coverage': {
        const meta = checkCoverage(method, args[0])
        return meta === args[0] ? undefined : { args: [meta, ...args.slice(1)] }
      }
      case 'benchmark-read':
        return { answer: byPool(method, (host) => host.readBenchmark(args[0])) }
      case 'benchmark-write':
        return { answer: byPool(method, (host) => host.writeBenchmark(args[0], args[1])) }
    }
  }

  function checkGraphEntry(method: string, args: unknown[]): void {
    for (const value of args.slice(0, 2)) {
      if (typeof value !== 'string') continue
      const file = fileOf(value)
      if (file === undefined) continue
      try {
        mustRead(`${method}(${JSON.stringify(value)})`, file)
      } catch (refusal) {
        if (!(refusal instanceof Refusal)) throw refusal
        // The call only feeds Vitest's module graph: answered harmlessly, never forwarded.
        throw new Refusal(refusal.text, true)
      }
    }
  }

  /** A call the pool performs itself; its failure is the refusal. */
  function byPool<T>(method: string, call: (host: HostCalls) => T): T {
    if (!options.host) throw new Refusal(`${PREFIX} ${method}(): the pool does not serve this call here.`)
    try {
      return call(options.host)
    } catch (error) {
      throw new Refusal((error as Error).message)
    }
  }

  function checkFiles(method: string, files: unknown): void {
    if (!Array.isArray(files)) throw new Refusal(`${PREFIX} ${method}(): the file list is not an array.`)
    for (const file of files) {
      if (typeof file !== 'string') throw new Refusal(`${PREFIX} ${method}(): a file is not a string.`)
      if (path.isAbsolute(file)) mustRead(`${method}(${JSON.stringify(file)})`, file)
    }
  }

  /** The attachment as the main process may see it: unchanged, or naming the pool's copy. */
  function checkAttachment(method: string, attachment: unknown): unknown {
    if (!attachment || typeof attachment !== 'object') return attachment
    const target = (attachment as { path?: unknown }).path
    if (!target) return attachment
    if (typeof target !== 'string') throw new Refusal(`${PREFIX} ${method}(): an attachment path is not a string.`)
    if (target.startsWith('http://') || target.startsWith('https://')) return attachment
    if (target.includes('\0')) throw new Refusal(`${PREFIX} ${method}(): the attachment path contains a NUL byte.`)
    // The main process copies it from path.resolve(root, target) into attachmentsDir. In a writable
    // folder the sandbox could swap it for a symlink after any check: the pool copies it itself.
    const absolute = path.resolve(view.root, target)
    if (view.writable(absolute, { real: absolute, kind: 'missing', readable: false })) {
      return { ...attachment, path: byPool(method, (host) => host.copyAttachment(absolute)) }
    }
    const call = `${method}(attachment ${JSON.stringify(target)})`
    mustRead(call, absolute)
    const into = view.writeRootOf(locate(resolveAbsolute(absolute)).real)
    if (into) throw new Refusal(`${PREFIX} ${call}: it leads through a symlink into the writable folder ${into}; name the file by its path there.`)
    return attachment
  }

  function checkArtifact(method: string, artifact: unknown): unknown {
    if (!artifact || typeof artifact !== 'object') return artifact
    const { attachments, annotation } = artifact as { attachments?: unknown; annotation?: { attachment?: unknown } }
    let checked = artifact as Record<string, unknown>
    if (Array.isArray(attachments)) {
      const seen = attachments.map((attachment) => checkAttachment(method, attachment))
      if (seen.some((a, i) => a !== attachments[i])) checked = { ...checked, attachments: seen }
    } else if (attachments !== undefined && attachments !== null && typeof attachments === 'object') {
      throw new Refusal(`${PREFIX} ${method}(): attachments is not an array.`)
    }
    if (annotation && typeof annotation === 'object') {
      const attachment = checkAttachment(method, annotation.attachment)
      if (attachment !== annotation.attachment) checked = { ...checked, annotation: { ...annotation, attachment } }
    }
    return checked
  }

  /** The suite's metadata as the main process may see it: unchanged, or naming the pool's copy. */
  function checkCoverage(method: string, meta: unknown): unknown {
    if (!meta || typeof meta !== 'object') return meta
    const coverage = (meta as { coverage?: unknown }).coverage
    if (!coverage) return meta
    if (typeof coverage === 'string') {
      // 5.x: the worker wrote this JSON file; the main process reads it for the report. Its folder is
      // the sandbox's own: the pool copies the file out (../coverage-files.ts).
      if (options.host?.coverageFile) return { ...meta, coverage: byPool(method, (host) => host.coverageFile!(coverage)) }
      if (!path.isAbsolute(coverage)) throw new Refusal(`${PREFIX} ${method}(${JSON.stringify(coverage)}): the coverage file path is not absolute.`)
      mustRead(`${method}(${JSON.stringify(coverage)})`, coverage)
      return meta
    }
    if (typeof coverage !== 'object') return meta
    // 4.1: the coverage itself. The files it names are read on the host for the report (sources,
    // source maps): one that exists must be readable by the sandbox and a regular file (files only the
    // sandbox has, e.g. in its private /tmp, do not exist here). One in a folder the sandbox writes it
    // could swap for a FIFO before the report reads it: its entry is left out of the coverage.
    const judge = (name: string): 'keep' | 'drop' => {
      const file = fileOf(name)
      if (file === undefined) return 'keep'
      const normal = resolveAbsolute(file)
      const located = locate(normal)
      const call = `${method}(coverage of ${JSON.stringify(name)})`
      if (!located.readable && located.kind !== 'missing') throw readRefusal(call, normal, located)
      if (located.kind === 'other' || located.kind === 'dir') throw new Refusal(`${PREFIX} ${call}: it is not a regular file.`)
      return view.writable(normal, located) ? 'drop' : 'keep'
    }
    const result = (coverage as { result?: unknown }).result
    if (Array.isArray(result)) {
      const kept = result.filter((entry) => {
        const url = (entry as { url?: unknown } | null)?.url
        return !(typeof url === 'string' && url.startsWith('file:')) || judge(url) === 'keep'
      })
      return kept.length === result.length ? meta : { ...meta, coverage: { ...coverage, result: kept } }
    }
    const entries = Object.entries(coverage)
    const kept = entries.filter(([key, value]) => {
      const named = (value as { path?: unknown } | null)?.path
      return judge(typeof named === 'string' ? named : key) === 'keep'
    })
    return kept.length === entries.length ? meta : { ...meta, coverage: Object.fromEntries(kept) }
  }

  return checkCall
}
