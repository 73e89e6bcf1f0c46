/**
 * Everything one sandbox has the host read or write for it, in one place: the snapshot write bridge,
 * the RPC calls the pool performs itself (benchmark results, attachment copies, Vitest 5 coverage
 * files), the directory fds they work beneath, the private coverage folder and the write budgets.
 * Opened before the sandbox is planned (the coverage folder is a mount), attached once the plan
 * says which folders are writable, handed its test files when the sandbox is (a spare is launched
 * before any file is known), closed when the sandbox is gone.
 */
import path from 'node:path'
import type { TestProject } from 'vitest/node'
import { hostFs } from '../hostfs/beneath.js'
import type { Identity } from '../isolate/etc.js'
import { BaseDirs } from './base-dirs.js'
import { coverageFilesDirectory, privateCoverageFiles, type CoverageFiles } from './coverage-files.js'
import type { VitestFileMatcher, VitestFiles } from './file-targets.js'
import { createHostCalls, type SandboxHostCalls } from './host-calls.js'
import type { UpdateMode } from './snapshot-writes.js'
import { createWriteBridge, type FsReply, type FsRequest, type WriteBridge } from './write-bridge.js'
import type { ByteBudget } from './budgets.js'

export interface HostIoInit {
  project: TestProject
  root: string
  identity: Identity
  /** The worker's config (from Vitest's start request): where Vitest 5 writes coverage files. */
  workerConfig: unknown
  vitestFile: VitestFileMatcher
  /** Bytes the host writes for this sandbox (snapshots, file snapshots, benchmark results, attachments). */
  writeBudget: ByteBudget
  /** Bytes of coverage the host takes from this sandbox (Vitest 5's coverage files among them). */
  coverageBudget: ByteBudget
}

export class SandboxHostIo {
  private readonly dirs = new BaseDirs(hostFs())
  private readonly coverage: CoverageFiles | null
  private readonly budget: ByteBudget
  private bridge?: WriteBridge
  private host?: SandboxHostCalls
  /** The sandbox's own test files and their snapshot files: the only ones the bridge writes. */
  private readonly testFiles = new Set<string>()
  private readonly snapFiles = new Set<string>()

  constructor(private readonly init: HostIoInit) {
    this.budget = init.writeBudget
    const dest = coverageFilesDirectory(init.workerConfig)
    const { uid, gid, setuid } = init.identity
    this.coverage = dest === null ? null : privateCoverageFiles(
      dest,
      setuid ? { uid, gid } : undefined,
      this.dirs.fs,
      init.coverageBudget,
    )
  }

  /** Host folders to mount at another place inside: the private coverage folder. */
  get mounts(): Array<{ src: string; dest: string }> {
    return this.coverage ? [this.coverage.mount] : []
  }

  /** The plan is made: `writable` are the sandbox's writable folders (their mount points). */
  attach(writable: readonly string[]): SandboxHostCalls {
    const { project, root } = this.init
    const scope = { root, writable, vitestFile: this.init.vitestFile }
    const mode = project.config.snapshotOptions.updateSnapshot as UpdateMode
    this.bridge = createWriteBridge({ ...scope, mode, snapFiles: this.snapFiles, testFiles: this.testFiles }, this.dirs, this.budget)
    this.host = createHostCalls({ dirs: this.dirs, scope, budget: this.budget, coverage: this.coverage })
    return this.host
  }

  /** Test files handed to the sandbox (absolute paths); with isolate: false, more arrive over time. */
  assign(files: readonly string[]): void {
    const { project } = this.init
    for (const file of files) {
      if (this.testFiles.has(file)) continue
      this.testFiles.add(file)
      // Vitest's own answer to the worker's resolveSnapshotPath, computed here: the worker's is not trusted.
      this.snapFiles.add(project.vitest.snapshot.resolvePath(file, { config: project.serializedConfig }))
    }
  }

  handleFsRequest(message: FsRequest): FsReply {
    return this.bridge!.handle(message)
  }

  close(): void {
    this.dirs.close()
    this.host?.close()
    this.coverage?.remove()
  }
}

/** What Vitest runs or loads in a project (test globs, setup files, config files), from its config. */
export function projectVitestFiles(project: TestProject): VitestFiles {
  const config = project.config as typeof project.config & { dir?: string; includeSource?: string[] }
  const dir = config.dir || config.root
  const files = new Map<string, string>()
  for (const file of config.setupFiles ?? []) files.set(file, 'it is a setupFiles entry')
  for (const file of [config.globalSetup ?? []].flat()) files.set(path.resolve(config.root, file), 'it is a globalSetup file')
  for (const file of [project.vite?.config.configFile, project.vitest.vite?.config.configFile]) {
    if (file) files.set(file, 'it is a Vitest/Vite config file')
  }
  return {
    globs: [
      { what: "it matches the project's test include globs", dir, patterns: config.include ?? [] },
      { what: 'it matches includeSource (in-source tests)', dir, patterns: config.includeSource ?? [] },
      { what: 'it matches typecheck.include', dir, patterns: config.typecheck?.include ?? [] },
      { what: 'it matches benchmark.include', dir, patterns: config.benchmark?.include ?? [] },
    ],
    files,
  }
}
