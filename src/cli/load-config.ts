/**
 * Loads the user's Vitest config the way `vitest` does (Vitest's Node API: config file lookup,
 * `test.projects`, plugins), without running anything, and finds our runner's options in each
 * project that uses the pool.
 */
import { Writable } from 'node:stream'
import { createVitest, type TestProject, type Vitest } from 'vitest/node'
import { POOL_NAME, type NsjailRunner } from '../pool/plugin.js'
import { setInspecting } from '../pool/inspect-mode.js'
import type { NsjailOptions } from '../policy/types.js'

export interface LoadedProject {
  project: TestProject
  /** Its options; null when it names the pool but our runner is not there (no `nsjail()` plugin). */
  options: NsjailOptions | null
  /** Its test files (absolute), as Vitest finds them. */
  files: string[]
}

export interface LoadedConfig {
  vitest: Vitest
  /** The config file Vitest loaded, or null when it found none. */
  file: string | null
  /** The projects that use the nsjail pool. */
  projects: LoadedProject[]
  /** Every project (to say which pool a file's project uses). */
  all: TestProject[]
  close(): Promise<void>
}

function runnerOf(project: TestProject): NsjailRunner | null {
  const runner = project.config.poolRunner as Partial<NsjailRunner> | undefined
  return runner?.name === POOL_NAME && runner.nsjailOptions ? (runner as NsjailRunner) : null
}

/** `config`: a config file (else Vitest's lookup from `root`); `root`: the project root (else the cwd). */
export async function loadConfig(options: { config?: string; root?: string }): Promise<LoadedConfig> {
  // Vitest's own chatter (deprecations, "no config found") would garble the report.
  const quiet = new Writable({ write: (_chunk, _encoding, done) => done() })
  setInspecting(true)
  let vitest: Vitest
  try {
    vitest = await createVitest('test', { config: options.config, root: options.root, watch: false }, {}, { stdout: quiet, stderr: quiet })
  } finally {
    setInspecting(false)
  }
  const specifications = await vitest.globTestSpecifications()
  const projects = vitest.projects
    .filter((project) => project.config.pool === POOL_NAME)
    .map((project) => ({
      project,
      options: runnerOf(project)?.nsjailOptions ?? null,
      files: [...new Set(specifications.filter((spec) => spec.project === project).map((spec) => spec.moduleId))],
    }))
  return {
    vitest,
    file: vitest.vite.config.configFile ?? null,
    projects,
    all: vitest.projects,
    close: () => vitest.close(),
  }
}
