import { describe, expect, it } from 'vitest'
import {
  locateCgroups,
  locateUnder,
  parseControllerList,
  parseMountinfo,
  parseProcCgroup,
  parseProcStat,
} from '../../src/cgroup/detect.js'

// This development machine: v1 controllers plus systemd's empty "hybrid" cgroup2 mount.
const HYBRID_CGROUP = `9:name=systemd:/
8:pids:/
7:blkio:/
6:freezer:/
5:devices:/
4:memory:/process_api/8ecb20d50eb4693436aeaa238f7d455f
3:cpuset:/
2:cpuacct:/
1:cpu:/
0::/
`
const HYBRID_MOUNTS = `22 1 8:1 / / rw,relatime - ext4 /dev/vda rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`
// Ubuntu 22.04+/GitHub Actions: unified only.
const V2_CGROUP = '0::/user.slice/user-1000.slice/user@1000.service/app.slice/run-r1.scope\n'
const V2_MOUNTS = `25 30 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
35 25 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`
// CentOS 7 style: cpu and cpuacct co-mounted, with a release agent and a path with a space.
const V1_COMOUNT_CGROUP = `11:cpuacct,cpu:/user.slice/my\\040slice
6:memory:/user.slice
3:pids:/user.slice/user-1000.slice
`
const V1_COMOUNT_MOUNTS = `30 24 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,cpuacct,cpu
31 24 0:27 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,memory
32 24 0:28 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,pids,release_agent=/x
`
// Docker on a v2 host with a private cgroup namespace and a read-only /sys/fs/cgroup.
const DOCKER_CGROUP = '0::/\n'
const DOCKER_MOUNTS = `612 603 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup rw,nsdelegate
`

describe('parseProcCgroup', () => {
  it('parses v1 and v2 lines', () => {
    const entries = parseProcCgroup(HYBRID_CGROUP)
    expect(entries).toHaveLength(10)
    expect(entries[0]).toEqual({ hierarchyId: 9, controllers: ['name=systemd'], path: '/' })
    expect(entries[5]).toEqual({ hierarchyId: 4, controllers: ['memory'], path: '/process_api/8ecb20d50eb4693436aeaa238f7d455f' })
    expect(entries[9]).toEqual({ hierarchyId: 0, controllers: [], path: '/' })
  })
  it('keeps colons in paths and skips garbage', () => {
    expect(parseProcCgroup('0::/a:b\nnonsense\n\n1:cpu:relative\n')).toEqual([{ hierarchyId: 0, controllers: [], path: '/a:b' }])
    expect(parseProcCgroup('11:cpuacct,cpu:/x')[0].controllers).toEqual(['cpuacct', 'cpu'])
  })
})

describe('parseMountinfo', () => {
  it('finds cgroup mounts and their controllers', () => {
    const mounts = parseMountinfo(HYBRID_MOUNTS)
    expect(mounts.map((m) => [m.version, m.mountPoint, m.controllers.join()])).toEqual([
      [1, '/sys/fs/cgroup/cpu', 'cpu'],
      [1, '/sys/fs/cgroup/cpuacct', 'cpuacct'],
      [1, '/sys/fs/cgroup/memory', 'memory'],
      [1, '/sys/fs/cgroup/pids', 'pids'],
      [1, '/sys/fs/cgroup/systemd', 'name=systemd'],
      [2, '/sys/fs/cgroup/unified', ''],
    ])
  })
  it('handles optional fields, release agents, escapes and read-only mounts', () => {
    const [cpu, , pids] = parseMountinfo(V1_COMOUNT_MOUNTS)
    expect(cpu.controllers).toEqual(['cpuacct', 'cpu'])
    expect(pids.controllers).toEqual(['pids'])
    const [escaped] = parseMountinfo('1 2 0:1 /a\\040b /mnt/c\\011d rw - cgroup2 none rw\n')
    expect(escaped).toMatchObject({ root: '/a b', mountPoint: '/mnt/c\td', readOnly: false })
    expect(parseMountinfo(DOCKER_MOUNTS)[0].readOnly).toBe(true)
  })
})

describe('locateCgroups', () => {
  it('picks v1 on a hybrid machine, each hierarchy at our own cgroup', () => {
    const layout = locateCgroups(parseProcCgroup(HYBRID_CGROUP), parseMountinfo(HYBRID_MOUNTS))
    expect(layout.version).toBe(1)
    if (layout.version !== 1) return
    expect(layout.hierarchies.memory?.dir).toBe('/sys/fs/cgroup/memory/process_api/8ecb20d50eb4693436aeaa238f7d455f')
    expect(layout.hierarchies.pids?.dir).toBe('/sys/fs/cgroup/pids')
    expect(layout.hierarchies.cpu?.dir).toBe('/sys/fs/cgroup/cpu')
  })

  it('picks v2 on a unified machine', () => {
    const layout = locateCgroups(parseProcCgroup(V2_CGROUP), parseMountinfo(V2_MOUNTS))
    expect(layout).toMatchObject({
      version: 2,
      unified: {
        mountPoint: '/sys/fs/cgroup',
        dir: '/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice/run-r1.scope',
      },
    })
  })

  it('handles co-mounted v1 controllers', () => {
    const layout = locateCgroups(parseProcCgroup(V1_COMOUNT_CGROUP), parseMountinfo(V1_COMOUNT_MOUNTS))
    if (layout.version !== 1) throw new Error('expected v1')
    expect(layout.hierarchies.cpu?.dir).toBe('/sys/fs/cgroup/cpu,cpuacct/user.slice/my\\040slice')
    expect(layout.hierarchies.memory?.dir).toBe('/sys/fs/cgroup/memory/user.slice')
  })

  it('reports a read-only namespace root in Docker', () => {
    const layout = locateCgroups(parseProcCgroup(DOCKER_CGROUP), parseMountinfo(DOCKER_MOUNTS))
    expect(layout).toMatchObject({ version: 2, unified: { dir: '/sys/fs/cgroup', readOnly: true } })
  })

  it('explains when nothing applies', () => {
    expect(locateCgroups(parseProcCgroup(V2_CGROUP), [])).toEqual({ version: null, reason: 'no cgroup file system is mounted' })
    expect(locateCgroups(parseProcCgroup('0::/a\n'), parseMountinfo('1 2 0:1 /b /sys/fs/cgroup rw - cgroup2 none rw\n'))).toMatchObject({
      version: null,
      reason: expect.stringContaining('not visible'),
    })
  })

  it('maps paths through a bind-mounted or namespaced mount root', () => {
    const mount = parseMountinfo('1 2 0:1 /kubepods/pod1 /sys/fs/cgroup rw - cgroup2 none rw\n')[0]
    expect(locateUnder(mount, '/kubepods/pod1')?.dir).toBe('/sys/fs/cgroup')
    expect(locateUnder(mount, '/kubepods/pod1/c1')?.dir).toBe('/sys/fs/cgroup/c1')
    expect(locateUnder(mount, '/kubepods/pod10')).toBeNull()
    expect(locateUnder(mount, '/../outside')).toBeNull()
  })
})

describe('parseProcStat', () => {
  it('reads ppid and start time past a command name with spaces and parentheses', () => {
    const stat = '4242 (we) ird (name) S 17 4242 4242 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 987654 1000 100 18446744073709551615\n'
    expect(parseProcStat(stat)).toEqual({ ppid: 17, startTime: '987654' })
    expect(parseProcStat('garbage')).toBeNull()
  })
})

describe('parseControllerList', () => {
  it('splits on whitespace', () => {
    expect(parseControllerList('cpuset cpu io memory pids\n')).toEqual(['cpuset', 'cpu', 'io', 'memory', 'pids'])
    expect(parseControllerList('\n')).toEqual([])
  })
})
