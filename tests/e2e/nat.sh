#!/bin/sh
# Published ports and the nat node from a lab file, through the netloom binary: a host
# behind a nat node leases an address (busybox udhcpc run with `netloom exec`); its web
# server answers on the host both through its published port and through the nat node's
# hostfwd; inspect lists both; a published port that is in use fails the deploy cleanly;
# after kill -9 of the supervisor no listener is left, and destroy removes the rest.
. "$(dirname "$0")/lib.sh.inc"
e2e_init n

# A free host port (TCP and UDP), different from the ones picked already.
pick_port () {
  while :; do
    p=$(shuf -i 30000-60999 -n 1)
    case " $* " in *" $p "*) continue ;; esac
    [ -z "$(ss -Htuln "sport = :$p" 2>/dev/null)" ] && { echo "$p"; return; }
  done
}
WEB=$(pick_port)
FWD=$(pick_port "$WEB")
UDP=$(pick_port "$WEB" "$FWD")

LAB=nat$$
mkdir -p "$T/www"
echo "hello-from-h1" >"$T/www/index.html"
cat >"$T/dhcp.sh" <<'EOF'
#!/bin/sh
case "$1" in bound|renew)
  ip addr flush dev "$interface"
  ip addr add "$ip/$mask" dev "$interface"
  ip route replace default via "${router%% *}" dev "$interface"
  echo "lease $ip/$mask router $router" ;;
esac
EOF
chmod +x "$T/dhcp.sh"
cat >"$T/$LAB.yaml" <<EOF
name: $LAB
prefix: $PFX
topology:
  nodes:
    gw: {kind: nat, hostfwd: ["$FWD:10.0.2.15:80"]}
    h1:
      exec: ["busybox httpd -p 80 -h $T/www"]
      ports: ["127.0.0.1:$WEB:80", "$UDP:53/udp"]
  links:
    - endpoints: [gw:eth1, h1:eth1]
EOF

# Servers that exec: started in a node are not the lab's: stop the nodes (which ends
# their processes) before the usual cleanup, also when a check fails.
stop_nodes () {
  for n in h1 gw; do "$NETLOOM" -q node "$LAB" "$n" stop >/dev/null 2>&1; done
  e2e_cleanup
}
trap stop_nodes EXIT

run "$NETLOOM" deploy "$T/$LAB.yaml"
assert "deploy a nat node and published ports" rc_is 0
run "$NETLOOM" inspect "$LAB"
assert "inspect shows the published TCP port" out_has "port  127.0.0.1:$WEB -> 80/tcp"
assert "inspect shows the published UDP port" out_has "port  127.0.0.1:$UDP -> 53/udp"
assert "inspect shows the nat network" out_has "nat   10.0.2.0/24  gateway 10.0.2.2  dns 10.0.2.3"
assert "inspect shows the forwarded port" out_has "fwd   127.0.0.1:$FWD -> 10.0.2.15:80/tcp"

run timeout 20 "$NETLOOM" exec "$LAB" h1 -- busybox udhcpc -i eth1 -n -q -t 5 -T 1 -s "$T/dhcp.sh"
assert "h1 leases 10.0.2.15 from the nat node" out_has "lease 10.0.2.15/24 router 10.0.2.2"
run timeout 10 busybox wget -q -O - "http://127.0.0.1:$WEB/index.html"
assert "the published port reaches h1's web server" out_has "hello-from-h1"
run timeout 10 busybox wget -q -O - "http://127.0.0.1:$FWD/index.html"
assert "the nat node's hostfwd reaches h1's web server" out_has "hello-from-h1"

# A port in use: the deploy fails, names it, and leaves nothing.
BAD=bad$$
cat >"$T/$BAD.yaml" <<EOF
name: $BAD
prefix: $PFX
topology:
  nodes:
    h1: {ports: ["$WEB:80"]}
EOF
run "$NETLOOM" deploy "$T/$BAD.yaml"
assert "deploying a lab whose port is in use fails" rc_is 1
assert "the error names the port" err_has_fixed "127.0.0.1:$WEB/tcp is in use on the host"
assert "the failed deploy left no namespace" no_netns_of "$PFX-$BAD"
assert "the failed deploy left no state" test ! -e "$NETLOOM_RUN_DIR/$BAD"

# kill -9 of the supervisor: its listeners and the TAP go with it.
SUP=$(awk '/^proc /{p=$2} END{print p}' "$NETLOOM_RUN_DIR/$LAB/journal")
check "the supervisor ($SUP) is running" kill -0 "$SUP"
kill -9 "$SUP"
check "the supervisor is gone" timeout 5 tail --pid="$SUP" -f /dev/null
no_listener () { [ -z "$(ss -Htuln "sport = :$1")" ]; }
check "no listener on $WEB/tcp after kill -9" no_listener "$WEB"
check "no listener on $UDP/udp after kill -9" no_listener "$UDP"
check "no listener on $FWD/tcp after kill -9" no_listener "$FWD"
check_rc 1 "the TAP of the nat node is gone" ip netns exec "$PFX-$LAB-gw" ip link show slirp0
for n in h1 gw; do "$NETLOOM" -q node "$LAB" "$n" stop >/dev/null 2>&1; done
run "$NETLOOM" destroy "$LAB"
assert "destroy after kill -9 of the supervisor" rc_is 0
assert "no namespace left" no_netns_of "$PFX-$LAB"
assert "no namespace mount left" no_netns_mounts
assert "no state left" test ! -e "$NETLOOM_RUN_DIR/$LAB"

# labs/nat.yaml as a user runs it: a container leases its address from the nat node,
# and its page is reached through the hostfwd (moved to a free port of this run's).
NL=nl$$
NLFWD=$(pick_port "$WEB" "$FWD" "$UDP")
sed -e "s/^name: nat\$/name: $NL/" -e "s/\"8081:10.0.2.15:80\"/\"$NLFWD:10.0.2.15:80\"/" \
  "$E2E_TOP/labs/nat.yaml" >"$T/$NL.yaml"
printf 'prefix: %s\n' "$PFX" >>"$T/$NL.yaml"
run "$NETLOOM" -q deploy "$T/$NL.yaml"
assert "deploy labs/nat.yaml (as $NL)" rc_is 0
check "h1 pings the nat node's gateway" "$NETLOOM" exec "$NL" h1 -- ping -c1 -W2 10.0.2.2
# c1's own command leases the address, then serves; bounded retries while it does.
n=0
while [ $n -lt 50 ]; do
  timeout 2 busybox wget -q -O "$T/nlpage" "http://127.0.0.1:$NLFWD/" 2>/dev/null && break
  n=$((n + 1))
  sleep 0.1
done
check "c1 leased 10.0.2.15 and serves its page through the hostfwd" \
  grep -q "hello from c1 behind the nat node" "$T/nlpage"
run "$NETLOOM" inspect "$NL"
assert "inspect shows the address c1 leased (the lab file gives it none)" \
  out_has "| c1   | container | running | $PFX-$NL-c1 *| eth1  10.0.2.15/24 "
run "$NETLOOM" inspect --json "$NL"
assert "... as live_ipv4 in the JSON, apart from the lab file's ipv4" \
  jq -e '.nodes[] | select(.name == "c1") | .interfaces[0] | .ipv4 == [] and .live_ipv4 == ["10.0.2.15/24"]' "$OUT"
run "$NETLOOM" destroy --cleanup "$NL"
assert "destroy $NL" rc_is 0

finish
