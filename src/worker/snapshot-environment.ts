/**
 * Runs inside the sandbox. Vitest's snapshot environment, except that writes (snapshot files, inline
 * snapshots rewritten into test files, toMatchFileSnapshot targets) go to the pool over the IPC
 * channel: the project is read-only in here, and the pool decides which writes are legitimate.
 */
import { VitestSnapshotEnvironment } from 'vitest/runtime'

const FS_REQUEST = '__nsjail_fs__'
const FS_REPLY = '__nsjail_fs_reply__'

let nextId = 0
const pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>()

process.on('message', (message: any) => {
  const reply = message?.[FS_REPLY]
  if (!reply) return
  const waiter = pending.get(reply.id)
  pending.delete(reply.id)
  if (reply.error) waiter?.reject(new Error(`vitest-pool-nsjail: snapshot write refused or failed: ${reply.error}`))
  else waiter?.resolve()
})

function request(op: 'write' | 'remove' | 'mkdir', path: string, content?: string): Promise<void> {
  const id = nextId++
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject })
    process.send!({ [FS_REQUEST]: { id, op, path, content } })
  })
}

class SandboxSnapshotEnvironment extends VitestSnapshotEnvironment {
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
