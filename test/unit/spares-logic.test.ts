/** The pure decisions behind spare sandboxes: which policy to start first, which spares fit, debug output. */
import { describe, expect, test } from 'vitest'
import { commonestPolicyFile } from '../../src/pool/likely-policy.js'
import { launchKey, type LaunchInputs } from '../../src/pool/launch-key.js'
import { debugEnabled } from '../../src/pool/debug.js'
import { Spares } from '../../src/pool/spares.js'
import { createPolicyResolver } from '../../src/policy/resolve.js'
import { validateOptions } from '../../src/policy/validate.js'

describe('commonestPolicyFile', () => {
  const resolver = createPolicyResolver(validateOptions({ rules: [{ files: 'net/**', network: 'host' }] }), '/p')

  test('names a file of the policy most files have, whatever their order', () => {
    const files = ['/p/net/a.test.ts', '/p/t/a.test.ts', '/p/net/b.test.ts', '/p/t/b.test.ts', '/p/t/c.test.ts']
    expect(resolver.forFile(commonestPolicyFile(files, resolver.keyForFile)!).network).toBe('loopback')
    const mostlyNet = ['/p/t/a.test.ts', '/p/net/a.test.ts', '/p/net/b.test.ts']
    expect(commonestPolicyFile(mostlyNet, resolver.keyForFile)).toBe('/p/net/a.test.ts')
  })

  test('a tie goes to the policy seen first; no files, no guess', () => {
    expect(commonestPolicyFile(['/p/net/a.test.ts', '/p/t/a.test.ts'], resolver.keyForFile)).toBe('/p/net/a.test.ts')
    expect(commonestPolicyFile([], resolver.keyForFile)).toBeUndefined()
  })
})

describe('launchKey', () => {
  const policy = createPolicyResolver(validateOptions({}), '/p').forFile('/p/a.test.ts')
  const base: LaunchInputs = { projectName: 'unit', policy, execArgv: ['--conditions', 'node'], env: { PATH: '/bin', CI: '1' }, workerConfig: { coverage: { enabled: false } } }

  test('equal launches have equal keys, whatever the order of the environment', () => {
    expect(launchKey({ ...base, env: { CI: '1', PATH: '/bin' } })).toBe(launchKey(base))
  })

  test.each<[string, Partial<LaunchInputs>]>([
    ['project', { projectName: 'e2e' }],
    ['policy', { policy: { ...policy, network: 'host' } }],
    ['Node arguments', { execArgv: ['--conditions', 'browser'] }],
    ['environment value', { env: { PATH: '/bin', CI: '' } }],
    ['environment variable', { env: { PATH: '/bin', CI: '1', TOKEN_SET_BY_GLOBAL_SETUP: 'x' } }],
    ['coverage folder (a mount)', { workerConfig: { coverage: { enabled: true, coverageFilesDirectory: '/p/coverage/.tmp' } } }],
  ])('a different %s gives a different key', (_, change) => {
    expect(launchKey({ ...base, ...change })).not.toBe(launchKey(base))
  })
})

describe('debugEnabled', () => {
  test.each([
    ['vitest-pool-nsjail:spares', true],
    ['vitest-pool-nsjail:*', true],
    ['*', true],
    ['vite:*,vitest-pool-nsjail:spares', true],
    ['vite:* vitest-pool-nsjail:*', true],
    ['vitest-pool-nsjail:*,-vitest-pool-nsjail:spares', false],
    ['-vitest-pool-nsjail:spares,*', false],
    ['vitest-pool-nsjail', false],
    ['vitest:*', false],
    ['', false],
  ])('DEBUG=%j → %s', (setting, enabled) => {
    expect(debugEnabled(setting, 'vitest-pool-nsjail:spares')).toBe(enabled)
  })

  test('no DEBUG, no output', () => expect(debugEnabled(undefined, 'vitest-pool-nsjail:spares')).toBe(false))
})

describe('Spares: never more than the run has files left without a worker', () => {
  // Sandboxes stand in as what Spares uses of them: launched at once, alive until killed.
  function kindOf(project: object, key = 'k') {
    const created: object[] = []
    const kind = {
      key,
      project: project as never,
      create: () => {
        const sandbox = { launch: () => Promise.resolve(), gone: new Promise(() => {}), kill: async () => {}, pid: created.length + 1 }
        created.push(sandbox)
        return sandbox as never
      },
    }
    return { kind, created }
  }

  test('three files, one worker at a time: two spares in all, the last worker leaves none behind', async () => {
    const project = {}
    const { kind, created } = kindOf(project)
    const spares = new Spares(2, null)
    spares.runStarted([{ project }, { project }, { project }] as never)
    const taken = []
    for (let file = 0; file < 3; file++) {
      spares.workerOpened(project as never)
      taken.push(spares.take(kind))
    }
    expect(taken.map((s) => s !== undefined)).toEqual([false, true, true])
    expect(created).toHaveLength(2)
    await spares.close()
  })

  test('a run of one file launches none; with no run start seen, a kind keeps its count', async () => {
    const project = {}
    const one = kindOf(project)
    const spares = new Spares(2, null)
    spares.runStarted([{ project }] as never)
    spares.workerOpened(project as never)
    expect(spares.take(one.kind)).toBeUndefined()
    expect(one.created).toHaveLength(0)

    const unknown = kindOf({}, 'another project')
    spares.workerOpened(unknown.kind.project)
    spares.take(unknown.kind)
    expect(unknown.created).toHaveLength(2)
    await spares.close()
  })
})
