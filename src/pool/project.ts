/**
 * Per-project facts the sandbox plans need, gathered once (effectful: realpath, mkdir):
 * the policy resolver, the identity, and the host paths every worker of the project must see.
 */
import { existsSync, mkdirSync, realpathSync } from 'node:fs'
import path from 'node:path'
import type { TestProject } from 'vitest/node'
import { createPolicyResolver, optionLayers, type PolicyResolver } from '../policy/resolve.js'
import { OptionError, Problems } from '../policy/errors.js'
import type { NsjailOptions } from '../policy/types.js'
import { compileSeccomp, validateSeccompOption } from '../seccomp/index.js'
import { gitRepository, nodeModulesChain, probeHostLayout, sandboxIdentity, withRealpath, type Bwrap } from '../isolate/host.js'
import { checkApiServer, checkForwardTargets, type ApiServer } from '../relay/preflight.js'
import type { HostLayout } from '../isolate/plan.js'
import type { Identity } from '../isolate/etc.js'
import { preloads } from '../isolate/preload.js'
import { checkWritable, createWritable } from './writable.js'
import { profileOutputProblems } from './profiles.js'
import { workspacePackages } from '../isolate/workspace.js'
import { checkEnvFiles } from './env-files.js'
import { checkProjectReadable } from './readable.js'
import { vitestFileMatcher, type VitestFileMatcher } from '../channel/file-targets.js'
import { projectVitestFiles } from '../channel/sandbox-host-io.js'
import { checkRootfs } from '../rootfs/preflight.js'
import { RootfsBuilder } from '../rootfs/builder.js'
import type { BaseRoot } from '../rootfs/base.js'
import type { RootfsPolicy } from '../rootfs/types.js'
import { PACKAGE_ROOT } from '../built-files.js'

export interface ProjectSandbox extends Preflight {
  /** Host paths every worker needs read-only (besides the project root). */
  needs: string[]
  /** The node binary, by its real path (it is mounted there). */
  node: string
  /** What of Vitest's a file is (a test, setup or config file), for the snapshot write rules. */
  vitestFile: VitestFileMatcher
  /** The system part of the root for a policy's `rootfs` (undefined: the host's /usr), built once per run. */
  base(rootfs: RootfsPolicy): BaseRoot | undefined
  /** The host-written compile cache every worker reads (./compile-cache.ts), if the run has one. */
  compileCache?: string
}

/**
 * `fs.readonly` paths must exist: bwrap would otherwise fail every worker with a vaguer message.
 * (Missing `fs.writable` folders are created: ./writable.ts.)
 */
function checkReadonlyExist(options: NsjailOptions, root: string, problems: Problems): void {
  for (const { at, layer } of optionLayers(options)) {
    layer.fs?.readonly?.forEach((p, i) => {
      const abs = path.resolve(root, p)
      if (!existsSync(abs)) {
        problems.add(new OptionError(`${at}fs.readonly[${i}]`, p,
          `an existing host path (it is mounted into the sandbox at the same place; relative paths resolve against the project root ${root}): ${abs} does not exist`))
      }
    })
  }
}

/** Variables set in Vitest's config (`test.env`, the run's and the project's): meant for the tests, so they pass. */
export function configEnv(project: TestProject): Record<string, string> {
  return { ...(project.vitest.config.env as Record<string, string>), ...(project.config.env as Record<string, string>) }
}

/** What is known before any test runs: options checked against the host, bwrap found usable. */
export interface Preflight {
  root: string
  resolver: PolicyResolver
  identity: Identity
  bwrap: Bwrap
  host: HostLayout
  /** The git repository the project is in (git inside trusts it though another user owns it). */
  gitRepositories: string[]
}

/**
 * Every seccomp option compiles (unknown syscalls and errno names are found by libseccomp), each
 * under its own option path so the message names the rule. Compiled programs are cached for the run.
 */
function compileSeccompOptions(options: NsjailOptions, problems: Problems): void {
  for (const { at, layer } of optionLayers(options)) {
    problems.check(() => {
      const policy = validateSeccompOption(layer.seccomp, `${at}seccomp`)
      if (policy) compileSeccomp(policy, `${at}seccomp`)
    })
  }
}

/**
 * Everything that can be found wrong with the options before any test runs, reported at once:
 * option values against the host, folders and files the sandbox user could not use (seccomp rules
 * compile unless libseccomp is known to be missing). Creates nothing; returns the missing
 * `fs.writable` folders to create. Throws OptionsError.
 */
export async function checkProjectOptions(project: TestProject, options: NsjailOptions, identity: Identity, seccomp = true): Promise<string[]> {
  const root = project.config.root
  const problems = new Problems()
  checkReadonlyExist(options, root, problems)
  const missingWritable = checkWritable(options, root, identity, problems)
  checkRootfs(options, root, identity, problems)
  checkEnvFiles(options, process.env, configEnv(project), root, identity, problems)
  checkForwardTargets(options, root, problems)
  checkApiServer(options, project.vitest.config.api as ApiServer | undefined, problems)
  if (seccomp) compileSeccompOptions(options, problems)
  for (const problem of profileOutputProblems(project.config.execArgv ?? [], root, writableFolders(options, root))) problems.add(problem)
  const unreadable = await checkProjectReadable(project, root, identity)
  if (unreadable) problems.add(unreadable)
  problems.throwIfAny()
  return missingWritable
}

/** Every folder some sandbox of the project may write: each rule's `fs.writable`, against the root. */
export function writableFolders(options: NsjailOptions, root: string): string[] {
  return optionLayers(options).flatMap(({ layer }) => (layer.fs?.writable ?? []).map((p) => path.resolve(root, p)))
}

/** Checks the options, then creates the missing `fs.writable` folders. `bwrap`: the binary the run's machine check found usable. */
export async function preflightProject(project: TestProject, options: NsjailOptions, bwrap: Bwrap): Promise<Preflight> {
  const root = project.config.root
  const resolver = createPolicyResolver(options, root)
  const identity = sandboxIdentity(root, options.user)
  createWritable(await checkProjectOptions(project, options, identity), identity)
  return { root, resolver, identity, bwrap, host: probeHostLayout(), gitRepositories: gitRepository(root) }
}

/**
 * Vitest's on-disk module cache (4.1 `experimental.fsModuleCache`, 5.x `fsModuleCache`): on a hit the
 * worker reads the cached module itself, so the folder must be visible (read-only). It holds the
 * transformed code of every module the project's test files imported, whatever their policies.
 */
function moduleCacheDir(project: TestProject): string | null {
  type CacheConfig = { fsModuleCache?: boolean; fsModuleCachePath?: string }
  const config = project.config as unknown as CacheConfig & { experimental?: CacheConfig }
  const enabled = config.fsModuleCache ?? config.experimental?.fsModuleCache
  if (!enabled) return null
  const dir = config.fsModuleCachePath ?? config.experimental?.fsModuleCachePath ??
    path.join(project.vitest.config.root, 'node_modules', config.fsModuleCache ? '.vitest-cache' : '.experimental-vitest-cache')
  // Vitest creates it lazily; it must exist before it can be mounted.
  mkdirSync(dir, { recursive: true })
  return dir
}

export function prepareProject(project: TestProject, preflight: Preflight, distPath: string, execArgv: string[], compileCache?: string): ProjectSandbox {
  const node = realpathSync(process.execPath)
  const cache = moduleCacheDir(project)
  const needs = [
    ...nodeModulesChain(preflight.root),
    ...(cache ? withRealpath(cache) : []),
    ...withRealpath(path.resolve(distPath, '..')),
    ...withRealpath(PACKAGE_ROOT),
    ...preloads(execArgv, preflight.root).flatMap((p) => (p.file ? withRealpath(p.file) : [])),
    node,
  ]
  needs.push(...workspacePackages([preflight.root, ...needs], workspaceRoots(project)))
  // Addons are looked for in what the sandbox mounts anyway: the project and its needs.
  const rootfs = new RootfsBuilder(preflight.host, { node, visible: [preflight.root, ...needs] })
  return { ...preflight, needs, node, vitestFile: vitestFileMatcher(projectVitestFiles(project)), base: (policy) => rootfs.base(policy), compileCache }
}

/** Folders Vite lets this project's server read: the workspace root it found, the config's folder, … */
function workspaceRoots(project: TestProject): string[] {
  const allow = (project.vite.config.server?.fs?.allow ?? []) as string[]
  return allow.filter((p) => path.isAbsolute(p))
}
