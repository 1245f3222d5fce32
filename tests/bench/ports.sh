#!/bin/sh
# Published-port and nat-node benchmark: `sh tests/bench/ports.sh build/netloom` (make bench
# runs it after the others).
#
# One node h1 (`capture: false`) behind a nat node gw publishes its iperf3 port; one iperf3
# TCP stream of BENCH_IPERF_TIME s each:
#   - direct:          client and server both in h1, over its loopback (the path the
#                      proxy's node side takes);
#   - published port:  the client on the host, to 127.0.0.1:PORT (`ports:`), relayed by
#                      the supervisor with splice() into h1;
#   - nat node:        the client in h1, the server on the host's loopback, reached at the
#                      gateway 10.0.2.2 through the link, the TAP and libslirp;
# with the supervisor's CPU seconds for the last two, and puts a "## Published ports and
# the NAT node" section into docs/benchmarks.md (between its markers; appended the first
# time). Knobs: BENCH_IPERF_TIME=5, BENCH_OUT=docs/benchmarks.md.
set -u

NL=${1:-build/netloom}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
OUT=${BENCH_OUT:-$top/docs/benchmarks.md}
TIME=${BENCH_IPERF_TIME:-5}
PFX=pb$$
case "$NL" in /*) ;; *) NL=$(pwd)/$NL ;; esac
export NETLOOM_RUN_DIR="/run/netloom-portbench-$$"
T=$(mktemp -d /tmp/netloom-portbench.XXXXXX) || exit 1
RES="$T/results"
: >"$RES"
SRV=""

cleanup () {
  for p in $SRV; do kill "$p" 2>/dev/null; done
  "$NL" -q destroy --all --cleanup >/dev/null 2>&1
  rm -rf "$NETLOOM_RUN_DIR" "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

log () { echo "ports-bench: $*" >&2; }
put () { echo "$1 $2" >>"$RES"; }
get () { awk -v k="$1" '$1 == k { v = $2 } END { print (v == "" ? "-" : v) }' "$RES"; }
HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)
cpu_ticks () { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null; }
gbps () { jq -r '.end.sum_received.bits_per_second // empty' "$1" 2>/dev/null | awk '{ printf "%.2f", $1 / 1e9 }'; }
free_port () {
  while :; do
    p=$(shuf -i 30000-60999 -n 1)
    [ -z "$(ss -Htuln "sport = :$p" 2>/dev/null)" ] && { echo "$p"; return; }
  done
}
# server CMD...: a one-off iperf3 server (CMD runs it), returned once it listens
# (its "listening" line, read from a fifo: an event, not a sleep).
server () {
  rm -f "$T/fifo"
  mkfifo "$T/fifo" || return 1
  "$@" >"$T/fifo" 2>&1 &
  SRV="$SRV $!"
  exec 4<"$T/fifo"
  if timeout 20 grep -q -m1 'listening' <&4; then
    cat <&4 >/dev/null &
    exec 4<&-
    return 0
  fi
  exec 4<&-
  log "iperf3 server did not start"
  return 1
}

for c in iperf3 jq shuf ss; do
  command -v "$c" >/dev/null 2>&1 || { log "'$c' is missing"; exit 1; }
done
PORT=$(free_port)
PORT2=$(free_port)
LAB=pb
cat >"$T/$LAB.yaml" <<EOF
name: $LAB
prefix: $PFX
capture: false
topology:
  nodes:
    gw: {kind: nat}
    h1:
      interfaces: {eth1: {ipv4: 10.0.2.15/24}}
      routes: ["default via 10.0.2.2"]
      ports: ["127.0.0.1:$PORT:5201"]
  links:
    - endpoints: [gw:eth1, h1:eth1]
EOF
"$NL" -q deploy "$T/$LAB.yaml" >&2 || { log "deploy failed"; exit 1; }
SUP=$(awk '/^proc /{ p = $2 } END { print p }' "$NETLOOM_RUN_DIR/$LAB/journal")

log "direct (in h1, loopback)"
if server "$NL" exec "$LAB" h1 -- iperf3 -s -1 --forceflush; then
  timeout $((TIME + 60)) "$NL" exec "$LAB" h1 -- iperf3 -J -c 127.0.0.1 -t "$TIME" >"$T/d.json"
  put direct "$(gbps "$T/d.json")"
fi
log "published port (host -> 127.0.0.1:$PORT -> h1)"
if server "$NL" exec "$LAB" h1 -- iperf3 -s -1 --forceflush; then
  c0=$(cpu_ticks "$SUP")
  timeout $((TIME + 60)) iperf3 -J -c 127.0.0.1 -p "$PORT" -t "$TIME" >"$T/p.json"
  c1=$(cpu_ticks "$SUP")
  put proxy "$(gbps "$T/p.json")"
  put proxy.cpu "$(awk -v a="$c0" -v b="$c1" -v hz="$HZ" 'BEGIN { printf "%.2f", (b - a) / hz }')"
fi
log "nat node (h1 -> 10.0.2.2:$PORT2 -> host loopback)"
if server iperf3 -s -1 --forceflush -B 127.0.0.1 -p "$PORT2"; then
  c0=$(cpu_ticks "$SUP")
  timeout $((TIME + 60)) "$NL" exec "$LAB" h1 -- iperf3 -J -c 10.0.2.2 -p "$PORT2" -t "$TIME" >"$T/n.json"
  c1=$(cpu_ticks "$SUP")
  put nat "$(gbps "$T/n.json")"
  put nat.cpu "$(awk -v a="$c0" -v b="$c1" -v hz="$HZ" 'BEGIN { printf "%.2f", (b - a) / hz }')"
fi
"$NL" -q destroy --cleanup "$LAB" >&2

pct () { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b != "-") printf "%.0f %%", b * 100 / a; else print "-" }'; }
D=$(get direct) P=$(get proxy) N=$(get nat)
{
  echo "<!-- ports-bench: tests/bench/ports.sh writes this section -->"
  echo "## Published ports and the NAT node"
  echo
  echo "Run on $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end."
  echo "One node h1 (\`capture: false\`) behind a nat node, one iperf3 TCP stream of $TIME s"
  echo "per row, all three in the same run. *direct* is client and server both in h1, over"
  echo "its loopback: the path the proxy's node side takes. *published port* is the client"
  echo "on the host connecting to 127.0.0.1:PORT, which h1 publishes"
  echo "(\`ports: [\"127.0.0.1:PORT:5201\"]\`): the supervisor accepts, connects inside h1 and"
  echo "relays with splice(). *nat node* is the client in h1 and the server on the host's"
  echo "loopback, reached at the gateway 10.0.2.2: every frame crosses the link, the TAP and"
  echo "libslirp's TCP stack in the supervisor. *supervisor CPU* is its utime + stime over"
  echo "the run (the iperf3 processes share the same CPUs)."
  echo
  echo "| path | throughput (Gbit/s) | vs direct | supervisor CPU (s) |"
  echo "|---|--:|--:|--:|"
  echo "| direct, in h1 over its loopback | $D | 100 % | - |"
  echo "| host → published port → h1 | $P | $(pct "$D" "$P") | $(get proxy.cpu) |"
  echo "| h1 → nat node (slirp) → host loopback | $N | $(pct "$D" "$N") | $(get nat.cpu) |"
  echo "<!-- /ports-bench -->"
} >"$T/section"

if [ -f "$OUT" ] && grep -q '^<!-- ports-bench' "$OUT"; then
  awk -v sec="$T/section" '
    /^<!-- ports-bench/ { while ((getline l < sec) > 0) print l; skip = 1; next }
    /^<!-- \/ports-bench -->/ { skip = 0; next }
    !skip { print }' "$OUT" >"$T/out" && cat "$T/out" >"$OUT"
else
  { echo; cat "$T/section"; } >>"$OUT"
fi
cat "$T/section"
[ "$D" != "-" ] && [ "$P" != "-" ] && [ "$N" != "-" ]
