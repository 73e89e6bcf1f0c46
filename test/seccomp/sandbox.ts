// Test helper: run a command in a bare bubblewrap sandbox (no pool), with a seccomp program on fd 9.
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const FIXTURES = path.join(ROOT, 'test/seccomp/fixtures')

export function bwrapWorks(): boolean {
  const r = spawnSync('bwrap', ['--unshare-all', '--die-with-parent', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--', '/bin/true'])
  return r.status === 0
}

export interface SandboxResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface SandboxOptions {
  /** Host paths bound read-write at the same place (after the private /tmp). */
  binds?: string[]
  cwd?: string
  env?: NodeJS.ProcessEnv
  timeoutMs?: number
}

/** A plain environment for the sandboxed program (no VITEST_* variables leaking into nested runs). */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: '/tmp', LANG: 'C.UTF-8', ...extra }
}

/**
 * `bwrap --unshare-all --die-with-parent --ro-bind / / --dev /dev --proc /proc --tmpfs /tmp
 *  --ro-bind ROOT ROOT [--bind B B]… --seccomp 9 -- command`, the program written into fd 9 through a pipe.
 */
export function runSandboxed(program: Buffer | null, command: string[], options: SandboxOptions = {}): Promise<SandboxResult> {
  const binds = (options.binds ?? []).flatMap((b) => ['--bind', b, b])
  const args = [
    '--unshare-all', '--die-with-parent', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp',
    // The checkout stays visible even when it lives under /tmp (the fixtures and node_modules are in it).
    '--ro-bind', ROOT, ROOT,
    ...binds, '--chdir', options.cwd ?? '/',
    ...(program ? ['--seccomp', '9'] : []),
    '--', ...command,
  ]
  return new Promise((resolve, reject) => {
    const child = spawn('bwrap', args, {
      stdio: ['ignore', 'pipe', 'pipe', 'ignore', 'ignore', 'ignore', 'ignore', 'ignore', 'ignore', 'pipe'],
      env: options.env ?? cleanEnv(),
    })
    const fd9 = child.stdio[9] as NodeJS.WritableStream
    fd9.on('error', () => {}) // bwrap may exit before reading it (e.g. a bad command)
    fd9.end(program ?? Buffer.alloc(0))
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (d) => (stdout += d))
    child.stderr!.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 90_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  })
}

export { makeVitestProject } from './fixtures/scratch-project.mjs'
