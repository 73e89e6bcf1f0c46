/**
 * Credentials inside what the sandbox mounts: the project and the packages next to it are mounted
 * whole, and with them the tokens CI leaves there (actions/checkout's in .git/config, a registry's in
 * .npmrc). Each such path is covered, after every bind, by a read-only stand-in: a sanitized copy (git
 * configs, ./git-config.ts), an empty file, or an empty folder. The covered paths are also the
 * plan's `access.hidden`, which the RPC firewall refuses to read, so Vitest's main process does not
 * serve what the mounts hide. Pure; ./find-concealed.ts looks on the host for what to cover.
 */
import type { SetupOp } from './plan.js'

/**
 * Hidden by default at the top of every mounted folder outside node_modules (the project root,
 * workspace and linked packages, fs.readonly and fs.writable folders). Each is where a tool reads
 * credentials from; no test needs it to run (a test that does names it in fs.readonly).
 */
export const HIDDEN_BY_DEFAULT = [
  // npm's registry tokens (`//registry.npmjs.org/:_authToken=…`), often written by a CI step.
  '.npmrc',
  // Yarn's `npmAuthToken`/`npmAuthIdent`: `yarn config set` writes the project's file.
  '.yarnrc.yml',
  // git's credential store (`credential.helper store`): URLs with their passwords.
  '.git-credentials',
  // Logins and passwords for curl, git and other HTTP clients.
  '.netrc',
  // PyPI upload tokens.
  '.pypirc',
  // Registry logins (`auths`), when DOCKER_CONFIG points into the checkout.
  '.docker/config.json',
  // AWS keys (`credentials`; `config` may hold them too), when the shared files are in the checkout.
  '.aws',
]

/** A host path the sandbox sees through a mount, and what it sees there instead. */
export interface Concealed {
  /** Where the sandbox sees it: under one of its mounts. */
  path: string
  /** What the file reads as instead ('' hides it); null: a folder, replaced by an empty one. */
  content: string | null
}

const isInside = (child: string, parent: string) => child === parent || child.startsWith(parent === '/' ? '/' : `${parent}/`)

/**
 * What to cover, from the candidates found on the host (real paths). A path the sandbox must see is
 * never covered: one that a path in `shown` (the real paths of every mount, fs.readonly and
 * fs.writable included) is, or is inside: `fs.readonly: ['.npmrc']` shows .npmrc, and hiding a folder
 * that holds the project or node_modules hides nothing. Inside a covered folder nothing else needs
 * covering; of two stand-ins for one file, the empty one wins.
 */
export function keepConcealed(candidates: Concealed[], shown: string[]): Concealed[] {
  const byPath = new Map<string, Concealed>()
  for (const candidate of candidates) {
    if (shown.some((s) => isInside(s, candidate.path))) continue
    const seen = byPath.get(candidate.path)
    if (!seen || candidate.content === '') byPath.set(candidate.path, candidate)
  }
  const kept = [...byPath.values()]
  return kept.filter((c) => !kept.some((o) => o !== c && o.content === null && isInside(c.path, o.path)))
}

/**
 * The setup operations that cover `concealed` (to run after every bind, so they land on top), and the
 * paths the firewall must refuse.
 */
export function concealOps(concealed: Concealed[]): { ops: SetupOp[]; hidden: string[] } {
  const ops = concealed.flatMap((c): SetupOp[] => c.content === null
    ? [{ op: 'tmpfs', dest: c.path, size: null, perms: '0555' }, { op: 'remount-ro', dest: c.path }]
    : [{ op: 'ro-bind-data', dest: c.path, data: c.content }])
  return { ops, hidden: concealed.map((c) => c.path) }
}
