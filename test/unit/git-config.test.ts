/**
 * The git config sanitizer (src/isolate/git-config.ts) on configs as CI writes them and on hostile
 * ones. Real git is the oracle: on every input, the parser must read the variables git reads
 * (`git config -f … --list --null`), and git must read the sanitized text as exactly the variables kept.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { parseGitConfig, sanitizeGitConfig, type Entry } from '../../src/isolate/git-config.js'

const TOKEN = 'ghs_TOKEN0123456789'
const BASIC = Buffer.from(`x-access-token:${TOKEN}`).toString('base64')
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'git-config-'))
let n = 0
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

/** What git reads from a config text: `key=value` (`key` alone for a bare boolean), or its error. */
function gitReads(text: string): string[] | string {
  const file = path.join(dir, `config-${n++}`)
  fs.writeFileSync(file, text)
  try {
    const out = execFileSync('git', ['config', '-f', file, '--list', '--null'], { encoding: 'utf8', stdio: 'pipe' })
    return out.split('\0').slice(0, -1).map((item) => item.replace('\n', '='))
  } catch (error) {
    return String((error as { stderr: string }).stderr).trim()
  }
}

function listed(entries: Entry[]): string[] {
  return entries.map((e) => `${[e.section, e.subsection, e.name].filter((p) => p !== null && p !== '').join('.')}${e.value === null ? '' : `=${e.value}`}`)
}

/** The parser agrees with git on `text`, and git reads the sanitized text; returns the latter. */
function sanitizedAsGitReadsIt(text: string): string[] {
  const parsed = parseGitConfig(text)
  const git = gitReads(text)
  if ('error' in parsed) {
    expect(git, 'git accepts what the parser refused').toEqual(expect.any(String))
    expect(git).toContain(parsed.error)
  } else {
    expect(listed(parsed.entries)).toEqual(git)
  }
  const read = gitReads(sanitizeGitConfig(text).text)
  expect(read, 'git cannot read the sanitized config').toEqual(expect.any(Array))
  return read as string[]
}

function expectNoToken(lines: string[]): void {
  const text = lines.join('\n')
  expect(text).not.toContain(TOKEN)
  expect(text).not.toContain(BASIC)
}

/** A checkout by actions/checkout v4, as `git config` wrote it. */
const CHECKOUT_V4 = [
  '[core]',
  '\trepositoryformatversion = 0',
  '\tfilemode = true',
  '\tbare = false',
  '\tlogallrefupdates = true',
  '[remote "origin"]',
  '\turl = https://github.com/octo/app',
  '\tfetch = +refs/heads/*:refs/remotes/origin/*',
  '[gc]',
  '\tauto = 0',
  '[http "https://github.com/"]',
  `\textraheader = AUTHORIZATION: basic ${BASIC}`,
  '[branch "main"]',
  '\tremote = origin',
  '\tmerge = refs/heads/main',
  '',
].join('\n')

describe('configs as CI writes them', () => {
  test('actions/checkout v4: the extraheader goes, everything git needs stays', () => {
    const read = sanitizedAsGitReadsIt(CHECKOUT_V4)
    expectNoToken(read)
    expect(read).toEqual([
      'core.repositoryformatversion=0', 'core.filemode=true', 'core.bare=false', 'core.logallrefupdates=true',
      'remote.origin.url=https://github.com/octo/app', 'remote.origin.fetch=+refs/heads/*:refs/remotes/origin/*',
      'gc.auto=0', 'branch.main.remote=origin', 'branch.main.merge=refs/heads/main',
    ])
  })

  test('actions/checkout v6: includeIf sections go, and the files they name are reported', () => {
    const config = `${CHECKOUT_V4}[includeIf "gitdir:/home/runner/work/app/app/.git"]\n\tpath = /home/runner/work/_temp/git-credentials-1.config\n` +
      '[includeIf "gitdir:/github/workspace/.git"]\n\tpath = /github/runner_temp/git-credentials-1.config\n[include]\n\tpath = extra.config\n'
    const read = sanitizedAsGitReadsIt(config)
    expect(read.filter((line) => line.startsWith('include'))).toEqual([])
    expect(sanitizeGitConfig(config).includes).toEqual([
      '/home/runner/work/_temp/git-credentials-1.config', '/github/runner_temp/git-credentials-1.config', 'extra.config',
    ])
  })

  test('userinfo leaves every URL: remotes, submodules, proxies, insteadOf bases and values', () => {
    const read = sanitizedAsGitReadsIt([
      '[remote "origin"]',
      `\turl = https://x-access-token:${TOKEN}@github.com/octo/app.git`,
      `\tpushurl = https://${TOKEN}@github.com/octo/app.git`,
      '[remote "mirror"]',
      `\turl = ssh://git@example.com:2222/octo/app.git`,
      `\turl = git@github.com:octo/app.git`,
      `[submodule "lib"]\n\turl = https://oauth2:${TOKEN}@gitlab.com/octo/lib`,
      `[http]\n\tproxy = http://user:${TOKEN}@proxy.example:3128`,
      `[url "https://x-access-token:${TOKEN}@github.com/"]\n\tinsteadOf = git@github.com:`,
      `[url "https://github.com/"]\n\tinsteadOf = https://a:b@c@github.com/`,
      '[lfs]\n\turl = https://github.com/octo/app.git/info/lfs?x=a@b',
      '',
    ].join('\n'))
    expectNoToken(read)
    expect(read).toEqual([
      'remote.origin.url=https://github.com/octo/app.git',
      'remote.origin.pushurl=https://github.com/octo/app.git',
      'remote.mirror.url=ssh://example.com:2222/octo/app.git',
      // scp-like addresses name the SSH account, and have no scheme: kept.
      'remote.mirror.url=git@github.com:octo/app.git',
      'submodule.lib.url=https://gitlab.com/octo/lib',
      'http.proxy=http://proxy.example:3128',
      'url.https://github.com/.insteadof=git@github.com:',
      'url.https://github.com/.insteadof=https://github.com/',
      // An @ after the authority is not userinfo.
      'lfs.url=https://github.com/octo/app.git/info/lfs?x=a@b',
    ])
  })

  test('credential sections and variables named for secrets go', () => {
    const read = sanitizedAsGitReadsIt([
      '[credential]\n\thelper = store --file=/home/runner/.git-credentials\n\tuseHttpPath = true',
      `[credential "https://github.com"]\n\tusername = ${TOKEN}\n\thelper = "!f() { echo password=${TOKEN}; }; f"`,
      `[sendemail]\n\tsmtpPass = ${TOKEN}\n\tsmtpUser = me`,
      `[github]\n\tuser = octo\n\toauth-token = ${TOKEN}`,
      `[hub]\n\tOAuthToken = ${TOKEN}`,
      `[vault]\n\tclientSecret = ${TOKEN}\n\tpasswd = ${TOKEN}`,
      `[http "https://ghe.example/"]\n\tExtraHeader = Authorization: Bearer ${TOKEN}\n\tsslVerify = false`,
      '',
    ].join('\n'))
    expectNoToken(read)
    expect(read).toEqual(['sendemail.smtpuser=me', 'github.user=octo', 'http.https://ghe.example/.sslverify=false'])
  })
})

describe('hostile syntax', () => {
  test.each([
    ['upper-case section and name', `[HTTP "https://github.com/"]\n\tEXTRAHEADER = AUTHORIZATION: basic ${BASIC}\n`],
    ['the variable on the header line', `[credential] helper = "!echo ${TOKEN}"\n[http] extraHeader = x ${BASIC}\n`],
    ['the old [section.subsection] form', `[http.github]\n\textraheader = ${BASIC}\n[Credential.x]\n\tusername = ${TOKEN}\n`],
    ['a continuation line inside the URL', `[remote "o"]\n\turl = https://x-access-token:\\\n${TOKEN}@github.com/o/r\n`],
    ['a continuation line inside the name of the header value', `[http]\n\textraheader = AUTHORIZATION: \\\nbasic ${BASIC}\n`],
    ['quotes, escapes and comment characters', `[remote "o"]\n\turl = "https://u:${TOKEN}@h/#x" ; "a comment"\n\tname = "a\\"b\\\\c\\td\\ne\\b" # more\n`],
    ['a quoted subsection with escapes', `[url "https://${TOKEN}\\"@github.com/"]\n\tinsteadOf = gh:\n[url "https://a\\\\b@github.com/"]\n\tinsteadOf = gh2:\n`],
    ['CRLF line endings and a BOM', `\ufeff[remote "o"]\r\n\turl = https://${TOKEN}@github.com/o/r\r\n[http]\r\n\textraheader = ${BASIC}\r\n`],
    ['a variable before any section, bare booleans, spaces', `top = 1\n[core]\n\tbare\n\t  k  =   " x  " y   \n`],
    ['the token in comments only', `# AUTHORIZATION: basic ${BASIC}\n[core] ; ${TOKEN}\n\tbare = false # ${TOKEN}\n`],
  ])('%s', (_, text) => {
    expectNoToken(sanitizedAsGitReadsIt(text))
  })

  test('a file git cannot parse is withheld whole, naming the line as git does', () => {
    for (const text of [`[core]\n\tbare = "unterminated\n[remote "o"]\n\turl = https://${TOKEN}@h/`, `[core\n\turl = ${TOKEN}\n`, `[core]\n\tk = \\q ${TOKEN}\n`, `[core]\n\t0k = ${TOKEN}\n`, `[core]\n\tk = "${TOKEN}`, `[core]\n[remote "${TOKEN}`]) {
      const sanitized = sanitizeGitConfig(text).text
      expect(sanitized).not.toContain(TOKEN)
      expect(sanitized).toMatch(/is not valid git config \(bad config line \d+\)/)
      sanitizedAsGitReadsIt(text)
    }
    expect(sanitizeGitConfig(`[core]\n\tk = a\0${TOKEN}\n`).text).toContain('(it contains a NUL byte)')
  })

  test('an empty config stays valid', () => {
    expect(sanitizedAsGitReadsIt('')).toEqual([])
  })
})
