/**
 * Node's profilers in the sandbox. Vitest's way to profile tests is Node's own flags in
 * `test.execArgv` (`--cpu-prof`, `--heap-prof`, `--prof`), and the worker writes the profiles:
 * - at its own exit only, not when a signal ends it (nodejs/node#55094): the pool lets it exit
 *   (src/pool/sandbox.ts);
 * - named after its pid, which is the same in every sandbox (its pid namespace's first process):
 *   each sandbox names its own;
 * - inside the sandbox, where only `fs.writable` folders reach the host: anywhere else the write
 *   fails (EROFS in the read-only project) or lands in the sandbox's own /tmp and is gone with it.
 *   Found before any test runs, with the option that fixes it.
 * Pure.
 */
import path from 'node:path'
import { SetupError } from '../policy/errors.js'
import { under } from '../channel/firewall/paths.js'

/** Node flags whose output (profiles, V8 logs, diagnostic reports) is written at the worker's own exit. */
export function writesAtExit(execArgv: readonly string[]): boolean {
  return execArgv.some((arg) => /^--(prof|cpu-prof|heap-prof|diagnostic-dir)/.test(arg))
}

/** How to give each profiler's output a folder. */
const FOLDER_FLAG: Record<string, string> = {
  '--cpu-prof': '--cpu-prof-dir=profiles',
  '--heap-prof': '--heap-prof-dir=profiles',
  '--prof': '--logfile=profiles/v8.log',
}

/** The value of `--name=value` or `--name value` in `argv`, the last one given. */
function flagValue(argv: readonly string[], name: string): string | undefined {
  let value: string | undefined
  argv.forEach((arg, i) => {
    if (arg.startsWith(`${name}=`)) value = arg.slice(name.length + 1)
    else if (arg === name && i + 1 < argv.length) value = argv[i + 1]
  })
  return value
}

/** Where Node writes what `execArgv` asks for, run in `cwd`: flag → folder. */
export function profileFolders(execArgv: readonly string[], cwd: string): Map<string, string> {
  const has = (flag: string) => execArgv.includes(flag)
  const diagnostic = flagValue(execArgv, '--diagnostic-dir')
  const folders = new Map<string, string>()
  const add = (flag: string, folder: string | undefined) => folders.set(flag, path.resolve(cwd, folder ?? '.'))
  if (has('--cpu-prof')) add('--cpu-prof', flagValue(execArgv, '--cpu-prof-dir') ?? diagnostic)
  if (has('--heap-prof')) add('--heap-prof', flagValue(execArgv, '--heap-prof-dir') ?? diagnostic)
  if (has('--prof')) {
    const logfile = flagValue(execArgv, '--logfile')
    add('--prof', logfile === undefined ? undefined : path.dirname(logfile))
  }
  return folders
}

/**
 * A problem for each profiler flag whose folder is in none of the options' `fs.writable` folders
 * (any layer's: a rule may be the one that grants it to the files it profiles), given absolute and
 * normal (path.resolve'd).
 */
export function profileOutputProblems(execArgv: readonly string[], cwd: string, writable: readonly string[]): SetupError[] {
  const problems: SetupError[] = []
  for (const [flag, folder] of profileFolders(execArgv, cwd)) {
    if (under(folder, writable)) continue
    const where = `each sandboxed worker writes its profile into ${folder}, which the sandbox cannot write to the host (the write fails, or stays in the sandbox's own /tmp)`
    const relative = path.relative(cwd, folder)
    const fix = folder === cwd
      ? `give the profiles a folder of their own (${FOLDER_FLAG[flag]}) and add it to the writable ones: nsjail({ fs: { writable: ['profiles'] } })`
      : `add that folder to the writable ones: nsjail({ fs: { writable: [${JSON.stringify(relative.startsWith('..') ? folder : relative)}] } })`
    problems.push(new SetupError(`\`test.execArgv\` has ${flag}, so ${where}. To keep them, ${fix}.`))
  }
  return problems
}

/**
 * `execArgv` with a name of its own for each profile Node would name after the pid, in Node's own
 * pattern with `id` in the pid's place (`CPU.20261207.151804.<id>.cpuprofile`). Names the user
 * gave are kept.
 */
export function withProfileNames(execArgv: readonly string[], id: string, date: Date): string[] {
  const pad = (n: number) => String(n).padStart(2, '0')
  const stamp = `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}.${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`
  const named = (flag: string) => execArgv.some((arg) => arg === flag || arg.startsWith(`${flag}=`))
  const names: string[] = []
  if (execArgv.includes('--cpu-prof') && !named('--cpu-prof-name')) names.push(`--cpu-prof-name=CPU.${stamp}.${id}.cpuprofile`)
  if (execArgv.includes('--heap-prof') && !named('--heap-prof-name')) names.push(`--heap-prof-name=Heap.${stamp}.${id}.heapprofile`)
  return names.length ? [...execArgv, ...names] : [...execArgv]
}
