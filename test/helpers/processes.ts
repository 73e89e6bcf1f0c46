/** Host processes a test looks for: by command line, or those this test started (directly or not). */
import { execFileSync } from 'node:child_process'

/** Host processes whose command line contains `needle`. */
export const processes = (needle: string): string[] =>
  execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).split('\n').filter((line) => line.includes(needle) && !line.includes(' ps -eo'))

/** The command lines of every living descendant of `pid`: other runs on a shared machine are not counted. */
export function descendantArgs(pid: number = process.pid): string[] {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' }).split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3] }))
  const ours = new Set([pid])
  for (let grew = true; grew; ) {
    grew = false
    for (const row of rows) if (!ours.has(row.pid) && ours.has(row.ppid)) grew = ours.add(row.pid).size > 0
  }
  return rows.filter((row) => row.pid !== pid && ours.has(row.pid)).map((row) => row.args)
}

/** Polls `condition` every 100 ms for up to `ms`; its last answer. */
export async function until(condition: () => boolean, ms = 10_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    if (condition()) return true
  }
  return condition()
}
