#!/usr/bin/env bash
# Startup of `vouch mock` with the five built-in specs, as a process: the time from spawning
# it (pinned to CPU 1, as the side-by-side script does) to its "listening" line, N
# times; and, for scale, the same for /bin/true. Usage: benches/startup.sh [VOUCH] [N]
set -euo pipefail
VOUCH=${1:-target/release/vouch}
N=${2:-30}
summary() { # label, then microseconds one per line on stdin
    sort -n | awk -v label="$1" '{a[NR]=$1} END {printf "%s: median %.1f ms, min %.1f, max %.1f (n=%d)\n", label, a[int((NR+1)/2)]/1000, a[1]/1000, a[NR]/1000, NR}'
}
for _ in $(seq "$N"); do
    t0=$EPOCHREALTIME
    taskset -c 1 /bin/true
    t1=$EPOCHREALTIME
    echo $(( (${t1/./} - ${t0/./}) ))
done | summary "taskset /bin/true"
for _ in $(seq "$N"); do
    t0=$EPOCHREALTIME
    coproc MOCK { exec taskset -c 1 "$VOUCH" mock --addr 127.0.0.1:0 2>/dev/null; }
    read -r line <&"${MOCK[0]}"
    t1=$EPOCHREALTIME
    kill "$MOCK_PID"
    wait "$MOCK_PID" 2>/dev/null || true
    case $line in *listening*) ;; *) echo "vouch did not start: $line" >&2; exit 1 ;; esac
    echo $(( (${t1/./} - ${t0/./}) ))
done | summary "vouch mock, spawn to listening"
