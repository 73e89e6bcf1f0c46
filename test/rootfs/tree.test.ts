/**
 * The root tree (pure, with a fake host listing): placements through symlinks, splits of grafted
 * folders, room for later mounts, and setup operations bwrap can apply in order.
 */
import { describe, expect, test } from 'vitest'
import { RootTree, RootfsTreeError, type HostEntry, type ListDir } from '../../src/rootfs/tree.js'
import type { SetupOp } from '../../src/isolate/plan.js'

/** A fake image at /img: a merged-/usr layout with a few programs and an /etc. */
const IMAGE: Record<string, HostEntry[]> = {
  '/img': [{ name: 'bin', kind: 'link', target: 'usr/bin' }, { name: 'etc', kind: 'dir' }, { name: 'usr', kind: 'dir' }],
  '/img/usr': [{ name: 'bin', kind: 'dir' }, { name: 'lib', kind: 'dir' }, { name: 'share', kind: 'dir' }],
  '/img/usr/bin': [{ name: 'busybox', kind: 'file' }, { name: 'node', kind: 'file' }, { name: 'sh', kind: 'link', target: 'busybox' }],
  '/img/usr/lib': [{ name: 'os-release', kind: 'file' }],
  '/img/etc': [{ name: 'os-release', kind: 'link', target: '../usr/lib/os-release' }, { name: 'passwd', kind: 'file' }],
}

function listing(): { list: ListDir; listed: string[] } {
  const listed: string[] = []
  return {
    listed,
    list: (dir) => {
      listed.push(dir)
      if (!IMAGE[dir]) throw new Error(`not a folder of the fake image: ${dir}`)
      return IMAGE[dir]
    },
  }
}

const show = (ops: SetupOp[]) => ops.map((op) => (op.op === 'ro-bind' ? `bind ${op.dest} <- ${op.src}` : op.op === 'symlink' ? `link ${op.dest} -> ${op.target}` : `${op.op} ${'dest' in op ? op.dest : ''}`))

/** bwrap cannot create anything inside a read-only bind: no op may land inside an earlier bound folder. */
function expectApplicable(ops: SetupOp[], folders: string[]): void {
  const bound: string[] = []
  for (const op of ops) {
    const dest = (op as { dest: string }).dest
    expect(bound.filter((b) => dest.startsWith(`${b}/`)), dest).toEqual([])
    if (op.op === 'ro-bind' && folders.includes(op.src)) bound.push(op.dest)
  }
}

function imageTree(list: ListDir): RootTree {
  const tree = new RootTree(list)
  tree.link('/bin', 'usr/bin')
  tree.graft('/usr', '/img/usr', true)
  tree.graft('/etc', '/img/etc', true)
  return tree
}

describe('an image base with host files on top', () => {
  test('placing a host file splits the folders on its way; the rest stays the image\'s, unlisted', () => {
    const { list, listed } = listing()
    const tree = imageTree(list)
    tree.graft('/usr/bin/node', '/usr/bin/node', false)
    const ops = tree.ops()
    expect(listed).toEqual(['/img/usr', '/img/usr/bin'])
    expect(show(ops.ops)).toEqual([
      'link /bin -> usr/bin',
      'bind /etc <- /img/etc',
      'dir /usr',
      'dir /usr/bin',
      'bind /usr/bin/busybox <- /img/usr/bin/busybox',
      'bind /usr/bin/node <- /usr/bin/node',
      'link /usr/bin/sh -> busybox',
      'bind /usr/lib <- /img/usr/lib',
      'bind /usr/share <- /img/usr/share',
    ])
    expect(ops.readable).toEqual(['/usr/bin/node'])
    expectApplicable(ops.ops, Object.keys(IMAGE).concat('/img/usr/share'))
  })

  test('a path through a symlink is placed where the link leads (/bin/x is /usr/bin/x)', () => {
    const tree = imageTree(listing().list)
    tree.graft('/bin/setpriv', '/usr/bin/setpriv', false)
    expect(show(tree.ops().ops)).toContain('bind /usr/bin/setpriv <- /usr/bin/setpriv')
  })

  test('room for later mounts: an image file there goes, a path that leaves the tree needs nothing', () => {
    const { list, listed } = listing()
    const tree = imageTree(list)
    for (const mountPoint of ['/etc/passwd', '/etc/hosts', '/work/project', '/tmp', '/usr/bin']) tree.clear(mountPoint)
    const shown = show(tree.ops().ops)
    expect(shown).not.toContain('bind /etc/passwd <- /img/etc/passwd')
    expect(shown).toContain('link /etc/os-release -> ../usr/lib/os-release')
    // /usr/bin is a mount point: the image's folder there is gone, /usr was split to make room.
    expect(shown.filter((s) => s.startsWith('bind /usr/bin'))).toEqual([])
    expect(listed).toEqual(['/img/etc', '/img/usr'])
  })
})

describe('a minimal root from nothing', () => {
  test("the host's /lib link is kept, so a library's name through it is no second entry", () => {
    const tree = new RootTree(() => [])
    tree.link('/lib', 'usr/lib')
    tree.graft('/usr/lib/x86_64-linux-gnu/libc.so.6', '/usr/lib/x86_64-linux-gnu/libc.so.6', false)
    tree.graft('/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30', '/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30', false)
    // The names the loader finds them by:
    tree.link('/lib/x86_64-linux-gnu/libc.so.6', '/usr/lib/x86_64-linux-gnu/libc.so.6')
    tree.link('/lib/x86_64-linux-gnu/libstdc++.so.6', '/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30')
    expect(show(tree.ops().ops)).toEqual([
      'link /lib -> usr/lib',
      'dir /usr',
      'dir /usr/lib',
      'dir /usr/lib/x86_64-linux-gnu',
      'bind /usr/lib/x86_64-linux-gnu/libc.so.6 <- /usr/lib/x86_64-linux-gnu/libc.so.6',
      'link /usr/lib/x86_64-linux-gnu/libstdc++.so.6 -> /usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30',
      'bind /usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30 <- /usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30',
    ])
  })

  test('a later placement wins: a host program replaces an applet link of the same name', () => {
    const tree = new RootTree(() => [])
    tree.link('/bin/setpriv', '/bin/busybox')
    tree.graft('/bin/setpriv', '/usr/bin/setpriv', false)
    expect(show(tree.ops().ops)).toEqual(['dir /bin', 'bind /bin/setpriv <- /usr/bin/setpriv'])
  })

  test('symlink loops end in a RootfsTreeError, after a bounded number of hops', () => {
    const tree = new RootTree(() => [])
    tree.link('/a', '/b')
    tree.link('/b', '/a')
    expect(() => tree.graft('/a/x', '/x', false)).toThrow(RootfsTreeError)
    tree.link('/up', '..')
    expect(() => tree.graft('/up/y', '/y', false)).not.toThrow()
    expect(() => tree.graft('/', '/x', false)).toThrow(RootfsTreeError)
  })
})
