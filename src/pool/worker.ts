/**
 * The Vitest side of one sandboxed worker. Vitest creates a PoolWorker before it knows which test
 * files it will run, but the sandbox depends on the files (per-file rules). So the sandbox starts
 * lazily: the `start` request is kept and answered at once, and replayed to a fresh sandbox when the
 * first `run`/`collect` request names the files. One worker may host several sandboxes in turn
 * (isolate: false), one per distinct policy, never two at once.
 */
import { EventEmitter } from 'node:events'
import path from 'node:path'
import type { PoolOptions, PoolTask, PoolWorker } from 'vitest/node'
import { isRequest, isResponse, response, type RunRequest, type StartRequest } from './messages.js'
import { Sandbox } from './sandbox.js'
import { failedRunEvents, isCollectedEvent } from './crash-report.js'
import type { PoolShared } from './shared.js'
import type { ProjectSandbox } from './project.js'
import type { Policy } from '../policy/types.js'
import { inspectorAddress, type InspectorConfig } from '../relay/inspector.js'

interface Group {
  key: string
  policy: Policy
  files: RunRequest['context']['files']
}

export class NsjailPoolWorker implements PoolWorker {
  readonly name = 'nsjail'
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
  ) {}

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
      setImmediate(() => this.events.emit('message', response('started')))
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

  /** The sandbox for a policy: the current one when it matches, else a fresh one. */
  private async sandboxFor(group: Group): Promise<Sandbox> {
    if (this.sandbox?.key === group.key && this.sandbox.alive) return this.sandbox
    if (this.sandbox) {
      await this.sandbox.shutdown()
      this.sandbox = undefined
    }
    const sandbox = new Sandbox({
      key: group.key,
      policy: group.policy,
      inspector: this.inspector(),
      files: group.files.map((f) => path.relative(this.project!.root, f.filepath)),
      project: this.project!,
      options: this.options,
      shared: this.shared,
      onMessage: (message) => this.fromWorker(message),
      onUnexpectedExit: (error) => this.fail(error),
    })
    this.sandbox = sandbox
    await sandbox.start(this.startRequest!)
    return sandbox
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
      // Nobody at Vitest's end listens now; an idle sandbox that died is simply replaced on the next run.
      if (!this.stopping) this.shared.log(error.message)
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
