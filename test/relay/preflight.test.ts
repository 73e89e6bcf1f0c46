import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { Problems } from '../../src/policy/errors.js'
import { validateOptions } from '../../src/policy/validate.js'
import { checkApiServer, checkForwardTargets } from '../../src/relay/preflight.js'
import type { NsjailOptions } from '../../src/policy/types.js'

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nsjail-preflight-'))
fs.mkdirSync(path.join(root, 'out/sockets'), { recursive: true })
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

function problems(check: (p: Problems) => void): string[] {
  const found = new Problems()
  check(found)
  try {
    found.throwIfAny()
    return []
  } catch (error) {
    return (error as { problems: Array<{ message: string }> }).problems.map((p) => p.message)
  }
}

test('a unix target must be in a directory that exists, and out of every folder a sandbox may write', () => {
  const options = validateOptions({
    network: { forward: [`unix:${root}/out/sockets/app.sock`, `unix:${root}/missing/db.sock`, `unix:${root}/ok.sock`] },
    rules: [{ files: 'x/**', fs: { writable: ['out'] } }, { files: 'y/**', network: { forward: [{ from: '127.0.0.1:1', to: `unix:${root}/nope/a.sock` }] } }],
  })
  expect(problems((p) => checkForwardTargets(options, root, p))).toEqual([
    `vitest-pool-nsjail: option \`network.forward[0]\` is "unix:${root}/out/sockets/app.sock"; expected a unix socket outside the folders a sandbox may write (fs.writable): there a test could swap it for a link to another socket of the host, which the host would then connect to.`,
    `vitest-pool-nsjail: option \`network.forward[1]\` is "unix:${root}/missing/db.sock"; expected a unix socket in a directory that exists on the host (${root}/missing does not).`,
    `vitest-pool-nsjail: option \`rules[1].network.forward[0].to\` is "unix:${root}/nope/a.sock"; expected a unix socket in a directory that exists on the host (${root}/nope does not).`,
  ])
})

test("the host network is refused only while Vitest's API server is on, naming every layer that asks for it", () => {
  const options: NsjailOptions = validateOptions({ network: 'host', rules: [{ files: 'a/**', network: 'loopback' }, { files: 'b/**', network: 'host' }] })
  expect(problems((p) => checkApiServer(options, { middlewareMode: true }, p))).toEqual([])
  expect(problems((p) => checkApiServer(options, undefined, p))).toEqual([])
  const refused = problems((p) => checkApiServer(options, { port: 51204, host: '127.0.0.1' }, p))
  expect(refused.map((m) => /option `([^`]+)` is "host"/.exec(m)?.[1])).toEqual(['network', 'rules[1].network'])
  expect(refused[0]).toContain("while Vitest's API/UI server is on (127.0.0.1:51204, from --ui, --api or `api`)")
})

test("no forward may lead to Vitest's API server either", () => {
  const options = validateOptions({ network: { forward: ['localhost:51204', '127.0.0.1:5432'] }, rules: [{ files: 'a/**', network: { forward: [{ from: '127.0.0.1:80', to: '127.0.0.1:51204' }] } }] })
  const refused = problems((p) => checkApiServer(options, { port: 51204 }, p))
  expect(refused.map((m) => /option `([^`]+)`/.exec(m)?.[1])).toEqual(['network.forward[0]', 'rules[0].network.forward[0].to'])
  expect(refused[0]).toContain("expected another address than the API server's while Vitest's API/UI server is on (localhost:51204")
})

