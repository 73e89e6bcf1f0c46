/**
 * `vitest-pool-nsjail explain` on a config with several rules (fixtures/rules): what each file gets,
 * from the pool's own resolver and launch planner, without running anything.
 */
import module from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { runDirParent } from '../../src/hostfs/run-dir.js'
import { isRoot } from '../cgroup/helpers.js'
import { FIXTURES } from '../helpers/run-fixture.js'
import { nsjailCli } from '../helpers/nsjail-cli.js'
import { tempFixture } from '../helpers/temp-fixture.js'

const RULES = path.join(FIXTURES, 'rules')

/** explain's output, one block per file, each as { label: text }. */
async function explain(files: string[], cwd = RULES, args: string[] = [], env: Record<string, string> = {}) {
  const result = await nsjailCli(['explain', ...args, ...files], { cwd, env: { NSJAIL_TEST_OPTIONS: '{"cgroups":false}', ...env } })
  const blocks = result.stdout.trim().split('\n\n').map((block) => {
    const [title, ...lines] = block.split('\n')
    const fields: Record<string, string> = { title }
    for (const line of lines) {
      const match = /^ {2}(\S[\w ]*?) {2,}(.*)$/.exec(line) ?? /^ {2}(note): (.*)$/.exec(line)
      if (match) fields[match[1]] = match[2]
    }
    return fields
  })
  return { ...result, blocks }
}

describe('explain', () => {
  test('each file: the rules that matched, network, mounts, env names, seccomp rows, limits', async () => {
    const { code, blocks, stderr } = await explain(['test/plain.test.ts', 'test/net/fetch.test.ts', 'test/debug/trace.test.ts'])
    expect(stderr).toBe('')
    expect(code).toBe(0)
    const [plain, net, debug] = blocks
    expect(plain).toMatchObject({
      title: 'test/plain.test.ts  (project (root))',
      rules: 'none match: the top-level options apply',
      network: 'loopback: a private network namespace with only lo up (no route out, no DNS)',
      writable: 'none',
      tmpfs: '/tmp and /home/sandbox: private, 512 MiB each',
      hostname: 'nsjail',
      seccomp: expect.stringMatching(/^default \(\d+ system calls denied or checked\)$/),
      limits: 'memory 2 GiB, pids 512, cpu unlimited, wall time unlimited',
    })
    expect(plain.namespaces).toMatch(isRoot ? /^pid, network, mount, uts, ipc, cgroup \(as root: no user namespace; the worker becomes uid \d+ with setpriv/ : /^user, pid, network, mount, uts, ipc, cgroup \(rootless: uid \d+ mapped to itself/)
    // The project (or a folder holding it, here this package) is readable; the home and / are not.
    const readable = plain.readable.split(', ')
    expect(readable.some((p) => p === '.' || RULES.startsWith(`${p}/`))).toBe(true)
    for (const secret of ['/', '/root', os.homedir()]) expect(readable).not.toContain(secret)
    expect(plain.env).toMatch(/^(\w+, )*HOME, (\w+, )*PATH, (\w+, )*TMPDIR, USER(, \w+)* \(names only; any other host variable matching .* RULES_FIXTURE_\* passes too\)$/)
    expect(plain.env).not.toContain('OUT_DIR')

    expect(net).toMatchObject({
      rules: 'rules[0] (files: test/net/**); rules[1] (files: test/net/**, test/out/**)',
      network: "host: the host's network, not isolated",
      writable: 'out',
      namespaces: expect.not.stringContaining('network'),
    })
    expect(net.env).toContain('OUT_DIR')

    expect(debug).toMatchObject({
      rules: 'rules[2] (files: test/debug/**)',
      seccomp: expect.stringMatching(/^default \(\d+ system calls denied or checked\) \+allow ptrace$/),
      limits: 'memory 2 GiB, pids 64, cpu unlimited, wall time unlimited',
    })
  })

  test('the compile cache: the folder every sandbox reads, or why the workers go without one', async () => {
    const [plain] = (await explain(['test/plain.test.ts'])).blocks
    if (typeof (module as { enableCompileCache?: unknown }).enableCompileCache === 'function') {
      const dir = path.join(runDirParent(), 'compile-cache', 'cache')
      expect(plain['compile cache']).toBe(`${dir}: read-only, written by the pool on the host (Vitest's worker runtime compiled once)`)
      expect(plain.readable.split(', ')).toContain(dir)
      expect(plain.env).toContain('NODE_COMPILE_CACHE')
      const [disabled] = (await explain(['test/plain.test.ts'], RULES, [], { NODE_DISABLE_COMPILE_CACHE: '1' })).blocks
      expect(disabled['compile cache']).toBe('off: NODE_DISABLE_COMPILE_CACHE is set')
      expect(disabled.readable).not.toContain('compile-cache')
    } else {
      expect(plain['compile cache']).toBe(`off: Node ${process.version} has no compile cache (Node 22.1 or later has)`)
      expect(plain.env).not.toContain('NODE_COMPILE_CACHE')
    }
  })

  test('a file the project does not run is explained as if it did, and says so; one outside any project fails', async () => {
    const inside = await explain(['vitest.config.ts'])
    expect(inside.code).toBe(0)
    expect(inside.blocks[0].note).toBe("not one of the project's test files (its include/exclude do not match it); shown as if it were")
    const outside = await explain(['/etc/hostname'])
    expect(outside.code).toBe(1)
    expect(outside.stdout).toBe('/etc/hostname\n  no project that uses the nsjail pool contains it\n')
  })

  test('--config and --root from elsewhere', async () => {
    const { code, blocks } = await explain([path.join(RULES, 'test/out/write.test.ts')], FIXTURES, ['--config', path.join(RULES, 'vitest.config.ts'), '--root', RULES])
    expect(code).toBe(0)
    expect(blocks[0]).toMatchObject({ title: 'rules/test/out/write.test.ts  (project (root))', rules: 'rules[1] (files: test/net/**, test/out/**)', writable: 'out' })
  })

  test('a config with nsjailPool() as test.pool (no plugin) is read the same way', async () => {
    const copy = tempFixture('rules')
    try {
      copy.write('vitest.config.ts', "import { defineConfig } from 'vitest/config'\nimport { nsjailPool } from 'vitest-pool-nsjail'\nexport default defineConfig({ test: { pool: nsjailPool({ rules: [{ files: 'test/net/**', network: 'host' }] }) } })\n")
      const { code, blocks } = await explain(['test/net/fetch.test.ts'], copy.root)
      expect(code).toBe(0)
      expect(blocks[0]).toMatchObject({ rules: 'rules[0] (files: test/net/**)', network: "host: the host's network, not isolated" })
    } finally {
      copy.remove()
    }
  })

  test('test.projects: the file is explained for the project that sandboxes it, and a project that does not is named', async () => {
    const projects = path.join(FIXTURES, 'projects')
    const { code, blocks } = await explain(['test/where.test.ts'], projects)
    expect(code).toBe(0)
    expect(blocks[0]).toMatchObject({ title: 'test/where.test.ts  (project "sandboxed")', note: 'project "host" also runs it, with pool \'forks\': not sandboxed there' })
  })

  test('usage errors exit 2', async () => {
    expect((await nsjailCli(['explain'])).code).toBe(2)
    expect((await nsjailCli(['doctor', 'extra'])).code).toBe(2)
    expect((await nsjailCli(['frobnicate'])).code).toBe(2)
    const help = await nsjailCli(['--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/^usage:\n {2}vitest-pool-nsjail doctor \[--config FILE\] \[--root DIR\] \[--json\]\n/)
  })
})
