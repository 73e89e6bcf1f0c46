/**
 * Everything the planner needs to know about the host, probed once per process: which system
 * directories exist (and which are symlinks, as on merged-/usr distributions), the bwrap binary and
 * its version, and whether this machine lets us create the namespaces at all.
 */
import { execFile } from 'node:child_process'
import { existsSync, lstatSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs'
import { userInfo } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { SandboxUnavailableError } from '../policy/errors.js'
import { bwrapFeatures, namespaceArgs, switchUser, type BwrapFeatures } from './bwrap.js'
import { SHARED_ETC, type Identity } from './etc.js'
import type { HostLayout } from './plan.js'
import { resolveUser } from '../policy/resolve.js'
import type { UserOption } from '../policy/types.js'

const run = promisify(execFile)
const SYSTEM = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']

export function probeHostLayout(): HostLayout {
  const system = SYSTEM.filter((p) => existsSync(p)).map((p) => ({
    path: p,
    symlink: lstatSync(p).isSymbolicLink() ? readlinkSync(p) : null,
  }))
  return { system, etc: SHARED_ETC.filter((p) => existsSync(p)), resolvConf: readOr('/etc/resolv.conf', '') }
}

function readOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return fallback
  }
}

/**
 * Who the sandbox runs as. Rootless: the caller's own uid, in a user namespace. As root, the worker
 * must not be host root, not even as a namespace root mapped to uid 0 (that still passes DAC checks on
 * root-owned host files): it becomes the user the `user` option names (by default the project's
 * owner, or nobody when root owns the project).
 */
export function sandboxIdentity(root: string, user?: UserOption): Identity {
  const home = '/home/sandbox'
  const uid = process.getuid!()
  if (uid !== 0) return { uid, gid: process.getgid!(), user: userInfo().username || 'sandbox', home, setuid: false }
  return { ...resolveUser(user, statSync(root)), user: 'sandbox', home, setuid: true }
}

export interface Bwrap {
  path: string
  features: BwrapFeatures
}

const FIX_USERNS = [
  'bubblewrap needs unprivileged user namespaces. Depending on the machine:',
  '  - Ubuntu 23.10+/24.04 (AppArmor): sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0',
  '    (or install an AppArmor profile that allows userns for bwrap: apparmor-profiles bwrap-userns-restrict)',
  '  - kernels with a userns switch: sudo sysctl -w kernel.unprivileged_userns_clone=1 / user.max_user_namespaces=15000',
  '  - inside Docker: run with --cap-add SYS_ADMIN --security-opt seccomp=unconfined --security-opt apparmor=unconfined (or --privileged)',
].join('\n')

/**
 * Finds bwrap and proves it can build a sandbox of the kind we need, once. The probe runs with the
 * same identity the workers will use, so a failure here is exactly the failure a worker would hit.
 */
export async function probeBwrap(option: string | undefined, identity: Identity): Promise<Bwrap> {
  const bin = option ?? 'bwrap'
  let version: string
  try {
    version = (await run(bin, ['--version'])).stdout
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new SandboxUnavailableError(
      code === 'ENOENT'
        ? `bubblewrap (${bin}) was not found${option ? ' (option `bwrap`)' : ' on PATH'}. Install it: apt-get install bubblewrap / dnf install bubblewrap / pacman -S bubblewrap${option ? ', or fix the `bwrap` option' : ''}.`
        : `running \`${bin} --version\` failed: ${(error as Error).message}`,
    )
  }
  const features = bwrapFeatures(version)
  const probe = [
    // --as-pid-1: no reaper of bwrap's, which the monitor would not wait for (see reap-sandboxes.ts).
    bin, ...namespaceArgs(identity, 'loopback', features), '--as-pid-1', '--die-with-parent',
    '--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', '--', ...switchUser(identity), '/bin/sh', '-c', 'exit 0',
  ]
  try {
    await run(probe[0], probe.slice(1), { timeout: 10_000 })
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? (error as Error).message).trim()
    throw new SandboxUnavailableError(
      `bubblewrap ${features.version} could not create the sandbox's namespaces` +
      `${identity.setuid ? ` (as root, switching to uid ${identity.uid} inside)` : ''}.\n` +
      `Tried: ${probe.join(' ')}\nbwrap said: ${stderr || '(nothing)'}\n${FIX_USERNS}`,
    )
  }
  return { path: bin, features }
}

/** node_modules folders from the project root up to /, where Node's resolution will look. */
export function nodeModulesChain(root: string): string[] {
  const found: string[] = []
  for (let dir = root; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules')
    if (existsSync(candidate)) found.push(candidate, realpathSync(candidate))
    if (dir === path.dirname(dir)) return [...new Set(found)]
  }
}

/** A path and, when it is reached through symlinks, the real location too (both must exist inside). */
export function withRealpath(p: string): string[] {
  try {
    const real = realpathSync(p)
    return real === p ? [p] : [p, real]
  } catch {
    return []
  }
}

/**
 * The git repository the project root is in: the nearest folder up the tree with a `.git` (a folder,
 * or a file in a worktree or submodule), by its real path as git compares it. None: [].
 */
export function gitRepository(root: string): string[] {
  for (let dir = root; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, '.git'))) return [realpathSync(dir)]
    if (dir === path.dirname(dir)) return []
  }
}
