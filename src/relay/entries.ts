/**
 * `network: { forward: [...] }` entries → Forwards. Pure. An entry names where clients inside the
 * sandbox connect (`from`) and what the host connects to for them (`to`); a plain string is both.
 *
 *   '127.0.0.1:5432', '[::1]:8080'   the same loopback address inside and on the host
 *   'localhost:6379'                 127.0.0.1 and ::1 inside; `localhost` on the host
 *   'api.example.com:443'            a name: a private loopback address inside (through /etc/hosts)
 *   'unix:/run/postgresql/.s.PGSQL.5432'   the same socket path inside and on the host
 *   { from: '127.0.0.1:5432', to: 'db.internal:5432' }
 *
 * The sandbox has only `lo`, so `from` must be something it can hold: a loopback address, localhost,
 * a name or a socket path. `to` may be any address the host can reach.
 */
import net from 'node:net'
import path from 'node:path'
import { OptionError, type Problems } from '../policy/errors.js'

export type ForwardOption = string | { from: string; to: string }

export interface TcpEndpoint {
  kind: 'tcp'
  /** An IP address (IPv6 without brackets), `localhost`, or a host name (lowercase). */
  host: string
  port: number
}

export interface UnixEndpoint {
  kind: 'unix'
  path: string
}

export type Endpoint = TcpEndpoint | UnixEndpoint

export interface Forward {
  /** The entry as the user wrote it: for messages and the start banner. */
  spec: string
  from: Endpoint
  to: Endpoint
}

/** sun_path holds 108 bytes, the terminating NUL included. */
export const MAX_SOCKET_PATH = 107

const NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/
const FORMS = `'HOST:PORT' (such as '127.0.0.1:5432', 'localhost:6379', '[::1]:8080' or 'api.example.com:443') or 'unix:/absolute/socket/path'`
const ENTRY = `${FORMS}, or { from, to } of those`

export function isLoopback(host: string): boolean {
  return host === '::1' || (net.isIPv4(host) && host.startsWith('127.'))
}

/** A name to resolve: neither an IP address nor localhost. */
export function isName(host: string): boolean {
  return host !== 'localhost' && net.isIP(host) === 0
}

export function formatEndpoint(endpoint: Endpoint): string {
  if (endpoint.kind === 'unix') return `unix:${endpoint.path}`
  return `${endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host}:${endpoint.port}`
}

function parseEndpoint(text: unknown, option: string): Endpoint {
  if (typeof text !== 'string') throw new OptionError(option, text, ENTRY)
  if (text.startsWith('unix:')) {
    const file = text.slice('unix:'.length)
    if (!path.posix.isAbsolute(file) || file.endsWith('/') || file.includes('\0')) {
      throw new OptionError(option, text, `an absolute socket path after 'unix:', such as 'unix:/run/postgresql/.s.PGSQL.5432'`)
    }
    if (Buffer.byteLength(file) > MAX_SOCKET_PATH) {
      throw new OptionError(option, text, `a socket path of at most ${MAX_SOCKET_PATH} bytes (the kernel's limit for unix sockets)`)
    }
    return { kind: 'unix', path: path.posix.normalize(file) }
  }
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):([^:]*)$/.exec(text)
  if (!match) throw new OptionError(option, text, ENTRY)
  const [, v6, other, portText] = match
  const host = v6 ?? other.toLowerCase()
  // A name ends in a label with a letter: getaddrinfo would read '10.1' as an IPv4 address.
  const isHostName = NAME.test(host) && /[a-z]/.test(host.slice(host.lastIndexOf('.') + 1))
  if (v6 !== undefined ? !net.isIPv6(v6) : !(net.isIPv4(host) || isHostName)) {
    throw new OptionError(option, text, `a host that is an IP address, localhost or a host name, in ${FORMS}`)
  }
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN
  if (!(port >= 1 && port <= 65535)) throw new OptionError(option, text, `a port from 1 to 65535 after the host, in ${FORMS}`)
  return { kind: 'tcp', host, port }
}

/** The sandbox side must be something a network namespace with only `lo` can listen on. */
function checkInside(endpoint: Endpoint, text: string, option: string): void {
  if (endpoint.kind === 'tcp' && net.isIP(endpoint.host) !== 0 && !isLoopback(endpoint.host)) {
    throw new OptionError(option, text,
      `a loopback address (127.x.x.x, [::1]), localhost or a host name on the sandbox side: the sandbox has only lo and cannot hold ${endpoint.host} ` +
      `(forward another address to it, e.g. { from: '127.0.0.1:${endpoint.port}', to: '${text}' })`)
  }
}

function parseEntry(item: unknown, option: string): Forward {
  if (typeof item === 'string') {
    const endpoint = parseEndpoint(item, option)
    checkInside(endpoint, item, option)
    return { spec: item, from: endpoint, to: endpoint }
  }
  if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new OptionError(option, item, ENTRY)
  const entry = item as Record<string, unknown>
  const unknown = Object.keys(entry).find((key) => key !== 'from' && key !== 'to')
  if (unknown !== undefined) throw new OptionError(`${option}.${unknown}`, entry[unknown], `only \`from\` and \`to\` in ${option}`)
  const from = parseEndpoint(entry.from, `${option}.from`)
  checkInside(from, String(entry.from), `${option}.from`)
  return { spec: `${entry.from} → ${entry.to}`, from, to: parseEndpoint(entry.to, `${option}.to`) }
}

/** The addresses inside that an entry's `from` takes (a name gets a private address of its own). */
function insideKeys(endpoint: Endpoint): string[] {
  if (endpoint.kind === 'unix') return [endpoint.path]
  const hosts = endpoint.host === 'localhost' ? ['127.0.0.1', '::1'] : [endpoint.host]
  return hosts.map((host) => formatEndpoint({ ...endpoint, host }))
}

/** Validator of `network.forward`: every bad entry is its own problem, named by its index. */
export function validateForwards(value: unknown, option: string, problems: Problems): void {
  if (!Array.isArray(value)) throw new OptionError(option, value, `an array of entries: ${ENTRY}`)
  const taken = new Map<string, number>()
  value.forEach((item, i) => {
    problems.check(() => {
      const forward = parseEntry(item, `${option}[${i}]`)
      for (const key of insideKeys(forward.from)) {
        const earlier = taken.get(key)
        if (earlier !== undefined) {
          throw new OptionError(`${option}[${i}]`, item, `an address that no other entry takes inside (${option}[${earlier}] already listens on ${key})`)
        }
        taken.set(key, i)
      }
    })
  })
}

/** The Forwards of a validated `network.forward` list. */
export function parseForwards(list: readonly ForwardOption[]): Forward[] {
  return list.map((item, i) => parseEntry(item, `forward[${i}]`))
}
