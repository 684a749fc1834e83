#!/usr/bin/env bash
# A single-node Slurm on this host, for lockgate's Slurm tests and for trying the README's
# Slurm recipes: scripts/slurm.sh start|stop|status.
#
# start: installs slurm-wlm and munge with apt-get when missing (as root), writes the key and a
# slurm.conf naming this host (8 CPUs whatever the cores, oversubscribed), starts munged as the
# munge user and slurmctld and slurmd as root, and waits until the node takes jobs. Idempotent:
# a Slurm that already answers is left alone. Exit 0 when Slurm takes jobs; otherwise exit 1 and
# a line on stderr saying why. stop: ends the daemons this script started (by their pid files).
# A /etc/slurm/slurm.conf that this script did not write (a real cluster) is never touched.
set -uo pipefail

conf=/etc/slurm/slurm.conf
mark="# written by lockgate scripts/slurm.sh"
state="${LOCKGATE_SLURM_STATE:-/var/spool/lockgate-slurm}"
node="$(hostname -s)"

fail() { echo "scripts/slurm.sh: cannot start Slurm: $*" >&2; exit 1; }

takes_jobs() {  # the controller answers and this script's node (or any node) is usable
  command -v sinfo >/dev/null || return 1
  scontrol ping 2>/dev/null | grep -q "is UP" || return 1
  sinfo -h -o "%T" 2>/dev/null | grep -qE "^(idle|mixed|allocated|completing)$"
}

install_packages() {
  command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v srun >/dev/null \
    && command -v munged >/dev/null && return 0
  command -v apt-get >/dev/null || fail "slurm-wlm and munge are not installed and there is no apt-get here"
  echo "scripts/slurm.sh: installing slurm-wlm and munge with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=300 update -qq >&2 || fail "apt-get update failed"
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends slurm-wlm munge >/dev/null \
    || fail "apt-get install slurm-wlm munge failed"
}

write_conf() {
  if [ -e "$conf" ] && ! grep -qF "$mark" "$conf"; then
    fail "$conf exists and was not written by this script (a real Slurm is configured here; not touching it)"
  fi
  mkdir -p "$state/ctld" "$state/d" /etc/slurm
  local text
  text="$mark: a single-node Slurm for lockgate's tests
ClusterName=lockgate
SlurmctldHost=$node
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SlurmdParameters=config_overrides
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/d
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/slurmctld.log
SlurmdLogFile=$state/slurmd.log
NodeName=$node CPUs=8 State=UNKNOWN
PartitionName=lockgate Nodes=$node Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES"
  [ "$(cat "$conf" 2>/dev/null)" = "$text" ] || printf '%s\n' "$text" >"$conf"
}

start_munge() {
  if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then return 0; fi
  [ -s /etc/munge/munge.key ] || mungekey -c || fail "mungekey -c could not write /etc/munge/munge.key"
  chown munge:munge /etc/munge/munge.key && chmod 600 /etc/munge/munge.key
  mkdir -p /run/munge /var/log/munge /var/lib/munge && chown munge:munge /run/munge /var/log/munge /var/lib/munge
  runuser -u munge -- munged || fail "munged did not start (see /var/log/munge/munged.log)"
  for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && return 0; sleep 0.1; done
  fail "munged does not answer (see /var/log/munge/munged.log)"
}

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start() {
  if takes_jobs; then echo "scripts/slurm.sh: Slurm is running"; return 0; fi
  [ "$(id -u)" = 0 ] || fail "slurmctld and slurmd start as root here, and this is not root"
  mkdir -p "$state" && exec 9>"$state/start.lock" && flock 9  # one start at a time (test sessions in parallel)
  if takes_jobs; then echo "scripts/slurm.sh: Slurm is running"; return 0; fi
  install_packages
  write_conf
  start_munge
  running "$state/slurmctld.pid" || slurmctld || fail "slurmctld did not start (see $state/slurmctld.log)"
  running "$state/slurmd.pid" || slurmd || fail "slurmd did not start (see $state/slurmd.log)"
  for _ in $(seq 150); do
    if takes_jobs; then echo "scripts/slurm.sh: Slurm is running (node $node, 8 CPUs, partition lockgate)"; return 0; fi
    sleep 0.2
  done
  fail "the node did not become idle in 30 s (sinfo: $(sinfo -h -o '%N %T %E' 2>&1 | head -1); see $state/slurmd.log and $state/slurmctld.log)"
}

stop_pid() {  # $1 pid file, $2 name
  running "$1" || return 0
  local pid
  pid="$(cat "$1")"
  kill "$pid"
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || { echo "scripts/slurm.sh: stopped $2"; return 0; }; sleep 0.1; done
  echo "scripts/slurm.sh: $2 (pid $pid) did not stop" >&2
  return 1
}

stop() {
  [ -f "$conf" ] && ! grep -qF "$mark" "$conf" && { echo "scripts/slurm.sh: $conf is not this script's; not stopping anything" >&2; return 1; }
  stop_pid "$state/slurmd.pid" slurmd && stop_pid "$state/slurmctld.pid" slurmctld && stop_pid /run/munge/munged.pid munged
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status)
    if takes_jobs; then echo "scripts/slurm.sh: Slurm is running"; sinfo; else echo "scripts/slurm.sh: Slurm is not running"; exit 1; fi ;;
  *) echo "usage: scripts/slurm.sh start|stop|status" >&2; exit 2 ;;
esac
