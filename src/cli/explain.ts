/**
 * `vitest-pool-nsjail explain [--config FILE] [--root DIR] <test file>...`: the policy each file gets,
 * computed by the pool's own resolver and launch planner (the same code a run uses), without running
 * anything.
 */
import path from 'node:path'
import { distDir } from 'vitest/node'
import { gitRepository, probeHostLayout, sandboxIdentity } from '../isolate/host.js'
import { createPolicyResolver } from '../policy/resolve.js'
import type { NsjailOptions } from '../policy/types.js'
import { POOL_NAME } from '../pool/plugin.js'
import { compileCacheDir, compileCacheInputs, compileCacheOff } from '../pool/compile-cache.js'
import { configEnv, prepareProject, writableFolders } from '../pool/project.js'
import { sandboxPlan } from '../pool/sandbox-plan.js'
import type { MachineProbe } from '../probe/types.js'
import { explainText } from '../report/explain.js'
import { inspect } from './inspect.js'
import type { LoadedProject } from './load-config.js'

function explainFile(file: string, owner: LoadedProject & { options: NsjailOptions }, probe: MachineProbe, notes: string[]): string {
  const { project, options } = owner
  const root = project.config.root
  const resolver = createPolicyResolver(options, root)
  const identity = sandboxIdentity(root, options.user)
  const bwrap = { path: probe.bwrap.command, features: { version: probe.bwrap.version ?? 'unknown', tmpfsSize: probe.bwrap.tmpfsSize, disableUserns: probe.bwrap.disableUserns } }
  const workerEnv = { ...process.env, ...configEnv(project) }
  const off = compileCacheOff(compileCacheInputs(distDir, workerEnv, project.config.coverage, writableFolders(options, root)).facts)
  const compileCache = off === null ? { dir: compileCacheDir() } : { off }
  // Vitest's own execArgv adds only files inside its package (already readable); the project's may name others.
  const sandbox = prepareProject(project, { root, resolver, identity, bwrap, host: probeHostLayout(), gitRepositories: gitRepository(root) }, distDir, project.config.execArgv ?? [], 'dir' in compileCache ? compileCache.dir : undefined)
  const policy = resolver.forFile(file)
  const plan = sandboxPlan(sandbox, project, policy, {
    distPath: distDir,
    execArgv: project.config.execArgv ?? [],
    workerEnv,
    seccomp: null,
  })
  return explainText({ file: path.relative(process.cwd(), file) || file, project: project.name, rules: resolver.rulesForFile(file), plan, notes, policy, probe, options, root, compileCache })
}

export async function explain(args: { config?: string; root?: string; files: string[] }): Promise<number> {
  const { loaded, probe } = await inspect(args)
  let status = 0
  try {
    const usable = loaded.projects.filter((p): p is LoadedProject & { options: NsjailOptions } => p.options !== null)
    for (const name of args.files) {
      const file = path.resolve(name)
      let owners = usable.filter((p) => p.files.includes(file))
      // Another project may run the same file unsandboxed (`test.projects` with other pools).
      const elsewhere = loaded.all.filter((p) => p.config.pool !== POOL_NAME && p.matchesTestGlob(file))
      const notes = elsewhere.map((p) => `project ${p.name ? `"${p.name}"` : '(root)'} also runs it, with pool '${p.config.pool}': not sandboxed there`)
      if (owners.length === 0) {
        owners = usable.filter((p) => file.startsWith(`${p.project.config.root}/`))
        if (owners.length) notes.push("not one of the project's test files (its include/exclude do not match it); shown as if it were")
      }
      if (owners.length === 0) {
        process.stdout.write(`${name}\n  no project that uses the nsjail pool contains it${notes.length ? `; ${notes.join('; ')}` : ''}\n`)
        status = 1
      }
      for (const owner of owners) process.stdout.write(`${explainFile(file, owner, probe, notes)}\n`)
    }
  } finally {
    await loaded.close()
  }
  return status
}
