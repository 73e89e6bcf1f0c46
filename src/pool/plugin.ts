/**
 * How users turn the pool on. `nsjailPool()` is a PoolRunnerInitializer for `test.pool`; `nsjail()` is
 * a Vite plugin that makes the plain name work (`pool: 'nsjail'`, `--pool=nsjail`, `test.projects`):
 * Vitest never loads a module for a string pool, so the plugin hands it our runner in configureVitest.
 */
import type { Plugin } from 'vite'
// Brings in Vitest's augmentation of Vite's Plugin type (the configureVitest hook).
import type {} from 'vitest/config'
import type { PoolRunnerInitializer, TestProject, Vitest } from 'vitest/node'
import { hasOwnPlugin, injectIntoInlineProjects, projectsWithoutRunner } from './projects.js'
import { validateOptions } from '../policy/validate.js'
import type { NsjailOptions } from '../policy/types.js'
import { bannerReporter } from './banner-reporter.js'
import { ChosenWorker } from './chosen-worker.js'
import { inspecting } from './inspect-mode.js'
import { PoolShared } from './shared.js'
import { sourceMapGuard } from './source-map-guard.js'
import { POOL_NAME } from './worker.js'

export { POOL_NAME }

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

const PLUGIN_NAME = 'vitest-pool-nsjail'

/**
 * The plugin form: `pool: 'nsjail'` works, and the machine is checked before any test is scheduled.
 * In the root config it also serves the projects that do not inherit it (./projects.ts).
 */
export function nsjail(options: NsjailOptions = {}): Plugin {
  const shared = new PoolShared(validateOptions(options))
  const guard = sourceMapGuard(options)
  const initializer = runner(shared)
  const bannered = new WeakSet<Vitest>()
  const serve = (project: TestProject, vitest: Vitest) => {
    project.config.poolRunner = initializer
    // doctor and explain load the config to read the options; they probe the machine themselves.
    if (inspecting()) return
    if (!bannered.has(vitest)) {
      bannered.add(vitest)
      vitest.config.reporters.push(bannerReporter(shared, initializer, vitest))
    }
    shared.attachReport(vitest)
    return shared.preflight(project)
  }
  const companion: Plugin = {
    name: `${PLUGIN_NAME}:project`,
    ...sourceMapGuard(options),
    async configureVitest({ project, vitest }) {
      // A project whose own config (or extended file) has the plugin is served by that one.
      const own = hasOwnPlugin(project, PLUGIN_NAME, companion)
      await Promise.all([
        !own && project.config.pool === POOL_NAME ? serve(project, vitest) : undefined,
        projectsWithoutRunner(vitest, POOL_NAME).then((projects) => Promise.all(projects.map((p) => serve(p, vitest)))),
      ])
    },
  }
  return {
    name: PLUGIN_NAME,
    ...guard,
    config(config) {
      injectIntoInlineProjects(config, companion)
    },
    async configureVitest({ project, vitest }) {
      if (project.config.pool !== POOL_NAME) return
      await serve(project, vitest)
    },
  }
}
