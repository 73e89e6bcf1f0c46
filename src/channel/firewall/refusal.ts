/** How the firewall says no: a refusal thrown through the checks and turned into a verdict at the top. */

export const PREFIX = 'vitest-pool-nsjail: the sandbox refused'

export class Refusal {
  constructor(
    readonly text: string,
    /** Expected in normal runs (e.g. 5.x prewarming): answered harmlessly, logged at debug level only. */
    readonly quiet = false,
    /** The host path whose `fs.readonly` entry would have let the call through, when one would (src/violations). */
    readonly readable?: string,
  ) {}
}

/** How a refusal names the call; a function when building the text is worth avoiding until refusing. */
export type Call = string | (() => string)

export function callText(call: Call): string {
  return typeof call === 'string' ? call : call()
}

/** The Error a refused call rejects with in the worker (message and stack survive the channel). */
export function refusalError(text: string): Error {
  const error = new Error(text)
  error.stack = `Error: ${text}`
  return error
}
