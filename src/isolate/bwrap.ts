/**
 * Launch plan → bubblewrap argv. Pure. Data that bwrap reads from file descriptors (synthesized /etc
 * files, the seccomp program) is returned as `inputs`: inputs[i] is written to fd FIRST_INPUT_FD + i.
 */
import type { LaunchPlan } from './plan.js'

/** fd 0-2 are stdio, fd 3 is Node's IPC channel with the worker. */
export const FIRST_INPUT_FD = 4

export interface BwrapFeatures {
  version: string
  /** --size for tmpfs (bwrap >= 0.7). */
  tmpfsSize: boolean
  /** --disable-userns (bwrap >= 0.8). */
  disableUserns: boolean
}

export function bwrapFeatures(versionOutput: string): BwrapFeatures {
  const match = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(versionOutput)
  const [major, minor] = match ? [Number(match[1]), Number(match[2])] : [0, 0]
  const atLeast = (a: number, b: number) => major > a || (major === a && minor >= b)
  return { version: match ? match[0] : 'unknown', tmpfsSize: atLeast(0, 7), disableUserns: atLeast(0, 8) }
}

export function bwrapArgs(plan: LaunchPlan, features: BwrapFeatures): { args: string[]; inputs: Buffer[] } {
  const inputs: Buffer[] = []
  const input = (data: Buffer | string) => String(FIRST_INPUT_FD + inputs.push(Buffer.from(data)) - 1)
  const args = [
    // --unshare-all only implies a user namespace when unprivileged; we always want one, and
    // --disable-userns insists on seeing it spelled out.
    '--unshare-all',
    '--unshare-user',
    ...(plan.network === 'host' ? ['--share-net'] : []),
    // Our user namespace has a single uid: nothing inside may make another one.
    ...(features.disableUserns ? ['--disable-userns'] : []),
    '--hostname', plan.hostname,
    '--uid', String(plan.identity.uid),
    '--gid', String(plan.identity.gid),
    '--die-with-parent',
    '--new-session',
    '--cap-drop', 'ALL',
  ]
  for (const op of plan.ops) {
    switch (op.op) {
      case 'ro-bind':
      case 'bind':
        args.push(`--${op.op}`, op.src, op.dest)
        break
      case 'symlink':
        args.push('--symlink', op.target, op.dest)
        break
      case 'file':
        args.push('--perms', '0444', '--file', input(op.data), op.dest)
        break
      case 'tmpfs':
        if (op.size !== null && features.tmpfsSize) args.push('--size', String(op.size))
        if (op.perms !== undefined) args.push('--perms', op.perms)
        args.push('--tmpfs', op.dest)
        break
      case 'proc':
      case 'dev':
      case 'dir':
      case 'remount-ro':
        args.push(`--${op.op}`, op.dest)
        break
    }
  }
  if (plan.seccomp) args.push('--seccomp', input(plan.seccomp))
  args.push('--chdir', plan.cwd, '--', ...plan.command)
  return { args, inputs }
}
