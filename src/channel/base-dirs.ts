/**
 * The directories a sandbox's host-side writes and reads happen beneath — the project root and the
 * writable folders — each opened once as an fd, closed with the sandbox. They are opened by their
 * paths (the user's choice, which bwrap mounts the same way); everything beneath them is resolved by
 * src/hostfs without following symlinks.
 */
import type { Dir, HostFs } from '../hostfs/beneath.js'

export class BaseDirs {
  private readonly open = new Map<string, Dir>()

  constructor(readonly fs: HostFs) {}

  get(absolute: string): Dir {
    let dir = this.open.get(absolute)
    if (!dir) {
      dir = this.fs.openBase(absolute)
      this.open.set(absolute, dir)
    }
    return dir
  }

  close(): void {
    for (const dir of this.open.values()) dir.close()
    this.open.clear()
  }
}
