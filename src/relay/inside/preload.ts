/**
 * Loaded by the sandboxed worker before its entry (`node --import=<this file>`, see withPreload in
 * src/isolate/plan.ts): starts the relay inside the sandbox and waits until its listeners are up, so
 * the first line of test code already reaches the forwarded services.
 *
 * The relay runs in a worker thread, on an event loop of its own: it keeps relaying while the test's
 * thread is blocked, e.g. in execSync('psql …') waiting for a client that talks through it. Its
 * configuration is a file in the sandbox's read-only relay directory, not an environment variable,
 * so the tests' environment is the one the policy describes.
 */
import { readFileSync, realpathSync } from 'node:fs'
import inspector from 'node:inspector'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { CONFIG_FILE, RELAY_DIR, type InsideConfig } from '../protocol.js'

const config = JSON.parse(readFileSync(path.join(RELAY_DIR, CONFIG_FILE), 'utf8')) as InsideConfig
// Its own execArgv: the thread must not load this preload again (Node hands preloads to workers).
const relay = new Worker(new URL('./thread.js', import.meta.url), { workerData: config, execArgv: [] })
await new Promise<void>((resolve, reject) => {
  relay.once('message', (message: { error?: string }) => (message.error ? reject(new Error(`vitest-pool-nsjail: the relay in the sandbox could not start: ${message.error}`)) : resolve()))
  relay.once('error', reject)
  relay.once('exit', (code) => reject(new Error(`vitest-pool-nsjail: the relay in the sandbox exited with code ${code} before it was up`)))
})
relay.on('error', (error) => process.stderr.write(`vitest-pool-nsjail: the relay in the sandbox failed: ${error.stack ?? error}\n`))
// The worker ends when its work is done, whatever the relay thread is doing.
relay.unref()

// The worker was started with --inspect-brk or --inspect-wait, deferred to now (see deferDebuggerWait).
if (config.debuggerWait) {
  inspector.waitForDebugger()
  // eslint-disable-next-line no-debugger
  if (config.debuggerWait === 'break') debugger
}

// Children made with fork() inherit process.execArgv: they must not start a second relay on the
// same addresses. Found by file, since the flag may name this module through a symlink.
const self = fileURLToPath(import.meta.url)
const index = process.execArgv.findIndex((arg) => {
  if (!arg.startsWith('--import=file:')) return false
  try {
    return realpathSync(fileURLToPath(arg.slice('--import='.length))) === self
  } catch {
    return false
  }
})
if (index !== -1) process.execArgv.splice(index, 1)
