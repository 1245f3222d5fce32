#!/bin/sh
# VM benchmark: `sh tests/bench/vm.sh build/netloom` (make bench runs it after the others).
#
# For N = 1, 4 and 8 netloom-tiny guests (default settings: 128 MiB, 1 CPU) on one switch
# with a host, it times
#   - deploy:           `netloom deploy` until it returns (every QEMU answers QMP);
#   - boot to ping:     from the start of the deploy until the host's first echo reply
#                       from each guest (one `ping -i 0.2` per guest from the host: 0.2 s
#                       resolution); min, median and max over the guests;
#   - memory:           each QEMU's PSS and RSS once every guest answered, mean per VM,
#                       and the lab supervisor's PSS;
# and puts a "## VMs" section into docs/benchmarks.md (between its markers; appended the
# first time). Knobs: BENCH_VM_SIZES="1 4 8", BENCH_OUT=docs/benchmarks.md.
set -u

NL=${1:-build/netloom}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
SIZES=${BENCH_VM_SIZES:-1 4 8}
OUT=${BENCH_OUT:-$top/docs/benchmarks.md}
PFX=vb$$
case "$NL" in /*) ;; *) NL=$(pwd)/$NL ;; esac
export NETLOOM_RUN_DIR="/run/netloom-vmbench-$$"
: "${NETLOOM_VM_DIR:=$top/build/vm}"
export NETLOOM_VM_DIR
T=$(mktemp -d /tmp/netloom-vmbench.XXXXXX)
RES="$T/results"
PINGS=""

cleanup () {
  for p in $PINGS; do kill "$p" 2>/dev/null; done
  "$NL" -q destroy --all >/dev/null 2>&1
  rm -rf "$NETLOOM_RUN_DIR" "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

log () { echo "vm-bench: $*" >&2; }

if [ ! -f "$NETLOOM_VM_DIR/netloom-tiny/vmlinuz" ]; then
  log "no built-in guest in $NETLOOM_VM_DIR (make vm-image)"
  exit 1
fi

# pss PID / rss PID: kB.
pss () { awk '/^Pss:/ { print $2 }' "/proc/$1/smaps_rollup" 2>/dev/null; }
rss () { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

for n in $SIZES; do
  lab=vb$n
  f="$T/$lab.yaml"
  {
    echo "name: $lab"
    echo "prefix: $PFX"
    echo "topology:"
    echo "  nodes:"
    echo "    sw: {kind: switch}"
    echo "    h0: {kind: host}"
    i=1
    while [ "$i" -le "$n" ]; do
      echo "    g$i: {kind: vm}"
      i=$((i + 1))
    done
    echo "  links:"
    echo "    - endpoints: [\"h0:eth1\", \"sw:p0\"]"
    echo "      ipv4: [\"10.5.0.254/24\", \"\"]"
    i=1
    while [ "$i" -le "$n" ]; do
      echo "    - endpoints: [\"g$i:eth1\", \"sw:p$i\"]"
      echo "      ipv4: [\"10.5.0.$i/24\", \"\"]"
      i=$((i + 1))
    done
  } >"$f"
  t0=$(date +%s.%N)
  if ! "$NL" -q deploy "$f" 2>"$T/deploy.err"; then
    log "deploy of $n VMs failed: $(cat "$T/deploy.err")"
    echo "FAIL $n" >>"$RES"
    continue
  fi
  t1=$(date +%s.%N)
  PINGS=""
  st=$("$NL" inspect --json "$lab")
  i=1
  while [ "$i" -le "$n" ]; do
    # The guest's MAC is known: a permanent neighbour entry spares the failed ARP
    # rounds (ping gives up after a few "host unreachable" errors).
    mac=$(echo "$st" | jq -r ".nodes[] | select(.name == \"g$i\") | .interfaces[0].mac")
    ip -n "$PFX-$lab-h0" neigh replace "10.5.0.$i" lladdr "$mac" dev eth1 nud permanent
    # -D: each reply with its time; grep ends it at the first reply; -w: bounded.
    ip netns exec "$PFX-$lab-h0" ping -D -n -i 0.2 -w 240 "10.5.0.$i" 2>/dev/null |
      grep -m 1 'bytes from' >"$T/ping.$i" &
    PINGS="$PINGS $!"
    i=$((i + 1))
  done
  for p in $PINGS; do wait "$p"; done
  PINGS=""
  i=1
  : >"$T/boot"
  while [ "$i" -le "$n" ]; do
    ts=$(sed -n 's/^\[\([0-9.]*\)\] [0-9]* bytes from.*/\1/p' "$T/ping.$i" | head -n 1)
    if [ -n "$ts" ]; then
      echo "$ts $t0" | awk '{ printf "%.2f\n", $1 - $2 }' >>"$T/boot"
    else
      echo "FAIL $n ping g$i" >>"$RES"
    fi
    i=$((i + 1))
  done
  st=$("$NL" inspect --json "$lab")
  pss_sum=0
  rss_sum=0
  for pid in $(echo "$st" | jq -r '.supervisor.vms[].pid // empty'); do
    pss_sum=$((pss_sum + $(pss "$pid")))
    rss_sum=$((rss_sum + $(rss "$pid")))
  done
  sup=$(echo "$st" | jq -r '.supervisor.pid')
  sup_pss=$(pss "$sup")
  sort -n "$T/boot" >"$T/boot.s"
  cnt=$(wc -l <"$T/boot.s")
  if [ "$cnt" -gt 0 ]; then
    min=$(head -n 1 "$T/boot.s")
    max=$(tail -n 1 "$T/boot.s")
    med=$(sed -n "$(((cnt + 1) / 2))p" "$T/boot.s")
  else
    min=- med=- max=-
  fi
  dep=$(echo "$t1 $t0" | awk '{ printf "%.2f", $1 - $2 }')
  echo "ROW $n $dep $min $med $max $((pss_sum / n / 1024)) $((rss_sum / n / 1024)) $((${sup_pss:-0} / 1024))" >>"$RES"
  log "$n VMs: deploy $dep s, boot to ping min/median/max $min/$med/$max s"
  "$NL" -q destroy "$lab"
done

{
  echo "<!-- vm-bench: tests/bench/vm.sh writes this section -->"
  echo "## VMs"
  echo
  echo "netloom-tiny guests (128 MiB, 1 CPU, $(awk '$2 == "kvm" { k = 1 } END { print k ? "KVM" : "TCG: KVM does not work here" }' "$NETLOOM_RUN_DIR/kvm-probe" 2>/dev/null)) on one switch with a host,"
  echo "$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end. *Deploy* is"
  echo "until \`netloom deploy\` returns (every QEMU answers QMP); *boot to ping* is from the"
  echo "start of the deploy to the host's first echo reply from each guest (0.2 s"
  echo "resolution); memory is per VM once every guest answered (QEMU's PSS and RSS)."
  echo "Under TCG most of QEMU's memory is its own (the translated-code cache, VGA), not"
  echo "the guest's: a single VM's RSS was 227 MiB with 128 MiB of guest memory and 232 MiB"
  echo "with 256 MiB. Boots share the CPUs, so boot to ping grows with the number of VMs."
  echo
  echo "| VMs | deploy (s) | boot to ping min (s) | median (s) | max (s) | QEMU PSS per VM (MiB) | QEMU RSS per VM (MiB) | supervisor PSS (MiB) |"
  echo "|--:|--:|--:|--:|--:|--:|--:|--:|"
  awk '$1 == "ROW" { printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", $2, $3, $4, $5, $6, $7, $8, $9 }' "$RES"
  if grep -q FAIL "$RES"; then
    echo
    echo "Failed: $(grep FAIL "$RES" | tr '\n' ';')"
  fi
  echo "<!-- /vm-bench -->"
} >"$T/section"

if [ -f "$OUT" ] && grep -q '^<!-- vm-bench' "$OUT"; then
  awk -v sec="$T/section" '
    /^<!-- vm-bench/ { while ((getline l < sec) > 0) print l; skip = 1; next }
    /^<!-- \/vm-bench -->/ { skip = 0; next }
    !skip { print }' "$OUT" >"$T/out" && cat "$T/out" >"$OUT"
else
  { echo; cat "$T/section"; } >>"$OUT"
fi
cat "$T/section"
! grep -q FAIL "$RES"
