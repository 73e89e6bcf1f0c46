/**
 * One bwrap process hosting one Vitest worker, with the policy of the files it runs: planned, launched,
 * watched (limits, unexpected exits), and torn down with everything it started.
 *
 * Its life has three steps, so that it can be launched before anyone needs it (a spare, ./spares.ts):
 * `launch()` builds everything the policy decides (cgroup, seccomp program, mounts, firewall) and boots
 * Node with Vitest's worker runtime, which then waits; `adopt()` gives it to a PoolWorker (its output
 * reaches Vitest from then on); `start()` hands it Vitest's `start` request, which carries the worker's
 * identity. Its test files arrive with each `run` request: nothing of a file is baked into the launch.
 */
import type { ChildProcess } from 'node:child_process'
import type { Duplex } from 'node:stream'
import path from 'node:path'
import type { PoolOptions } from 'vitest/node'
import { launch } from '../isolate/launch.js'
import { reaped } from '../isolate/reap-sandboxes.js'
import { CHANNEL_FD } from '../worker/channel.js'
import { Connection } from '../channel/connection.js'
import { ChannelViolation } from '../channel/frames.js'
import { createScope, type Scope } from '../channel/scope.js'
import { sanitizeMessage } from '../channel/sanitize.js'
import { ByteBudget } from '../channel/budgets.js'
import { MessageBudgets } from '../channel/message-budgets.js'
import { isRequest, isResponse, response, type StartRequest, type WorkerResponse } from './messages.js'
import { describeExit, isSeccompKill } from './exit.js'
import { formatDuration } from '../cgroup/limits.js'
import { isFsRequest } from '../channel/write-bridge.js'
import { SandboxHostIo } from '../channel/sandbox-host-io.js'
import type { PoolShared } from './shared.js'
import type { ProjectSandbox } from './project.js'
import { sandboxPlan } from './sandbox-plan.js'
import type { Policy } from '../policy/types.js'
import type { SandboxResources } from './resources.js'
import { SandboxReport } from '../violations/sandbox-report.js'
import { isHint } from '../violations/hints.js'
import { stopOf } from '../violations/limits.js'
import { auditRecorder } from '../audit/recorder.js'
import { Recording } from '../audit/record.js'
import type { TcpAddress } from '../relay/protocol.js'
import { withProfileNames, writesAtExit } from './profiles.js'

const SIGKILL_AFTER_MS = 500
const GRACEFUL_STOP_MS = 5_000
/** Sandboxes created by this process, for profile names that are unique in it. */
let sandboxCount = 0
/** How long a profiling worker gets to write its profile and exit. */
const PROFILE_EXIT_MS = 10_000
const STDERR_TAIL = 8 * 1024

export interface SandboxInit {
  /** Equal for two sandboxes exactly when they are launched the same way (./launch-key.ts). */
  key: string
  policy: Policy
  project: ProjectSandbox
  options: PoolOptions
  shared: PoolShared
  /** Vitest's worker config (its `start` request's): where Vitest 5 workers write coverage files, a mount. */
  workerConfig: unknown
  /** Where the worker's debugger listens (--inspect), relayed from the host into the sandbox; or null. */
  inspector: TcpAddress | null
}

/** The PoolWorker a sandbox serves. */
export interface SandboxOwner {
  onMessage(message: unknown): void
  /** The sandbox died after it had started. */
  onUnexpectedExit(error: Error): void
}

interface Waiter {
  type: string
  resolve: (message: WorkerResponse) => void
  reject: (error: Error) => void
}

export class Sandbox {
  readonly key: string
  alive = false
  /**
   * Settles once the process is gone and its resources released: with why it died, or null when the
   * pool ended it (or it was never spawned).
   */
  gone: Promise<Error | null> = Promise.resolve(null)
  private launching?: Promise<void>
  /** The process has exited (its `gone` may still be settling). */
  private exited = false
  private owner?: SandboxOwner
  /** The worker's Node flags: Vitest's, with names of its own for the profiles they ask for (./profiles.ts). */
  private readonly execArgv: string[]
  /** Test files handed to it (relative to the project root), for messages and the firewall's advice. */
  private readonly files: string[] = []
  /** The same, absolute (for the violation report). */
  private readonly paths: string[] = []
  /** What the worker printed before it was adopted, written out when it is; null once adopted. */
  private held: Array<{ stream: 'outputStream' | 'errorStream'; chunk: Buffer }> | null = []
  private readonly holders: Array<() => void> = []
  private child?: ChildProcess
  private channel?: Connection
  /** Why the pool stopped the sandbox itself (a protocol violation), for the exit report. */
  private violation?: string
  private resources?: SandboxResources
  private waiters: Waiter[] = []
  private stderrTail = ''
  private ending = false
  private wallTimer?: NodeJS.Timeout
  private timedOut = false
  /** Where a `stop` came from: Vitest (its `stopped` is Vitest's too) or our own shutdown (ours). */
  private stop: 'none' | 'vitest' | 'ours' | 'answered' = 'none'

  /** What the host reads and writes for this sandbox (snapshots, coverage files, …): src/channel. */
  private io?: SandboxHostIo
  /** What its messages cost the host: console output Vitest keeps, 4.1 coverage. */
  private budgets?: MessageBudgets
  /** What the worker may report on: the files it was given. */
  private readonly scope: Scope
  /** Which fences its files hit, noted on their failures (src/violations). */
  private report?: SandboxReport
  /** Under the audit command: what the sandbox does beyond its policy (src/audit). */
  private recording?: Recording

  constructor(private readonly init: SandboxInit) {
    this.key = init.key
    this.execArgv = withProfileNames(init.options.execArgv, `${process.pid}-${++sandboxCount}`, new Date())
    const project = init.options.project
    this.scope = createScope({ root: project.config.root, projectName: project.name, bail: project.vitest.config.bail ?? 0 })
  }

  /** Plans and launches the sandbox; its worker boots and waits for `start`. Throws when it cannot be set up. */
  launch(): Promise<void> {
    this.launching ??= this.plan()
    return this.launching
  }

  private async plan(): Promise<void> {
    const { project, options, shared } = this.init
    // Under the audit command the sandbox runs in record mode (src/audit/record.ts): launched with
    // its fences opened, judged against its own policy.
    const recorder = auditRecorder()
    recorder?.usedOptions(shared.options)
    this.recording = recorder
      ? new Recording(recorder, {
          policy: this.init.policy,
          identity: project.identity,
          root: project.root,
          files: this.files,
          project: options.project.name,
          plan: (policy) => sandboxPlan(project, options.project, policy, this.specifics()),
        })
      : undefined
    const policy = this.recording?.policy ?? this.init.policy
    const resources = await shared.resources(policy, this.files, this.init.inspector, project.identity, this.recording ? 'log' : 'enforce')
    this.resources = resources
    // Stopped while its cgroup was made (a spare, when the pool went idle): it is never spawned.
    if (this.ending) return resources.release()
    try {
      await this.spawn(resources, policy)
    } catch (error) {
      this.io?.close()
      await resources.release()
      this.recording?.discard()
      throw error
    }
  }

  /** What the plan takes from this launch besides the policy (the relay's and the host I/O's parts aside). */
  private specifics() {
    const { options, shared } = this.init
    return {
      distPath: options.distPath,
      execArgv: this.execArgv,
      workerEnv: options.env,
      seccomp: null,
      // The run's JSON report names host paths the sandboxes' failures pointed at: not for them to read.
      hide: shared.reportFiles(options.project),
    }
  }

  /** `policy`: the file's, or record mode's wider one under the audit command. */
  private async spawn(resources: SandboxResources, policy: Policy): Promise<void> {
    const { project, options, shared } = this.init
    const recording = this.recording
    const { budgets } = policy
    const coverageBudget = new ByteBudget(budgets.coverage, 'coverage', 'limits.coverage')
    this.budgets = new MessageBudgets(coverageBudget, new ByteBudget(budgets.output, 'console output Vitest keeps', 'limits.output'))
    const io = new SandboxHostIo({
      writeBudget: new ByteBudget(budgets.hostWrites, 'snapshot, benchmark and attachment writes', 'limits.hostWrites'),
      coverageBudget,
      project: options.project,
      root: project.root,
      identity: project.identity,
      workerConfig: this.init.workerConfig,
      vitestFile: project.vitestFile,
    })
    this.io = io
    const plan = sandboxPlan(project, options.project, policy, {
      ...this.specifics(),
      seccomp: resources.seccomp,
      privateMounts: [...io.mounts, ...(recording?.mounts() ?? [])],
      relay: resources.relay ?? undefined,
      optionalReadonly: recording?.shown,
      wrapCommand: recording && ((command) => recording.command(command)),
    })
    // A relay that cannot start (the debugger's port taken on the host) fails this sandbox alone.
    await resources.attach(plan, io.attach(plan.access.writable))
    this.report = new SandboxReport({
      root: project.root,
      policy: this.init.policy,
      plan: recording?.defaultPlan ?? plan,
      hostEnv: options.env,
      files: this.paths,
      fileOf: (id) => this.scope.fileOf(id),
      run: shared.report,
      projectName: options.project.name,
    })
    const child = launch(plan, { bwrap: project.bwrap.path, features: project.bwrap.features, wrap: resources.wrap })
    this.child = child
    this.forward(child.stdout!, 'outputStream')
    this.forward(child.stderr!, 'errorStream')
    child.stderr!.on('data', (chunk: Buffer) => {
      if (!this.alive) this.stderrTail = (this.stderrTail + chunk.toString()).slice(-STDERR_TAIL)
    })
    this.channel = new Connection(child.stdio[CHANNEL_FD] as Duplex, { messageBytes: budgets.messageSize, messagesPerSecond: budgets.messages }, {
      message: (message, bytes) => this.fromWorker(message, bytes),
      violation: (error) => this.onViolation(error),
    })
    this.gone = new Promise((resolve) => child.once('exit', (code, signal) => resolve(this.onExit(code, signal))))
    child.on('error', (error) => this.rejectAll(new Error(`vitest-pool-nsjail: could not launch the sandbox: ${error.message}`)))
  }

  /** From now on the worker's messages and output go to `owner` and Vitest. */
  adopt(owner: SandboxOwner): void {
    this.owner = owner
    const logger = this.init.options.project.vitest.logger
    for (const { stream, chunk } of this.held ?? []) (logger[stream] as NodeJS.WritableStream).write(chunk)
    this.held = null
    for (const pipe of this.holders.splice(0)) pipe()
  }

  /** Hands the worker Vitest's `start` request (its identity); resolves when it has started. */
  async start(startRequest: StartRequest): Promise<void> {
    const started = this.next('started')
    this.channel!.send(startRequest)
    const reply = await started
    if (reply.error) throw reply.error
    this.alive = true
  }

  /** The launcher's pid (bwrap's, once it has joined its cgroup), for debug output. */
  get pid(): number | undefined {
    return this.child?.pid
  }

  /** Whether any test file was handed to it. */
  get used(): boolean {
    return this.files.length > 0
  }

  /**
   * The worker's output reaches Vitest's logger once the sandbox is adopted (piped, as Vitest's own
   * pools do); until then it is held, so a spare that never serves anyone prints nothing.
   */
  private forward(from: NodeJS.ReadableStream, stream: 'outputStream' | 'errorStream'): void {
    const hold = (chunk: Buffer) => this.held?.push({ stream, chunk })
    from.on('data', hold)
    this.holders.push(() => {
      from.off('data', hold)
      from.pipe(this.init.options.project.vitest.logger[stream] as NodeJS.WritableStream, { end: false })
    })
  }

  /** Test files (absolute paths) handed to it: with isolate: false, more arrive over time. */
  private assign(files: readonly string[]): void {
    // The wall-time limit counts from the first file on: neither a spare's wait nor the sandbox's boot
    // (Node and Vitest's runtime, which an emulated machine takes seconds for) is a test file's time.
    const { wallTimeMs } = this.init.policy.limits
    if (wallTimeMs !== null && this.wallTimer === undefined) {
      this.wallTimer = setTimeout(() => {
        this.timedOut = true
        this.child?.kill('SIGKILL')
      }, wallTimeMs)
    }
    this.scope.add(files)
    this.io!.assign(files)
    for (const file of files) {
      const name = path.relative(this.init.project.root, file)
      if (this.files.includes(name)) continue
      this.files.push(name)
      this.paths.push(file)
    }
  }

  /** Resolves with the next response of that type from the worker (which is then not forwarded). */
  next(type: string): Promise<WorkerResponse> {
    // A sandbox that is already gone answers nothing more (a spare may die just before it is taken).
    if (this.exited) return this.gone.then((error) => Promise.reject(error ?? new Error('vitest-pool-nsjail: the sandbox was stopped')))
    return new Promise((resolve, reject) => this.waiters.push({ type, resolve, reject }))
  }

  /** To the worker; answers from Vitest pass the firewall first (where a bare import really went). */
  send(message: unknown): void {
    if (isRequest(message, 'run', 'collect')) this.assign(message.context.files.map((f) => f.filepath))
    const verdict = this.resources?.firewall?.inspectReply(message)
    this.recording?.inspectReply(message)
    this.toWorker(verdict && !verdict.pass ? verdict.reply : message)
  }

  private toWorker(message: unknown): void {
    if (message !== undefined) this.channel?.send(message)
  }

  /** The worker broke the channel's protocol: it is stopped, and its files fail with why. */
  private onViolation(error: ChannelViolation): void {
    this.violation = `the pool stopped it: ${error.message}`
    this.child?.kill('SIGKILL')
  }

  /** Vitest's `stop` request. Should the sandbox die before answering, its exit answers for it. */
  requestStop(message: unknown): void {
    this.stop = 'vitest'
    this.send(message)
  }

  /** Asks the worker to stop the way Vitest would, then ends the sandbox. */
  async shutdown(): Promise<void> {
    if (this.alive && this.violation === undefined) {
      const stopped = this.next('stopped')
      this.stop = 'ours'
      this.send({ __vitest_worker_request__: true, type: 'stop' })
      await Promise.race([stopped.catch(() => {}), new Promise((r) => setTimeout(r, GRACEFUL_STOP_MS).unref())])
    }
    await this.kill()
  }

  /**
   * Ends the sandbox: SIGTERM, SIGKILL if it lingers; its pid namespace takes every process with it.
   * One that never ran a file has nothing to finish: `SIGKILL` ends it at once.
   */
  async kill(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    this.ending = true
    await this.launching?.catch(() => {})
    const child = this.child
    const running = () => child !== undefined && child.exitCode === null && child.signalCode === null
    // A signal reaches bwrap, and the worker dies with it before a profiler could write. Where Vitest's
    // forks pool sends its worker SIGTERM, which the worker then answers by exiting, this pool closes
    // the worker's channel, which the worker answers by exiting (worker/entry.ts).
    if (running() && signal === 'SIGTERM' && writesAtExit(this.init.options.execArgv)) {
      this.channel?.close()
      await Promise.race([this.gone, new Promise((resolve) => setTimeout(resolve, PROFILE_EXIT_MS).unref())])
    }
    if (running()) {
      const timer = setTimeout(() => child!.kill('SIGKILL'), SIGKILL_AFTER_MS)
      child!.kill(signal)
      // Settles once the sandbox's pid 1 is waited for too (onExit).
      await this.gone
      clearTimeout(timer)
    } else {
      await this.gone
    }
  }

  private fromWorker(message: unknown, bytes: number): void {
    // Set before launch, so before any message: every message passes it.
    const firewall = this.resources!.firewall!
    if (isFsRequest(message)) return this.toWorker(this.io!.handleFsRequest(message))
    if (isHint(message)) return this.report!.hint(message)
    this.recording?.inspect(message)
    const verdict = firewall.inspect(message)
    if (!verdict.pass) {
      if (verdict.readable !== undefined) this.report!.refused(verdict.refusal, verdict.readable)
      // A refused call is answered with its rejection, which fails the test with the reason; a
      // refused event has nobody to tell but the log.
      if (verdict.reply !== undefined) this.toWorker(verdict.reply)
      else if (!verdict.quiet) this.init.shared.log(verdict.refusal)
      return
    }
    const call = message as { t?: unknown; m?: unknown; a?: unknown }
    if (call.t === 'q') {
      const problem = this.scope.problem(call.m as string, Array.isArray(call.a) ? call.a : [])
      if (problem) return this.channel!.fail(new ChannelViolation(`it reported on ${problem}; a sandbox may only report on its own test files`))
    }
    const over = this.budgets!.spend(message, bytes)
    if (over) return this.channel!.fail(new ChannelViolation(`it went over a budget: ${over}`))
    const forwarded = verdict.message ?? message
    sanitizeMessage(forwarded, (file) => firewall.hostMayOpen(path.resolve(file)))
    if (call.t === 'q') this.report!.taskUpdate(forwarded as typeof call)
    if (isResponse(message)) {
      const index = this.waiters.findIndex((w) => w.type === message.type)
      if (index !== -1) {
        this.waiters.splice(index, 1)[0].resolve(message)
        // A `started` is ours (Vitest had its answer at once); other awaited responses still go on.
        if (message.type === 'started' || (message.type === 'stopped' && this.stop === 'ours')) return
      }
      if (message.type === 'stopped') this.stop = 'answered'
    }
    this.owner?.onMessage(forwarded)
  }

  private async onExit(code: number | null, signal: NodeJS.Signals | null): Promise<Error | null> {
    // Gone means gone as a whole: bwrap does not always wait for its pid 1 (src/isolate/reap-sandboxes.ts).
    await reaped(this.child!)
    this.exited = true
    clearTimeout(this.wallTimer)
    const wasAlive = this.alive
    this.alive = false
    const reason = this.violation ?? (this.timedOut
      ? `wall-time limit ${formatDuration(this.init.policy.limits.wallTimeMs!)} reached: timed out, killed with its whole pid namespace`
      : await this.resources?.killReason())
    this.recording?.finish(this.report?.hinted() ?? { env: [], ports: [] }, this.init.options.env)
    await this.resources?.release()
    this.io?.close()
    // Vitest waits up to a minute for the answer to its `stop`: a sandbox that died gives it now.
    if (this.stop === 'vitest') this.owner?.onMessage(response('stopped'))
    if (this.ending) {
      this.rejectAll(new Error('vitest-pool-nsjail: the sandbox was stopped'))
      return null
    }
    const facts = { files: this.files, code, signal, reason: reason ?? null, started: wasAlive, stderr: this.stderrTail }
    const stop = stopOf(reason ?? '', this.timedOut, isSeccompKill(facts))
    const noted = stop && this.report?.stopped(stop)
    const error = new Error(describeExit(facts) + (noted ? `\n${noted}` : ''))
    this.rejectAll(error)
    if (wasAlive) this.owner?.onUnexpectedExit(error)
    return error
  }

  private rejectAll(error: Error): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(error)
  }
}
