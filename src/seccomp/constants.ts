/**
 * Symbolic values for argument comparisons and errno names. Pure data and parsing, no libseccomp.
 *
 * Only constants whose values are the same on x86_64 and aarch64 (the generic Linux ABI) are here;
 * syscall *numbers* are never hard-coded: libseccomp resolves them per architecture.
 */
import os from 'node:os'

/** Address families, the first argument of socket(2) (linux/socket.h). */
const ADDRESS_FAMILIES: Record<string, number> = {
  AF_UNSPEC: 0, AF_UNIX: 1, AF_LOCAL: 1, AF_INET: 2, AF_AX25: 3, AF_IPX: 4, AF_APPLETALK: 5,
  AF_NETROM: 6, AF_BRIDGE: 7, AF_ATMPVC: 8, AF_X25: 9, AF_INET6: 10, AF_ROSE: 11, AF_DECnet: 12,
  AF_NETBEUI: 13, AF_SECURITY: 14, AF_KEY: 15, AF_NETLINK: 16, AF_ROUTE: 16, AF_PACKET: 17,
  AF_ASH: 18, AF_ECONET: 19, AF_ATMSVC: 20, AF_RDS: 21, AF_SNA: 22, AF_IRDA: 23, AF_PPPOX: 24,
  AF_WANPIPE: 25, AF_LLC: 26, AF_IB: 27, AF_MPLS: 28, AF_CAN: 29, AF_TIPC: 30, AF_BLUETOOTH: 31,
  AF_IUCV: 32, AF_RXRPC: 33, AF_ISDN: 34, AF_PHONET: 35, AF_IEEE802154: 36, AF_CAIF: 37,
  AF_ALG: 38, AF_NFC: 39, AF_VSOCK: 40, AF_KCM: 41, AF_QIPCRTR: 42, AF_SMC: 43, AF_XDP: 44,
  AF_MCTP: 45,
}

/** Socket types and flags, the second argument of socket(2). */
const SOCKET_TYPES: Record<string, number> = {
  SOCK_STREAM: 1, SOCK_DGRAM: 2, SOCK_RAW: 3, SOCK_RDM: 4, SOCK_SEQPACKET: 5, SOCK_DCCP: 6,
  SOCK_PACKET: 10, SOCK_NONBLOCK: 0o4000, SOCK_CLOEXEC: 0o2000000,
}

/** Netlink protocols, the third argument of socket(AF_NETLINK, …). */
const NETLINK_PROTOCOLS: Record<string, number> = {
  NETLINK_ROUTE: 0, NETLINK_USERSOCK: 2, NETLINK_FIREWALL: 3, NETLINK_SOCK_DIAG: 4,
  NETLINK_NFLOG: 5, NETLINK_XFRM: 6, NETLINK_SELINUX: 7, NETLINK_ISCSI: 8, NETLINK_AUDIT: 9,
  NETLINK_FIB_LOOKUP: 10, NETLINK_CONNECTOR: 11, NETLINK_NETFILTER: 12, NETLINK_IP6_FW: 13,
  NETLINK_DNRTMSG: 14, NETLINK_KOBJECT_UEVENT: 15, NETLINK_GENERIC: 16, NETLINK_SCSITRANSPORT: 18,
  NETLINK_ECRYPTFS: 19, NETLINK_RDMA: 20, NETLINK_CRYPTO: 21, NETLINK_SMC: 22,
}

/** clone(2)/unshare(2) flags (linux/sched.h). */
export const CLONE_FLAGS: Record<string, number> = {
  CLONE_NEWTIME: 0x00000080, CLONE_VM: 0x00000100, CLONE_FS: 0x00000200, CLONE_FILES: 0x00000400,
  CLONE_SIGHAND: 0x00000800, CLONE_PIDFD: 0x00001000, CLONE_PTRACE: 0x00002000,
  CLONE_VFORK: 0x00004000, CLONE_PARENT: 0x00008000, CLONE_THREAD: 0x00010000,
  CLONE_NEWNS: 0x00020000, CLONE_SYSVSEM: 0x00040000, CLONE_SETTLS: 0x00080000,
  CLONE_PARENT_SETTID: 0x00100000, CLONE_CHILD_CLEARTID: 0x00200000, CLONE_DETACHED: 0x00400000,
  CLONE_UNTRACED: 0x00800000, CLONE_CHILD_SETTID: 0x01000000, CLONE_NEWCGROUP: 0x02000000,
  CLONE_NEWUTS: 0x04000000, CLONE_NEWIPC: 0x08000000, CLONE_NEWUSER: 0x10000000,
  CLONE_NEWPID: 0x20000000, CLONE_NEWNET: 0x40000000, CLONE_IO: 0x80000000,
}

/** personality(2) flags (linux/personality.h). */
export const PERSONALITY_FLAGS: Record<string, number> = {
  PER_LINUX: 0, PER_LINUX32: 0x0008, UNAME26: 0x0020000, ADDR_NO_RANDOMIZE: 0x0040000,
  FDPIC_FUNCPTRS: 0x0080000, MMAP_PAGE_ZERO: 0x0100000, ADDR_COMPAT_LAYOUT: 0x0200000,
  READ_IMPLIES_EXEC: 0x0400000, ADDR_LIMIT_32BIT: 0x0800000, SHORT_INODE: 0x1000000,
  WHOLE_SECONDS: 0x2000000, STICKY_TIMEOUTS: 0x4000000, ADDR_LIMIT_3GB: 0x8000000,
}

/** A few ioctl(2) requests that matter to a sandbox (asm-generic/ioctls.h, same on x86_64 and aarch64). */
export const IOCTL_REQUESTS: Record<string, number> = {
  TIOCSTI: 0x5412, TIOCLINUX: 0x541c, TIOCSCTTY: 0x540e, TIOCGWINSZ: 0x5413, TIOCSWINSZ: 0x5414,
  TCGETS: 0x5401, TCSETS: 0x5402, FIONREAD: 0x541b, FIONBIO: 0x5421, FIOCLEX: 0x5451, FIONCLEX: 0x5450,
}

export const SYMBOLS: Readonly<Record<string, number>> = Object.freeze({
  ...ADDRESS_FAMILIES,
  ...SOCKET_TYPES,
  ...NETLINK_PROTOCOLS,
  ...CLONE_FLAGS,
  ...PERSONALITY_FLAGS,
  ...IOCTL_REQUESTS,
})

export const U64_MAX = (1n << 64n) - 1n

/**
 * A user value → unsigned 64-bit bigint, or an error text. Accepts integers (negative ones as two's
 * complement, down to -2^63), bigints, numeric strings (decimal, 0x, 0o, 0b) and symbolic names
 * or-ed with `|`.
 */
export function parseValue(value: unknown): bigint | { error: string } {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) return { error: 'an integer (use a bigint or a string above 2^53)' }
    return toU64(BigInt(value))
  }
  if (typeof value === 'bigint') return toU64(value)
  if (typeof value === 'string') {
    const parts = value.split('|').map((part) => part.trim())
    if (parts.some((part) => part === '')) return { error: 'a number or symbolic constant(s) joined by |' }
    let result = 0n
    for (const part of parts) {
      let n: bigint | undefined
      if (/^-?(0x[0-9a-f]+|0o[0-7]+|0b[01]+|\d+)$/i.test(part)) {
        n = part.startsWith('-') ? -BigInt(part.slice(1)) : BigInt(part)
      } else if (Object.hasOwn(SYMBOLS, part)) {
        n = BigInt(SYMBOLS[part]!)
      } else {
        return { error: `a number or a known constant (${part} is not one: AF_*, SOCK_*, NETLINK_*, CLONE_*, personality and TIOC* names are known)` }
      }
      const u = toU64(n)
      if (typeof u !== 'bigint') return u
      result |= u
    }
    return result
  }
  return { error: 'a number, bigint or string' }
}

function toU64(n: bigint): bigint | { error: string } {
  if (n < -(1n << 63n) || n > U64_MAX) return { error: 'a value that fits in 64 bits' }
  return n < 0n ? n + (1n << 64n) : n
}

export function hex(n: bigint): string {
  return `0x${n.toString(16)}`
}

/** Errno name → number, from Node's own table (os.constants.errno). */
export function errnoNumber(name: string): number | undefined {
  const table = os.constants.errno as Record<string, number>
  return Object.hasOwn(table, name) ? table[name] : undefined
}
