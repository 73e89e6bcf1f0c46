/** Where Node's profilers write, and whether the sandbox lets that reach the host (src/pool/profiles.ts). */
import { describe, expect, test } from 'vitest'
import { profileFolders, profileOutputProblems, withProfileNames, writesAtExit } from '../../src/pool/profiles.js'

const root = '/home/me/app'

describe('profileFolders', () => {
  test('each profiler flag with its folder flag, --diagnostic-dir, or the working directory', () => {
    expect(profileFolders(['--cpu-prof', '--cpu-prof-dir=prof'], root)).toEqual(new Map([['--cpu-prof', '/home/me/app/prof']]))
    expect(profileFolders(['--cpu-prof', '--cpu-prof-dir', '/tmp/p'], root)).toEqual(new Map([['--cpu-prof', '/tmp/p']]))
    expect(profileFolders(['--heap-prof', '--diagnostic-dir=diag', '--cpu-prof'], root)).toEqual(new Map([
      ['--cpu-prof', '/home/me/app/diag'],
      ['--heap-prof', '/home/me/app/diag'],
    ]))
    expect(profileFolders(['--prof'], root)).toEqual(new Map([['--prof', root]]))
    expect(profileFolders(['--prof', '--logfile=logs/v8.log'], root)).toEqual(new Map([['--prof', '/home/me/app/logs']]))
    expect(profileFolders(['--inspect', '--cpu-prof-dir=prof', '--max-old-space-size=100'], root)).toEqual(new Map())
  })
})

describe('profileOutputProblems', () => {
  test('a folder inside a writable one passes', () => {
    expect(profileOutputProblems(['--cpu-prof', '--cpu-prof-dir=out/prof'], root, ['/home/me/app/out'])).toEqual([])
    expect(profileOutputProblems(['--cpu-prof', '--cpu-prof-dir=out/prof'], root, ['/'])).toEqual([])
  })

  test('a folder in the read-only project names the flag, the folder and the option to add', () => {
    const [problem] = profileOutputProblems(['--cpu-prof', '--cpu-prof-dir=prof'], root, ['/home/me/app/tmp'])
    expect(problem.message).toBe(
      'vitest-pool-nsjail: `test.execArgv` has --cpu-prof, so each sandboxed worker writes its profile into /home/me/app/prof, which the sandbox ' +
        "cannot write to the host (the write fails, or stays in the sandbox's own /tmp). To keep them, add that folder to the writable ones: " +
        'nsjail({ fs: { writable: ["prof"] } }).',
    )
  })

  test('the project root itself asks for a folder of their own; one outside the project is named absolute', () => {
    const [cwd] = profileOutputProblems(['--heap-prof'], root, [])
    expect(cwd.message).toContain('give the profiles a folder of their own (--heap-prof-dir=profiles) and add it to the writable ones')
    const [outside] = profileOutputProblems(['--cpu-prof', '--cpu-prof-dir=/tmp/prof'], root, [])
    expect(outside.message).toContain('nsjail({ fs: { writable: ["/tmp/prof"] } })')
  })
})

describe('withProfileNames', () => {
  const date = new Date(2026, 11, 7, 15, 18, 4)
  test("each profile gets a name in Node's pattern with the sandbox's id for the pid; the user's names stay", () => {
    expect(withProfileNames(['--cpu-prof', '--heap-prof'], '123-4', date)).toEqual([
      '--cpu-prof', '--heap-prof', '--cpu-prof-name=CPU.20261207.151804.123-4.cpuprofile', '--heap-prof-name=Heap.20261207.151804.123-4.heapprofile',
    ])
    expect(withProfileNames(['--cpu-prof', '--cpu-prof-name=mine.cpuprofile'], '1-1', date)).toEqual(['--cpu-prof', '--cpu-prof-name=mine.cpuprofile'])
    expect(withProfileNames(['--inspect'], '1-1', date)).toEqual(['--inspect'])
  })

  test('writesAtExit: profilers and diagnostic reports, nothing else', () => {
    expect(writesAtExit(['--cpu-prof'])).toBe(true)
    expect(writesAtExit(['--prof'])).toBe(true)
    expect(writesAtExit(['--diagnostic-dir=d'])).toBe(true)
    expect(writesAtExit(['--inspect', '--max-old-space-size=100'])).toBe(false)
  })
})
