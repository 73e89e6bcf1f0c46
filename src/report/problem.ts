/**
 * The texts of the pool's machine errors and warnings, rendered from the probe's findings. Pure.
 */
import type { Unsupported } from '../probe/diagnose.js'
import type { NamespaceFacts } from '../probe/types.js'

/** What is wrong, the likely cause, and the fixes for this machine. */
export function problemText(problem: Unsupported): string {
  const cause = problem.cause ? `\nLikely cause: ${problem.cause}.` : ''
  return `${problem.what}${cause}\nTo fix it:\n${problem.fix.map((line) => `  - ${line}`).join('\n')}`
}

/** The one loud warning of `onUnsupported: 'warn'` on a machine that cannot sandbox. */
export function unsandboxedWarning(problem: Unsupported): string {
  return (
    'vitest-pool-nsjail: NOT SANDBOXED. This machine cannot build the sandbox, and `onUnsupported: \'warn\'` runs the tests in ' +
    "Vitest's forks pool instead: no namespaces, no filesystem or network isolation, no seccomp filter, no limits, the full environment.\n" +
    `${problemText(problem)}\n  - or set \`onUnsupported: 'error'\` (the default) to fail instead of running unsandboxed`
  )
}

/** The pool's warning when the namespace attempt was abandoned: the run goes on, unverified. */
export function unverifiedWarning(namespaces: NamespaceFacts): string {
  return (
    `vitest-pool-nsjail: could not verify that bubblewrap can build the sandbox here: \`${namespaces.tried.join(' ')}\` ` +
    `${namespaces.stderr}: a slow or loaded machine? The run goes on; a worker whose sandbox cannot start says why. ` +
    '`npx vitest-pool-nsjail doctor` checks the machine.'
  )
}
