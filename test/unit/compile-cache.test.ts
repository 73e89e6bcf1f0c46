import { expect, test } from 'vitest'
import { compileCacheOff, folderForSandbox, warmArgv, warmStamp, type CompileCacheFacts } from '../../src/pool/compile-cache.js'
import { planLaunch, type PlanInput } from '../../src/isolate/plan.js'
import { createPolicyResolver } from '../../src/policy/resolve.js'

const facts = (overrides: Partial<CompileCacheFacts> = {}): CompileCacheFacts => ({
  nodeHasCache: true,
  workerEnv: { PATH: '/usr/bin' },
  coverage: { enabled: false },
  writable: ['/p/tmp-out'],
  warmedFrom: ['/p/node_modules/vitest/dist', '/p/node_modules/vitest-pool-nsjail/dist/worker', '/p/node_modules', '/node_modules'],
  ...overrides,
})

test('the cache is used unless Node lacks it, it is disabled, v8 coverage runs, or a sandbox could change what the warm-up runs', () => {
  expect(compileCacheOff(facts())).toBeNull()
  expect(compileCacheOff(facts({ nodeHasCache: false }))).toMatch(/^Node v\d+\.\d+\.\d+ has no compile cache/)
  expect(compileCacheOff(facts({ workerEnv: { NODE_DISABLE_COMPILE_CACHE: '1' } }))).toBe('NODE_DISABLE_COMPILE_CACHE is set')
  expect(compileCacheOff(facts({ coverage: { enabled: true, provider: 'v8' } }))).toBe('coverage by v8 needs code compiled from source')
  expect(compileCacheOff(facts({ coverage: { enabled: true } }))).toBe('coverage by v8 needs code compiled from source')
  expect(compileCacheOff(facts({ coverage: { enabled: true, provider: 'custom' } }))).toMatch(/^coverage by custom/)
  expect(compileCacheOff(facts({ coverage: { enabled: true, provider: 'istanbul' } }))).toBeNull()
  expect(compileCacheOff(facts({ coverage: { enabled: false, provider: 'v8' } }))).toBeNull()
  // Writable folders that hold, or lie inside, what the warm-up imports.
  for (const writable of [['/p'], ['/'], ['/p/node_modules'], ['/p/node_modules/chai'], ['/p/node_modules/vitest/dist/chunks'], ['/p/node_modules/.pnpm/chai@5/node_modules/chai']]) {
    expect(compileCacheOff(facts({ writable })), writable[0]).toMatch(/^sandboxes may write in \/\S* \(fs\.writable\), and the warm-up would run its modules on the host$/)
  }
  // A tool's cache folder in node_modules holds no package: harmless.
  expect(compileCacheOff(facts({ writable: ['/p/node_modules/.vite', '/p/node_modules/.cache/x', '/p/src'] }))).toBeNull()
})

test('the warm-up takes the resolution conditions and the common V8 flags of the workers\' Node arguments, nothing that loads code or writes files', () => {
  expect(warmArgv(['--conditions', 'development', '-C', 'browser', '--conditions=edge', '-C=worker'])).toEqual(['--conditions', 'development', '-C', 'browser', '--conditions=edge', '-C=worker'])
  expect(warmArgv(['--expose-gc', '--max-old-space-size=4096', '--max_semi_space_size=64', '--stack-size=2000'])).toEqual(['--expose-gc', '--max-old-space-size=4096', '--max_semi_space_size=64', '--stack-size=2000'])
  expect(warmArgv(['--require', '/p/setup.cjs', '--import=./hook.js', '-r', 'x', '--cpu-prof', '--inspect-brk=0', '--max-old-space-size=4096;x', '--conditions'])).toEqual([])
})

test('the folder Node named after the warm-up\'s uid is renamed for the sandbox\'s uid', () => {
  expect(folderForSandbox('v22.23.3-x64-9ac5647c-0', 0, 65534)).toBe('v22.23.3-x64-9ac5647c-65534')
  expect(folderForSandbox('v22.23.3-x64-9ac5647c-1000', 1000, 1000)).toBeNull()
  // Not a name of the form Node uses now: left alone (the workers then compile as before).
  expect(folderForSandbox('v22.23.3-x64-9ac5647c', 0, 65534)).toBeNull()
  expect(folderForSandbox('v22-x64-10', 0, 65534)).toBeNull()
})

const planInput = (overrides: Partial<PlanInput>): PlanInput => ({
  policy: createPolicyResolver({}, '/p').forFile('/p/a.test.ts'),
  identity: { uid: 1000, gid: 1000, user: 'sandbox', home: '/home/sandbox', setuid: false },
  host: { system: [{ path: '/usr', symlink: null }], etc: [], resolvConf: '' },
  root: '/p',
  needs: ['/opt/node/bin/node'],
  command: ['/opt/node/bin/node', 'entry.js'],
  workerEnv: { PATH: '/usr/bin', NODE_COMPILE_CACHE: '/home/me/.cache/node' },
  configEnv: {},
  seccomp: null,
  ...overrides,
})

test('the plan mounts the cache read-only and names it in NODE_COMPILE_CACHE, unless the policy names another', () => {
  const plan = planLaunch(planInput({ compileCache: '/run/cc-1' }))
  // The host's own NODE_COMPILE_CACHE is not let in by default; the pool's takes its place.
  expect(plan.env.NODE_COMPILE_CACHE).toBe('/run/cc-1')
  expect(plan.ops).toContainEqual({ op: 'ro-bind', src: '/run/cc-1', dest: '/run/cc-1' })
  expect(plan.access.readable).toContain('/run/cc-1')
  expect(plan.access.writable).not.toContain('/run/cc-1')

  const own = planLaunch(planInput({ compileCache: '/run/cc-1', policy: createPolicyResolver({ env: { set: { NODE_COMPILE_CACHE: '/p/.cc' } } }, '/p').forFile('/p/a.test.ts') }))
  expect(own.env.NODE_COMPILE_CACHE).toBe('/p/.cc')
  expect(own.ops.some((op) => 'dest' in op && op.dest === '/run/cc-1')).toBe(false)

  expect(planLaunch(planInput({})).env.NODE_COMPILE_CACHE).toBeUndefined()
})

test('a warm-up is stamped with what its result depends on', () => {
  const files = [{ path: '/p/node_modules/vitest/dist/worker.js', size: 100, mtimeMs: 1 }]
  const stamp = warmStamp('/usr/bin/node', [], undefined, files)
  expect(warmStamp('/usr/bin/node', [], undefined, [...files])).toBe(stamp)
  expect(warmStamp('/usr/bin/node', [], undefined, [{ ...files[0], mtimeMs: 2 }])).not.toBe(stamp)
  expect(warmStamp('/usr/bin/node', [], '--max-old-space-size=4096', files)).not.toBe(stamp)
  expect(warmStamp('/usr/bin/node', ['--expose-gc'], undefined, files)).not.toBe(stamp)
  expect(warmStamp('/opt/node/bin/node', [], undefined, files)).not.toBe(stamp)
})
