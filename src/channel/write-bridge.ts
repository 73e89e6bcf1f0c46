/**
 * Snapshot files are written by the pool, not by the worker: the project stays read-only to test
 * code, and the worker's snapshot environment (src/worker/snapshot-environment.ts) sends its writes
 * here as `{ __nsjail_fs__: { id, op, path, content? } }` and gets `{ __nsjail_fs_reply__: { id,
 * error? } }` back. ./snapshot-writes.ts decides what a request may do; this carries it out beneath
 * a directory fd (src/hostfs), within the sandbox's write budget.
 */
import { HostFsError, type HostFs } from '../hostfs/beneath.js'
import type { BaseDirs } from './base-dirs.js'
import { inlineRewriteRefusal } from './inline-snapshots.js'
import { snapFileRefusal } from './snap-file.js'
import { judgeSnapshotWrite, type FsOp, type SnapshotRules } from './snapshot-writes.js'
import type { ByteBudget } from './budgets.js'

export const FS_REQUEST = '__nsjail_fs__'
export const FS_REPLY = '__nsjail_fs_reply__'

/** Test files are read whole to check an inline-snapshot rewrite; none is anywhere near this. */
const TEST_FILE_LIMIT = 64 * 1024 * 1024

export interface FsRequest {
  /** `check` writes nothing: it answers whether a write to `path` would be allowed. */
  [FS_REQUEST]: { id: number; op: FsOp; path: string; content?: string }
}

export interface FsReply {
  [FS_REPLY]: { id: number; error?: string }
}

export function isFsRequest(message: unknown): message is FsRequest {
  return typeof message === 'object' && message !== null && FS_REQUEST in message
}

/** A write refused while carrying it out (the inline check runs on the file as read). */
class Refused extends Error {}

export interface WriteBridge {
  /** Performs (or refuses) one request from the worker; returns the reply. */
  handle(message: FsRequest): FsReply
}

export function createWriteBridge(rules: SnapshotRules, dirs: BaseDirs, budget: ByteBudget): WriteBridge {
  const fs: HostFs = dirs.fs

  function perform(op: FsOp, target: unknown, content: unknown): string | undefined {
    const plan = judgeSnapshotWrite(op, target, rules)
    if ('refusal' in plan) return plan.refusal
    const failed = (why: string) => `vitest-pool-nsjail: the sandbox refused to snapshot ${op === 'check' ? 'write' : op} ${JSON.stringify(target)}: ${why}`
    const spend = (data: Buffer) => {
      const over = budget.take(data.length)
      if (over) throw new Refused(`${over}. The file is not written.`)
      return data
    }
    try {
      const base = dirs.get(plan.base)
      if (plan.action === 'none') {
        // A check: what the write would meet. The worker sees a dangling symlink as a missing file.
        // (A check that passes here fails the file later, at its end, when the write is refused.)
        if (budget.remaining === 0) return failed(`nothing more is written: ${budget.describe()} is spent.`)
        const kind = fs.kind(base, plan.rel)
        if (kind === 'symlink') return failed(`${plan.rel} is a symbolic link, which the pool never writes through.`)
        if (kind === 'directory' || kind === 'other') return failed(`${plan.rel} is not a regular file.`)
        return undefined
      }
      if (plan.action === 'mkdir') return void fs.mkdirs(base, plan.rel)
      if (plan.action === 'remove') return void fs.unlink(base, plan.rel)
      if (typeof content !== 'string') return failed('the request carries no content.')
      if (plan.action === 'inline') {
        fs.replace(base, plan.rel, (current) => {
          const refusal = inlineRewriteRefusal(current.toString('utf8'), content, rules.mode === 'all' ? 'all' : 'new')
          if (refusal) throw new Refused(`${refusal}.`)
          return spend(Buffer.from(content, 'utf8'))
        }, TEST_FILE_LIMIT)
        return undefined
      }
      if (plan.action === 'snap') {
        const refusal = snapFileRefusal(content)
        if (refusal) return failed(`a snapshot file is written only in Vitest's own format, and ${refusal}.`)
      }
      const data = spend(Buffer.from(content, 'utf8'))
      if (plan.action === 'create') fs.create(base, plan.rel, data, { mkdirs: true })
      else fs.write(base, plan.rel, data, { mkdirs: true })
      return undefined
    } catch (error) {
      if (error instanceof Refused) return failed(error.message)
      if (error instanceof HostFsError) {
        const hint = plan.action === 'create' && error.code === 'EEXIST' ? " A run that only adds snapshots (update: 'new') never rewrites a file; update it with -u." : ''
        return failed(`${error.message}.${hint}`)
      }
      return failed((error as Error).message)
    }
  }

  return {
    handle(message) {
      const { id, op, path, content } = message[FS_REQUEST] ?? ({} as FsRequest[typeof FS_REQUEST])
      const error = perform(op, path, content)
      return { [FS_REPLY]: error === undefined ? { id } : { id, error } }
    },
  }
}
