#!/usr/bin/env bash
# A one-node Slurm cluster on localhost (munged, slurmctld, slurmd), for the
# tests of `stemforge batch --engine slurm` and for users trying it.
#
#   scripts/slurm-local.sh start [DIR]    start it (idempotent); installs slurm-wlm and munge when missing
#   scripts/slurm-local.sh stop [DIR]     cancel its jobs, stop the daemons, remove DIR (idempotent)
#   scripts/slurm-local.sh status [DIR]   exit 0 when it runs
#
# DIR holds everything (configuration, munge key and socket, state, spool,
# logs, pid files); default /tmp/stemforge-slurm. Keep it short: the munge
# socket's path must fit in 108 bytes. `start` prints
#   export SLURM_CONF=DIR/slurm.conf
# on stdout (eval it). With the default DIR, when /etc/slurm/slurm.conf does
# not exist, start also links it there, so that plain `sbatch` and `squeue`
# work for every user; stop removes that link again.
#
# Environment:
#   SLURM_LOCAL_GPUS=N   GPUs the node offers for --gres=gpu:N. Default: the
#                        /dev/nvidiaN devices present, else 1 stand-in device
#                        (a character device made in DIR/dev): Slurm then
#                        schedules `--backend gpu` tasks one per "GPU", and the
#                        render uses whatever Vulkan device the machine has.
#   SLURM_LOCAL_MAX_ARRAY_SIZE=N  the cluster's MaxArraySize (Slurm's default
#                        1001), small in tests of the batch's array splitting.
#   SLURM_LOCAL_PORT=P   slurmctld listens on P, slurmd on P+1. Default: 6817
#                        for the default DIR, else the first free pair from
#                        16817 (so a test's cluster and a user's can coexist).
#
# The daemons run as root (SlurmUser=root, as Debian's packages expect);
# without root the script uses sudo. Nothing outside DIR is written except the
# /etc/slurm/slurm.conf link described above (the plugins chosen below leave
# no cgroup folders behind).
set -euo pipefail

readonly default_dir=/tmp/stemforge-slurm
cmd=${1:-}
dir=${2:-${STEMFORGE_SLURM_DIR:-$default_dir}}
case "$cmd" in start|stop|status) ;; *)
  echo "usage: $0 start|stop|status [DIR]" >&2
  exit 2 ;;
esac
case "$dir" in /*) ;; *) dir="$PWD/$dir" ;; esac
dir=${dir%/}
conf="$dir/slurm.conf"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export SLURM_CONF="$conf"

say() { echo "slurm-local: $*" >&2; }

pid_of() {  # pid file -> pid if that process is alive
  local f=$1 p
  [ -f "$f" ] || return 1
  p=$(cat "$f" 2>/dev/null) || return 1
  [ -n "$p" ] && kill -0 "$p" 2>/dev/null || return 1
  echo "$p"
}

running() {
  pid_of "$dir/run/munged.pid" >/dev/null && pid_of "$dir/run/slurmctld.pid" >/dev/null &&
    pid_of "$dir/run/slurmd.pid" >/dev/null && timeout 10 sinfo -h >/dev/null 2>&1
}

# Listening TCP ports (IPv4 and IPv6), decimal, one a line (bash does the
# hex: Debian's awk is mawk, without strtonum).
listening_ports() {
  local hex
  for hex in $(awk 'NR > 1 && $4 == "0A" { n = split($2, a, ":"); print a[n] }' /proc/net/tcp /proc/net/tcp6 2>/dev/null); do
    echo $((16#$hex))
  done | sort -u
}

pick_port() {
  if [ -n "${SLURM_LOCAL_PORT:-}" ]; then echo "$SLURM_LOCAL_PORT"; return; fi
  local p=16817 used
  if [ "$dir" = "$default_dir" ]; then p=6817; fi
  used=$(listening_ports)
  while grep -qx "$p" <<<"$used" || grep -qx "$((p + 1))" <<<"$used"; do p=$((p + 2)); done
  echo "$p"
}

install_missing() {
  local need=0
  for prog in munged munge unmunge slurmctld slurmd sbatch squeue scancel scontrol sinfo; do
    command -v "$prog" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin" command -v "$prog" >/dev/null 2>&1 || need=1
  done
  if [ $need -eq 1 ]; then
    say "installing slurm-wlm and munge"
    "$(dirname "$0")/install-deps.sh" slurm-wlm munge
  fi
  export PATH="$PATH:/usr/sbin:/sbin"
}

stop_cluster() {
  [ -d "$dir" ] || return 0
  # Read the pids first: the daemons delete their pid files as they stop.
  local ctld slurmd munged
  ctld=$(pid_of "$dir/run/slurmctld.pid" || true)
  slurmd=$(pid_of "$dir/run/slurmd.pid" || true)
  munged=$(pid_of "$dir/run/munged.pid" || true)
  if [ -n "$ctld" ] && [ -f "$conf" ]; then
    local jobs
    jobs=$(timeout 10 squeue -h -o %A 2>/dev/null | sort -u | tr '\n' ' ' || true)
    if [ -n "${jobs// /}" ]; then
      # shellcheck disable=SC2086
      timeout 10 scancel $jobs 2>/dev/null || true
    fi
    timeout 10 scontrol shutdown >/dev/null 2>&1 || true
  fi
  local i=0
  for p in $ctld $slurmd; do
    while kill -0 "$p" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    if kill -0 "$p" 2>/dev/null; then $sudo kill -KILL "$p" 2>/dev/null || true; fi
  done
  if [ -n "$munged" ]; then
    $sudo kill -TERM "$munged" 2>/dev/null || true
    i=0
    while kill -0 "$munged" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    if kill -0 "$munged" 2>/dev/null; then $sudo kill -KILL "$munged" 2>/dev/null || true; fi
  fi
  if [ -L /etc/slurm/slurm.conf ] && [ "$(readlink /etc/slurm/slurm.conf)" = "$conf" ]; then $sudo rm -f /etc/slurm/slurm.conf; fi
  $sudo rm -rf "$dir"
}

start_cluster() {
  install_missing
  if running; then
    say "already running in $dir"
    echo "export SLURM_CONF=$conf"
    return 0
  fi
  stop_cluster  # leftovers of a cluster that died
  if [ ${#dir} -gt 80 ]; then say "$dir is too long for the munge socket (108 bytes in all): use a shorter folder"; exit 2; fi
  $sudo mkdir -p "$dir"/{munge,state,spool,log,run,dev}
  # munged refuses a key others can read, and clients must reach the socket.
  $sudo chmod 0755 "$dir" "$dir/munge"
  $sudo dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
  $sudo chmod 0400 "$dir/munge/munge.key"
  local socket="$dir/munge/munge.socket"
  $sudo munged --socket="$socket" --key-file="$dir/munge/munge.key" --pid-file="$dir/run/munged.pid" \
    --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munged.seed"
  if ! munge -n -S "$socket" | unmunge -S "$socket" >/dev/null 2>&1; then
    say "munged does not answer (log: $dir/log/munged.log)"
    stop_cluster
    exit 1
  fi

  local host port topology mem gpus gres_line=""
  host=$(hostname -s)
  port=$(pick_port)
  # The node's topology as slurmd sees it, with RealMemory below the real
  # value (a node that claims more than it has is marked invalid).
  topology=$(slurmd -C | head -n 1 | sed -e 's/^NodeName=[^ ]* //' -e 's/ RealMemory=[0-9]*//')
  mem=$(slurmd -C | head -n 1 | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')
  mem=$(( mem * 9 / 10 ))
  gpus=${SLURM_LOCAL_GPUS:-}
  local devices=()
  if [ -z "$gpus" ]; then
    mapfile -t devices < <(ls /dev/nvidia[0-9]* 2>/dev/null || true)
    gpus=${#devices[@]}
    [ "$gpus" -gt 0 ] || gpus=1
  fi
  if [ ${#devices[@]} -eq 0 ] && [ "$gpus" -gt 0 ]; then
    for ((g = 0; g < gpus; g++)); do
      # A container without CAP_MKNOD cannot make one: then no GPUs.
      if ! $sudo mknod "$dir/dev/nvidia$g" c 195 "$g" 2>/dev/null; then
        say "cannot make stand-in GPU devices here (mknod refused): the node offers no GPU"
        devices=()
        gpus=0
        break
      fi
      devices+=("$dir/dev/nvidia$g")
    done
  fi
  : >"$dir/gres.conf.tmp"
  for d in "${devices[@]}"; do echo "Name=gpu File=$d" >>"$dir/gres.conf.tmp"; done
  [ "$gpus" -gt 0 ] && gres_line="Gres=gpu:$gpus"
  cat >"$dir/slurm.conf.tmp" <<EOF
# Written by stemforge scripts/slurm-local.sh: a one-node cluster on localhost.
ClusterName=stemforge
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
MailProg=/bin/true
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerParameters=batch_sched_delay=0
GresTypes=gpu
ReturnToService=2
MinJobAge=600
${SLURM_LOCAL_MAX_ARRAY_SIZE:+MaxArraySize=$SLURM_LOCAL_MAX_ARRAY_SIZE}
NodeName=$host NodeAddr=127.0.0.1 $topology RealMemory=$mem $gres_line State=UNKNOWN
PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  $sudo mv "$dir/slurm.conf.tmp" "$conf"
  $sudo mv "$dir/gres.conf.tmp" "$dir/gres.conf"
  $sudo slurmctld -f "$conf"
  $sudo slurmd -f "$conf"
  # Up in 0.1-1.4 s on a quiet machine; a daemon that died (a port taken, a
  # bad line) ends the wait at once.
  local state="" deadline=$((SECONDS + 60))
  while [ $SECONDS -lt $deadline ]; do
    state=$(timeout 5 sinfo -hNo %T 2>/dev/null | head -n 1 || true)
    case "$state" in idle|mixed|allocated) break ;; esac
    if ! pid_of "$dir/run/slurmctld.pid" >/dev/null || ! pid_of "$dir/run/slurmd.pid" >/dev/null; then
      sleep 0.5  # a daemon writes its pid file a moment after it forks
      if ! pid_of "$dir/run/slurmctld.pid" >/dev/null || ! pid_of "$dir/run/slurmd.pid" >/dev/null; then break; fi
    fi
    sleep 0.1
  done
  case "$state" in idle|mixed|allocated) ;; *)
    say "the node did not come up (state '${state:-none}'; logs in $dir/log)"
    tail -n 5 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 2>/dev/null || true
    stop_cluster
    exit 1 ;;
  esac
  if [ "$dir" = "$default_dir" ] && [ ! -e /etc/slurm/slurm.conf ] && [ ! -L /etc/slurm/slurm.conf ]; then
    $sudo mkdir -p /etc/slurm
    $sudo ln -s "$conf" /etc/slurm/slurm.conf
  fi
  say "running in $dir (node $host, ports $port-$((port + 1)), $gpus GPU(s))"
  echo "export SLURM_CONF=$conf"
}

case "$cmd" in
  start) start_cluster ;;
  stop) export PATH="$PATH:/usr/sbin:/sbin"; stop_cluster ;;
  status)
    if running; then say "running in $dir"; exit 0; fi
    say "not running in $dir"
    exit 1 ;;
esac
