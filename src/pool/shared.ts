/**
 * State shared by all workers of one pool runner: per-project preparation (done once, before the
 * first sandbox), and the per-sandbox resources built from a policy.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { PoolOptions, TestProject } from 'vitest/node'
import { preflightProject, prepareProject, type Preflight, type ProjectSandbox } from './project.js'
import { createFirewall } from './firewall.js'
import type { StartRequest } from './messages.js'
import type { SandboxResources } from './resources.js'
import type { NsjailOptions, Policy } from '../policy/types.js'

const SNAPSHOT_ENVIRONMENT = fileURLToPath(new URL('../worker/snapshot-environment.js', import.meta.url))

export class PoolShared {
  private readonly preflights = new WeakMap<TestProject, Promise<Preflight>>()
  private readonly projects = new WeakMap<TestProject, Promise<ProjectSandbox>>()

  constructor(readonly options: NsjailOptions) {}

  /**
   * Checks options and machine for a project, once. The plugin awaits this in configureVitest, so a
   * missing bwrap or a refused user namespace fails the run once, before any test file is scheduled.
   */
  preflight(project: TestProject): Promise<Preflight> {
    return memo(this.preflights, project, () => preflightProject(project, this.options))
  }

  project(pool: PoolOptions): Promise<ProjectSandbox> {
    return memo(this.projects, pool.project, async () => prepareProject(pool.project, await this.preflight(pool.project), pool.distPath, pool.execArgv))
  }

  /** Points the worker at our snapshot environment, unless the user configured one of their own. */
  withSnapshotEnvironment(start: StartRequest): StartRequest {
    const config = start.context.config
    if (config.snapshotEnvironment) return start
    return { ...start, context: { ...start.context, config: { ...config, snapshotEnvironment: SNAPSHOT_ENVIRONMENT } } }
  }

  workerEntry(pool: PoolOptions): string {
    return path.resolve(pool.distPath, 'workers/forks.js')
  }

  /** Variables the user set in Vitest's config (`test.env`): meant for the tests, so they pass. */
  configEnv(project: TestProject): Record<string, string> {
    return { ...(project.vitest.config.env as Record<string, string>), ...(project.config.env as Record<string, string>) }
  }

  log(message: string): void {
    process.stderr.write(`${message}\n`)
  }

  async resources(policy: Policy, files: string[]): Promise<SandboxResources> {
    void policy
    const resources: SandboxResources = {
      seccomp: null,
      firewall: null,
      attach(plan) {
        // The channel is policed with exactly what the mounts expose: one source of truth.
        resources.firewall = createFirewall({ root: plan.cwd, ...plan.access }, { files, tmpCopies: false })
      },
      wrap: (argv) => argv,
      killReason: async () => null,
      release: async () => {},
    }
    return resources
  }
}

function memo<K extends object, V>(cache: WeakMap<K, V>, key: K, make: () => V): V {
  if (!cache.has(key)) cache.set(key, make())
  return cache.get(key)!
}
