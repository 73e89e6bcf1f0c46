/** Recognisers and builders for the pool ↔ worker protocol messages we need to look at. */
import type { WorkerRequest } from 'vitest/node'

export type StartRequest = Extract<WorkerRequest, { type: 'start' }>
export type RunRequest = Extract<WorkerRequest, { type: 'run' | 'collect' }>

export interface WorkerResponse {
  __vitest_worker_response__: true
  type: string
  error?: unknown
}

export function isRequest<T extends WorkerRequest['type']>(message: unknown, ...types: T[]): message is Extract<WorkerRequest, { type: T }> {
  const m = message as { __vitest_worker_request__?: boolean; type?: string } | null
  return !!m && m.__vitest_worker_request__ === true && (types as string[]).includes(m.type!)
}

export function isResponse(message: unknown, type?: string): message is WorkerResponse {
  const m = message as { __vitest_worker_response__?: boolean; type?: string } | null
  return !!m && m.__vitest_worker_response__ === true && (type === undefined || m.type === type)
}

export function response(type: string, error?: unknown): WorkerResponse {
  return error === undefined ? { __vitest_worker_response__: true, type } : { __vitest_worker_response__: true, type, error }
}
