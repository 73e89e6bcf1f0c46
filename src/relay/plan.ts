/**
 * A sandbox's forwards (and its debugger) → the relay's part of the launch plan. Pure. Everything
 * the relay does is derived from this: the host listeners, the relay inside, the mounts and the
 * /etc/hosts lines (src/isolate/plan.ts), bwrap's capability flags (src/isolate/bwrap.ts).
 *
 * Each forward gets a unix socket `f<i>.sock` in the sandbox's private directory on the host. TCP
 * entries are served inside by the relay, which listens on their addresses and pipes each connection
 * to that socket. Unix entries need no relay inside: the host's socket file itself is bound at the
 * entry's path, so a client inside connects straight to the host side.
 */
import path from 'node:path'
import { formatEndpoint, isLoopback, type Endpoint, type Forward } from './entries.js'
import type { InsideConfig, TcpAddress } from './protocol.js'

export interface RelayPlan {
  /** The sandbox's private directory on the host, bound read-only at RELAY_DIR inside. */
  hostDir: string
  /**
   * Host side: a unix listener `socket` in hostDir per forward, whose connections go to `target`.
   * `relayed`: the relay inside dials it, and waits for CONNECTED; a unix entry's client does not.
   */
  forwards: Array<{ socket: string; target: Endpoint; spec: string; relayed: boolean }>
  /** Host to sandbox (the debugger): clients of `listen`, on the host, are handed to idle connections on `socket`. */
  reverse: Array<{ socket: string; listen: TcpAddress }>
  /** The relay inside the sandbox; null when no entry needs it (only unix sockets, no debugger). */
  inside: InsideConfig | null
  /** /etc/hosts lines: a private loopback address for each forwarded name. */
  hosts: string[]
  /** Unix entries: the host listener's socket file, bound at the entry's path inside. */
  binds: Array<{ src: string; dest: string }>
  /** Some listener inside needs a port below 1024 (the network namespace's ip_unprivileged_port_start). */
  lowPorts: boolean
}

/** Ports below this need CAP_NET_BIND_SERVICE (the kernel's default ip_unprivileged_port_start). */
const UNPRIVILEGED_PORT_START = 1024
/** Idle connections the relay inside keeps open for the host to hand debugger clients to. */
const IDLE_REVERSE = 2
/** Forwarded names get addresses in 127.77.0.0/16: loopback, and far from 127.0.0.1 and Debian's 127.0.1.1. */
const NAME_NET = [127, 77]

/** Whether a sandbox with this network needs a relay: forwards, or a debugger to reach from the host. */
export function needsRelay(network: 'loopback' | 'host' | { forward: Forward[] }, inspector: TcpAddress | null): boolean {
  if (network === 'host') return false
  return (typeof network === 'object' && network.forward.length > 0) || inspector !== null
}

/** The n-th name's private address (n from 0): 127.77.0.1, 127.77.0.2, … */
export function nameAddress(n: number): string {
  const id = n + 1
  return [...NAME_NET, id >> 8, id & 0xff].join('.')
}

/** Where a debugger listening on `host` inside is reached from inside: a wildcard means loopback. */
function insideTarget(address: TcpAddress): TcpAddress {
  const host = address.host === '0.0.0.0' ? '127.0.0.1' : address.host === '::' ? '::1' : address.host
  return { host, port: address.port }
}

/** The addresses a TCP entry's `from` takes inside. */
function listenAddresses(from: Endpoint & { kind: 'tcp' }, names: Map<string, string>): InsideConfig['forwards'][number]['listen'] {
  if (from.host === 'localhost') return [{ host: '127.0.0.1', port: from.port }, { host: '::1', port: from.port, optional: true }]
  if (isLoopback(from.host)) return [{ host: from.host, port: from.port }]
  if (!names.has(from.host)) names.set(from.host, nameAddress(names.size))
  return [{ host: names.get(from.host)!, port: from.port }]
}

/** `debuggerWait`: the worker's own --inspect-brk/--inspect-wait, left to the relay (deferDebuggerWait in inspector.ts). */
export function planRelay(forwards: readonly Forward[], inspector: TcpAddress | null, hostDir: string, debuggerWait: 'break' | 'wait' | null = null): RelayPlan {
  const names = new Map<string, string>()
  const inside: InsideConfig = { forwards: [], reverse: [], ...(debuggerWait ? { debuggerWait } : {}) }
  const binds: RelayPlan['binds'] = []
  const planned = forwards.map((forward, i) => {
    const socket = `f${i}.sock`
    if (forward.from.kind === 'unix') binds.push({ src: path.join(hostDir, socket), dest: forward.from.path })
    else inside.forwards.push({ listen: listenAddresses(forward.from, names), socket })
    return { socket, target: forward.to, spec: forward.spec, relayed: forward.from.kind === 'tcp' }
  })
  const reverse = inspector ? [{ socket: 'inspector.sock', listen: inspector }] : []
  for (const { socket, listen } of reverse) inside.reverse.push({ socket, target: insideTarget(listen), idle: IDLE_REVERSE })
  return {
    hostDir,
    forwards: planned,
    reverse,
    inside: inside.forwards.length + inside.reverse.length > 0 ? inside : null,
    hosts: [...names].map(([name, address]) => `${address}\t${name}`),
    binds,
    lowPorts: inside.forwards.some((f) => f.listen.some((a) => a.port < UNPRIVILEGED_PORT_START)),
  }
}

/** One line per forward for the start banner, e.g. `api.example.com:443 (inside 127.77.0.1:443)`. */
export function describeForwards(forwards: readonly Forward[]): string[] {
  const names = new Map<string, string>()
  return forwards.map((forward) => {
    const { from, to } = forward
    const inside = from.kind === 'tcp' && !isLoopback(from.host) && from.host !== 'localhost'
      ? ` (inside ${formatEndpoint({ ...from, host: listenAddresses(from, names)[0].host })})`
      : ''
    const target = formatEndpoint(from) === formatEndpoint(to) ? '' : ` → host ${formatEndpoint(to)}`
    return `${formatEndpoint(from)}${inside}${target}`
  })
}
