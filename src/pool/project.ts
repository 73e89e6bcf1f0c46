/**
 * Per-project facts the sandbox plans need, gathered once (effectful: realpath, mkdir, bwrap probe):
 * the policy resolver, the identity, and the host paths every worker of the project must see.
 */
import { existsSync, mkdirSync, realpathSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { TestProject } from 'vitest/node'
import { createPolicyResolver, optionLayers, type PolicyResolver } from '../policy/resolve.js'
import { OptionError, Problems } from '../policy/errors.js'
import type { NsjailOptions } from '../policy/types.js'
import { compileSeccomp, validateSeccompOption } from '../seccomp/index.js'
import { nodeModulesChain, probeHostLayout, sandboxIdentity, withRealpath, type Bwrap } from '../isolate/host.js'
import type { HostLayout } from '../isolate/plan.js'
import type { Identity } from '../isolate/etc.js'

export interface ProjectSandbox extends Preflight {
  /** Host paths every worker needs read-only (besides the project root). */
  needs: string[]
  /** The node binary, by its real path (it is mounted there). */
  node: string
}

/** This package's own files (the worker-side snapshot environment lives in dist/worker). */
const PACKAGE_ROOT = path.resolve(fileURLToPath(import.meta.url), '../../..')

const FILE_FLAGS = new Set(['--require', '-r', '--import', '--loader', '--experimental-loader'])

/** Files named by execArgv (`--require x.cjs`, `--import=file:///…`) that the worker will load natively. */
export function execArgvFiles(execArgv: string[]): string[] {
  const files: string[] = []
  execArgv.forEach((arg, i) => {
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined]
    if (!FILE_FLAGS.has(flag)) return
    const value = inline ?? execArgv[i + 1]
    if (!value) return
    const file = value.startsWith('file:') ? fileURLToPath(value) : value
    if (path.isAbsolute(file)) files.push(file)
  })
  return files
}

/** Paths named in options must exist: bwrap would otherwise fail every worker with a vaguer message. */
function checkPathsExist(options: NsjailOptions, root: string, problems: Problems): void {
  for (const { at, layer } of optionLayers(options)) {
    for (const key of ['readonly', 'writable'] as const) {
      layer.fs?.[key]?.forEach((p, i) => {
        if (!existsSync(path.resolve(root, p))) {
          problems.add(new OptionError(`${at}fs.${key}[${i}]`, p, 'an existing host path (it is mounted into the sandbox at the same place)'))
        }
      })
    }
  }
}

/** What is known before any test runs: options checked against the host, bwrap found usable. */
export interface Preflight {
  root: string
  resolver: PolicyResolver
  identity: Identity
  bwrap: Bwrap
  host: HostLayout
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
 * The checks of the options against this host (paths exist; seccomp rules compile, unless
 * libseccomp is known to be missing). Throws OptionsError.
 */
export function checkProjectOptions(root: string, options: NsjailOptions, seccomp = true): void {
  const problems = new Problems()
  checkPathsExist(options, root, problems)
  if (seccomp) compileSeccompOptions(options, problems)
  problems.throwIfAny()
}

/** `bwrap`: the binary the run's machine check found usable. */
export async function preflightProject(project: TestProject, options: NsjailOptions, bwrap: Bwrap): Promise<Preflight> {
  const root = project.config.root
  const resolver = createPolicyResolver(options, root)
  checkProjectOptions(root, options)
  return { root, resolver, identity: sandboxIdentity(root), bwrap, host: probeHostLayout() }
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

export function prepareProject(project: TestProject, preflight: Preflight, distPath: string, execArgv: string[]): ProjectSandbox {
  const node = realpathSync(process.execPath)
  const cache = moduleCacheDir(project)
  const needs = [
    ...nodeModulesChain(preflight.root),
    ...(cache ? withRealpath(cache) : []),
    ...withRealpath(path.resolve(distPath, '..')),
    ...withRealpath(PACKAGE_ROOT),
    ...execArgvFiles(execArgv).flatMap(withRealpath),
    node,
  ]
  return { ...preflight, needs, node }
}
