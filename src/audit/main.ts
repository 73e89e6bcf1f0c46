#!/usr/bin/env node
/**
 * The audit's own entry until the package's command line (`vitest-pool-nsjail doctor|explain`) takes
 * it as a subcommand: `node dist/audit/main.js [--out FILE] [--force] [-- <vitest args>]`.
 */
import { auditCommand } from './cli.js'

auditCommand(process.argv.slice(2)).then((status) => (process.exitCode = status))
