/**
 * Snapshot files are written by the pool, not by the worker: the project stays read-only to test
 * code, and the worker's snapshot environment (src/worker/snapshot-environment.ts) sends its writes
 * here over the IPC channel. Only paths the write policy allows are touched.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'

export const FS_REQUEST = '__nsjail_fs__'
export const FS_REPLY = '__nsjail_fs_reply__'

export interface FsRequest {
  /** `check` does nothing but answer whether a write to `path` would be allowed. */
  [FS_REQUEST]: { id: number; op: 'write' | 'remove' | 'mkdir' | 'check'; path: string; content?: string }
}

/** Returns why a write to `target` is refused, or null when it may go ahead. */
export type WriteCheck = (target: string, action: string) => string | null

export function isFsRequest(message: unknown): message is FsRequest {
  return typeof message === 'object' && message !== null && FS_REQUEST in message
}

/** Performs (or refuses) one write request from the worker and answers it. */
export function handleFsRequest(message: FsRequest, check: WriteCheck, reply: (message: unknown) => void): void {
  const { id, op, path: target, content } = message[FS_REQUEST]
  const done = (error?: string) => reply({ [FS_REPLY]: { id, error } })
  const refusal = typeof target === 'string' && path.isAbsolute(target) ? check(target, `snapshot ${op}`) : `not an absolute path: ${String(target)}`
  if (refusal) return done(refusal)
  const work =
    op === 'write' ? mkdir(path.dirname(target), { recursive: true }).then(() => writeFile(target, String(content ?? ''), 'utf-8'))
    : op === 'remove' ? rm(target, { force: true })
    : op === 'mkdir' ? mkdir(target, { recursive: true }).then(() => {})
    : op === 'check' ? Promise.resolve()
    : Promise.reject(new Error(`unknown operation ${String(op)}`))
  work.then(() => done(), (error: Error) => done(error.message))
}
