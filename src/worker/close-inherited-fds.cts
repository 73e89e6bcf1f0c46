/**
 * Preloaded into every sandboxed worker (`node --require`, ahead of Vitest's own preloads and of
 * anything of the project): closes the descriptors the worker inherited by accident from Vitest's
 * process, which the pool lists in NSJAIL_INHERITED_FDS (src/isolate/inherited-fds.ts says where
 * they come from). The numbers are exact: nothing in the launch chain (sh, bwrap, setpriv) moves
 * them, and Node's own descriptors cannot take numbers that were in use when it started.
 */
import fs = require('node:fs')

const listed = process.env.NSJAIL_INHERITED_FDS
// The variable describes this process only: the test's own children must not see it.
delete process.env.NSJAIL_INHERITED_FDS
for (const fd of listed ? listed.split(',').map(Number) : []) {
  try {
    fs.closeSync(fd)
  } catch {
    // EBADF: nothing there, nothing to close
  }
}
