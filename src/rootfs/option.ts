/**
 * The `rootfs` option: shape validation (pure; whether a tool or an image exists on this host is
 * ./preflight.ts's question), resolution into a RootfsPolicy, and a one-line description of it for
 * anything that shows a policy (explain, doctor, banners).
 */
import path from 'node:path'
import { OptionError, type Problems } from '../policy/errors.js'
import { checkKeys, isPlainObject } from '../policy/validate.js'
import type { RootfsOption, RootfsPolicy } from './types.js'

const SHAPE = "'host' (the host's /usr, read-only), 'minimal' (node, its libraries and busybox), { base: 'minimal', tools: ['git', …] } or { dir: '<an unpacked image root filesystem>' }"

/** A program name as it is looked up on PATH: no slash, nothing a shell would read differently. */
const PROGRAM = /^[A-Za-z0-9_][A-Za-z0-9._+-]*$/

export function validateRootfsOption(value: unknown, option: string, problems: Problems): void {
  if (value === 'host' || value === 'minimal') return
  if (!isPlainObject(value)) throw new OptionError(option, value, SHAPE)
  if ('dir' in value) {
    // An image brings its own programs: `tools` (host programs) has no place beside it.
    checkKeys(value, option, ['dir'], problems)
    if (typeof value.dir !== 'string' || value.dir === '') throw new OptionError(`${option}.dir`, value.dir, 'the path of a folder holding an unpacked root filesystem (absolute, or relative to the project root)')
    return
  }
  checkKeys(value, option, ['base', 'tools'], problems)
  if (value.base !== 'minimal') throw new OptionError(`${option}.base`, value.base, `'minimal' (the only base that takes tools; or give { dir } alone, or 'host')`)
  if (value.tools === undefined) return
  if (!Array.isArray(value.tools)) throw new OptionError(`${option}.tools`, value.tools, 'an array of program names found on the host\'s PATH, e.g. [\'git\']')
  value.tools.forEach((tool: unknown, i: number) => {
    if (typeof tool !== 'string' || !PROGRAM.test(tool)) {
      problems.add(new OptionError(`${option}.tools[${i}]`, tool, 'a program name as found on PATH (no slash), e.g. \'git\''))
    }
  })
}

/** `value` must have passed validateRootfsOption; a relative `dir` is resolved against `root`. */
export function resolveRootfs(value: RootfsOption, root: string): RootfsPolicy {
  if (value === 'host') return { base: 'host' }
  if (value === 'minimal') return { base: 'minimal', tools: [] }
  if ('dir' in value) return { base: 'dir', dir: path.resolve(root, value.dir) }
  return { base: 'minimal', tools: [...(value.tools ?? [])] }
}

export const DEFAULT_ROOTFS: RootfsPolicy = Object.freeze({ base: 'host' })

/** One line saying what the sandbox's system files are, e.g. for `explain` or a start banner. */
export function describeRootfs(rootfs: RootfsPolicy): string {
  switch (rootfs.base) {
    case 'host':
      return "rootfs host: the host's /usr, /bin and /lib*, read-only"
    case 'minimal':
      return `rootfs minimal: node, setpriv and the libraries they and the project's native addons load, busybox as /bin/sh and its applets${rootfs.tools.length ? `, and ${rootfs.tools.join(', ')} from the host` : ''}; nothing else of /usr`
    case 'dir':
      return `rootfs ${rootfs.dir}: that image's /usr, /bin, /sbin, /lib* and /etc, read-only, with the host's node, setpriv and their libraries on top`
  }
}
