#!/usr/bin/env bash
# Stop the single-node SLURM cluster started by workflow/cluster/start-slurm.sh: slurmd, then
# slurmctld, then munged, each by the process id in its pid file (nothing else is touched).
# Running jobs are killed with the daemons. Idempotent: a daemon that is not running is skipped.
#
#   sudo workflow/cluster/stop-slurm.sh            # stop all three
#   sudo workflow/cluster/stop-slurm.sh --keep-munge   # leave munged running (other services may use it)
#
# LEANLEARN_SLURM_STATE_DIR must match the value start-slurm.sh ran with (default
# /var/lib/leanlearn-slurm).
set -euo pipefail

say() { echo "stop-slurm: $*"; }
die() { echo "stop-slurm: $*" >&2; exit 1; }

STATE=${LEANLEARN_SLURM_STATE_DIR:-/var/lib/leanlearn-slurm}
KEEP_MUNGE=0
for arg in "$@"; do
    case "$arg" in
        --keep-munge) KEEP_MUNGE=1;;
        *) die "unknown argument '$arg' (allowed: --keep-munge)";;
    esac
done
[ "$(id -u)" -eq 0 ] || die "needs root: run it with sudo"

stop_daemon() {  # stop_daemon NAME PIDFILE
    local pid
    if [ -s "$2" ] && pid=$(cat "$2") && kill -0 "$pid" 2>/dev/null; then
        say "stopping $1 (pid $pid)"
        kill "$pid"
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && die "$1 (pid $pid) did not stop within 10 s"
    else
        say "$1 is not running"
    fi
    rm -f "$2"
}

stop_daemon slurmd "$STATE/slurmd.pid"
stop_daemon slurmctld "$STATE/slurmctld.pid"
if [ "$KEEP_MUNGE" = 0 ]; then
    stop_daemon munged /run/munge/munged.pid
fi
