/**
 * The pattern the relay is for: a real PostgreSQL and a real Redis on the host's loopback (and unix
 * sockets), reached from sandboxed tests through `network: { forward }` with the ordinary npm clients
 * (pg, ioredis) and with the servers' own command-line clients run by execFileSync.
 */
import { afterAll, beforeAll, expect, test } from 'vitest'
import { runFixture } from '../helpers/run-fixture.js'
import { services, type Services } from '../helpers/services.js'

let found: Services

beforeAll(async () => {
  found = await services()
})

afterAll(() => found?.release())

test('pg and ioredis over forwarded TCP ports and unix sockets; psql and redis-cli through execFileSync', async () => {
  const { postgres, redis } = found
  const run = await runFixture('relay', {
    filters: ['services/'],
    pool: {
      network: {
        forward: [
          `127.0.0.1:${postgres.port}`,
          `unix:${postgres.socketDir}/.s.PGSQL.${postgres.port}`,
          `127.0.0.1:${redis.port}`,
          `unix:${redis.socket}`,
        ],
      },
      env: { set: { POSTGRES: JSON.stringify(postgres), REDIS: JSON.stringify(redis) } },
    },
  })
  const failed = Object.entries(run.tests).filter(([, state]) => state !== 'passed')
  expect(failed, JSON.stringify(run.errors, null, 2) + run.output).toEqual([])
  expect(Object.keys(run.tests)).toHaveLength(6)
})

test('without the forward, the same clients cannot reach the services', async () => {
  const { postgres, redis } = found
  const run = await runFixture('relay', {
    filters: ['services/'],
    pool: { env: { set: { POSTGRES: JSON.stringify(postgres), REDIS: JSON.stringify(redis) } } },
  })
  expect(Object.values(run.tests)).toEqual(Array(6).fill('failed'))
  expect(JSON.stringify(run.errors)).toContain('ECONNREFUSED')
})
