/**
 * Where the worker's debugger listens when Vitest debugs it: Vitest's own `inspector` settings
 * (--inspect / --inspect-brk [host:]port, which make the worker call inspector.open), or an inspector
 * flag in the worker's execArgv. Pure. The pool relays that address from the host into the sandbox
 * (src/relay/reverse.ts), so debugging needs no host network.
 */
import type { TcpAddress } from './protocol.js'

/** Node's defaults for --inspect. */
const DEFAULT: TcpAddress = { host: '127.0.0.1', port: 9229 }

export interface InspectorConfig {
  enabled?: boolean
  host?: string
  port?: number
}

/** `[host:]port` as Node reads --inspect=…; a bracketed IPv6 host loses its brackets. */
function parseFlagValue(value: string): TcpAddress {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(value)
  if (match) return { host: match[1] ?? (match[2] || DEFAULT.host), port: Number(match[3]) }
  return /^\d+$/.test(value) ? { ...DEFAULT, port: Number(value) } : { ...DEFAULT, host: value }
}

/** The debugger's address, or null when the worker is not debugged. Port 0 (any port) cannot be relayed: null too. */
export function inspectorAddress(config: InspectorConfig | undefined, execArgv: readonly string[]): TcpAddress | null {
  let address: TcpAddress | null = null
  if (config?.enabled) address = { host: config.host || DEFAULT.host, port: config.port ?? DEFAULT.port }
  else {
    const flag = execArgv.find((arg) => /^--inspect(-brk|-wait)?(=|$)/.test(arg))
    if (flag) address = flag.includes('=') ? parseFlagValue(flag.slice(flag.indexOf('=') + 1)) : { ...DEFAULT }
  }
  return address && address.port !== 0 ? address : null
}

const WAITING_FLAG = /^--inspect-(brk|wait)(=.*)?$/

/**
 * --inspect-brk / --inspect-wait in the worker's own execArgv hold Node before its preloads run, so
 * before the relay that makes the debugger reachable: no debugger could ever attach. Node gets
 * --inspect instead (same address), and the relay's preload waits for the debugger — and breaks,
 * for -brk — once the relay is up, still before any of the worker's own code.
 */
export function deferDebuggerWait(command: readonly string[]): { command: string[]; wait: 'break' | 'wait' | null } {
  let wait: 'break' | 'wait' | null = null
  const rewritten = command.map((arg) => {
    const match = WAITING_FLAG.exec(arg)
    if (!match) return arg
    wait = match[1] === 'brk' ? 'break' : 'wait'
    return `--inspect${match[2] ?? ''}`
  })
  return { command: rewritten, wait }
}
