/**
 * The `vitest-pool-nsjail` command as users run it (the built bin, a child process), and fake
 * bubblewrap binaries for machines whose bwrap is old, broken or stuck.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { run, type Result } from '../cgroup/helpers.js'

export const CLI = path.resolve(fileURLToPath(import.meta.url), '../../../dist/cli/main.js')

export interface CliOptions {
  env?: NodeJS.ProcessEnv
  /** A command prefix that changes the machine (a bwrap without user namespaces, setpriv, …). */
  wrap?: string[]
  cwd?: string
}

export function nsjailCli(args: string[], options: CliOptions = {}): Promise<Result> {
  return run([...(options.wrap ?? []), process.execPath, CLI, ...args], {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...options.env },
  })
}

export const REAL_BWRAP = execFileSync('sh', ['-c', 'command -v bwrap'], { encoding: 'utf8' }).trim()

/** A directory of fake bwrap scripts, each a `#!/bin/sh` body; remove() deletes them. */
export function fakeBwraps(bodies: Record<string, string>): { path: (name: string) => string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsjail-fake-bwrap-'))
  fs.chmodSync(dir, 0o755)
  for (const [name, body] of Object.entries(bodies)) fs.writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 })
  return { path: (name) => path.join(dir, name), remove: () => fs.rmSync(dir, { recursive: true, force: true }) }
}

/** bwrap that cannot create user namespaces any more: what Docker's profile or AppArmor do to bwrap. */
export const NO_USERNS = [REAL_BWRAP, '--unshare-user', '--uid', '1000', '--gid', '1000', '--disable-userns', '--bind', '/', '/', '--proc', '/proc', '--dev', '/dev', '--']

/** The shared library file libseccomp.so.2 resolves to on this machine. */
export function libseccompFile(): string {
  const line = execFileSync('/sbin/ldconfig', ['-p'], { encoding: 'utf8' }).split('\n').find((l) => /libseccomp\.so\.2 .*=> /.test(l))
  if (!line) throw new Error('libseccomp.so.2 is not installed here')
  return fs.realpathSync(line.split('=> ')[1].trim())
}

/** A command prefix under which libseccomp does not load (the library file is an empty one). */
export function withoutLibseccomp(): string[] {
  const rootless = process.getuid?.() !== 0
  return [REAL_BWRAP, ...(rootless ? ['--unshare-user'] : []), '--dev-bind', '/', '/', '--ro-bind', '/dev/null', libseccompFile(), '--']
}
