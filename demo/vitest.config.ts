import { defineConfig } from 'vitest/config'
import { nsjail } from 'vitest-pool-nsjail'
import { servicePort } from './ports.js'

const SERVICE_PORT = await servicePort()

// The demo suite: every test name states, from inside the sandbox, what it sees.
export default defineConfig({
  plugins: [
    nsjail({
      env: { set: { DEMO_CANARY_DIR: process.env.HOME ?? '/root' } },
      rules: [
        { files: 'test/kernel-fences.test.ts', limits: { pids: 64 } },
        // This file may reach exactly one host service; the rest of the host stays out of reach.
        { files: 'test/network.test.ts', network: { forward: [`127.0.0.1:${SERVICE_PORT}`] } },
      ],
    }),
  ],
  test: {
    pool: 'nsjail',
    globalSetup: ['./host-listener.ts'],
    reporters: ['verbose'],
  },
})
