#!/bin/sh
# What switches, hubs and links do to frames: VLANs keep hosts apart across a trunk
# (labs/vlans.yaml), a hub repeats unicast to every port and a switch does not, and a
# link with mtu: 9000 carries jumbo frames unfragmented.
. "$(dirname "$0")/lib.sh.inc"
e2e_init s

# --- labs/vlans.yaml -----------------------------------------------------------------
VL=vl$$
sed -e "s/^name: vlans\$/name: $VL/" "$E2E_TOP/labs/vlans.yaml" >"$T/$VL.yaml"
printf 'prefix: %s\n' "$PFX" >>"$T/$VL.yaml"

run "$NETLOOM" -q deploy "$T/$VL.yaml"
assert "deploy labs/vlans.yaml (as $VL)" rc_is 0
# h1 10.0.0.1 and h3 10.0.0.3 in VLAN 10, h2 10.0.0.2 and h4 10.0.0.4 in VLAN 20;
# h1, h2 on sw1, h3, h4 on sw2, a trunk carrying both between the switches.
check "VLAN 10: h1 pings h3 across the trunk" "$NETLOOM" exec "$VL" h1 -- ping -c1 -W2 10.0.0.3
check "VLAN 20: h2 pings h4 across the trunk" "$NETLOOM" exec "$VL" h2 -- ping -c1 -W2 10.0.0.4
check "VLAN 20: h4 pings h2 back" "$NETLOOM" exec "$VL" h4 -- ping -c1 -W2 10.0.0.2
check_rc 1 "h1 (VLAN 10) cannot ping h2 (VLAN 20) on the same switch" \
  "$NETLOOM" exec "$VL" h1 -- ping -c1 -W1 10.0.0.2
check_rc 1 "h1 (VLAN 10) cannot ping h4 (VLAN 20) across the trunk" \
  "$NETLOOM" exec "$VL" h1 -- ping -c1 -W1 10.0.0.4
check_rc 1 "h3 (VLAN 10) cannot ping h4 (VLAN 20) on the same switch" \
  "$NETLOOM" exec "$VL" h3 -- ping -c1 -W1 10.0.0.4
run "$NETLOOM" destroy "$VL"
assert "destroy $VL" rc_is 0

# --- hub, switch, jumbo link ---------------------------------------------------------
L2=l2$$
cat >"$T/$L2.yaml" <<EOF
name: $L2
prefix: $PFX
topology:
  nodes:
    hub: {kind: hub}
    sw: {kind: switch}
    a1: {kind: host}
    a2: {kind: host}
    a3: {kind: host}
    b1: {kind: host}
    b2: {kind: host}
    b3: {kind: host}
    j1: {kind: host}
    j2: {kind: host}
  links:
    - endpoints: ["a1:eth1", "hub:p1"]
      ipv4: ["10.5.0.1/24", ""]
    - endpoints: ["a2:eth1", "hub:p2"]
      ipv4: ["10.5.0.2/24", ""]
    - endpoints: ["a3:eth1", "hub:p3"]
      ipv4: ["10.5.0.3/24", ""]
    - endpoints: ["b1:eth1", "sw:p1"]
      ipv4: ["10.6.0.1/24", ""]
    - endpoints: ["b2:eth1", "sw:p2"]
      ipv4: ["10.6.0.2/24", ""]
    - endpoints: ["b3:eth1", "sw:p3"]
      ipv4: ["10.6.0.3/24", ""]
    - endpoints: ["j1:eth1", "j2:eth1"]
      ipv4: ["10.7.0.1/24", "10.7.0.2/24"]
      mtu: 9000
EOF
run "$NETLOOM" -q deploy "$T/$L2.yaml"
assert "deploy a lab with a hub, a switch and a jumbo link" rc_is 0

# sniff NODE SECONDS: tcpdump for 3 ICMP packets on NODE's eth1, in the background,
# for at most SECONDS; returns once it is capturing. Output in $T/sniff-NODE, pid $SNIFF.
sniff () {
  spawn_bg "$NETLOOM" exec "$L2" "$1" -- timeout "$2" tcpdump -c 3 -n -i eth1 icmp \
    >"$T/sniff-$1" 2>&1
  SNIFF=$BG
  wait_for_output "$T/sniff-$1" '^listening on eth1' "$SNIFF"
  SNIFF_UP=$?
}

# Hub: a3 sees a1 <-> a2.
check "hub: a1 pings a2" "$NETLOOM" exec "$L2" a1 -- ping -c1 -W2 10.5.0.2
sniff a3 5
assert "hub: tcpdump on a3 is capturing" test "$SNIFF_UP" -eq 0
check "hub: a1 pings a2 (3 packets) while a3 listens" \
  "$NETLOOM" exec "$L2" a1 -- ping -c3 -i0.2 -W2 10.5.0.2
wait "$SNIFF"
sniff_rc=$?
RUN_CMD="netloom exec $L2 a3 -- timeout 5 tcpdump -c 3 -n -i eth1 icmp"
RC=$sniff_rc
cp "$T/sniff-a3" "$OUT"
: >"$ERR"
assert "hub: a3 captured 3 ICMP packets and exited 0" rc_is 0
assert "hub: a3 saw a1's echo request to a2" out_has 'IP 10\.5\.0\.1 > 10\.5\.0\.2: ICMP echo request'

# Switch: b3 does not see b1 <-> b2 (after a first ping, the switch knows both MACs).
check "switch: b1 pings b2 (the switch learns both MAC addresses)" \
  "$NETLOOM" exec "$L2" b1 -- ping -c1 -W2 10.6.0.2
sniff b3 2
assert "switch: tcpdump on b3 is capturing" test "$SNIFF_UP" -eq 0
check "switch: b1 pings b2 (3 packets) while b3 listens" \
  "$NETLOOM" exec "$L2" b1 -- ping -c3 -i0.2 -W2 10.6.0.2
wait "$SNIFF"
sniff_rc=$?
RUN_CMD="netloom exec $L2 b3 -- timeout 2 tcpdump -c 3 -n -i eth1 icmp"
RC=$sniff_rc
cp "$T/sniff-b3" "$OUT"
: >"$ERR"
assert "switch: tcpdump on b3 timed out (exit 124) without 3 packets" rc_is 124
assert "switch: b3 saw none of b1's echo requests to b2" \
  sh -c '! grep -q "10\.6\.0\.1 > 10\.6\.0\.2" "$0"' "$OUT"

# MTU
run "$NETLOOM" exec "$L2" j1 -- ip -o link show eth1
assert "jumbo link: j1's eth1 has mtu 9000" out_has 'mtu 9000 '
check "jumbo link: ping -M do -s 8972 (9000-byte packets) j1 -> j2 succeeds" \
  "$NETLOOM" exec "$L2" j1 -- ping -c1 -W2 -M do -s 8972 10.7.0.2
check_rc 1 "1500 link: the same ping b1 -> b2 fails (message too long)" \
  "$NETLOOM" exec "$L2" b1 -- ping -c1 -W1 -M do -s 8972 10.6.0.2

run "$NETLOOM" destroy "$L2"
assert "destroy $L2" rc_is 0
assert "no namespace with the prefix remains" no_netns_of "$PFX"

finish
