/**
 * A sandbox may only report on its own files, and what it reports cannot make the host read files
 * for it: forged results, collected files, console lines and a run cancellation from one file
 * against another (fixtures/forgery), and stack frames naming a host file or a FIFO, through the
 * real pool, judged from the host (the run's results and Vitest's own output).
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { stripVTControlCharacters } from 'node:util'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { runFixture } from '../helpers/run-fixture.js'

const SCOPE_REFUSAL = 'a sandbox may only report on its own test files'
let dir: string
const secret = `CANARY-SECRET-${process.pid}`

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsjail-forgery-'))
  fs.writeFileSync(path.join(dir, 'canary.txt'), `${secret}\n`)
  execFileSync('mkfifo', [path.join(dir, 'fifo')])
})

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

/** `printed`: with Vitest's default reporter, which prints errors and leak reports with code frames. */
function forgeryRun(files: string[], printed = false) {
  const markers = fs.mkdtempSync(path.join(dir, 'markers-'))
  // As root the sandbox runs as another user, who must be able to drop the victim's marker.
  fs.chmodSync(markers, 0o777)
  return runFixture('forgery', {
    filters: files,
    pool: {
      fs: { writable: [markers] },
      env: { set: { MARKERS: markers, CANARY: path.join(dir, 'canary.txt'), FIFO: path.join(dir, 'fifo') } },
    },
    cli: { maxWorkers: 2, ...(printed ? { reporters: ['default'] } : {}) },
  })
}

function errorsOf(run: Awaited<ReturnType<typeof forgeryRun>>): string {
  return [...run.unhandled, ...Object.values(run.fileErrors).flat(), ...Object.values(run.errors).flat()].join('\n')
}

describe('forged reports about another file', () => {
  test.each([
    ['forge-update', 'results for the task'],
    ['forge-collect', 'the file'],
    ['forge-log', 'console output for the task'],
  ])('%s: the forger is stopped, the victim still fails, the run fails', async (forger, what) => {
    const run = await forgeryRun(['victim', forger])
    expect(run.tests['test/victim.test.ts > a genuinely failing test'], JSON.stringify(run.tests)).toBe('failed')
    const refusal = errorsOf(run).split('\n').find((line) => line.includes(`test/${forger}.test.ts`))
    expect(refusal, errorsOf(run)).toContain(SCOPE_REFUSAL)
    expect(refusal).toContain(`it reported on ${what}`)
    expect(run.logs + run.output).not.toContain('INJECTED-INTO-THE-VICTIM')
    expect(run.exitCode).toBe(1)
  })

  test('a cancellation of the whole run without bail is refused; the victim still runs and fails', async () => {
    const run = await forgeryRun(['victim', 'forge-cancel'])
    expect(run.tests['test/victim.test.ts > a genuinely failing test']).toBe('failed')
    expect(errorsOf(run)).toMatch(/a cancellation of the whole run \("keyboard-input"\) without a failure of its own under `bail`.*forge-cancel/)
    expect(run.exitCode).toBe(1)
  })
})

describe('stack frames naming host files', () => {
  test('a leak report naming a file outside the sandbox prints no code frame of it', async () => {
    const run = await forgeryRun(['leak-canary'], true)
    expect(run.output).toContain('Timeout leaking in test/leak-canary.test.ts')
    expect(run.output).not.toContain(secret)
  })

  test('the cause of a forged error names a host file: its frame is neutralized before Vitest prints it', async () => {
    const run = await forgeryRun(['cause-frame'], true)
    const output = stripVTControlCharacters(run.output)
    expect(output).toContain('Caused by: Error: the cause')
    expect(output).not.toContain('canary.txt')
  })

  test('an error naming a FIFO and /dev/tty is reported, and the host does not block on them', async () => {
    const run = await forgeryRun(['fifo-frame'], true)
    expect(run.errors['test/fifo-frame.test.ts > an error whose stack names a FIFO on the host']).toEqual(['look at my frames'])
    expect(run.exitCode).toBe(1)
  }, 60_000)
})
