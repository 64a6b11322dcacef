#!/usr/bin/env bash
# Launch vcolor on one or more nodes with OpenMPI (mpirun), with the settings
# that matter for CPU training over plain Ethernet:
#   - R ranks per node, each bound to its own C/R cores (C = cores per node),
#     OpenBLAS using exactly those C/R threads;
#   - TCP for inter-node traffic, shared memory (vader) inside a node, on the
#     interface you name (multi-homed nodes otherwise try docker/virbr
#     addresses and hang);
#   - --allow-run-as-root when started as root (containers).
#
# Usage: cluster/launch.sh [options] -- VCOLOR_ARGS...
#   -H FILE   hostfile (default: run on this node only)
#   -r N      ranks per node (default 1)
#   -c N      cores per node (default: nproc here; nodes must be alike)
#   -i IFACE  network interface or CIDR for MPI traffic, e.g. eth0 or 10.0.0.0/24
#   -b PATH   vcolor binary (default: vcolor on PATH, else .build/release/vcolor)
#   -o        allow more ranks than cores (--oversubscribe; testing only)
#   -t        TCP only, no shared memory (--mca btl tcp,self; testbed hosts share a kernel)
#   -N        bind no rank to cores (testbed hosts share the same cores)
#   -k SECS   declare a node lost after about SECS of silence on its daemon's
#             connection (TCP keepalive; default 20 → ~35 s; 0: OpenMPI's ~8 min)
#   -n        dry run: print the mpirun command and exit
# Examples:
#   cluster/launch.sh -r 2 -- doctor
#   cluster/launch.sh -H cluster/hostfile -r 2 -i eth0 -- train --data /shared/data --run /shared/runs/a
#   cluster/testbed.sh run 1 -- sh -c 'cluster/launch.sh -H "$VCOLOR_TESTBED_HOSTFILE" -t -N -i 198.18.0.0/24 -- doctor'
set -euo pipefail

hostfile="" ranks_per_node=1 cores="" iface="" binary="" oversubscribe=0 dry_run=0 tcp_only=0 unbound=0 keepalive=20
while getopts "H:r:c:i:b:ontNk:h" opt; do
  case "$opt" in
    H) hostfile="$OPTARG" ;;
    r) ranks_per_node="$OPTARG" ;;
    c) cores="$OPTARG" ;;
    i) iface="$OPTARG" ;;
    b) binary="$OPTARG" ;;
    o) oversubscribe=1 ;;
    n) dry_run=1 ;;
    t) tcp_only=1 ;;
    N) unbound=1 ;;
    k) keepalive="$OPTARG" ;;
    h) sed -n '2,29p' "$0"; exit 0 ;;
    *) echo "launch.sh: unknown option (see -h)" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[[ "${1:-}" == "--" ]] && shift
[[ $# -gt 0 ]] || { echo "launch.sh: no vcolor arguments given (e.g. -- doctor)" >&2; exit 2; }

command -v mpirun >/dev/null || { echo "launch.sh: mpirun not found (apt install openmpi-bin)" >&2; exit 1; }
if [[ -z "$binary" ]]; then
  if command -v vcolor >/dev/null; then binary="$(command -v vcolor)"
  elif [[ -x .build/release/vcolor ]]; then binary="$PWD/.build/release/vcolor"
  else echo "launch.sh: no vcolor binary (build with swift build -c release, or pass -b)" >&2; exit 1; fi
fi
[[ "$ranks_per_node" =~ ^[1-9][0-9]*$ ]] || { echo "launch.sh: -r must be a positive integer" >&2; exit 2; }
[[ "$keepalive" =~ ^[0-9]+$ ]] || { echo "launch.sh: -k must be whole seconds" >&2; exit 2; }
cores="${cores:-$(nproc)}"

# Nodes: non-empty, non-comment lines of the hostfile (or this node alone).
if [[ -n "$hostfile" ]]; then
  [[ -r "$hostfile" ]] || { echo "launch.sh: cannot read hostfile $hostfile" >&2; exit 1; }
  nodes=$(grep -cvE '^[[:space:]]*(#|$)' "$hostfile" || true)
  [[ "$nodes" -ge 1 ]] || { echo "launch.sh: hostfile $hostfile lists no nodes" >&2; exit 1; }
else
  nodes=1
fi
total=$((nodes * ranks_per_node))

threads=$((cores / ranks_per_node))
args=(mpirun -np "$total")
[[ -n "$hostfile" ]] && args+=(--hostfile "$hostfile")
if [[ "$unbound" == 1 ]]; then
  threads=$(( threads >= 1 ? threads : 1 ))
  args+=(--map-by "ppr:${ranks_per_node}:node" --bind-to none)
elif [[ "$threads" -ge 1 ]]; then
  # ppr: R ranks per node; PE: each rank owns `threads` cores it is bound to.
  args+=(--map-by "ppr:${ranks_per_node}:node:PE=${threads}" --bind-to core)
else
  [[ "$oversubscribe" == 1 ]] || { echo "launch.sh: $ranks_per_node ranks per node but only $cores cores (use -o to oversubscribe)" >&2; exit 1; }
  threads=1
  args+=(--map-by "ppr:${ranks_per_node}:node" --bind-to none)
fi
[[ "$oversubscribe" == 1 ]] && args+=(--oversubscribe)
[[ "$(id -u)" == 0 ]] && args+=(--allow-run-as-root)

# Plain Ethernet: ob1 with TCP between nodes, shared memory within a node;
# no InfiniBand probing (openib warnings and slow start-up on Ethernet nodes).
if [[ "$tcp_only" == 1 ]]; then
  args+=(--mca pml ob1 --mca btl tcp,self)
else
  args+=(--mca pml ob1 --mca btl tcp,vader,self)
fi
if [[ -n "$iface" ]]; then
  args+=(--mca btl_tcp_if_include "$iface" --mca oob_tcp_if_include "$iface")
fi

# A node cut off from the network (cable, switch) closes no connection: by
# default mpirun notices only after OpenMPI's TCP keepalive gives up (300 s
# + 9 x 20 s). Probing the daemons' connections sooner ends such a job in
# about keepalive + 3 x keepalive/4 seconds (measured on the testbed: 13 s
# with 5 s), with "ORTE has lost communication with a remote daemon".
if [[ "$keepalive" -gt 0 ]]; then
  interval=$(( keepalive / 4 > 0 ? keepalive / 4 : 1 ))
  args+=(--mca oob_tcp_keepalive_time "$keepalive" --mca oob_tcp_keepalive_intvl "$interval"
         --mca oob_tcp_keepalive_probes 3)
fi

# Every rank gets the same thread settings and library/binary search paths.
args+=(-x "OPENBLAS_NUM_THREADS=$threads" -x "OMP_NUM_THREADS=$threads" -x PATH)
[[ -n "${LD_LIBRARY_PATH:-}" ]] && args+=(-x LD_LIBRARY_PATH)
args+=("$binary" "$@")

if [[ "$dry_run" == 1 ]]; then
  printf '%q ' "${args[@]}"; echo
  exit 0
fi
echo "launch.sh: $nodes node(s) x $ranks_per_node rank(s), $threads BLAS thread(s) per rank" >&2
exec "${args[@]}"
