/**
 * Taking over a dead run's delegation on cgroup v2, for real. A run in a delegated cgroup C moves the
 * shell that started it into a `main-…` leaf and enables controllers in C; killed with SIGKILL, it
 * leaves all that behind. The next run from that shell takes the leaf over and, when it ends, must
 * turn off what the dead run enabled, and nothing else: a controller someone else enabled in C
 * meanwhile stays on (and our processes then stay in the leaf, since C may not hold processes while
 * it distributes that controller).
 *
 * The runs are an unprivileged user's: as root, in a cgroup root creates and delegates the way
 * systemd's Delegate=yes does; as a delegated user (scripts/cgroup-v2-check.sh's second pass), in a
 * cgroup made inside our own delegated one. Skipped on cgroup v1.
 */
import { execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import * as fs from 'node:fs'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BASE_DIR_NAME, openCgroups, type CgroupRun } from '../../src/cgroup/index.js'
import { CONTROLLERS, parseControllerList } from '../../src/cgroup/detect.js'
import { parseOwnedDirName } from '../../src/cgroup/plan.js'
import { asUnprivileged, compileCgroupModule, ensureUnprivilegedUser, isRoot, pidAlive, repo, UNPRIVILEGED_USER, waitFor } from './helpers.js'

const probe = await openCgroups('auto', () => {})
const version = probe?.version
probe?.closeSync()

const read = (file: string) => fs.readFileSync(file, 'utf8')
const controllers = (dir: string, file: 'cgroup.controllers' | 'cgroup.subtree_control') => parseControllerList(read(join(dir, file)))
const write = (file: string, value: string) => fs.writeFileSync(file, value)

describe.runIf(version === 2)('a dead run\'s delegation, taken over by the next run from the same shell', () => {
  /** Our own run: as a delegated user, it vacates our cgroup so that children of it get controllers. */
  let own: CgroupRun
  /** Where C is made: the hierarchy root (as root), our delegated cgroup (as a user). */
  let parent: string
  let delegated: string
  /** A controller the pool never enables, to play "someone else's". */
  let foreign: string
  let enabledForeignInParent = false
  let compiled: ReturnType<typeof compileCgroupModule>

  beforeAll(async () => {
    if (isRoot) expect(ensureUnprivilegedUser()).toBe(true)
    own = (await openCgroups('required', () => {}))!
    parent = dirname(dirname(own.dirs[0]))
    foreign = controllers(parent, 'cgroup.controllers').find((c) => !(CONTROLLERS as readonly string[]).includes(c))!
    expect(foreign, `a controller besides ${CONTROLLERS.join(', ')} in ${parent}`).toBeDefined()
    if (!controllers(parent, 'cgroup.subtree_control').includes(foreign)) {
      write(join(parent, 'cgroup.subtree_control'), `+${foreign}`)
      enabledForeignInParent = true
    }
    delegated = join(parent, `nsjail-delegation-test-${process.pid}`)
    fs.mkdirSync(delegated)
    if (isRoot) {
      const [uid, gid] = ['-u', '-g'].map((flag) => Number(execFileSync('id', [flag, UNPRIVILEGED_USER], { encoding: 'utf8' })))
      for (const f of ['', 'cgroup.procs', 'cgroup.subtree_control', 'cgroup.threads']) fs.chownSync(join(delegated, f), uid, gid)
    }
    compiled = compileCgroupModule()
  })

  afterAll(async () => {
    // What the test made, children first; the pool's leftovers (the leaf and base it had to leave) too.
    const base = join(delegated, BASE_DIR_NAME)
    for (const dir of fs.existsSync(base) ? fs.readdirSync(base, { withFileTypes: true }).filter((e) => e.isDirectory()) : []) {
      fs.rmdirSync(join(base, dir.name))
    }
    if (fs.existsSync(base)) fs.rmdirSync(base)
    if (controllers(delegated, 'cgroup.subtree_control').length > 0) {
      write(join(delegated, 'cgroup.subtree_control'), controllers(delegated, 'cgroup.subtree_control').map((c) => `-${c}`).join(' '))
    }
    fs.rmdirSync(delegated)
    if (enabledForeignInParent) write(join(parent, 'cgroup.subtree_control'), `-${foreign}`)
    await own?.close()
    compiled?.dispose()
  })

  it('turns off only the controllers the dead run enabled; one enabled by someone else stays', async () => {
    // The shell the user started the runs from: it enters C, runs one holder (killed below), waits
    // for a line on stdin, then runs the next from the leaf the first one left it in.
    const hold = `${process.execPath} ${join(repo, 'test/cgroup/hold-run.mjs')} ${compiled.index}`
    const shell = ['/bin/sh', '-c', `${hold}; read go; ${hold}`]
    const argv = ['/bin/sh', '-c', `echo $$ > ${delegated}/cgroup.procs && exec "$@"`, 'enter', ...(isRoot ? asUnprivileged(shell) : shell)]
    const user = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] })
    let stderr = ''
    user.stderr!.on('data', (d) => (stderr += d))
    const lines = createInterface({ input: user.stdout! })[Symbol.asyncIterator]()
    const next = async () => {
      const line = await lines.next()
      if (line.done) throw new Error(`the holder ended early: ${stderr}`)
      return JSON.parse(line.value as string) as { pid: number; runDirs: string[] }
    }

    const first = await next()
    const [leaf] = fs.readdirSync(join(delegated, BASE_DIR_NAME)).filter((name) => name.startsWith('main-'))
    const stamp = parseOwnedDirName(leaf)
    expect(stamp).toMatchObject({ kind: 'main', pid: first.pid })
    const ours = stamp?.kind === 'main' ? stamp.enabled : []
    // The leaf's name says what the run enabled in C: here everything C distributes now.
    expect(ours.length).toBeGreaterThan(0)
    expect([...ours].sort()).toEqual([...controllers(delegated, 'cgroup.subtree_control')].sort())
    expect(read(join(delegated, BASE_DIR_NAME, leaf, 'cgroup.procs')).split('\n')).toContain(String(user.pid))

    process.kill(first.pid, 'SIGKILL')
    await waitFor(() => !pidAlive(first.pid))
    // C holds no process now (the shell is in the leaf): someone else may enable a controller in it.
    write(join(delegated, 'cgroup.subtree_control'), `+${foreign}`)
    user.stdin!.end('go\n')

    const second = await next()
    for (const dir of first.runDirs) expect(fs.existsSync(dir)).toBe(false) // the dead run was reaped
    const exited = once(user, 'exit')
    process.kill(second.pid, 'SIGINT') // its exit handler closes the run, undoing the delegation
    await exited

    const after = controllers(delegated, 'cgroup.subtree_control')
    expect(after).toContain(foreign)
    for (const c of ours) expect(after).not.toContain(c)
  })
})
