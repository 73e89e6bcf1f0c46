/**
 * What a recorded sandbox did beyond its default policy, from its trace (./trace.ts): host paths
 * read and written outside the default view, network destinations, system calls the default filter
 * refuses. Pure: the host facts (where a path lies in the default view, what exists, how the filter
 * answers) come in as functions.
 */
import net from 'node:net'
import path from 'node:path'
import { unquote, type TraceEvent } from './trace.js'

export interface TracedFindings {
  /** Host paths read that the default view lacks (files, or folders listed). */
  reads: string[]
  /** Paths whose write the sandbox refused (EROFS), with whether the call made a folder. */
  writes: Array<{ path: string; mkdir: boolean }>
  /** TCP destinations reached (`127.0.0.1:5432`, `[::1]:80`, `93.184.216.34:443`) and unix sockets (`unix:/run/x.sock`). */
  connections: string[]
  /** System calls the default filter refuses (ENOSYS answers excluded: callers fall back from those). */
  syscalls: string[]
}

export interface TraceFacts {
  /** The project root: relative paths resolve there (the worker's working directory). */
  root: string
  /** Paths the sandbox has anyway (its own /tmp, home, /proc, /dev): never findings. */
  own: (p: string) => boolean
  /** The default policy's view has `p` (a mount, inside one, or a folder holding one). */
  visible: (p: string) => boolean
  /** How the default filter answers: an errno name, 'kill', or null when it lets the call through. */
  answer: (name: string, args: readonly bigint[]) => string | null
}

/** Path arguments: [dirfd index or -1, path index], and whether the call writes. */
const FILE_CALLS: Record<string, { paths: Array<[number, number]>; write: boolean | 'flags' }> = {
  open: { paths: [[-1, 0]], write: 'flags' },
  openat: { paths: [[0, 1]], write: 'flags' },
  openat2: { paths: [[0, 1]], write: 'flags' },
  creat: { paths: [[-1, 0]], write: true },
  stat: { paths: [[-1, 0]], write: false },
  lstat: { paths: [[-1, 0]], write: false },
  newfstatat: { paths: [[0, 1]], write: false },
  statx: { paths: [[0, 1]], write: false },
  access: { paths: [[-1, 0]], write: false },
  faccessat: { paths: [[0, 1]], write: false },
  faccessat2: { paths: [[0, 1]], write: false },
  readlink: { paths: [[-1, 0]], write: false },
  readlinkat: { paths: [[0, 1]], write: false },
  execve: { paths: [[-1, 0]], write: false },
  execveat: { paths: [[0, 1]], write: false },
  statfs: { paths: [[-1, 0]], write: false },
  chdir: { paths: [[-1, 0]], write: false },
  getxattr: { paths: [[-1, 0]], write: false },
  lgetxattr: { paths: [[-1, 0]], write: false },
  inotify_add_watch: { paths: [[-1, 1]], write: false },
  mkdir: { paths: [[-1, 0]], write: true },
  mkdirat: { paths: [[0, 1]], write: true },
  rmdir: { paths: [[-1, 0]], write: true },
  unlink: { paths: [[-1, 0]], write: true },
  unlinkat: { paths: [[0, 1]], write: true },
  rename: { paths: [[-1, 0], [-1, 1]], write: true },
  renameat: { paths: [[0, 1], [2, 3]], write: true },
  renameat2: { paths: [[0, 1], [2, 3]], write: true },
  link: { paths: [[-1, 1]], write: true },
  linkat: { paths: [[2, 3]], write: true },
  symlink: { paths: [[-1, 1]], write: true },
  symlinkat: { paths: [[1, 2]], write: true },
  chmod: { paths: [[-1, 0]], write: true },
  fchmodat: { paths: [[0, 1]], write: true },
  chown: { paths: [[-1, 0]], write: true },
  lchown: { paths: [[-1, 0]], write: true },
  fchownat: { paths: [[0, 1]], write: true },
  truncate: { paths: [[-1, 0]], write: true },
  utimensat: { paths: [[0, 1]], write: true },
  mknodat: { paths: [[0, 1]], write: true },
}

/** Calls that only look at a path: a folder looked at on the way to a file is not read. */
const LOOKS = new Set(['stat', 'lstat', 'newfstatat', 'statx', 'access', 'faccessat', 'faccessat2', 'readlink', 'readlinkat', 'statfs', 'getxattr', 'lgetxattr', 'chdir'])

const WRITE_FLAGS = /O_WRONLY|O_RDWR|O_CREAT|O_TRUNC/

/** An integer argument as strace prints it raw (`0x10000000`) or not (`12`). */
function int(arg: string | undefined): bigint | null {
  return arg !== undefined && /^(0x[0-9a-f]+|\d+)$/i.test(arg) ? BigInt(arg) : null
}

function endpoint(arg: string | undefined): { tcp?: { address: string; port: number }; unix?: string } | null {
  if (!arg) return null
  const v4 = /sin_port=htons\((\d+)\), sin_addr=inet_addr\("([^"]+)"\)/.exec(arg)
  if (v4) return { tcp: { address: v4[2], port: Number(v4[1]) } }
  const v6 = /sin6_port=htons\((\d+)\).*inet_pton\(AF_INET6, "([^"]+)"/.exec(arg)
  if (v6) return { tcp: { address: v6[2], port: Number(v6[1]) } }
  const unix = /sun_path="((?:[^"\\]|\\.)*)"/.exec(arg)
  return unix ? { unix: unquote(`"${unix[1]}"`) ?? undefined } : null
}

const shown = (address: string, port: number) => (net.isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`)
const isLoopback = (address: string) => address === '::1' || address.startsWith('127.') || address === '::ffff:127.0.0.1'

export function findings(events: readonly TraceEvent[], facts: TraceFacts): TracedFindings {
  const read = new Map<string, { looked: boolean; opened: boolean }>()
  const writes = new Map<string, boolean>()
  const syscalls = new Set<string>()
  const datagram = new Set<string>()
  const bound = new Set<string>()
  const ownPorts = new Set<number>()
  const pending = new Map<string, string>()
  const reached: Array<{ address: string; port: number } | string> = []

  for (const e of events) {
    const fd = e.args[0]
    const call = FILE_CALLS[e.name]
    if (call) {
      const flags = e.args[call.paths[0][1] + 1] ?? ''
      const writing = call.write === 'flags' ? WRITE_FLAGS.test(flags) : call.write
      for (const [dirfd, at] of call.paths) {
        const given = unquote(e.args[at])
        if (!given) continue
        if (!given.startsWith('/') && dirfd !== -1 && e.args[dirfd] !== 'AT_FDCWD') continue
        const p = path.resolve(facts.root, given)
        if (facts.own(p)) continue
        if (writing && e.errno === 'EROFS') writes.set(p, e.name.startsWith('mkdir'))
        else if (!writing && e.errno === null && !facts.visible(p)) {
          const seen = read.get(p) ?? { looked: false, opened: false }
          if (LOOKS.has(e.name)) seen.looked = true
          else seen.opened = true
          read.set(p, seen)
        }
      }
    }
    switch (e.name) {
      case 'socket': {
        const type = int(e.args[1])
        if (e.errno === null && (/SOCK_DGRAM/.test(e.args[1] ?? '') || (type !== null && (type & 0xfn) === 2n))) datagram.add(e.ret)
        break
      }
      case 'bind':
      case 'getsockname': {
        const at = endpoint(e.args[1])
        if (e.errno !== null || !at?.tcp) break
        if (e.name === 'bind') bound.add(fd)
        if (at.tcp.port !== 0 && (e.name === 'bind' || bound.has(fd))) ownPorts.add(at.tcp.port)
        break
      }
      case 'connect': {
        const at = endpoint(e.args[1])
        if (!at || datagram.has(fd)) break
        if (at.unix !== undefined) {
          if (e.errno === null && at.unix.startsWith('/') && !facts.visible(at.unix) && !facts.own(at.unix)) reached.push(`unix:${at.unix}`)
        } else if (at.tcp && at.tcp.port !== 53) {
          // A non-blocking connect finishes later: libuv reads the outcome with getsockopt(SO_ERROR).
          if (e.errno === null) reached.push(at.tcp)
          else if (e.errno === 'EINPROGRESS') pending.set(fd, shown(at.tcp.address, at.tcp.port))
        }
        break
      }
      case 'getsockopt': {
        const target = pending.get(fd)
        if (target === undefined || e.args[2] !== 'SO_ERROR') break
        pending.delete(fd)
        if (e.args[3] === '[0]') {
          const m = /^\[?(.+?)\]?:(\d+)$/.exec(target)!
          reached.push({ address: m[1], port: Number(m[2]) })
        }
        break
      }
      default:
        break
    }
    const answer = facts.answer(e.name, e.args.map((a) => int(a) ?? 0n))
    if (answer !== null && answer !== 'ENOSYS') syscalls.add(e.name)
  }

  const connections = new Set<string>()
  for (const r of reached) {
    if (typeof r === 'string') connections.add(r)
    // A port the sandbox's own processes serve is theirs, not the host's (record mode shares the host's loopback).
    else if (!(isLoopback(r.address) && ownPorts.has(r.port))) connections.add(shown(r.address, r.port))
  }
  return {
    reads: narrowest(read),
    writes: [...writes].map(([p, mkdir]) => ({ path: p, mkdir })),
    connections: [...connections].sort(),
    syscalls: [...syscalls].sort(),
  }
}

/**
 * The paths to allow: a folder only looked at on the way to something inside it is dropped; what is
 * inside a folder that was itself opened (listed) is covered by it.
 */
function narrowest(read: Map<string, { looked: boolean; opened: boolean }>): string[] {
  const paths = [...read.keys()]
  const inside = (p: string, dir: string) => p.startsWith(`${dir}/`)
  return paths.filter((p) => {
    const seen = read.get(p)!
    if (!seen.opened && paths.some((q) => inside(q, p))) return false
    return !paths.some((q) => read.get(q)!.opened && inside(p, q))
  }).sort()
}
