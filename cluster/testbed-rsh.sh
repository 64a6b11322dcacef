#!/usr/bin/env bash
# The testbed's `ssh`: OpenMPI's remote-shell agent (plm_rsh_agent) for the
# hosts of cluster/testbed.sh. mpirun calls it as `AGENT [options] HOST
# COMMAND...` to start its daemon (orted) on HOST; this runs COMMAND with a
# shell inside HOST's network and UTS namespaces, as ssh would on HOST.
# HOST is an address (198.18.0.H), a host name (NAME-hH) or H.
set -euo pipefail
name="${VCOLOR_TESTBED:-vctb}"
state="/run/vcolor-testbed-$name"
while [[ "${1:-}" == -* ]]; do shift; done   # ssh-style options (-x, -q …) mean nothing here
host="${1:?testbed-rsh.sh: no host given}"; shift
h=$(awk -v x="$host" '$1 == x || $2 == x || $3 == x { print $2 }' "$state/hosts" 2>/dev/null || true)
[[ -n "$h" ]] || { echo "testbed-rsh.sh: $host is not a host of testbed '$name' (is it up?)" >&2; exit 255; }
pid="$(cat "$state/host$h.pid")"
# The host's CPU groups (testbed.sh up --cpus), as its own processes have.
if [[ -f "$state/host$h.cgroups" ]]; then
  while read -r g; do echo $$ > "$g/cgroup.procs"; done < "$state/host$h.cgroups"
fi
exec nsenter -t "$pid" -n -u -- /bin/sh -c "$*"
