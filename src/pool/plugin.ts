/**
 * How users turn the pool on. `nsjailPool()` is a PoolRunnerInitializer for `test.pool`; `nsjail()` is
 * a Vite plugin that makes the plain name work (`pool: 'nsjail'`, `--pool=nsjail`, `test.projects`):
 * Vitest never loads a module for a string pool, so the plugin hands it our runner in configureVitest.
 */
import type { Plugin } from 'vite'
// Brings in Vitest's augmentation of Vite's Plugin type (the configureVitest hook).
import type {} from 'vitest/config'
import type { PoolRunnerInitializer, TestProject } from 'vitest/node'
import { hasOwnPlugin, injectIntoInlineProjects, projectsWithoutRunner } from './projects.js'
import { validateOptions } from '../policy/validate.js'
import type { NsjailOptions } from '../policy/types.js'
import { NsjailPoolWorker } from './worker.js'
import { PoolShared } from './shared.js'
import { sourceMapGuard } from './source-map-guard.js'

export const POOL_NAME = 'nsjail'

function runner(shared: PoolShared): PoolRunnerInitializer {
  return {
    name: POOL_NAME,
    createPoolWorker: (poolOptions) => new NsjailPoolWorker(poolOptions, shared),
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
  const serve = (project: TestProject) => {
    project.config.poolRunner = initializer
    shared.attachReport(project.vitest)
    return shared.preflight(project)
  }
  const companion: Plugin = {
    name: `${PLUGIN_NAME}:project`,
    ...sourceMapGuard(options),
    async configureVitest({ project, vitest }) {
      // A project whose own config (or extended file) has the plugin is served by that one.
      const own = hasOwnPlugin(project, PLUGIN_NAME, companion)
      await Promise.all([
        !own && project.config.pool === POOL_NAME ? serve(project) : undefined,
        projectsWithoutRunner(vitest, POOL_NAME).then((projects) => Promise.all(projects.map(serve))),
      ])
    },
  }
  return {
    name: PLUGIN_NAME,
    ...guard,
    config(config) {
      injectIntoInlineProjects(config, companion)
    },
    async configureVitest({ project }) {
      if (project.config.pool !== POOL_NAME) return
      await serve(project)
    },
  }
}
