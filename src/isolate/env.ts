/**
 * The sandbox's environment: an allowlist, not a denylist, so a CI secret with a name nobody thought
 * of (GITHUB_TOKEN, AWS_SECRET_ACCESS_KEY, NPM_TOKEN, …) stays outside unless the config lets it in.
 */
import picomatch from 'picomatch'

/** Host variables that pass by default: locale, terminal and colour, CI detection, Node/Vitest mode. */
export const DEFAULT_ENV_ALLOW = [
  'PATH', 'LANG', 'LANGUAGE', 'LC_*', 'TZ', 'TERM', 'COLORTERM', 'CI', 'NODE_ENV',
  'FORCE_COLOR', 'NO_COLOR', 'FORCE_TTY', 'TEST', 'VITEST', 'VITEST_*',
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
}

export function sandboxEnv(input: EnvInput): Record<string, string> {
  const allowed = picomatch([...DEFAULT_ENV_ALLOW, ...input.allow])
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(input.workerEnv)) {
    if (value !== undefined && allowed(name)) env[name] = value
  }
  return {
    ...env,
    ...input.configEnv,
    HOME: input.home,
    USER: input.user,
    LOGNAME: input.user,
    SHELL: '/bin/sh',
    TMPDIR: '/tmp',
    ...input.set,
  }
}
