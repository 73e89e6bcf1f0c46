/**
 * The sandbox's /etc is synthesized, not borrowed: only what libc and Node look up (users, hosts,
 * name service order), so the host's accounts, shadow file and configuration stay out of sight.
 */
export interface Identity {
  uid: number
  gid: number
  user: string
  home: string
  /**
   * Vitest runs as root: bwrap runs privileged (no user namespace, so the mounts can reach root-only
   * paths) and the worker switches to `uid` with setpriv as its last step, ending up a real
   * unprivileged host user with no capabilities. Otherwise the user namespace maps `uid` to itself.
   */
  setuid: boolean
}

/**
 * `resolvConf` is what /etc/resolv.conf holds: the host's own resolver configuration when the sandbox
 * shares the host's network (the resolver is reachable there), empty with the private network.
 * `hosts`: extra /etc/hosts lines (the private addresses of forwarded names, src/relay).
 */
export function etcFiles(identity: Identity, hostname: string, resolvConf: string, hosts: string[] = []): Record<string, string> {
  const { uid, gid, user, home } = identity
  const users = [`root:x:0:0:root:/root:/bin/sh`]
  if (uid !== 0) users.push(`${user}:x:${uid}:${gid}:sandbox user:${home}:/bin/sh`)
  users.push(`nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin`)
  const groups = ['root:x:0:']
  if (gid !== 0 && gid !== 65534) groups.push(`${user}:x:${gid}:`)
  groups.push('nogroup:x:65534:')
  return {
    '/etc/passwd': unique(users),
    '/etc/group': unique(groups),
    '/etc/hosts': [`127.0.0.1\tlocalhost ${hostname}`, '::1\tlocalhost ip6-localhost ip6-loopback', ...hosts].join('\n') + '\n',
    '/etc/hostname': `${hostname}\n`,
    '/etc/nsswitch.conf': 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n',
    '/etc/resolv.conf': resolvConf,
  }
}

function unique(lines: string[]): string {
  const seen = new Set<string>()
  return lines.filter((line) => {
    const name = line.split(':')[0]
    return !seen.has(name) && seen.add(name)
  }).join('\n') + '\n'
}

/**
 * Host /etc entries that are safe and useful to share read-only: CA certificates (not /etc/ssl/private),
 * the time zone, and the alternatives links some /usr/bin tools point through.
 */
export const SHARED_ETC = [
  '/etc/ssl/certs', '/etc/ssl/openssl.cnf', '/etc/ca-certificates', '/etc/pki/tls/certs', '/etc/pki/ca-trust',
  '/etc/localtime', '/etc/alternatives',
]
