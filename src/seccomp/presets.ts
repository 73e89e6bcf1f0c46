/**
 * The two built-in policies as readable tables. Pure data: src/seccomp/plan.ts turns them (plus the
 * user's rules) into libseccomp operations, resolving names per architecture — a name the
 * architecture lacks (iopl on aarch64, vfork on aarch64, …) is skipped there, not an error.
 *
 * Argument checks on `int`/`unsigned int` arguments compare the low 32 bits only (masked_eq with
 * 0xffffffff): the kernel ignores the upper half of the register for those, so a plain 64-bit `eq`
 * could be sidestepped with garbage in the upper bits.
 */
import { CLONE_FLAGS, IOCTL_REQUESTS, PERSONALITY_FLAGS, SYMBOLS } from './constants.js'
import type { ArgOp } from './types.js'

/** An argument comparison with its values already numeric (mask only for masked_eq). */
export interface PresetCmp {
  index: number
  op: ArgOp
  value: bigint
  mask?: bigint
}

export type PresetAnswer = 'allow' | 'EPERM' | 'ENOSYS'

export interface PresetEntry {
  syscall: string
  answer: PresetAnswer
  /** All must hold (AND). Empty: always. */
  when: PresetCmp[]
  why: string
}

const LOW32 = 0xffffffffn
/** `(arg[index] & 0xffffffff) === value`: an exact match on a 32-bit argument. */
const is32 = (index: number, value: number): PresetCmp => ({ index, op: 'masked_eq', mask: LOW32, value: BigInt(value) })
/** `arg[index]` has every bit of `flag` set. */
const hasFlag = (index: number, flag: number): PresetCmp => ({ index, op: 'masked_eq', mask: BigInt(flag), value: BigInt(flag) })

interface Row {
  syscalls: string[]
  answer: PresetAnswer
  when?: PresetCmp[]
  why: string
}

const expand = (rows: Row[]): readonly PresetEntry[] =>
  Object.freeze(rows.flatMap((r) => r.syscalls.map((syscall) => ({ syscall, answer: r.answer, when: r.when ?? [], why: r.why }))))

/** Namespace flags clone(2) accepts (CLONE_NEWTIME is not among them: clone() reads bit 0x80 as part of the exit signal). */
export const CLONE_NAMESPACE_FLAGS = [
  'CLONE_NEWNS', 'CLONE_NEWCGROUP', 'CLONE_NEWUTS', 'CLONE_NEWIPC', 'CLONE_NEWUSER', 'CLONE_NEWPID', 'CLONE_NEWNET',
] as const

/** personality(2) flags that weaken the memory layout of whatever runs next. */
export const UNSAFE_PERSONALITY_FLAGS = ['ADDR_NO_RANDOMIZE', 'READ_IMPLIES_EXEC', 'ADDR_COMPAT_LAYOUT', 'MMAP_PAGE_ZERO'] as const

// ─────────────────────────────────────────────────────────────────────────────────────────────────
// 'default': allow everything except the rows below (answer EPERM unless the row says otherwise).
// Compared with Docker's default profile (moby/profiles seccomp/default.json, an allowlist that
// admits most of these only with the matching capability) and nsjail (no built-in policy; its
// example configs kill ptrace/process_vm_* and answer io_uring_* with ENOSYS). The sandbox already
// drops every capability, so most of these would fail anyway: the filter removes the kernel code
// paths themselves, and closes the ones a fresh user namespace would reopen.
// ─────────────────────────────────────────────────────────────────────────────────────────────────
const DEFAULT_ROWS: Row[] = [
  {
    syscalls: ['mount', 'umount2', 'umount', 'pivot_root', 'move_mount', 'open_tree', 'fsopen', 'fsconfig', 'fsmount', 'fspick', 'mount_setattr'],
    answer: 'EPERM',
    why: 'Mount table changes (old and new mount API). bwrap built the file system view; nothing inside may rearrange it. Docker: CAP_SYS_ADMIN only (pivot_root never).',
  },
  {
    syscalls: ['unshare', 'setns'],
    answer: 'EPERM',
    why: 'Making or joining namespaces. A new user namespace hands out a full capability set and with it mount, netfilter, … code paths that most recent container escapes started from. Docker: CAP_SYS_ADMIN only.',
  },
  ...CLONE_NAMESPACE_FLAGS.map((flag): Row => ({
    syscalls: ['clone'],
    answer: 'EPERM',
    when: [hasFlag(0, CLONE_FLAGS[flag]!)],
    why: `clone() with ${flag}: same as unshare. Plain clone (fork, threads, vfork) stays allowed; one rule per flag, libseccomp ORs them. Docker: the same mask, unless CAP_SYS_ADMIN.`,
  })),
  {
    syscalls: ['clone3'],
    answer: 'ENOSYS',
    why: 'clone3 passes its flags in a struct seccomp cannot read, so it cannot be argument-checked; ENOSYS makes glibc (>= 2.34) fall back to clone(), which is. Docker and Flatpak answer ENOSYS too.',
  },
  {
    syscalls: ['ptrace', 'process_vm_readv', 'process_vm_writev', 'process_madvise', 'kcmp', 'pidfd_getfd'],
    answer: 'EPERM',
    why: "Reading or changing another process' memory or file descriptors. nsjail's example configs kill on ptrace/process_vm_*; Docker allows those on kernels >= 4.8 and the others only with CAP_SYS_PTRACE. Tests have no business debugging their neighbours.",
  },
  {
    syscalls: ['bpf', 'perf_event_open'],
    answer: 'EPERM',
    why: 'Large, bug-prone kernel interfaces (eBPF verifier, perf) with a long CVE record and no use in tests. Docker: CAP_BPF / CAP_PERFMON only.',
  },
  {
    syscalls: ['userfaultfd'],
    answer: 'EPERM',
    why: 'Lets a process stall kernel copies at will: a standard ingredient of kernel race exploits. Docker denies it too.',
  },
  {
    syscalls: ['keyctl', 'add_key', 'request_key'],
    answer: 'EPERM',
    why: 'The kernel keyring is not namespaced: keys would be shared with the host user and other sandboxes. Docker denies these too.',
  },
  {
    syscalls: ['kexec_load', 'kexec_file_load', 'reboot'],
    answer: 'EPERM',
    why: 'Machine control. Docker: CAP_SYS_BOOT only (reboot), never kexec.',
  },
  {
    syscalls: ['init_module', 'finit_module', 'delete_module'],
    answer: 'EPERM',
    why: 'Kernel modules. Docker: CAP_SYS_MODULE only.',
  },
  {
    syscalls: ['swapon', 'swapoff', 'acct', 'quotactl', 'quotactl_fd'],
    answer: 'EPERM',
    why: 'Host-wide administration (swap, process accounting, quotas). Docker: acct/quotactl with the matching capability only, swapon/swapoff never.',
  },
  {
    syscalls: ['open_by_handle_at', 'name_to_handle_at'],
    answer: 'EPERM',
    why: "File handles reach files outside the mount namespace (Docker's 2014 \"shocker\" escape). Docker: open_by_handle_at with CAP_DAC_READ_SEARCH only; it allows name_to_handle_at, which only makes handles — denied here as it has no use without the other.",
  },
  {
    syscalls: ['iopl', 'ioperm'],
    answer: 'EPERM',
    why: 'Raw x86 I/O port access (absent on aarch64, skipped there). Docker: CAP_SYS_RAWIO only.',
  },
  {
    syscalls: ['settimeofday', 'clock_settime', 'adjtimex', 'clock_adjtime'],
    answer: 'EPERM',
    why: 'Setting or slewing the system clock, which is not namespaced. Docker: settimeofday/clock_settime with CAP_SYS_TIME only; it allows adjtimex/clock_adjtime (their read-only form), denied here too because nothing in a test needs them.',
  },
  {
    syscalls: ['syslog'],
    answer: 'EPERM',
    why: 'The kernel log (dmesg) leaks kernel addresses and host activity when kernel.dmesg_restrict is off. Docker: CAP_SYSLOG only.',
  },
  {
    syscalls: ['personality'],
    answer: 'allow',
    when: [is32(0, 0xffffffff)],
    why: 'personality(0xffffffff) only reads the current persona; listed before the rows below because 0xffffffff has every flag bit set.',
  },
  ...UNSAFE_PERSONALITY_FLAGS.map((flag): Row => ({
    syscalls: ['personality'],
    answer: 'EPERM',
    when: [hasFlag(0, PERSONALITY_FLAGS[flag]!)],
    why: `personality() setting ${flag}: turns off ASLR / W^X protections for what the process runs next. Docker allows only a handful of exact personas (0, 8, 0x20000, 0x20008, query).`,
  })),
  {
    syscalls: ['io_uring_setup', 'io_uring_enter', 'io_uring_register'],
    answer: 'ENOSYS',
    why: 'Operations submitted through an io_uring are not system calls, so this filter could not see them; io_uring also has a long CVE record. ENOSYS makes libuv use its thread pool instead. nsjail configs: ENOSYS; Docker: denied.',
  },
  // Beyond the list (same reasoning, kept small):
  ...(['TIOCSTI', 'TIOCLINUX'] as const).map((request): Row => ({
    syscalls: ['ioctl'],
    answer: 'EPERM',
    when: [is32(1, IOCTL_REQUESTS[request]!)],
    why: `ioctl(${request}) pushes input into a terminal: with a controlling terminal inherited from the host, a test could type commands into the user's shell (bubblewrap CVE-2017-5226). Flatpak denies it the same way; the pool also passes --new-session.`,
  })),
  ...(['AF_VSOCK', 'AF_ALG'] as const).map((family): Row => ({
    syscalls: ['socket'],
    answer: 'EPERM',
    when: [is32(0, SYMBOLS[family]!)],
    why: family === 'AF_VSOCK'
      ? 'socket(AF_VSOCK): vsock is not network-namespaced, so inside a VM it reaches the host even with network: loopback. Docker denies it.'
      : 'socket(AF_ALG): the kernel crypto API as sockets, unused by Node (OpenSSL computes in user space) and a recurring CVE source. Docker denies it.',
  })),
]

export const DEFAULT_DENY: readonly PresetEntry[] = expand(DEFAULT_ROWS)

// ─────────────────────────────────────────────────────────────────────────────────────────────────
// 'strict': the 'default' rows above first (so clone keeps its namespace check), then these; every
// other system call fails with EPERM.
//
// Provenance, per row:
//   seen    – made by Node v20.20.2 and/or v22.23.3 (x86_64, glibc 2.36, Debian 12) inside
//             `bwrap --unshare-all`, measured with `strace -f` by `node bench/seccomp-syscalls.mjs
//             [--node …]`: test/seccomp/fixtures/workload.mjs (worker_threads, child_process incl.
//             sh/ls/cat/sleep/node children, fs + fs.watch, http/fetch/net/dgram/unix sockets on
//             loopback, dns.lookup('localhost'), crypto, zlib, timers, signals) and `vitest run` (main
//             process + forks workers) on a scratch project running that workload: 113 distinct
//             calls over both versions (108 with Node 20, 112 with Node 22). x86_64 only: the
//             aarch64 names below are siblings, not measurements.
//   sibling – not seen, but the same operation under another name: aarch64 has only the *at / *2 /
//             p* forms of many calls (open → openat, pipe → pipe2, dup2 → dup3, …), and libc picks
//             between variants by version (readv/writev, dup/dup2, recvfrom/recvmsg, …).
//   robust  – not seen, but needed in conditions the measurement did not hit: vDSO clock fallbacks,
//             restarted system calls after a signal, memory protection keys on CPUs that have them,
//             libuv's sendfile fallback when copy_file_range cannot cross file systems, …
// ─────────────────────────────────────────────────────────────────────────────────────────────────
interface StrictRow {
  syscalls: string[]
  provenance: 'seen' | 'sibling' | 'robust'
  when?: PresetCmp[]
  why: string
}

const STRICT_ROWS: StrictRow[] = [
  // Processes and threads
  { provenance: 'seen', syscalls: ['execve', 'exit', 'exit_group', 'wait4', 'kill', 'tgkill', 'getpid', 'getppid', 'gettid', 'setsid'], why: 'Running and reaping children (child_process), thread and process exit.' },
  { provenance: 'seen', syscalls: ['clone', 'vfork'], why: 'fork, threads and spawning (clone keeps the namespace-flag check from the default rows); /bin/sh (dash) runs commands with vfork. clone3 and (Node 22) io_uring_setup/enter are seen too, but answered ENOSYS by the default rows.' },
  { provenance: 'seen', syscalls: ['set_tid_address', 'set_robust_list', 'rseq', 'futex', 'sched_yield', 'sched_getaffinity'], why: 'glibc thread start-up and locking; libuv sizes its thread pool from the affinity mask.' },
  { provenance: 'seen', syscalls: ['prctl', 'arch_prctl', 'prlimit64', 'getrusage', 'getpriority', 'setpriority', 'capget', 'umask', 'uname', 'sysinfo'], why: 'Thread names and TLS setup (arch_prctl: x86_64 only), resource limits/usage, os.*Priority, process.umask, os.* information.' },
  { provenance: 'robust', syscalls: ['restart_syscall', 'tkill', 'waitid'], why: 'The kernel restarts interrupted sleeps through restart_syscall; older libcs signal threads with tkill; waitid is the other way to reap a child.' },
  { provenance: 'robust', syscalls: ['getpgrp', 'getpgid', 'setpgid', 'getsid'], why: 'Process groups: /bin/sh and child_process with detached children.' },
  // Identity
  { provenance: 'seen', syscalls: ['getuid', 'geteuid', 'getgid', 'getegid', 'getgroups'], why: 'Identity queries (libc start-up, os.userInfo, process.getgroups, access checks in sh).' },
  { provenance: 'sibling', syscalls: ['getresuid', 'getresgid'], why: 'The other form of the identity queries.' },
  { provenance: 'seen', syscalls: ['capset', 'setresuid', 'setresgid', 'setgroups'], why: "The pool's own launcher when Vitest runs as root: inside the already-filtered sandbox, setpriv (src/isolate/bwrap.ts switchUser) keeps its capabilities across the switch (capset) and becomes the sandbox user (setresuid/setresgid/setgroups); without these every sandbox fails with `setpriv: activate capabilities: Operation not permitted`. Measured with `strace -f setpriv --reuid --regid --clear-groups`. Harmless afterwards: the worker has no capabilities left, so they can only lower privileges." },
  // Memory
  { provenance: 'seen', syscalls: ['brk', 'mmap', 'munmap', 'mprotect', 'madvise', 'pkey_alloc'], why: 'Heap, V8 pages and code space; pkey_alloc: V8/OpenSSL probe memory protection keys.' },
  { provenance: 'robust', syscalls: ['pkey_mprotect', 'pkey_free', 'mremap'], why: 'On CPUs with protection keys pkey_alloc succeeds and V8 then uses pkey_mprotect (not on this VM); glibc grows large allocations with mremap.' },
  // Signals
  { provenance: 'seen', syscalls: ['rt_sigaction', 'rt_sigprocmask', 'rt_sigreturn', 'sigaltstack'], why: 'Signal handlers (libuv, process.on(signal)), returning from them, the alternate stack Node sets up.' },
  { provenance: 'robust', syscalls: ['rt_sigsuspend', 'rt_sigtimedwait'], why: 'Shells wait for children and signals with these.' },
  // Files
  { provenance: 'seen', syscalls: ['read', 'write', 'writev', 'pread64', 'pwrite64', 'preadv', 'pwritev', 'lseek', 'open', 'openat', 'close', 'fcntl', 'ioctl', 'dup2', 'pipe2'], why: 'File descriptor I/O (fs, streams, stdio, IPC pipes); ioctl keeps the TIOCSTI check from the default rows.' },
  { provenance: 'seen', syscalls: ['fstat', 'stat', 'lstat', 'newfstatat', 'statx', 'statfs', 'access', 'getcwd', 'chdir', 'getdents64', 'readlink'], why: 'Looking at files (fs.stat*, module resolution, fs.statfs, fs.access, process.chdir, readdir, realpath).' },
  { provenance: 'seen', syscalls: ['mkdir', 'rmdir', 'unlink', 'rename', 'link', 'symlink', 'chmod', 'fchmod', 'chown', 'fchown', 'utimensat', 'ftruncate', 'fsync', 'fdatasync', 'fadvise64', 'copy_file_range'], why: 'Changing files (fs.mkdir/rm/rename/link/symlink/chmod/chown/utimes/truncate/fsync/copyFile/cp, snapshots).' },
  { provenance: 'seen', syscalls: ['getxattr', 'lgetxattr'], why: 'ls -l (and other coreutils) look for ACLs/SELinux labels.' },
  { provenance: 'sibling', syscalls: ['readv', 'dup', 'dup3', 'pipe', 'fstatfs', 'truncate', 'fchdir', 'lchown', 'fchownat', 'fchmodat', 'faccessat', 'faccessat2', 'mkdirat', 'unlinkat', 'renameat', 'renameat2', 'linkat', 'symlinkat', 'readlinkat', 'fgetxattr', 'listxattr', 'llistxattr'], why: 'The same file operations under the names aarch64 (which lacks open/stat/mkdir/…/pipe/dup2) and other libc versions use.' },
  { provenance: 'robust', syscalls: ['sendfile'], why: 'libuv copies with sendfile when copy_file_range cannot (e.g. across file systems).' },
  // Waiting, events, time
  { provenance: 'seen', syscalls: ['epoll_create1', 'epoll_ctl', 'epoll_pwait', 'eventfd2', 'inotify_init1', 'inotify_add_watch', 'inotify_rm_watch', 'clock_nanosleep'], why: "libuv's event loop, fs.watch (inotify), sleep(1)." },
  { provenance: 'sibling', syscalls: ['epoll_wait', 'epoll_create', 'eventfd', 'inotify_init', 'poll', 'ppoll', 'select', 'pselect6', 'nanosleep'], why: 'Older/other forms of the same waits (glibc getaddrinfo and many tools poll; aarch64 has only ppoll/pselect6).' },
  { provenance: 'robust', syscalls: ['clock_gettime', 'clock_getres', 'gettimeofday', 'time', 'getcpu'], why: 'Normally answered by the vDSO without a system call, but the kernel falls back to the real call with some clock sources (common in VMs).' },
  // Sockets (loopback HTTP, IPC, dns.lookup, os.networkInterfaces via netlink)
  ...(['AF_UNIX', 'AF_INET', 'AF_NETLINK'] as const).map((family): StrictRow => ({
    provenance: 'seen', syscalls: ['socket'], when: [is32(0, SYMBOLS[family]!)],
    why: `socket(${family}): ${family === 'AF_NETLINK' ? 'os.networkInterfaces() and getaddrinfo() ask the kernel for addresses' : 'loopback http/fetch/net/dgram, unix sockets'}. Other families stay EPERM.`,
  })),
  { provenance: 'sibling', syscalls: ['socket'], when: [is32(0, SYMBOLS.AF_INET6!)], why: 'socket(AF_INET6): IPv6 loopback (::1, listen on ::), the twin of AF_INET.' },
  { provenance: 'seen', syscalls: ['socketpair', 'bind', 'listen', 'accept4', 'connect', 'getsockname', 'getpeername', 'getsockopt', 'setsockopt', 'sendto', 'sendmsg', 'recvmsg', 'shutdown'], why: 'http/fetch/net/dgram on loopback, unix sockets, the child_process IPC socketpair, netlink for os.networkInterfaces and getaddrinfo.' },
  { provenance: 'sibling', syscalls: ['accept', 'recvfrom', 'sendmmsg', 'recvmmsg'], why: 'The other send/receive forms libuv (UDP batching) and libc use.' },
  // Randomness
  { provenance: 'seen', syscalls: ['getrandom'], why: 'crypto.randomBytes, V8 and OpenSSL seeding.' },
]

export const STRICT_ALLOW: readonly (PresetEntry & { provenance: StrictRow['provenance'] })[] = Object.freeze(
  STRICT_ROWS.flatMap((r) => r.syscalls.map((syscall) => ({ syscall, answer: 'allow' as const, when: r.when ?? [], why: r.why, provenance: r.provenance }))),
)

/**
 * Not allowed under 'strict', but answered ENOSYS instead of EPERM: newer calls that libc/libuv try
 * first and fall back from only on ENOSYS ("this kernel does not have it").
 */
const STRICT_ENOSYS_ROWS: Row[] = [
  {
    syscalls: ['close_range', 'epoll_pwait2', 'openat2', 'fchmodat2', 'pidfd_open', 'pidfd_send_signal', 'futex_waitv', 'cachestat', 'map_shadow_stack', 'mseal', 'landlock_create_ruleset', 'memfd_secret'],
    answer: 'ENOSYS',
    why: 'Newer system calls that glibc, libuv or tools probe and fall back from on ENOSYS (closefrom, epoll, fchmodat, pidfd child handling, CET shadow stacks, …); EPERM would be taken as a real failure.',
  },
]

export const STRICT_ENOSYS: readonly PresetEntry[] = expand(STRICT_ENOSYS_ROWS)
