/**
 * `fs.writable` folders, made usable before any test: a missing one inside the project is created
 * (the option asks for it), owned by the sandbox user when Vitest is root; an existing one that the
 * sandbox user cannot write is reported with the command that fixes it, instead of an EACCES in the
 * middle of a test. A missing one outside the project is an error: the pool does not create folders
 * elsewhere on the machine on the strength of a typo.
 */
import { chownSync, existsSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { OptionError, type Problems } from '../policy/errors.js'
import { optionLayers } from '../policy/resolve.js'
import type { NsjailOptions } from '../policy/types.js'
import { allows } from '../isolate/access.js'
import type { Identity } from '../isolate/etc.js'

const isInside = (child: string, parent: string) => child === parent || child.startsWith(`${parent}/`)

/** Who the sandbox user is, for messages. */
export function describeUser(identity: Identity): string {
  return `uid ${identity.uid}, gid ${identity.gid}`
}

/**
 * Checks every layer's `fs.writable` entries (problems go to `problems`) and returns the missing
 * folders to create once all checks have passed.
 */
export function checkWritable(options: NsjailOptions, root: string, identity: Identity, problems: Problems): string[] {
  const create = new Set<string>()
  for (const { at, layer } of optionLayers(options)) {
    layer.fs?.writable?.forEach((p, i) => {
      const option = `${at}fs.writable[${i}]`
      const abs = path.resolve(root, p)
      if (!existsSync(abs)) {
        if (isInside(abs, root)) create.add(abs)
        else problems.add(new OptionError(option, p, `an existing host path: ${abs} does not exist, and only missing folders inside the project root ${root} are created (relative paths resolve against it)`))
        return
      }
      if (!allows(identity, abs, 'w') || !allows(identity, abs, 'x')) {
        const owner = `${identity.uid}:${identity.gid}`
        problems.add(new OptionError(option, p,
          `a path the sandbox user (${describeUser(identity)}) can write, and ${abs} is not: run \`chown -R ${owner} ${shellQuote(abs)}\` ` +
          `(or \`chmod -R a+rwX ${shellQuote(abs)}\`), or choose the worker's user with the \`user\` option`))
      }
    })
  }
  return [...create]
}

/** Creates the folders (and missing parents), handing each one made to the sandbox user as root. */
export function createWritable(dirs: string[], identity: Identity): void {
  for (const dir of dirs) {
    const first = mkdirSync(dir, { recursive: true })
    if (!identity.setuid || first === undefined) continue
    for (let d = dir; isInside(d, first); d = path.dirname(d)) chownSync(d, identity.uid, identity.gid)
  }
}

export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`
}
