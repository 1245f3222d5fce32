#!/bin/sh
# A deploy killed with kill -9 half-way: inspect and list say so, and destroy removes
# every namespace (and its /run/netns mount) and the state. Then two labs with the same
# node names side by side: destroying one leaves the other working.
. "$(dirname "$0")/lib.sh.inc"
e2e_init k

# --- kill -9 during a deploy ---------------------------------------------------------
HOSTS=150
BIG=big$$
BIGFILE="$T/$BIG.yaml"
{
  echo "name: $BIG"
  echo "prefix: $PFX"
  echo "topology:"
  echo "  nodes:"
  echo "    sw: {kind: switch}"
  echo "    r: {kind: router}"
  i=1
  while [ "$i" -le "$HOSTS" ]; do
    echo "    h$i: {kind: host, routes: [\"default via 10.1.0.1\"]}"
    i=$((i + 1))
  done
  echo "  links:"
  echo "    - endpoints: [\"r:eth1\", \"sw:p0\"]"
  echo "      ipv4: [\"10.1.0.1/16\", \"\"]"
  i=1
  while [ "$i" -le "$HOSTS" ]; do
    echo "    - endpoints: [\"h$i:eth1\", \"sw:p$i\"]"
    echo "      ipv4: [\"10.1.$((i / 200)).$((i % 200 + 2))/16\", \"\"]"
    i=$((i + 1))
  done
} >"$BIGFILE"

run "$NETLOOM" validate "$BIGFILE"
assert "the generated $HOSTS-host lab is valid" rc_is 0

JOURNAL="$NETLOOM_RUN_DIR/$BIG/journal"
spawn_bg "$NETLOOM" -q deploy "$BIGFILE" >"$T/deploy.out" 2>&1
DEPLOY=$BG
# Wait for the deploy's progress: at least 40 journal lines, at most 30 s.
lines=0
tries=0
while [ "$tries" -lt 600 ]; do
  lines=0
  [ -f "$JOURNAL" ] && lines=$(wc -l 2>/dev/null <"$JOURNAL")
  [ "${lines:-0}" -ge 40 ] && break
  kill -0 "$DEPLOY" 2>/dev/null || break
  sleep 0.05
  tries=$((tries + 1))
done
kill -9 "$DEPLOY" 2>/dev/null
wait "$DEPLOY" 2>/dev/null
deploy_rc=$?
BG_PIDS=""
RUN_CMD="kill -9 of: netloom deploy $BIGFILE (journal: $lines lines)"
RC=$deploy_rc
cp "$T/deploy.out" "$OUT"
: >"$ERR"
assert "the deploy was still running when it got kill -9 (journal at $lines lines)" rc_is 137
assert "the killed deploy left namespaces behind (something to clean up)" \
  test "$(our_netns | wc -l)" -gt 0

run "$NETLOOM" inspect "$BIG"
assert "inspect after the kill does not crash (exit 0 or 1)" test "$RC" -le 1
assert "inspect after the kill shows the nodes never created as missing" out_has '| missing '
if command -v jq >/dev/null 2>&1; then
  run "$NETLOOM" inspect --json "$BIG"
  assert "inspect --json after the kill reports the lab as failed" \
    jq -e '.status == "failed" or .status == "interrupted"' "$OUT"
  assert "inspect --json after the kill: nodes never created are 'missing'" \
    jq -e '[.nodes[] | select(.state == "missing")] | length > 0' "$OUT"
fi
run "$NETLOOM" list
assert "list after the kill exits 0" rc_is 0
assert "list after the kill shows the lab as failed" out_has "^$BIG  *\\(failed\\|interrupted\\|unknown\\) "

run "$NETLOOM" destroy "$BIG"
assert "destroy after the kill exits 0" rc_is 0
assert "destroy after the kill says it destroyed the lab" out_has "destroyed lab '$BIG'"
assert "no namespace with the prefix remains after destroy" no_netns_of "$PFX"
assert "ip netns list shows no namespace with the prefix" \
  sh -c '! ip netns list 2>/dev/null | grep -q "^$0-"' "$PFX"
assert "no /run/netns/$PFX* mount remains" no_netns_mounts
assert "the killed lab's state dir is gone" test ! -e "$NETLOOM_RUN_DIR/$BIG"
run "$NETLOOM" list
assert "list no longer shows the killed lab" sh -c '! grep -q "^$0 " "$1"' "$BIG" "$OUT"

# --- a namespace that is already there is not ours -----------------------------------
CL=cl$$
lab_from_quickstart "$CL" "$T/$CL.yaml"
ip netns add "$PFX-$CL-h2"
ino=$(stat -L -c %i "/run/netns/$PFX-$CL-h2")
run "$NETLOOM" deploy "$T/$CL.yaml"
assert "deploy over an existing namespace ($PFX-$CL-h2, from ip netns add) exits 1" rc_is 1
assert "the error names the namespace that already exists" \
  err_has_fixed "namespace $PFX-$CL-h2 already exists"
assert "the rollback leaves the existing namespace alone (same namespace)" \
  test "$(stat -L -c %i "/run/netns/$PFX-$CL-h2" 2>/dev/null)" = "$ino"
assert "the rollback removes the lab's own namespaces" \
  test "$(our_netns | grep -c -e "^$PFX-$CL-")" -eq 1
assert "the rolled-back lab has no state dir" test ! -e "$NETLOOM_RUN_DIR/$CL"
ip netns delete "$PFX-$CL-h2"

# --- two labs with the same node names -----------------------------------------------
QA=qa$$
QB=qb$$
lab_from_quickstart "$QA" "$T/$QA.yaml"
lab_from_quickstart "$QB" "$T/$QB.yaml"
run "$NETLOOM" -q deploy "$T/$QA.yaml"
assert "deploy the first quickstart copy ($QA)" rc_is 0
run "$NETLOOM" -q deploy "$T/$QB.yaml"
assert "deploy the second quickstart copy ($QB), same node names and addresses" rc_is 0
assert "both labs have their 5 namespaces" test "$(our_netns | wc -l)" -eq 10
check "$QA: h1 pings h3" "$NETLOOM" exec "$QA" h1 -- ping -c1 -W2 10.0.2.13
check "$QB: h1 pings h3" "$NETLOOM" exec "$QB" h1 -- ping -c1 -W2 10.0.2.13
run "$NETLOOM" list
assert "list shows both labs running" \
  sh -c 'grep -q "^$0  *running" "$2" && grep -q "^$1  *running" "$2"' "$QA" "$QB" "$OUT"

run "$NETLOOM" destroy "$QA"
assert "destroy $QA exits 0" rc_is 0
assert "$QA's namespaces are gone" no_netns_of "$PFX-$QA"
assert "$QB's 5 namespaces are still there" \
  test "$(our_netns | grep -c -e "^$PFX-$QB-")" -eq 5
check "$QB: h1 still pings h3" "$NETLOOM" exec "$QB" h1 -- ping -c1 -W2 10.0.2.13
check "$QB: h1 still pings h2" "$NETLOOM" exec "$QB" h1 -- ping -c1 -W2 10.0.1.12
run "$NETLOOM" exec "$QA" h1 -- true
assert "exec in the destroyed lab fails with exit 1" rc_is 1
run "$NETLOOM" list
assert "list shows only $QB" \
  sh -c '! grep -q "^$0 " "$2" && grep -q "^$1  *running" "$2"' "$QA" "$QB" "$OUT"
run "$NETLOOM" destroy "$QB"
assert "destroy $QB exits 0" rc_is 0
assert "no namespace with the prefix remains" no_netns_of "$PFX"

finish
