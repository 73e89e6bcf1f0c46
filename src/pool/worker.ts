/**
 * The Vitest side of one sandboxed worker. Vitest creates a PoolWorker and has it `start` before it
 * names the test files, but the sandbox depends on the files (per-file rules). So `start` goes to a
 * sandbox of the policy most of the run's files have — a spare when one is ready (./spares.ts) — and
 * Vitest gets `started` when that sandbox has started: the start time it sees is the real one. When
 * the `run`/`collect` request names files of another policy, that sandbox is dropped for one of theirs.
 * One worker may host several sandboxes in turn (isolate: false), one per distinct policy, never two
 * at once.
 */
import { EventEmitter } from 'node:events'
import type { PoolOptions, PoolTask, PoolWorker } from 'vitest/node'
import { isRequest, isResponse, response, type RunRequest, type StartRequest } from './messages.js'
import { Sandbox } from './sandbox.js'
import { launchKey } from './launch-key.js'
import type { SpareKind } from './spares.js'
import { failedRunEvents, isCollectedEvent } from './crash-report.js'
import type { PoolShared } from './shared.js'
import type { ProjectSandbox } from './project.js'
import type { Policy } from '../policy/types.js'
import { inspectorAddress, type InspectorConfig } from '../relay/inspector.js'

/** The pool's name in Vitest's config (`pool: 'nsjail'`), which is its workers' name too. */
export const POOL_NAME = 'nsjail'

interface Group {
  key: string
  policy: Policy
  files: RunRequest['context']['files']
}

export class NsjailPoolWorker implements PoolWorker {
  readonly name = POOL_NAME
  /**
   * Modules reach the worker over the channel, not as files in Vitest's temp dir: that dir holds the
   * transformed code of every module of the run, whatever file's policy let it be read.
   */
  readonly cacheFs = false
  private readonly events = new EventEmitter()
  private project?: ProjectSandbox
  private startRequest?: StartRequest
  private sandbox?: Sandbox
  private stopping = false
  /** True between a run request and its `testfileFinished`: a failure then fails the run's files. */
  private running = false
  /** The failure last reported as the run's: a sandbox's death reaches fail() twice (exit and the awaiting run). */
  private reported?: Error
  /** Set while a run is split over several sandboxes: their intermediate `testfileFinished` are ours. */
  private swallowFinished = false
  /** The files of the request in flight, and those of them the worker has reported collected. */
  private runFiles: string[] = []
  private readonly collected = new Set<string>()

  constructor(
    private readonly options: PoolOptions,
    private readonly shared: PoolShared,
  ) {
    shared.spares.workerOpened(options.project)
  }

  on(event: string, callback: (arg: any) => void): void {
    this.events.on(event, callback)
  }

  off(event: string, callback: (arg: any) => void): void {
    this.events.off(event, callback)
  }

  deserialize(data: unknown): unknown {
    return data
  }

  /** Checks the machine and the options once per project; a failure here fails fast, before any test. */
  async start(): Promise<void> {
    this.project = await this.shared.project(this.options)
  }

  send(message: any): void {
    if (isRequest(message, 'start')) {
      this.startRequest = this.shared.withSnapshotEnvironment(message)
      this.prepare().then(() => this.events.emit('message', response('started')))
    } else if (isRequest(message, 'run', 'collect')) {
      this.run(message).catch((error) => this.fail(error))
    } else if (isRequest(message, 'stop')) {
      if (this.sandbox?.alive) this.sandbox.requestStop(message)
      else setImmediate(() => this.events.emit('message', response('stopped')))
    } else {
      this.sandbox?.send(message)
    }
  }

  canReuse(task: PoolTask): boolean {
    const current = this.sandbox?.key
    const env = this.options.environment
    return (
      task.context.environment.name === env.name &&
      JSON.stringify(task.context.environment.options) === JSON.stringify(env.options) &&
      (current === undefined || task.context.files.every((f) => this.project?.resolver.keyForFile(f.filepath) === current))
    )
  }

  async stop(): Promise<void> {
    this.stopping = true
    await this.sandbox?.kill()
    this.sandbox = undefined
    this.shared.spares.workerClosed()
  }

  /**
   * Starts a sandbox of the likeliest policy. Never fails: a sandbox that cannot start is launched
   * again for the `run` request, whose files then fail with why (Vitest 4.1 would otherwise wait a
   * minute for a `started`, or fail the files without their names).
   */
  private async prepare(): Promise<void> {
    const resolver = this.project!.resolver
    const file = this.shared.likelyFile(this.options.project, resolver.keyForFile)
    if (file === undefined) return
    await this.sandboxFor({ key: resolver.keyForFile(file), policy: resolver.forFile(file) }).catch(() => {
      this.sandbox = undefined
    })
  }

  /**
   * The files of one request (several only with isolate: false and one worker), one group per policy
   * in order of first appearance, the running sandbox's own group first. Vitest's order interleaves
   * policies freely (it sorts by duration and size); keeping it would restart a sandbox of the same
   * policy later in the run, and files that isolate: false promised a shared process would not share it.
   */
  private groups(files: RunRequest['context']['files']): Group[] {
    const groups = new Map<string, Group>()
    for (const file of files) {
      const key = this.project!.resolver.keyForFile(file.filepath)
      const group = groups.get(key)
      if (group) group.files.push(file)
      else groups.set(key, { key, policy: this.project!.resolver.forFile(file.filepath), files: [file] })
    }
    const current = this.sandbox?.alive ? this.sandbox.key : undefined
    return [...groups.values()].sort((a, b) => Number(b.key === current) - Number(a.key === current))
  }

  private async run(request: RunRequest): Promise<void> {
    this.running = true
    this.runFiles = request.context.files.map((f) => f.filepath)
    const groups = this.groups(request.context.files)
    for (const [i, group] of groups.entries()) {
      const sandbox = await this.sandboxFor(group)
      const last = i === groups.length - 1
      this.swallowFinished = !last
      const finished = last ? undefined : sandbox.next('testfileFinished')
      sandbox.send(groups.length === 1 ? request : { ...request, context: { ...request.context, files: group.files } })
      await finished
    }
  }

  /**
   * The sandbox for a policy: the current one when it matches, else a spare of its kind, else a fresh
   * one. A spare that died before it could start is replaced silently by a fresh one.
   */
  private async sandboxFor(group: Pick<Group, 'key' | 'policy'>): Promise<Sandbox> {
    if (this.sandbox?.key === group.key && this.sandbox.alive) return this.sandbox
    if (this.sandbox) {
      // One that never ran a file has nothing to finish (coverage, teardown): no need to ask.
      await (this.sandbox.used ? this.sandbox.shutdown() : this.sandbox.kill('SIGKILL'))
      this.sandbox = undefined
    }
    const kind = this.spareKind(group)
    // With isolate: false a worker keeps its sandbox for the files that follow: spares would only
    // take CPU from the run's start and memory until its end. A debugged worker gets none either: its
    // debugger has one address on the host, which a spare would hold before the worker that needs it.
    const spare = this.options.project.config.isolate && !this.inspector() ? this.shared.spares.take(kind) : undefined
    if (spare) {
      const started = await this.begin(spare).then(() => true, () => false)
      if (started) return spare
      await spare.kill('SIGKILL')
    }
    const sandbox = kind.create()
    await this.begin(sandbox)
    return sandbox
  }

  /** Makes the sandbox this worker's and hands it Vitest's `start` request. */
  private async begin(sandbox: Sandbox): Promise<void> {
    this.sandbox = sandbox
    await sandbox.launch()
    sandbox.adopt({ onMessage: (message) => this.fromWorker(message), onUnexpectedExit: (error) => this.fail(error) })
    await sandbox.start(this.startRequest!)
  }

  /** How a sandbox of this policy is launched for this worker, and the spares that fit it. */
  private spareKind(group: Pick<Group, 'key' | 'policy'>): SpareKind {
    const { policy } = group
    const workerConfig = this.startRequest!.context.config
    const inspector = this.inspector()
    const { project, execArgv, env } = this.options
    return {
      key: launchKey({ projectName: project.name, policy, execArgv, env, workerConfig, inspector }),
      project,
      create: () => new Sandbox({ key: group.key, policy, project: this.project!, options: this.options, shared: this.shared, workerConfig, inspector }),
    }
  }

  /**
   * Where the worker's debugger listens under --inspect/--inspect-brk: the sandbox keeps its own
   * network, and the pool relays that address from the host into it (src/relay). Vitest opens
   * node:inspector in the worker when its config says `inspector.enabled`; an inspector flag in the
   * project's execArgv does the same at Node's start.
   */
  private inspector() {
    const config = (this.startRequest?.context.config as { inspector?: InspectorConfig } | undefined)?.inspector
    return inspectorAddress(config, this.options.execArgv)
  }

  private fromWorker(message: unknown): void {
    if (isCollectedEvent(message)) for (const file of message.a[0]) this.collected.add(file.filepath)
    if (isResponse(message, 'testfileFinished')) {
      if (this.swallowFinished) return
      this.running = false
    }
    this.events.emit('message', message)
  }

  private fail(error: Error): void {
    if (error === this.reported) return
    if (this.stopping || !this.running) {
      // Nobody at Vitest's end listens now; an idle sandbox that died is simply replaced on the next
      // run (silently when it never ran a file: it was started ahead of the run request).
      if (!this.stopping && this.sandbox?.used) this.shared.log(error.message)
      this.sandbox = undefined
      return
    }
    // The run's files are failed with the reason, in every reporter; then the run is over for Vitest,
    // which replaces this worker's sandbox on its next request.
    this.reported = error
    const { project } = this.options
    for (const event of failedRunEvents({
      uncollected: this.runFiles.filter((file) => !this.collected.has(file)),
      collected: project.vitest.state.getFiles(this.runFiles.filter((file) => this.collected.has(file))).filter((f) => f.projectName === project.name),
      root: project.config.root,
      projectName: project.name,
      pool: this.name,
      error,
    })) this.events.emit('message', event)
    this.running = false
    setImmediate(() => this.events.emit('message', response('testfileFinished')))
  }
}
