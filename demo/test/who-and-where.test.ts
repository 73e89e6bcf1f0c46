import { expect, test } from 'vitest'
import fs from 'node:fs'
import os from 'node:os'

const pids = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))
const status = fs.readFileSync('/proc/self/status', 'utf8')
const field = (name: string) => new RegExp(`${name}:\\s+(\\S+)`).exec(status)?.[1]

test(`pid namespace: I am pid ${process.pid}, and I see ${pids.length} processes (${pids.join(', ')})`, () => {
  expect(pids.length).toBeLessThan(10)
})

test(`uts namespace: hostname is "${os.hostname()}"`, () => {
  expect(os.hostname()).toBe('nsjail')
})

test(`identity: uid ${process.getuid!()} ("${os.userInfo().username}"), capabilities ${field('CapEff')}, no_new_privs ${field('NoNewPrivs')}`, () => {
  expect(process.getuid!()).not.toBe(0)
  expect(Number.parseInt(field('CapEff')!, 16)).toBe(0)
})

test(`root filesystem: / holds only ${fs.readdirSync('/').join(' ')}`, () => {
  expect(fs.existsSync('/var/log')).toBe(false)
})
