# Shared by bench/proxy.sh and bench/grpc.sh (sourced; needs DIR): the end of a proxy run
# under valgrind's callgrind and the instructions-per-unit report.

# cg_stop NAME PID OUT: stop the profiled proxy (a child of the calling shell: not from a
# subshell, whose `wait` could not reap it) so that it writes its profile (HAProxy
# stops softly on SIGUSR1, marchproxy on SIGTERM), keep the profile in CALLGRIND_KEEP if
# set, and print the run's total instructions.
cg_stop() {
  local name=$1 vp=$2 out=$3
  if [ "$name" = haproxy ]; then kill -USR1 "$vp" 2>/dev/null || true; else kill "$vp" 2>/dev/null || true; fi
  for _ in $(seq 1 100); do kill -0 "$vp" 2>/dev/null || break; sleep 0.1; done
  kill "$vp" 2>/dev/null || true
  wait "$vp" 2>/dev/null || true
  [ -n "${CALLGRIND_KEEP:-}" ] && mkdir -p "$CALLGRIND_KEEP" && cp "$out" "$CALLGRIND_KEEP/"
  callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/{gsub(/,/, "", $1); print $1}'
}

# cg_report NAME UNIT N0 I0 N1 I1: instructions per UNIT between a short run (N0 units, I0
# instructions) and a long one (N1, I1) of the same proxy.
cg_report() {
  awk -v name="$1" -v unit="$2" -v n0="$3" -v i0="$4" -v n1="$5" -v i1="$6" 'BEGIN {
    if (i0 == "" || i1 == "" || n1 <= n0) { printf "%-11s no profile (see the cg-*.log files)\n", name; exit }
    printf "%-11s %8d %ss  %7.0f instructions per %s (user space)\n", name, n1 - n0, unit, (i1 - i0) / (n1 - n0), unit }'
}
