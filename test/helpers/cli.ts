/**
 * Vitest's real command line, as a user runs it: `vitest run …` in a folder, as a child process,
 * with the output (colours off) and the exit code.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The vitest this repository's tests run with (4.1 here, 5.x in the Vitest 5 leg). */
export const VITEST = path.resolve(fileURLToPath(import.meta.url), '../../../node_modules/vitest/vitest.mjs')

export interface CliRun {
  code: number | null
  output: string
}

export function runCli(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return runNode(VITEST, cwd, args, env)
}

/** A Node script run as a command in `cwd` (on CI terms, `CI=true`, unless `env` says otherwise). */
export function runNode(script: string, cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', CI: 'true', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (d) => (output += d))
    child.stderr.on('data', (d) => (output += d))
    child.on('error', reject)
    child.on('exit', (code) => resolve({ code, output }))
  })
}

/** The `FACT {json}` lines sandboxed tests printed, keyed by their `name`. */
export function factsOf(output: string): Record<string, Record<string, unknown>> {
  const facts = output.split('\n').filter((l) => l.startsWith('FACT ')).map((l) => JSON.parse(l.slice(5)) as Record<string, unknown>)
  return Object.fromEntries(facts.map((f) => [String(f.name), f]))
}

/** The parts of Vitest's JSON report the tests read. */
export interface JsonReport {
  success: boolean
  numFailedTestSuites: number
  numFailedTests: number
  numPassedTests: number
  testResults: Array<{ name: string; status: string; message: string; assertionResults: Array<{ fullName: string; status: string; failureMessages: string[] }> }>
}

export interface ReportedRun extends CliRun {
  report: JsonReport
  /** `"<file relative to cwd> > <test full name>"` → status, from the JSON report. */
  states: Record<string, string>
  /** File (relative to cwd) → status and message, from the JSON report. */
  files: Record<string, { status: string; message: string }>
}

/** `runCli` with Vitest's default and JSON reporters; the JSON report is written outside the project. */
export async function runCliReport(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<ReportedRun> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsjail-report-'))
  try {
    const file = path.join(dir, 'report.json')
    const run = await runCli(cwd, [...args, '--reporter=default', '--reporter=json', `--outputFile.json=${file}`], env)
    if (!fs.existsSync(file)) throw new Error(`no JSON report (exit code ${run.code}):\n${run.output}`)
    const report = JSON.parse(fs.readFileSync(file, 'utf8')) as JsonReport
    const states: Record<string, string> = {}
    const files: Record<string, { status: string; message: string }> = {}
    for (const result of report.testResults) {
      const name = path.relative(cwd, result.name)
      files[name] = { status: result.status, message: result.message }
      for (const test of result.assertionResults) states[`${name} > ${test.fullName}`] = test.status
    }
    return { ...run, report, states, files }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
