import { expect, test } from 'vitest'
import fs from 'node:fs'
import path from 'node:path'

const home = process.env.DEMO_CANARY_DIR!
const tryWrite = (file: string) => {
  try {
    fs.writeFileSync(file, 'x')
    return 'written'
  } catch (error) {
    return (error as NodeJS.ErrnoException).code
  }
}

test(`the host home ${home} is ${fs.existsSync(home) ? `present with ${fs.readdirSync(home).length} entries` : 'absent'}`, () => {
  expect(fs.existsSync(path.join(home, '.ssh'))).toBe(false)
})

for (const p of ['/etc/shadow', '/run/docker.sock', '/var/run', '/sys', '/root/.aws']) {
  test(`${p} is ${fs.existsSync(p) ? 'PRESENT' : 'absent'}`, () => expect(fs.existsSync(p)).toBe(false))
}

test(`/etc/passwd names only: ${fs.readFileSync('/etc/passwd', 'utf8').trim().split('\n').map((l) => l.split(':')[0]).join(', ')}`, () => {
  expect(fs.readFileSync('/etc/passwd', 'utf8').trim().split('\n').length).toBeLessThanOrEqual(3)
})

test(`the project is read-only: writing into it gives ${tryWrite(path.join(process.cwd(), 'demo-write.txt'))}`, () => {
  expect(tryWrite(path.join(process.cwd(), 'demo-write.txt'))).toBe('EROFS')
})

test(`/tmp is private scratch space: writing there is ${tryWrite('/tmp/demo-scratch')}`, () => {
  expect(fs.readFileSync('/tmp/demo-scratch', 'utf8')).toBe('x')
})

const secrets = Object.keys(process.env).filter((k) => /TOKEN|SECRET|PASSWORD|AWS_|NPM_/i.test(k))
test(`environment: ${Object.keys(process.env).length} variables, secret-looking ones: ${secrets.length ? secrets.join(', ') : 'none'}`, () => {
  expect(secrets).toEqual([])
})
