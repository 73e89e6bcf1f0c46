/**
 * State shared by all workers of one pool runner: per-project preparation (done once, before the
 * first sandbox), and the per-sandbox resources built from a policy.
 */
import path from 'node:path'
import type { PoolOptions, TestProject, TestSpecification, Vitest } from 'vitest/node'
import { preflightProject, prepareProject, writableFolders, type Preflight, type ProjectSandbox } from './project.js'
import { compileCacheInputs, compileCacheOff, startCompileCache, type CompileCache } from './compile-cache.js'
import { createFirewall } from '../channel/firewall/index.js'
import { LateEnvNotes } from './late-env.js'
import { enterCommand } from '../cgroup/index.js'
import { checkMachine, type RunMachine } from './machine.js'
import { compileSeccomp } from '../seccomp/index.js'
import type { StartRequest } from './messages.js'
import type { SandboxResources } from './resources.js'
import type { NsjailOptions, Policy } from '../policy/types.js'
import { RunReport } from '../violations/run-report.js'
import { writeReport } from '../violations/write-json.js'
import { printsBanner } from './banner-reporter.js'
import type { Identity } from '../isolate/etc.js'
import { runDir } from '../hostfs/run-dir.js'
import { startHostRelay, type HostRelay } from '../relay/host.js'
import { needsRelay } from '../relay/plan.js'
import { DebuggerListeners } from '../relay/reverse.js'
import type { TcpAddress } from '../relay/protocol.js'
import { DEFAULT_PREWARM, Spares } from './spares.js'
import { commonestPolicyFile } from './likely-policy.js'
import { debugEnabled } from './debug.js'
import { POOL_NAME } from './worker.js'
import { builtFile } from '../built-files.js'

/** How long closing waits for workers Vitest is still stopping (its own SIGKILL comes after 500 ms). */
const TEARDOWN_GRACE_MS = 6_000

const SNAPSHOT_ENVIRONMENT = builtFile('worker/snapshot-environment.js')
const RELAY_PRELOAD = builtFile('relay/inside/preload.js')

export class PoolShared {
  private readonly preflights = new WeakMap<TestProject, Promise<Preflight | null>>()
  private readonly projects = new WeakMap<TestProject, Promise<ProjectSandbox>>()
  /** This run's machine check (probe, verdict, cgroups), once; forgotten when Vitest closes. */
  private machine?: Promise<RunMachine>
  /** Sandboxes whose cgroup is still in use: each settles when its sandbox is released. */
  private readonly inUse = new Set<Promise<void>>()
  private readonly lateEnv = new LateEnvNotes()
  /** Which files hit which fences in the current run (src/violations). */
  readonly report = new RunReport()
  private readonly reporting = new WeakSet<Vitest>()
  /** This run's debugger listeners (src/relay). */
  private readonly debuggers = new DebuggerListeners((message) => this.log(message))
  /** Sandboxes launched ahead of need (./spares.ts). */
  readonly spares: Spares
  /** The compile caches being filled or filled for this run's projects (./compile-cache.ts). */
  private readonly compileCaches: CompileCache[] = []
  /** Per project: the run's test files seen last (by count) and the guess made from them. */
  private readonly guesses = new WeakMap<TestProject, { paths: number; file: string | undefined }>()

  constructor(readonly options: NsjailOptions) {
    const debug = debugEnabled(process.env.DEBUG, 'vitest-pool-nsjail:spares')
    this.spares = new Spares(options.prewarm === false ? 0 : options.prewarm ?? DEFAULT_PREWARM,
      debug ? (vitest: Vitest, message: string) => vitest.logger.log(`vitest-pool-nsjail: ${message}`) : null)
  }

  /** The JSON report's path (the `report` option, against the run's root), if one is asked for. */
  private reportFile(vitest: Vitest): string | undefined {
    return this.options.report === undefined ? undefined : path.resolve(vitest.config.root, this.options.report)
  }

  /** Paths no sandbox of the project may read: the JSON report (it names host paths). */
  reportFiles(project: TestProject): string[] {
    const file = this.reportFile(project.vitest)
    return file ? [file] : []
  }

  /**
   * At the end of each run, the summary through Vitest's logger (nothing when no file hit a fence)
   * and the JSON report: a reporter of ours, after the user's, registered before Vitest builds them.
   */
  attachReport(vitest: Vitest): void {
    if (this.reporting.has(vitest)) return
    this.reporting.add(vitest)
    const file = this.reportFile(vitest)
    vitest.config.reporters.push({
      onTestRunStart: (specifications: readonly TestSpecification[]) => {
        this.report.clear()
        // The files our pool runs: a project of another pool, or typecheck's, never asks for a worker here.
        this.spares.runStarted(specifications.filter((spec) => spec.pool === POOL_NAME))
      },
      onTestRunEnd: () => {
        const summary = this.report.summary()
        // Beside the banner: on stderr when stdout may be a machine-readable report.
        if (summary) (printsBanner(vitest) ? vitest.logger.log(`\n${summary}`) : vitest.logger.error(`\n${summary}`))
        if (file) writeReport(file, vitest.config.root, this.report.json())
      },
    } as never)
  }

  /**
   * Checks options and machine for a project, once. The plugin awaits this in configureVitest, so a
   * missing bwrap or a refused user namespace fails the run once, before any test file is scheduled.
   * null: the run is unsandboxed (`onUnsupported: 'warn'` on a machine that cannot sandbox).
   */
  preflight(project: TestProject): Promise<Preflight | null> {
    return memo(this.preflights, project, async () => {
      // The first call comes before any globalSetup (the plugin's configureVitest): what is in the
      // environment now was not set by one. Later calls (each worker's start) must not move that line.
      this.lateEnv.settle()
      const machine = await this.checkMachine(project)
      return machine.unsandboxed ? null : preflightProject(project, this.options, machine.bwrap)
    })
  }

  /** The probe of this run and what it means for these options (warnings go to Vitest's logger). */
  checkMachine(project: TestProject): Promise<RunMachine> {
    if (!this.machine) {
      const machine = checkMachine(this.options, project.config.root, (message) => project.vitest.logger.warn(message))
      this.machine = machine
      // The run's cgroup and relay directories go when Vitest closes (and at process exit, whatever happens).
      project.vitest.onClose(async () => {
        if (this.machine === machine) this.machine = undefined
        await this.spares.close()
        // Vitest stops its workers while it runs these hooks: let them finish their teardown
        // before closing the cgroups kills whatever is still inside.
        await Promise.race([Promise.all(this.inUse), new Promise((r) => setTimeout(r, TEARDOWN_GRACE_MS).unref())])
        await (await machine.catch(() => null))?.cgroups?.close()
        for (const cache of this.compileCaches.splice(0)) cache.close()
        this.debuggers.close()
      })
    }
    return this.machine
  }

  /** The project's sandbox facts; only for a sandboxed run (see preflight). */
  project(pool: PoolOptions): Promise<ProjectSandbox> {
    return memo(this.projects, pool.project, async () => {
      const note = this.lateEnv.note(pool.env, this.options)
      if (note) pool.project.vitest.logger.warn(note)
      const preflight = await this.preflight(pool.project)
      if (!preflight) throw new Error('vitest-pool-nsjail: a sandboxed worker was started in an unsandboxed run')
      return prepareProject(pool.project, preflight, pool.distPath, pool.execArgv, this.compileCache(pool, preflight)?.dir)
    })
  }

  /** Starts filling a compile cache for the project's workers, where one can be used. */
  private compileCache(pool: PoolOptions, preflight: Preflight): CompileCache | null {
    const debug = debugEnabled(process.env.DEBUG, 'vitest-pool-nsjail:compile-cache')
      ? (message: string) => pool.project.vitest.logger.log(`vitest-pool-nsjail: compile cache: ${message}`) : () => {}
    const { modules, facts } = compileCacheInputs(pool.distPath, pool.env, pool.project.vitest.config.coverage, writableFolders(this.options, preflight.root))
    const off = compileCacheOff(facts)
    if (off) {
      debug(`off: ${off}`)
      return null
    }
    try {
      const cache = startCompileCache(process.execPath, pool.execArgv, modules, facts.warmedFrom, preflight.identity.uid)
      this.compileCaches.push(cache)
      void cache.ready.then(debug)
      return cache
    } catch (error) {
      // An optimisation: nothing of it may fail a worker.
      debug(`off: ${(error as Error).message}`)
      return null
    }
  }

  /**
   * A test file of the current run whose policy most of the project's files in the run have: the
   * policy a worker's first sandbox is started with before Vitest names its files (./likely-policy.ts).
   */
  likelyFile(project: TestProject, keyForFile: (file: string) => string): string | undefined {
    const paths = project.vitest.state.getPaths()
    const cached = this.guesses.get(project)
    if (cached?.paths === paths.length) return cached.file
    const file = commonestPolicyFile(paths.filter((p) => project.matchesTestGlob(p)), keyForFile)
    this.guesses.set(project, { paths: paths.length, file })
    return file
  }

  /**
   * Points the worker at our snapshot environment, unless the user configured one of their own. The
   * worker entry recognises this path and sets the environment it loaded itself (src/worker/entry.ts);
   * a Vitest that ignored that would still load it from the path.
   */
  withSnapshotEnvironment(start: StartRequest): StartRequest {
    const config = start.context.config
    if (config.snapshotEnvironment) return start
    return { ...start, context: { ...start.context, config: { ...config, snapshotEnvironment: SNAPSHOT_ENVIRONMENT } } }
  }



  log(message: string): void {
    process.stderr.write(`${message}\n`)
  }

  /**
   * `identity`: who the sandbox runs as, who must reach its relay's sockets. `seccomp: 'log'`: the
   * audit's record mode (the filter logs what it would refuse).
   */
  async resources(policy: Policy, files: string[], inspector: TcpAddress | null, identity: Identity, seccomp: 'enforce' | 'log' = 'enforce'): Promise<SandboxResources> {
    const { memory, pids, cpu } = policy.limits
    const run = (await this.machine)?.cgroups
    const cgroup = run && (memory !== null || pids !== null || cpu !== null) ? await run.createWorker(policy.limits) : null
    let released!: () => void
    const inUse = new Promise<void>((resolve) => (released = resolve))
    this.inUse.add(inUse)
    // The relay's sockets: in a private folder of the run's, bound read-only into the sandbox.
    const relayDir = needsRelay(policy.network, inspector) ? runDir().sandboxDir(identity.setuid ? identity : undefined) : null
    let relay: HostRelay | undefined
    const resources: SandboxResources = {
      seccomp: policy.seccomp ? compileSeccomp(policy.seccomp, 'seccomp', seccomp) : null,
      relay: relayDir ? { hostDir: relayDir.path, preload: RELAY_PRELOAD, inspector } : null,
      firewall: null,
      attach: async (plan, host) => {
        // The channel is policed with exactly what the mounts expose: one source of truth.
        resources.firewall = createFirewall({ root: plan.cwd, ...plan.access }, { files, tmpCopies: false, host })
        if (plan.relay) relay = await startHostRelay(plan.relay, this.debuggers, (message) => this.log(message))
      },
      // bwrap is born inside the worker's cgroup: nothing of the sandbox ever runs outside it.
      wrap: (argv) => enterCommand(cgroup?.joinFiles ?? [], argv),
      killReason: async () => (await cgroup?.killReason()) ?? null,
      release: async () => {
        relay?.close()
        relayDir?.remove()
        await cgroup?.remove()
        this.inUse.delete(inUse)
        released()
      },
    }
    return resources
  }
}

function memo<K extends object, V>(cache: WeakMap<K, V>, key: K, make: () => V): V {
  if (!cache.has(key)) cache.set(key, make())
  return cache.get(key)!
}
