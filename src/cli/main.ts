#!/usr/bin/env node
/**
 * The `vitest-pool-nsjail` command: `doctor`, `explain` and `audit`. Exit status: doctor 0/1 (enforced
 * here or not, or the config does not load), explain 0/1 (every file explained or not), audit 0 (the
 * file is written) or 2 (refused on CI), 2 for a usage error.
 */
import { parseArgs } from 'node:util'
import { doctor } from './doctor.js'
import { explain } from './explain.js'
import { auditCommand } from './audit.js'

const USAGE = `usage:
  vitest-pool-nsjail doctor [--config FILE] [--root DIR] [--json]
      what this machine can enforce, the fix for each missing piece, and whether the
      config's policies are enforced here (exit status 0 when they are, 1 when not)
  vitest-pool-nsjail explain [--config FILE] [--root DIR] <test file>...
      the policy each test file gets: matching rules, network, mounts, environment,
      seccomp, limits
  vitest-pool-nsjail audit [--out FILE] [--force] [-- <vitest args>]
      runs the suite once with every sandbox's fences opened and recorded, and writes
      the smallest options that let it pass (default nsjail.audit.json); not on CI
      (CI set) without --force
`

async function main(argv: string[]): Promise<number> {
  // Everything after `audit` is its own (and Vitest's, after `--`).
  if (argv[0] === 'audit') return auditCommand(argv.slice(1))
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { config: { type: 'string', short: 'c' }, root: { type: 'string', short: 'r' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    })
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}`)
    return 2
  }
  const { values, positionals } = parsed
  const [command, ...files] = positionals
  if (values.help || !command) {
    process.stdout.write(USAGE)
    return values.help ? 0 : 2
  }
  const where = { config: values.config, root: values.root }
  if (command === 'doctor' && files.length === 0) return doctor({ ...where, json: values.json ?? false })
  if (command === 'explain' && files.length > 0 && !values.json) return explain({ ...where, files })
  process.stderr.write(USAGE)
  return 2
}

main(process.argv.slice(2)).then(
  (status) => (process.exitCode = status),
  (error: Error) => {
    // A config that does not load (bad options, a syntax error): its own message says why.
    process.stderr.write(`vitest-pool-nsjail: could not load the Vitest config: ${error.message.replace(/^vitest-pool-nsjail: /, '')}\n`)
    process.exitCode = 1
  },
)
