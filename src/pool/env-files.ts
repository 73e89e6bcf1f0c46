/**
 * Files the sandbox's environment makes Node load at start (NODE_OPTIONS `--require`/`--import`/
 * `--loader` paths, NODE_EXTRA_CA_CERTS) are mounted read-only (src/isolate/plan.ts). Before any
 * test, each must exist where Node inside will look (relative paths: against the project root, the
 * sandbox's working directory) and be readable by the sandbox user; otherwise every worker would
 * die at start with a message about some other path.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { OptionError, SetupError, type Problems } from '../policy/errors.js'
import { optionLayers } from '../policy/resolve.js'
import type { NsjailOptions } from '../policy/types.js'
import { allows } from '../isolate/access.js'
import { envFiles, type EnvFile } from '../isolate/preload.js'
import type { Identity } from '../isolate/etc.js'
import { describeUser } from './writable.js'

const VARIABLES = ['NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS'] as const

/** Why `file` cannot be loaded inside the sandbox, or null. */
function refusal(file: EnvFile, root: string, identity: Identity): string | null {
  const relative = !path.isAbsolute(file.value) && !file.value.startsWith('file:')
    ? ` (relative paths resolve against the sandbox's working directory, the project root ${root})`
    : ''
  if (!existsSync(file.file)) return `${file.file} does not exist${relative}: fix the path, or make it absolute`
  if (!allows(identity, file.file, 'r')) return `the sandbox user (${describeUser(identity)}) cannot read ${file.file}: make it readable (chmod a+r)`
  return null
}

/**
 * `hostEnv`: the environment Vitest gives its workers (this process's); `configEnv`: Vitest's
 * `test.env`. Each layer's `env.set` is checked under its own option path.
 */
export function checkEnvFiles(options: NsjailOptions, hostEnv: NodeJS.ProcessEnv, configEnv: Record<string, string>, root: string, identity: Identity, problems: Problems): void {
  const sources: Array<{ env: Record<string, string | undefined>; report: (variable: string, value: string, why: string) => void }> = [
    { env: hostEnv, report: (v, value, why) => problems.add(new SetupError(`the environment variable ${v} is ${JSON.stringify(value)}, which the sandbox passes on, but ${why}.`)) },
    { env: configEnv, report: (v, value, why) => problems.add(new SetupError(`test.env.${v} is ${JSON.stringify(value)}, but ${why}.`)) },
    ...optionLayers(options).map(({ at, layer }) => ({
      env: layer.env?.set ?? {},
      report: (v: string, value: string, why: string) => problems.add(new OptionError(`${at}env.set.${v}`, value, `a value whose files exist for the sandbox, but ${why}`)),
    })),
  ]
  for (const { env, report } of sources) {
    const picked = Object.fromEntries(VARIABLES.map((v) => [v, env[v]]))
    for (const file of envFiles(picked, root)) {
      const why = refusal(file, root, identity)
      if (why) report(file.variable, String(env[file.variable]), `${file.flag ? `${file.flag} ${file.value}` : file.value} cannot be loaded: ${why}`)
    }
  }
}
