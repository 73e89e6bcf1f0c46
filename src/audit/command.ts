/**
 * `vitest-pool-nsjail audit [--out FILE] [--force] [-- <vitest args>]`: runs the suite once with every
 * sandbox in record mode (./record.ts), then writes what each file did beyond its policy and the
 * smallest options that allow it (default `nsjail.audit.json`), and prints those options as a
 * vitest.config.ts snippet. It runs in Vitest's own process through its Node API, so the project's
 * config, its plugin options and the CLI arguments are the ones a normal run uses.
 */
import fs from 'node:fs'
import path from 'node:path'
import { parseCLI, startVitest } from 'vitest/node'
import { literal } from '../violations/literal.js'
import { AuditRecorder, type AuditResult } from './recorder.js'

export const DEFAULT_OUT = 'nsjail.audit.json'

export interface AuditOptions {
  out?: string
  force?: boolean
  /** Arguments for Vitest, as on its command line (`test/db`, `--project unit`, …). */
  vitestArgs?: string[]
  cwd?: string
  env?: NodeJS.ProcessEnv
  print?: (text: string) => void
  warn?: (text: string) => void
}

const LOUD = [
  '!!! vitest-pool-nsjail audit: this run records what each test file needs, with the sandbox\'s fences OPENED:',
  '!!! host folders readable, the host network reachable, the seccomp filter logging instead of refusing.',
  '!!! Run it only on code you trust, never as the check that lets code in.',
]

/** The snippet for vitest.config.ts: one line per top-level option and per rule. */
export function configSnippet(result: AuditResult): string {
  const { rules, ...rest } = result.options
  const top = Object.entries(rest).filter(([, value]) => value !== undefined).map(([key, value]) => `  ${literal({ [key]: value }).slice(2, -2)},`)
  const lines = rules?.length ? ['  rules: [', ...rules.map((rule) => `    ${literal(rule)},`), '  ],'] : []
  return ['nsjail({', ...top, ...lines, '})'].join('\n')
}

/** Runs the audit; resolves with the exit status (0: the file is written; 2: refused to start). */
export async function audit(options: AuditOptions = {}): Promise<number> {
  const env = options.env ?? process.env
  const print = options.print ?? ((text) => process.stdout.write(`${text}\n`))
  const warn = options.warn ?? ((text) => process.stderr.write(`${text}\n`))
  const cwd = options.cwd ?? process.cwd()
  if (env.CI && !options.force) {
    warn('vitest-pool-nsjail audit: refusing to run on CI (CI is set): an audit runs the suite with the sandbox\'s fences opened. Run it on your machine, or pass --force.')
    return 2
  }
  warn(LOUD.join('\n'))
  const recorder = new AuditRecorder()
  recorder.activate()
  const exitCode = process.exitCode
  let failed = false
  try {
    // `-- run test/db` as well as `-- test/db`: the audit always runs once.
    const args = options.vitestArgs ?? []
    const { filter, options: cli } = parseCLI(['vitest', ...(args[0] === 'run' || args[0] === 'test' ? args.slice(1) : args)])
    const vitest = await startVitest('test', filter, { ...cli, root: cli.root ?? cwd, watch: false, run: true })
    failed = !!vitest?.state.getCountOfFailedTests()
    await vitest?.close()
  } finally {
    recorder.deactivate()
    // The tests' outcome in record mode is not the audit's: it succeeded once the file is written.
    process.exitCode = exitCode
  }
  const result = recorder.result()
  const out = path.resolve(cwd, options.out ?? DEFAULT_OUT)
  fs.writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`)
  const needy = result.files.filter((f) => f.rule)
  print([
    '',
    `vitest-pool-nsjail audit: ${result.files.length} test file${result.files.length === 1 ? '' : 's'} recorded, ${needy.length} needing more than the default policy${failed ? ' (some tests failed even with the fences opened)' : ''}.`,
    ...needy.map((f) => `  ${f.file}: ${[...f.reads.map((p) => `read ${p}`), ...f.writes.map((p) => `write ${p}`), ...f.connections.map((c) => `connect ${c}`), ...f.names.map((n) => `look up ${n}`), ...f.syscalls.map((c) => `call ${c}`), ...f.env.map((n) => `env ${n}`)].join(', ')}`),
    `Written to ${out}. In vitest.config.ts (review each rule: it opens a fence for one file):`,
    '',
    configSnippet(result),
  ].join('\n'))
  warn('!!! vitest-pool-nsjail audit: that run had the fences OPENED; run the suite normally to check the options.')
  return 0
}
