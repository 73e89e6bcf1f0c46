#!/usr/bin/env bash
# The Vitest 5 leg: the project's whole suite on the newest Vitest 5.x, run by Node 22 (Vitest 5 needs
# Node ^22.12 || ^24 || >=26), in a scratch copy of the repository. Nothing in the repository changes:
# the copy gets the newest vitest 5.x, @vitest/coverage-v8 and -istanbul of the same version, and node@22 (the `node`
# package from the npm registry: a Node 22 binary in node_modules/.bin/node), builds with them, and
# runs `vitest run` with that binary, so the sandboxed workers run Node 22 too.
#
#   scripts/vitest5-leg.sh [vitest args…]      e.g. scripts/vitest5-leg.sh test/firewall
#
# Environment: V5_LEG_DIR=<dir> uses (and keeps) that directory instead of a fresh one in .v5-leg/;
# V5_LEG_KEEP=1 keeps the fresh one. Prints how long each step took. Exit status: the suite's.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
start=$SECONDS
step() { echo "=== [v5 leg +$((SECONDS - start))s] $*"; }

if [ -n "${V5_LEG_DIR:-}" ]; then
  dir=$V5_LEG_DIR
  mkdir -p "$dir"
else
  # Inside the repository (git-ignored), where the suite already runs: not under /tmp, where tests
  # that build their own sandboxes put a fresh tmpfs that would hide the copy and its Node binary;
  # not under /var, which the isolation tests check is absent from the sandbox.
  mkdir -p "$repo/.v5-leg"
  chmod 755 "$repo/.v5-leg"
  dir=$(mktemp -d "$repo/.v5-leg/run-XXXXXX")
  [ -n "${V5_LEG_KEEP:-}" ] || trap 'rm -rf "$dir"' EXIT
fi
# mktemp makes it 0700; as root the sandbox user (the project's owner, or nobody) must read the project.
chmod 755 "$dir"

step "copy of $repo in $dir"
tar -C "$repo" --exclude=./.git --exclude=./node_modules --exclude=./dist --exclude=./.fixtures-tmp \
  --exclude=./.bench-tmp --exclude=./.v5-leg -cf - . | tar -xf - -C "$dir"
cd "$dir"

step "npm ci, then the newest vitest 5.x with its coverage providers, and node@22"
npm ci --no-audit --no-fund --loglevel=error
# One version for all three: the coverage providers peer-depend on exactly their vitest.
v5=$(npm view 'vitest@^5' version --json | node -e '
  const key = (v) => v.split(".").map(Number)
  const newest = [].concat(JSON.parse(require("fs").readFileSync(0, "utf8")))
    .sort((a, b) => key(a).reduce((d, n, i) => d || n - key(b)[i], 0)).pop()
  console.log(newest)')
npm install --no-audit --no-fund --loglevel=error \
  "vitest@$v5" "@vitest/coverage-v8@$v5" "@vitest/coverage-istanbul@$v5" node@22 @types/node@22
node22=$dir/node_modules/.bin/node
"$node22" -e 'const [maj, min] = process.versions.node.split(".").map(Number); if (maj !== 22 || min < 12) { console.error(`node@22 gave ${process.version}`); process.exit(1) }'
echo "node $("$node22" --version), vitest $("$node22" -p 'require("vitest/package.json").version'), vite $("$node22" -p 'require("vite/package.json").version')"

step "build (tsc against Vitest 5's types, then the bundle, run by Node 22)"
"$node22" node_modules/typescript/bin/tsc -p tsconfig.build.json
"$node22" scripts/bundle.mjs

step "vitest run $*"
# node_modules/.bin first: `node` in child processes (scratch projects, npx) is Node 22 as well.
status=0
PATH="$dir/node_modules/.bin:$PATH" "$node22" node_modules/vitest/vitest.mjs run "$@" || status=$?
step "done (exit $status)"
exit $status
