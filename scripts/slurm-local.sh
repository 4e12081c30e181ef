#!/usr/bin/env bash
# A one-node Slurm cluster on localhost, for tests and CI (recipe: docs/ENVIRONMENT.md,
# "Slurm on one machine"). Runs as root without cgroups, systemd, munge or slurmdbd.
#
#   scripts/slurm-local.sh start [DIR]   write DIR/slurm.conf, start slurmctld and slurmd, wait
#                                        until the node is idle; prints `export SLURM_CONF=…`
#   scripts/slurm-local.sh stop [DIR]    `scontrol shutdown`, then kill (by the PIDs recorded in
#                                        DIR) whatever this script started and is still running
#   scripts/slurm-local.sh status [DIR]  sinfo
#
# DIR defaults to $SLURM_LOCAL_DIR or /tmp/dcsim-slurm. Ports: $SLURM_LOCAL_PORT (slurmctld,
# default 6817) and the next one (slurmd). Only processes started by this script are stopped.
set -u
cmd=${1:-}
dir=${2:-${SLURM_LOCAL_DIR:-/tmp/dcsim-slurm}}
port=${SLURM_LOCAL_PORT:-6817}
conf=$dir/slurm.conf
export SLURM_CONF=$conf

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
pid_of() { [ -s "$dir/$1.pid" ] && cat "$dir/$1.pid"; }

start() {
  for d in slurmctld slurmd; do
    if alive "$(pid_of $d)"; then echo "slurm-local: $d already running (pid $(pid_of $d)) in $dir" >&2; return 1; fi
  done
  command -v slurmctld >/dev/null || { echo "slurm-local: slurmctld not installed (apt-get install slurm-wlm)" >&2; return 1; }
  mkdir -p "$dir/state" "$dir/spool"
  local cpus; cpus=$(nproc)
  cat >"$conf" <<CONF
ClusterName=dcsimci
SlurmctldHost=localhost
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/none
CredType=cred/none
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=pmix
MailProg=/bin/true
ReturnToService=2
MinJobAge=30
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
  rm -f "$dir/slurmctld.pid" "$dir/slurmd.pid"
  slurmctld -f "$conf" -c || { echo "slurm-local: slurmctld failed (see $dir/slurmctld.log)" >&2; return 1; }
  slurmd -f "$conf" -N localhost || { echo "slurm-local: slurmd failed (see $dir/slurmd.log)" >&2; stop; return 1; }
  local i state=""
  for i in $(seq 1 120); do
    state=$(sinfo -h -o %t 2>/dev/null | head -1)
    case $state in idle*|mix*|alloc*) echo "export SLURM_CONF=$conf"; return 0 ;; esac
    if [ "$i" = 20 ]; then scontrol update nodename=localhost state=resume >/dev/null 2>&1; fi
    sleep 0.5
  done
  echo "slurm-local: node not idle after 60 s (state '$state'; see $dir/*.log)" >&2
  stop
  return 1
}

stop() {
  local pids="" d p i
  for d in slurmctld slurmd; do p=$(pid_of $d); alive "$p" && pids="$pids $p"; done
  [ -z "$pids" ] && { rm -f "$dir/slurmctld.pid" "$dir/slurmd.pid"; return 0; }
  scontrol shutdown >/dev/null 2>&1
  for i in $(seq 1 40); do
    local left=""
    for p in $pids; do alive "$p" && left="$left $p"; done
    [ -z "$left" ] && break
    [ "$i" = 30 ] && kill $left 2>/dev/null
    sleep 0.5
  done
  for p in $pids; do alive "$p" && kill -9 "$p" 2>/dev/null; done
  rm -f "$dir/slurmctld.pid" "$dir/slurmd.pid"
  return 0
}

case $cmd in
  start) start ;;
  stop) stop ;;
  status) sinfo ;;
  *) echo "usage: $0 start|stop|status [DIR]" >&2; exit 2 ;;
esac
