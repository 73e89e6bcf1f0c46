/**
 * The pool's debug output is switched on the way the `debug` package's is: `DEBUG` lists namespaces,
 * separated by commas or spaces, `*` matching anything; a name with a leading `-` is excluded, whatever
 * else matches. Pure.
 */
export function debugEnabled(setting: string | undefined, namespace: string): boolean {
  const entries = (setting ?? '').split(/[\s,]+/).filter(Boolean)
  const matches = (pattern: string) =>
    new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(namespace)
  return entries.some((e) => !e.startsWith('-') && matches(e)) && !entries.some((e) => e.startsWith('-') && matches(e.slice(1)))
}
