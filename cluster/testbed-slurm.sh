#!/usr/bin/env bash
# Slurm on the hosts of cluster/testbed.sh (`up N --slurm`): called by
# testbed.sh, not by hand.
#   testbed-slurm.sh check                 # are Slurm and munge installed?
#   testbed-slurm.sh start STATE NAME N    # write slurm.conf, start munged, slurmctld, N slurmd
#   testbed-slurm.sh stop STATE            # stop them (always safe)
#
# Everything lives in STATE/slurm: the configuration, a fresh munge key and
# socket, the controller's state, one spool directory per node and the logs,
# so nothing outside the testbed's state directory is written or read
# (not /etc/slurm, /etc/munge, /var/spool or /run/munge) and `down` removes it
# all. munged runs in the root namespaces: its socket is a path, which every
# network namespace reaches. slurmctld runs on the controller's host NAME-ctl
# (198.18.0.254), each slurmd on its host with NodeName = the host name and
# NodeAddr = its address, so Slurm's traffic goes over the testbed's links.
#
# Choices the namespaces force (a real cluster would differ):
#   ProctrackType=proctrack/linuxproc  proctrack/cgroup needs a cgroup tree per
#       node, and the hosts share one kernel and one cgroup hierarchy; linuxproc
#       finds a job's processes through /proc parentage, which works anywhere.
#   TaskPlugin=task/none               task/affinity would pin every host's tasks
#       to the same cores (the hosts share them); task/cgroup needs cgroups.
#   SelectType=select/cons_tres, CR_Core  what real clusters use: whole nodes
#       are not needed, so jobs can share a host's cores as on a real node.
#   TmpFS=STATE/slurm/NODE/tmp          the hosts share /tmp, where srun --mpi=pmix
#       would put every node's PMIx directories under the same name.
#   AuthInfo=...,cred_expire=10        a requeued job waits cred_expire seconds
#       before it may start again (default 120 s; a test cannot wait that long).
#   SlurmUser=root                     the daemons run as root (the testbed is root's).
#   SchedulerType=sched/builtin        FIFO, starts a requeued job as soon as
#       its nodes are free (no backfill cycle to wait for);
#       SchedulerParameters=sched_interval=2 looks at pending jobs every 2 s
#       (default 60 s): a requeued job's cred_expire runs out with no event
#       that would look at it sooner.
#   SlurmdTimeout=10                   a node whose slurmd is silent is declared
#       DOWN after ~25 s (default 300 s: ~5 minutes); a job requeued after
#       losing a node waits for that, as the old run still completes there.
set -euo pipefail

die() { echo "testbed-slurm.sh: $*" >&2; exit 1; }

check() {
  local tool
  for tool in munged slurmctld slurmd sbatch scontrol; do
    command -v "$tool" >/dev/null || die "--slurm needs $tool (apt install slurmctld slurmd slurm-client munge)"
  done
}

# pid_of FILE: the pid a daemon wrote, if that process is still alive.
pid_of() { local p; p="$(cat "$1" 2>/dev/null || true)"; [[ -n "$p" ]] && kill -0 "$p" 2>/dev/null && echo "$p"; return 0; }

start() {
  local state="$1" name="$2" n="$3" subnet="198.18.0"
  local dir="$state/slurm"
  check
  # The daemons keep no descriptor of our caller's beyond 0-2 (which they
  # point at /dev/null): a caller waiting for EOF on a pipe it gave us would
  # otherwise wait for them (slurmctld keeps what it inherits).
  local fd
  for fd in /proc/$$/fd/*; do fd=${fd##*/}; (( fd > 2 )) && eval "exec $fd>&-" 2>/dev/null; done
  mkdir -p "$dir/munge" "$dir/ctld" "$dir/log"
  chmod 755 "$dir" "$dir/munge"   # munged wants its socket's directories searchable by all
  local h; for h in $(seq 1 "$n"); do mkdir -p "$dir/${name}-h$h/tmp"; done

  # munge: a key of this testbed's own; credentials of another cluster fail.
  head -c 1024 /dev/urandom > "$dir/munge/munge.key"
  chmod 400 "$dir/munge/munge.key"
  munged --key-file="$dir/munge/munge.key" --socket="$dir/munge/socket" --pid-file="$dir/munge/munged.pid" \
         --log-file="$dir/log/munged.log" --seed-file="$dir/munge/seed" || die "munged did not start"

  local cpus; cpus=$(nproc)
  cat > "$dir/slurm.conf" <<EOF
# Written by cluster/testbed-slurm.sh for testbed '$name'; removed by 'down'.
ClusterName=$name
SlurmctldHost=${name}-ctl($subnet.254)
AuthType=auth/munge
AuthInfo=socket=$dir/munge/socket,cred_expire=10
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/ctld
SlurmctldPidFile=$dir/ctld/slurmctld.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdSpoolDir=$dir/%n
SlurmdPidFile=$dir/%n/slurmd.pid
SlurmdLogFile=$dir/log/slurmd-%n.log
TmpFS=$dir/%n/tmp
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/builtin
SchedulerParameters=sched_interval=2
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=10
InactiveLimit=0
MinJobAge=300
NodeName=${name}-h[1-$n] NodeAddr=$subnet.[1-$n] CPUs=$cpus State=UNKNOWN
PartitionName=testbed Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF="$dir/slurm.conf"
  nsenter -t "$(cat "$state/ctl.pid")" -n -u -- slurmctld -f "$SLURM_CONF" || die "slurmctld did not start"
  for h in $(seq 1 "$n"); do
    nsenter -t "$(cat "$state/host$h.pid")" -n -u -- slurmd -f "$SLURM_CONF" -N "${name}-h$h" ||
      die "slurmd on ${name}-h$h did not start"
  done
  # Up when every node is idle (slurmd registered with the controller).
  for _ in $(seq 1 150); do
    local idle
    idle=$(nsenter -t "$(cat "$state/ctl.pid")" -n -u -- sinfo -h -N -t idle -o '%N' 2>/dev/null | sort -u | wc -l || true)
    [[ "$idle" == "$n" ]] && return 0
    sleep 0.2
  done
  die "only ${idle:-0} of $n nodes became idle within 30 s"
}

stop() {
  local state="$1" dir="$1/slurm" f p
  # slurmd first (they would otherwise retry the controller), then slurmctld, munged last.
  for f in "$dir"/*/slurmd.pid "$dir/ctld/slurmctld.pid" "$dir/munge/munged.pid"; do
    [[ -e "$f" ]] || continue
    p="$(pid_of "$f")"
    [[ -n "$p" ]] || continue
    kill "$p" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
}

cmd="${1:-}"; shift || true
case "$cmd" in
  check) check ;;
  start) [[ $# -eq 3 ]] || die "usage: start STATE NAME N"; start "$@" ;;
  stop) [[ $# -eq 1 ]] || die "usage: stop STATE"; stop "$1" ;;
  *) die "unknown command '$cmd' (check, start, stop)" ;;
esac
