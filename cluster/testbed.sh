#!/usr/bin/env bash
# A cluster of N "hosts" on this one machine, for running vcolor over real TCP
# links with mpirun exactly as on a cluster (hostfile, remote-shell agent, TCP
# BTL on one network), and for breaking those links on purpose.
#
# Every host is a network namespace with one veth link to a bridge that lives
# in a namespace of its own: address 198.18.0.H/24 (the benchmarking range) on
# its `eth0`, no default route, so nothing leaves the testbed. Every host also
# has its own UTS namespace, hence its own host name (`NAME-hH`): MPI sees N
# nodes and per-node logic (threads per node, doctor's node count) does too.
# A holder process (`sleep`) keeps each host's namespaces alive; commands enter
# them with nsenter. The hosts share the file system, as nodes share NFS.
#
# Usage (as root):
#   cluster/testbed.sh up N [--rate 10gbit|1gbit|RATE] [--delay MS] [--cpus C] [--slurm]
#   cluster/testbed.sh run H -- COMMAND...    # run COMMAND on host H (1-based)
#   cluster/testbed.sh link H up|down         # plug / unplug host H's cable
#   cluster/testbed.sh kill H                 # SIGKILL every process on host H (a dead node)
#   cluster/testbed.sh bytes H                # bytes host H has sent on its link so far
#   cluster/testbed.sh cpu H                  # CPU ns host H has used (up with --cpus)
#   cluster/testbed.sh slurm COMMAND...       # a Slurm command on the login node (with --slurm)
#   cluster/testbed.sh status
#   cluster/testbed.sh down                   # always safe; removes everything
#
# `run` exports OMPI_MCA_plm_rsh_agent (cluster/testbed-rsh.sh, the testbed's
# `ssh`) and VCOLOR_TESTBED_HOSTFILE (one line per host, `198.18.0.H slots=C`).
# A two-host doctor over TCP only:
#   cluster/testbed.sh up 2
#   cluster/testbed.sh run 1 -- sh -c 'cluster/launch.sh -H "$VCOLOR_TESTBED_HOSTFILE" \
#       -t -N -i 198.18.0.0/24 -- doctor'
#   cluster/testbed.sh down
#
# --rate shapes every link in both directions with `tc tbf` (the host's egress
# and the bridge port's egress). --delay needs the kernel's netem qdisc; where
# it is missing `up` fails with a message instead of running unshaped.
# --cpus C gives every host C CPUs' worth of time (0.5, 1, 1.5 …) with a
# control group of the kernel's CPU controller (v2 `cpu.max`, or v1
# `cpu.cfs_quota_us`) that the holder, `run` and the testbed's `ssh` (so
# mpirun's daemons and ranks) join; `cpu H` reads the CPU time it has used. With N × C at most the machine's cores every host is
# a machine of C CPUs as far as time goes (they still share caches and memory
# bandwidth). Slurm's daemons do not join them.
# VCOLOR_TESTBED=NAME (default vctb) names the testbed, so several can coexist;
# its state lives in /run/vcolor-testbed-NAME.
#
# --slurm makes it a Slurm cluster (Debian's slurmctld, slurmd, munge): one
# munged, a controller on a host of its own (NAME-ctl, 198.18.0.254, which
# is also the login node `slurm` runs commands on) and one slurmd per host,
# NodeName = the host's name; configuration, spools, logs and munge key all
# under the state directory (SLURM_CONF=/run/vcolor-testbed-NAME/slurm/slurm.conf, which `run`
# and `slurm` export). cluster/testbed-slurm.sh writes and starts it.
set -euo pipefail

name="${VCOLOR_TESTBED:-vctb}"
[[ "$name" =~ ^[a-z][a-z0-9]{0,7}$ ]] || { echo "testbed.sh: VCOLOR_TESTBED must be 1-8 lower-case letters/digits, got '$name'" >&2; exit 2; }
state="/run/vcolor-testbed-$name"
here="$(cd "$(dirname "$0")" && pwd)"
subnet="198.18.0"

die() { echo "testbed.sh: $*" >&2; exit 1; }

# Can this process make network namespaces at all? (root, iproute2, unshare, nsenter)
check_capable() {
  [[ "$(id -u)" == 0 ]] || die "needs root (network namespaces)"
  for tool in ip tc unshare nsenter; do
    command -v "$tool" >/dev/null || die "$tool not found (apt install iproute2 util-linux)"
  done
  local probe="${name}-probe"
  ip netns add "$probe" 2>/dev/null || die "cannot create network namespaces here (ip netns add failed)"
  ip netns delete "$probe"
}

holder_pid() { cat "$state/host$1.pid" 2>/dev/null || true; }

down() {
  # Holders first (their namespaces go with them), then the named namespaces
  # and the state. Every step tolerates what is already gone.
  if [[ -d "$state" ]]; then
    [[ -d "$state/slurm" ]] && "$here/testbed-slurm.sh" stop "$state"
    for f in "$state"/host*.pid "$state"/ctl.pid; do
      [[ -e "$f" ]] || continue
      pid="$(cat "$f")"
      [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true
    done
  fi
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^${name}-(br|ctl|h[0-9]+)$" || true); do
    # Anything still running inside (a rank left over from a failed test) goes too.
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns delete "$ns" 2>/dev/null || true
  done
  # The hosts' CPU groups, once their processes are gone.
  for g in /sys/fs/cgroup/vcolor-testbed-"$name" /sys/fs/cgroup/{cpu,cpuacct}/vcolor-testbed-"$name"; do
    [[ -d "$g" ]] || continue
    for d in "$g"/h*; do
      [[ -d "$d" ]] || continue
      # A killed process leaves its group only once it has exited (freeing a
      # rank's memory takes a moment): wait up to 5 s for the group to empty.
      for _ in $(seq 1 50); do [[ -s "$d/cgroup.procs" ]] || break; sleep 0.1; done
      rmdir "$d" 2>/dev/null || echo "testbed.sh: could not remove the CPU group $d" >&2
    done
    rmdir "$g" 2>/dev/null || true
  done
  rm -rf "$state"
}

# cpu_groups H: host H's CPU group(s) with --cpus' quota; their directories
# go to $state/hostH.cgroups, one a line, for join_host.
cpu_groups() {
  local h="$1" period=10000 quota g
  quota=$(awk -v c="$cpus" -v p="$period" 'BEGIN { printf "%d", c * p }')
  : > "$state/host$h.cgroups"
  if [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
    grep -qw cpu /sys/fs/cgroup/cgroup.controllers || die "--cpus: the cgroup v2 CPU controller is not available"
    grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control || echo +cpu > /sys/fs/cgroup/cgroup.subtree_control ||
      die "--cpus: cannot enable the CPU controller below /sys/fs/cgroup (a container's cgroup that holds processes?)"
    g="/sys/fs/cgroup/vcolor-testbed-$name"
    mkdir -p "$g"
    grep -qw cpu "$g/cgroup.subtree_control" || echo +cpu > "$g/cgroup.subtree_control" ||
      die "--cpus: cannot enable the CPU controller in $g"
    mkdir -p "$g/h$h"
    echo "$quota $period" > "$g/h$h/cpu.max"
    echo "$g/h$h" >> "$state/host$h.cgroups"
  elif [[ -w /sys/fs/cgroup/cpu/cpu.cfs_quota_us ]]; then
    g="/sys/fs/cgroup/cpu/vcolor-testbed-$name/h$h"
    mkdir -p "$g"
    echo "$period" > "$g/cpu.cfs_period_us"
    echo "$quota" > "$g/cpu.cfs_quota_us"
    echo "$g" >> "$state/host$h.cgroups"
    if [[ -d /sys/fs/cgroup/cpuacct && ! /sys/fs/cgroup/cpuacct -ef /sys/fs/cgroup/cpu ]]; then
      mkdir -p "/sys/fs/cgroup/cpuacct/vcolor-testbed-$name/h$h"
      echo "/sys/fs/cgroup/cpuacct/vcolor-testbed-$name/h$h" >> "$state/host$h.cgroups"
    fi
  else
    die "--cpus needs a writable cgroup CPU controller (v2 cpu.max or v1 cpu.cfs_quota_us)"
  fi
}

# join_host H PID: PID (and all it starts from then on) into host H's CPU groups, if it has any.
join_host() {
  local g
  [[ -f "$state/host$1.cgroups" ]] || return 0
  while read -r g; do echo "$2" > "$g/cgroup.procs"; done < "$state/host$1.cgroups"
}

shape() {  # shape NETNS DEV: tbf at --rate, netem delay if asked
  local ns="$1" dev="$2"
  if [[ -n "$delay" ]]; then
    ip netns exec "$ns" tc qdisc add dev "$dev" root handle 1: netem delay "${delay}ms" 2>/dev/null ||
      die "--delay needs the netem qdisc, which this kernel lacks (modprobe sch_netem)"
  fi
  if [[ -n "$rate" ]]; then
    local bits burst
    bits=$(rate_bits "$rate")
    # Burst: 1 ms at the rate, at least 128 KB (a veth carries 64 KB GSO packets).
    burst=$(( bits / 8 / 1000 )); (( burst < 131072 )) && burst=131072
    local parent="root"; [[ -n "$delay" ]] && parent="parent 1:1"
    # shellcheck disable=SC2086
    ip netns exec "$ns" tc qdisc add dev "$dev" $parent handle 10: tbf rate "$rate" burst "$burst" latency 50ms ||
      die "tc tbf failed on $dev in $ns"
  fi
}

rate_bits() {  # 10gbit, 1gbit, 500mbit, 100kbit → bits per second
  local r="$1"
  case "$r" in
    *gbit) echo $(( ${r%gbit} * 1000000000 )) ;;
    *mbit) echo $(( ${r%mbit} * 1000000 )) ;;
    *kbit) echo $(( ${r%kbit} * 1000 )) ;;
    *) die "--rate must look like 10gbit, 1gbit or 500mbit, got '$r'" ;;
  esac
}

# add_host NETNS ADDRESS VETH PIDFILE: a namespace host on the bridge, named
# NETNS (its host name too), with a holder whose pid goes to PIDFILE.
add_host() {
  local ns="$1" addr="$2" veth="$3" pidfile="$4" br="${name}-br"
  ip netns add "$ns"
  ip link add "${veth}x" type veth peer name "$veth"
  ip link set "${veth}x" netns "$ns"
  ip link set "$veth" netns "$br"
  ip -n "$ns" link set "${veth}x" name eth0
  ip -n "$ns" addr add "$addr/24" dev eth0
  ip -n "$ns" link set lo up
  ip -n "$ns" link set eth0 up
  ip -n "$br" link set "$veth" master br0
  ip -n "$br" link set "$veth" up
  shape "$ns" eth0
  shape "$br" "$veth"
  # The holder: in the host's network namespace and a new UTS namespace
  # with the host's name; it sleeps until `down` kills it.
  # It keeps no descriptor of ours open beyond 0-2 (a caller waiting for
  # EOF on a pipe it gave us would otherwise wait for the holder).
  (
    for fd in /proc/$BASHPID/fd/*; do fd=${fd##*/}; (( fd > 2 )) && eval "exec $fd>&-" 2>/dev/null; done
    exec ip netns exec "$ns" unshare --uts sh -c "hostname $ns && exec sleep infinity"
  ) </dev/null >/dev/null 2>&1 &
  echo $! > "$pidfile"
}

# wait_named PID NAME: until PID's UTS namespace has host name NAME (its unshare has run).
wait_named() {
  for _ in $(seq 1 100); do
    [[ "$(nsenter -t "$1" -u hostname 2>/dev/null)" == "$2" ]] && return 0
    sleep 0.05
  done
  return 1
}

up() {
  local n="$1"
  [[ "$n" =~ ^[1-9][0-9]*$ && "$n" -le 250 ]] || die "N must be 1…250, got '$n'"
  check_capable
  [[ "$slurm" == 1 ]] && { "$here/testbed-slurm.sh" check || exit 1; }
  [[ -d "$state" ]] && die "testbed '$name' is already up (cluster/testbed.sh down first)"
  # Whatever fails from here on (a command under set -e, or die), nothing stays behind.
  trap 'rc=$?; if [[ $rc != 0 ]]; then echo "testbed.sh: up failed; cleaning up" >&2; down; fi' EXIT
  mkdir -p "$state"
  local br="${name}-br"
  ip netns add "$br"
  ip -n "$br" link add br0 type bridge
  ip -n "$br" link set br0 up
  ip -n "$br" link set lo up
  local slots; slots=$(nproc)
  : > "$state/hostfile"
  for h in $(seq 1 "$n"); do
    add_host "${name}-h$h" "$subnet.$h" "${name}b${h}" "$state/host$h.pid"
    echo "$subnet.$h slots=$slots" >> "$state/hostfile"
    echo "$subnet.$h $h ${name}-h$h" >> "$state/hosts"
  done
  [[ "$slurm" == 1 ]] && add_host "${name}-ctl" "$subnet.254" "${name}bc" "$state/ctl.pid"
  for h in $(seq 1 "$n"); do
    wait_named "$(holder_pid "$h")" "${name}-h$h" || die "host $h did not come up"
    if [[ -n "$cpus" ]]; then cpu_groups "$h"; join_host "$h" "$(holder_pid "$h")"; fi
  done
  if [[ "$slurm" == 1 ]]; then
    wait_named "$(cat "$state/ctl.pid")" "${name}-ctl" || die "the controller's host did not come up"
    "$here/testbed-slurm.sh" start "$state" "$name" "$n" || die "Slurm did not come up (logs in $state/slurm/log)"
  fi
  echo "$n" > "$state/size"
  trap - EXIT
  echo "testbed '$name': $n host(s) $subnet.1…$subnet.$n${rate:+, links at $rate}${delay:+, +${delay} ms}${cpus:+, $cpus CPU(s) each}; hostfile $state/hostfile"
  [[ "$slurm" == 1 ]] && echo "Slurm: controller ${name}-ctl ($subnet.254), nodes ${name}-h[1-$n]; SLURM_CONF=$state/slurm/slurm.conf"
  return 0
}

run() {
  local h="$1"; shift
  [[ "${1:-}" == "--" ]] && shift
  [[ $# -gt 0 ]] || die "run: no command given"
  local pid; pid="$(holder_pid "$h")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || die "host $h of testbed '$name' is not up"
  export VCOLOR_TESTBED="$name" VCOLOR_TESTBED_HOSTFILE="$state/hostfile"
  export OMPI_MCA_plm_rsh_agent="$here/testbed-rsh.sh"
  [[ -f "$state/slurm/slurm.conf" ]] && export SLURM_CONF="$state/slurm/slurm.conf"
  join_host "$h" $$
  exec nsenter -t "$pid" -n -u -- "$@"
}

slurm_command() {  # on the login node (the controller's host), as a user of the cluster would
  [[ $# -gt 0 ]] || die "slurm: no command given (e.g. sinfo)"
  [[ -f "$state/slurm/slurm.conf" && -f "$state/ctl.pid" ]] || die "testbed '$name' has no Slurm (up N --slurm)"
  export VCOLOR_TESTBED="$name" SLURM_CONF="$state/slurm/slurm.conf"
  exec nsenter -t "$(cat "$state/ctl.pid")" -n -u -- "$@"
}

link() {
  local h="$1" how="$2"
  [[ "$how" == up || "$how" == down ]] || die "link: say up or down"
  [[ -n "$(holder_pid "$h")" ]] || die "host $h of testbed '$name' is not up"
  ip -n "${name}-h$h" link set eth0 "$how"
}

kill_host() {  # every process in host H's namespace but its holder
  local h="$1" pid holder; holder="$(holder_pid "$h")"
  [[ -n "$holder" ]] || die "host $h of testbed '$name' is not up"
  for pid in $(ip netns pids "${name}-h$h"); do
    [[ "$pid" == "$holder" ]] || kill -9 "$pid" 2>/dev/null || true
  done
}

cmd="${1:-}"; shift || true
rate="" delay="" cpus="" slurm=0
case "$cmd" in
  up)
    [[ $# -ge 1 ]] || die "usage: up N [--rate R] [--delay MS] [--cpus C] [--slurm]"
    n="$1"; shift
    while [[ $# -gt 0 ]]; do
      case "$1" in
        --rate) rate="${2:?--rate needs a value}"; rate_bits "$rate" >/dev/null; shift 2 ;;
        --delay) delay="${2:?--delay needs milliseconds}"; [[ "$delay" =~ ^[0-9]+$ ]] || die "--delay takes whole milliseconds"; shift 2 ;;
        --cpus)
          cpus="${2:?--cpus needs a number of CPUs}"
          # The kernel refuses a quota under 1 ms of each 10 ms period.
          [[ "$cpus" =~ ^[0-9]*\.?[0-9]+$ ]] && awk -v c="$cpus" 'BEGIN { exit !(c >= 0.1) }' ||
            die "--cpus takes a number of CPUs of at least 0.1 (0.5, 1 …), got '$cpus'"
          shift 2 ;;
        --slurm) slurm=1; shift ;;
        *) die "unknown option $1" ;;
      esac
    done
    up "$n" ;;
  down) down ;;
  slurm) slurm_command "$@" ;;
  run) [[ $# -ge 2 ]] || die "usage: run H -- COMMAND..."; run "$@" ;;
  link) [[ $# -eq 2 ]] || die "usage: link H up|down"; link "$1" "$2" ;;
  kill) [[ $# -eq 1 ]] || die "usage: kill H"; kill_host "$1" ;;
  bytes)
    [[ $# -eq 1 ]] || die "usage: bytes H"
    ip netns exec "${name}-h$1" cat /sys/class/net/eth0/statistics/tx_bytes ;;
  cpu)
    [[ $# -eq 1 ]] || die "usage: cpu H"
    [[ -f "$state/host$1.cgroups" ]] || die "host $1 has no CPU group (up with --cpus)"
    while read -r g; do
      # v1: cpuacct.usage in ns (in the cpu group when the two are mounted together); v2: cpu.stat's usage_usec.
      if [[ -f "$g/cpuacct.usage" ]]; then cat "$g/cpuacct.usage"; exit 0; fi
      if [[ -f "$g/cpu.stat" ]] && grep -q '^usage_usec ' "$g/cpu.stat"; then
        awk '$1 == "usage_usec" { print $2 * 1000 }' "$g/cpu.stat"; exit 0
      fi
    done < "$state/host$1.cgroups"
    die "host $1's CPU group counts no CPU time" ;;
  status)
    [[ -d "$state" ]] || { echo "testbed '$name' is down"; exit 0; }
    cat "$state/hosts" ;;
  check) check_capable ;;
  -h|--help|"") sed -n '2,50p' "$0" ;;
  *) die "unknown command '$cmd' (up, down, run, slurm, link, kill, bytes, cpu, status, check)" ;;
esac
