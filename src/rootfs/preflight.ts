/**
 * The `rootfs` options against this host, before any test runs: a named tool must be on the host's
 * PATH, and a `dir` must be an unpacked root filesystem the sandbox user can enter. Each problem names
 * the option, the value and what is expected.
 */
import { lstatSync, realpathSync, statSync } from 'node:fs'
import path from 'node:path'
import { OptionError, type Problems } from '../policy/errors.js'
import { optionLayers } from '../policy/resolve.js'
import type { NsjailOptions } from '../policy/types.js'
import { allows } from '../isolate/access.js'
import type { Identity } from '../isolate/etc.js'
import { findProgram } from './host-files.js'
import { resolveRootfs } from './option.js'

export function checkRootfs(options: NsjailOptions, root: string, identity: Identity, problems: Problems, PATH = process.env.PATH ?? ''): void {
  for (const { at, layer } of optionLayers(options)) {
    if (layer.rootfs === undefined) continue
    const rootfs = resolveRootfs(layer.rootfs, root)
    if (rootfs.base === 'minimal') {
      rootfs.tools.forEach((tool, i) => {
        if (!findProgram(tool, PATH)) {
          problems.add(new OptionError(`${at}rootfs.tools[${i}]`, tool, `a program on the host's PATH (it is added with its libraries): there is no executable ${tool} in ${PATH || '(an empty PATH)'}`))
        }
      })
    } else if (rootfs.base === 'dir') {
      const why = notARootfs(rootfs.dir, identity)
      if (why) {
        problems.add(new OptionError(`${at}rootfs.dir`, (layer.rootfs as { dir: string }).dir,
          `a folder holding an unpacked root filesystem, e.g. from \`docker export\` (relative paths resolve against the project root ${root}): ${why}`))
      }
    }
  }
}

/** Why `dir` cannot be a sandbox's base, or null. */
function notARootfs(dir: string, identity: Identity): string | null {
  let real: string
  try {
    real = realpathSync(dir)
    if (!statSync(real).isDirectory()) return `${dir} is not a folder`
  } catch {
    return `${dir} does not exist`
  }
  if (real === '/') return `${dir} is the host's own root (that is rootfs: 'host')`
  const system = ['usr', 'bin'].map((name) => path.join(real, name)).filter((p) => exists(p))
  if (system.length === 0) return `${dir} has neither usr nor bin: it does not look like a root filesystem`
  const locked = system.find((p) => !allows(identity, p, 'x'))
  if (locked) return `the sandbox user (uid ${identity.uid}) cannot enter ${locked}: \`chmod a+rX\` the image's files`
  return null
}

function exists(p: string): boolean {
  try {
    lstatSync(p)
    return true
  } catch {
    return false
  }
}
