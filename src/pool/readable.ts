/**
 * As root the worker is another user (the project's owner, or nobody), and a checkout made with a
 * strict umask (077: files 0600, folders 0700, owned by root) is unreadable to it: every test that
 * reads a project file would fail with EACCES. The project's test files and config stand for the
 * checkout: if the sandbox user cannot read them, the run stops before any test with the fix.
 * Rootless the worker is the user running Vitest, who reads these files already.
 */
import path from 'node:path'
import { statSync } from 'node:fs'
import type { TestProject } from 'vitest/node'
import { SetupError } from '../policy/errors.js'
import { blocked } from '../isolate/access.js'
import type { Identity } from '../isolate/etc.js'
import { describeUser, shellQuote } from './writable.js'

const SHOWN = 3

export async function checkProjectReadable(project: TestProject, root: string, identity: Identity): Promise<SetupError | null> {
  if (!identity.setuid) return null
  const { testFiles } = await project.globTestFiles()
  const config = project.vite.config.configFile
  const files = [...(config ? [config] : []), ...testFiles].filter((f) => f.startsWith(`${root}/`))
  const seen = new Map<string, boolean>()
  const refused = new Map<string, string>()
  for (const file of files) {
    const at = blocked(identity, file, 'r', root, seen)
    if (at) refused.set(file, at)
  }
  if (refused.size === 0) return null
  const examples = [...refused].slice(0, SHOWN).map(([file, at]) => `${path.relative(root, file)} (${at === file ? 'the file' : `the folder ${path.relative(root, at) || '.'}`} has ${mode(at)})`)
  const more = refused.size > SHOWN ? ` and ${refused.size - SHOWN} more` : ''
  return new SetupError(
    `the sandbox user (${describeUser(identity)}) cannot read ${refused.size} of the project's test and config files: ${examples.join(', ')}${more}. ` +
    `Vitest runs as root, so the worker is this unprivileged user, and the checkout looks made with a strict umask. ` +
    `Fix: \`chmod -R a+rX ${shellQuote(root)}\` (or check out with umask 022), or choose the worker's user with the \`user\` option.`,
  )
}

function mode(target: string): string {
  const stat = statSync(target)
  return `mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}, owner ${stat.uid}:${stat.gid}`
}
