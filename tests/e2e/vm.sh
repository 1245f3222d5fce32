#!/bin/sh
# VM nodes (kind vm) on labs/multi-vm.yaml: three netloom-tiny guests under QEMU, a host
# and a router. Pings cross between guests, host and router subnets (run inside the
# guests through `netloom console`); the capture of a VM's link holds both directions;
# an impairment delays what a guest sends; suspend/resume, stop/start keep the links;
# destroy (also after kill -9 of the supervisor) leaves no QEMU, TAP or namespace;
# a missing guest and a kernel QEMU cannot boot are clear errors that roll back.
. "$(dirname "$0")/lib.sh.inc"
e2e_init v

: "${NETLOOM_VM_DIR:=$E2E_TOP/build/vm}"
export NETLOOM_VM_DIR
if [ ! -f "$NETLOOM_VM_DIR/netloom-tiny/vmlinuz" ]; then
  fail "the built-in guest is built ($NETLOOM_VM_DIR/netloom-tiny: run make vm-image)"
  finish
fi

L=mv$$
F="$T/$L.yaml"
sed -e "s/^name: multi-vm\$/name: $L/" "$E2E_TOP/labs/multi-vm.yaml" >"$F"
printf 'prefix: %s\n' "$PFX" >>"$F"

# guest VM CMD: runs CMD in the guest's shell through its console; $OUT gets what the
# console showed, $RC the command's exit status (from a marker line the guest prints).
guest () {
  RUN_CMD="guest $1: $2"
  printf '%s; echo "RC=$?"\n' "$2" |
    "$NETLOOM" console "$L" "$1" --expect 'RC=[0-9]+' --timeout 60 >"$OUT" 2>"$ERR"
  RC=$(tr -d '\r' <"$OUT" | sed -n 's/^RC=\([0-9][0-9]*\)$/\1/p' | tail -n 1)
  [ -n "$RC" ] || RC=255
}

# ready VM: waits until the guest has configured itself (its console said so).
ready () {
  "$NETLOOM" console "$L" "$1" --replay --no-input --expect 'netloom-tiny: ready' \
    --timeout 90 >"$T/$1.boot" 2>&1
}

qemu_pid () {
  "$NETLOOM" inspect --json "$L" | jq -r ".supervisor.vms.$1.pid // empty"
}

# gone PID: waits (bounded, 10 s) until the process has exited.
gone () {
  _n=0
  while kill -0 "$1" 2>/dev/null && [ "$_n" -lt 200 ]; do
    sleep 0.05
    _n=$((_n + 1))
  done
  ! kill -0 "$1" 2>/dev/null
}

# --- deploy and boot --------------------------------------------------------------------
run "$NETLOOM" deploy "$F"
assert "deploy of the multi-vm lab exits 0 (QEMU up for every VM)" rc_is 0
run "$NETLOOM" inspect --json "$L"
assert "the supervisor reports each VM running with its QEMU pid and accel" \
  jq -e '[.supervisor.vms[] | select(.status == "running" and .pid > 0 and (.accel == "tcg" or .accel == "kvm"))] | length == 3' "$OUT"
assert "the VM node's namespace holds no address (they are the guest's)" \
  sh -c "! ip -n $PFX-$L-vm1 -4 addr show | grep -q 10.0.1.11"
assert "the VM node's namespace holds a TAP per interface" \
  sh -c "ip -n $PFX-$L-vm1 -d link show tap0 | grep -q tun"
for v in vm1 vm2 vm3; do
  check "guest $v boots and says it is ready on its console" ready "$v"
done
run cat "$T/vm1.boot"
assert "the guest got its interface from the kernel command line" out_has 'eth1 up'

printf '\n' | "$NETLOOM" console "$L" vm1 --expect 'vm1:[^#]*# ' --timeout 20 >"$OUT" 2>"$ERR"
RC=$?
RUN_CMD="console $L vm1 (Enter)"
assert "the console shows the guest's prompt" rc_is 0

# shell on a VM is the guest's shell on its console: what is typed there runs in the
# guest (the next console command, queued behind it on the serial line, reads its file);
# Ctrl-] leaves.
run sh -c "printf 'echo typed-in-shell >/tmp/shell-mark\\n\\035' | script -qfec '$NETLOOM shell $L vm1' /dev/null"
assert "shell on a VM attaches its console and Ctrl-] leaves it" rc_is 0
assert "... saying so" sh -c "grep -q 'its shell is on its serial console' '$OUT' '$ERR' && grep -q 'Ctrl-] leaves' '$OUT' '$ERR'"
guest vm1 "cat /tmp/shell-mark"
assert "... and what was typed ran in the guest" sh -c "tr -d '\r' <'$OUT' | grep -qx typed-in-shell"

# --- pings ------------------------------------------------------------------------------
guest vm1 "ping -c 2 -W 2 10.0.1.12"
assert "vm1 pings vm2 across the switch" rc_is 0
guest vm1 "ping -c 1 -W 2 10.0.1.21"
assert "vm1 pings the host h1" rc_is 0
guest vm2 "ping -c 1 -W 2 10.0.2.13"
assert "vm2 pings vm3 through the router" rc_is 0
guest vm3 "ping -c 1 -W 2 10.0.1.21"
assert "vm3 pings h1 back through the router" rc_is 0
run "$NETLOOM" exec "$L" h1 -- ping -c 1 -W 2 10.0.1.11
assert "h1 pings vm1" rc_is 0
guest vm1 "uname -n"
assert "a command's output comes back through the console" out_has '^vm1'

# --- capture and impairment on a VM's link ------------------------------------------------
run sh -c '"$0" pcap "$1" vm1:eth1 | tshark -n -r - -Y "icmp && ip.addr == 10.0.1.12" -T fields -e ip.src -e icmp.type 2>/dev/null' "$NETLOOM" "$L"
assert "the capture of vm1's link holds the echo requests the guest sent" \
  grep -q '^10.0.1.11[[:space:]]8$' "$OUT"
assert "the capture of vm1's link holds the echo replies it got" \
  grep -q '^10.0.1.12[[:space:]]0$' "$OUT"
run "$NETLOOM" link "$L" vm1:eth1 set delay=150ms
assert "an impairment on the VM's end is set" rc_is 0
guest vm1 "ping -c 2 -W 3 10.0.1.12"
assert "the delay applies to what the guest sends (rtt >= 150 ms)" \
  sh -c "tr -d '\r' <'$OUT' | grep -Eq 'min/avg/max = (1[5-9][0-9]|[2-9][0-9][0-9])\\.'"
"$NETLOOM" -q link "$L" vm1:eth1 reset

# --- suspend / resume, stop / start --------------------------------------------------------
run "$NETLOOM" node "$L" vm2 suspend
assert "node suspend pauses a VM" rc_is 0
run "$NETLOOM" inspect --json "$L"
assert "the paused VM's status says so" jq -e '.supervisor.vms.vm2.status == "paused"' "$OUT"
guest vm1 "ping -c 1 -W 1 10.0.1.12"
assert "a paused guest does not answer" test "$RC" -ne 0
run "$NETLOOM" node "$L" vm2 resume
assert "node resume continues it" rc_is 0
guest vm1 "ping -c 1 -W 3 10.0.1.12"
assert "the resumed guest answers" rc_is 0

P2=$(qemu_pid vm2)
run "$NETLOOM" node "$L" vm2 stop
assert "node stop powers the VM off" rc_is 0
assert "its QEMU is gone" gone "$P2"
run "$NETLOOM" inspect --json "$L"
assert "the stopped VM's status is shutdown, with no pid" \
  jq -e '.supervisor.vms.vm2.status == "shutdown" and .supervisor.vms.vm2.pid == null' "$OUT"
run "$NETLOOM" node "$L" vm2 start
assert "node start boots it again" rc_is 0
check "the restarted guest is ready again" ready vm2
guest vm1 "ping -c 2 -W 3 10.0.1.12"
assert "vm1 pings vm2 again after its restart (same links and MACs)" rc_is 0
run "$NETLOOM" node "$L" vm3 reset
assert "node reset resets a VM" rc_is 0
run "$NETLOOM" node "$L" h1 suspend
assert "suspend of a host says it is for VMs" err_has 'not a VM'
run "$NETLOOM" console "$L" h1
assert "console of a host says it has none" err_has 'not a VM'
run "$NETLOOM" console --log "$L" vm1
assert "console --log prints the serial log" out_has 'netloom-tiny: ready'

# --- destroy ------------------------------------------------------------------------------
P1=$(qemu_pid vm1)
run "$NETLOOM" destroy "$L"
assert "destroy exits 0" rc_is 0
assert "destroy ends QEMU" gone "$P1"
assert "destroy leaves no namespace" no_netns_of "$PFX-$L"
assert "destroy leaves no state" test ! -e "$NETLOOM_RUN_DIR/$L"
assert "no QEMU of the lab is left" sh -c "! pgrep -f -- '[-]name $L-' >/dev/null"

# A VM with a disk image and its own kernel, initrd, append, memory and CPUs; then
# kill -9 of the supervisor: QEMU dies with it; destroy removes the rest.
K=mk$$
qemu-img create -q -f qcow2 "$T/base.qcow2" 32M
BASE_SUM=$(md5sum <"$T/base.qcow2")
cat >"$T/$K.yaml" <<EOF
name: $K
prefix: $PFX
topology:
  nodes:
    g1:
      kind: vm
      image: base.qcow2
      kernel: $NETLOOM_VM_DIR/netloom-tiny/vmlinuz
      initrd: $NETLOOM_VM_DIR/netloom-tiny/initrd.img
      append: "loglevel=3 netloom-e2e"
      memory: 160m
      cpus: 2
      accel: tcg
    h1: {kind: host}
  links:
    - endpoints: ["g1:eth1", "h1:eth1"]
      ipv4: ["10.9.0.1/24", "10.9.0.2/24"]
EOF
run "$NETLOOM" deploy "$T/$K.yaml"
assert "a VM with a disk image and its own kernel deploys" rc_is 0
L=$K
OVL="$NETLOOM_RUN_DIR/$K/vms/g1/disk.qcow2"
run qemu-img info -U "$OVL"
assert "its disk is a qcow2 overlay in the lab's state, backed by the image" \
  out_has "backing file: $T/base.qcow2"
check "the guest with its own kernel and initrd boots" ready g1
guest g1 "cat /proc/cmdline; ls /sys/block; nproc; grep MemTotal /proc/meminfo"
assert "the guest's command line has the lab file's append before netloom's part" \
  sh -c "tr -d '\r' <'$OUT' | grep -q '^loglevel=3 netloom-e2e console=ttyS0 netloom.if='"
assert "the guest sees the disk (vda), 2 CPUs and about 160 MiB" \
  sh -c "tr -d '\r' <'$OUT' | grep -qx vda && tr -d '\r' <'$OUT' | grep -qx 2 && tr -d '\r' <'$OUT' | grep -Eq 'MemTotal: +1[0-5][0-9]{4} kB'"
guest g1 "echo data >/dev/vda && sync"
assert "the guest writes to its disk" rc_is 0
run "$NETLOOM" exec "$K" h1 -- ping -c 1 -W 2 10.9.0.1
assert "h1 pings the guest" rc_is 0
assert "the base image is never written (the overlay took the write)" \
  test "$(md5sum <"$T/base.qcow2")" = "$BASE_SUM"

# A transparent wire: link-local control frames, which a bridge keeps to itself (STP to
# 01:80:c2:00:00:00 with an 802.3 length, LACP to :02, LLDP to :0e), sent raw from h1,
# all reach the guest's TAP, that is QEMU.
L2SEND="$E2E_TOP/build/tests/tools/l2send"
spawn_bg ip netns exec "$PFX-$K-g1" tcpdump -n -e -l -c 9 -i tap0 \
  'ether dst 01:80:c2:00:00:00 or ether dst 01:80:c2:00:00:02 or ether dst 01:80:c2:00:00:0e' \
  >"$T/tap.txt" 2>"$T/tap.err"
TCPDUMP=$BG
check "tcpdump listens on the guest's TAP" wait_for_output "$T/tap.err" "listening on" "$TCPDUMP"
run sh -c "'$NETLOOM' exec '$K' h1 -- '$L2SEND' eth1 01:80:c2:00:00:00 0026 3 &&
  '$NETLOOM' exec '$K' h1 -- '$L2SEND' eth1 01:80:c2:00:00:02 8809 3 &&
  '$NETLOOM' exec '$K' h1 -- '$L2SEND' eth1 01:80:c2:00:00:0e 88cc 3"
assert "h1 sends STP, LACP and LLDP frames" rc_is 0
check "the nine frames reach the TAP" gone "$TCPDUMP"
run cat "$T/tap.txt"
for m in "01:80:c2:00:00:00, 802.3" "01:80:c2:00:00:02, ethertype Slow" "01:80:c2:00:00:0e, ethertype LLDP"; do
  assert "... three to $m" test "$(grep -c -F -e "> $m" "$OUT")" -eq 3
done
PK=$(qemu_pid g1)
SUP=$("$NETLOOM" inspect --json "$K" | jq -r '.supervisor.pid')
kill -9 "$SUP"
assert "kill -9 of the supervisor takes QEMU with it" gone "$PK"
run "$NETLOOM" destroy "$K"
assert "destroy after the kill exits 0" rc_is 0
assert "nothing of the killed lab is left" sh -c "! ls /run/netns | grep -q '^$PFX-$K-' && test ! -e '$NETLOOM_RUN_DIR/$K'"

# --- errors -----------------------------------------------------------------------------
cat >"$T/$K.yaml" <<EOF
name: $K
prefix: $PFX
topology:
  nodes:
    g1: {kind: vm}
    h1: {kind: host}
  links:
    - endpoints: ["g1:eth1", "h1:eth1"]
      ipv4: ["10.9.0.1/24", "10.9.0.2/24"]
EOF
run env NETLOOM_VM_DIR="$T/none" "$NETLOOM" deploy "$T/$K.yaml"
assert "a missing built-in guest fails the deploy" test "$RC" -ne 0
assert "... naming the node's line in the file and make vm-image" \
  sh -c "grep -q '$K.yaml:[0-9]*:[0-9]*: error: node .g1.*make vm-image' '$ERR'"
assert "... before anything was created" test ! -e "$NETLOOM_RUN_DIR/$K"

mkdir -p "$T/bad/netloom-tiny"
head -c 65536 /dev/urandom >"$T/bad/netloom-tiny/vmlinuz"
cp "$NETLOOM_VM_DIR/netloom-tiny/initrd.img" "$T/bad/netloom-tiny/"
run env NETLOOM_VM_DIR="$T/bad" "$NETLOOM" deploy "$T/$K.yaml"
assert "a kernel QEMU cannot boot fails the deploy" rc_is 1
assert "... saying QEMU exited before the VM started, and that it rolled back" \
  sh -c "grep -q 'QEMU exited.*before the VM started' '$ERR' && grep -q 'rolled back' '$ERR'"
assert "... leaving no namespace and no state" \
  sh -c "! ls /run/netns | grep -q '^$PFX-$K-' && test ! -e '$NETLOOM_RUN_DIR/$K'"
assert "... and no QEMU" sh -c "! pgrep -f -- '[-]name $K-' >/dev/null"

finish
