/**
 * globalSetup of the project's own suite: fixtures/rootfs gets better-sqlite3 built for the Node that
 * runs the suite (scripts/native-fixture.mjs; cached, so this costs nothing after the first time). A
 * failed build does not stop the suite: the test that loads better-sqlite3 in a sandbox fails, and the
 * script's output above says why.
 */
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const SCRIPT = fileURLToPath(new URL('../../scripts/native-fixture.mjs', import.meta.url))

export default function setup(): void {
  try {
    execFileSync(process.execPath, [SCRIPT], { stdio: ['ignore', 'inherit', 'inherit'] })
  } catch {
    // Reported by the script itself, and by the test that needs the addon.
  }
}
