/**
 * The `rootfs` bases through the real pool (real bwrap, real Vitest runs of fixtures/rootfs): what a
 * test sees in /usr/bin, whether a shell, git and native addons work, and whose system it is. The
 * 'host' base runs the same fixture as the control: there, git and the host's other programs are there.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { factsByName, runFixture } from '../helpers/run-fixture.js'
import { TEMP_FIXTURES } from '../helpers/temp-fixture.js'
import { busyboxImage, IMAGE_OS_RELEASE } from '../helpers/busybox-image.mjs'
import { findBusybox } from '../../src/rootfs/host-files.js'
import type { NsjailOptions } from 'vitest-pool-nsjail'

const busybox = findBusybox()
const nodeDir = path.dirname(fs.realpathSync(process.execPath))
/** What /usr/bin holds under 'minimal' besides busybox's applets (links to it). */
const chosen = ['busybox', ...(fs.existsSync('/usr/bin/setpriv') ? ['setpriv'] : []), ...(nodeDir === '/usr/bin' ? [path.basename(process.execPath)] : [])]
const applets = new Set(busybox?.applets.map((p) => path.basename(p)))
/** Host programs no Node worker needs, that the host has and busybox has no applet for: none may be inside a minimal root. */
const hostOnly = ['git', 'perl', 'gcc', 'python3', 'apt', 'dpkg-query', 'bwrap', 'ssh', 'curl', 'make'].filter((p) => fs.existsSync(`/usr/bin/${p}`) && !applets.has(p))

async function facts(rootfs: NsjailOptions['rootfs']) {
  const run = await runFixture('rootfs', { pool: { rootfs } })
  const failed = Object.entries(run.tests).filter(([, state]) => state !== 'passed')
  expect(failed, JSON.stringify(run.errors) + run.output).toEqual([])
  return factsByName(run)
}

test('busybox and the host programs the assertions need are on this machine', () => {
  expect(busybox, 'install busybox-static').not.toBeNull()
  expect(hostOnly).toContain('git')
  expect(hostOnly.length).toBeGreaterThan(3)
})

test("'host' (the control): the host's programs are all there", async () => {
  const seen = await facts('host')
  const names = (seen['usr-bin'].entries as Array<{ name: string }>).map((e) => e.name)
  expect(names).toEqual(expect.arrayContaining(hostOnly))
  expect(seen.git.version).toMatch(/^git version /)
})

describe("'minimal'", () => {
  let seen: Record<string, Record<string, any>>
  beforeAll(async () => {
    seen = await facts('minimal')
  })

  test('/usr/bin holds busybox and its applets, node and setpriv, and nothing else of the host', () => {
    const entries = seen['usr-bin'].entries as Array<{ name: string; link: string | null }>
    const others = entries.filter((e) => e.link !== busybox!.path).map((e) => e.name)
    expect(others.sort()).toEqual([...chosen].sort())
    const applets = entries.filter((e) => e.link === busybox!.path).map((e) => e.name)
    expect(applets).toEqual(expect.arrayContaining(['sh', 'ls', 'env', 'awk']))
    for (const program of hostOnly) expect(entries.map((e) => e.name)).not.toContain(program)
    // `ls /usr/bin` run by the test (busybox's ls) shows the same.
    expect([...seen['usr-bin'].ls].sort()).toEqual(entries.map((e) => e.name).sort())
  })

  test("sh -c 'echo ok' works: busybox is /bin/sh", () => {
    expect(seen.shell).toMatchObject({ value: 'ok' })
  })

  test('git is missing: spawning it fails with ENOENT', () => {
    expect(seen.git).toMatchObject({ code: 'ENOENT', version: null })
  })

  test('native addons load: better-sqlite3, and lightningcss with a library only it needs (librt)', () => {
    expect(seen.addons.sqlite, 'better-sqlite3 is built by scripts/native-fixture.mjs (the suite\'s globalSetup)').toEqual({ value: 42 })
    expect(seen.addons.css).toEqual({ value: '.a{color:red}' })
  })

  test('no /etc/os-release: the system is nobody\'s; /etc is still synthesized', () => {
    expect(seen.system.osRelease).toBeNull()
    expect(seen.system.passwd).toContain(':sandbox user:/home/sandbox:/bin/sh')
    expect(seen.system.var).toBe(false)
  })
})

test("{ base: 'minimal', tools: ['git'] }: git is there, with its libraries, and works", async () => {
  const seen = await facts({ base: 'minimal', tools: ['git'] })
  expect(seen.git.version).toMatch(/^git version /)
  expect(seen.git.commit).toEqual({ value: 'first' })
  const names = (seen['usr-bin'].entries as Array<{ name: string; link: string | null }>).filter((e) => e.link !== busybox!.path).map((e) => e.name)
  expect(names.sort()).toEqual([...chosen, 'git'].sort())
})

describe('{ dir }: an image root filesystem made of busybox-static', () => {
  const image = path.join(TEMP_FIXTURES, `image-${process.pid}`)
  let seen: Record<string, Record<string, any>>
  beforeAll(async () => {
    fs.rmSync(image, { recursive: true, force: true })
    fs.mkdirSync(image, { recursive: true, mode: 0o755 })
    busyboxImage(image, busybox!.path)
    seen = await facts({ dir: image })
  })
  afterAll(() => fs.rmSync(image, { recursive: true, force: true }))

  test("the system is the image's: its os-release, its busybox as /bin/sh", () => {
    expect(seen.system.osRelease).toBe(IMAGE_OS_RELEASE)
    expect(seen.system.busybox).toMatch(/^BusyBox v/)
    expect(seen.shell).toMatchObject({ value: 'ok' })
  })

  test("the host's node runs the worker, with its libraries on top of the image; addons load", () => {
    expect(seen.addons.sqlite).toEqual({ value: 42 })
    expect(seen.addons.css).toEqual({ value: '.a{color:red}' })
  })

  test("/etc is the image's, but for the synthesized files; the host's programs are not there", () => {
    expect(seen.system.passwd).toContain(':sandbox user:/home/sandbox:/bin/sh')
    expect(seen.system.passwd).not.toContain('imageuser')
    expect(seen.git.code).toBe('ENOENT')
    const entries = seen['usr-bin'].entries as Array<{ name: string; link: string | null }>
    // The image's applets link to its busybox by the image's own path.
    expect(entries.filter((e) => e.link !== '/usr/bin/busybox').map((e) => e.name).sort()).toEqual([...chosen].sort())
    for (const program of hostOnly) expect(entries.map((e) => e.name)).not.toContain(program)
  })
})
