/** Processes this test started, directly or not: other runs on a shared machine are not counted. */
import { execFileSync } from 'node:child_process'

/** The command lines of every living descendant of `pid`. */
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
