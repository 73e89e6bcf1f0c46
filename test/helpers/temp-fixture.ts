/**
 * A throw-away copy of a fixture project, for tests that write (snapshots, `-u`, watch-mode edits,
 * coverage reports, blob files): the checked-in fixtures stay untouched. Copies live under
 * `<repo>/.fixtures-tmp/` (git-ignored), so `vitest` still resolves from the repo's node_modules.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { FIXTURES } from './run-fixture.js'

export const TEMP_FIXTURES = path.resolve(fileURLToPath(import.meta.url), '../../../.fixtures-tmp')

export interface TempFixture {
  root: string
  /** Absolute path of a file in the copy. */
  path(relative: string): string
  read(relative: string): string
  exists(relative: string): boolean
  write(relative: string, content: string): void
  /** Deletes the copy. */
  remove(): void
}

let counter = 0

export function tempFixture(name: string): TempFixture {
  fs.mkdirSync(TEMP_FIXTURES, { recursive: true })
  const root = fs.mkdtempSync(path.join(TEMP_FIXTURES, `${name.replace(/\W/g, '-')}-${process.pid}-${counter++}-`))
  // mkdtemp makes it 0700; as root the sandbox runs as nobody, which must be able to read the project.
  fs.chmodSync(root, 0o755)
  // Vite's caches (node_modules/.vite*) belong to the checked-in fixture's own runs.
  fs.cpSync(path.join(FIXTURES, name), root, {
    recursive: true,
    filter: (source) => path.basename(source) !== 'node_modules',
  })
  const at = (relative: string) => path.join(root, relative)
  return {
    root,
    path: at,
    read: (relative) => fs.readFileSync(at(relative), 'utf8'),
    exists: (relative) => fs.existsSync(at(relative)),
    write: (relative, content) => {
      fs.mkdirSync(path.dirname(at(relative)), { recursive: true })
      fs.writeFileSync(at(relative), content)
    },
    remove: () => fs.rmSync(root, { recursive: true, force: true }),
  }
}
