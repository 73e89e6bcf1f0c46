/**
 * The RPC firewall end to end ("close the side door"): real Vitest runs of fixtures/firewall through
 * the real pool (bwrap). Test code in the sandbox cannot read a canary outside the project itself
 * (the mounts stop it), so it asks Vitest's main process to read it instead, by every route the
 * fixture knows: absolute paths, `/@fs/`, `file://` URLs, query suffixes, `..` segments, symlinks,
 * vi.importActual/importMock, import.meta.glob, run-time import(), aliases, attachments, literal and
 * static imports, hand-made RPC calls. It also asks the pool to write outside the project, into
 * node_modules and .git, by toMatchFileSnapshot and by forged write requests.
 * - Without an allowance, every canary route fails its test with the sandbox's refusal, naming the
 *   path and the option that would allow it; the same routes to project files pass.
 * - With the option the refusal advises (`fs.readonly` / `fs.writable`), the same routes pass.
 * - In a run that does not update snapshots (CI), even a forged write into the project is refused.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { UserConfig } from 'vitest/node'
import { runFixture, type FixtureRun, type RunOptions } from '../helpers/run-fixture.js'
import { tempFixture, type TempFixture } from '../helpers/temp-fixture.js'

const SECRET = 'CANARY-SECRET'
const REFUSED = 'vitest-pool-nsjail: the sandbox refused'

let fx: TempFixture
let canaryDir: string
let canary: string
let writeDir: string

beforeAll(() => {
  // Outside the repository, readable by everyone (as root the sandbox user is nobody): only the
  // missing mount and the firewall keep it from the sandbox.
  canaryDir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'nsjail-canary-')))
  writeDir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'nsjail-canary-write-')))
  fs.chmodSync(canaryDir, 0o755)
  // The sandbox user (as root: nobody) must be able to write the writable mount, or the run stops up front.
  fs.chmodSync(writeDir, 0o777)
  canary = path.join(canaryDir, 'canary.txt')
  fs.writeFileSync(canary, SECRET, { mode: 0o644 })
  fs.writeFileSync(path.join(canaryDir, 'canary.js'), `export default ${JSON.stringify(SECRET)}\n`, { mode: 0o644 })

  fx = tempFixture('firewall')
  fs.mkdirSync(fx.path('links'))
  fs.symlinkSync('../data/inside.txt', fx.path('links/inside.txt'))
  fs.symlinkSync('../src', fx.path('links/inside-dir'))
  fs.symlinkSync(canary, fx.path('links/outside.txt'))
  fs.symlinkSync(canaryDir, fx.path('links/outside-dir'))
  for (const file of ['test/literal.test.ts', 'test/static.test.ts']) {
    fx.write(file, fx.read(file)
      .replaceAll('__CANARY_DIR__', canaryDir)
      .replaceAll('__CANARY_FROM_TEST__', path.relative(fx.path('test'), canaryDir)))
  }
})

afterAll(() => {
  fx?.remove()
  for (const dir of [canaryDir, writeDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

interface Run {
  pool?: RunOptions['pool']
  filters?: string[]
  /** Vitest's snapshot update mode: 'new' is the local default, 'none' CI's. */
  update?: 'new' | 'none'
}

function run({ pool, filters, update = 'new' }: Run = {}): Promise<FixtureRun> {
  const config: UserConfig = {
    resolve: {
      alias: {
        '@inside': fx.path('data'),
        '@outside': canaryDir,
        'inside-alias': fx.path('src/inside.js'),
        'outside-alias': path.join(canaryDir, 'canary.js'),
      },
    },
  }
  return runFixture('firewall', {
    root: fx.root,
    filters,
    config,
    cli: { update },
    pool: { ...pool, env: { set: { CANARY: canary, WRITE_DIR: writeDir } } },
  })
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
const keys = (r: FixtureRun, file: string, side: string) =>
  Object.keys(r.tests).filter((k) => k.startsWith(`test/${file}.test.ts > ${side} > `))
const errorsOf = (r: FixtureRun, key: string) => (r.errors[key] ?? []).join('\n')
const states = (r: FixtureRun, list: string[]) => Object.fromEntries(list.map((k) => [k, r.tests[k]]))
const all = (list: string[], state: string) => Object.fromEntries(list.map((k) => [k, state]))

/**
 * A refused read: the sandbox said so, named the canary and the option that allows it: the canary's
 * file, or its folder for an id that names no existing file (Vite probes extensions for it there).
 */
function expectReadRefusal(message: string, what: string): void {
  expect(message.startsWith(REFUSED), `${what}: ${message}`).toBe(true)
  expect(message, what).toContain(canaryDir)
  const advised = what.includes('without its extension') ? escape(canaryDir) : `${escape(canaryDir)}/canary\\.(txt|js)`
  expect(message, what).toMatch(new RegExp(`Allow it with fs\\.readonly: \\["${advised}"\\]`))
}

/** Reads through the main process: every route, on both sides of the fence. */
const READ_ROUTES = 23
/** Literal ids and import.meta.glob (test/literal.test.ts). */
const LITERAL_OUTSIDE = 3

describe('without an allowance', () => {
  let r: FixtureRun
  beforeAll(async () => {
    r = await run()
  })

  test('every route to a project file works', () => {
    const inside = [...keys(r, 'reads', 'inside'), ...keys(r, 'literal', 'inside')]
    expect(inside.length).toBe(READ_ROUTES + 2)
    expect(states(r, inside), JSON.stringify(r.errors, null, 2)).toEqual(all(inside, 'passed'))
    expect(r.tests['test/reads.test.ts > a static ?raw import of a project file']).toBe('passed')
  })

  test('every route to the canary fails its test with the refusal: sandbox, path, fs.readonly', () => {
    const outside = [...keys(r, 'reads', 'outside'), ...keys(r, 'literal', 'outside')]
    expect(outside.length).toBe(READ_ROUTES + LITERAL_OUTSIDE)
    expect(states(r, outside)).toEqual(all(outside, 'failed'))
    for (const key of outside) expectReadRefusal(errorsOf(r, key), key)
    // A static import fails the whole file while it is collected.
    expect(r.fileErrors['test/static.test.ts']).toHaveLength(1)
    expectReadRefusal(r.fileErrors['test/static.test.ts'][0], 'static import')
    expect(r.unhandled).toEqual([])
  })

  test("the canary's content reached nothing: not the tests, not their errors, not the output", () => {
    const seen = JSON.stringify([r.errors, r.fileErrors, r.unhandled]) + r.logs + r.output
    expect(seen).not.toContain(SECRET)
  })

  test('writes outside the project are refused, naming the path and fs.writable; nothing is written', () => {
    for (const key of ['test/writes.test.ts > outside > toMatchFileSnapshot outside the project', 'test/writes.test.ts > outside > forged write request outside the project']) {
      expect(r.tests[key], key).toBe('failed')
      const message = errorsOf(r, key)
      expect(message).toContain(`${REFUSED} to snapshot `)
      expect(message).toContain(writeDir)
      expect(message).toContain(`Allow it with fs.writable: [${JSON.stringify(writeDir)}]`)
    }
    expect(fs.readdirSync(writeDir)).toEqual([])
  })

  test('writes into node_modules and .git are refused even when the run writes new snapshots', () => {
    const reasons = { node_modules: 'it is inside node_modules', '.git': '`.git` is a dot-file or dot-folder' }
    for (const dir of ['node_modules', '.git'] as const) {
      const list = keys(r, 'writes', dir)
      expect(list.length, dir).toBe(2)
      for (const key of list) {
        expect(r.tests[key], key).toBe('failed')
        const message = errorsOf(r, key)
        expect(message).toContain(`${REFUSED} to snapshot `)
        expect(message).toContain(`"${fx.path(dir)}/`)
        expect(message).toContain(reasons[dir])
      }
      // (Vite keeps its own cache in node_modules/.vite: only the targets must be missing.)
      for (const file of ['nsjail-snapshot.txt', 'forged.txt']) expect(fx.exists(`${dir}/${file}`), `${dir}/${file}`).toBe(false)
    }
  })

  test('writes inside the project go through', () => {
    expect(r.tests['test/writes.test.ts > inside > toMatchFileSnapshot in the project']).toBe('passed')
    expect(fx.read('out/inside.txt')).toBe('snapshot inside\n')
    // Known limit: while snapshots are being written, the pool cannot tell Vitest's write requests
    // from test code's, so a forged one can create a new file that a toMatchFileSnapshot target could
    // be (test/hostfs/pool.test.ts: never one that would run on the host)...
    expect(r.tests['test/writes.test.ts > inside > forged write request into the project']).toBe('passed')
    expect(fx.read('out/forged.txt')).toBe('forged by test code')
  })

  test('...but it cannot rewrite an existing source file, nor (update: new) any existing file', () => {
    const key = 'test/writes.test.ts > existing > forged overwrite of an existing project file'
    expect(r.tests[key]).toBe('failed')
    expect(errorsOf(r, key)).toContain(`${REFUSED} to snapshot write ${JSON.stringify(fx.path('src/inside.js'))}: a .js file is code`)
    expect(fx.read('src/inside.js')).not.toContain('forged')
    const data = 'test/writes.test.ts > existing > forged overwrite of an existing data file'
    expect(r.tests[data]).toBe('failed')
    expect(errorsOf(r, data)).toContain(`${REFUSED} to snapshot write ${JSON.stringify(fx.path('data/inside.txt'))}: data/inside.txt: it already exists. A run that only adds snapshots (update: 'new') never rewrites a file; update it with -u.`)
    expect(fx.read('data/inside.txt')).not.toContain('forged')
  })
})

test("in a run that does not update snapshots (CI), even a forged write into the project is refused", async () => {
  fs.rmSync(fx.path('out/forged.txt'))
  const r = await run({ filters: ['writes'], update: 'none' })
  const key = 'test/writes.test.ts > inside > forged write request into the project'
  expect(r.tests[key]).toBe('failed')
  expect(errorsOf(r, key)).toContain(`${REFUSED} to snapshot write ${JSON.stringify(fx.path('out/forged.txt'))}: this run does not update snapshots`)
  expect(fx.exists('out/forged.txt')).toBe(false)
  // The snapshot written before still matches: reading is not writing.
  expect(r.tests['test/writes.test.ts > inside > toMatchFileSnapshot in the project']).toBe('passed')
})

describe('with the allowance the refusal advises', () => {
  test('fs.readonly: [canary folder] and fs.writable: [write target]: the same routes reach the canary', async () => {
    const r = await run({ pool: { fs: { readonly: [canaryDir], writable: [writeDir] } } })
    const outside = [...keys(r, 'reads', 'outside'), ...keys(r, 'literal', 'outside'), ...keys(r, 'writes', 'outside'), 'test/static.test.ts > outside > static import ?raw']
    expect(outside.length).toBe(READ_ROUTES + LITERAL_OUTSIDE + 2 + 1)
    expect(states(r, outside), JSON.stringify(r.errors, null, 2)).toEqual(all(outside, 'passed'))
    expect(fs.readFileSync(path.join(writeDir, 'snapshot.txt'), 'utf8')).toBe('snapshot outside\n')
    expect(fs.readFileSync(path.join(writeDir, 'forged.txt'), 'utf8')).toBe('forged by test code')
    // node_modules and .git stay closed whatever the options say.
    for (const dir of ['node_modules', '.git']) expect(states(r, keys(r, 'writes', dir))).toEqual(all(keys(r, 'writes', dir), 'failed'))
  })

  test('a rule for one file opens the canary to that file only', async () => {
    const r = await run({ filters: ['reads', 'literal'], pool: { rules: [{ files: 'test/reads.test.ts', fs: { readonly: [canaryDir] } }] } })
    const allowed = keys(r, 'reads', 'outside')
    expect(states(r, allowed), JSON.stringify(r.errors, null, 2)).toEqual(all(allowed, 'passed'))
    const other = keys(r, 'literal', 'outside')
    expect(states(r, other)).toEqual(all(other, 'failed'))
    for (const key of other) {
      expectReadRefusal(errorsOf(r, key), key)
      expect(errorsOf(r, key)).toContain('(or a rule in `rules` matching test/literal.test.ts)')
    }
  })
})
