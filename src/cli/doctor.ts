/**
 * `vitest-pool-nsjail doctor [--config FILE] [--root DIR] [--json]`: what this machine can enforce,
 * the fix for each missing piece, and whether the config's policies are enforced here.
 * Exit status 0 when they are, 1 when not.
 */
import { OptionsError } from '../policy/errors.js'
import { createPolicyResolver, groupFilesByPolicy } from '../policy/resolve.js'
import type { TestProject } from 'vitest/node'
import { sandboxIdentity } from '../isolate/host.js'
import type { NsjailOptions } from '../policy/types.js'
import { checkProjectOptions } from '../pool/project.js'
import { doctorReport, type ProjectInput } from '../report/doctor.js'
import { doctorText } from '../report/doctor-text.js'
import type { MachineProbe } from '../probe/types.js'
import { inspect } from './inspect.js'
import type { LoadedProject } from './load-config.js'

async function projectInput(project: TestProject, options: NsjailOptions, files: string[], probe: MachineProbe): Promise<ProjectInput> {
  const { name } = project
  const root = project.config.root
  const problems: string[] = []
  try {
    await checkProjectOptions(project, options, sandboxIdentity(root, options.user), probe.seccomp?.library != null)
  } catch (error) {
    if (!(error instanceof OptionsError)) throw error
    problems.push(...error.problems.map((p) => p.message.replace(/^vitest-pool-nsjail: /, '')))
  }
  const resolver = createPolicyResolver(options, root)
  const groups = files.length
    ? groupFilesByPolicy(resolver, files).map((g) => ({ policy: g.policy, rules: g.rules, files: g.files.length }))
    : [{ policy: resolver.topLevel, rules: [], files: 0 }]
  return { name, root, onUnsupported: options.onUnsupported ?? 'error', problems, groups: groups.map((g) => ({ ...g, project: name, root, options })) }
}

async function loadedProjectInput({ project, options, files }: LoadedProject, probe: MachineProbe): Promise<ProjectInput> {
  if (options) return projectInput(project, options, files, probe)
  return {
    name: project.name,
    root: project.config.root,
    onUnsupported: 'error',
    problems: ["the project's pool is 'nsjail' but the nsjail() plugin is not among its plugins: Vitest fails with \"Runner nsjail is not supported\". Add `plugins: [nsjail()]`, or use `pool: nsjailPool()`"],
    groups: [],
  }
}

export async function doctor(args: { config?: string; root?: string; json: boolean }): Promise<number> {
  const { loaded, probe } = await inspect(args)
  try {
    const projects = await Promise.all(loaded.file
      ? loaded.projects.map((p) => loadedProjectInput(p, probe))
      : [projectInput(loaded.vitest.getRootProject(), {}, [], probe)])
    const report = doctorReport(probe, loaded.file, projects)
    process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : doctorText(report))
    return report.ok ? 0 : 1
  } finally {
    await loaded.close()
  }
}
