/**
 * Runs a fixture project through the nsjail pool with Vitest's Node API and reports what happened:
 * per-test states, errors, the console output of the sandboxed tests, and unhandled errors.
 * The pool is the built package (dist/), imported the way users import it.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Writable } from 'node:stream'
import { startVitest, type TestModule, type Vitest } from 'vitest/node'
import type { ViteUserConfig as UserConfig } from 'vitest/config'
import { nsjail, type NsjailOptions } from 'vitest-pool-nsjail'

export const FIXTURES = path.resolve(fileURLToPath(import.meta.url), '../../../fixtures')

export interface FixtureRun {
  /** 'passed' | 'failed' | 'skipped' | 'pending' per "file > test name". */
  tests: Record<string, string>
  /** Error messages per failing test. */
  errors: Record<string, string[]>
  /** Errors attached to files (not tests), per file relative to the root. */
  fileErrors: Record<string, string[]>
  unhandled: string[]
  /** Everything the sandboxed tests printed with console.log/error. */
  logs: string
  /** Lines printed with `FACT <json>` by fixture tests, parsed. */
  facts: Array<Record<string, unknown>>
  /** Vitest's own stdout + stderr. */
  output: string
  /** Vitest's own stdout alone. */
  stdout: string
  exitCode: number
  /** Vitest's snapshot summary of the run (added, updated, unchecked = obsolete, filesRemoved, …). */
  snapshot: Vitest['snapshot']['summary']
}

export interface RunOptions {
  /** Files or filters, as on the command line. */
  filters?: string[]
  pool?: NsjailOptions
  /** Extra Vitest CLI-style options (e.g. { update: true }, { shard: '1/2' }). */
  cli?: Record<string, unknown>
  /** Extra Vite config (plugins beyond ours, test.* settings). */
  config?: UserConfig
  /** Run this directory (e.g. a temporary copy of a fixture) instead of fixtures/<name>. */
  root?: string
  /** Leave out our plugin (the config file, or the caller's `config.plugins`, brings it). */
  noPlugin?: boolean
}

function collector() {
  let text = ''
  const stream = new Writable({
    write(chunk, _enc, done) {
      text += chunk.toString()
      done()
    },
  })
  return { stream, text: () => text }
}

/** A Vitest instance over a fixture, started but not closed (watch mode); `collect` reads its state. */
export interface OpenFixture {
  vitest: Vitest
  root: string
  /** The state of the last run, as runFixture reports it (logs and facts accumulate across runs). */
  collect(): FixtureRun
}

export async function openFixture(name: string, options: RunOptions = {}): Promise<OpenFixture> {
  const root = options.root ?? path.join(FIXTURES, name)
  const stdout = collector()
  const stderr = collector()
  let logs = ''
  const plugins = [...(options.noPlugin ? [] : [nsjail(options.pool)]), ...(options.config?.plugins ?? [])]
  const extraReporters = (options.cli?.reporters as unknown[] | undefined) ?? []
  const cli: Record<string, unknown> = { root, config: false, watch: false, pool: 'nsjail', ...options.cli, reporters: [{ onUserConsoleLog: (log: { content: string }) => void (logs += log.content) }, ...extraReporters] }
  // `{ pool: undefined }` means "not given" (the config file decides), as an absent CLI flag would.
  for (const key of Object.keys(cli)) if (cli[key] === undefined) delete cli[key]
  const vitest = await startVitest(
    'test',
    options.filters ?? [],
    cli as never,
    { ...options.config, plugins },
    { stdout: stdout.stream, stderr: stderr.stream },
  )
  const collect = (): FixtureRun => {
    const run: FixtureRun = { tests: {}, errors: {}, fileErrors: {}, unhandled: [], logs: '', facts: [], output: '', stdout: '', exitCode: 0, snapshot: vitest.snapshot.summary }
    for (const module of vitest.state.getTestModules() as TestModule[]) {
      const file = path.relative(root, module.moduleId)
      const moduleErrors = module.errors().map((e) => e.message)
      if (moduleErrors.length) run.fileErrors[file] = moduleErrors
      for (const test of module.children.allTests()) {
        const key = `${file} > ${test.fullName}`
        const result = test.result()
        run.tests[key] = result.state
        if (result.state === 'failed') run.errors[key] = result.errors.map((e) => e.message)
      }
    }
    run.unhandled = vitest.state.getUnhandledErrors().map((e) => {
      const error = e as { message?: string; cause?: { message?: string } }
      return [error.message, error.cause?.message].filter(Boolean).join('\n')
    })
    run.logs = logs
    run.facts = logs.split('\n').filter((l) => l.startsWith('FACT ')).map((l) => JSON.parse(l.slice(5)))
    run.output = stdout.text() + stderr.text()
    run.stdout = stdout.text()
    return run
  }
  return { vitest, root, collect }
}

export async function runFixture(name: string, options: RunOptions = {}): Promise<FixtureRun> {
  const previousExitCode = process.exitCode
  const { vitest, collect } = await openFixture(name, options)
  const run = collect()
  await vitest.close()
  run.exitCode = Number(process.exitCode ?? 0)
  process.exitCode = previousExitCode
  ;({ output: run.output, stdout: run.stdout } = collect())
  return run
}

/** The facts a fixture printed, keyed by their `name` field. */
export function factsByName(run: FixtureRun): Record<string, Record<string, unknown>> {
  return Object.fromEntries(run.facts.map((f) => [String(f.name), f]))
}
