#!/usr/bin/env bash
# Start a single-node SLURM cluster on this machine (localhost: slurmctld + slurmd, munge for
# authentication), so that the workflow can be run through a real scheduler:
#
#   sudo workflow/cluster/start-slurm.sh            # install (first time), configure, start
#   snakemake --profile workflow/profiles/slurm-local ...
#   sudo workflow/cluster/stop-slurm.sh             # stop the daemons again
#
# Written for Debian/Ubuntu (packages slurm-wlm and munge; installed with apt-get when sbatch
# or munged is missing). Needs root. Idempotent: a second run with the same settings finds the
# cluster up and does nothing; a run with other settings rewrites slurm.conf and restarts the
# two SLURM daemons. docs/cluster.md explains the set-up and how it differs from a university
# cluster.
#
# Settings (environment variables):
#   LEANLEARN_SLURM_CPUS       CPUs the node offers (default: all, `nproc`)
#   LEANLEARN_SLURM_MEM_MB     memory the node offers in MB (default: MemTotal from /proc/meminfo
#                              less 512 MB for the system, rounded down to 100 MB)
#   LEANLEARN_SLURM_PARTITION  name of the one partition (default: local)
#   LEANLEARN_SLURM_CONF_DIR   where slurm.conf is written (default: /etc/slurm, where the Debian
#                              commands look for it)
#   LEANLEARN_SLURM_STATE_DIR  spool, state and log folder (default: /var/lib/leanlearn-slurm)
#   LEANLEARN_SLURM_NO_INSTALL set to 1 to fail instead of installing missing packages
set -euo pipefail

die() { echo "start-slurm: $*" >&2; exit 1; }
say() { echo "start-slurm: $*"; }

[ "$(id -u)" -eq 0 ] || die "needs root (the daemons run as root/slurm/munge): run it with sudo"

CONF_DIR=${LEANLEARN_SLURM_CONF_DIR:-/etc/slurm}
STATE=${LEANLEARN_SLURM_STATE_DIR:-/var/lib/leanlearn-slurm}
PARTITION=${LEANLEARN_SLURM_PARTITION:-local}
CPUS=${LEANLEARN_SLURM_CPUS:-$(nproc)}
if [ -n "${LEANLEARN_SLURM_MEM_MB:-}" ]; then
    MEM_MB=$LEANLEARN_SLURM_MEM_MB
else
    total_kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
    [ -n "$total_kb" ] || die "cannot read MemTotal from /proc/meminfo; set LEANLEARN_SLURM_MEM_MB"
    MEM_MB=$(( (total_kb / 1024 - 512) / 100 * 100 ))
fi
case "$CPUS" in ''|*[!0-9]*) die "LEANLEARN_SLURM_CPUS must be a whole number, got '$CPUS'";; esac
case "$MEM_MB" in ''|*[!0-9]*) die "LEANLEARN_SLURM_MEM_MB must be a whole number, got '$MEM_MB'";; esac
[ "$CPUS" -ge 1 ] || die "LEANLEARN_SLURM_CPUS must be at least 1"
[ "$MEM_MB" -ge 500 ] || die "only $MEM_MB MB of memory for the node; set LEANLEARN_SLURM_MEM_MB"

# ---- packages ------------------------------------------------------------------------------
if ! command -v sbatch >/dev/null || ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
        || ! command -v munged >/dev/null; then
    [ "${LEANLEARN_SLURM_NO_INSTALL:-0}" = 1 ] && die "slurm-wlm or munge is not installed (apt-get install slurm-wlm munge)"
    command -v apt-get >/dev/null || die "slurm-wlm and munge are missing and there is no apt-get: install SLURM and munge with your system's package manager"
    say "installing slurm-wlm and munge with apt-get"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge
fi

NODE=$(hostname -s)
[ -n "$NODE" ] || die "hostname -s is empty; SLURM names the node after the host"

# ---- munge ---------------------------------------------------------------------------------
install -d -o munge -g munge -m 0700 /etc/munge /var/lib/munge /var/log/munge
install -d -o munge -g munge -m 0755 /run/munge
if [ ! -s /etc/munge/munge.key ]; then
    say "creating /etc/munge/munge.key"
    if command -v mungekey >/dev/null; then
        runuser -u munge -- mungekey --create --keyfile=/etc/munge/munge.key
    else
        dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
    fi
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
fi
munge_ok() { munge -n 2>/dev/null | unmunge >/dev/null 2>&1; }
if munge_ok; then
    say "munged is running"
else
    say "starting munged"
    runuser -u munge -- /usr/sbin/munged
    for _ in $(seq 50); do munge_ok && break; sleep 0.1; done
    munge_ok || die "munged did not start (see /var/log/munge/munged.log)"
fi

# ---- slurm.conf ----------------------------------------------------------------------------
install -d -m 0755 "$CONF_DIR" "$STATE" "$STATE/log"
install -d -o slurm -g slurm -m 0755 "$STATE/slurmctld"
install -d -m 0755 "$STATE/slurmd"
CONF="$CONF_DIR/slurm.conf"
NEW=$(mktemp)
trap 'rm -f "$NEW"' EXIT
cat > "$NEW" <<EOF
# Single-node SLURM cluster for leanlearn (written by workflow/cluster/start-slurm.sh; rerun
# the script rather than editing this file).
ClusterName=leanlearn
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=slurm
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
# no cgroups in a container: track job processes by their parent, bind no CPUs
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
# CPUs and memory are consumable: a job waits until its cores and mem_mb are free
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
# no accounting database (slurmdbd): job states come from slurmctld, which keeps a finished
# job for MinJobAge seconds -- long enough for Snakemake's squeue status checks
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MinJobAge=900
ReturnToService=2
SlurmctldTimeout=120
SlurmdTimeout=300
InactiveLimit=0
KillWait=30
Waittime=0
StateSaveLocation=$STATE/slurmctld
SlurmdSpoolDir=$STATE/slurmd
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=$PARTITION Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF

changed=0
if ! cmp -s "$NEW" "$CONF"; then
    [ -f "$CONF" ] && say "slurm.conf changed: rewriting $CONF and restarting the SLURM daemons"
    install -m 0644 "$NEW" "$CONF"
    changed=1
fi

alive() {  # alive PIDFILE: the daemon named in it runs
    [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}
stop_daemon() {  # stop_daemon NAME PIDFILE
    if alive "$2"; then
        say "stopping $1 (pid $(cat "$2"))"
        kill "$(cat "$2")"
        for _ in $(seq 100); do alive "$2" || break; sleep 0.1; done
        alive "$2" && die "$1 (pid $(cat "$2")) did not stop"
    fi
    rm -f "$2"
}

if [ "$changed" = 1 ]; then
    stop_daemon slurmd "$STATE/slurmd.pid"
    stop_daemon slurmctld "$STATE/slurmctld.pid"
fi
if alive "$STATE/slurmctld.pid"; then
    say "slurmctld is running (pid $(cat "$STATE/slurmctld.pid"))"
else
    say "starting slurmctld"
    # -c: a clean start; the state saved by an earlier run belongs to an older slurm.conf
    /usr/sbin/slurmctld -c
fi
if alive "$STATE/slurmd.pid"; then
    say "slurmd is running (pid $(cat "$STATE/slurmd.pid"))"
else
    say "starting slurmd"
    /usr/sbin/slurmd
fi

# ---- wait until the node takes jobs ----------------------------------------------------------
state=""
for _ in $(seq 60); do
    state=$(sinfo -h -n "$NODE" -o %T 2>/dev/null | head -n1 || true)
    case "$state" in idle|mixed|allocated|completing) break;; esac
    sleep 0.5
done
case "$state" in
    idle|mixed|allocated|completing) ;;
    *)
        # a node that was down when slurmctld last saw it stays down until told otherwise
        scontrol update NodeName="$NODE" State=RESUME >/dev/null 2>&1 || true
        sleep 1
        state=$(sinfo -h -n "$NODE" -o %T 2>/dev/null | head -n1 || true)
        case "$state" in
            idle|mixed|allocated|completing) ;;
            *) die "node $NODE is '${state:-not reported}' (logs: $STATE/log/slurmctld.log, $STATE/log/slurmd.log)";;
        esac;;
esac
say "up: partition '$PARTITION', node $NODE ($CPUS CPUs, $MEM_MB MB), state $state"
sinfo
