#!/bin/bash
# cgroup-v2-check.sh - run the cgroup tests (test/cgroup) on cgroup v2 for real, inside a small
# VM whose kernel has only the unified hierarchy (shared/tools/cgroup2-vm), together with the
# pool's own end-to-end limits test (test/limits.test.ts: real bwrap, real Vitest) and the machine
# probe (test/probe/probe.test.ts: the cgroup facts doctor and the banner report), twice:
#   1. as root, in the root cgroup (our subtree at the hierarchy root);
#   2. as an unprivileged user in a delegated cgroup, created and chowned by root the way
#      systemd's Delegate=yes does (the directory plus cgroup.procs, cgroup.subtree_control and
#      cgroup.threads), entered from a shell like `echo $$ | sudo tee …/cgroup.procs` and then
#      `npx vitest` (so npx and the shell are ancestors sitting in the delegated cgroup).
# Afterwards the delegated cgroup must be as it was: no child cgroups, no controllers enabled.
# Only the files that touch real cgroups run in the VM (the pure unit tests are the same on the
# host, and each file costs ~20 s of module loading under software emulation); the root pass also
# prints bench/cgroup-cpu.mjs's figures for cgroup v2.
#
#   scripts/cgroup-v2-check.sh            (as root, from anywhere; prints the seconds it took)
#   CGROUP2_VM=/path/to/cgroup2-vm scripts/cgroup-v2-check.sh
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
vm=${CGROUP2_VM:-$repo/../shared/tools/cgroup2-vm}
[ -x "$vm" ] || { echo "cgroup-v2-check: $vm not found (set CGROUP2_VM)" >&2; exit 2; }
cd "$repo"
start=$(date +%s)

guest=$(cat <<'GUEST'
set -eu
export NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false CI=true
FILES="test/cgroup/real.test.ts test/cgroup/delegation.test.ts test/cgroup/unavailable.test.ts test/limits.test.ts test/probe/probe.test.ts"
echo "== cgroup v2, root: $(cat /proc/self/cgroup) =="
node_modules/.bin/vitest run --reporter=verbose $FILES
node bench/cgroup-cpu.mjs 0.5 2

echo "== cgroup v2, unprivileged user in a delegated cgroup =="
id nsjailtest >/dev/null 2>&1 || useradd -m nsjailtest
D=/sys/fs/cgroup/ci-delegated
mkdir "$D"
chown nsjailtest "$D" "$D/cgroup.procs" "$D/cgroup.subtree_control" "$D/cgroup.threads"
# Vite writes a bundled copy of a TS config under node_modules: the runner loader reads it in place.
sh -c "echo \$\$ > $D/cgroup.procs && exec setpriv --reuid=nsjailtest --regid=nsjailtest --init-groups --reset-env \
  sh -c 'cd \"$PWD\" && export NPM_CONFIG_UPDATE_NOTIFIER=false CI=true && cat /proc/self/cgroup && npx vitest run --configLoader runner --reporter=verbose $FILES'"

left=$(find "$D" -mindepth 1 -type d); enabled=$(cat "$D/cgroup.subtree_control")
if [ -n "$left$enabled" ]; then
  echo "cgroup-v2-check: the delegated cgroup was not restored: dirs [$left] controllers [$enabled]" >&2
  exit 1
fi
left=$(find /sys/fs/cgroup -mindepth 1 -type d -name 'vitest-pool-nsjail*')
if [ -n "$left" ]; then echo "cgroup-v2-check: left behind: $left" >&2; exit 1; fi
echo "== delegated cgroup restored, nothing left behind =="
GUEST
)
"$vm" --timeout 1800 -- "$guest"
echo "cgroup-v2-check: passed in $(( $(date +%s) - start )) s"
