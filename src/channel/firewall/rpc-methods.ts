/**
 * Every method a Vitest worker may call on Vitest's main process over the IPC channel, and how the
 * sandbox's RPC firewall (./firewall.ts) polices its arguments. A method that is not listed here is
 * refused, naming the method: a newer Vitest that adds one fails loudly instead of slipping through.
 *
 * Sources (read, not copied): `createMethodsRPC` in Vitest's node/pools/rpc.ts, i.e. the installed
 * dist/chunks/cli-api.*.js for 4.1.x and dist/chunks/index.*.js for 5.x; the callers in the worker
 * runtime (runtime/runners, runtime/moduleRunner, snapshot environment, coverage, benchmark).
 * Checked against 4.1.0, 4.1.12, 5.0.0 and 5.1.2 (5.0.0 lacks onTestModuleDependencies).
 * Seen in real traffic (test/firewall/real-traffic.test.ts: Vitest's forks worker with this firewall
 * on its channel), 4.1.12 and 5.1.2: onQueued, resolve, fetch, onCollected, resolveSnapshotPath,
 * onTaskUpdate, onUserConsoleLog, onTaskArtifactRecord, snapshotSaved, onAfterSuiteRun (coverage),
 * getCountOfFailedTests (--bail); 5.1.2 also fetchWarmModules. With Node's loader
 * (experimental.viteModuleRunner: false): ensureModuleGraphEntry, and on 5.1 with
 * experimental.recordDependencies: onTestModuleDependencies. From the source only: transform and
 * prewarmModuleGraph (vm pools), onCancel (bail reached), onAsyncLeaks (detectAsyncLeaks),
 * onUnhandledError, and the 5.x benchmark methods.
 *
 * Wire format (birpc, bundled by Vitest 4.1 and 5.x alike): a call is `{ t: 'q', i, m, a }` (an
 * event has no `i` and gets no answer; `o: true` marks an optional call); the answer is
 * `{ t: 's', i, r }` or `{ t: 's', i, e }`, and the caller rejects with `e` as it arrives. Over the
 * forks channel (`serialization: 'advanced'`) an Error survives with its message and stack.
 * Messages carrying `__vitest_worker_response__` (started, testfileFinished, stopped) are the pool
 * protocol, not RPC.
 *
 * Not methods, though the worker does these things: snapshot files and `toMatchFileSnapshot`
 * targets are read and written by the worker itself (its snapshot environment; `resolveRawPath` is
 * local; there is no resolveSnapshotRawPath, getSourceMap or writeFile method in 4.1/5.x: such a
 * call is refused as unknown). `vi.importActual`/`vi.importMock`, `import.meta.glob`, `?raw`/`?url`/`?inline` imports
 * and `import()` of run-time strings all arrive as `resolve` and/or `fetch`.
 */

/** How a method's arguments are policed. */
export type Check =
  /** No filesystem effect in the main process: reports, counters, cancellation. */
  | 'pass'
  /** Module id at `a[0]` (+ importer at `a[1]`): what Vite would load or resolve must be readable. */
  | 'module'
  /** `transform(id)`: a file URL the VM pools' transform reads. */
  | 'module-file-url'
  /** A list of test files at `a[1]` whose import graphs the main process walks. */
  | 'warm-files'
  /** `prewarmModuleGraph`: refused when transformed modules land where the sandbox reads them. */
  | 'prewarm'
  /**
   * `onTaskArtifactRecord`: the main process copies attachment files (`attachment.path`); one in a
   * writable folder is copied by the pool first, and the main process gets that copy.
   */
  | 'artifact'
  /**
   * `onAfterSuiteRun`: coverage payload; 5.x sends the path of a JSON file the main process reads,
   * which the pool copies out of the sandbox's private coverage folder first.
   */
  | 'coverage'
  /** `ensureModuleGraphEntry`: marks files as "transformed", so error printing reads code frames. */
  | 'module-graph-entry'
  /** A file under the project root the main process would read (5.x benchmarks): the pool answers. */
  | 'benchmark-read'
  /** A file under the project root the main process would write (5.x benchmarks): the pool does it. */
  | 'benchmark-write'

export interface MethodRule {
  check: Check
  /** First Vitest version (of those supported) that has the method. */
  since: '4.1' | '5.0' | '5.1'
  /** What the main process does with the arguments, and so why the check is what it is. */
  why: string
}

/**
 * The table. Keys are exact method names; the firewall looks them up with `Object.hasOwn`, so
 * `constructor`, `__proto__` and friends are unknown methods (birpc on the main side would otherwise
 * find them on Object.prototype).
 */
export const RPC_METHODS: Readonly<Record<string, MethodRule>> = Object.freeze({
  // --- modules -------------------------------------------------------------------------------
  fetch: {
    check: 'module',
    since: '4.1',
    why: 'fetch(url, importer, environmentName, options, otelCarrier): Vite resolves, reads and transforms the module and returns its code (or a tmp file path) to the worker',
  },
  resolve: {
    check: 'module',
    since: '4.1',
    why: "resolve(id, importer, environmentName): Vite's resolver; tells the worker where a file is (vi.mock, vi.importActual, import())",
  },
  transform: {
    check: 'module-file-url',
    since: '4.1',
    why: 'transform(fileUrl): the VM pools ask the main process to transform a file and return its code',
  },
  ensureModuleGraphEntry: {
    check: 'module-graph-entry',
    since: '4.1',
    why: "ensureModuleGraphEntry(url, parentUrl): native-loader mode adds module-graph entries; printError then reads code frames of those files into the host's log",
  },
  fetchWarmModules: {
    check: 'warm-files',
    since: '5.0',
    why: "fetchWarmModules(environmentName, files): returns the cached (tmp file) entries of the files' import graphs; the answer is filtered too",
  },
  prewarmModuleGraph: {
    check: 'prewarm',
    since: '5.0',
    why: "prewarmModuleGraph(environmentName, files): the main process transforms the files' whole static import graph, writing tmp copies the worker reads",
  },
  // --- snapshots -----------------------------------------------------------------------------
  resolveSnapshotPath: {
    check: 'pass',
    since: '4.1',
    why: 'resolveSnapshotPath(testPath): computes a path (config.resolveSnapshotPath); nothing is read or written by the main process',
  },
  snapshotSaved: {
    check: 'pass',
    since: '4.1',
    why: "snapshotSaved(result): adds counters to the run summary (for the sandbox's own files only: ../scope.ts)",
  },
  // --- reporting: ids and paths scoped to the sandbox's own files (../scope.ts); stacks neutralized
  // where they name files the host may not open for it (../sanitize.ts) -----------------------
  onQueued: { check: 'pass', since: '4.1', why: 'onQueued(file): reporter event' },
  onCollected: { check: 'pass', since: '4.1', why: 'onCollected(files): reporter event' },
  onTaskUpdate: {
    check: 'pass',
    since: '4.1',
    why: 'onTaskUpdate(packs, events): results; the main process source-maps error stacks, reading the files frames name',
  },
  onUserConsoleLog: { check: 'pass', since: '4.1', why: 'onUserConsoleLog(log): console output of the test' },
  onUnhandledError: { check: 'pass', since: '4.1', why: 'onUnhandledError(error, type): reported as a run error' },
  onAsyncLeaks: { check: 'pass', since: '4.1', why: 'onAsyncLeaks(leaks): reported' },
  onCancel: { check: 'pass', since: '4.1', why: 'onCancel(reason): cancels the run (bail); also an event the main process sends' },
  getCountOfFailedTests: { check: 'pass', since: '4.1', why: 'getCountOfFailedTests(): a number, for bail' },
  onTaskArtifactRecord: {
    check: 'artifact',
    since: '4.1',
    why: 'onTaskArtifactRecord(testId, artifact): attachments with a `path` (resolved against the root) are copied by the main process into attachmentsDir, and the copy is named in the answer',
  },
  onAfterSuiteRun: {
    check: 'coverage',
    since: '4.1',
    why: 'onAfterSuiteRun({ coverage, testFiles, … }): 4.1 sends the coverage object (its file URLs are later read for the report); 5.x sends the path of a JSON file the main process reads',
  },
  onTestModuleDependencies: {
    check: 'pass',
    since: '5.1',
    why: "onTestModuleDependencies(filepath, deps): recorded for --changed; only paths (stat'ed later), no content goes back",
  },
  // --- benchmarks (5.x) ----------------------------------------------------------------------
  onTestBenchmark: { check: 'pass', since: '5.0', why: 'onTestBenchmark(testId, benchmark): results' },
  readBenchmarkResult: {
    check: 'benchmark-read',
    since: '5.0',
    why: 'readBenchmarkResult(path): bench.from(); the main process would read and JSON-parse a file under the root (confined by Vitest lexically, not against symlinks), so the pool answers it, reading beneath the root fd',
  },
  writeBenchmarkResult: {
    check: 'benchmark-write',
    since: '5.0',
    why: 'writeBenchmarkResult(path, data): the main process would write a JSON file under the root, through symlinks, anywhere in it: the pool writes it beneath the root fd, under the toMatchFileSnapshot target rules',
  },
})

/** The rule for a method name, or undefined for an unknown one (never a prototype property). */
export function methodRule(name: unknown): MethodRule | undefined {
  return typeof name === 'string' && Object.hasOwn(RPC_METHODS, name) ? RPC_METHODS[name] : undefined
}
