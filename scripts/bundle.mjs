#!/usr/bin/env node
// The second half of `npm run build`, after tsc: the host side, what Vitest's main process loads
// (dist/index.js) and the command (dist/cli/main.js), each made one module over a shared chunk.
// Node loads a graph of ~140 small modules far slower than one file of the same code, and every
// `vitest` run that uses the pool pays for it: `node bench/plugin-import.mjs` (import after
// vitest/node, p50) gave 90 ms for tsc's modules and 35 ms bundled on Node 20, 53 and 13 ms on Node 22.
// The two entries share one chunk, so a process that runs the command and loads the plugin from a
// project's config holds one copy of each module (one audit recorder, one OptionError class).
// What runs elsewhere keeps tsc's files: the sandbox's worker entry and what it imports, the relay's
// preload and thread, the compile cache's warmer. The host finds them by path (src/built-files.ts).
import { build } from 'esbuild'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(fileURLToPath(import.meta.url), '../..')
await build({
  entryPoints: { index: path.join(root, 'src/index.ts'), 'cli/main': path.join(root, 'src/cli/main.ts') },
  outdir: path.join(root, 'dist'),
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // vitest, koffi, picomatch: resolved at run time from the user's install, as before.
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
})
