/** `rootfs` option shapes (owned by src/rootfs; the policy layer only passes them through). */

/**
 * What the sandbox's root is built from. `'host'` (default): the host's /usr, read-only. `'minimal'`:
 * only what a Node worker needs, and busybox. `{ base: 'minimal', tools }`: that, plus named host
 * programs. `{ dir }`: an unpacked image root filesystem, with the host's Node on top.
 */
export type RootfsOption = 'host' | 'minimal' | { base: 'minimal'; tools?: string[] } | { dir: string }

/** Resolved: `dir` is absolute. */
export type RootfsPolicy = { base: 'host' } | { base: 'minimal'; tools: string[] } | { base: 'dir'; dir: string }
