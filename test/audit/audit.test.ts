/**
 * The audit command for real: fixtures/audit has a file that needs a host file, a host service on
 * 127.0.0.1 and a system call the default filter refuses, and one that needs nothing. The audit (its
 * entry run as a user runs it, strace inside the sandbox) must emit exactly those three openings for
 * that file alone; with its options the suite passes, with the default policy that file fails.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { runNode } from '../helpers/cli.js'
import { hostThings, type HostThings } from '../helpers/host-things.js'
import { runFixture } from '../helpers/run-fixture.js'
import { tempFixture, type TempFixture } from '../helpers/temp-fixture.js'

const CLI = path.resolve(fileURLToPath(import.meta.url), '../../../dist/cli/main.js')

let fixture: TempFixture
let host: HostThings

beforeAll(async () => {
  fixture = tempFixture('audit')
  host = await hostThings('audit', 'hello')
})

afterAll(() => {
  fixture.remove()
  host.dispose()
})

const runAudit = (args: string[], env: NodeJS.ProcessEnv) =>
  runNode(CLI, fixture.root, ['audit', ...args], { AUDIT_HOST_FILE: host.file, AUDIT_PORT: String(host.port), ...env })

const base = () => ({ env: { set: { AUDIT_HOST_FILE: host.file, AUDIT_PORT: String(host.port) } } })

test('on CI it refuses to start without --force', async () => {
  const run = await runAudit([], { CI: 'true' })
  expect(run.code).toBe(2)
  expect(run.output).toContain('refusing to run on CI (CI is set)')
  expect(fixture.exists('nsjail.audit.json')).toBe(false)
})

test('the audit emits exactly what the file needs; with it the suite passes, without it that file fails', async () => {
  const audit = await runAudit(['--out', 'audit.json', '--', 'run'], { CI: '' })
  expect(audit.output).toContain('with the sandbox\'s fences OPENED')
  expect(audit.code, audit.output).toBe(0)
  const result = JSON.parse(fixture.read('audit.json'))
  const rule = { files: 'test/needs.test.ts', fs: { readonly: [host.file] }, network: { forward: [`127.0.0.1:${host.port}`] }, seccomp: { allow: ['personality'] } }
  expect(result.options).toEqual({ ...base(), rules: [rule] })
  expect(result.files.find((f: { file: string }) => f.file === 'test/plain.test.ts')).toMatchObject({ rule: null, reads: [], connections: [], syscalls: [] })
  expect(audit.output).toContain(`    { files: 'test/needs.test.ts', fs: { readonly: ['${host.file}'] }, network: { forward: ['127.0.0.1:${host.port}'] }, seccomp: { allow: ['personality'] } },`)

  const withOptions = await runFixture('audit', { root: fixture.root, pool: result.options })
  expect(Object.values(withOptions.tests)).toEqual(['passed', 'passed', 'passed', 'passed'])

  const byDefault = await runFixture('audit', { root: fixture.root, pool: base() })
  expect(byDefault.tests).toMatchObject({
    'test/needs.test.ts > reads a file of the host': 'failed',
    'test/needs.test.ts > talks to a service on the host': 'failed',
    'test/needs.test.ts > turns off address space randomization for what it runs next': 'failed',
    'test/plain.test.ts > needs nothing': 'passed',
  })
})
