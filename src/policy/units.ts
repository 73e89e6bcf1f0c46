/** Human-friendly sizes ('256M', '2G', '1.5GiB', 1048576) to bytes. Returns null when unparseable. */
const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }

export function parseSize(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? value : null
  if (typeof value !== 'string') return null
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(value)
  if (!match) return null
  const bytes = Math.floor(Number(match[1]) * SIZE_UNITS[match[2].toLowerCase()])
  return bytes > 0 ? bytes : null
}

/** 512 MiB, 2 GiB, 1.5 GiB: for messages. */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of [['TiB', 2 ** 40], ['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(2))} ${unit}`
  }
  return `${bytes} B`
}
