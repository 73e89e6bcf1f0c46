/**
 * Vitest sends a worker its `start` before its files, and answers nothing until the worker has
 * started: the sandbox to start is a guess. The guess is the policy most of the run's files have,
 * which is right for every file when there are no `rules`. Pure.
 */

/** A file whose policy most of `files` have (the first such file), or undefined for no files. */
export function commonestPolicyFile(files: Iterable<string>, keyForFile: (file: string) => string): string | undefined {
  const counts = new Map<string, { file: string; count: number }>()
  let best: { file: string; count: number } | undefined
  for (const file of files) {
    const key = keyForFile(file)
    const entry = counts.get(key) ?? { file, count: 0 }
    counts.set(key, entry)
    entry.count++
    if (!best || entry.count > best.count) best = entry
  }
  return best?.file
}
