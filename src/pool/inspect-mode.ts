/**
 * `vitest-pool-nsjail doctor|explain` load the user's Vitest config with Vitest's own Node API, which
 * runs our plugin's configureVitest hook. While they do, the hook only hands over the runner (with
 * its options) and skips the run's machine check: the commands probe and report themselves, and a
 * machine that cannot sandbox must not keep them from loading the config. A process-wide flag, so
 * that it also reaches a second copy of this package (a config in another package of a monorepo).
 */
const FLAG = Symbol.for('vitest-pool-nsjail.inspecting')

type Flagged = typeof globalThis & { [FLAG]?: boolean }

export function inspecting(): boolean {
  return (globalThis as Flagged)[FLAG] === true
}

export function setInspecting(on: boolean): void {
  ;(globalThis as Flagged)[FLAG] = on
}
