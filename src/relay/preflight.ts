/**
 * The network checks that need the host or Vitest's config, before any test: unix targets are real
 * and out of the sandbox's reach, no sandbox shares the host network with Vitest's API server, and
 * the start banner says what each set of files can reach.
 */
import { existsSync, realpathSync } from 'node:fs'
import path from 'node:path'
import { OptionError, type Problems } from '../policy/errors.js'
import { optionLayers } from '../policy/resolve.js'
import type { NsjailOptions } from '../policy/types.js'
import { isLoopback, parseForwards, type ForwardOption } from './entries.js'

/** Vitest's API/UI server, as its resolved config describes it (`middlewareMode` when there is none). */
export interface ApiServer {
  middlewareMode?: boolean | string
  host?: string | boolean
  port?: number
}

const isInside = (child: string, parent: string) => child === parent || child.startsWith(`${parent}/`)

function real(p: string): string {
  try {
    return realpathSync(p)
  } catch {
    return path.resolve(p)
  }
}

/** `to` of the i-th entry, for messages: the entry itself when it is a plain string. */
function targetOption(at: string, i: number, item: ForwardOption): { option: string; value: string } {
  return typeof item === 'string' ? { option: `${at}network.forward[${i}]`, value: item } : { option: `${at}network.forward[${i}].to`, value: item.to }
}

/**
 * A unix target must exist where the host looks (its directory, at least: the service may start
 * later), and must not be in a folder some sandbox may write: there the sandbox could swap the socket
 * for a link to any other socket on the host, and the host would connect to that on its behalf.
 */
export function checkForwardTargets(options: NsjailOptions, root: string, problems: Problems): void {
  const layers = optionLayers(options)
  const writable = layers.flatMap(({ layer }) => layer.fs?.writable ?? []).map((p) => real(path.resolve(root, p)))
  for (const { at, layer } of layers) {
    if (typeof layer.network !== 'object') continue
    const list = layer.network.forward
    parseForwards(list).forEach((forward, i) => {
      if (forward.to.kind !== 'unix') return
      const { option, value } = targetOption(at, i, list[i])
      const dir = path.dirname(forward.to.path)
      if (!existsSync(dir)) {
        problems.add(new OptionError(option, value, `a unix socket in a directory that exists on the host (${dir} does not)`))
      } else if (writable.some((w) => isInside(real(dir), w))) {
        problems.add(new OptionError(option, value,
          'a unix socket outside the folders a sandbox may write (fs.writable): there a test could swap it for a link to another socket of the host, which the host would then connect to'))
      }
    })
  }
}

/**
 * A sandbox on the host network reaches Vitest's API server on the host's loopback, can read its
 * token from the UI page, and have the main process rewrite and rerun project files — unsandboxed,
 * where another project of the run uses another pool. Such a run does not start.
 */
export function checkApiServer(options: NsjailOptions, api: ApiServer | undefined, problems: Problems): void {
  if (!api || api.middlewareMode || !api.port) return
  // Vite's server listens on localhost unless told otherwise.
  const host = typeof api.host === 'string' ? api.host : 'localhost'
  const where = `${host}:${api.port}`
  const why = `Vitest's API/UI server is on (${where}, from --ui, --api or \`api\`): ` +
    'a test that reaches it could have Vitest rewrite and rerun project files outside the sandbox'
  for (const { at, layer } of optionLayers(options)) {
    if (layer.network === 'host') {
      problems.add(new OptionError(`${at}network`, 'host', `'loopback' or { forward: [...] } while ${why}. ` +
        `Forward only the services the tests need, e.g. network: { forward: ['127.0.0.1:5432'] }, or run without the API server`))
    }
    if (typeof layer.network !== 'object') continue
    // Nor may a forward lead to that server.
    const list = layer.network.forward
    parseForwards(list).forEach((forward, i) => {
      const { to } = forward
      if (to.kind !== 'tcp' || to.port !== api.port || !(isLoopback(to.host) || to.host === 'localhost' || to.host === host)) return
      const { option, value } = targetOption(at, i, list[i])
      problems.add(new OptionError(option, value, `another address than the API server's while ${why}`))
    })
  }
}

