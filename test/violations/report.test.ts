/**
 * The violation report through real runs of fixtures/report, whose files each hit one fence for real
 * (a read-only project, a host file the sandbox does not show, a host port that is not forwarded, a
 * name lookup in the sealed network namespace, a system call the filter refuses, a withheld variable,
 * a firewall refusal, a memory and a wall-time kill): each failure names its file and the option,
 * the summary lists them with one rule per file, the JSON report says the same, and ordinary failures
 * get nothing.
 */
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { hostThings, type HostThings } from '../helpers/host-things.js'
import { factsByName, runFixture, type FixtureRun } from '../helpers/run-fixture.js'
import { tempFixture, type TempFixture } from '../helpers/temp-fixture.js'
import { openCgroups } from '../../src/cgroup/index.js'

let fixture: TempFixture
let host: HostThings
let hostFile: string
let port: number
let cgroups = false

beforeAll(async () => {
  fixture = tempFixture('report')
  host = await hostThings('report')
  ;({ file: hostFile, port } = host)
  const run = await openCgroups('auto', () => {})
  cgroups = run !== null
  await run?.close()
})

afterAll(() => {
  fixture.remove()
  host.dispose()
})

function run(filters: string[], extra: Record<string, unknown> = {}): Promise<FixtureRun> {
  return runFixture('report', {
    root: fixture.root,
    filters,
    pool: {
      report: 'nsjail-report.json',
      env: { set: { REPORT_HOST_FILE: hostFile, REPORT_PORT: String(port) } },
      limits: { memory: '256M' },
      rules: [{ files: 'test/slow.test.ts', limits: { wallTime: '3s' } }],
      ...extra,
    },
  })
}

const rule = (file: string, rest: string) => `use rules: [{ files: '${file}', ${rest} }]`

describe('each fence, named on the failure with the option that allows it', () => {
  let result: FixtureRun
  /** The JSON report of that run (the next runs write their own). */
  let json: { files: Array<Record<string, any>>; rules: Record<string, Array<{ files: string }>> }
  beforeAll(async () => {
    process.env.REPORT_FIXTURE_TOKEN = 'a value that must never be printed'
    try {
      const files = ['erofs', 'erofs-root', 'hidden-path', 'port', 'dns', 'syscall', 'env', 'firewall', 'slow', 'ordinary', ...(cgroups ? ['memory'] : [])]
      result = await run(files.map((f) => `test/${f}.test.ts`))
      json = JSON.parse(fixture.read('nsjail-report.json'))
    } finally {
      delete process.env.REPORT_FIXTURE_TOKEN
    }
  })
  const last = (key: string) => result.errors[key]?.join('\n') ?? ''

  test('a write into the read-only project: fs.writable, the folder made or the file written', () => {
    expect(last('test/erofs.test.ts > makes its output folder ./out')).toContain(
      `vitest-pool-nsjail: the project is read-only here; to let test/erofs.test.ts write ./out ${rule('test/erofs.test.ts', "fs: { writable: ['out'] }")}`)
    // A file right in the root: the root (a missing fs.writable entry would be made a folder).
    expect(last('test/erofs-root.test.ts > writes a file next to its config')).toContain(
      `to let test/erofs-root.test.ts write ./generated.txt ${rule('test/erofs-root.test.ts', "fs: { writable: ['.'] }")}`)
  })

  test('a host file the sandbox does not show: fs.readonly with its path', () => {
    expect(last('test/hidden-path.test.ts > reads a host file outside the project')).toContain(
      `vitest-pool-nsjail: ${hostFile} exists on the host but is not in this sandbox; to let test/hidden-path.test.ts read it ${rule('test/hidden-path.test.ts', `fs: { readonly: ['${hostFile}'] }`)}`)
  })

  test('a host port that is not forwarded, and a name lookup: network.forward entries', () => {
    expect(last('test/port.test.ts > talks to a service on the host')).toContain(
      `the host's 127.0.0.1:${port} is not forwarded); to let test/port.test.ts reach the host's 127.0.0.1:${port} ${rule('test/port.test.ts', `network: { forward: ['127.0.0.1:${port}'] }`)}`)
    expect(last('test/dns.test.ts > calls an API by name')).toContain(
      `the sandbox has no DNS (its network is its own), so api.report-fixture.test does not resolve; to let test/dns.test.ts reach api.report-fixture.test:8080 ${rule('test/dns.test.ts', "network: { forward: ['api.report-fixture.test:8080'] }")}`)
  })

  test('a system call the filter refuses: seccomp.allow', () => {
    expect(last('test/syscall.test.ts > makes a user namespace')).toContain(
      `the seccomp filter refuses unshare() here (EPERM); to let test/syscall.test.ts call it ${rule('test/syscall.test.ts', "seccomp: { allow: ['unshare'] }")}`)
  })

  test('a variable the host has and the sandbox withheld: env.allow, by name only', () => {
    const text = last('test/env.test.ts > needs a variable of the host')
    expect(text).toContain(`the sandbox withheld the environment variable REPORT_FIXTURE_TOKEN`)
    expect(text).toContain(rule('test/env.test.ts', "env: { allow: ['REPORT_FIXTURE_TOKEN'] }"))
    expect(result.output + JSON.stringify(result.errors)).not.toContain('must never be printed')
  })

  test('a firewall refusal, in the same form', () => {
    expect(last('test/firewall.test.ts > imports a host file through Vitest')).toContain(
      `to let test/firewall.test.ts have ${hostFile} read for it ${rule('test/firewall.test.ts', `fs: { readonly: ['${hostFile}'] }`)}`)
  })

  test('a wall-time kill: the limit, raised', () => {
    expect(result.fileErrors['test/slow.test.ts']?.join('\n')).toContain(
      `the sandbox ended it at limits.wallTime; to let test/slow.test.ts run with twice that (a guess) ${rule('test/slow.test.ts', "limits: { wallTime: '6s' }")}`)
  })

  test('a memory kill: the limit, raised', (ctx) => {
    if (!cgroups) return ctx.skip('no writable cgroup for this user: no memory limit to hit')
    expect(result.fileErrors['test/memory.test.ts']?.join('\n')).toContain(
      `the sandbox ended it at limits.memory; to let test/memory.test.ts run with twice that (a guess) ${rule('test/memory.test.ts', "limits: { memory: '512M' }")}`)
  })

  test('ordinary failures get nothing: an assertion, a missing file in its own /tmp, its own server not up', () => {
    for (const name of ['a plain assertion fails', 'its own missing file in /tmp', 'its own server is not up']) {
      const text = last(`test/ordinary.test.ts > ${name}`)
      expect(text).not.toBe('')
      expect(text).not.toContain('vitest-pool-nsjail')
    }
  })

  test('the summary through Vitest\'s logger: each file, what it hit, one rule per file', () => {
    const summary = result.output.slice(result.output.indexOf("hit the sandbox's fences"))
    expect(summary).toContain(`test/port.test.ts: connect 127.0.0.1:${port} (network)`)
    expect(summary).toContain(`{ files: 'test/erofs.test.ts', fs: { writable: ['out'] } },`)
    expect(summary).toContain(`{ files: 'test/syscall.test.ts', seccomp: { allow: ['unshare'] } },`)
    expect(summary).not.toContain('ordinary')
  })

  test('the JSON report says the same, and no sandbox of the next run can read it', async () => {
    const byFile = Object.fromEntries(json.files.map((f) => [f.file, f]))
    expect(byFile['test/env.test.ts'].rule).toEqual({ files: 'test/env.test.ts', env: { allow: ['REPORT_FIXTURE_TOKEN'] } })
    expect(byFile['test/hidden-path.test.ts'].fences[0]).toMatchObject({ kind: 'hidden-path', what: `read ${hostFile}` })
    expect(byFile['test/ordinary.test.ts']).toBeUndefined()
    expect(json.rules[''].length).toBe(json.files.length)
    const next = await run(['test/reads-report.test.ts'])
    expect(factsByName(next).report).toMatchObject({ length: 0 })
  })

  test('with the rules the summary proposes, those files pass', async () => {
    const passing = ['erofs', 'hidden-path', 'port', 'env', 'firewall'].map((f) => `test/${f}.test.ts`)
    const rules = json.rules[''].filter((r) => passing.includes(r.files))
    expect(rules).toHaveLength(passing.length)
    process.env.REPORT_FIXTURE_TOKEN = 'a value'
    try {
      const again = await run(passing, { rules })
      expect(Object.entries(again.tests).filter(([, state]) => state !== 'passed')).toEqual([])
      expect(Object.keys(again.tests)).toHaveLength(5)
    } finally {
      delete process.env.REPORT_FIXTURE_TOKEN
    }
  })
})

test('nothing is printed when nothing was hit; the reporter inside leaves process.env clonable', async () => {
  const result = await run(['test/reads-report.test.ts', 'test/env-clone.test.ts'], { report: undefined })
  expect(Object.values(result.tests)).toEqual(['passed', 'passed'])
  expect(result.output).not.toContain("hit the sandbox's fences")
})

test('the summary goes to stdout beside a terminal reporter, to stderr when stdout may be a machine-readable report', async () => {
  const human = await runFixture('report', { root: fixture.root, filters: ['test/erofs.test.ts'], cli: { reporters: ['default'] } })
  expect(human.stdout).toContain("hit the sandbox's fences")
  // TAP writes to stdout in 4.1 and 5.x alike (5.x's json reporter writes a file by default).
  const machine = await runFixture('report', { root: fixture.root, filters: ['test/erofs.test.ts'], cli: { reporters: ['tap'] } })
  expect(machine.stdout).toContain('TAP version')
  expect(machine.stdout).not.toContain("hit the sandbox's fences")
  expect(machine.output).toContain("hit the sandbox's fences")
})

test('a host path that does not exist gets no word', async () => {
  const result = await run(['test/hidden-path.test.ts'], { env: { set: { REPORT_HOST_FILE: path.join(host.dir, 'no-such-file.txt'), REPORT_PORT: String(port) } } })
  expect(result.errors['test/hidden-path.test.ts > reads a host file outside the project']?.join('\n')).not.toContain('vitest-pool-nsjail')
})
