#!/bin/sh
# netloom deploy/destroy benchmark: `make bench`, or `sh tests/bench/run.sh build/netloom`.
#
# In one run, for N = 10, 100, 1000 and two topologies (star: N hosts on one switch;
# chain: N routers in a line with static routes), it times
#   - netloom:       `netloom deploy FILE` and `netloom destroy NAME`, with peak RSS;
#   - ip loop:       the same topology built by a shell loop of `ip` commands and torn
#                    down by an `ip netns del` loop (baseline A);
#   - Mininet:       `mn --topo single,N|linear,N --switch lxbr --controller none
#                    --test none`, end to end (baseline B);
# measures memory per host (netloom's deploy peak RSS and its lab supervisor's PSS, / N;
# the kernel's slab + per-CPU growth, netloom vs ip loop; Mininet's per-host shell PSS),
# and writes the tables to docs/benchmarks.md and stdout.
#
# Then, in the same run, what capture and impairments cost:
#   - capture cost:  iperf3 TCP (one stream) h1 -> h2 across a switch with `capture:
#                    false`, the default capture and `capture: {snaplen: 256}`: throughput,
#                    the supervisor's CPU time per captured Gbit, drops (`capture --list`);
#   - memory:        the supervisor's PSS with 100 and 1000 captured links, after deploy
#                    and after one ping on every 10th link;
#   - deploy:        star 1000 with capture on vs off (alternating, median of BENCH_REPS);
#   - impairment:    a:eth1 -- b:eth1 with `netloom link LAB a:eth1 set delay=50ms`: ping
#                    RTT (one-way delay), UDP iperf3 at 200 Mbit/s (loss, jitter), and TCP
#                    throughput of the plain link vs after `reset`.
#
# Everything it creates carries a unique prefix (nb<pid>-) or lives in its temp dir;
# it never touches other namespaces or labs, never runs `mn -c`, and cleans up on exit
# and on INT/TERM/HUP.
#
# Environment knobs (for quick runs while developing):
#   BENCH_SIZES="10 100 1000"  the N values
#   BENCH_MN_MAX=1000          largest N for which Mininet runs (0: no Mininet)
#   BENCH_MN_TIMEOUT=300       seconds cap for one Mininet run (linear,1000 does not
#                              finish in 600 s here; the cap keeps the bench ~10 min)
#   BENCH_REPS=3               netloom deploy/destroy repetitions (the median is reported;
#                              the baselines, which take minutes, run once)
#   BENCH_OUT=docs/benchmarks.md
#   BENCH_NET=1                0: skip the iperf3 runs (capture cost and impairment)
#   BENCH_IPERF_TIME=5         seconds of each iperf3 run
#   BENCH_CAP_DEPLOY_N=1000    star size for deploy with capture on vs off (0: skip)
#   BENCH_CAP_MEM_SIZES="100 1000"  captured links for the supervisor memory ("": skip)
set -u

NL=${1:-build/netloom}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
SIZES=${BENCH_SIZES:-10 100 1000}
MN_MAX=${BENCH_MN_MAX:-1000}
MN_TIMEOUT=${BENCH_MN_TIMEOUT:-300}
REPS=${BENCH_REPS:-3}
OUT=${BENCH_OUT:-$top/docs/benchmarks.md}
NET=${BENCH_NET:-1}
IPERF_TIME=${BENCH_IPERF_TIME:-5}
CAP_DEPLOY_N=${BENCH_CAP_DEPLOY_N:-1000}
CAP_MEM_SIZES=${BENCH_CAP_MEM_SIZES-100 1000}
PFX=nb$$

case "$NL" in /*) ;; *) NL=$(pwd)/$NL ;; esac
if [ ! -x "$NL" ]; then
  echo "bench: netloom binary '$NL' not found or not executable (run make first)" >&2
  exit 1
fi
if [ "$(id -u)" != 0 ]; then
  echo "bench: must run as root (it creates network namespaces)" >&2
  exit 1
fi
for c in ip awk date; do
  command -v "$c" >/dev/null 2>&1 || { echo "bench: '$c' is missing" >&2; exit 1; }
done

exec 3>&2   # the terminal's stderr, for messages from inside redirected functions
TMP=$(mktemp -d /tmp/netloom-bench.XXXXXX) || exit 1
export NETLOOM_RUN_DIR="$TMP/run"   # our labs only: `destroy --all` below is safe
mkdir -p "$NETLOOM_RUN_DIR"
RES="$TMP/results"                   # key value lines
: >"$RES"
LOG="$TMP/log"
: >"$LOG"

GNUTIME=""
if [ -x /usr/bin/time ] && /usr/bin/time -f %M -o /dev/null true 2>/dev/null; then
  GNUTIME=/usr/bin/time
fi
MNPY="" MN=$(command -v mn 2>/dev/null)
if [ -n "$MN" ] && [ -x /usr/bin/python3 ] \
   && /usr/bin/python3 -c 'import mininet.net' 2>/dev/null; then
  MNPY=/usr/bin/python3
fi
HAVE_BRCTL=0
command -v brctl >/dev/null 2>&1 && HAVE_BRCTL=1

# --------------------------------------------------------------------------- helpers

now() { date +%s.%N; }
# sub A B -> A - B, 3 decimals
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }
put() { echo "$1 $2" >>"$RES"; }
get() { awk -v k="$1" '$1 == k { v = $2 } END { print (v == "" ? "-" : v) }' "$RES"; }
log() { echo "bench: $*" >&3; echo "$*" >>"$LOG"; }
# Kernel memory that network namespaces, devices and routes take: slab + per-CPU (kB).
# (MemAvailable moves with the page cache and with the frees of the previous run.)
kmem() { awk '$1 == "Slab:" || $1 == "Percpu:" { s += $2 } END { print s }' /proc/meminfo; }
unreclaim() { awk '$1 == "SUnreclaim:" { print $2 }' /proc/meminfo; }
netns_slab() { awk '$1 == "net_namespace" { print $2 }' /proc/slabinfo 2>/dev/null || echo 0; }
# pids of the per-lab supervisors netloom started for our labs (our run dir only)
supervisors() {
  ps -eo pid=,args= | awk -v d="supervise --run-dir $NETLOOM_RUN_DIR " 'index($0, d) { print $1 }'
}
# summed PSS (kB) of our supervisors
supervisor_pss() {
  local p t=0 v
  for p in $(supervisors); do
    v=$(awk '$1 == "Pss:" { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null)
    t=$((t + ${v:-0}))
  done
  echo $t
}
our_netns() { ip netns list 2>/dev/null | awk -v p="^$PFX-" '$1 ~ p { print $1 }'; }

# Waits (bounded) until none of our namespaces is listed and the kernel has stopped
# freeing network namespaces (cleanup_net runs after `ip netns del` returns).
settle() {
  local i prev same cur
  i=0
  while [ -n "$(our_netns)" ] && [ $i -lt 120 ]; do sleep 0.25; i=$((i + 1)); done
  prev=-1 same=0 i=0
  while [ $i -lt 240 ]; do
    cur=$(netns_slab)
    [ "$cur" -le $((SLAB0 + 16)) ] 2>/dev/null && break
    if [ "$cur" = "$prev" ]; then
      same=$((same + 1)); [ $same -ge 4 ] && break
    else
      same=0
    fi
    prev=$cur
    sleep 0.25; i=$((i + 1))
  done
  # then until unreclaimable slab stops shrinking (RCU frees), so the next kmem is clean
  prev=$(unreclaim) i=0
  while [ $i -lt 40 ]; do
    sleep 0.5
    cur=$(unreclaim)
    [ $((prev - cur)) -lt 1024 ] && break
    prev=$cur i=$((i + 1))
  done
}

# --------------------------------------------------------------------------- cleanup

MN_PID=""
SRV_PID=""   # a netloom exec running an iperf3 server
MN_LINKS0="$TMP/links-before-mininet"
descendants() {  # pids under $1, children first
  local c
  for c in $(awk -v p="$1" '{ sub(/.*\) /, ""); if ($2 == p) { f = FILENAME; gsub(/[^0-9]/, "", f); print f } }' \
             /proc/[0-9]*/stat 2>/dev/null); do
    descendants "$c"; echo "$c"
  done
}
kill_tree() {
  local pids
  [ -n "$1" ] || return 0
  pids="$(descendants "$1") $1"
  kill -TERM $pids 2>/dev/null
  sleep 0.5
  kill -KILL $pids 2>/dev/null
  wait "$1" 2>/dev/null
}
# Links a killed Mininet run left in the host namespace: bridges sN and veths sN-ethM /
# hN-ethM that did not exist before the run.
mininet_leftovers() {
  local l
  [ -f "$MN_LINKS0" ] || return 0
  ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' \
    | grep -E '^[sh][0-9]+(-eth[0-9]+)?$' | sort >"$TMP/links-after" 2>/dev/null
  for l in $(comm -13 "$MN_LINKS0" "$TMP/links-after"); do
    ip link del "$l" 2>/dev/null
  done
  rm -f "$MN_LINKS0"
}
cleaned=0
cleanup() {
  [ $cleaned = 1 ] && return
  cleaned=1
  trap '' INT TERM HUP
  if [ -n "$MN_PID" ]; then kill_tree "$MN_PID"; MN_PID=""; fi
  if [ -n "$SRV_PID" ]; then kill_tree "$SRV_PID"; SRV_PID=""; fi
  mininet_leftovers
  if [ -d "$NETLOOM_RUN_DIR" ] && [ -n "$(ls -A "$NETLOOM_RUN_DIR" 2>/dev/null)" ]; then
    "$NL" -q destroy --all >/dev/null 2>&1
  fi
  for p in $(supervisors); do kill -TERM "$p" 2>/dev/null; done
  for ns in $(our_netns); do ip netns del "$ns" 2>/dev/null; done
  rm -rf "$TMP"
}
trap 'cleanup' EXIT
trap 'echo "bench: interrupted, cleaning up" >&3; cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
trap 'cleanup; exit 129' HUP

SLAB0=$(netns_slab)

# --------------------------------------------------------------------------- netloom

# nl_run KIND N: deploy + (ping) + destroy of the generated lab; results under nl.KIND.N.*
# nl_once KIND N REP: one deploy + (ping) + destroy of the generated lab; results under
# nl.KIND.N.*.rREP (memory and the ping on the first repetition only).
nl_once() {
  local kind=$1 n=$2 r=$3 lab=$1$2 file m0 m1 t0 t1 rc k
  k="nl.$kind.$n"
  file="$TMP/$lab.yaml"
  [ -s "$file" ] || sh "$here/gen-lab.sh" "$kind" "$n" "$lab" "$PFX" >"$file" || return 1
  m0=$(kmem)
  t0=$(now)
  $GNUTIME ${GNUTIME:+-f %M -o "$TMP/rss"} "$NL" -q deploy "$file" >>"$LOG" 2>&1
  rc=$?
  t1=$(now)
  if [ $rc != 0 ]; then
    log "netloom deploy $lab failed (exit $rc):"
    tail -5 "$LOG" >&3
    "$NL" -q destroy "$lab" >/dev/null 2>&1
    settle
    return 1
  fi
  m1=$(kmem)
  put "$k.deploy.r$r" "$(sub "$t1" "$t0")"
  [ -n "$GNUTIME" ] && put "$k.rss.r$r" "$(tail -1 "$TMP/rss")"
  if [ "$r" = 1 ]; then
    put "$k.memkernel" "$((m1 - m0))"
    put "$k.super" "$(supervisor_pss)"
    if [ "$kind" = chain ] && [ "$n" -le 100 ]; then
      # rN answers with its own default TTL: raise it so the reply survives N-2 hops.
      "$NL" exec "$lab" "r$n" -- sysctl -qw net.ipv4.ip_default_ttl=255 >>"$LOG" 2>&1
      if "$NL" exec "$lab" r1 -- ping -c1 -W2 -t 255 "$(chain_last_addr "$n")" >>"$LOG" 2>&1; then
        put "$k.ping" pass
      else
        put "$k.ping" FAIL
      fi
    fi
  fi
  t0=$(now)
  "$NL" -q destroy "$lab" >>"$LOG" 2>&1
  rc=$?
  t1=$(now)
  if [ $rc != 0 ]; then
    log "netloom destroy $lab failed (exit $rc)"
    settle
    return 1
  fi
  put "$k.destroy.r$r" "$(sub "$t1" "$t0")"
  t0=$(now)
  settle
  put "$k.settle.r$r" "$(sub "$(now)" "$t0")"
}

# median of the values of KEY.r1 .. KEY.rREPS (numbers only)
median() {
  awk -v k="$1." '
    index($1, k) == 1 && substr($1, length(k) + 1) ~ /^r[0-9]+$/ && $2 ~ /^[0-9.]+$/ { v[++n] = $2 }
    END {
      if (n == 0) { print "-"; exit }
      for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
      print (n % 2) ? v[(n + 1) / 2] : sprintf("%.3f", (v[n / 2] + v[n / 2 + 1]) / 2)
    }' "$RES"
}
# all values of KEY.r*, comma-separated
values() {
  awk -v k="$1." 'index($1, k) == 1 && substr($1, length(k) + 1) ~ /^r[0-9]+$/ { s = s (s == "" ? "" : ", ") $2 }
                  END { print s }' "$RES"
}

# nl_run KIND N: BENCH_REPS repetitions; reports the median times and the largest RSS.
nl_run() {
  local kind=$1 n=$2 r=1 k="nl.$1.$2"
  while [ $r -le "$REPS" ]; do
    if ! nl_once "$kind" "$n" $r; then
      put "$k.deploy" FAIL
      return 1
    fi
    r=$((r + 1))
  done
  put "$k.deploy" "$(median "$k.deploy")"
  put "$k.destroy" "$(median "$k.destroy")"
  put "$k.settle" "$(median "$k.settle")"
  put "$k.deploys" "$(values "$k.deploy" | tr -d ' ')"
  put "$k.destroys" "$(values "$k.destroy" | tr -d ' ')"
  put "$k.rss" "$(awk -v k="$k.rss." 'index($1, k) == 1 && $2 > m { m = $2 } END { print m + 0 }' "$RES")"
}

# address of rN:eth1 (link N-1's .2)
chain_last_addr() { echo "10.$((($1 - 1) / 256)).$((($1 - 1) % 256)).2"; }

# --------------------------------------------------------------------------- ip loop

ipv6_off() {  # ipv6_off NS [SYSCTL=V...]: like netloom, no IPv6 where the lab has none
  local ns=$1
  shift
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
    net.ipv6.conf.default.disable_ipv6=1 "$@" >/dev/null &&
    ip -n "$ns" link set lo up   # netloom brings lo up in every node too
}

ip_star_up() {
  local n=$1 b="$PFX-ipstar$1" i h
  ip netns add "$b-sw1" && ipv6_off "$b-sw1" || return 1
  ip -n "$b-sw1" link add br0 type bridge && ip -n "$b-sw1" link set br0 up || return 1
  i=1
  while [ $i -le "$n" ]; do
    h="$b-h$i"
    ip netns add "$h" && ipv6_off "$h" &&
      ip link add eth1 netns "$h" type veth peer name "p$i" netns "$b-sw1" &&
      ip -n "$b-sw1" link set "p$i" master br0 up &&
      ip -n "$h" addr add "10.0.$((i / 250)).$((i % 250 + 1))/16" dev eth1 &&
      ip -n "$h" link set eth1 up || return 1
    i=$((i + 1))
  done
}
ip_star_down() {
  local b="$PFX-ipstar$1" i
  ip netns del "$b-sw1"
  i=1
  while [ $i -le "$1" ]; do ip netns del "$b-h$i"; i=$((i + 1)); done
}

ip_chain_up() {
  local n=$1 b="$PFX-ipchain$1" k i a z net dst via gw
  k=1
  while [ $k -le "$n" ]; do
    ip netns add "$b-r$k" && ipv6_off "$b-r$k" net.ipv4.ip_forward=1 || return 1
    k=$((k + 1))
  done
  i=1
  while [ $i -lt "$n" ]; do
    a="$b-r$i" z="$b-r$((i + 1))" net="10.$((i / 256)).$((i % 256))"
    ip link add eth2 netns "$a" type veth peer name eth1 netns "$z" &&
      ip -n "$a" addr add "$net.1/24" dev eth2 && ip -n "$a" link set eth2 up &&
      ip -n "$z" addr add "$net.2/24" dev eth1 && ip -n "$z" link set eth1 up || return 1
    i=$((i + 1))
  done
  sh "$here/gen-lab.sh" chain-routes "$n" - - >"$TMP/routes" || return 1
  while read -r k dst via gw; do
    ip -n "$b-r$k" route add "$dst" via "$gw" || return 1
  done <"$TMP/routes"
}
ip_chain_down() {
  local k=1
  while [ $k -le "$1" ]; do ip netns del "$PFX-ipchain$1-r$k"; k=$((k + 1)); done
}

ip_run() {
  local kind=$1 n=$2 m0 m1 t0 t1 rc b ns
  m0=$(kmem)
  t0=$(now)
  "ip_${kind}_up" "$n" >>"$LOG" 2>&1
  rc=$?
  t1=$(now)
  m1=$(kmem)
  if [ $rc != 0 ]; then
    log "ip-loop $kind $n failed; see $LOG"
    tail -5 "$LOG" >&2
    put "ip.$kind.$n.deploy" FAIL
  else
    put "ip.$kind.$n.deploy" "$(sub "$t1" "$t0")"
    put "ip.$kind.$n.memkernel" "$((m1 - m0))"
  fi
  if [ $rc = 0 ] && [ "$kind" = chain ] && [ "$n" -le 100 ]; then
    b="$PFX-ipchain$n"
    ip netns exec "$b-r$n" sysctl -qw net.ipv4.ip_default_ttl=255 >>"$LOG" 2>&1
    if ip netns exec "$b-r1" ping -c1 -W2 -t 255 "$(chain_last_addr "$n")" >>"$LOG" 2>&1; then
      put "ip.$kind.$n.ping" pass
    else
      put "ip.$kind.$n.ping" FAIL
    fi
  fi
  t0=$(now)
  "ip_${kind}_down" "$n" >>"$LOG" 2>&1
  t1=$(now)
  [ $rc = 0 ] && put "ip.$kind.$n.destroy" "$(sub "$t1" "$t0")"
  for ns in $(our_netns); do ip netns del "$ns" 2>/dev/null; done   # after a failure
  settle
}

# --------------------------------------------------------------------------- Mininet

# `mn`, with mininet.clean.cleanup() disabled: mn calls it (= `mn -c`, which kills
# processes by name and deletes links it does not own) on any exception or Ctrl-C.
MN_WRAP='
import sys, mininet.clean as c
def _nocleanup(*a, **k):
    sys.stderr.write("bench: mininet cleanup() suppressed\n")
c.cleanup = _nocleanup
c.Cleanup.cleanup = classmethod(lambda cls: _nocleanup())
mn = sys.argv[1]
sys.argv = ["mn"] + sys.argv[2:]
exec(compile(open(mn).read(), mn, "exec"), {"__name__": "__main__"})
'

# Mininet's per-host memory: PSS of each host's shell (the process a Mininet host is).
MN_MEM='
import sys, mininet.clean as c
c.cleanup = c.Cleanup.cleanup = lambda *a, **k: None
from mininet.net import Mininet
from mininet.topo import SingleSwitchTopo
from mininet.nodelib import LinuxBridge
from mininet.log import setLogLevel
setLogLevel("error")
def pss(pid):
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0
n = int(sys.argv[1])
net = Mininet(topo=SingleSwitchTopo(n), switch=LinuxBridge, controller=None)
try:
    net.start()
    v = [pss(h.pid) for h in net.hosts]
    print("%.0f %d" % (sum(v) / len(v), pss(__import__("os").getpid())))
finally:
    net.stop()
'

mn_run() {  # mn_run TOPO N  (TOPO = single | linear)
  local topo=$1 n=$2 kind=star t0 t1 rc mlog="$TMP/mn-$1-$2.log"
  [ "$topo" = linear ] && kind=chain
  ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' \
    | grep -E '^[sh][0-9]+(-eth[0-9]+)?$' | sort >"$MN_LINKS0"
  if grep -qx s1 "$MN_LINKS0"; then
    log "a bridge 's1' already exists in the host namespace: skipping Mininet"
    put "mn.$kind.$n" "skipped"
    rm -f "$MN_LINKS0"
    return
  fi
  # In the background so that the INT trap runs at once (and a background job ignores
  # SIGINT, so Ctrl-C never reaches mn); GNU time outside timeout, so %M is mn's.
  t0=$(now)
  $GNUTIME ${GNUTIME:+-f %M -o "$TMP/mnrss"} timeout "$MN_TIMEOUT" \
    $MNPY -c "$MN_WRAP" "$MN" --topo "$topo,$n" --switch lxbr --controller none --test none \
    >"$mlog" 2>&1 &
  MN_PID=$!
  wait $MN_PID
  rc=$?
  t1=$(now)
  MN_PID=""
  cat "$mlog" >>"$LOG"
  if [ $rc = 124 ]; then
    put "mn.$kind.$n" timeout
    put "mn.$kind.$n.cap" "$MN_TIMEOUT"
  elif [ $rc != 0 ] || grep -q 'Caught exception' "$mlog"; then
    put "mn.$kind.$n" FAIL
  else
    put "mn.$kind.$n" "$(sub "$t1" "$t0")"
    [ -n "$GNUTIME" ] && put "mn.$kind.$n.rss" "$(tail -1 "$TMP/mnrss")"
  fi
  mininet_leftovers
  if ps -eo args= | grep -q '^bash --norc --noediting -is mininet:'; then
    log "warning: Mininet host shells are still running after mn $topo,$n"
  fi
  settle
}

# --------------------------------------------------------------------------- run

T_START=$(now)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
log "netloom: $NL; prefix $PFX; temp $TMP; sizes: $SIZES"
[ -z "$GNUTIME" ] && log "GNU time (/usr/bin/time, package 'time') missing: no peak RSS"
if [ -z "$MNPY" ]; then
  log "Mininet (package 'mininet') not usable with /usr/bin/python3: no Mininet baseline"
  MN_MAX=0
elif [ $HAVE_BRCTL = 0 ]; then
  log "brctl (package 'bridge-utils') missing: Mininet's --switch lxbr cannot run"
  MN_MAX=0
fi

for n in $SIZES; do
  for kind in star chain; do
    log "netloom $kind N=$n"
    nl_run "$kind" "$n"
    log "ip loop $kind N=$n"
    ip_run "$kind" "$n"
  done
  if [ "$n" -le "$MN_MAX" ]; then
    for topo in single linear; do
      kind=star; [ $topo = linear ] && kind=chain
      # Skip a size Mininet cannot finish within the cap, judging by the last size
      # (its time grows at least linearly with N).
      est=""
      for m in $SIZES; do
        [ "$m" -lt "$n" ] || continue
        v=$(get "mn.$kind.$m")
        case "$v" in [0-9]*) est=$(awk -v v="$v" -v m="$m" -v n="$n" 'BEGIN { print v * n / m }') ;; esac
      done
      if [ -n "$est" ] && awk -v e="$est" -v c="$MN_TIMEOUT" 'BEGIN { exit !(e > c) }'; then
        log "Mininet $topo,$n skipped: would take about ${est%.*} s > ${MN_TIMEOUT} s"
        put "mn.$kind.$n" "skipped"
        continue
      fi
      log "Mininet $topo,$n (cap ${MN_TIMEOUT} s)"
      mn_run "$topo" "$n"
    done
  fi
done

if [ "$MN_MAX" -ge 100 ]; then
  log "Mininet per-host memory (single,100)"
  if out=$(timeout 300 $MNPY -c "$MN_MEM" 100 2>>"$LOG"); then
    put mn.hostpss "${out% *}"
    put mn.procpss "${out#* }"
  fi
  settle
fi
T_END=$(now)
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

# --------------------------------------------------------------------------- report

TOTAL=$(sub "$T_END" "$T_START")
SIZES_SORTED=$(echo $SIZES | tr ' ' '\n' | sort -n | tr '\n' ' ')
BIG=$(echo $SIZES_SORTED | awk '{ print $NF }')
report() {
  awk -v sizes="$SIZES_SORTED" -v big="$BIG" -v date="$(date -u '+%Y-%m-%d %H:%M UTC')" \
      -v kernel="$(uname -r)" -v ncpu="$(nproc)" -v total="$TOTAL" \
      -v gnutime="$GNUTIME" -v mnmax="$MN_MAX" -v load0="$LOAD0" -v load1="$LOAD1" -v reps="$REPS" '
  { r[$1] = $2 }
  function g(k) { return (k in r) ? r[k] : "-" }
  function num(x) { return x ~ /^-?[0-9.]+$/ }
  function s2(x) { return num(x) ? sprintf("%.3f", x) : x }
  function sum(a, b) { return (num(a) && num(b)) ? a + b : "-" }
  function ratio(base, ours) {
    return (num(base) && num(ours) && ours > 0) ? sprintf("%.1f×", base / ours) : "-"
  }
  function mb(kb) { return num(kb) ? sprintf("%.1f", kb / 1024) : "-" }
  function per(kb, n) { return num(kb) ? sprintf("%.1f", kb / n) : "-" }
  function verdict(ok) { return ok ? "**met**" : "**missed**" }
  function lst(x) { gsub(/,/, ", ", x); return x }
  END {
    ns = split(sizes, N, " ")
    print "# netloom benchmarks"
    print ""
    print "Generated by `make bench` (tests/bench/run.sh) on " date ", kernel " kernel ", " \
          ncpu " CPUs; the whole run took " sprintf("%.0f", total) " s; load average " \
          load0 " at the start, " load1 " at the end (anything else running on the machine " \
          "shows up in every column). Do not edit by hand: rerun `make bench`."
    print ""
    print "## How to read this"
    print ""
    print "Every number comes from the same run on the same machine, so the ratios compare " \
          "like with like. **star N** is N hosts (h1..hN, one 10.0.x.y/16 address each) on " \
          "one switch; **chain N** is N routers in a line, one /24 per link, with static " \
          "routes so that r1 reaches rN. *netloom* times `netloom deploy FILE` and " \
          "`netloom destroy NAME` (wall clock of the command; the median of " reps " runs, " \
          "while the baselines run once). *ip loop* (baseline A) builds " \
          "the same namespaces, veths, bridge, addresses and routes with a shell loop of " \
          "`ip netns add` / `ip link add ... netns ... type veth peer ... netns ...` / " \
          "`ip -n NS ...` commands (with IPv6 turned off and lo up in each namespace, as netloom does) and " \
          "tears them down with an `ip netns del` loop. *Mininet* (baseline B) is " \
          "`mn --topo single,N` (star) or `--topo linear,N` (chain) with `--switch lxbr " \
          "--controller none --test none`, end to end (build + tear down), from Debian'\''s " \
          "mininet package; linear,N is N switches with one host each, so it is the closest " \
          "Mininet shape to the chain, not the same lab. A ratio is *baseline time / " \
          "netloom time* for deploy + destroy: 10.0× means netloom is ten times faster. " \
          "Both destroy times stop when the command returns; the kernel frees the " \
          "namespaces asynchronously afterwards (*kernel settle*: until the kernel stops freeing them, sampled every 0.25–0.5 s; waited for before the " \
          "next measurement). *r1→rN* is `netloom exec LAB r1 -- ping -c1 -W2 -t 255 <rN>` " \
          "(netloom / ip loop), checked for N ≤ 100 (1000 routers exceed the IP TTL)."
    print ""
    print "## Deploy and destroy times (seconds)"
    print ""
    print "| lab | netloom deploy | netloom destroy | ms per node (deploy) | kernel settle (approx.) | ip loop deploy | ip loop destroy | netloom vs ip loop | Mininet end to end | netloom vs Mininet | r1→rN ping |"
    print "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|:-:|"
    for (t = 1; t <= 2; t++) {
      kind = t == 1 ? "star" : "chain"
      for (i = 1; i <= ns; i++) {
        n = N[i]
        d = g("nl." kind "." n ".deploy"); x = g("nl." kind "." n ".destroy")
        id = g("ip." kind "." n ".deploy"); ix = g("ip." kind "." n ".destroy")
        m = g("mn." kind "." n)
        if (m == "-" && n > mnmax) m = "not run"
        nl = sum(d, x)
        mr = ratio(m, nl)
        cap = g("mn." kind "." n ".cap")
        if (m == "timeout" && num(cap)) {
          m = "timeout (> " cap ")"
          if (num(nl) && nl > 0) mr = sprintf("> %.0f×", cap / nl)
        }
        ping = "-"
        if (kind == "chain" && n <= 100)
          ping = g("nl.chain." n ".ping") " / " g("ip.chain." n ".ping")
        printf "| %s %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", kind, n,
               s2(d), s2(x), num(d) ? sprintf("%.2f", d * 1000 / n) : "-",
               s2(g("nl." kind "." n ".settle")), s2(id), s2(ix), ratio(sum(id, ix), nl),
               s2(m), mr, ping
      }
    }
    print ""
    print "## Memory"
    print ""
    print "netloom keeps no process per host: a host is only a network namespace; what " \
          "keeps running is one supervisor process per lab. *deploy peak RSS* is the deploy " \
          "command'\''s maximum resident set (GNU time `%M`, transient); *supervisor PSS* is " \
          "the lab'\''s supervisor after deploy (/proc/PID/smaps_rollup, persistent); " \
          "*netloom per node* is their sum divided by N (fixed costs included, so it falls as " \
          "N grows). *kernel per node* " \
          "is the growth of Slab + Percpu (/proc/meminfo) across the deploy divided by N: " \
          "the namespaces, devices, addresses and routes themselves. It is the same for " \
          "netloom and the ip loop (they build the same kernel objects); a difference of a " \
          "few kB is noise from the rest of the machine. Mininet keeps one bash per host: its per-host " \
          "cost is that shell'\''s PSS, on top of the same kernel objects."
    print ""
    print "| lab | netloom deploy peak RSS (MB) | netloom supervisor PSS (MB) | netloom per node (kB) | kernel per node, netloom (kB) | kernel per node, ip loop (kB) | Mininet peak RSS of mn (MB) |"
    print "|---|--:|--:|--:|--:|--:|--:|"
    for (t = 1; t <= 2; t++) {
      kind = t == 1 ? "star" : "chain"
      for (i = 1; i <= ns; i++) {
        n = N[i]
        printf "| %s %d | %s | %s | %s | %s | %s | %s |\n", kind, n,
               mb(g("nl." kind "." n ".rss")), mb(g("nl." kind "." n ".super")),
               per(sum(g("nl." kind "." n ".rss"), g("nl." kind "." n ".super")), n),
               per(g("nl." kind "." n ".memkernel"), n), per(g("ip." kind "." n ".memkernel"), n),
               mb(g("mn." kind "." n ".rss"))
      }
    }
    print ""
    hp = g("mn.hostpss")
    if (num(hp))
      print "Mininet, measured in this run (`Mininet(SingleSwitchTopo(100), switch=LinuxBridge)`): " \
            "**" hp " kB PSS per host shell**; the Mininet Python process itself " \
            sprintf("%.1f", g("mn.procpss") / 1024) " MB PSS."
    else
      print "Mininet per-host PSS was not measured in this run."
    print ""
    print "## Targets"
    print ""
    print "| target | measured | |"
    print "|---|--:|:-:|"
    d = g("nl.star." big ".deploy"); x = g("nl.star." big ".destroy")
    if (big == 1000) {
      printf "| star 1000: deploy ≤ 3 s (runs: %s) | %s s | %s |\n", lst(g("nl.star.1000.deploys")),
             s2(d), num(d) ? verdict(d <= 3) : "-"
      printf "| star 1000: destroy ≤ 1.5 s (runs: %s) | %s s | %s |\n", lst(g("nl.star.1000.destroys")),
             s2(x), num(x) ? verdict(x <= 1.5) : "-"
    }
    for (t = 1; t <= 2; t++) {
      kind = t == 1 ? "star" : "chain"
      nl = sum(g("nl." kind ".100.deploy"), g("nl." kind ".100.destroy"))
      m = g("mn." kind ".100")
      if (num(nl) && num(m))
        printf "| %s 100: ≥ 20× faster than Mininet end to end | %.1f× | %s |\n", kind,
               m / nl, verdict(m / nl >= 20)
    }
    rss = sum(g("nl.star." big ".rss"), g("nl.star." big ".super")); lim = num(hp) ? hp : 330
    if (num(rss))
      printf "| memory per host ((deploy peak RSS + supervisor PSS) / N, star %d) < Mininet'\''s %s kB PSS | %.1f kB | %s |\n",
             big, lim, rss / big, verdict(rss / big < lim)
  }' "$RES"
}

mkdir -p "$(dirname "$OUT")"
report >"$OUT"
cat "$OUT"
log "wrote $OUT"
if grep -q FAIL "$RES"; then
  log "some runs failed:"; grep FAIL "$RES" >&2
  echo "--- log (last 40 lines) ---" >&2
  tail -40 "$LOG" >&2
  exit 1
fi
exit 0
