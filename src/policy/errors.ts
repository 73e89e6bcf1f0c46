/**
 * Every bad option surfaces as one of these, before any test runs. The message always names the
 * option (as a path such as `rules[2].fs.tmpSize`), the value that was given and what is accepted.
 * The details are kept as non-enumerable properties: Node prints an error's enumerable properties
 * after its message, and a dump of the user's options helps nobody.
 */
export class OptionError extends Error {
  declare readonly option: string
  declare readonly value: unknown
  declare readonly expected: string

  constructor(option: string, value: unknown, expected: string) {
    super(`vitest-pool-nsjail: option \`${option}\` is ${describe(value)}; expected ${expected}.`)
    hidden(this, { name: 'OptionError', option, value, expected })
  }
}

/**
 * A problem of the project or the machine found before any test runs, that no option value caused
 * (files the sandbox user cannot read, a NODE_OPTIONS preload that is not there): the message says
 * what and how to fix it.
 */
export class SetupError extends Error {
  constructor(message: string) {
    super(`vitest-pool-nsjail: ${message}`)
    hidden(this, { name: 'SetupError' })
  }
}

export type Problem = OptionError | SetupError

/**
 * All the problems of one configuration at once: fixing typos one run at a time is slow. Its stack
 * is its message alone, since the place in our code that found the problem is no use to the user.
 */
export class OptionsError extends Error {
  declare readonly problems: readonly Problem[]

  constructor(problems: readonly Problem[]) {
    const where = problems.every((p) => p instanceof OptionError) ? 'in the options' : 'to fix before any test can run'
    super(
      problems.length === 1
        ? problems[0].message
        : `vitest-pool-nsjail: ${problems.length} problems ${where}:\n` +
            problems.map((p) => `  - ${p.message.replace(/^vitest-pool-nsjail: /, '')}`).join('\n'),
    )
    hidden(this, { name: 'OptionsError', problems })
    this.stack = `${this.name}: ${this.message}`
  }
}

/** Collects problems from independent checks, so one bad option does not hide the next. */
export class Problems {
  private readonly list: Problem[] = []

  add(problem: Problem): void {
    this.list.push(problem)
  }

  /** Runs one check; a problem it throws is recorded, anything else is a bug and propagates. */
  check(run: () => unknown): void {
    try {
      run()
    } catch (error) {
      if (!(error instanceof OptionError) && !(error instanceof SetupError)) throw error
      this.add(error)
    }
  }

  get count(): number {
    return this.list.length
  }

  throwIfAny(): void {
    if (this.list.length) throw new OptionsError(this.list)
  }
}

/** A sandbox that cannot be built on this machine (missing bwrap, user namespaces refused, …). */
export class SandboxUnavailableError extends Error {
  /** What is wrong, without the advice: for reports that print the fix apart (`doctor`). */
  declare readonly fact: string

  constructor(message: string, fact = message) {
    super(`vitest-pool-nsjail: ${message}`)
    this.name = 'SandboxUnavailableError'
    hidden(this, { fact })
    // The message says what to do; where in our code the machine was found wanting helps nobody.
    this.stack = `${this.name}: ${this.message}`
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

function hidden(target: object, values: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(values)) {
    Object.defineProperty(target, key, { value, enumerable: false, configurable: true })
  }
}
