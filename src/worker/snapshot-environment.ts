/**
 * Runs inside the sandbox. Vitest's snapshot environment, except that writes (snapshot files, inline
 * snapshots rewritten into test files, toMatchFileSnapshot targets) go to the pool over the worker's
 * channel: the project is read-only in here, and the pool decides which writes are legitimate.
 */
import { VitestSnapshotEnvironment } from 'vitest/runtime'
import { workerChannel } from './channel.js'

const FS_REQUEST = '__nsjail_fs__'
const FS_REPLY = '__nsjail_fs_reply__'
const REFUSED = 'vitest-pool-nsjail: snapshot write refused or failed: '

let nextId = 0
const pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>()

const channel = workerChannel()!
let listening = false

function onReply(message: any): void {
  const reply = message?.[FS_REPLY]
  if (!reply) return
  const waiter = pending.get(reply.id)
  pending.delete(reply.id)
  if (reply.error) waiter?.reject(new Error(`${REFUSED}${reply.error}`))
  else waiter?.resolve()
}

function request(op: 'write' | 'remove' | 'mkdir' | 'check', path: string, content?: string): Promise<void> {
  // Listens from the first request on, not from loading: the worker entry loads this module before
  // Vitest's runtime listens, and the channel hands the messages it held to its first listener.
  if (!listening) {
    channel.on(onReply)
    listening = true
  }
  const id = nextId++
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject })
    channel.post({ [FS_REQUEST]: { id, op, path, content } })
  })
}

/** Vitest's snapshot update mode for this run: 'all' (-u), 'new', or 'none' (CI). */
function updateMode(): string | undefined {
  return (globalThis as any).__vitest_worker__?.config?.snapshotOptions?.updateSnapshot
}

class SandboxSnapshotEnvironment extends VitestSnapshotEnvironment {
  /** toMatchFileSnapshot targets the pool would refuse to write, with its refusal. */
  private readonly refusedRaw = new Map<string, Error>()

  /**
   * Snapshot files are written when the test file finishes, where a refused write loses the whole
   * file's results. toMatchFileSnapshot targets are named by the test, so they are checked here, as
   * the assertion resolves them; readSnapshotFile then fails the assertion itself.
   */
  override async resolveRawPath(testPath: string, rawPath: string): Promise<string> {
    const resolved = await super.resolveRawPath(testPath, rawPath)
    await request('check', resolved).then(
      () => this.refusedRaw.delete(resolved),
      (error: Error) => this.refusedRaw.set(resolved, error),
    )
    return resolved
  }

  override async readSnapshotFile(filepath: string): Promise<string | null> {
    const content = await super.readSnapshotFile(filepath)
    const refusal = this.refusedRaw.get(filepath)
    // A write would follow: a missing target is created unless in CI mode; `-u` rewrites a mismatch.
    if (refusal && ((content == null && updateMode() !== 'none') || updateMode() === 'all')) {
      throw new Error(refusal.message)
    }
    return content
  }

  override async prepareDirectory(dirPath: string): Promise<void> {
    await request('mkdir', dirPath)
  }

  override async saveSnapshotFile(filepath: string, snapshot: string): Promise<void> {
    await request('write', filepath, snapshot)
  }

  override async removeSnapshotFile(filepath: string): Promise<void> {
    await request('remove', filepath)
  }
}

export default new SandboxSnapshotEnvironment()
