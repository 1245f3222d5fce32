#!/bin/sh
# Container benchmark: tests/bench/run.sh (`make bench`) runs it at the end, or
# `sh tests/bench/containers.sh build/netloom`.
#
# Deploys N busybox containers (`image: busybox`, `cmd: sleep 86400`, no links) and the
# same lab with `kind: host` nodes, and measures
#   - deploy and destroy time (median of BENCH_REPS runs), and what a container adds
#     per node over a bare namespace node;
#   - memory per container: the PSS of its processes (our init and the command, found
#     through the container's memory cgroup), what its memory cgroup is charged (pages
#     of the processes and the files they wrote), and the kernel's slab + per-CPU growth
#     across the deploy, divided by N; the lab supervisor's PSS;
#   - `netloom exec LAB c1 -- true`: the time to enter a container (median of 20).
# and writes its "Containers" section into docs/benchmarks.md (between its markers;
# appended the first time), and to stdout.
#
# Knobs: BENCH_CTR_N=100, BENCH_REPS=3, BENCH_OUT=docs/benchmarks.md.
# Everything it makes has the prefix nc<pid> or lives in its temp dir, and goes at exit.
set -u

NL=${1:-build/netloom}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
N=${BENCH_CTR_N:-100}
REPS=${BENCH_REPS:-3}
OUT=${BENCH_OUT:-$top/docs/benchmarks.md}
PFX=nc$$

case "$NL" in /*) ;; *) NL=$(pwd)/$NL ;; esac
if [ ! -x "$NL" ]; then
  echo "bench: netloom binary '$NL' not found or not executable (run make first)" >&2
  exit 1
fi
if [ "$(id -u)" != 0 ]; then
  echo "bench: must run as root (it creates namespaces and cgroups)" >&2
  exit 1
fi

TMP=$(mktemp -d /tmp/netloom-bench-ctr.XXXXXX) || exit 1
export NETLOOM_RUN_DIR="$TMP/run"
mkdir -p "$NETLOOM_RUN_DIR"
RES="$TMP/results"
: >"$RES"
LOG="$TMP/log"
: >"$LOG"

cleanup() {
  "$NL" -q destroy --all >/dev/null 2>&1
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

now() { date +%s.%N; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }
put() { echo "$1 $2" >>"$RES"; }
get() { awk -v k="$1" '$1 == k { v = $2 } END { print (v == "" ? "-" : v) }' "$RES"; }
log() { echo "bench: $*" >&2; echo "$*" >>"$LOG"; }
kmem() { awk '$1 == "Slab:" || $1 == "Percpu:" { s += $2 } END { print s }' /proc/meminfo; }
pss_of() { awk '$1 == "Pss:" { print $2 }' "/proc/$1/smaps_rollup" 2>/dev/null; }
median() {
  sort -n | awk '{ v[++n] = $1 } END { if (n) print (n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2); else print "-" }'
}

# The memory cgroup directory of a container (v1 hybrid or pure v2).
cg_dir() {
  for d in /sys/fs/cgroup/memory/netloom/$PFX-$1-$2 /sys/fs/cgroup/netloom/$PFX-$1-$2; do
    [ -d "$d" ] && { echo "$d"; return; }
  done
}
cg_usage() {
  if [ -r "$1/memory.usage_in_bytes" ]; then cat "$1/memory.usage_in_bytes"; else cat "$1/memory.current"; fi
}

gen_lab() {  # gen_lab NAME KIND
  printf 'name: %s\nprefix: %s\ntopology:\n  nodes:\n' "$1" "$PFX"
  i=1
  while [ $i -le "$N" ]; do
    if [ "$2" = container ]; then
      printf '    c%d: {kind: linux, image: busybox, cmd: [sleep, "86400"]}\n' $i
    else
      printf '    c%d: {kind: host}\n' $i
    fi
    i=$((i + 1))
  done
}

once() {  # once KIND REP
  kind=$1 r=$2 lab=$1$N file="$TMP/$1.yaml"
  [ -s "$file" ] || gen_lab "$lab" "$kind" >"$file"
  m0=$(kmem)
  t0=$(now)
  if ! "$NL" -q deploy "$file" >>"$LOG" 2>&1; then
    log "deploy $lab failed:"; tail -5 "$LOG" >&2
    "$NL" -q destroy "$lab" >/dev/null 2>&1
    put FAIL "$lab"
    return 1
  fi
  t1=$(now)
  m1=$(kmem)
  put "$kind.deploy.r$r" "$(sub "$t1" "$t0")"
  if [ "$kind" = container ] && [ "$r" = 1 ]; then
    put "$kind.kernel" "$((m1 - m0))"
    pss=0 procs=0 charged=0
    i=1
    while [ $i -le "$N" ]; do
      d=$(cg_dir "$lab" "c$i")
      if [ -n "$d" ]; then
        for p in $(cat "$d/cgroup.procs"); do
          v=$(pss_of "$p")
          pss=$((pss + ${v:-0}))
          procs=$((procs + 1))
        done
        charged=$((charged + $(cg_usage "$d") / 1024))
      fi
      i=$((i + 1))
    done
    put "$kind.pss" "$pss"
    put "$kind.procs" "$procs"
    put "$kind.charged" "$charged"
    sup=$(awk '$1 == "proc" { p = $2 } END { print p }' "$NETLOOM_RUN_DIR/$lab/journal")
    put "$kind.super" "$(pss_of "$sup")"
    k=0
    : >"$TMP/exec"
    while [ $k -lt 20 ]; do
      e0=$(now)
      "$NL" exec "$lab" c1 -- true >>"$LOG" 2>&1 || put FAIL "exec"
      sub "$(now)" "$e0" >>"$TMP/exec"
      echo >>"$TMP/exec"
      k=$((k + 1))
    done
    put "$kind.exec" "$(median <"$TMP/exec")"
  fi
  t0=$(now)
  "$NL" -q destroy "$lab" >>"$LOG" 2>&1 || put FAIL "destroy $lab"
  put "$kind.destroy.r$r" "$(sub "$(now)" "$t0")"
}

T0=$(now)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
r=1
while [ $r -le "$REPS" ]; do
  log "N=$N containers, run $r"
  once container $r
  log "N=$N host nodes, run $r"
  once host $r
  r=$((r + 1))
done
for kind in container host; do
  for what in deploy destroy; do
    put "$kind.$what" "$(awk -v k="$kind.$what.r" 'index($1, k) == 1 { print $2 }' "$RES" | median)"
    put "$kind.$what.runs" "$(awk -v k="$kind.$what.r" 'index($1, k) == 1 { printf "%s%s", s, $2; s = "," }' "$RES")"
  done
done
TOTAL=$(sub "$(now)" "$T0")
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

{
  echo "<!-- containers-bench: tests/bench/containers.sh writes this section -->"
  echo "## Containers"
  echo
  echo "Run on $(date -u '+%Y-%m-%d %H:%M') UTC, $(nproc) CPUs; it took ${TOTAL%.*} s; load average $LOAD0 at the start, $LOAD1 at the end."
  echo "**$N containers** is a lab of $N \`kind: linux\` nodes with \`image: busybox\` and \`cmd: [sleep, \"86400\"]\` and no links; **$N hosts** is the same lab with \`kind: host\` nodes (a namespace each, no process). Times are the wall clock of \`netloom deploy FILE\` and \`netloom destroy NAME\`, the median of $REPS runs (every run in brackets). *per node* is the deploy time over N; *a container adds* is (containers − hosts) / N: what the container's process tree (clone, overlay root, mounts, cgroup, the command) costs on top of its namespace. Memory is measured after the first deploy: *PSS* is the proportional set size of each container's processes (our init and \`sleep\`, found through the container's memory cgroup; init is a copy-on-write fork of the supervisor, so it shares most pages), *cgroup charge* is what the container's memory cgroup is charged (the processes' pages and the page cache of what they wrote), *kernel* is the growth of Slab + Percpu in /proc/meminfo across the deploy (namespaces, mounts, overlay, cgroups), each divided by N. *exec* is \`netloom exec LAB c1 -- true\`, median of 20: reading the lab's state, entering every namespace of the container and running a program there."
  echo
  echo "Deploy and destroy (seconds):"
  echo
  echo "| lab | deploy | destroy | per node (deploy, ms) | a container adds (ms) | exec (ms) |"
  echo "|---|--:|--:|--:|--:|--:|"
  awk -v n="$N" -v cd="$(get container.deploy)" -v cx="$(get container.destroy)" \
      -v hd="$(get host.deploy)" -v hx="$(get host.destroy)" -v ex="$(get container.exec)" \
      -v cdr="$(get container.deploy.runs)" -v cxr="$(get container.destroy.runs)" \
      -v hdr="$(get host.deploy.runs)" -v hxr="$(get host.destroy.runs)" 'BEGIN {
    printf "| %d containers | %.3f [%s] | %.3f [%s] | %.2f | %.2f | %.1f |\n", n, cd, cdr, cx, cxr, cd * 1000 / n, (cd - hd) * 1000 / n, ex * 1000
    printf "| %d hosts | %.3f [%s] | %.3f [%s] | %.2f | - | - |\n", n, hd, hdr, hx, hxr, hd * 1000 / n
  }'
  echo
  echo "Memory per container:"
  echo
  echo "| lab | processes | PSS per container (kB) | cgroup charge per container (kB) | kernel per container (kB) | supervisor PSS (MB) |"
  echo "|---|--:|--:|--:|--:|--:|"
  awk -v n="$N" -v p="$(get container.procs)" -v pss="$(get container.pss)" \
      -v ch="$(get container.charged)" -v k="$(get container.kernel)" -v s="$(get container.super)" 'BEGIN {
    printf "| %d containers | %d | %.0f | %.0f | %.0f | %.1f |\n", n, p, pss / n, ch / n, k / n, s / 1024
  }'
  echo "<!-- /containers-bench -->"
} >"$TMP/report"

mkdir -p "$(dirname "$OUT")"
if [ -f "$OUT" ] && grep -q '^<!-- containers-bench' "$OUT"; then
  awk -v sec="$TMP/report" '
    /^<!-- containers-bench/ { while ((getline l < sec) > 0) print l; skip = 1; next }
    /^<!-- \/containers-bench -->/ { skip = 0; next }
    !skip { print }' "$OUT" >"$TMP/out" && cat "$TMP/out" >"$OUT"
else
  { echo; cat "$TMP/report"; } >>"$OUT"
fi
cat "$TMP/report"
if grep -q FAIL "$RES"; then
  log "some runs failed:"; grep FAIL "$RES" >&2
  exit 1
fi
exit 0
