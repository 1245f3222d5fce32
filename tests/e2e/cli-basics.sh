#!/bin/sh
# The netloom command as a user meets it: help and version, validate, then the whole
# life of the quickstart lab: deploy, inspect, list, exec, ip netns, a second deploy,
# --reconfigure, destroy by path.
. "$(dirname "$0")/lib.sh.inc"
e2e_init c

LAB=qs$$
FILE="$T/$LAB.yaml"
lab_from_quickstart "$LAB" "$FILE"
NS="$PFX-$LAB"

# --- help and version ----------------------------------------------------------------
run "$NETLOOM" version
assert "version exits 0" rc_is 0
assert "version prints 'netloom <version>'" out_has '^netloom [0-9][0-9.]*'

run "$NETLOOM" help
assert "help exits 0" rc_is 0
assert "help prints the usage" out_has '^usage: netloom'
assert "help lists the deploy command" out_has '^ *deploy'
assert "help lists the exec command" out_has '^ *exec'

run "$NETLOOM" help deploy
assert "help deploy exits 0" rc_is 0
assert "help deploy prints deploy's usage" out_has '^usage: netloom deploy'
assert "help deploy mentions --reconfigure" out_has '--reconfigure'
cp "$OUT" "$T/help-deploy"

run "$NETLOOM" deploy --help
assert "deploy --help exits 0" rc_is 0
assert "deploy --help prints the same page as help deploy" cmp -s "$OUT" "$T/help-deploy"

run "$NETLOOM" frobnicate
assert "an unknown command exits 2" rc_is 2
assert "an unknown command is named in the message" err_has "unknown command 'frobnicate'"

run "$NETLOOM" help frobnicate
assert "help for an unknown command exits 2" rc_is 2

# --- validate changes nothing --------------------------------------------------------
run "$NETLOOM" validate "$FILE"
assert "validate on a good lab exits 0" rc_is 0
assert "validate says the lab is valid" out_has "lab '$LAB' is valid: 5 nodes, 4 links"
assert "validate creates no namespace" no_netns_of "$PFX"
assert "validate creates no state dir" test ! -e "$NETLOOM_RUN_DIR/$LAB"
assert "validate creates no lab dir" test ! -e "$T/netloom-$LAB"

# --- as an ordinary user ------------------------------------------------------------
if command -v setpriv >/dev/null 2>&1; then
  chmod 755 "$T"
  run setpriv --reuid 65534 --regid 65534 --clear-groups "$NETLOOM" validate "$FILE"
  assert "validate works without root" rc_is 0
  run setpriv --reuid 65534 --regid 65534 --clear-groups "$NETLOOM" deploy "$FILE"
  assert "deploy without root exits 1" rc_is 1
  assert "deploy without root says it must be run as root" err_has "deploy: must be run as root"
  assert "deploy without root creates nothing" no_netns_of "$PFX"
else
  echo "# setpriv not installed: non-root checks skipped"
fi

# --- deploy --------------------------------------------------------------------------
run "$NETLOOM" deploy "$FILE"
assert "deploy exits 0" rc_is 0
assert "deploy says what it deployed" out_has "deployed lab '$LAB': 5 nodes, 4 links"
for n in h1 h2 sw1 r1 h3; do
  assert "namespace $NS-$n exists after deploy" netns_exists "$NS-$n"
done
assert "the state dir exists" test -d "$NETLOOM_RUN_DIR/$LAB"
assert "topology-data.json is in netloom-$LAB/ next to the lab file" \
  test -s "$T/netloom-$LAB/topology-data.json"

run "$NETLOOM" inspect "$LAB"
assert "inspect exits 0" rc_is 0
for n in h1 h2 sw1 r1 h3; do
  assert "inspect shows $n running" out_has "| $LAB *| $n *| [a-z]* *| running *| $NS-$n "
done
assert "inspect shows h1's address" out_has '10\.0\.1\.11/24'

run "$NETLOOM" inspect "$FILE"
assert "inspect by lab file exits 0" rc_is 0
assert "inspect by lab file shows the lab" out_has "| $LAB *| h3 "

if command -v jq >/dev/null 2>&1; then
  run "$NETLOOM" inspect --json "$LAB"
  assert "inspect --json exits 0" rc_is 0
  assert "inspect --json is valid JSON" jq -e . "$OUT"
  assert "inspect --json: name, prefix and status" \
    jq -e --arg l "$LAB" --arg p "$PFX" '.name == $l and .prefix == $p and .status == "running"' "$OUT"
  assert "inspect --json: 5 nodes, all running" \
    jq -e '(.nodes | length) == 5 and all(.nodes[]; .state == "running")' "$OUT"
  assert "inspect --json: 4 links" jq -e '(.links | length) == 4' "$OUT"
  assert "inspect --json: h1 has 10.0.1.11/24 on eth1" \
    jq -e '.nodes[] | select(.name == "h1") | .interfaces[] | select(.name == "eth1") | .ipv4 | index("10.0.1.11/24") != null' "$OUT"
  run "$NETLOOM" inspect --json --all
  assert "inspect --json --all is a JSON array" jq -e 'type == "array" and length == 1' "$OUT"
else
  echo "# jq not installed: inspect --json not checked"
fi

if command -v setpriv >/dev/null 2>&1; then
  run setpriv --reuid 65534 --regid 65534 --clear-groups "$NETLOOM" inspect "$LAB"
  assert "inspect works without root" rc_is 0
  assert "inspect without root shows the nodes running" test "$(grep -c "| running " "$OUT")" -eq 5
  run setpriv --reuid 65534 --regid 65534 --clear-groups "$NETLOOM" exec "$LAB" h1 -- true
  assert "exec without root exits 1" rc_is 1
fi

run "$NETLOOM" list
assert "list exits 0" rc_is 0
assert "list shows the lab as running with 5 nodes" out_has "^$LAB  *running  *5  *$FILE"

# --- exec ----------------------------------------------------------------------------
check "exec h1 ping h3 across the router" "$NETLOOM" exec "$LAB" h1 -- ping -c1 -W2 10.0.2.13
check "exec h1 ping h2 on the switch" "$NETLOOM" exec "$LAB" h1 -- ping -c1 -W2 10.0.1.12
check "exec by lab file" "$NETLOOM" exec "$FILE" h3 -- ping -c1 -W2 10.0.1.11
check_rc 7 "exec passes the command's exit status through (7)" \
  "$NETLOOM" exec "$LAB" h1 -- sh -c 'exit 7'
check_rc 137 "exec: a command killed by signal 9 gives 128+9" \
  "$NETLOOM" exec "$LAB" h1 -- sh -c 'kill -9 $$'

run "$NETLOOM" exec "$LAB" h1 -- ip -br addr show eth1
assert "exec runs inside the node (h1 sees 10.0.1.11 on eth1)" out_has '10\.0\.1\.11/24'

run "$NETLOOM" exec "$LAB" h9 -- true
assert "exec on an unknown node exits 1" rc_is 1
assert "exec on an unknown node names the lab's nodes" \
  err_has_fixed "has no node 'h9' (its nodes: h1, h2, sw1, r1, h3)"

run "$NETLOOM" exec "nosuchlab$$" h1 -- true
assert "exec on an unknown lab exits 1" rc_is 1

run ip netns exec "$NS-h1" ip -br addr
assert "ip netns exec works on a node's namespace" rc_is 0
assert "ip netns exec sees h1's 10.0.1.11" out_has '10\.0\.1\.11/24'

# --- deploying again -----------------------------------------------------------------
run "$NETLOOM" deploy "$FILE"
assert "deploying the same lab again exits 1" rc_is 1
assert "deploying the same lab again says 'already deployed'" err_has "already deployed"
check "the lab still works after the refused second deploy" \
  "$NETLOOM" exec "$LAB" h1 -- ping -c1 -W2 10.0.2.13
run "$NETLOOM" inspect "$LAB"
assert "inspect still shows all nodes running after the second deploy" \
  test "$(grep -c "| running " "$OUT")" -eq 5

run "$NETLOOM" deploy --reconfigure "$FILE"
assert "deploy --reconfigure exits 0" rc_is 0
assert "deploy --reconfigure deploys the lab again" out_has "deployed lab '$LAB'"
check "the lab works after --reconfigure" "$NETLOOM" exec "$LAB" h1 -- ping -c1 -W2 10.0.2.13
assert "after --reconfigure there are still exactly 5 namespaces" \
  test "$(our_netns | wc -l)" -eq 5

# --- destroy by path -----------------------------------------------------------------
run "$NETLOOM" destroy "$FILE"
assert "destroy FILE exits 0" rc_is 0
assert "destroy says what it destroyed" out_has "destroyed lab '$LAB'"
assert "no namespace with the prefix remains" no_netns_of "$PFX"
assert "ip netns list shows no namespace with the prefix" \
  sh -c '! ip netns list 2>/dev/null | grep -q "^$0-"' "$PFX"
assert "no /run/netns mount with the prefix remains" no_netns_mounts
assert "the state dir is gone" test ! -e "$NETLOOM_RUN_DIR/$LAB"
run "$NETLOOM" list
assert "list exits 0 with no lab" rc_is 0
assert "list shows no lab" test "$(grep -c -v '^NAME' "$OUT")" -eq 0
run "$NETLOOM" destroy "$LAB"
assert "destroying it again exits 1 (no such lab)" rc_is 1

# --- the lab directory ./netloom-<lab>/ ----------------------------------------------
# docs/cli.md: destroy removes the files deploy made in ./netloom-<lab>/ but keeps the
# link captures (captures/) and a user's own files until --cleanup.
assert "destroy keeps only captures/ in ./netloom-$LAB/" \
  test "$(ls -A "$T/netloom-$LAB")" = "captures"
assert "the kept captures include h1's link" \
  test -f "$T/netloom-$LAB/captures/h1-eth1/h1-eth1-000001.pcapng"
run "$NETLOOM" -q deploy "$FILE"
assert "deploy again" rc_is 0
echo "my notes" >"$T/netloom-$LAB/notes.txt"
run "$NETLOOM" destroy "$LAB"
assert "destroy by name exits 0" rc_is 0
assert "destroy never removes a user's own file in ./netloom-$LAB/" test -f "$T/netloom-$LAB/notes.txt"
run "$NETLOOM" -q deploy "$FILE"
assert "deploy once more" rc_is 0
run "$NETLOOM" destroy --cleanup "$LAB"
assert "destroy --cleanup exits 0" rc_is 0
assert "destroy --cleanup removes ./netloom-$LAB/" test ! -e "$T/netloom-$LAB"
assert "destroy --cleanup leaves the lab file alone" test -f "$FILE"

# --- destroy --all -------------------------------------------------------------------
lab_from_quickstart "${LAB}b" "$T/${LAB}b.yaml"
run "$NETLOOM" -q deploy "$FILE"
assert "deploy a first lab for destroy --all" rc_is 0
run "$NETLOOM" -q deploy "$T/${LAB}b.yaml"
assert "deploy a second lab for destroy --all" rc_is 0
run "$NETLOOM" destroy --all
assert "destroy --all exits 0" rc_is 0
assert "destroy --all destroyed both labs" \
  sh -c 'grep -q "destroyed lab .$0." "$2" && grep -q "destroyed lab .$1." "$2"' "$LAB" "${LAB}b" "$OUT"
assert "after destroy --all no namespace with the prefix remains" no_netns_of "$PFX"
run "$NETLOOM" destroy --all
assert "destroy --all with nothing deployed exits 0" rc_is 0

finish
