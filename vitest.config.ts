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
  },
})
