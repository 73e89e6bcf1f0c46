/**
 * bubblewrap, tried for real: is it there, which version, and can it build the sandbox's namespaces
 * with the identity the workers will get (the workers' own namespace flags, so a success here is
 * exactly a worker's success). When the whole set is refused, each namespace is tried on its own
 * to say which one the machine refuses.
 */
import { accessSync, constants, readlinkSync, statSync } from 'node:fs'
import path from 'node:path'
import { bwrapFeatures, namespaceArgs, switchUser } from '../isolate/bwrap.js'
import type { Identity } from '../isolate/etc.js'
import { runCommand } from './command.js'
import { NAMESPACES, type BwrapFacts, type NamespaceFacts, type NamespaceName, type NamespaceState } from './types.js'

/** The first executable `command` on PATH (or `command` itself when it has a slash). */
function locate(command: string, env: NodeJS.ProcessEnv): string | null {
  const candidates = command.includes('/') ? [path.resolve(command)] : (env.PATH ?? '').split(':').filter(Boolean).map((dir) => path.join(dir, command))
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK)
      if (statSync(candidate).isFile()) return candidate
    } catch {
      // not here
    }
  }
  return null
}

export async function probeBwrapBinary(option: string | undefined, timeoutMs: number, env: NodeJS.ProcessEnv = process.env): Promise<BwrapFacts> {
  const command = option ?? 'bwrap'
  const found = locate(command, env)
  const facts: BwrapFacts = { command, fromOption: option !== undefined, path: found, version: null, tmpfsSize: false, disableUserns: false, setuid: false, error: null, abandoned: false }
  if (!found) return facts
  facts.setuid = (statSync(found).mode & 0o4000) !== 0
  const result = await runCommand([found, '--version'], timeoutMs)
  const said = (result.stderr || result.stdout).trim()
  facts.abandoned = result.abandoned
  if (result.abandoned) facts.error = `\`${found} --version\` did not answer within ${timeoutMs} ms: abandoned`
  else if (result.code !== 0) facts.error = `\`${found} --version\` ${result.spawnError ? `could not run (${result.spawnError})` : `exited with code ${result.code}`}${said ? `: ${said}` : ''}`
  else {
    const features = bwrapFeatures(result.stdout)
    if (features.version === 'unknown') facts.error = `\`${found} --version\` printed no version${said ? `: ${said}` : ''}`
    else Object.assign(facts, { version: features.version, tmpfsSize: features.tmpfsSize, disableUserns: features.disableUserns })
  }
  return facts
}

const NS_FILE: Record<NamespaceName, string> = { user: 'user', pid: 'pid', net: 'net', mount: 'mnt', uts: 'uts', ipc: 'ipc', cgroup: 'cgroup' }
const UNSHARE: Partial<Record<NamespaceName, string>> = { pid: '--unshare-pid', net: '--unshare-net', uts: '--unshare-uts', ipc: '--unshare-ipc', cgroup: '--unshare-cgroup' }

function ownNamespace(ns: NamespaceName): string | null {
  try {
    return readlinkSync(`/proc/self/ns/${NS_FILE[ns]}`)
  } catch {
    return null
  }
}

/**
 * The workers' namespaces, identity switch, loopback, nested-userns lock and a sized tmpfs in one
 * bwrap run whose command prints the namespace links it sees; fresh ones differ from ours.
 */
export async function probeNamespaces(bwrap: BwrapFacts, identity: Identity, timeoutMs: number): Promise<NamespaceFacts> {
  const features = { version: bwrap.version!, tmpfsSize: bwrap.tmpfsSize, disableUserns: bwrap.disableUserns }
  const rootless = !identity.setuid
  // Namespace kinds this kernel lacks have no link to read: they count as refused.
  const own = new Map(NAMESPACES.map((ns) => [ns, ownNamespace(ns)]))
  const present = NAMESPACES.filter((ns) => own.get(ns) !== null)
  const tried = [
    // --as-pid-1: no reaper of bwrap's, which its monitor would not wait for (src/isolate/reap-sandboxes.ts).
    bwrap.command, ...namespaceArgs(identity, 'loopback', features), '--as-pid-1', '--die-with-parent',
    ...(rootless && features.disableUserns ? ['--assert-userns-disabled'] : []),
    '--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev',
    ...(features.tmpfsSize ? ['--size', String(1 << 20), '--tmpfs', '/tmp'] : []),
    '--', ...switchUser(identity), 'readlink', ...present.map((ns) => `/proc/self/ns/${NS_FILE[ns]}`),
  ]
  const result = await runCommand(tried, timeoutMs)
  const facts: NamespaceFacts = {
    mode: rootless ? 'rootless' : 'root',
    tried,
    ok: result.code === 0,
    stderr: result.abandoned ? `did not answer within ${timeoutMs} ms (abandoned)` : result.stderr.trim(),
    abandoned: result.abandoned,
    each: Object.fromEntries(NAMESPACES.map((ns) => [ns, 'untested'])) as Record<NamespaceName, NamespaceState>,
    loopback: false,
    nestedUsernsDisabled: false,
    tmpfsSize: false,
  }
  if (facts.ok) {
    const inside = new Map(present.map((ns, i) => [ns, result.stdout.trim().split('\n')[i]]))
    for (const ns of NAMESPACES) {
      facts.each[ns] = !rootless && ns === 'user' ? 'unused' : inside.get(ns) && inside.get(ns) !== own.get(ns) ? 'fresh' : 'refused'
    }
    // bwrap brings lo up in a new network namespace and gives up on the whole sandbox if it cannot.
    facts.loopback = facts.each.net === 'fresh'
    facts.nestedUsernsDisabled = rootless && features.disableUserns
    facts.tmpfsSize = features.tmpfsSize
    return facts
  }
  if (result.abandoned) {
    // Slow is not refused (a loaded or emulated machine, a cold file cache): unverified, the flags
    // are what the workers get if bwrap works, and a worker that cannot start will say why.
    facts.loopback = true
    facts.nestedUsernsDisabled = rootless && features.disableUserns
    facts.tmpfsSize = features.tmpfsSize
    return facts
  }
  Object.assign(facts.each, await eachNamespace(bwrap.command, rootless, timeoutMs))
  facts.loopback = facts.each.net === 'fresh'
  return facts
}

/** Each namespace on its own, in parallel: which one does this machine refuse? */
async function eachNamespace(bwrap: string, rootless: boolean, timeoutMs: number): Promise<Partial<Record<NamespaceName, NamespaceState>>> {
  // A mount namespace comes with every bwrap sandbox; rootless, so does the user namespace.
  const base = [bwrap, ...(rootless ? ['--unshare-user'] : []), '--ro-bind', '/', '/']
  const attempt = async (flag?: string) => {
    const flags = flag === '--unshare-pid' ? [flag, '--as-pid-1'] : flag ? [flag] : []
    return (await runCommand([...base, ...flags, '--', 'true'], timeoutMs)).code === 0
  }
  const others = Object.entries(UNSHARE) as Array<[NamespaceName, string]>
  const [baseOk, ...results] = await Promise.all([attempt(), ...others.map(([, flag]) => attempt(flag))])
  const states: Partial<Record<NamespaceName, NamespaceState>> = {
    mount: baseOk ? 'fresh' : 'refused',
    user: rootless ? (baseOk ? 'fresh' : 'refused') : 'unused',
  }
  // Without the base nothing else can be tried: those stay untested.
  if (baseOk) others.forEach(([ns], i) => (states[ns] = results[i] ? 'fresh' : 'refused'))
  return states
}
