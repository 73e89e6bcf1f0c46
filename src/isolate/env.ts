/**
 * The sandbox's environment: an allowlist, not a denylist, so a CI secret with a name nobody thought
 * of (GITHUB_TOKEN, AWS_SECRET_ACCESS_KEY, NPM_TOKEN, …) stays outside unless the config lets it in.
 */
import picomatch from 'picomatch'

/**
 * Host variables that pass by default (the README gives the reason for each): locale and time zone,
 * terminal, colour and width, CI detection, Node's own settings (memory flags, source maps,
 * conditions and preloads in NODE_OPTIONS, the extra CA file; the files they name are mounted),
 * the `debug` package's switches, and Vitest's mode.
 */
export const DEFAULT_ENV_ALLOW = [
  'PATH', 'LANG', 'LANGUAGE', 'LC_*', 'TZ',
  'TERM', 'COLORTERM', 'FORCE_COLOR', 'NO_COLOR', 'NODE_DISABLE_COLORS', 'CLICOLOR', 'CLICOLOR_FORCE', 'FORCE_TTY', 'COLUMNS', 'LINES',
  'CI', 'NODE_ENV', 'NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS',
  'DEBUG', 'DEBUG_COLORS', 'DEBUG_DEPTH', 'DEBUG_HIDE_DATE',
  'TEST', 'VITEST', 'VITEST_*',
]

export interface EnvInput {
  /** The environment Vitest prepared for the worker (host env merged with Vitest's own). */
  workerEnv: Record<string, string | undefined>
  /** Variables the user set explicitly in Vitest's config (`test.env`): they are meant for tests. */
  configEnv: Record<string, string>
  /** The policy's extra allow globs and explicit values. */
  allow: string[]
  set: Record<string, string>
  /** Identity inside the sandbox. */
  home: string
  user: string
  /**
   * Repositories git inside the sandbox trusts although another user owns them: as root the worker
   * is not the checkout's owner, and git refuses such a repository ("detected dubious ownership").
   */
  safeDirectories?: string[]
}

/** Names of `env` that the allowlist (the defaults plus `allow`) keeps out of the sandbox. */
export function withheldNames(env: Record<string, string | undefined>, allow: string[]): string[] {
  const allowed = picomatch([...DEFAULT_ENV_ALLOW, ...allow])
  return Object.keys(env).filter((name) => env[name] !== undefined && !allowed(name))
}

export function sandboxEnv(input: EnvInput): Record<string, string> {
  const allowed = picomatch([...DEFAULT_ENV_ALLOW, ...input.allow])
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(input.workerEnv)) {
    if (value !== undefined && allowed(name)) env[name] = value
  }
  return withSafeDirectories({
    ...env,
    ...input.configEnv,
    HOME: input.home,
    USER: input.user,
    LOGNAME: input.user,
    SHELL: '/bin/sh',
    TMPDIR: '/tmp',
    ...input.set,
  }, input.safeDirectories ?? [])
}

/**
 * `safe.directory` is honoured only from protected configuration: the system and global files, or
 * the command line, which GIT_CONFIG_COUNT/GIT_CONFIG_KEY_n/GIT_CONFIG_VALUE_n are. Entries the
 * environment already has (passed or set) are kept; ours follow them.
 */
function withSafeDirectories(env: Record<string, string>, dirs: string[]): Record<string, string> {
  if (dirs.length === 0) return env
  const existing = Number(env.GIT_CONFIG_COUNT)
  const first = Number.isInteger(existing) && existing > 0 ? existing : 0
  const out: Record<string, string> = { ...env, GIT_CONFIG_COUNT: String(first + dirs.length) }
  dirs.forEach((dir, i) => {
    out[`GIT_CONFIG_KEY_${first + i}`] = 'safe.directory'
    out[`GIT_CONFIG_VALUE_${first + i}`] = dir
  })
  return out
}
