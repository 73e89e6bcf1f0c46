import { defineConfig } from 'vitest/config'

// The project's own suite. It runs on Vitest's forks pool; the tests themselves drive
// fixture projects through the nsjail pool via Vitest's Node API.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['fixtures/**', 'node_modules/**'],
    // better-sqlite3 for fixtures/rootfs, built for this Node once (a native addon loaded in a minimal root).
    globalSetup: ['test/helpers/native-fixture-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Fixture runs spawn sandboxes of their own; two cores are plenty busy with one file at a time.
    fileParallelism: false,
    // The machine probe gives up on a bwrap command after 2 s; a loaded test machine (or the cgroup v2
    // VM's emulation) can be that slow without anything being wrong. The tests of that deadline unset it.
    env: { VITEST_POOL_NSJAIL_PROBE_TIMEOUT_MS: '60000' },
  },
})
