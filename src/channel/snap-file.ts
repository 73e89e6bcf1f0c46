/**
 * Whether content is a `.snap` file as Vitest writes it. Vitest (like Jest) loads a snapshot file by
 * running it — `new Function('exports', content)` — wherever the test file runs next: in this
 * sandbox, but also in any other project or pool that runs the same test file unsandboxed. So the
 * bridge writes only Vitest's own format (@vitest/snapshot, saveSnapshotFile):
 *
 *   <header comment line>\n\n
 *   exports[`key`] = `value`;\n\n  (repeated, then a final \n)
 *
 * with keys and values template literals in which `` ` ``, `\` and `${` are escaped: data, no code.
 * Pure.
 */
import { plainTemplateEnd } from './js-tokens.js'

/** Null when `content` is a snapshot file of Vitest's format; otherwise why not. */
export function snapFileRefusal(content: string): string | null {
  const headerEnd = content.indexOf('\n')
  if (!content.startsWith('// ') || headerEnd === -1 || content.slice(headerEnd, headerEnd + 2) !== '\n\n') {
    return 'it does not start with the header comment and blank line Vitest writes'
  }
  let at = headerEnd + 2
  for (let entry = 1; ; entry++) {
    const problem = `entry ${entry} is not of the form exports[\`key\`] = \`value\`;`
    if (!content.startsWith('exports[', at)) return problem
    const keyEnd = templateEnd(content, at + 'exports['.length)
    if (keyEnd === -1 || !content.startsWith('] = ', keyEnd)) return problem
    const valueEnd = templateEnd(content, keyEnd + '] = '.length)
    if (valueEnd === -1 || content[valueEnd] !== ';') return problem
    at = valueEnd + 1
    if (at === content.length - 1 && content[at] === '\n') return null
    if (!content.startsWith('\n\n', at)) return `${problem} (entries are separated by a blank line, and the file ends with one newline)`
    at += 2
  }
}

function templateEnd(content: string, start: number): number {
  const end = plainTemplateEnd(content, start)
  return typeof end === 'number' ? end : -1
}
