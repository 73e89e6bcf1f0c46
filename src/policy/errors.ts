/**
 * Every bad option surfaces as one of these, before any test runs. The message always names the
 * option (as a path such as `rules[2].fs.tmpSize`), the value that was given and what is accepted.
 */
export class OptionError extends Error {
  constructor(
    readonly option: string,
    readonly value: unknown,
    readonly expected: string,
  ) {
    super(`vitest-pool-nsjail: option \`${option}\` is ${describe(value)}; expected ${expected}.`)
    this.name = 'OptionError'
  }
}

/** A sandbox that cannot be built on this machine (missing bwrap, user namespaces refused, …). */
export class SandboxUnavailableError extends Error {
  constructor(message: string) {
    super(`vitest-pool-nsjail: ${message}`)
    this.name = 'SandboxUnavailableError'
  }
}

export function describe(value: unknown): string {
  if (value === undefined) return 'undefined'
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'function') return 'a function'
  try {
    const text = JSON.stringify(value)
    return text.length > 80 ? `${text.slice(0, 77)}...` : text
  } catch {
    return String(value)
  }
}
