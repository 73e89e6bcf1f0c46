/**
 * A throw-away copy of a fixture project, for tests that write (snapshots, `-u`, watch-mode edits,
 * coverage reports, blob files): the checked-in fixtures stay untouched. Copies live under
 * `<repo>/.fixtures-tmp/` (git-ignored), so `vitest` still resolves from the repo's node_modules.
 */
import fs from 'node:fs'
import os from 'node:os'
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

/** This repository: its node_modules hold vitest, and it is the package vitest-pool-nsjail. */
const REPO = path.resolve(fileURLToPath(import.meta.url), '../../..')

export interface TempFixtureOptions {
  /**
   * Copy it outside this repository (into the system's temp dir), as a project of its own: nothing
   * of it is then readable in the sandbox through the repository's own mount (this package's files),
   * and it finds vitest and vitest-pool-nsjail through node_modules links (`linkToolchain`).
   */
  outside?: boolean
}

export function tempFixture(name: string, { outside = false }: TempFixtureOptions = {}): TempFixture {
  const base = outside ? fs.realpathSync(os.tmpdir()) : TEMP_FIXTURES
  fs.mkdirSync(base, { recursive: true })
  const root = fs.mkdtempSync(path.join(base, `${outside ? 'nsjail-fixture-' : ''}${name.replace(/\W/g, '-')}-${process.pid}-${counter++}-`))
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

/**
 * node_modules links to this repository's vitest and to the built package, the way `npm link` makes
 * them: for a project outside the repository (created after any `npm install`, which would prune them).
 */
export function linkToolchain(root: string): void {
  fs.mkdirSync(path.join(root, 'node_modules'), { recursive: true })
  fs.symlinkSync(path.join(REPO, 'node_modules/vitest'), path.join(root, 'node_modules/vitest'))
  fs.symlinkSync(REPO, path.join(root, 'node_modules/vitest-pool-nsjail'))
}
