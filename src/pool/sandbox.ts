/**
 * One bwrap process hosting one Vitest worker, with the policy of the files it runs: planned, launched,
 * watched (limits, unexpected exits), and torn down with everything it started.
 */
import type { ChildProcess } from 'node:child_process'
import path from 'node:path'
import { chownSync, mkdirSync } from 'node:fs'
import type { PoolOptions } from 'vitest/node'
import { planLaunch } from '../isolate/plan.js'
import { launch } from '../isolate/launch.js'
import { isResponse, response, type StartRequest, type WorkerResponse } from './messages.js'
import { describeExit } from './exit.js'
import { formatDuration } from '../cgroup/limits.js'
import { handleFsRequest, isFsRequest } from './fs-bridge.js'
import { snapshotWriteRefusal } from './snapshot-writes.js'
import type { PoolShared } from './shared.js'
import type { ProjectSandbox } from './project.js'
import type { Policy } from '../policy/types.js'
import type { SandboxResources } from './resources.js'
import type { Identity } from '../isolate/etc.js'
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
  private resources?: SandboxResources
  private exited?: Promise<void>
  private waiters: Waiter[] = []
  private stderrTail = ''
  private ending = false
  private wallTimer?: NodeJS.Timeout
  private timedOut = false
  /** Where a `stop` came from: Vitest (its `stopped` is Vitest's too) or our own shutdown (ours). */
  private stop: 'none' | 'vitest' | 'ours' | 'answered' = 'none'

  /** Absolute paths of the test files this sandbox runs (inline snapshots rewrite them). */
  private readonly testFiles: ReadonlySet<string>

  constructor(private readonly init: SandboxInit) {
    this.key = init.key
    this.testFiles = new Set(init.files.map((file) => path.resolve(init.project.root, file)))
  }

  async start(startRequest: StartRequest): Promise<void> {
    const { policy, project, options, shared } = this.init
    this.resources = await shared.resources(policy, this.init.files, this.init.inspector)
    const plan = planLaunch({
      policy,
      identity: project.identity,
      host: project.host,
      root: project.root,
      needs: project.needs,
      command: [project.node, ...options.execArgv, shared.workerEntry(options)],
      workerEnv: options.env,
      configEnv: shared.configEnv(options.project),
      seccomp: this.resources.seccomp,
      writableNeeds: coverageFilesDirectory(startRequest, project.identity),
      relay: this.resources.relay ?? undefined,
    })
    // A relay that cannot start (the debugger's port taken on the host) fails this sandbox alone.
    await this.resources.attach(plan).catch(async (error) => {
      await this.resources!.release()
      throw error
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
    child.on('message', (message) => this.fromWorker(message))
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(this.onExit(code, signal))))
    child.on('error', (error) => this.rejectAll(new Error(`vitest-pool-nsjail: could not launch the sandbox: ${error.message}`)))
    if (policy.limits.wallTimeMs !== null) {
      this.wallTimer = setTimeout(() => {
        this.timedOut = true
        child.kill('SIGKILL')
      }, policy.limits.wallTimeMs)
    }
    const started = this.next('started')
    child.send(startRequest)
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
    const verdict = this.resources?.firewall?.inspectReply(message)
    this.toWorker(verdict && !verdict.pass ? verdict.reply : message)
  }

  private toWorker(message: unknown): void {
    if (message !== undefined && this.child?.connected) this.child.send(message as never)
  }

  /** Vitest's `stop` request. Should the sandbox die before answering, its exit answers for it. */
  requestStop(message: unknown): void {
    this.stop = 'vitest'
    this.send(message)
  }

  /** Asks the worker to stop the way Vitest would, then ends the sandbox. */
  async shutdown(): Promise<void> {
    if (this.alive && this.child?.connected) {
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

  private fromWorker(message: unknown): void {
    // Set before launch, so before any message: every message passes it.
    const firewall = this.resources!.firewall!
    if (isFsRequest(message)) {
      const context = { mode: this.init.options.project.config.snapshotOptions.updateSnapshot, testFiles: this.testFiles, checkWrite: firewall.checkWrite }
      handleFsRequest(message, (target, action) => snapshotWriteRefusal(target, action, context), (reply) => this.toWorker(reply))
      return
    }
    const verdict = firewall.inspect(message)
    if (!verdict.pass) {
      // A refused call is answered with its rejection, which fails the test with the reason; a
      // refused event has nobody to tell but the log.
      if (verdict.reply !== undefined) this.toWorker(verdict.reply)
      else if (!verdict.quiet) this.init.shared.log(verdict.refusal)
      return
    }
    if (isResponse(message)) {
      const index = this.waiters.findIndex((w) => w.type === message.type)
      if (index !== -1) {
        this.waiters.splice(index, 1)[0].resolve(message)
        // A `started` is ours (Vitest had its answer at once); other awaited responses still go on.
        if (message.type === 'started' || (message.type === 'stopped' && this.stop === 'ours')) return
      }
      if (message.type === 'stopped') this.stop = 'answered'
    }
    this.init.onMessage(message)
  }

  private async onExit(code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    clearTimeout(this.wallTimer)
    const wasAlive = this.alive
    this.alive = false
    const reason = this.timedOut
      ? `wall-time limit ${formatDuration(this.init.policy.limits.wallTimeMs!)} reached: timed out, killed with its whole pid namespace`
      : await this.resources?.killReason()
    await this.resources?.release()
    // Vitest waits up to a minute for the answer to its `stop`: a sandbox that died gives it now.
    if (this.stop === 'vitest') this.init.onMessage(response('stopped'))
    if (this.ending) return this.rejectAll(new Error('vitest-pool-nsjail: the sandbox was stopped'))
    const error = new Error(describeExit({
      files: this.init.files,
      code,
      signal,
      reason: reason ?? null,
      started: wasAlive,
      stderr: this.stderrTail,
    }))
    this.rejectAll(error)
    if (wasAlive) this.init.onUnexpectedExit(error)
  }

  private rejectAll(error: Error): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(error)
  }
}

/**
 * Vitest 5 workers write their own coverage: JSON files in `coverage.coverageFilesDirectory`
 * (`<reportsDirectory>/.tmp`, `.tmp-<index>-<count>` when sharded), a folder the main process creates
 * before any worker starts and reads a file from after each test file (the firewall checks the path
 * onAfterSuiteRun names). Vitest 4.1 sends coverage over the channel: no such folder in its config.
 * As root the worker is another user (the project's owner, or nobody), who must be able to write there.
 */
function coverageFilesDirectory(start: StartRequest, identity: Identity): string[] {
  const coverage = (start.context.config as { coverage?: { enabled?: boolean; coverageFilesDirectory?: unknown } }).coverage
  if (!coverage?.enabled || typeof coverage.coverageFilesDirectory !== 'string') return []
  const dir = coverage.coverageFilesDirectory
  mkdirSync(dir, { recursive: true })
  if (identity.setuid) chownSync(dir, identity.uid, identity.gid)
  return [dir]
}
