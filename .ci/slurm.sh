#!/usr/bin/env bash
# A throw-away single-node SLURM cluster on this machine, for trying `vmreplay sweep slurm` and for
# its tests. Needs root (the daemons run as root, munged as the user munge), no systemd or cgroups.
#
#   bash .ci/slurm.sh start     # install the Debian packages if missing, start munged, slurmctld
#                               # and slurmd, wait until the node is idle; prints the SLURM_CONF
#                               # to export (sbatch, squeue, scontrol read it)
#   bash .ci/slurm.sh status    # exit 0 when this script's cluster is up
#   bash .ci/slurm.sh stop      # stop the daemons this script started (by their pid files)
#
# Everything lives under $VMREPLAY_SLURM_DIR (default /tmp/vmreplay-slurm): slurm.conf, the munge
# key and socket, state, spool, logs and pid files. `stop` ends only the processes named in those
# pid files; a system SLURM or munge is left alone (this one uses its own munge socket, and the
# ports $VMREPLAY_SLURM_PORT and the next one, default 6817 and 6818).
set -uo pipefail

DIR="${VMREPLAY_SLURM_DIR:-/tmp/vmreplay-slurm}"
PORT="${VMREPLAY_SLURM_PORT:-6817}"
CONF="$DIR/slurm.conf"
PACKAGES=(slurmctld slurmd slurm-client munge)

say() { echo "slurm.sh: $*" >&2; }

# The pid in pid file $1 if that process is alive and runs the program $2.
alive() {
  local pid
  [ -s "$1" ] || return 1
  pid=$(tr -dc 0-9 <"$1")
  [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = "$2" ] && echo "$pid"
}

running() {
  alive "$DIR/munge/munged.pid" munged >/dev/null &&
    alive "$DIR/slurmctld.pid" slurmctld >/dev/null &&
    alive "$DIR/slurmd.pid" slurmd >/dev/null
}

install_packages() {
  local missing=()
  command -v slurmctld >/dev/null || missing+=(slurmctld)
  command -v slurmd >/dev/null || missing+=(slurmd)
  command -v sbatch >/dev/null || missing+=(slurm-client)
  command -v munged >/dev/null || missing+=(munge)
  [ "${#missing[@]}" -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || { say "missing ${missing[*]} and not root: cannot install them"; return 1; }
  say "installing ${PACKAGES[*]}"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends "${PACKAGES[@]}" >/dev/null) || { say "apt-get install failed"; return 1; }
}

# Stops the process of pid file $1 if it runs program $2: TERM, then KILL after 10 s.
stop_one() {
  local pid i
  pid=$(alive "$1" "$2") || { rm -f "$1"; return 0; }
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 1 100); do
    [ -d "/proc/$pid" ] || break
    sleep 0.1
  done
  [ -d "/proc/$pid" ] && kill -KILL "$pid" 2>/dev/null
  rm -f "$1"
  say "stopped $2 (pid $pid)"
}

stop() {
  stop_one "$DIR/slurmd.pid" slurmd
  stop_one "$DIR/slurmctld.pid" slurmctld
  stop_one "$DIR/munge/munged.pid" munged
}

start() {
  if running; then
    say "already running (SLURM_CONF=$CONF)"
    echo "export SLURM_CONF=$CONF"
    return 0
  fi
  [ "$(id -u)" -eq 0 ] || { say "needs root (the daemons run as root, munged as munge)"; return 1; }
  install_packages || return 1
  id munge >/dev/null 2>&1 || { say "no user munge (the munge package makes it)"; return 1; }
  stop # leftovers of a half-started cluster
  mkdir -p "$DIR"/{munge,state,spool,log}
  : >"$DIR/log/start.log"
  chmod 0755 "$DIR"
  chown munge:munge "$DIR/munge"
  chmod 0755 "$DIR/munge"
  if [ ! -s "$DIR/munge/munge.key" ]; then
    dd if=/dev/urandom of="$DIR/munge/munge.key" bs=1024 count=1 status=none
    chown munge:munge "$DIR/munge/munge.key"
    chmod 0400 "$DIR/munge/munge.key"
  fi
  runuser -u munge -- munged --key-file="$DIR/munge/munge.key" \
    --socket="$DIR/munge/munge.socket" --pid-file="$DIR/munge/munged.pid" \
    --log-file="$DIR/munge/munged.log" --seed-file="$DIR/munge/munged.seed" \
    </dev/null >>"$DIR/log/start.log" 2>&1 9>&- ||
    { say "munged did not start: see $DIR/munge/munged.log"; return 1; }

  local node host
  node=$(slurmd -C | head -n 1) || { say "slurmd -C failed"; stop; return 1; }
  host=$(hostname -s)
  cat >"$CONF" <<EOF
# Written by .ci/slurm.sh: a throw-away single-node cluster (stop it with: bash .ci/slurm.sh stop).
ClusterName=vmreplay
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$DIR/munge/munge.socket
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerParameters=bf_interval=1
ReturnToService=2
MailProg=/bin/true
MpiDefault=none
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF="$CONF"
  # The daemons keep no descriptor of the caller's (a caller reading their output would wait).
  slurmctld -c -f "$CONF" </dev/null >>"$DIR/log/start.log" 2>&1 9>&- || { say "slurmctld did not start: see $DIR/log/slurmctld.log"; stop; return 1; }
  slurmd -c -f "$CONF" </dev/null >>"$DIR/log/start.log" 2>&1 9>&- || { say "slurmd did not start: see $DIR/log/slurmd.log"; stop; return 1; }
  local i state
  for i in $(seq 1 300); do
    state=$(sinfo -h -o %t 2>/dev/null | head -n 1)
    if [ "$state" = "idle" ]; then
      say "up: node $host idle after $((i / 10)).$((i % 10)) s (SLURM_CONF=$CONF)"
      echo "export SLURM_CONF=$CONF"
      return 0
    fi
    sleep 0.1
  done
  say "the node is not idle after 30 s (state '${state:-none}'): see $DIR/log/"
  stop
  return 1
}

mkdir -p "$(dirname "$DIR")"
exec 9>"$DIR.lock"
flock 9
case "${1:-}" in
start) start ;;
stop) stop ;;
status)
  if running; then
    echo "up (SLURM_CONF=$CONF)"
  else
    echo "down"
    exit 1
  fi
  ;;
*)
  echo "usage: bash .ci/slurm.sh start|status|stop" >&2
  exit 2
  ;;
esac
