import { expect, test } from 'vitest'
import fs from 'node:fs'
import path from 'node:path'

const npmrc = fs.readFileSync(path.join(process.cwd(), '.npmrc'), 'utf8')
test(`credential files in the project are hidden: .npmrc reads ${npmrc.length} bytes here (it holds a token on the host)`, () => {
  expect(npmrc).toBe('')
})

test("the host reads nothing for the sandbox that it could not read itself: the host's /etc/passwd through Vitest is refused", async () => {
  const result = await import(/* @vite-ignore */ `${'/etc/passwd'}?raw`).then(() => 'read', (e: Error) => e.message)
  console.log(`import('/etc/passwd?raw') → ${result.split(': the path')[0]}`)
  expect(result).toMatch(/the sandbox refused fetch\("\/etc\/passwd\?raw"\).*outside what this test file may read/)
})
