/**
 * RPC calls that make Vitest's main process read or write a file for the worker, done by the pool
 * instead, beneath a directory fd (src/hostfs), so that no symlink the sandbox plants or swaps in a
 * writable folder can send the host elsewhere:
 * - Vitest 5 `readBenchmarkResult(path)` / `writeBenchmarkResult(path, data)` (`bench.from()`,
 *   `writeResult`): answered by the pool itself, with Vitest's own semantics (a path relative to the
 *   root; `null` for a missing file; JSON written as `JSON.stringify(data, null, 2)` plus a newline).
 *   Writes follow the toMatchFileSnapshot target rules (./file-targets.ts) and the write budget.
 * - attachments (`annotate`, `recordArtifact`) with a `path` under a writable folder: copied into a
 *   private folder of the pool's, and Vitest is handed the copy (it copies that into attachmentsDir).
 * - Vitest 5 coverage files: ./coverage-files.ts.
 * The firewall (src/channel/firewall) calls these for the methods its table marks so.
 */
import path from 'node:path'
import { HostFsError } from '../hostfs/beneath.js'
import { runDir, type SandboxDir } from '../hostfs/run-dir.js'
import type { BaseDirs } from './base-dirs.js'
import type { CoverageFiles } from './coverage-files.js'
import { judgeFileTarget, locate, type WriteScope } from './snapshot-writes.js'
import type { ByteBudget } from './budgets.js'

/** What the firewall hands to the pool. Each throws an Error whose message is the refusal. */
export interface HostCalls {
  readBenchmark(relative: unknown): unknown
  writeBenchmark(relative: unknown, data: unknown): void
  /** A copy of an attachment file under a writable folder, for the main process to copy on. */
  copyAttachment(absolute: string): string
  /** Vitest 5: the coverage file the worker reported → the copy the main process reads. */
  coverageFile?(reported: unknown): string
}

/** Benchmark baselines are small JSON files. */
const BENCHMARK_READ_LIMIT = 16 * 1024 * 1024

export interface HostCallsInit {
  dirs: BaseDirs
  scope: WriteScope
  budget: ByteBudget
  coverage: CoverageFiles | null
}

export interface SandboxHostCalls extends HostCalls {
  /** Removes what the calls left behind (attachment copies). */
  close(): void
}

export function createHostCalls({ dirs, scope, budget, coverage }: HostCallsInit): SandboxHostCalls {
  const fs = dirs.fs
  let attachments: SandboxDir | undefined
  let copies = 0

  const refuse = (call: string, why: string): never => {
    throw new Error(`vitest-pool-nsjail: the sandbox refused ${call}: ${why}`)
  }
  /** Vitest's BenchmarkManager.resolve: absolute, or relative to the root. */
  const benchmarkPath = (relative: unknown, call: string): string => {
    if (typeof relative !== 'string' || relative.includes('\0')) refuse(call, 'the path is not a string.')
    return path.resolve(scope.root, relative as string)
  }
  const failed = (call: string, error: unknown): never => {
    if (error instanceof HostFsError) refuse(call, `${error.message}.`)
    throw error
  }

  return {
    readBenchmark(relative) {
      const call = `readBenchmarkResult(${JSON.stringify(relative)})`
      const where = locate(benchmarkPath(relative, call), scope.root, scope.writable)
      if (!where) return refuse(call, `the path is outside the project root ${scope.root}.`)
      let data: Buffer
      try {
        data = fs.read(dirs.get(where.base), where.rel, BENCHMARK_READ_LIMIT)
      } catch (error) {
        if (error instanceof HostFsError && error.code === 'ENOENT') return null
        return failed(call, error)
      }
      return JSON.parse(data.toString('utf8'))
    },
    writeBenchmark(relative, data) {
      const call = `writeBenchmarkResult(${JSON.stringify(relative)})`
      const where = judgeFileTarget(benchmarkPath(relative, call), scope)
      if ('refusal' in where) return refuse(call, where.refusal)
      const content = Buffer.from(`${JSON.stringify(data, null, 2)}\n`, 'utf8')
      const over = budget.take(content.length)
      if (over) refuse(call, `${over}.`)
      try {
        fs.write(dirs.get(where.base), where.rel, content, { mkdirs: true })
      } catch (error) {
        failed(call, error)
      }
    },
    copyAttachment(absolute) {
      const call = `an attachment ${JSON.stringify(absolute)}`
      const where = locate(path.normalize(absolute), scope.root, scope.writable)
      if (!where || !scope.writable.includes(where.base)) return refuse(call, 'it is not in a writable folder.')
      let data: Buffer
      try {
        data = fs.read(dirs.get(where.base), where.rel, budget.remaining)
      } catch (error) {
        return failed(call, error)
      }
      const over = budget.take(data.length)
      if (over) refuse(call, `${over}.`)
      attachments ??= runDir().sandboxDir()
      // A folder per copy keeps the file's own name, which Vitest reads the content type from.
      const rel = `${++copies}/${path.basename(where.rel)}`
      fs.create(attachments.dir, rel, data, { mkdirs: true })
      return path.join(attachments.path, rel)
    },
    ...(coverage && { coverageFile: (reported: unknown) => coverage.copy(reported) }),
    close() {
      attachments?.remove()
    },
  }
}
