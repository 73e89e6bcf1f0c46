/**
 * A file whose sandbox died before its worker reported it (a crash or a limit hit while the file was
 * still being imported) would be missing from Vitest's summary. The pool reports it itself, the way
 * the worker would have: an `onCollected` event on the channel carrying the file, failed, with why.
 */
import path from 'node:path'
import { generateFileHash } from 'vitest/node'

/** The birpc event the worker sends to report collected files; an event (no id) expects no answer. */
export function isCollectedEvent(message: unknown): message is { m: 'onCollected'; a: [Array<{ filepath: string }>] } {
  const m = message as { t?: string; m?: string; a?: unknown[] } | null
  return !!m && m.t === 'q' && m.m === 'onCollected' && Array.isArray(m.a?.[0])
}

export function failedFilesEvent(filepaths: string[], root: string, projectName: string, pool: string, error: Error): unknown {
  const files = filepaths.map((filepath) => {
    const name = path.relative(root, filepath)
    const file: Record<string, unknown> = {
      id: generateFileHash(name, projectName),
      name,
      fullName: name,
      type: 'suite',
      mode: 'run',
      filepath,
      tasks: [],
      meta: {},
      projectName,
      pool,
      result: { state: 'fail', errors: [{ name: error.name, message: error.message, stack: error.stack }] },
    }
    file.file = file
    return file
  })
  return { t: 'q', m: 'onCollected', a: [files] }
}
