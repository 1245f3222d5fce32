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
#   BENCH_SIZES="10 100 1000"  the N values ("": none, e.g. to run only the capture cost:
#                              BENCH_SIZES= BENCH_MN_MAX=0 BENCH_CAP_DEPLOY_N=0
#                              BENCH_CAP_MEM_SIZES= BENCH_IMPAIR=0 BENCH_VM=0 BENCH_PORTS=0
#                              BENCH_CONTAINERS=0 BENCH_OUT=/tmp/x.md)
#   BENCH_MN_MAX=1000          largest N for which Mininet runs (0: no Mininet)
#   BENCH_MN_TIMEOUT=300       seconds cap for one Mininet run (linear,1000 does not
#                              finish in 600 s here; the cap keeps the bench ~10 min)
#   BENCH_REPS=3               netloom deploy/destroy repetitions (the median is reported;
#                              the baselines, which take minutes, run once)
#   BENCH_OUT=docs/benchmarks.md
#   BENCH_NET=1                0: skip the iperf3 runs (capture cost and impairment)
#   BENCH_IPERF_TIME=5         seconds of each iperf3 run
#   BENCH_CAP_REPS=3           rounds of the capture cost runs (off / on / snaplen 256)
#   BENCH_IMPAIR=1             0: skip the impairment runs
#   BENCH_CAP_DEPLOY_N=1000    star size for deploy with capture on vs off (0: skip)
#   BENCH_CAP_MEM_SIZES="100 1000"  captured links for the supervisor memory ("": skip)
#   BENCH_VM=1                 0: skip the VM benchmark (tests/bench/vm.sh; its own knobs)
#   BENCH_PORTS=1              0: skip the published-port and nat-node benchmark
#                              (tests/bench/ports.sh)
#   BENCH_CONTAINERS=1         0: skip the container benchmark (tests/bench/containers.sh)
set -u

NL=${1:-build/netloom}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
SIZES=${BENCH_SIZES-10 100 1000}
MN_MAX=${BENCH_MN_MAX:-1000}
MN_TIMEOUT=${BENCH_MN_TIMEOUT:-300}
REPS=${BENCH_REPS:-3}
OUT=${BENCH_OUT:-$top/docs/benchmarks.md}
NET=${BENCH_NET:-1}
IPERF_TIME=${BENCH_IPERF_TIME:-5}
CAP_DEPLOY_N=${BENCH_CAP_DEPLOY_N:-1000}
CAP_MEM_SIZES=${BENCH_CAP_MEM_SIZES-100 1000}
CAP_REPS=${BENCH_CAP_REPS:-3}
IMPAIR=${BENCH_IMPAIR:-1}
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

# --------------------------------------------------------------------------- capture, impairment

HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)
HAVE_IPERF=0
command -v iperf3 >/dev/null 2>&1 && command -v jq >/dev/null 2>&1 && HAVE_IPERF=1

# pid of the supervisor of our lab LAB
sup_pid() {
  ps -eo pid=,args= | awk -v d="supervise --run-dir $NETLOOM_RUN_DIR " -v lab="$1" \
    'index($0, d) && $NF == lab { print $1; exit }'
}
pss_of() { awk '$1 == "Pss:" { print $2 }' "/proc/$1/smaps_rollup" 2>/dev/null; }
# utime + stime of PID (all its threads), in clock ticks
cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null; }
# true while PID exists and is not a zombie
running() { awk '{ sub(/.*\) /, ""); exit ($1 == "Z") }' "/proc/$1/stat" 2>/dev/null; }
# "PACKETS BYTES DROPS" LAB's supervisor counted since it started (`netloom supervisor LAB`:
# "... 406248 packets (13050769602 bytes), 0 dropped")
sup_counts() {
  "$NL" supervisor "$1" 2>>"$LOG" | awk '{
    for (i = 2; i <= NF; i++) {
      if ($i == "packets") p = $(i - 1)
      if ($i ~ /^bytes\)/) { b = $(i - 1); sub(/^\(/, "", b) }
      if ($i ~ /^dropped/) d = $(i - 1)
    } } END { print p + 0, b + 0, d + 0 }'
}
# "LINKS LINKS_WITH_FILES PACKETS DROPS" from `netloom capture LAB --list` (which also makes
# the supervisor write out what it holds); its columns: LINK PEER FILES SIZE UNIT PACKETS DROPS DIR
cap_list() {
  "$NL" capture "$1" --list >"$TMP/list" 2>>"$LOG" || { log "capture $1 --list failed"; return 1; }
  awk 'NR > 1 && $1 != "total" { n++; if ($3 > 0) f++; p += $6; d += $7 }
       END { print n + 0, f + 0, p + 0, d + 0 }' "$TMP/list"
}

# lab_up FILE LAB: untimed deploy; lab_down LAB: destroy (capture files too) and settle
lab_up() {
  if ! "$NL" -q deploy "$1" >>"$LOG" 2>&1; then
    log "netloom deploy $2 failed:"
    tail -5 "$LOG" >&3
    lab_down "$2"
    return 1
  fi
}
lab_down() {
  "$NL" -q destroy --cleanup "$1" >>"$LOG" 2>&1 || log "netloom destroy $1 failed"
  settle
}

# iperf_server LAB NODE ADDR: a one-off iperf3 server in NODE, bound to ADDR. Returns once
# it listens: its "Server listening" line, read from a fifo (an event, not a sleep).
iperf_server() {
  local fifo="$TMP/iperf.fifo"
  rm -f "$fifo"
  mkfifo "$fifo" || return 1
  "$NL" exec "$1" "$2" -- iperf3 -s -1 -B "$3" --forceflush >"$fifo" 2>&1 &
  SRV_PID=$!
  exec 4<"$fifo"
  if timeout 20 grep -q -m1 'listening' <&4; then
    cat <&4 >>"$LOG" &   # the rest of its output, until it exits
    exec 4<&-
    return 0
  fi
  exec 4<&-
  log "iperf3 server in $1 $2 did not start"
  kill_tree "$SRV_PID"
  SRV_PID=""
  return 1
}
# iperf_done: the one-off server exits after its test; kill it if the test never came
iperf_done() {
  local i=0
  [ -n "$SRV_PID" ] || return 0
  while running "$SRV_PID" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
  if running "$SRV_PID"; then kill_tree "$SRV_PID"; else wait "$SRV_PID" 2>/dev/null; fi
  SRV_PID=""
}
# iperf_client LAB NODE OUT IPERF3-ARGS...: iperf3 -J in NODE, its JSON in OUT
iperf_client() {
  local lab=$1 node=$2 out=$3
  shift 3
  timeout $((IPERF_TIME + 60)) "$NL" exec "$lab" "$node" -- iperf3 -J "$@" >"$out" 2>>"$LOG"
}
# iperf_tcp LAB CLIENT SERVER ADDR KEY: one TCP stream CLIENT -> SERVER (ADDR) for
# IPERF_TIME s; KEY = the receiver's Gbit/s
iperf_tcp() {
  local out="$TMP/$5.json" bps
  iperf_server "$1" "$3" "$4" || { put "$5" FAIL; return 1; }
  iperf_client "$1" "$2" "$out" -c "$4" -t "$IPERF_TIME"
  iperf_done
  bps=$(jq -r '.end.sum_received.bits_per_second // empty' "$out" 2>/dev/null)
  if [ -z "$bps" ]; then
    log "iperf3 $1 $2 -> $3 failed: $(jq -r '.error // empty' "$out" 2>/dev/null)"
    put "$5" FAIL
    return 1
  fi
  put "$5" "$(awk -v b="$bps" 'BEGIN { printf "%.2f", b / 1e9 }')"
}

# cap_cost MODE CAPTURE REP: iperf3 TCP h1 -> h2 across sw1 (star 2: both links captured)
# with `capture: CAPTURE` ("": the default); results under cap.MODE.*.rREP
cap_cost() {
  local mode=$1 r=$3 lab=cap$1 file pid c0 c1 a b l
  file="$TMP/$lab.yaml"
  sh "$here/gen-lab.sh" star 2 "$lab" "$PFX" "$2" >"$file" || return 1
  lab_up "$file" "$lab" || { put "cap.$mode.gbps.r$r" FAIL; return 1; }
  pid=$(sup_pid "$lab")
  if [ -z "$pid" ]; then
    log "no supervisor for lab $lab"
    put "cap.$mode.gbps.r$r" FAIL
    lab_down "$lab"
    return 1
  fi
  c0=$(cpu_ticks "$pid")
  a=$(sup_counts "$lab")
  if iperf_tcp "$lab" h1 h2 10.0.0.3 "cap.$mode.gbps.r$r"; then
    l=$(cap_list "$lab") || l="- - - -"
    c1=$(cpu_ticks "$pid")
    b=$(sup_counts "$lab")
    put "cap.$mode.cpu.r$r" "$(awk -v a="$c0" -v b="$c1" -v hz="$HZ" 'BEGIN { printf "%.2f", (b - a) / hz }')"
    put "cap.$mode.gbit.r$r" "$(echo "$a $b" | awk '{ printf "%.2f", ($5 - $2) * 8 / 1e9 }')"
    put "cap.$mode.packets.r$r" "$(echo "$a $b" | awk '{ print $4 - $1 }')"
    put "cap.$mode.drops.r$r" "$(echo "$l" | awk '{ print $4 }')"
    put "cap.$mode.dpct.r$r" "$(echo "$a $b $l" | awk '{ p = $4 - $1; d = $10; if (p + d > 0) printf "%.1f", d * 100 / (p + d) }')"
    put "cap.$mode.links.r$r" "$(echo "$l" | awk '{ print $1 }')"
  fi
  lab_down "$lab"
}

# cap_runs: CAP_REPS rounds of capture off / on / snaplen 256 (alternating, so that the
# machine's load hits all three alike); per mode the median of each measure, every run's
# throughput and drop share, and each run's throughput over its round's capture-off one.
cap_runs() {
  local r=1 m k
  while [ $r -le "$CAP_REPS" ]; do
    cap_cost off false $r
    cap_cost on "" $r
    cap_cost s256 "{snaplen: 256}" $r
    for m in on s256; do
      put "cap.$m.vs.r$r" "$(awk -v a="$(get "cap.$m.gbps.r$r")" -v b="$(get "cap.off.gbps.r$r")" \
        'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.0f", a * 100 / b; else print "-" }')"
    done
    r=$((r + 1))
  done
  for m in off on s256; do
    for k in gbps cpu gbit packets drops dpct vs; do
      put "cap.$m.$k" "$(median "cap.$m.$k")"
    done
    put "cap.$m.gbpss" "$(values "cap.$m.gbps" | tr -d ' ')"
    put "cap.$m.dpcts" "$(values "cap.$m.dpct" | tr -d ' ')"
    put "cap.$m.vss" "$(values "cap.$m.vs" | tr -d ' ')"
  done
}

mac_of() {  # mac_of NS: eth1's MAC address in NS
  ip -n "$1" -o link show eth1 2>/dev/null \
    | awk '{ for (i = 1; i < NF; i++) if ($i == "link/ether") print $(i + 1) }'
}
star_addr() { echo "10.0.$(($1 / 250)).$(($1 % 250 + 1))"; }   # h_i's address

# cap_mem N: the supervisor's PSS in a star N lab (N captured links) right after deploy,
# and after one ping from every 10th host to h1 and a `capture --list`. Static ARP entries
# (both ways) and a static FDB entry for h1 on sw1 keep each ping on its two links: no
# ARP broadcast nor unknown unicast is flooded to the others.
cap_mem() {
  local n=$1 lab=capmem$1 file pid ns m1 mi i ok=0 tries=0 again=0 l
  file="$TMP/$lab.yaml"
  ns="$PFX-$lab"
  sh "$here/gen-lab.sh" star "$n" "$lab" "$PFX" >"$file" || return 1
  lab_up "$file" "$lab" || { put "capmem.$n.pss0" FAIL; return 1; }
  pid=$(sup_pid "$lab")
  put "capmem.$n.pss0" "$(pss_of "$pid")"
  m1=$(mac_of "$ns-h1")
  bridge -n "$ns-sw1" fdb replace "$m1" dev p1 master static >>"$LOG" 2>&1
  i=10
  while [ $i -le "$n" ]; do
    mi=$(mac_of "$ns-h$i")
    ip -n "$ns-h$i" neigh replace 10.0.0.2 lladdr "$m1" dev eth1 nud permanent >>"$LOG" 2>&1
    ip -n "$ns-h1" neigh replace "$(star_addr $i)" lladdr "$mi" dev eth1 nud permanent >>"$LOG" 2>&1
    # one ping; if it gets no answer in 2 s, one more (counted apart)
    if ip netns exec "$ns-h$i" ping -c1 -W2 -q 10.0.0.2 >>"$LOG" 2>&1; then
      ok=$((ok + 1))
    elif ip netns exec "$ns-h$i" ping -c1 -W2 -q 10.0.0.2 >>"$LOG" 2>&1; then
      ok=$((ok + 1)) again=$((again + 1))
      log "capture memory star $n: h$i answered only the second ping"
    fi
    tries=$((tries + 1))
    i=$((i + 10))
  done
  put "capmem.$n.pings" "$ok/$tries"
  put "capmem.$n.again" "$again"
  if l=$(cap_list "$lab"); then
    put "capmem.$n.links" "$(echo "$l" | awk '{ print $1 }')"
    put "capmem.$n.files" "$(echo "$l" | awk '{ print $2 }')"
    put "capmem.$n.packets" "$(echo "$l" | awk '{ print $3 }')"
  fi
  put "capmem.$n.pss1" "$(pss_of "$pid")"
  [ "$ok" = "$tries" ] || { log "capture memory star $n: only $ok of $tries pings answered"; put "capmem.$n.ping" FAIL; }
  lab_down "$lab"
}

# capdep_once MODE R: timed deploy and destroy of star CAP_DEPLOY_N with capture on (the
# default) or off; the lab directory is removed after each run, so that every deploy
# starts without a previous run's capture files.
capdep_once() {
  local mode=$1 r=$2 n=$CAP_DEPLOY_N lab=capdep file t0 t1 rc k="capdep.$1"
  file="$TMP/capdep-$mode.yaml"
  [ -s "$file" ] || sh "$here/gen-lab.sh" star "$n" "$lab" "$PFX" \
    "$([ "$mode" = off ] && echo false)" >"$file" || return 1
  t0=$(now)
  "$NL" -q deploy "$file" >>"$LOG" 2>&1
  rc=$?
  t1=$(now)
  if [ $rc != 0 ]; then
    log "netloom deploy star $n (capture $mode) failed (exit $rc)"
    tail -5 "$LOG" >&3
    put "$k.deploy.r$r" FAIL
    lab_down "$lab"
    return 1
  fi
  put "$k.deploy.r$r" "$(sub "$t1" "$t0")"
  [ "$r" = 1 ] && put "$k.pss" "$(pss_of "$(sup_pid "$lab")")"
  t0=$(now)
  "$NL" -q destroy "$lab" >>"$LOG" 2>&1 || log "netloom destroy star $n (capture $mode) failed"
  t1=$(now)
  put "$k.destroy.r$r" "$(sub "$t1" "$t0")"
  rm -rf "$TMP/netloom-$lab"
  settle
}

# ping_stats LAB NODE ADDR: "MEAN STDEV LOST%" of 50 pings 0.02 s apart (RTT in ms)
ping_stats() {
  "$NL" exec "$1" "$2" -- ping -c 50 -i 0.02 -W 2 "$3" 2>>"$LOG" | tee -a "$LOG" | awk '
    { for (i = 1; i <= NF; i++) if ($i ~ /^time=/) { v = substr($i, 6); s += v; q += v * v; n++ } }
    END {
      if (n == 0) { print "- - 100"; exit }
      m = s / n; d = n > 1 ? (q - n * m * m) / (n - 1) : 0; if (d < 0) d = 0
      printf "%.3f %.3f %.0f\n", m, sqrt(d), (50 - n) * 2
    }'
}
# imp_put KEY "MEAN STDEV LOST": KEY.mean, KEY.sd, KEY.lost
imp_put() { put "$1.mean" "${2%% *}"; put "$1.lost" "${2##* }"; put "$1.sd" "$(echo "$2" | awk '{ print $2 }')"; }

# imp_run: a:eth1 -- b:eth1 (capture off); plain TCP, then delay=50ms on a:eth1 (ping,
# UDP at 200 Mbit/s), then reset and TCP again. Results under imp.*
imp_run() {
  local lab=imp file out="$TMP/imp-udp.json" v
  file="$TMP/$lab.yaml"
  sh "$here/gen-lab.sh" pair - "$lab" "$PFX" false >"$file" || return 1
  lab_up "$file" "$lab" || { put imp.plain FAIL; return 1; }
  imp_put imp.base "$(ping_stats "$lab" a 10.9.0.2)"
  iperf_tcp "$lab" a b 10.9.0.2 imp.plain
  if ! "$NL" link "$lab" a:eth1 set delay=50ms >>"$LOG" 2>&1; then
    log "netloom link $lab a:eth1 set delay=50ms failed"
    put imp.set FAIL
    lab_down "$lab"
    return 1
  fi
  imp_put imp.delay "$(ping_stats "$lab" a 10.9.0.2)"
  if iperf_server "$lab" b 10.9.0.2; then
    iperf_client "$lab" a "$out" -c 10.9.0.2 -u -b 200M -t "$IPERF_TIME"
    iperf_done
    v=$(jq -r '(.end.sum_received // .end.sum) as $r
               | "\(.end.sum_sent.bits_per_second) \($r.bits_per_second) \($r.lost_percent) \($r.lost_packets) \($r.packets) \($r.jitter_ms)"' \
          "$out" 2>/dev/null)
    case "$v" in
      [0-9]*)
        set -- $v
        put imp.udp.sent "$(awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }')"
        put imp.udp.recv "$(awk -v b="$2" 'BEGIN { printf "%.1f", b / 1e6 }')"
        put imp.udp.loss "$(awk -v b="$3" 'BEGIN { printf "%.3f", b }')"
        put imp.udp.lost "$4"
        put imp.udp.packets "$5"
        put imp.udp.jitter "$(awk -v b="$6" 'BEGIN { printf "%.3f", b }')"
        ;;
      *)
        log "UDP iperf3 through the impairment failed: $(jq -r '.error // empty' "$out" 2>/dev/null)"
        put imp.udp FAIL
        ;;
    esac
  else
    put imp.udp FAIL
  fi
  # a:eth1: delay=50ms / path: userspace (...) / frames N, sent N, lost N, ..., dropped (queue full) N
  "$NL" link "$lab" a:eth1 show >"$TMP/show" 2>>"$LOG"
  cat "$TMP/show" >>"$LOG"
  put imp.path.set "$(awk '$1 == "path:" { print $2 }' "$TMP/show")"
  put imp.frames "$(awk '$1 == "frames" { sub(/,/, "", $2); print $2 }' "$TMP/show")"
  put imp.qdrop "$(awk '/queue full/ { print $NF }' "$TMP/show")"
  if "$NL" link "$lab" a:eth1 reset >>"$LOG" 2>&1; then
    "$NL" link "$lab" a:eth1 show >"$TMP/show" 2>>"$LOG"
    if grep -q 'path:' "$TMP/show"; then
      put imp.path.reset "$(awk '$1 == "path:" { print $2 }' "$TMP/show")"
    else
      put imp.path.reset plain
    fi
    iperf_tcp "$lab" a b 10.9.0.2 imp.reset
  else
    log "netloom link $lab a:eth1 reset failed"
    put imp.reset FAIL
  fi
  lab_down "$lab"
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

LOADNET="-"
if [ "$CAP_DEPLOY_N" -gt 0 ] 2>/dev/null; then
  log "netloom star $CAP_DEPLOY_N, capture on vs off ($REPS runs each, alternating)"
  r=1
  while [ $r -le "$REPS" ]; do
    capdep_once on $r
    capdep_once off $r
    r=$((r + 1))
  done
  for mode in on off; do
    put "capdep.$mode.deploy" "$(median "capdep.$mode.deploy")"
    put "capdep.$mode.destroy" "$(median "capdep.$mode.destroy")"
    put "capdep.$mode.deploys" "$(values "capdep.$mode.deploy" | tr -d ' ')"
  done
fi
for n in $CAP_MEM_SIZES; do
  log "supervisor memory, star $n (captured links)"
  cap_mem "$n"
done
if [ "$NET" = 1 ]; then
  if [ $HAVE_IPERF = 0 ]; then
    log "iperf3 or jq missing: no capture cost and no impairment measurements"
  else
    LOADNET=$(cut -d' ' -f1-3 /proc/loadavg)
    log "capture cost: iperf3 TCP with capture off / on / snaplen 256, $CAP_REPS rounds (load $LOADNET)"
    cap_runs
    if [ "$IMPAIR" = 1 ]; then
      log "impairment: delay=50ms, UDP 200 Mbit/s, plain vs reset"
      imp_run
    fi
  fi
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
      -v gnutime="$GNUTIME" -v mnmax="$MN_MAX" -v load0="$LOAD0" -v load1="$LOAD1" -v reps="$REPS" \
      -v capn="$CAP_DEPLOY_N" -v capreps="$CAP_REPS" -v memsizes="$CAP_MEM_SIZES" -v itime="$IPERF_TIME" -v loadnet="$LOADNET" '
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
          "(netloom / ip loop), checked for N ≤ 100 (1000 routers exceed the IP TTL). The " \
          "sections after *Memory* measure what capture and impairments cost; each starts " \
          "with how to read it."
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
    print "## Deploy with capture on and off"
    print ""
    if (num(g("capdep.on.deploy")) && num(g("capdep.off.deploy"))) {
      print "How to read: the same star " capn " lab (" capn " links) deployed with the default " \
            "capture (every link captured) and with `capture: false`, " reps " runs of each, " \
            "alternating on / off so that the load of the machine hits both alike; each cell is " \
            "the median, with every run in brackets. The lab directory is removed after each " \
            "run, so no deploy has a previous run'\''s capture files to replace. *on / off* " \
            "above 1 is what turning capture on adds to deploy (target: at most 1.20, i.e. " \
            "within 20 %). *supervisor PSS* is the lab'\''s supervisor right after the first deploy."
      print ""
      print "| lab | capture on: deploy (s) | capture off: deploy (s) | on / off | capture on: destroy (s) | capture off: destroy (s) | supervisor PSS on / off (MB) |"
      print "|---|--:|--:|--:|--:|--:|--:|"
      on = g("capdep.on.deploy"); off = g("capdep.off.deploy")
      printf "| star %d | %s (%s) | %s (%s) | %.2f | %s | %s | %s / %s |\n", capn,
             s2(on), lst(g("capdep.on.deploys")), s2(off), lst(g("capdep.off.deploys")), on / off,
             s2(g("capdep.on.destroy")), s2(g("capdep.off.destroy")),
             mb(g("capdep.on.pss")), mb(g("capdep.off.pss"))
    } else
      print "Not measured in this run."
    print ""
    print "## Supervisor memory with captured links"
    print ""
    nm = split(memsizes, M, " ")
    if (nm > 0 && num(g("capmem." M[1] ".pss0"))) {
      print "How to read: star N has N captured links, all on one supervisor. *after deploy* is " \
            "the supervisor'\''s PSS (/proc/PID/smaps_rollup) as soon as `netloom deploy` returns; " \
            "*after pings* is its PSS after one ping from every 10th host (h10, h20, ...) to h1 " \
            "(static ARP and FDB entries keep each ping on its two links) and a " \
            "`netloom capture LAB --list`, which makes the supervisor write out what it holds, " \
            "so by then the links have open rings and files. *links with files* counts the " \
            "links that have at least one capture file at that point: the pinged tenth and " \
            "h1'\''s, or every link if the switch has flooded a frame to all its ports by then " \
            "(a Linux bridge sends an IGMPv3 report for 224.0.0.106 shortly after it comes " \
            "up). *per link* is " \
            "the PSS after the pings divided by N (fixed costs included). *pings answered*: a " \
            "ping without an answer within 2 s is sent once more, and counted in brackets."
      print ""
      print "| lab (N captured links) | PSS after deploy (MB) | PSS after pings (MB) | growth (MB) | per link (kB) | links with files | frames captured | pings answered |"
      print "|---|--:|--:|--:|--:|--:|--:|--:|"
      for (i = 1; i <= nm; i++) {
        n = M[i]; p0 = g("capmem." n ".pss0"); p1 = g("capmem." n ".pss1")
        printf "| star %d | %s | %s | %s | %s | %s | %s | %s |\n", n, mb(p0), mb(p1),
               (num(p0) && num(p1)) ? sprintf("%+.1f", (p1 - p0) / 1024) : "-", per(p1, n),
               g("capmem." n ".files"), g("capmem." n ".packets"),
               g("capmem." n ".pings") (g("capmem." n ".again") > 0 ? " (" g("capmem." n ".again") " on the 2nd try)" : "")
      }
    } else
      print "Not measured in this run."
    print ""
    print "## Capture cost"
    print ""
    if (num(g("cap.off.gbps"))) {
      print "How to read: two hosts on a switch (h1 and h2 on sw1, two links), one iperf3 TCP " \
            "stream h1 → h2 for " itime " s, in three labs that differ only in `capture`: " \
            "`false`, the default (every link, snaplen 65535) and `{snaplen: 256}`, run " \
            capreps " rounds in turn (off, default, 256; so the load of the machine hits all " \
            "three alike); each cell is the median of the rounds, with every round in brackets " \
            "where it says how much the runs spread. *throughput* is iperf3'\''s receiver rate; " \
            "*vs off* is each round'\''s rate over that round'\''s capture-off rate " \
            "(target ≥ 90 %). *supervisor CPU* is the supervisor'\''s utime + stime " \
            "(/proc/PID/stat) from just before the test to after the `capture --list` that " \
            "follows it; *captured* is the wire length of the frames it captured meanwhile, " \
            "from its own byte counter, both links together (each frame crosses two captured " \
            "links, so without drops it is twice iperf3'\''s traffic; TCP segmentation offload " \
            "makes most frames up to 64 kB). *CPU s per captured Gbit* is the first over the " \
            "second. *dropped* is the sum of the DROPS column of `netloom capture LAB --list`: " \
            "frames the links carried that the capture lost, in % of all it saw. The load " \
            "average when these runs started was " loadnet " (2 CPUs: iperf3'\''s client, " \
            "server and the supervisor share them)."
      print ""
      print "| capture | throughput (Gbit/s) | vs capture off | supervisor CPU (s) | captured (Gbit) | supervisor CPU s per captured Gbit | frames captured | frames dropped | dropped |"
      print "|---|--:|--:|--:|--:|--:|--:|--:|--:|"
      for (t = 1; t <= 3; t++) {
        m = t == 1 ? "off" : t == 2 ? "on" : "s256"
        lbl = t == 1 ? "`capture: false`" : t == 2 ? "default (snaplen 65535)" : "`capture: {snaplen: 256}`"
        v = g("cap." m ".gbps"); c = g("cap." m ".cpu"); gb = g("cap." m ".gbit")
        pk = g("cap." m ".packets"); dr = g("cap." m ".drops"); vs = g("cap." m ".vs")
        dp = g("cap." m ".dpct")
        printf "| %s | %s (%s) | %s | %s | %s | %s | %s | %s | %s |\n", lbl, v, lst(g("cap." m ".gbpss")),
               t == 1 ? "100 %" : num(vs) ? sprintf("%s %% (%s)", vs, lst(g("cap." m ".vss"))) : "-",
               c, gb, (num(c) && num(gb) && gb > 0) ? sprintf("%.4f", c / gb) : "-",
               t == 1 ? "-" : pk, t == 1 ? "-" : dr,
               (t > 1 && num(dp)) ? sprintf("%s %% (%s)", dp, lst(g("cap." m ".dpcts"))) : "-"
      }
    } else
      print "Not measured in this run (iperf3 and jq are needed; BENCH_NET=1)."
    print ""
    print "## Impairment"
    print ""
    if (num(g("imp.base.mean")) || num(g("imp.plain"))) {
      print "How to read: hosts a and b on one direct link (a:eth1 10.9.0.1 -- b:eth1 " \
            "10.9.0.2, `capture: false` so that only the impairment path is measured). " \
            "`netloom link LAB a:eth1 set delay=50ms` delays what a sends; b'\''s replies go " \
            "back undelayed, so a ping'\''s RTT is the base RTT + the one-way delay a → b. " \
            "Each ping row is 50 pings 0.02 s apart (`ping -c 50 -i 0.02`), mean and sample " \
            "standard deviation of their RTTs; *one-way delay* is the difference of the two " \
            "means (target 50 ± 2 ms)."
      print ""
      print "| a → b ping (50 × 0.02 s) | mean RTT (ms) | stdev (ms) | lost |"
      print "|---|--:|--:|--:|"
      printf "| plain link | %s | %s | %s %% |\n", g("imp.base.mean"), g("imp.base.sd"), g("imp.base.lost")
      printf "| a:eth1 delay=50ms | %s | %s | %s %% |\n", g("imp.delay.mean"), g("imp.delay.sd"), g("imp.delay.lost")
      owd = (num(g("imp.delay.mean")) && num(g("imp.base.mean"))) ? g("imp.delay.mean") - g("imp.base.mean") : "-"
      printf "| **one-way delay a → b** | **%s** | | |\n", num(owd) ? sprintf("%.2f", owd) : "-"
      print ""
      print "With the delay still set, UDP from a to b: `iperf3 -u -b 200M -t " itime "`. " \
            "*sent* is the client'\''s rate, *received*, *lost* and *jitter* are from the " \
            "receiver'\''s report (iperf3'\''s jitter: the smoothed variation of the datagrams'\''" \
            " transit time, RFC 1889). *impairer frames* is what the supervisor took from " \
            "a:eth1 and *queue-full drops* what it had to drop because its delay queue was " \
            "full (`netloom link LAB a:eth1 show`; it counts the ping and iperf3'\''s control " \
            "connection too). Target: loss < 1 %."
      print ""
      print "| a → b UDP, delay=50ms | sent (Mbit/s) | received (Mbit/s) | lost | lost / datagrams | jitter (ms) | impairer frames | queue-full drops |"
      print "|---|--:|--:|--:|--:|--:|--:|--:|"
      printf "| iperf3 -u -b 200M | %s | %s | %s %% | %s / %s | %s | %s | %s |\n", g("imp.udp.sent"),
             g("imp.udp.recv"), g("imp.udp.loss"), g("imp.udp.lost"), g("imp.udp.packets"),
             g("imp.udp.jitter"), g("imp.frames"), g("imp.qdrop")
      print ""
      print "Then TCP throughput (one iperf3 stream a → b, " itime " s) of the same link before " \
            "any impairment and after `netloom link LAB a:eth1 reset`: an end without " \
            "impairments must not go through the supervisor, so after the reset the link is " \
            "a plain veth again and its throughput returns to the plain value (target: ≥ 90 % " \
            "of it, one run each on a shared machine). *path* is what `link show` says: " \
            "`userspace` while impaired, *plain* when it reports no impairment."
      print ""
      print "| a → b TCP | throughput (Gbit/s) | vs plain | path |"
      print "|---|--:|--:|:-:|"
      pl = g("imp.plain"); rs = g("imp.reset")
      printf "| plain veth, before any impairment | %s | 100 %% | plain |\n", pl
      printf "| after `set delay=50ms` and `reset` | %s | %s | %s (while set: %s) |\n", rs,
             (num(pl) && num(rs) && pl > 0) ? sprintf("%.0f %%", rs * 100 / pl) : "-",
             g("imp.path.reset"), g("imp.path.set")
    } else
      print "Not measured in this run (iperf3 and jq are needed; BENCH_NET=1)."
    print ""
    print "## Targets"
    print ""
    print "How to read: each target against the numbers above, *met* or *missed* as measured " \
          "in this one run on a shared machine (see the load average at the top); the runs " \
          "behind a median are in brackets where there are several."
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
    base = g("cap.off.gbps")
    for (t = 2; t <= 3; t++) {
      m = t == 2 ? "on" : "s256"
      v = g("cap." m ".gbps"); vs = g("cap." m ".vs")
      if (num(base) && num(v) && num(vs))
        printf "| iperf3 TCP with %s ≥ 90 %% of `capture: false` (medians %s of %s Gbit/s; rounds: %s %%) | %s %% | %s |\n",
               t == 2 ? "capture on (snaplen 65535)" : "`capture: {snaplen: 256}`", v, base,
               lst(g("cap." m ".vss")), vs, verdict(vs >= 90)
    }
    on = g("capdep.on.deploy"); off = g("capdep.off.deploy")
    if (num(on) && num(off) && off > 0)
      printf "| star %d deploy with capture on within 20 %% of capture off (%s s vs %s s) | %+.0f %% | %s |\n",
             capn, s2(on), s2(off), (on / off - 1) * 100, verdict(on <= 1.2 * off)
    v = g("imp.udp.loss")
    if (num(v))
      printf "| UDP at 200 Mbit/s through delay=50ms: loss < 1 %% | %s %% | %s |\n", v, verdict(v < 1)
    if (num(g("imp.delay.mean")) && num(g("imp.base.mean"))) {
      owd = g("imp.delay.mean") - g("imp.base.mean")
      printf "| one-way delay with delay=50ms: 50 ± 2 ms (RTT stdev %s ms) | %.2f ms | %s |\n",
             g("imp.delay.sd"), owd, verdict(owd >= 48 && owd <= 52)
    }
    pl = g("imp.plain"); rs = g("imp.reset")
    if (num(pl) && num(rs) && pl > 0)
      printf "| TCP after `link ... reset` back to the plain link'\''s (≥ 90 %% of %s Gbit/s) | %.0f %% | %s |\n",
             pl, rs * 100 / pl, verdict(rs >= 0.9 * pl)
  }' "$RES"
}

mkdir -p "$(dirname "$OUT")"
report >"$OUT"
# VMs: their own script adds their section (BENCH_VM=0 skips it).
if [ "${BENCH_VM:-1}" != 0 ]; then
  BENCH_OUT="$OUT" sh "$here/vm.sh" "$NL" >/dev/null || echo "FAIL vm bench" >>"$RES"
fi
# Published ports and the nat node: theirs too (BENCH_PORTS=0 skips it).
if [ "${BENCH_PORTS:-1}" != 0 ]; then
  BENCH_OUT="$OUT" BENCH_IPERF_TIME="$IPERF_TIME" sh "$here/ports.sh" "$NL" >/dev/null \
    || echo "FAIL ports bench" >>"$RES"
fi
# Containers: theirs too (BENCH_CONTAINERS=0 skips it).
if [ "${BENCH_CONTAINERS:-1}" != 0 ]; then
  BENCH_OUT="$OUT" BENCH_REPS="$REPS" sh "$here/containers.sh" "$NL" >/dev/null \
    || echo "FAIL containers bench" >>"$RES"
fi
cat "$OUT"
log "wrote $OUT"
if grep -q FAIL "$RES"; then
  log "some runs failed:"; grep FAIL "$RES" >&2
  echo "--- log (last 40 lines) ---" >&2
  tail -40 "$LOG" >&2
  exit 1
fi
exit 0
