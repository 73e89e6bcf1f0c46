/**
 * One bwrap process hosting one Vitest worker, with the policy of the files it runs: planned, launched,
 * watched (limits, unexpected exits), and torn down with everything it started.
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

const SIGKILL_AFTER_MS = 500
const GRACEFUL_STOP_MS = 5_000
const STDERR_TAIL = 8 * 1024

export interface SandboxInit {
  key: string
  policy: Policy
  /** Where the worker's debugger listens, when Vitest debugs it: relayed from the host (src/relay). */
  inspector: TcpAddress | null
  /** Test files (relative to the project root), for messages. */
  files: string[]
  project: ProjectSandbox
  options: PoolOptions
  shared: PoolShared
  onMessage: (message: unknown) => void
  onUnexpectedExit: (error: Error) => void
}

interface Waiter {
  type: string
  resolve: (message: WorkerResponse) => void
  reject: (error: Error) => void
}

export class Sandbox {
  readonly key: string
  alive = false
  private child?: ChildProcess
  private channel?: Connection
  /** Why the pool stopped the sandbox itself (a protocol violation), for the exit report. */
  private violation?: string
  private resources?: SandboxResources
  private exited?: Promise<void>
  private waiters: Waiter[] = []
  private stderrTail = ''
  private ending = false
  private wallTimer?: NodeJS.Timeout
  private timedOut = false
  /** Where a `stop` came from: Vitest (its `stopped` is Vitest's too) or our own shutdown (ours). */
  private stop: 'none' | 'vitest' | 'ours' | 'answered' = 'none'

  /** What the host reads and writes for this sandbox (snapshots, coverage files, …): src/channel. */
  private io?: SandboxHostIo
  private budgets?: MessageBudgets
  /** What the worker may report on: the files it was given. */
  private readonly scope: Scope
  /** Which fences its files hit, noted on their failures (src/violations). */
  private report?: SandboxReport
  /** Under the audit command: what the sandbox does beyond its policy (src/audit). */
  private recording?: Recording

  constructor(private readonly init: SandboxInit) {
    this.key = init.key
    const project = init.options.project
    this.scope = createScope({ root: project.config.root, projectName: project.name, bail: project.vitest.config.bail ?? 0 })
  }

  async start(startRequest: StartRequest): Promise<void> {
    const { project, options, shared } = this.init
    const specifics = {
      distPath: options.distPath,
      execArgv: options.execArgv,
      workerEnv: options.env,
      seccomp: null,
      // The run's JSON report names host paths the sandboxes' failures pointed at: not for them to read.
      hide: shared.reportFiles(options.project),
    }
    // Under the audit command the sandbox runs in record mode (src/audit/record.ts): launched with
    // its fences opened, judged against its own policy.
    const recorder = auditRecorder()
    recorder?.usedOptions(shared.options)
    const recording = recorder && new Recording(recorder, {
      policy: this.init.policy,
      identity: project.identity,
      root: project.root,
      files: this.init.files,
      project: options.project.name,
      plan: (policy) => sandboxPlan(project, options.project, policy, specifics),
    })
    this.recording = recording
    const policy = recording?.policy ?? this.init.policy
    this.resources = await shared.resources(policy, this.init.files, this.init.inspector, project.identity, recording ? 'log' : 'enforce')
    const { budgets } = policy
    const coverageBudget = new ByteBudget(budgets.coverage, 'coverage', 'limits.coverage')
    this.budgets = new MessageBudgets(coverageBudget, new ByteBudget(budgets.output, 'console output Vitest keeps', 'limits.output'))
    const io = new SandboxHostIo({
      writeBudget: new ByteBudget(budgets.hostWrites, 'snapshot, benchmark and attachment writes', 'limits.hostWrites'),
      coverageBudget,
      project: options.project,
      root: project.root,
      files: this.init.files,
      identity: project.identity,
      workerConfig: startRequest.context.config,
      vitestFile: project.vitestFile,
    })
    this.io = io
    const plan = sandboxPlan(project, options.project, policy, {
      ...specifics,
      seccomp: this.resources.seccomp,
      privateMounts: [...io.mounts, ...(recording?.mounts() ?? [])],
      relay: this.resources.relay ?? undefined,
      optionalReadonly: recording?.shown,
      wrapCommand: recording && ((command) => recording.command(command)),
    })
    // A relay that cannot start (the debugger's port taken on the host) fails this sandbox alone.
    await this.resources.attach(plan, io.attach(plan.access.writable)).catch(async (error) => {
      await this.resources!.release()
      recording?.discard()
      throw error
    })
    this.report = new SandboxReport({
      root: project.root,
      policy: this.init.policy,
      plan: recording?.defaultPlan ?? plan,
      hostEnv: options.env,
      files: this.init.files.map((f) => path.resolve(project.root, f)),
      fileOf: (id) => this.scope.fileOf(id),
      run: shared.report,
      projectName: options.project.name,
    })
    const child = launch(plan, {
      bwrap: project.bwrap.path,
      features: project.bwrap.features,
      wrap: (argv) => this.resources!.wrap(argv),
    })
    this.child = child
    const { outputStream, errorStream } = options.project.vitest.logger
    child.stdout!.pipe(outputStream as NodeJS.WritableStream, { end: false })
    child.stderr!.on('data', (chunk: Buffer) => {
      if (!this.alive) this.stderrTail = (this.stderrTail + chunk.toString()).slice(-STDERR_TAIL)
    })
    child.stderr!.pipe(errorStream as NodeJS.WritableStream, { end: false })
    this.channel = new Connection(child.stdio[CHANNEL_FD] as Duplex, { messageBytes: budgets.messageSize, messagesPerSecond: budgets.messages }, {
      message: (message, bytes) => this.fromWorker(message, bytes),
      violation: (error) => this.onViolation(error),
    })
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(this.onExit(code, signal))))
    child.on('error', (error) => this.rejectAll(new Error(`vitest-pool-nsjail: could not launch the sandbox: ${error.message}`)))
    if (policy.limits.wallTimeMs !== null) {
      this.wallTimer = setTimeout(() => {
        this.timedOut = true
        child.kill('SIGKILL')
      }, policy.limits.wallTimeMs)
    }
    const started = this.next('started')
    this.channel.send(startRequest)
    const reply = await started
    if (reply.error) throw reply.error
    this.alive = true
  }

  /** Resolves with the next response of that type from the worker (which is then not forwarded). */
  next(type: string): Promise<WorkerResponse> {
    return new Promise((resolve, reject) => this.waiters.push({ type, resolve, reject }))
  }

  /** To the worker; answers from Vitest pass the firewall first (where a bare import really went). */
  send(message: unknown): void {
    if (isRequest(message, 'run', 'collect')) this.scope.add(message.context.files.map((f) => f.filepath))
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

  /** Ends the sandbox: SIGTERM, SIGKILL if it lingers; its pid namespace takes every process with it. */
  async kill(): Promise<void> {
    this.ending = true
    const child = this.child
    if (child && child.exitCode === null && child.signalCode === null) {
      const timer = setTimeout(() => child.kill('SIGKILL'), SIGKILL_AFTER_MS)
      child.kill('SIGTERM')
      await this.exited
      clearTimeout(timer)
    } else {
      await this.exited
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
    this.init.onMessage(forwarded)
  }

  private async onExit(code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    clearTimeout(this.wallTimer)
    // The sandbox has ended once all of it has been waited for, bwrap's own pid 1 included.
    await reaped(this.child!)
    const wasAlive = this.alive
    this.alive = false
    const reason = this.violation ?? (this.timedOut
      ? `wall-time limit ${formatDuration(this.init.policy.limits.wallTimeMs!)} reached: timed out, killed with its whole pid namespace`
      : await this.resources?.killReason())
    this.recording?.finish(this.report?.hinted() ?? { env: [], ports: [] }, this.init.options.env)
    await this.resources?.release()
    this.io?.close()
    // Vitest waits up to a minute for the answer to its `stop`: a sandbox that died gives it now.
    if (this.stop === 'vitest') this.init.onMessage(response('stopped'))
    if (this.ending) return this.rejectAll(new Error('vitest-pool-nsjail: the sandbox was stopped'))
    const facts = { files: this.init.files, code, signal, reason: reason ?? null, started: wasAlive, stderr: this.stderrTail }
    const stop = stopOf(reason ?? '', this.timedOut, isSeccompKill(facts))
    const noted = stop && this.report?.stopped(stop)
    const error = new Error(describeExit(facts) + (noted ? `\n${noted}` : ''))
    this.rejectAll(error)
    if (wasAlive) this.init.onUnexpectedExit(error)
  }

  private rejectAll(error: Error): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(error)
  }
}
