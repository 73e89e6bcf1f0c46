/**
 * A file the worker reports collected (or queued) is a tree of tasks, and Vitest's main process
 * walks it both ways without guarding against meeting a task twice: down `tasks` (registering ids,
 * reporting results) and up `suite` (a test's full name, in every reporter). A hostile worker's
 * cycle there would hang it, and a task listed a million times would make it do a million times
 * the work. So the tree is checked before anything walks it: every task appears once, each task's
 * `suite` is the suite it is listed in, and its `file` the file. Pure; iterative, each task once.
 */
import { ChannelViolation } from './frames.js'

export interface ReportedTask {
  id?: unknown
  tasks?: unknown
  suite?: unknown
  file?: unknown
}

/**
 * Calls `visit` on `file` and every task below it, parents first, and returns the first problem
 * `visit` finds (or null). Throws ChannelViolation when the tasks are not a tree of this file.
 */
export function walkTaskTree(file: ReportedTask, visit: (task: ReportedTask) => string | null): string | null {
  const fail = (what: string): never => {
    throw new ChannelViolation(`it reported a collected file whose tasks are not a tree: ${what}`)
  }
  if (file.suite !== undefined) fail('the file has a parent suite')
  if (file.file !== undefined && file.file !== file) fail('the file names another file as its own')
  const seen = new Set<object>([file])
  const stack: Array<{ task: ReportedTask; parent: ReportedTask | null }> = [{ task: file, parent: null }]
  while (stack.length) {
    const { task, parent } = stack.pop()!
    if (parent) {
      if (typeof task !== 'object' || task === null) fail(`a task inside ${JSON.stringify(parent.id)} is not an object`)
      if (seen.has(task)) fail(`the task ${JSON.stringify(task.id)} is listed more than once`)
      seen.add(task)
      if (task.suite !== undefined && task.suite !== parent) fail(`the task ${JSON.stringify(task.id)} names another suite than the one it is in`)
      if (task.file !== undefined && task.file !== file) fail(`the task ${JSON.stringify(task.id)} names another file than the one it is in`)
    }
    const problem = visit(task)
    if (problem) return problem
    if (task.tasks === undefined) continue
    if (!Array.isArray(task.tasks)) fail(`the tasks of ${JSON.stringify(task.id)} are not a list`)
    for (const child of task.tasks as ReportedTask[]) stack.push({ task: child, parent: task })
  }
  return null
}
