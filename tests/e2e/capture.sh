#!/bin/sh
# Packet capture as a user meets it: every link of labs/quickstart.yaml lands in
# pcapng files that `netloom pcap` exports and tshark reads; `capture --list` counts
# them; `netloom capture` streams one interface live (pcapng to a file or a pipe, or
# one decoded line per packet, with a filter); the decoder names real ARP, ICMP, TCP,
# UDP, DNS, DHCP and ICMPv6 traffic made with busybox, bash and ping in a small lab;
# the supervisor comes back after kill -9 and goes on in a new ring file; destroy keeps
# the captures until --cleanup; and `capture: false` captures nothing.
. "$(dirname "$0")/lib.sh.inc"
e2e_init p

# wait_exit PID: waits (bounded: 10 s) until the background process PID has exited and
# returns its exit status; 255 when it is still running.
wait_exit () {
  _n=0
  while kill -0 "$1" 2>/dev/null && [ "$_n" -lt 200 ]; do
    sleep 0.05
    _n=$((_n + 1))
  done
  kill -0 "$1" 2>/dev/null && return 255
  wait "$1"
}

# live NAME LAB NODE:IF [OPTIONS...]: `netloom capture` in the background, stdout in
# $T/NAME.out, stderr in $T/NAME.err; returns once it says it is capturing ($LIVE: pid).
live () {
  _name=$1
  shift
  spawn_bg "$NETLOOM" capture "$@" >"$T/$_name.out" 2>"$T/$_name.err"
  LIVE=$BG
  wait_for_output "$T/$_name.err" '^capturing on ' "$LIVE"
  LIVE_UP=$?
}

# wait_listen LAB NODE t|u PORT: until a socket in NODE listens on TCP (t) or UDP (u)
# PORT (bounded: 10 s).
wait_listen () {
  _n=0
  while [ "$_n" -lt 200 ]; do
    [ -n "$("$NETLOOM" exec "$1" "$2" -- ss -Hln"$3" "sport = :$4" 2>/dev/null)" ] && return 0
    sleep 0.05
    _n=$((_n + 1))
  done
  return 1
}

# fields FILE FIELD FILTER: tshark's FIELD of each packet of FILE matching FILTER.
fields () {
  tshark -n -r "$1" -Y "$3" -T fields -e "$2" 2>/dev/null
}

# tshark prints this one line on stderr whenever it runs as root; anything else is not ok.
only_root_warning () { ! grep -v -e '^Running as user "root"' "$1"; }

# --- labs/quickstart.yaml: the always-on capture files ---------------------------------
Q=cq$$
lab_from_quickstart "$Q" "$T/$Q.yaml"
CAPS="$T/netloom-$Q/captures"
# ICMP between h1 and h2 (not h1 <-> h3, which r1 routes)
H1H2='icmp && ip.addr == 10.0.1.11 && ip.addr == 10.0.1.12'

run "$NETLOOM" -q deploy "$T/$Q.yaml"
assert "deploy labs/quickstart.yaml (as $Q)" rc_is 0
check "h1 pings h2 5 times (same switch)" \
  "$NETLOOM" exec "$Q" h1 -- ping -c 5 -i 0.2 -W 2 10.0.1.12
check "h2 pings h3 once (through r1, so r1:eth2 carries something)" \
  "$NETLOOM" exec "$Q" h2 -- ping -c 1 -W 2 10.0.2.13

run sh -c '"$0" pcap "$1" h1:eth1 | tshark -n -r - -Y "$2" -T fields -e icmp.type' \
  "$NETLOOM" "$Q" "$H1H2"
assert "pcap $Q h1:eth1 | tshark -r -: exactly 5 echo requests h1 <-> h2" \
  test "$(grep -c -x 8 "$OUT")" -eq 5
assert "pcap $Q h1:eth1 | tshark -r -: exactly 5 echo replies h1 <-> h2" \
  test "$(grep -c -x 0 "$OUT")" -eq 5

run "$NETLOOM" pcap "$Q" h1:eth1 -o "$T/h1.pcapng"
assert "pcap $Q h1:eth1 -o FILE exits 0" rc_is 0
assert "pcap says how many packets it wrote from which link" \
  err_has '^[0-9][0-9]* packets from 1 file of link h1:eth1$'
run tshark -n -r "$T/h1.pcapng"
assert "tshark reads the export; nothing on stderr but the root warning" \
  only_root_warning "$ERR"
assert "the export has h1's ARP request for 10.0.1.12" \
  test "$(fields "$T/h1.pcapng" arp.opcode 'arp.opcode == 1 && arp.dst.proto_ipv4 == 10.0.1.12' | wc -l)" -ge 1
run fields "$T/h1.pcapng" frame.interface_name ''
assert "every packet of the export is on interface h1:eth1" \
  test "$(sort -u "$OUT")" = "h1:eth1"
run capinfos -M "$T/h1.pcapng"
assert "capinfos names the interface h1:eth1" out_has '^ *Name = h1:eth1$'

run "$NETLOOM" pcap "$Q" r1:eth2 -o "$T/r1e2.pcapng"
assert "pcap $Q r1:eth2 -o FILE exits 0" rc_is 0
run tshark -n -r "$T/r1e2.pcapng"
assert "tshark reads r1:eth2's export; nothing on stderr but the root warning" \
  only_root_warning "$ERR"
assert "r1:eth2 carried h2's echo request to h3" \
  test "$(fields "$T/r1e2.pcapng" icmp.type 'icmp.type == 8 && ip.src == 10.0.1.12 && ip.dst == 10.0.2.13' | wc -l)" -eq 1
assert "r1:eth2 (not on the path) has none of the ICMP between h1 and h2" \
  test "$(fields "$T/r1e2.pcapng" icmp.type "$H1H2" | wc -l)" -eq 0
run "$NETLOOM" pcap "$Q" sw1:p1
assert "pcap names a link by its other end too (sw1:p1)" out_has 'h1:eth1'
run "$NETLOOM" pcap "$Q" h1:eth9
assert "pcap of a link the lab does not have exits 1 and says so" \
  eval 'rc_is 1 && err_has "has no link .h1:eth9."'

# --- capture --list ------------------------------------------------------------------
run "$NETLOOM" capture "$Q" --list
assert "capture --list exits 0" rc_is 0
assert "capture --list lists the 4 links, one a line" \
  test "$(grep -c -e '^h1:eth1 ' -e '^h2:eth1 ' -e '^r1:eth1 ' -e '^r1:eth2 ' "$OUT")" -eq 4
assert "capture --list: h1:eth1 -- sw1:p1 has at least 12 packets" \
  awk '$1 == "h1:eth1" && $2 == "sw1:p1" && $5 >= 12 { ok = 1 } END { exit !ok }' "$OUT"
assert "capture --list ends with the lab's total and the snaplen" \
  out_has '^total .* allowed, snaplen 65535$'

# --- live, pcapng to stdout ----------------------------------------------------------
live l1 "$Q" h3:eth1 -c 4 -w -
assert "capture h3:eth1 -c 4 -w - says it is capturing" test "$LIVE_UP" -eq 0
check "h1 pings h3 twice" "$NETLOOM" exec "$Q" h1 -- ping -c 2 -i 0.2 -W 2 10.0.2.13
wait_exit "$LIVE"
assert "capture -c 4 exits 0 by itself after 4 packets" test $? -eq 0
assert "capture -c 4 says: 4 packets captured" grep -q -x '4 packets captured' "$T/l1.err"
run tshark -n -r "$T/l1.out"
assert "tshark reads the live pcapng; nothing on stderr but the root warning" \
  only_root_warning "$ERR"
assert "the live pcapng has 4 frames" test "$(wc -l <"$OUT")" -eq 4
assert "the live pcapng has h1's echo request to h3" out_has '10\.0\.1\.11 → 10\.0\.2\.13 .*ICMP.*Echo (ping) request'

spawn_bg sh -c '"$0" capture "$1" h3:eth1 -c 2 -w - 2>"$2" | tshark -n -r - >"$3" 2>"$4"' \
  "$NETLOOM" "$Q" "$T/pipe.err" "$T/pipe.out" "$T/pipe.tshark"
PIPE=$BG
wait_for_output "$T/pipe.err" '^capturing on ' "$PIPE"
assert "capture -w - | tshark -r -: capturing" test $? -eq 0
check "h1 pings h3 twice more" "$NETLOOM" exec "$Q" h1 -- ping -c 2 -i 0.2 -W 2 10.0.2.13
wait_exit "$PIPE"
assert "capture -c 2 -w - | tshark -r - ends" test $? -eq 0
assert "tshark -r - read 2 ICMP frames from the pipe" \
  test "$(grep -c 'ICMP' "$T/pipe.out")" -eq 2
assert "tshark -r - from the pipe: nothing on stderr but the root warning" \
  only_root_warning "$T/pipe.tshark"

# --- live, a filter ------------------------------------------------------------------
check "h1 forgets its neighbours (so the next ping starts with ARP)" \
  "$NETLOOM" exec "$Q" h1 -- ip neigh flush dev eth1
live f1 "$Q" h1:eth1 -f icmp -c 2 --summary
assert "capture -f icmp -c 2 --summary says it is capturing, with the filter" \
  grep -q -x "capturing on h1:eth1 in lab '$Q', filter: icmp (Ctrl-C to stop)" "$T/f1.err"
check "h1 pings h2 3 times" "$NETLOOM" exec "$Q" h1 -- ping -c 3 -i 0.2 -W 2 10.0.1.12
wait_exit "$LIVE"
assert "capture -f icmp -c 2 exits 0" test $? -eq 0
assert "-f icmp -c 2: exactly 2 lines" test "$(wc -l <"$T/f1.out")" -eq 2
assert "-f icmp: both lines are ICMP echo" test "$(grep -c 'ICMP echo' "$T/f1.out")" -eq 2
assert "-f icmp: no ARP line" sh -c '! grep -q ARP "$0"' "$T/f1.out"
run "$NETLOOM" capture "$Q" h1:eth1 -f 'icmp and and' -c 1
assert "a bad filter ('icmp and and') exits non-zero" test "$RC" -ne 0
assert "a bad filter: the message says filter" err_has 'filter'
run "$NETLOOM" capture "$Q" h1:eth9 -c 1
assert "capture on an interface the node does not have exits 1" rc_is 1

# --- the decoder on real traffic -----------------------------------------------------
P=pr$$
cat >"$T/$P.yaml" <<EOF
name: $P
prefix: $PFX
topology:
  nodes:
    sw: {kind: switch}
    a: {kind: host}
    b: {kind: host}
    c: {kind: host}
  links:
    - endpoints: ["a:eth1", "sw:p1"]
      ipv4: ["10.9.0.1/24", ""]
      ipv6: ["2001:db8:9::1/64", ""]
    - endpoints: ["b:eth1", "sw:p2"]
      ipv4: ["10.9.0.2/24", ""]
      ipv6: ["2001:db8:9::2/64", ""]
    - endpoints: ["c:eth1", "sw:p3"]
EOF
run "$NETLOOM" -q deploy "$T/$P.yaml"
assert "deploy a lab with a, b (IPv4 and IPv6) and c (no address) on a switch" rc_is 0

# b is in every conversation: a talks to it, and it is c's DHCP server.
live pr "$P" b:eth1
PR=$LIVE
assert "capture b:eth1 (decoded lines) says it is capturing" test "$LIVE_UP" -eq 0

# saw DESC PATTERN: ok once b:eth1's live capture prints a line matching PATTERN.
saw () {
  if wait_for_output "$T/pr.out" "$2" "$PR"; then
    pass "$1"
  else
    fail "$1"
    echo "# no line matches: $2"
    show "$T/pr.out"
  fi
}

check "a pings b" "$NETLOOM" exec "$P" a -- ping -c 1 -W 2 10.9.0.2
saw "ARP request: who-has 10.9.0.2 tell 10.9.0.1 (In)" \
  ' b:eth1 In  [0-9a-f:]* > ff:ff:ff:ff:ff:ff ARP who-has 10\.9\.0\.2 tell 10\.9\.0\.1$'
saw "ARP reply: 10.9.0.2 is-at <b's MAC> (Out)" \
  ' b:eth1 Out [0-9a-f:]* > [0-9a-f:]* ARP 10\.9\.0\.2 is-at [0-9a-f:]*$'
saw "ICMP echo request a -> b, with id, seq and ttl" \
  ' In  10\.9\.0\.1 > 10\.9\.0\.2 ICMP echo request id [0-9]* seq 1 ttl 64, length 84$'
saw "ICMP echo reply b -> a" ' Out 10\.9\.0\.2 > 10\.9\.0\.1 ICMP echo reply id [0-9]* seq 1 '

spawn_bg "$NETLOOM" exec "$P" b -- timeout 10 busybox nc -l -p 5000 </dev/null >"$T/nc.out"
NC=$BG
check "busybox nc listens on b, TCP port 5000" wait_listen "$P" b t 5000
run sh -c 'echo hello | "$0" exec "$1" a -- timeout 5 busybox nc 10.9.0.2 5000' "$NETLOOM" "$P"
assert "busybox nc on a sends hello to b" rc_is 0
wait_exit "$NC"
assert "b's nc got hello" grep -q -x hello "$T/nc.out"
saw "TCP SYN a -> b:5000: [S]" ' In  10\.9\.0\.1\.[0-9]* > 10\.9\.0\.2\.5000 TCP \[S\] seq [0-9]* win '
saw "TCP SYN-ACK b:5000 -> a: [S.]" \
  ' Out 10\.9\.0\.2\.5000 > 10\.9\.0\.1\.[0-9]* TCP \[S\.\] seq [0-9]* ack [0-9]* win '
saw "TCP data: [P.] with 6 bytes of payload" \
  ' > 10\.9\.0\.2\.5000 TCP \[P\.\] seq [0-9]*:[0-9]* ack [0-9]* win [0-9]*, length 6$'
saw "TCP FIN: [F.]" ' TCP \[F\.\] '

check "bash on a sends a UDP datagram to b:5001 (nothing listens)" \
  "$NETLOOM" exec "$P" a -- bash -c 'echo udp-hello >/dev/udp/10.9.0.2/5001'
saw "UDP a -> b:5001, length 10" ' In  10\.9\.0\.1\.[0-9]* > 10\.9\.0\.2\.5001 UDP, length 10$'
saw "ICMP port unreachable back, quoting the UDP ports" \
  ' Out 10\.9\.0\.2 > 10\.9\.0\.1 ICMP unreachable port (10\.9\.0\.1\.[0-9]* > 10\.9\.0\.2\.5001 UDP)'

run "$NETLOOM" exec "$P" a -- busybox nslookup netloom.test 10.9.0.2
assert "busybox nslookup against b fails (no DNS server there)" test "$RC" -ne 0
saw "DNS query: A? netloom.test" \
  ' In  10\.9\.0\.1\.[0-9]* > 10\.9\.0\.2\.53 DNS query id [0-9]* A? netloom\.test'

check "a forgets its IPv6 neighbours" "$NETLOOM" exec "$P" a -- ip -6 neigh flush dev eth1
check "a pings b over IPv6" "$NETLOOM" exec "$P" a -- ping -6 -c 1 -W 2 2001:db8:9::2
saw "ICMPv6 neighbor solicitation who-has 2001:db8:9::2" \
  ' In  [0-9a-f:]* > ff02::1:ff00:2 ICMPv6 neighbor solicitation who-has 2001:db8:9::2'
saw "ICMPv6 neighbor advertisement from b" \
  ' Out [0-9a-f:]* > [0-9a-f:]* ICMPv6 neighbor advertisement tgt is 2001:db8:9::2'
saw "ICMPv6 echo request a -> b, with the hop limit" \
  ' In  2001:db8:9::1 > 2001:db8:9::2 ICMPv6 echo request id [0-9]* seq 1 hlim 64'

cat >"$T/udhcpd.conf" <<EOF
start 10.9.0.100
end 10.9.0.110
interface eth1
lease_file $T/udhcpd.leases
pidfile $T/udhcpd.pid
option subnet 255.255.255.0
EOF
spawn_bg "$NETLOOM" exec "$P" b -- timeout 20 busybox udhcpd -f -a 100 "$T/udhcpd.conf" \
  >"$T/udhcpd.log" 2>&1
DHCPD=$BG
check "busybox udhcpd on b listens on UDP port 67" wait_listen "$P" b u 67
run "$NETLOOM" exec "$P" c -- timeout 10 busybox udhcpc -i eth1 -f -q -n -t 3 -T 1 -s /bin/true
assert "busybox udhcpc on c gets a lease from b" \
  eval 'rc_is 0 && err_has "lease of 10\.9\.0\.1[01][0-9] obtained from 10\.9\.0\.2"'
saw "DHCP Discover from c (0.0.0.0.68 > 255.255.255.255.67)" \
  ' In  0\.0\.0\.0\.68 > 255\.255\.255\.255\.67 DHCP Discover xid 0x[0-9a-f]* chaddr [0-9a-f:]*, length '
saw "DHCP Offer from b, with yiaddr and server-id" \
  ' Out 10\.9\.0\.2\.67 > [0-9.]*\.68 DHCP Offer xid 0x[0-9a-f]* chaddr [0-9a-f:]* yiaddr 10\.9\.0\.1[01][0-9] server-id 10\.9\.0\.2'
saw "DHCP Request from c, with the requested address" \
  ' In  0\.0\.0\.0\.68 > 255\.255\.255\.255\.67 DHCP Request xid 0x[0-9a-f]* chaddr [0-9a-f:]* requested 10\.9\.0\.1[01][0-9] server-id 10\.9\.0\.2'
saw "DHCP Ack from b" ' Out 10\.9\.0\.2\.67 > [0-9.]*\.68 DHCP Ack xid 0x[0-9a-f]* .*yiaddr 10\.9\.0\.1[01][0-9]'
[ -s "$T/udhcpd.pid" ] && kill "$(cat "$T/udhcpd.pid")"
wait_exit "$DHCPD"

kill "$PR"
wait_exit "$PR"
assert "SIGTERM stops the live capture; exit 0" test $? -eq 0
assert "... and it says how many packets it captured" \
  grep -q -x '[0-9][0-9]* packets captured' "$T/pr.err"
run "$NETLOOM" destroy "$P"
assert "destroy $P" rc_is 0

# --- the supervisor ------------------------------------------------------------------
# Only this script's own supervisors: the state root is part of their command line.
SUP="supervise --run-dir $NETLOOM_RUN_DIR .* $Q\$"
gone () {
  _n=0
  while pgrep -f "$SUP" >/dev/null && [ "$_n" -lt 200 ]; do
    sleep 0.05
    _n=$((_n + 1))
  done
  ! pgrep -f "$SUP" >/dev/null
}

SUP_PID=$(pgrep -f "$SUP")
assert "$Q has one supervisor process" test "$(echo $SUP_PID | wc -w)" -eq 1
run "$NETLOOM" supervisor "$Q"
assert "supervisor $Q: running, with its pid" \
  eval 'rc_is 0 && out_has "^supervisor of lab .$Q.: running, pid $SUP_PID, "'
kill -9 $SUP_PID
check "kill -9 the supervisor: it is gone" gone
run "$NETLOOM" inspect "$Q" --json
assert "inspect --json: supervisor not running" out_has '"state": "not running"'
run "$NETLOOM" supervisor "$Q"
assert "supervisor $Q: not running, exit 1" eval 'rc_is 1 && out_has "not running"'
run "$NETLOOM" supervisor "$Q" start
assert "supervisor $Q start" eval 'rc_is 0 && out_has "^started the supervisor of lab .$Q."'
run "$NETLOOM" supervisor "$Q" start
assert "supervisor $Q start again: exit 1, already running" \
  eval 'rc_is 1 && err_has "already running"'
run "$NETLOOM" inspect "$Q" --json
assert "inspect --json: supervisor running" out_has '"state": "running"'
NEW_PID=$(pgrep -f "$SUP")
assert "a new supervisor process (not the killed one)" \
  eval 'test -n "$NEW_PID" && test "$NEW_PID" != "$SUP_PID"'
check "h1 pings h2 twice" "$NETLOOM" exec "$Q" h1 -- ping -c 2 -i 0.2 -W 2 10.0.1.12
run "$NETLOOM" capture "$Q" --list
assert "capture --list after the restart" rc_is 0
assert "the first ring file is still there" test -s "$CAPS/h1-eth1/h1-eth1-000001.pcapng"
assert "the new supervisor writes h1-eth1-000002.pcapng" \
  test -s "$CAPS/h1-eth1/h1-eth1-000002.pcapng"
assert "h1-eth1-000002.pcapng has the 2 echo requests made after the restart" \
  test "$(fields "$CAPS/h1-eth1/h1-eth1-000002.pcapng" icmp.type "$H1H2 && icmp.type == 8" | wc -l)" -eq 2
run sh -c '"$0" pcap "$1" h1:eth1 | tshark -n -r - -Y "$2 && icmp.type == 8" | wc -l' \
  "$NETLOOM" "$Q" "$H1H2"
assert "pcap joins both files: 5 + 3 + 2 echo requests h1 -> h2" test "$(cat "$OUT")" -eq 10

run "$NETLOOM" destroy "$Q"
assert "destroy $Q" rc_is 0
assert "destroy stopped the supervisor" sh -c '! pgrep -f "$0"' "$SUP"
assert "destroy removed $Q's namespaces" no_netns_of "$PFX-$Q"
assert "destroy kept captures/ (h1-eth1-000001.pcapng)" \
  test -s "$CAPS/h1-eth1/h1-eth1-000001.pcapng"
run "$NETLOOM" -q deploy "$T/$Q.yaml"
assert "deploy $Q again" rc_is 0
assert "the new deploy replaced the old run's captures" \
  test ! -e "$CAPS/h1-eth1/h1-eth1-000002.pcapng"
run "$NETLOOM" destroy --cleanup "$Q"
assert "destroy --cleanup $Q" rc_is 0
assert "destroy --cleanup removed the lab directory" test ! -e "$T/netloom-$Q"
assert "no supervisor of $Q is left" sh -c '! pgrep -f "$0"' "$SUP"

# --- capture: false ------------------------------------------------------------------
F=cf$$
lab_from_quickstart "$F" "$T/$F.yaml"
echo 'capture: false' >>"$T/$F.yaml"
run "$NETLOOM" -q deploy "$T/$F.yaml"
assert "deploy quickstart with capture: false (as $F)" rc_is 0
check "h1 pings h3" "$NETLOOM" exec "$F" h1 -- ping -c 2 -i 0.2 -W 2 10.0.2.13
run "$NETLOOM" capture "$F" --list
assert "capture --list with capture: false: exit 0, no link" \
  eval 'rc_is 0 && test "$(grep -c -e "^LINK " -e "^total " "$OUT")" -eq 2 && test "$(wc -l <"$OUT")" -eq 2'
assert "capture: false: no captures/ directory" test ! -e "$T/netloom-$F/captures"
run "$NETLOOM" pcap "$F" h1:eth1
assert "pcap of a link with capture: false exits 1 and says so" \
  eval 'rc_is 1 && err_has "not captured (capture: false)"'
run "$NETLOOM" destroy --cleanup "$F"
assert "destroy --cleanup $F" rc_is 0
assert "no namespace with the prefix remains" no_netns_of "$PFX"

finish
