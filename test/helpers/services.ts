/**
 * A real PostgreSQL and Redis for a test file: the pair .ci/run started for all its legs (named in
 * NSJAIL_TEST_SERVICES), or a private pair in a temporary directory, stopped by `release`.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
// @ts-expect-error a plain script, shared with .ci/run
import { startServices, stopServices } from '../../scripts/test-services.mjs'

export interface Services {
  postgres: { host: string; port: number; socketDir: string; user: string; database: string; psql: string }
  redis: { host: string; port: number; socket: string; cli: string }
  release(): void
}

export async function services(): Promise<Services> {
  const shared = process.env.NSJAIL_TEST_SERVICES
  if (shared) return { ...JSON.parse(shared), release: () => {} }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsjail-services-'))
  const started = await startServices(dir)
  return {
    ...started,
    release: () => {
      stopServices(started)
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}
