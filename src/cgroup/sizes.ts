/**
 * Byte units and their formatting, in a module of its own: the sandboxed worker loads it (through the
 * channel's framing) at every start, and the rest of the limits code would cost it ~2.5 ms more.
 */
export const KiB = 2 ** 10
export const MiB = 2 ** 20
export const GiB = 2 ** 30
export const TiB = 2 ** 40

/** For messages: `512 MiB`, `1.5 GiB`, `100 B`. */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of [['TiB', TiB], ['GiB', GiB], ['MiB', MiB], ['KiB', KiB]] as const) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(2))} ${unit}`
  }
  return `${bytes} B`
}
