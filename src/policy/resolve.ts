/**
 * Options + a test file → the Policy its sandbox gets. Pure. Rules are applied in order: a later
 * rule overrides earlier settings field by field (arrays are replaced, `env.set` is merged), only for
 * the files its globs match (picomatch, relative to the project root).
 */
import path from 'node:path'
import picomatch from 'picomatch'
import { DEFAULT_ROOTFS, resolveRootfs } from '../rootfs/option.js'
import { parseSize } from '../cgroup/limits.js'
import { resolveSandboxExtensions } from './extensions.js'
import { parseForwards } from '../relay/entries.js'
import type { NsjailOptions, Policy, SandboxOptions, UserOption } from './types.js'

export const DEFAULT_TMP_SIZE = 512 * 2 ** 20

const BASE_POLICY: Omit<Policy, 'seccomp' | 'limits' | 'budgets'> = {
  network: 'loopback',
  fs: { readonly: [], writable: [], tmpSize: DEFAULT_TMP_SIZE, hide: [] },
  env: { allow: [], set: {} },
  hostname: 'nsjail',
  rootfs: DEFAULT_ROOTFS,
}

export interface PolicyResolver {
  /** The policy of a file that no rule matches. */
  readonly topLevel: Policy
  /** The policy for one test file (absolute path). */
  forFile(file: string): Policy
  /** A string equal for two files exactly when their policies are equal. */
  keyForFile(file: string): string
  /** The rules that match the file, in the order they apply: `['rules[0]', 'rules[2]']`. */
  rulesForFile(file: string): string[]
}

/** The top-level options and each rule, with the prefix their option paths carry in messages. */
export function optionLayers(options: NsjailOptions): Array<{ at: string; layer: SandboxOptions }> {
  return [{ at: '', layer: options }, ...(options.rules ?? []).map((layer, i) => ({ at: `rules[${i}].`, layer }))]
}

function apply(base: Policy, layer: SandboxOptions, at: string, root: string): Policy {
  const abs = (p: string) => path.resolve(root, p)
  const name = (key: string) => (at ? `${at}.${key}` : key)
  const { seccomp, limits, budgets } = resolveSandboxExtensions(base, layer, name)
  return {
    network: typeof layer.network === 'object' ? { forward: parseForwards(layer.network.forward) } : layer.network ?? base.network,
    fs: {
      readonly: layer.fs?.readonly?.map(abs) ?? base.fs.readonly,
      writable: layer.fs?.writable?.map(abs) ?? base.fs.writable,
      tmpSize: layer.fs?.tmpSize !== undefined ? parseSize(layer.fs.tmpSize)! : base.fs.tmpSize,
      // Globs stay relative (they are matched in the project); paths resolve like fs.readonly.
      hide: layer.fs?.hide?.map((p) => (isGlob(p) ? p.replace(/^\.\//, '') : abs(p))) ?? base.fs.hide,
    },
    env: {
      allow: layer.env?.allow ?? base.env.allow,
      set: { ...base.env.set, ...layer.env?.set },
    },
    hostname: layer.hostname ?? base.hostname,
    // Replaced as a whole: a rule's base does not merge with the one before it.
    rootfs: layer.rootfs !== undefined ? resolveRootfs(layer.rootfs, root) : base.rootfs,
    seccomp,
    limits,
    budgets,
  }
}

/** Whether an `fs.hide` entry is a glob (matched in the project) rather than a path. */
export function isGlob(entry: string): boolean {
  return picomatch.scan(entry).isGlob
}

/** `options` must have passed validateOptions. */
export function createPolicyResolver(options: NsjailOptions, root: string): PolicyResolver {
  const initial = { ...BASE_POLICY, ...resolveSandboxExtensions(undefined, {}, (k) => k) } as Policy
  const top = apply(initial, options, '', root)
  const rules = (options.rules ?? []).map((rule, i) => ({
    at: `rules[${i}]`,
    rule,
    matches: picomatch(Array.isArray(rule.files) ? rule.files : [rule.files], { dot: true }),
  }))
  const cache = new Map<string, { policy: Policy; key: string; rules: string[] }>()
  // Policies are built once per distinct set of matching rules, so the per-file cost is the glob test.
  const byRuleSet = new Map<string, { policy: Policy; key: string; rules: string[] }>()

  function lookup(file: string) {
    let hit = cache.get(file)
    if (hit) return hit
    const relative = path.relative(root, file).split(path.sep).join('/')
    const matched = rules.filter((r) => r.matches(relative))
    const ruleSet = matched.map((r) => r.at).join(',')
    hit = byRuleSet.get(ruleSet)
    if (!hit) {
      const policy = matched.reduce((p, r) => apply(p, r.rule, r.at, root), top)
      hit = { policy, key: JSON.stringify(policy), rules: matched.map((r) => r.at) }
      byRuleSet.set(ruleSet, hit)
    }
    cache.set(file, hit)
    return hit
  }

  return {
    topLevel: top,
    forFile: (file) => lookup(file).policy,
    keyForFile: (file) => lookup(file).key,
    rulesForFile: (file) => lookup(file).rules,
  }
}

export const NOBODY = 65534

/**
 * The uid/gid the worker becomes when Vitest runs as root, from the `user` option and the project
 * root's owner. Never 0: the project of a CI container is usually root's, and then the worker is nobody.
 */
export function resolveUser(option: UserOption | undefined, owner: { uid: number; gid: number }): { uid: number; gid: number } {
  const nobody = { uid: NOBODY, gid: NOBODY }
  if (option === 'nobody') return nobody
  if (typeof option === 'object') return { uid: option.uid, gid: option.gid }
  return owner.uid !== 0 ? { uid: owner.uid, gid: owner.gid } : nobody
}

/** Files that share a policy, in order of first appearance. */
export interface PolicyGroupOfFiles {
  policy: Policy
  /** The rules that shaped it (none: the top-level options). */
  rules: string[]
  files: string[]
}

export function groupFilesByPolicy(resolver: PolicyResolver, files: Iterable<string>): PolicyGroupOfFiles[] {
  const groups = new Map<string, PolicyGroupOfFiles>()
  for (const file of files) {
    const key = resolver.keyForFile(file)
    const group = groups.get(key)
    if (group) group.files.push(file)
    else groups.set(key, { policy: resolver.forFile(file), rules: resolver.rulesForFile(file), files: [file] })
  }
  return [...groups.values()]
}
