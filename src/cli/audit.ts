/** `vitest-pool-nsjail audit`: its own options, and everything after `--` for Vitest. */
import { parseArgs } from 'node:util'
import { audit } from '../audit/command.js'

const USAGE = 'usage: vitest-pool-nsjail audit [--out FILE] [--force] [-- <vitest args>]\n'

export async function auditCommand(argv: string[]): Promise<number> {
  const dash = argv.indexOf('--')
  let values
  try {
    ;({ values } = parseArgs({ args: dash === -1 ? argv : argv.slice(0, dash), options: { out: { type: 'string', short: 'o' }, force: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } }))
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}`)
    return 2
  }
  if (values.help) {
    process.stdout.write(USAGE)
    return 0
  }
  return audit({ out: values.out, force: values.force, vitestArgs: dash === -1 ? [] : argv.slice(dash + 1) })
}

