#!/bin/sh
# A containerlab lab written for Docker images runs on local images through the alias
# table: containerlab's frr01 style (kind: linux nodes from an FRR image, with daemons
# and frr.conf bound into /etc/frr, relative to the lab file) runs the host's FRR in
# containers through the built-in `frr` image, and an `alpine:3` node runs on the
# built-in busybox. OSPF comes up between the two routers, and the alpine node, set up
# by containerlab-style exec commands, reaches a router's loopback through it.
. "$(dirname "$0")/lib.sh.inc"
e2e_init f

export NETLOOM_IMAGE_DIR="$T/images"
export NETLOOM_IMAGE_ALIASES="$T/images.yaml"
cat >"$NETLOOM_IMAGE_ALIASES" <<'YAML'
"frrouting/frr*": frr
"alpine:3": busybox
YAML
LAB=frr$$
mkdir -p "$T/router1" "$T/router2"
for r in 1 2; do
  cat >"$T/router$r/daemons" <<CONF
zebra=yes
ospfd=yes
vtysh_enable=yes
zebra_options="  -A 127.0.0.1 -s 90000000"
ospfd_options="  -A 127.0.0.1"
CONF
  cat >"$T/router$r/frr.conf" <<CONF
frr defaults traditional
hostname router$r
interface eth1
 ip address 10.9.0.$r/24
 ip ospf network point-to-point
 ip ospf hello-interval 1
 ip ospf dead-interval 3
interface eth2
 ip ospf hello-interval 1
 ip ospf dead-interval 3
interface lo
 ip address 10.255.0.$r/32
router ospf
 ospf router-id 10.255.0.$r
 network 10.0.0.0/8 area 0
 network 192.168.0.0/16 area 0
CONF
done
cat >"$T/$LAB.clab.yml" <<YAML
name: $LAB
prefix: $PFX
topology:
  nodes:
    router1:
      kind: linux
      image: frrouting/frr:v8.4.0
      binds:
        - router1/daemons:/etc/frr/daemons
        - router1/frr.conf:/etc/frr/frr.conf
    router2:
      kind: linux
      image: frrouting/frr:v8.4.0
      binds:
        - router2/daemons:/etc/frr/daemons
        - router2/frr.conf:/etc/frr/frr.conf
    PC1:
      kind: linux
      image: alpine:3
      exec:
        - ip addr add 192.168.11.2/24 dev eth1
        - ip route add default via 192.168.11.1
  links:
    - endpoints: ["router1:eth1", "router2:eth1"]
    - endpoints: ["router2:eth2", "PC1:eth1"]
YAML
# router2's side of PC1's subnet, in its frr.conf as containerlab's lab has it.
printf 'interface eth2\n ip address 192.168.11.1/24\n' >>"$T/router2/frr.conf"

run "$NETLOOM" -q deploy "$T/$LAB.clab.yml"
assert "deploy a containerlab frr01-style lab through aliases" rc_is 0
check "router1 sees the frr.conf bound from the lab directory" \
  "$NETLOOM" exec "$LAB" router1 -- grep -q "hostname router1" /etc/frr/frr.conf
check "PC1 (alpine:3 -> busybox) is a busybox root file system" \
  "$NETLOOM" exec "$LAB" PC1 -- test -L /bin/sh

# OSPF with 1 s hellos: bounded wait for each router's loopback in the other's table.
n=0
while [ $n -lt 60 ]; do
  "$NETLOOM" exec "$LAB" router1 -- ip route show 10.255.0.2 2>/dev/null | grep -q via \
    && "$NETLOOM" exec "$LAB" router2 -- ip route show 10.255.0.1 2>/dev/null | grep -q via \
    && break
  n=$((n + 1))
  sleep 0.5
done
check "router1 runs the host's FRR daemons in its container" \
  "$NETLOOM" exec "$LAB" router1 -- pgrep -x ospfd
check "router1 learns router2's loopback through OSPF" \
  sh -c "'$NETLOOM' exec '$LAB' router1 -- vtysh -c 'show ip route ospf' | grep -q '10.255.0.2/32'"
check "router1 learns PC1's subnet through OSPF" \
  sh -c "'$NETLOOM' exec '$LAB' router1 -- ip route show 192.168.11.0/24 | grep -q via"
check "PC1 pings router1's loopback across router2" \
  "$NETLOOM" exec "$LAB" PC1 -- ping -c1 -W2 10.255.0.1

run "$NETLOOM" destroy "$LAB"
assert "destroy $LAB" rc_is 0
assert "no namespace of the lab is left" no_netns_of "$PFX"
check_rc 1 "no FRR daemon of the lab is left" pgrep -f "nlm-$PFX|$PFX-$LAB"
finish
