/**
 * The in-sandbox reporter: before any test code runs, it notes what the host cannot see from outside
 * and sends it as hints (src/violations/hints.ts): the names of environment variables read and not found
 * (never a value), with the task running at the time, and the host name and port a client asked to
 * connect to (a failed lookup's error carries no port). The host treats hints as untrusted: they
 * only choose which true statement it prints.
 */
import net from 'node:net'

type Post = (message: unknown) => void

const MAX_HINTS = 1024

/** Vitest's worker state holds the task that is running (its runner sets `current`). */
function currentTask(): string {
  const state = (globalThis as { __vitest_worker__?: { current?: { id?: unknown } } }).__vitest_worker__
  const id = state?.current?.id
  return typeof id === 'string' ? id : ''
}

export function installHints(post: Post): void {
  const sent = new Set<string>()
  let busy = false
  const once = (key: string, hint: object) => {
    if (sent.has(key) || sent.size >= MAX_HINTS) return
    sent.add(key)
    post({ __nsjail_hint__: hint })
  }

  const env = process.env
  const proxy = new Proxy(env, {
    get(target, name) {
      const value = target[name as string]
      // Posting reads nothing of process.env, but the guard keeps a read made meanwhile from recursing.
      if (value === undefined && typeof name === 'string' && !busy) {
        busy = true
        try {
          const task = currentTask()
          once(`env\0${task}\0${name}`, { env: name, task })
        } finally {
          busy = false
        }
      }
      return value
    },
    // process.env coerces and deletes through its own accessors: done on it, not on the proxy.
    set(target, name, value) {
      target[name as string] = value
      return true
    },
    deleteProperty(target, name) {
      delete target[name as string]
      return true
    },
  })
  process.env = proxy
  // A proxy cannot be cloned: structuredClone(process.env) clones the object behind it. (Passing
  // process.env itself to postMessage or as workerData still throws: copy it, `{ ...process.env }`.)
  const clone = globalThis.structuredClone
  globalThis.structuredClone = ((value: unknown, options?: StructuredSerializeOptions) => clone(value === proxy ? env : value, options)) as typeof clone

  const connect = net.Socket.prototype.connect
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    // net.connect() passes its normalized [options, callback]; socket.connect(options | port, host?) the rest.
    const first = Array.isArray(args[0]) ? args[0][0] : args[0]
    const options = (typeof first === 'object' && first !== null ? first : { port: first, host: args[1] }) as { host?: unknown; port?: unknown }
    const port = Number(options.port)
    if (typeof options.host === 'string' && net.isIP(options.host) === 0 && options.host !== 'localhost' && Number.isInteger(port)) {
      once(`connect\0${options.host}\0${port}`, { connect: options.host, port })
    }
    return (connect as (...a: unknown[]) => net.Socket).apply(this, args)
  } as typeof connect
}
