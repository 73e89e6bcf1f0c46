/**
 * Which files a sandbox may have the host write as a `toMatchFileSnapshot` target (or a Vitest 5
 * benchmark result). A request from the worker cannot prove that Vitest's snapshot machinery made
 * it — test code can forge one — so the rule is about the target path alone, and it must keep every
 * write from becoming code or configuration that runs on the host later:
 *
 * 1. no dot-file or dot-folder anywhere in the path (`.npmrc` → code at the next `npm test`,
 *    `.envrc`, `.vscode/tasks.json`, `.husky/*`, `.github/workflows/*`, `.git/*`, `.config/*`);
 * 2. nothing inside `node_modules` (installed code, `npm link`/workspace links);
 * 3. nothing directly in the project root, where tools look for their configuration;
 * 4. no file that tools pick up by its name wherever it is: package manifests and lockfiles,
 *    `*.config.*` and other tool configuration, build and task files, agent instructions;
 * 5. no file Vitest itself would run or load: anything its test include globs (and in-source,
 *    typecheck, benchmark globs) match, setupFiles, globalSetup, config files;
 * 6. code files (by extension: JavaScript/TypeScript and what Vite or a shell would run) only inside
 *    a `__snapshots__` folder, in every update mode: code generators snapshot their output there,
 *    while a code file anywhere else might be a module that a config, globalSetup or plugin imports
 *    (or a folder a framework auto-loads), so rewriting or creating one would run on the host.
 * How existing files are treated is the caller's part: in `update: 'new'` only new files are
 * created (O_EXCL); `-u` may rewrite an existing target that passes these rules. Pure.
 */
import picomatch from 'picomatch'

/** What Vitest runs or loads in this project (built once per project from its config). */
export interface VitestFiles {
  /** Glob sets relative to `dir`, each with what it is (for refusals). */
  globs: Array<{ what: string; dir: string; patterns: string[] }>
  /** Absolute paths of files Vitest loads, and what each is. */
  files: ReadonlyMap<string, string>
}

/** A compiled VitestFiles: what of Vitest's a path is, or null. */
export type VitestFileMatcher = (absolute: string) => string | null

export function vitestFileMatcher(vitest: VitestFiles): VitestFileMatcher {
  const matchers = vitest.globs
    .filter((g) => g.patterns.length)
    .map((g) => ({ ...g, match: picomatch(g.patterns, { dot: true }) }))
  return (absolute) => {
    const known = vitest.files.get(absolute)
    if (known) return known
    for (const g of matchers) {
      const rel = relativeInside(g.dir, absolute)
      if (rel !== null && g.match(rel)) return g.what
    }
    return null
  }
}

function relativeInside(dir: string, absolute: string): string | null {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`
  return absolute.startsWith(prefix) ? absolute.slice(prefix.length) : null
}

/** Names (lower case) tools pick up wherever they are, by group. */
const RESERVED: Array<[string, string[]]> = [
  ['a package manifest or lockfile', [
    'package.json', 'package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml', 'pnpm-workspace.yaml',
    'bun.lock', 'bun.lockb', 'bunfig.toml', 'deno.json', 'deno.jsonc', 'deno.lock', 'jsr.json', 'composer.json',
    'composer.lock', 'gemfile', 'gemfile.lock', 'cargo.toml', 'cargo.lock', 'go.mod', 'go.sum', 'go.work',
    'pyproject.toml', 'setup.py', 'setup.cfg', 'pipfile', 'pipfile.lock', 'poetry.lock', 'uv.lock', 'pom.xml',
    'build.gradle', 'build.gradle.kts', 'settings.gradle', 'settings.gradle.kts',
  ]],
  ['a build, task or environment file', [
    'makefile', 'gnumakefile', 'justfile', 'taskfile.yml', 'taskfile.yaml', 'rakefile', 'dockerfile', 'containerfile',
    'docker-compose.yml', 'docker-compose.yaml', 'compose.yml', 'compose.yaml', 'procfile', 'cmakelists.txt',
    'meson.build', 'build', 'build.bazel', 'workspace', 'workspace.bazel', 'module.bazel', 'flake.nix', 'shell.nix',
    'default.nix', 'devbox.json', 'mise.toml', 'vagrantfile', 'earthfile', 'tiltfile', 'lefthook.yml', 'lefthook.yaml',
  ]],
  ['tool configuration', [
    'lerna.json', 'nx.json', 'project.json', 'turbo.json', 'rush.json', 'renovate.json', 'renovate.json5', 'biome.json',
    'biome.jsonc', 'vercel.json', 'netlify.toml', 'wrangler.toml', 'wrangler.json', 'wrangler.jsonc', 'firebase.json',
    'angular.json', 'nest-cli.json', 'dprint.json', 'knip.json', 'cspell.json', 'devcontainer.json', 'codecov.yml',
  ]],
  ['instructions that coding agents read', ['agents.md', 'agent.md', 'claude.md', 'gemini.md', 'copilot-instructions.md']],
]

/** Name patterns of tool configuration. */
const RESERVED_PATTERNS: Array<[RegExp, string]> = [
  [/\.config\./i, 'tool configuration (`*.config.*`: vite, vitest, eslint, prettier, babel, postcss, playwright, …)'],
  [/^vitest\.(workspace|projects)\./i, "Vitest's project list"],
  [/^[jt]sconfig(\..*)?\.json$/i, 'TypeScript/JavaScript compiler configuration'],
  [/\.(code-workspace|sublime-project)$/i, 'editor configuration'],
]

/** Extensions of code that Node, Vite, a browser bundle or a shell would run. */
const CODE = new Set([
  'js', 'mjs', 'cjs', 'jsx', 'ts', 'mts', 'cts', 'tsx', 'vue', 'svelte', 'astro', 'marko', 'node', 'wasm',
  'sh', 'bash', 'zsh', 'fish', 'ps1', 'bat', 'cmd', 'py', 'rb', 'pl', 'php', 'lua',
])

export const SNAPSHOTS_FOLDER = '__snapshots__'

export interface FileTarget {
  /** The path's components below its base: the project root, or a writable folder outside it. */
  segments: string[]
  /** Whether the base is the project root (the root-level and Vitest rules apply there). */
  inProject: boolean
  absolute: string
}

/** Why the host must not write this file for the sandbox, or null. */
export function fileTargetRefusal(target: FileTarget, vitestFile: VitestFileMatcher): string | null {
  const { segments } = target
  const name = segments[segments.length - 1]
  const dot = segments.find((s) => s.startsWith('.'))
  if (dot !== undefined) {
    return `\`${dot}\` is a dot-file or dot-folder, and tools pick those up by name (.npmrc, .envrc, .vscode, .husky, .github, …). Write the snapshot into an ordinary folder such as ${SNAPSHOTS_FOLDER}/.`
  }
  if (segments.includes('node_modules')) return 'it is inside node_modules, where installed code lives.'
  if (target.inProject && segments.length === 1) {
    return `it is directly in the project root, where tools look for their configuration. Put it into a folder, e.g. ./${SNAPSHOTS_FOLDER}/${name}.`
  }
  const lower = name.toLowerCase()
  const group = RESERVED.find(([, names]) => names.includes(lower))?.[0] ?? RESERVED_PATTERNS.find(([re]) => re.test(name))?.[1]
  if (group) return `\`${name}\` is ${group}, which tools pick up by its name. Choose another file name.`
  const vitest = target.inProject ? vitestFile(target.absolute) : null
  if (vitest) return `Vitest itself would run or load it: ${vitest}.`
  const extension = lower.includes('.') ? lower.slice(lower.lastIndexOf('.') + 1) : ''
  if (CODE.has(extension) && !segments.slice(0, -1).includes(SNAPSHOTS_FOLDER)) {
    return `a .${extension} file is code that the project may import or run; code snapshots are written only inside a ${SNAPSHOTS_FOLDER} folder (e.g. ./${SNAPSHOTS_FOLDER}/${name}).`
  }
  return null
}
