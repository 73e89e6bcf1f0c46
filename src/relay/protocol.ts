/**
 * What the two halves of the relay agree on: where the sandbox sees its private directory, the
 * configuration the pool leaves there for the relay inside, and the one-byte preludes on a relayed
 * connection. Dependency-free: it is loaded inside the sandbox too.
 */

/** The sandbox's private relay directory, bound read-only from the host at this path inside. */
export const RELAY_DIR = '/run/vitest-pool-nsjail'

/** The relay's configuration (InsideConfig as JSON), written by the pool before the sandbox starts. */
export const CONFIG_FILE = 'relay.json'

/**
 * Sent by the side that dials the target, once the target accepted: what follows is the target's
 * data. A relayed connection that ends before it never reached its target, and the relay resets the
 * client's connection (ECONNRESET), since the TCP handshake with the client is long done.
 */
export const CONNECTED = 0x06

/** Sent by the host on an idle reverse connection it hands to a client: dial the target now. */
export const DIAL = 0x05

export interface TcpAddress {
  host: string
  port: number
}

export interface InsideConfig {
  /** Connections to `listen` addresses are relayed through `socket` (a file in RELAY_DIR). */
  forwards: Array<{
    listen: Array<TcpAddress & {
      /** Skipped when it cannot be bound (the ::1 half of `localhost` on a kernel without IPv6). */
      optional?: boolean
    }>
    socket: string
  }>
  /** Host to sandbox: keep `idle` connections to `socket`; each one the host takes is joined with a new connection to `target`. */
  reverse: Array<{ socket: string; target: TcpAddress; idle: number }>
  /** Once the relay is up, wait for a debugger (and break): see deferDebuggerWait in inspector.ts. */
  debuggerWait?: 'break' | 'wait'
}
