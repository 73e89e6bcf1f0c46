/**
 * What makes two sandboxes interchangeable before their first file: the same project (the caller
 * keeps one key space per pool), the same effective policy, and the same inputs of the launch that
 * Vitest gives per run — Node's arguments, the worker's environment, the worker config's Vitest 5
 * coverage folder (a mount) and the debugger's address (relayed into the sandbox). A spare serves a
 * worker only when their keys are equal. Pure.
 */
import type { Policy } from '../policy/types.js'
import { coverageFilesDirectory } from '../channel/coverage-files.js'
import type { TcpAddress } from '../relay/protocol.js'

export interface LaunchInputs {
  projectName: string
  policy: Policy
  execArgv: readonly string[]
  env: Record<string, string | undefined>
  /** The `start` request's worker config. */
  workerConfig: unknown
  /** Where the worker's debugger listens, or null. */
  inspector: TcpAddress | null
}

export function launchKey(inputs: LaunchInputs): string {
  return JSON.stringify([
    inputs.projectName,
    inputs.policy,
    inputs.execArgv,
    Object.entries(inputs.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    coverageFilesDirectory(inputs.workerConfig),
    inputs.inspector,
  ])
}
