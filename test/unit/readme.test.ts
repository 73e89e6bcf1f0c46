/**
 * The README is the user's manual: every name it imports from the package must be exported by the
 * published entry point (dist/index.js, which `npm test` builds first).
 */
import fs from 'node:fs'
import { expect, test } from 'vitest'
import * as pkg from 'vitest-pool-nsjail'

test("every name the README imports from 'vitest-pool-nsjail' is exported", () => {
  const readme = fs.readFileSync('README.md', 'utf8')
  const imports = [...readme.matchAll(/import \{([^}]+)\} from 'vitest-pool-nsjail'/g)]
    .flatMap((m) => m[1].split(',').map((name) => name.trim()))
    // Type-only imports leave nothing at run time to check.
    .filter((name) => name && !name.startsWith('type '))
  expect(imports).toContain('describeSeccomp')
  const missing = [...new Set(imports)].filter((name) => !(name in pkg))
  expect(missing).toEqual([])
})
