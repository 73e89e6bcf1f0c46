/**
 * A Vitest pool for the real-traffic test: Vitest's own forks worker (no sandbox), with the RPC
 * firewall on its channel both ways, logging every RPC call (method, refusals) as JSON lines.
 * Run it against a new Vitest to see which methods its workers call:
 *   test: { pool: capturePool({ log: '/tmp/rpc.jsonl', access: { root, readable: [root], writable: [] } }) }
 * Loaded from a scratch project's config (Vite bundles the TypeScript).
 */
import { fork, type ChildProcess } from 'node:child_process'
import { appendFileSync } from 'node:fs'
import path from 'node:path'
import { createFirewall, type FirewallAccess } from '../../src/channel/firewall/index.ts'

export interface CaptureOptions {
  log: string
  access: FirewallAccess
  /** Log only, no firewall. */
  open?: boolean
}

export interface CaptureRecord {
  dir: 'w2m' | 'm2w'
  method?: string
  event?: boolean
  refusal?: string
  quiet?: boolean
}

export function capturePool(capture: CaptureOptions) {
  return {
    name: 'capture',
    createPoolWorker: (options: { distPath: string; env: Record<string, string | undefined>; execArgv: string[] }) => new CaptureWorker(options, capture),
  }
}

class CaptureWorker {
  readonly name = 'capture'
  readonly cacheFs = true
  private child?: ChildProcess
  private readonly listeners = new Map<(arg: any) => void, (arg: any) => void>()
  private readonly firewall

  constructor(
    private readonly options: { distPath: string; env: Record<string, string | undefined>; execArgv: string[] },
    private readonly capture: CaptureOptions,
  ) {
    this.firewall = createFirewall(capture.access)
  }

  private record(entry: CaptureRecord): void {
    appendFileSync(this.capture.log, `${JSON.stringify(entry)}\n`)
  }

  on(event: string, callback: (arg: any) => void): void {
    if (event !== 'message') return void this.child!.on(event, callback)
    const filtered = (message: any) => {
      if (message?.t === 'q') this.record({ dir: 'w2m', method: String(message.m), event: message.i === undefined })
      if (this.capture.open) return callback(message)
      const verdict = this.firewall.inspect(message)
      if (verdict.pass) return callback(message)
      this.record({ dir: 'w2m', method: String(message?.m), refusal: verdict.refusal, quiet: verdict.quiet })
      if (verdict.reply !== undefined) this.child!.send(verdict.reply as never)
    }
    this.listeners.set(callback, filtered)
    this.child!.on('message', filtered)
  }

  off(event: string, callback: (arg: any) => void): void {
    this.child?.off(event, this.listeners.get(callback) ?? callback)
    this.listeners.delete(callback)
  }

  send(message: any): void {
    if (!this.capture.open) {
      const verdict = this.firewall.inspectReply(message)
      if (!verdict.pass) {
        this.record({ dir: 'm2w', refusal: verdict.refusal, quiet: verdict.quiet })
        return void this.child!.send(verdict.reply as never)
      }
    }
    this.child!.send(message)
  }

  deserialize(data: unknown): unknown {
    return data
  }

  async start(): Promise<void> {
    this.child = fork(path.resolve(this.options.distPath, 'workers/forks.js'), [], {
      env: this.options.env,
      execArgv: this.options.execArgv,
      stdio: 'inherit',
      serialization: 'advanced',
    })
  }

  async stop(): Promise<void> {
    const child = this.child
    if (!child) return
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve()
      child.once('exit', () => resolve())
      const timer = setTimeout(() => child.kill('SIGKILL'), 500)
      child.once('exit', () => clearTimeout(timer))
      child.kill()
    })
    this.child = undefined
  }
}
