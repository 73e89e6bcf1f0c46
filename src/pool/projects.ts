/**
 * `test.projects` entries written inline without `extends: true` do not inherit the root config's
 * plugins, so `pool: 'nsjail'` (or `--pool=nsjail`, which Vitest applies to every project) met no
 * runner there: Vitest failed each of their files with "Runner nsjail is not supported". The root
 * plugin gives each such entry a companion plugin sharing its options; and after every project's
 * hook has been called, the companions also serve projects defined by a config file or a folder
 * that ask for 'nsjail' without a plugin of their own.
 */
import type { Plugin, UserConfig } from 'vite'
import type { TestProject, Vitest } from 'vitest/node'

type Entry = unknown

/** Adds `companion` to the plugins of every inline project entry that does not extend the root config. */
export function injectIntoInlineProjects(config: UserConfig, companion: Plugin): void {
  const projects = (config as { test?: { projects?: Entry[] } }).test?.projects
  if (!Array.isArray(projects)) return
  projects.forEach((entry, i) => {
    if (typeof entry === 'function') {
      // Resolved by Vitest later ({ command, mode, … } => config): add to what it returns.
      projects[i] = async (...args: unknown[]) => withCompanion(await (entry as (...a: unknown[]) => unknown)(...args), companion)
    } else if (entry instanceof Promise) {
      projects[i] = entry.then((resolved) => withCompanion(resolved, companion))
    } else {
      withCompanion(entry, companion)
    }
  })
}

function withCompanion(entry: Entry, companion: Plugin): Entry {
  if (typeof entry !== 'object' || entry === null) return entry
  const inline = entry as { extends?: unknown; plugins?: unknown[] }
  // `extends: true` brings the root's plugins, this one included.
  if (inline.extends === true) return entry
  const plugins = inline.plugins ?? []
  if (!plugins.includes(companion)) inline.plugins = [...plugins, companion]
  return entry
}

/** Whether the project has a plugin of this package besides `except` (its own config's, or the root's through extends). */
export function hasOwnPlugin(project: TestProject, name: string, except: Plugin): boolean {
  return project.vite.config.plugins.some((p) => p.name === name && p !== except)
}

const served = new WeakSet<Vitest>()

/**
 * Once per run, after every project's configureVitest hook has been called (their synchronous
 * parts: plugins of this package set the runner before they await), the projects that ask for
 * `pool` and have no runner.
 */
export async function projectsWithoutRunner(vitest: Vitest, pool: string): Promise<TestProject[]> {
  if (served.has(vitest)) return []
  served.add(vitest)
  await Promise.resolve()
  return vitest.projects.filter((p) => p.config.pool === pool && !p.config.poolRunner)
}
