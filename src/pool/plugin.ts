/**
 * How users turn the pool on. `nsjailPool()` is a PoolRunnerInitializer for `test.pool`; `nsjail()` is
 * a Vite plugin that makes the plain name work (`pool: 'nsjail'`, `--pool=nsjail`, `test.projects`):
 * Vitest never loads a module for a string pool, so the plugin hands it our runner in configureVitest.
 */
import type { Plugin } from 'vite'
// Brings in Vitest's augmentation of Vite's Plugin type (the configureVitest hook).
import type {} from 'vitest/config'
import type { PoolRunnerInitializer, Vitest } from 'vitest/node'
import { validateOptions } from '../policy/validate.js'
import type { NsjailOptions } from '../policy/types.js'
import { bannerReporter } from './banner-reporter.js'
import { ChosenWorker } from './chosen-worker.js'
import { inspecting } from './inspect-mode.js'
import { PoolShared } from './shared.js'

export const POOL_NAME = 'nsjail'

/** Our runner, carrying its options for `vitest-pool-nsjail doctor|explain` (they find it in a project's config). */
export interface NsjailRunner extends PoolRunnerInitializer {
  readonly nsjailOptions: NsjailOptions
}

function runner(shared: PoolShared): NsjailRunner {
  return {
    name: POOL_NAME,
    createPoolWorker: (poolOptions) => new ChosenWorker(poolOptions, shared),
    nsjailOptions: shared.options,
  }
}

/** The pool for `test.pool` directly. Machine checks then happen when the first worker starts. */
export function nsjailPool(options: NsjailOptions = {}): PoolRunnerInitializer {
  return runner(new PoolShared(validateOptions(options)))
}

/** The plugin form: `pool: 'nsjail'` works, and the machine is checked before any test is scheduled. */
export function nsjail(options: NsjailOptions = {}): Plugin {
  const shared = new PoolShared(validateOptions(options))
  const initializer = runner(shared)
  const bannered = new WeakSet<Vitest>()
  return {
    name: 'vitest-pool-nsjail',
    async configureVitest({ project, vitest }) {
      if (project.config.pool !== POOL_NAME) return
      project.config.poolRunner = initializer
      // doctor and explain load the config to read the options; they probe the machine themselves.
      if (inspecting()) return
      if (!bannered.has(vitest)) {
        bannered.add(vitest)
        vitest.config.reporters.push(bannerReporter(shared, initializer, vitest))
      }
      await shared.preflight(project)
    },
  }
}
