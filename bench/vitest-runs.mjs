// What the benchmarks that run Vitest share: the repository, a scratch folder in it (under
// .bench-tmp/, where the scratch config can import the built package), timed `vitest run`s, medians.
import { mkdirSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const repo = path.resolve(fileURLToPath(import.meta.url), '../..')
const vitest = path.join(repo, 'node_modules/vitest/vitest.mjs')

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** A scratch project with `n` one-test files and the given config; returns its folder. */
export function scratchProject(name, n, config) {
  const dir = path.join(repo, '.bench-tmp', `${name}-${process.pid}`)
  mkdirSync(path.join(dir, 'test'), { recursive: true })
  writeFileSync(path.join(dir, 'vitest.config.mjs'), config)
  for (let i = 0; i < n; i++) {
    writeFileSync(
      path.join(dir, 'test', `t${i}.test.js`),
      `import { test, expect } from 'vitest'\nimport { createHash } from 'node:crypto'\n` +
        `test('t${i}', () => { expect(createHash('sha256').update('${i}').digest('hex')).toHaveLength(64) })\n`,
    )
  }
  return dir
}

/** Milliseconds one `vitest run` of the scratch project takes; throws unless all `n` tests passed. */
export function timedRun(dir, n, args = [], env = {}) {
  const start = process.hrtime.bigint()
  const result = spawnSync(process.execPath, [vitest, 'run', '--root', dir, ...args], { encoding: 'utf8', env: { ...process.env, ...env } })
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  const what = [...args, ...Object.entries(env).map(([k, v]) => `${k}=${v}`)].join(' ')
  if (result.status !== 0) throw new Error(`${what} run failed:\n${result.stdout}\n${result.stderr}`)
  if (!result.stdout.includes(`${n} passed`)) throw new Error(`${what} run did not pass ${n} tests:\n${result.stdout}`)
  return ms
}
