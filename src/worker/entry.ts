/**
 * The sandboxed worker's main module, in place of Vitest's `workers/forks.js`: the same runtime
 * (`vitest/worker`'s `init` with the base test runner, as Vitest's forks worker uses it), but on the
 * pool's framed channel (fd 3) instead of Node's IPC channel, whose deserializer on the host side
 * cannot survive malformed bytes from a hostile worker.
 *
 *   node <execArgv> entry.js <file URL of the project's vitest/dist/worker.js>
 */
import { fileURLToPath } from 'node:url'
import { openWorkerChannel } from './channel.js'
import { installHints } from './hints.js'

// Kept before any test code runs: tests may replace it.
const processExit = process.exit.bind(process)

const [vitestWorker] = process.argv.splice(2)

// The pool is gone, or asks it to end this way (profilers write their output only at such an exit,
// src/pool/sandbox.ts): nobody is left to report to.
const channel = openWorkerChannel(() => processExit(1))

// What the sandbox withheld from a test, noted before any of its code runs (src/violations).
installHints(channel.post)

const { init, runBaseTests, setupEnvironment } = (await import(vitestWorker)) as typeof import('vitest/worker')

// The pool's snapshot environment (the pool names it in the start config), loaded here by Node: Vitest
// would load it through Vite's module runner, one fetch over the channel per worker, and, where the
// package is not under node_modules (linked, a workspace), a Vite transform and a fetch for each of its
// imports. Vitest keeps an environment it finds already set in the config's snapshotOptions.
// Loaded after the channel is open: the module uses it.
const OWN_SNAPSHOT_ENVIRONMENT = fileURLToPath(new URL('./snapshot-environment.js', import.meta.url))
const { default: snapshotEnvironment } = await import('./snapshot-environment.js')

type StartConfig = { snapshotEnvironment?: unknown; snapshotOptions?: { snapshotEnvironment?: unknown } }
function withOwnSnapshotEnvironment(message: unknown): unknown {
  const m = message as { __vitest_worker_request__?: unknown; type?: unknown; context?: { config?: StartConfig } } | null
  const config = m?.__vitest_worker_request__ === true && m.type === 'start' ? m.context?.config : undefined
  if (config?.snapshotEnvironment === OWN_SNAPSHOT_ENVIRONMENT && config.snapshotOptions) config.snapshotOptions.snapshotEnvironment = snapshotEnvironment
  return message
}
const listening = new Map<(message: unknown) => void, (message: unknown) => void>()

async function execute(method: 'run' | 'collect', ...args: Parameters<Parameters<typeof init>[0]['runTests']>): Promise<void> {
  try {
    await runBaseTests(method, ...args)
  } finally {
    process.exit = processExit
  }
}

init({
  post: channel.post,
  on(listener) {
    const wrapped = (message: unknown) => listener(withOwnSnapshotEnvironment(message))
    listening.set(listener, wrapped)
    channel.on(wrapped)
  },
  off(listener) {
    channel.off(listening.get(listener) ?? listener)
    listening.delete(listener)
  },
  runTests: (state, traces) => execute('run', state, traces),
  collectTests: (state, traces) => execute('collect', state, traces),
  setup: setupEnvironment,
  teardown() {
    // With isolate: false a late process.exit would end the files that share this process.
    process.exit = processExit
  },
})
