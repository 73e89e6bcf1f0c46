import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { snapshotWriteRefusal, type UpdateMode } from '../../src/pool/snapshot-writes.js'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsjail-snapwrites-'))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))
const file = (name: string) => {
  const p = path.join(dir, name)
  fs.mkdirSync(path.dirname(p), { recursive: true })
  fs.writeFileSync(p, 'x')
  return p
}
const testFile = file('test/a.test.ts')
const snap = file('test/__snapshots__/a.test.ts.snap')
const config = file('vitest.config.ts')
const fresh = path.join(dir, 'test/__snapshots__/new.txt')

const context = (mode: UpdateMode, firewall: string | null = null) => ({
  mode,
  testFiles: new Set([testFile]),
  checkWrite: () => firewall,
})

test("update: 'none' refuses everything", () => {
  for (const target of [snap, testFile, fresh]) {
    expect(snapshotWriteRefusal(target, 'snapshot write', context('none'))).toMatch(/this run does not update snapshots/)
  }
})

test("update: 'new' adds, and rewrites only snapshot files and the sandbox's own test files", () => {
  expect(snapshotWriteRefusal(snap, 'snapshot write', context('new'))).toBeNull()
  expect(snapshotWriteRefusal(testFile, 'snapshot write', context('new'))).toBeNull()
  expect(snapshotWriteRefusal(fresh, 'snapshot write', context('new'))).toBeNull()
  expect(snapshotWriteRefusal(dir, 'snapshot mkdir', context('new'))).toBeNull()
  expect(snapshotWriteRefusal(config, 'snapshot write', context('new'))).toMatch(/it exists and is neither a snapshot file nor a test file/)
  expect(snapshotWriteRefusal(config, 'snapshot remove', context('new'))).toMatch(/refused to snapshot remove/)
})

test("update: 'all' (-u) writes wherever the firewall allows; the firewall's refusal always wins", () => {
  expect(snapshotWriteRefusal(config, 'snapshot write', context('all'))).toBeNull()
  expect(snapshotWriteRefusal(snap, 'snapshot write', context('all', 'outside the project'))).toBe('outside the project')
  expect(snapshotWriteRefusal(fresh, 'snapshot write', context('new', 'inside node_modules'))).toBe('inside node_modules')
})
