/**
 * Prints the start banner once per run (at each run's start, in watch mode too) through Vitest's
 * logger, as a reporter the plugin adds in configureVitest. It goes to stdout beside Vitest's own
 * banner when a human-readable reporter prints one, else to stderr, so that a `json` or `junit`
 * reporter writing to stdout keeps it clean.
 */
import { DefaultReporter, DotReporter, ReportersMap, type PoolRunnerInitializer, type Reporter, type TestSpecification, type Vitest } from 'vitest/node'
import { bannerLines, unsandboxedBanner, type PolicyGroup } from '../report/banner.js'
import { groupFilesByPolicy } from '../policy/resolve.js'
import type { PoolShared } from './shared.js'

export function bannerReporter(shared: PoolShared, runner: PoolRunnerInitializer, vitest: Vitest): Reporter {
  return {
    async onTestRunStart(specifications: ReadonlyArray<TestSpecification>) {
      const ours = specifications.filter((spec) => spec.project.config.poolRunner === runner)
      if (ours.length === 0) return
      const lines = await banner(shared, ours)
      for (const line of lines) (printsBanner(vitest) ? vitest.logger.log(line) : vitest.logger.error(line))
    },
  }
}

/**
 * Whether a configured reporter is one of Vitest's terminal reporters (which print its banner): else
 * stdout may be a machine-readable report, and the pool's own lines go to stderr.
 */
export function printsBanner(vitest: Vitest): boolean {
  const human = (type: unknown) => typeof type === 'function' && [DefaultReporter, DotReporter].some((R) => type === R || type.prototype instanceof R)
  return vitest.config.reporters.some((entry) =>
    Array.isArray(entry) ? human(ReportersMap[entry[0] as keyof typeof ReportersMap]) : human((entry as object).constructor))
}

async function banner(shared: PoolShared, specifications: ReadonlyArray<TestSpecification>): Promise<string[]> {
  const machine = await shared.checkMachine(specifications[0].project)
  if (machine.unsandboxed) return [unsandboxedBanner(machine.unsandboxed, new Set(specifications.map((spec) => spec.moduleId)).size)]
  const groups: PolicyGroup[] = []
  for (const project of new Set(specifications.map((spec) => spec.project))) {
    // A sandboxed run: every project's preflight has its resolver.
    const { root, resolver } = (await shared.preflight(project))!
    const files = new Set(specifications.filter((spec) => spec.project === project).map((spec) => spec.moduleId))
    for (const group of groupFilesByPolicy(resolver, files)) {
      groups.push({ project: project.name, root, options: shared.options, policy: group.policy, rules: group.rules, files: group.files.length })
    }
  }
  return bannerLines(machine.probe, groups)
}
