/**
 * Launch plan → bubblewrap argv. Pure. Data that bwrap reads from file descriptors (synthesized /etc
 * files, the seccomp program) is returned as `inputs`: inputs[i] is written to fd FIRST_INPUT_FD + i.
 */
import type { LaunchPlan } from './plan.js'
import type { Identity } from './etc.js'

/** fd 0-2 are stdio, fd 3 is the worker's channel to the pool. */
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

/** Where setpriv is (util-linux); it is inside the sandbox too, since /usr is. */
export const SETPRIV = '/usr/bin/setpriv'

/**
 * Namespaces, identity and capabilities: the two ways described at Identity.setuid. `lowPorts`: the
 * sandbox's relay listens on ports below 1024 in its own network namespace, which takes
 * CAP_NET_BIND_SERVICE (src/relay). Rootless, that capability is one of the sandbox's own user
 * namespace, and reaches only the network namespace that user namespace owns — which it does only
 * without bwrap's nested second user namespace, so such a sandbox does without --disable-userns
 * (the seccomp filter still refuses new user namespaces) and without devpts (see devOps in plan.ts).
 * As root, there is no user namespace: the worker keeps the host's CAP_NET_BIND_SERVICE, usable in
 * the one network namespace it is in, its own.
 */
export function namespaceArgs(identity: Identity, network: 'loopback' | 'host', features: BwrapFeatures, lowPorts = false): string[] {
  const net = network === 'host' ? [] : ['--unshare-net']
  const bind = lowPorts ? ['--cap-add', 'CAP_NET_BIND_SERVICE'] : []
  if (identity.setuid) {
    // No user namespace (it would map the worker to host root); setpriv needs these two, and the
    // kernel clears every capability when it switches to a non-root uid.
    return ['--unshare-ipc', '--unshare-pid', '--unshare-uts', '--unshare-cgroup-try', ...net,
      '--cap-drop', 'ALL', '--cap-add', 'CAP_SETUID', '--cap-add', 'CAP_SETGID', ...bind]
  }
  return ['--unshare-user', '--unshare-ipc', '--unshare-pid', '--unshare-uts', '--unshare-cgroup-try', ...net,
    // Our user namespace maps a single uid: nothing inside may make another one.
    ...(features.disableUserns && !lowPorts ? ['--disable-userns'] : []),
    '--uid', String(identity.uid), '--gid', String(identity.gid), '--cap-drop', 'ALL', ...bind]
}

/**
 * The command prefix that makes a root-launched worker the unprivileged sandbox user; with
 * `lowPorts`, keeping CAP_NET_BIND_SERVICE across the switch (ambient, so node has it after exec).
 */
export function switchUser(identity: Identity, lowPorts = false): string[] {
  if (!identity.setuid) return []
  const keep = lowPorts ? ['--inh-caps=+net_bind_service', '--ambient-caps=+net_bind_service'] : []
  return [SETPRIV, `--reuid=${identity.uid}`, `--regid=${identity.gid}`, '--clear-groups', ...keep, '--']
}

export function bwrapArgs(plan: LaunchPlan, features: BwrapFeatures): { args: string[]; inputs: Buffer[] } {
  const inputs: Buffer[] = []
  const input = (data: Buffer | string) => String(FIRST_INPUT_FD + inputs.push(Buffer.from(data)) - 1)
  const lowPorts = plan.relay?.lowPorts ?? false
  const args = [
    ...namespaceArgs(plan.identity, plan.network, features, lowPorts),
    '--hostname', plan.hostname,
    '--die-with-parent',
    '--new-session',
  ]
  for (const op of plan.ops) {
    switch (op.op) {
      case 'ro-bind':
      case 'bind':
      case 'dev-bind':
        args.push(`--${op.op}${op.optional ? '-try' : ''}`, op.src, op.dest)
        break
      case 'symlink':
        args.push('--symlink', op.target, op.dest)
        break
      case 'file':
        args.push('--perms', '0444', '--file', input(op.data), op.dest)
        break
      case 'ro-bind-data':
        // bwrap's default for this is 0600, which the root-launched worker (another user) cannot read.
        args.push('--perms', '0444', '--ro-bind-data', input(op.data), op.dest)
        break
      case 'tmpfs':
        if (op.size !== null && features.tmpfsSize) args.push('--size', String(op.size))
        if (op.perms !== undefined) args.push('--perms', op.perms)
        args.push('--tmpfs', op.dest)
        break
      case 'dir':
        if (op.perms !== undefined) args.push('--perms', op.perms)
        args.push('--dir', op.dest)
        break
      case 'proc':
      case 'dev':
      case 'remount-ro':
        args.push(`--${op.op}`, op.dest)
        break
    }
  }
  if (plan.seccomp) args.push('--seccomp', input(plan.seccomp))
  args.push('--chdir', plan.cwd, '--', ...switchUser(plan.identity, lowPorts), ...plan.command)
  return { args, inputs }
}
