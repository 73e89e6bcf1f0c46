import { expect, test } from 'vitest'
import { parseChildPid } from '../../src/isolate/reap-sandboxes.js'

test('parseChildPid reads the pid of the sandbox\'s pid 1 from bwrap\'s --info-fd JSON', () => {
  // As bwrap 0.8 writes it.
  const info = '{\n    "child-pid": 7281,\n    "cgroup-namespace": 4026532253,\n    "ipc-namespace": 4026532251,\n    "mnt-namespace": 4026532249,\n    "net-namespace": 4026532254,\n    "pid-namespace": 4026532252,\n    "uts-namespace": 4026532250\n}\n'
  expect(parseChildPid(info)).toBe(7281)
  // A monitor that died before writing, or wrote half.
  for (const broken of ['', '{\n    "child-pid": 72', '{"child-pid": "7281"}', '{"child-pid": 0}', '{}']) expect(parseChildPid(broken), broken).toBeNull()
})
