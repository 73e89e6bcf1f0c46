import { defineConfig } from 'vitest/config'
import { nsjail } from 'vitest-pool-nsjail'

// The demo suite: every test name states, from inside the sandbox, what it sees.
export default defineConfig({
  plugins: [
    nsjail({
      env: { set: { DEMO_CANARY_DIR: process.env.HOME ?? '/root' } },
      rules: [{ files: 'test/kernel-fences.test.ts', limits: { pids: 64 } }],
    }),
  ],
  test: {
    pool: 'nsjail',
    globalSetup: ['./host-listener.ts'],
    reporters: ['verbose'],
  },
})
