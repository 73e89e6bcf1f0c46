/**
 * Secrets inside the project (issue 8, class 9): a copy of fixtures/secrets outside this repository is
 * made into a CI checkout with credentials where CI leaves them — actions/checkout's token in
 * .git/config (v4's extraheader, a remote URL with a token, a credential helper, an insteadOf base with
 * a token, v6's includeIf of a credentials file), the same in a submodule's config, registry tokens in
 * .npmrc and .yarnrc.yml, AWS keys in .aws/, and a package linked from outside the project with its own
 * .npmrc and token. The fixture's tests look for the tokens by every route (read, symlink, cat, git,
 * ?raw and /@fs/ through Vite, a hand-made RPC fetch) and for git still working; this file runs them
 * through the real pool (the CLI, and the Node API with other options) and checks from the host that
 * no token reached any output and that the real files are unchanged.
 */
import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { runCliReport, type ReportedRun } from './helpers/cli.js'
import { runFixture, type FixtureRun } from './helpers/run-fixture.js'
import { linkToolchain, tempFixture, type TempFixture } from './helpers/temp-fixture.js'

const TOKEN = `ghs_NSJAIL-TOKEN-${randomBytes(8).toString('hex')}`
/** actions/checkout v4: `http.https://github.com/.extraheader = AUTHORIZATION: basic <base64(x-access-token:TOKEN)>`. */
const BASIC = Buffer.from(`x-access-token:${TOKEN}`).toString('base64')
const SECRETS = [TOKEN, BASIC]

let fx: TempFixture
let linked: string
let scratch: string
/** Each credential-bearing host file and its sha256 before any run. */
const before = new Map<string, string>()

const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex')

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'protocol.file.allow=always', ...args], { cwd, encoding: 'utf8', stdio: 'pipe' })
}

/** A folder readable by everyone (as root the worker is nobody), outside this repository. */
function scratchDir(name: string): string {
  const dir = path.join(scratch, name)
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 })
  return dir
}

function repository(dir: string, message: string): void {
  git(dir, 'init', '-q', '-b', 'main')
  git(dir, 'add', '-A')
  git(dir, 'commit', '-qm', message)
}

/** What actions/checkout v4 persists in a repository's config. */
function checkoutCredentials(dir: string): void {
  git(dir, 'config', '--local', 'http.https://github.com/.extraheader', `AUTHORIZATION: basic ${BASIC}`)
}

beforeAll(() => {
  scratch = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'nsjail-secrets-')))
  fs.chmodSync(scratch, 0o755)

  // A package linked into node_modules from outside the project (npm link, file:), its own repository.
  linked = scratchDir('linked-pkg')
  fs.writeFileSync(path.join(linked, 'package.json'), '{ "name": "linked-pkg", "type": "module" }\n')
  fs.writeFileSync(path.join(linked, 'index.js'), 'export const name = "linked"\n')
  repository(linked, 'linked')
  checkoutCredentials(linked)
  fs.writeFileSync(path.join(linked, '.npmrc'), `//npm.pkg.github.com/:_authToken=${TOKEN}\n`)

  const subSource = scratchDir('sub-source')
  fs.writeFileSync(path.join(subSource, 'README.md'), 'submodule\n')
  repository(subSource, 'submodule')

  fx = tempFixture('secrets', { outside: true })
  repository(fx.root, 'init')
  git(fx.root, 'submodule', 'add', '-q', subSource, 'sub')
  git(fx.root, 'commit', '-qm', 'add the submodule')
  linkToolchain(fx.root)
  fs.symlinkSync(linked, fx.path('node_modules/linked-pkg'))

  // The checkout's credentials, v4 style, in the project and (submodules: true) in the submodule.
  checkoutCredentials(fx.root)
  checkoutCredentials(fx.path('sub'))
  git(fx.root, 'remote', 'add', 'origin', `https://x-access-token:${TOKEN}@github.com/octo/app.git`)
  git(fx.root, 'config', '--local', 'branch.main.remote', 'origin')
  git(fx.root, 'config', '--local', 'branch.main.merge', 'refs/heads/main')
  git(fx.root, 'config', '--local', 'credential.helper', `store --file=${path.join(scratch, 'store')}`)
  git(fx.root, 'config', '--local', `credential.https://github.com.username`, TOKEN)
  git(fx.root, 'config', '--local', `url.https://${TOKEN}@github.com/.insteadOf`, 'git@github.com:')
  // v6 style: the token in a file the config includes; one outside the project (RUNNER_TEMP), and a
  // hostile one inside .git, where the sandbox could read it directly.
  const runnerTemp = scratchDir('runner-temp')
  for (const file of [path.join(runnerTemp, 'git-credentials-1.config'), fx.path('.git/checkout-credentials.config')]) {
    fs.writeFileSync(file, `[http "https://github.com/"]\n\textraheader = AUTHORIZATION: basic ${BASIC}\n`)
    git(fx.root, 'config', '--local', `includeIf.gitdir:${fx.path('.git')}.path`, file)
  }
  git(fx.root, 'config', '--local', 'include.path', 'checkout-credentials.config')

  fx.write('.npmrc', `registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken=${TOKEN}\n`)
  fx.write('.yarnrc.yml', `npmRegistries:\n  "https://registry.yarnpkg.com":\n    npmAuthToken: "${TOKEN}"\n`)
  fx.write('.git-credentials', `https://x-access-token:${TOKEN}@github.com\n`)
  fx.write('.netrc', `machine github.com login x-access-token password ${TOKEN}\n`)
  fx.write('.pypirc', `[pypi]\nusername = __token__\npassword = ${TOKEN}\n`)
  fx.write('.docker/config.json', JSON.stringify({ auths: { 'ghcr.io': { auth: BASIC } } }))
  fx.write('.aws/credentials', `[default]\naws_access_key_id = AKIA0000\naws_secret_access_key = ${TOKEN}\n`)
  fx.write('secrets/api.key', `${TOKEN}\n`)
  fx.write('secrets/deploy.key', `${TOKEN}\n`)
  fx.write('config/local.json', JSON.stringify({ apiKey: TOKEN }))
  fs.mkdirSync(fx.path('links'))
  fs.symlinkSync('../.npmrc', fx.path('links/npmrc'))
  fs.symlinkSync('../.git/config', fx.path('links/gitconfig'))

  for (const file of credentialFiles()) before.set(file, sha(file))
})

afterAll(() => {
  fx?.remove()
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true })
})

function credentialFiles(): string[] {
  const inProject = ['.git/config', '.git/modules/sub/config', '.git/checkout-credentials.config', '.npmrc', '.yarnrc.yml',
    '.git-credentials', '.netrc', '.pypirc', '.docker/config.json', '.aws/credentials', 'secrets/api.key', 'config/local.json']
  return [...inProject.map((f) => fx.path(f)), path.join(linked, '.npmrc'), path.join(linked, '.git/config')]
}

/** No token, plain or base64, anywhere the run put text; the real files are as they were. */
function expectSealed(seen: string): void {
  for (const secret of SECRETS) expect(seen.includes(secret), 'a token reached the run\'s output').toBe(false)
  for (const [file, hash] of before) expect(sha(file), file).toBe(hash)
  // The host's own git still has the credentials: nothing was rewritten in place.
  expect(git(fx.root, 'config', '--get', 'http.https://github.com/.extraheader').trim()).toBe(`AUTHORIZATION: basic ${BASIC}`)
}

const failed = (states: Record<string, string>) => Object.entries(states).filter(([, state]) => state !== 'passed')

describe('the CLI with the fixture\'s config (defaults, fs.hide, a rule that shows .npmrc, a rule that hides .env*)', () => {
  let run: ReportedRun
  beforeAll(async () => {
    run = await runCliReport(fx.root, ['run'])
  })

  test('every route finds no token, git works, and each file gets what its rules say', () => {
    expect(failed(run.states), run.output).toEqual([])
    expect(Object.keys(run.states).length).toBe(33)
    expect(run.code, run.output).toBe(0)
  })

  test('from the host: no token in the output, the files unchanged', () => {
    expectSealed(run.output + JSON.stringify(run.report))
  })
})

describe('the Node API with other options', () => {
  const seen = (r: FixtureRun) => r.output + r.logs + JSON.stringify([r.errors, r.fileErrors, r.unhandled])

  test('fs.hide in a rule, one worker for files of different policies: the same', async () => {
    const r = await runFixture('secrets', {
      root: fx.root,
      filters: ['defaults', 'git', 'hide-option', 'shown', 'dotenv.test'],
      pool: { rules: [{ files: 'test/hide-option.test.ts', fs: { hide: ['secrets/*.key', 'config/local.json'] } }, { files: 'test/shown.test.ts', fs: { readonly: ['.npmrc'] } }] },
      cli: { maxWorkers: 1, isolate: false },
    })
    expect(failed(r.tests), JSON.stringify(r.errors, null, 2)).toEqual([])
    expect(Object.keys(r.tests).length).toBe(32)
    expectSealed(seen(r))
  })

  test('with no options: the defaults hold, and what only the options hid or showed is not hidden or shown', async () => {
    const r = await runFixture('secrets', { root: fx.root, filters: ['defaults', 'git', 'hide-option', 'shown', 'dotenv'] })
    const own = (file: string) => Object.fromEntries(Object.entries(r.tests).filter(([key]) => key.startsWith(`test/${file}.test.ts > `)))
    expect(failed({ ...own('defaults'), ...own('git'), ...own('dotenv') }), JSON.stringify(r.errors, null, 2)).toEqual([])
    // These tests can fail: without fs.hide the key files are readable; without the rule .npmrc is hidden.
    expect(r.tests['test/hide-option.test.ts > the hidden files read empty; the files next to them do not']).toBe('failed')
    expect(r.tests["test/hide-option.test.ts > Vitest's main process refuses them too"]).toBe('failed')
    expect(r.tests['test/shown.test.ts > .npmrc is shown, with its token']).toBe('failed')
    expect(r.tests['test/dotenv-hidden.test.ts > .env is hidden']).toBe('failed')
    for (const file of before.keys()) expect(sha(file), file).toBe(before.get(file))
  })
})
