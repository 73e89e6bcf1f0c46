/**
 * One sandbox's launch plan from its project's facts and its policy. A run launches exactly this,
 * and `explain` shows exactly this: the two never assemble a plan each.
 */
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { TestProject } from 'vitest/node'
import { findConcealed } from '../isolate/find-concealed.js'
import { CLOSE_INHERITED_FDS } from '../isolate/inherited-fds.js'
import { planLaunch, type LaunchPlan, type PlanInput } from '../isolate/plan.js'
import type { Policy } from '../policy/types.js'
import { configEnv, type ProjectSandbox } from './project.js'
import { builtFile } from '../built-files.js'

const WORKER_ENTRY = builtFile('worker/entry.js')

/** What only a launch knows: the worker's environment and flags, and the sandbox's own resources. */
export interface SandboxSpecifics {
  /** Vitest's dist folder: the runtime our worker entry runs (the project's own Vitest). */
  distPath: string
  execArgv: string[]
  workerEnv: Record<string, string | undefined>
  seccomp: Buffer | null
  privateMounts?: PlanInput['privateMounts']
  relay?: PlanInput['relay']
  /** More paths to hide than the policy's (the run's JSON report). */
  hide?: string[]
  /** The audit's record mode: host folders shown if still there, and the command run under its tracer. */
  optionalReadonly?: string[]
  wrapCommand?: (command: string[]) => string[]
}

export function sandboxPlan(project: ProjectSandbox, vitestProject: TestProject, policy: Policy, specifics: SandboxSpecifics): LaunchPlan {
  // First of all, the worker closes the descriptors it inherited by accident; then our entry runs
  // Vitest's worker runtime on the pool's channel.
  const command = [project.node, '--require', CLOSE_INHERITED_FDS, ...specifics.execArgv, WORKER_ENTRY, pathToFileURL(path.resolve(specifics.distPath, 'worker.js')).href]
  return planLaunch({
    policy,
    identity: project.identity,
    host: project.host,
    base: project.base(policy.rootfs),
    root: project.root,
    needs: project.needs,
    command: specifics.wrapCommand?.(command) ?? command,
    workerEnv: specifics.workerEnv,
    configEnv: configEnv(vitestProject),
    seccomp: specifics.seccomp,
    gitRepositories: project.gitRepositories,
    privateMounts: specifics.privateMounts,
    optionalReadonly: specifics.optionalReadonly,
    concealed: findConcealed({
      root: project.root,
      mounts: [project.root, ...project.needs, ...policy.fs.readonly, ...policy.fs.writable, ...(specifics.optionalReadonly ?? [])],
      hide: [...policy.fs.hide, ...(specifics.hide ?? [])],
    }),
    relay: specifics.relay,
    compileCache: project.compileCache,
  })
}
