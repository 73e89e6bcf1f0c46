/**
 * A collected file's tasks as a hostile worker could shape them: only a tree of the file passes,
 * anything else is a ChannelViolation found in time linear in the message, never a hang or another
 * exception (fixtures/forgery/test/forge-shape.test.ts sends the same shapes through the real pool).
 */
import { PassThrough } from 'node:stream'
import v8 from 'node:v8'
import { describe, expect, test } from 'vitest'
import { walkTaskTree, type ReportedTask } from '../../src/channel/task-tree.js'
import { ChannelViolation } from '../../src/channel/frames.js'
import { Connection } from '../../src/channel/connection.js'
import { writeMessage } from '../../src/channel/codec.js'

type Task = ReportedTask & Record<string, unknown>

/** A file with a suite holding two tests, linked the way Vitest's runner links them. */
function realFile(): Task {
  const file: Task = { id: 'f', type: 'suite', tasks: [] }
  file.file = file
  const suite: Task = { id: 'f_0', type: 'suite', file, suite: file, tasks: [] }
  suite.tasks = [{ id: 'f_0_0', type: 'test', file, suite }, { id: 'f_0_1', type: 'test', file, suite }]
  file.tasks = [suite, { id: 'f_1', type: 'test', file, suite: file }]
  return file
}

const ids = (file: Task) => {
  const seen: unknown[] = []
  walkTaskTree(file, (task) => (seen.push(task.id), null))
  return seen
}
// Decoded as the host decodes it: V8's format keeps the shared and cyclic references.
const decoded = (file: Task) => v8.deserialize(v8.serialize(file)) as Task
const violation = (file: Task) => {
  try {
    walkTaskTree(decoded(file), () => null)
  } catch (error) {
    expect(error).toBeInstanceOf(ChannelViolation)
    return (error as Error).message
  }
  return 'passed'
}

describe('walkTaskTree', () => {
  test("a real file's tree passes, each task visited once, parents first", () => {
    expect(ids(decoded(realFile()))).toEqual(['f', 'f_1', 'f_0', 'f_0_1', 'f_0_0'])
  })

  test('the first problem the visitor finds is returned', () => {
    expect(walkTaskTree(decoded(realFile()), (task) => (task.id === 'f_0_1' ? 'bad id' : null))).toBe('bad id')
  })

  test('a suite that contains itself', () => {
    const file = realFile()
    const suite = (file.tasks as Task[])[0]
    ;(suite.tasks as Task[]).push(suite)
    expect(violation(file)).toBe('it reported a collected file whose tasks are not a tree: the task "f_0" is listed more than once')
  })

  test('a task listed under two suites, and 2^60 paths through 61 suites, end at once', () => {
    const file: Task = { id: 'f', tasks: [] }
    let parent = file
    for (let i = 0; i < 60; i++) {
      const suite: Task = { id: `f_${i}`, tasks: [] }
      parent.tasks = [suite, suite]
      parent = suite
    }
    expect(violation(file)).toMatch(/the task "f_\d+" is listed more than once/)
  })

  test('the same task listed 500,000 times, in 3 MB of the 256 MiB a message may have, is refused', () => {
    const task: Task = { id: 'f_0' }
    const file: Task = { id: 'f', tasks: new Array(500_000).fill(task) }
    expect(v8.serialize(file).length).toBeLessThan(4_000_000)
    expect(violation(file)).toContain('the task "f_0" is listed more than once')
  })

  test('two tests each naming the other as their suite', () => {
    const file = realFile()
    const [suite, test1] = file.tasks as Task[]
    suite.suite = test1
    expect(violation(file)).toBe('it reported a collected file whose tasks are not a tree: the task "f_0" names another suite than the one it is in')
  })

  test('a task naming another file, a file with a parent, tasks that are not a list or not objects', () => {
    const other = realFile()
    const foreign = realFile()
    ;(foreign.tasks as Task[])[1].file = other
    expect(violation(foreign)).toContain('the task "f_1" names another file than the one it is in')
    const child = realFile()
    child.suite = realFile()
    expect(violation(child)).toContain('the file has a parent suite')
    expect(violation({ id: 'f', tasks: { length: 1, 0: {} } })).toContain('the tasks of "f" are not a list')
    expect(violation({ id: 'f', tasks: [null] })).toContain('a task inside "f" is not an object')
  })
})

describe('Connection', () => {
  test('an exception the host throws on a message ends that channel as a violation, not in Vitest', async () => {
    const stream = new PassThrough()
    const violations: string[] = []
    new Connection(stream, { messageBytes: 1 << 20, messagesPerSecond: 1000 }, {
      message: () => {
        throw new RangeError('Maximum call stack size exceeded')
      },
      violation: (error) => violations.push(error.message),
    })
    const peer = new PassThrough()
    writeMessage(peer, { t: 'q', m: 'onCollected', a: [] })
    stream.write(peer.read())
    await new Promise((resolve) => setImmediate(resolve))
    expect(violations).toEqual(['the host failed on a message it sent (Maximum call stack size exceeded)'])
  })
})
