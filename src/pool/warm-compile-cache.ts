/**
 * The compile cache's warm-up (./compile-cache.ts), a Node process of its own on the host:
 *
 *   NODE_COMPILE_CACHE=<folder> node [--conditions …] warm-compile-cache.js <timeout ms> <file URL>…
 *
 * Importing the modules compiles them and everything they import; Node writes their code cache into
 * the folder. A module that fails to load is left out, not fatal: the workers compile it themselves.
 */
import module from 'node:module'

const [timeout, ...urls] = process.argv.slice(2)
// Ends itself should an import hang, even when the pool is gone (a SIGKILLed Vitest cannot stop it).
setTimeout(() => process.exit(1), Number(timeout)).unref()
await Promise.allSettled(urls.map((url) => import(url)))
;(module as { flushCompileCache?: () => void }).flushCompileCache?.()
// Whatever the modules started (timers, handles) must not keep the warm-up alive.
process.exit(0)
