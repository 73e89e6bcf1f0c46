/**
 * Variables that appear in the environment after Vitest started, typically written to process.env
 * by a globalSetup (which runs in Vitest's main process), reach Vitest's own workers but are withheld
 * from the sandbox like any variable outside the allowlist. That surprises people, so the pool says
 * so once, naming them and the ways to pass values: provide/inject, or `env.allow`.
 */
import { optionLayers } from '../policy/resolve.js'
import type { NsjailOptions } from '../policy/types.js'
import { withheldNames } from '../isolate/env.js'

/** What Vite itself adds to process.env while Vitest resolves its config (import.meta.env values). */
const SET_BY_VITE = new Set(['BASE_URL', 'MODE', 'DEV', 'PROD', 'SSR'])

export class LateEnvNotes {
  private readonly known = new Set(Object.keys(process.env))
  private readonly noted = new Set<string>()

  /** Variables present now were there before any globalSetup ran (called when the config is resolved). */
  settle(): void {
    for (const name of Object.keys(process.env)) this.known.add(name)
  }

  /** The note for the variables in a worker's environment that are new and withheld, once each; or null. */
  note(workerEnv: Record<string, string | undefined>, options: NsjailOptions): string | null {
    const allow = optionLayers(options).flatMap(({ layer }) => layer.env?.allow ?? [])
    const late = withheldNames(workerEnv, allow).filter((name) => !this.known.has(name) && !SET_BY_VITE.has(name) && !this.noted.has(name))
    if (late.length === 0) return null
    for (const name of late) this.noted.add(name)
    return `vitest-pool-nsjail: ${late.join(', ')} ${late.length === 1 ? 'was' : 'were'} set after Vitest started (by a globalSetup?) and ${late.length === 1 ? 'is' : 'are'} withheld from the sandbox, ` +
      `like every variable outside the allowlist. A globalSetup passes values to tests with provide/inject (project.provide('name', value), then inject('name') in a test); ` +
      `to let a variable through, add it to env.allow.`
  }
}
