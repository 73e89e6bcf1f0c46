/**
 * The network facts the report needs: which services a policy forwards, and which addresses the host
 * listens on (read from /proc/net, never by connecting: the host does nothing a sandbox asks for).
 */
import { readFileSync } from 'node:fs'
import net from 'node:net'
import type { Policy } from '../policy/types.js'
import type { Forward, ForwardOption } from '../relay/entries.js'

function forwards(policy: Policy): Forward[] {
  return typeof policy.network === 'object' ? policy.network.forward : []
}

/** The policy's `network.forward` entries as options write them (the relay's spec of `{ from, to }` is `from → to`). */
export function forwardEntries(policy: Policy): ForwardOption[] {
  return forwards(policy).map((f) => {
    const [from, to] = f.spec.split(' → ')
    return to === undefined ? from : { from, to }
  })
}

/** Whether a client inside reaches `host:port` (an address or a name) through a forward, or the host network. */
export function reaches(policy: Policy, host: string, port: number | undefined): boolean {
  if (policy.network === 'host') return true
  const lower = host.toLowerCase()
  return forwards(policy).some((f) =>
    f.from.kind === 'tcp' && (port === undefined || f.from.port === port) &&
    (f.from.host === lower || (f.from.host === 'localhost' && (lower === '127.0.0.1' || lower === '::1'))))
}

/** `/proc/net/tcp` writes an IPv4 address as 8 hex digits in host (little-endian) order. */
function ipv4(hex: string): string {
  return [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.')
}

const LISTEN = '0A'

/**
 * Whether a TCP socket of the host (this process's network namespace) listens where a connection to
 * `address:port` would land: that address, or the wildcard of its family.
 */
export function hostListens(address: string, port: number, read = (file: string) => readFileSync(file, 'utf8')): boolean {
  const v6 = net.isIPv6(address)
  const want = v6 ? ['00000000000000000000000001000000', '00000000000000000000000000000000'] : [address, '0.0.0.0']
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0')
  for (const file of v6 ? ['/proc/net/tcp6'] : ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string
    try {
      text = read(file)
    } catch {
      continue
    }
    for (const line of text.split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/)
      if (state !== LISTEN || !local) continue
      const [addr, p] = local.split(':')
      if (p !== hexPort) continue
      // An IPv6 wildcard listener (dual stack) takes IPv4 connections too.
      if (file.endsWith('6') ? addr === '00000000000000000000000000000000' || (v6 && want.includes(addr)) : want.includes(ipv4(addr))) return true
    }
  }
  return false
}
