#!/bin/sh
# Broken lab files: each error is reported as file:line:col with a useful message, the
# exit status is 2, and a bad file given to deploy changes nothing. Containerlab files:
# `kind: linux` is refused with its line, containerlab-only keys only warn.
. "$(dirname "$0")/lib.sh.inc"
e2e_init e
cd "$T" || exit 1

# bad_lab NAME: writes stdin to NAME.yaml.
bad_lab () {
  cat >"$1.yaml"
}

# expect_error FILE LINE:COL PHRASE: `validate FILE` exits 2 and its stderr has
# "FILE:LINE:COL: error: ...PHRASE...".
expect_error () {
  run "$NETLOOM" validate "$1"
  assert "$1: validate exits 2" rc_is 2
  assert "$1: error at $2: $3" err_has_fixed "$1:$2: error: "
  assert "$1: the message at $2 says \"$3\"" grep -q -F -e "$3" "$ERR"
  assert "$1: the message at $2 and \"$3\" are on the same line" \
    sh -c 'grep -F -e "$1" "$2" | grep -q -F -e "$3"' sh "$1:$2: error: " "$ERR" "$3"
  assert "$1: nothing on stdout" out_empty
}

bad_lab kinnd <<'EOF'
name: kinnd
topology:
  nodes:
    h1:
      kinnd: host
    h2: {kind: host}
  links:
    - endpoints: ["h1:eth1", "h2:eth1"]
EOF
expect_error kinnd.yaml 5:7 "unknown key 'kinnd'"
assert "kinnd.yaml: the message suggests 'kind'" err_has_fixed "did you mean 'kind'?"
assert "kinnd.yaml: the message lists the expected keys" \
  err_has_fixed "expected one of: kind, group, image, exec, env"

bad_lab badkind <<'EOF'
name: badkind
topology:
  nodes:
    h1: {kind: hots}
    h2: {kind: host}
  links:
    - endpoints: ["h1:eth1", "h2:eth1"]
EOF
expect_error badkind.yaml 4:16 "unknown kind 'hots'"
assert "badkind.yaml: the message lists the kinds" err_has_fixed "host, router, switch, hub"

bad_lab undef <<'EOF'
name: undef
topology:
  nodes:
    h1: {kind: host}
    h2: {kind: host}
  links:
    - endpoints: ["h1:eth1", "h3:eth1"]
EOF
expect_error undef.yaml 7:30 "node 'h3' is not defined (nodes: h1, h2)"

bad_lab badip <<'EOF'
name: badip
topology:
  nodes:
    h1: {kind: host}
    h2: {kind: host}
  links:
    - endpoints: ["h1:eth1", "h2:eth1"]
      ipv4: ["10.0.0.1/24", "10.0.0.300/24"]
EOF
expect_error badip.yaml 8:29 "invalid address '10.0.0.300/24'"

bad_lab dupkey <<'EOF'
name: dupkey
topology:
  nodes:
    h1:
      kind: host
      kind: router
    h2: {kind: host}
  links:
    - endpoints: ["h1:eth1", "h2:eth1"]
EOF
expect_error dupkey.yaml 6:7 "duplicate key 'kind'"

bad_lab dupnode <<'EOF'
name: dupnode
topology:
  nodes:
    h1: {kind: host}
    h1: {kind: host}
EOF
expect_error dupnode.yaml 5:5 "node 'h1' is defined twice"

bad_lab syntax <<'EOF'
name: syntax
topology:
  nodes:
    h1: {kind: host}
    h2: {kind: host}
  links:
    - endpoints: ["h1:eth1", "h2:eth1"
EOF
run "$NETLOOM" validate syntax.yaml
assert "syntax.yaml (unclosed bracket): validate exits 2" rc_is 2
assert "syntax.yaml: reported as invalid YAML with file:line:col" \
  err_has '^syntax\.yaml:[0-9][0-9]*:[0-9][0-9]*: error: invalid YAML'
assert "syntax.yaml: the message points back at the unclosed bracket on line 7" \
  err_has_fixed "line 7"

bad_lab vlan <<'EOF'
name: vlan
topology:
  nodes:
    sw:
      kind: switch
      vlan-filtering: true
      interfaces:
        p1: {vlan: 4095}
    h1: {kind: host}
  links:
    - endpoints: ["h1:eth1", "sw:p1"]
EOF
expect_error vlan.yaml 8:20 "expected a VLAN id (an integer from 1 to 4094) for 'vlan', found '4095'"

bad_lab three <<'EOF'
name: three
topology:
  nodes:
    h1: {kind: host, kinnd: host}
    h2: {kind: hots}
  links:
    - endpoints: ["h1:eth1", "h9:eth1"]
EOF
run "$NETLOOM" validate three.yaml
assert "three.yaml: validate exits 2" rc_is 2
assert "three.yaml: first error (unknown key, 4:22) reported" \
  err_has_fixed "three.yaml:4:22: error: unknown key 'kinnd'"
assert "three.yaml: second error (unknown kind, 5:16) reported" \
  err_has_fixed "three.yaml:5:16: error: unknown kind 'hots'"
assert "three.yaml: third error (undefined node, 7:30) reported" \
  err_has_fixed "three.yaml:7:30: error: node 'h9' is not defined"
assert "three.yaml: exactly three errors" test "$(grep -c ': error: ' "$ERR")" -eq 3

# validate with several files: a good one and a bad one -> 2, both reported on.
lab_from_quickstart good good.yaml
run "$NETLOOM" validate good.yaml badkind.yaml
assert "validate good + bad file exits 2" rc_is 2
assert "validate good + bad file still says the good one is valid" out_has "lab 'good' is valid"
assert "validate good + bad file reports the bad one" err_has_fixed "badkind.yaml:4:16: error:"

# --- a bad file given to deploy changes nothing --------------------------------------
for f in three badip syntax; do
  # give it our prefix, so that anything it did create would be found and removed
  sed -e "1a prefix: $PFX" "$f.yaml" >"dep-$f.yaml"
  run "$NETLOOM" deploy "dep-$f.yaml"
  assert "deploy dep-$f.yaml (errors) exits 2" rc_is 2
  assert "deploy dep-$f.yaml reports the error with file:line:col" \
    err_has "^dep-$f\\.yaml:[0-9][0-9]*:[0-9][0-9]*: error: "
  assert "deploy dep-$f.yaml creates no namespace" no_netns_of "$PFX"
  assert "deploy dep-$f.yaml creates no state dir" test ! -e "$NETLOOM_RUN_DIR/$f"
  assert "deploy dep-$f.yaml creates no lab dir" test ! -e "netloom-$f"
done
run "$NETLOOM" list
assert "list shows no lab after the refused deploys" test "$(grep -c -v '^NAME' "$OUT")" -eq 0

# --- containerlab files --------------------------------------------------------------
cat >clab.yaml <<EOF
name: clab
prefix: $PFX
topology:
  nodes:
    srl:
      kind: linux
      image: alpine:latest
    h2:
      kind: host
  links:
    - endpoints: ["srl:eth1", "h2:eth1"]
EOF
run "$NETLOOM" validate clab.yaml
assert "kind: linux: validate exits 2" rc_is 2
assert "kind: linux: an image not in the store is an error at the image, 7:14" \
  err_has_fixed "clab.yaml:7:14: error: node 'srl': "
assert "kind: linux: the error names the image" err_has_fixed "alpine"
run "$NETLOOM" deploy clab.yaml
assert "kind: linux: deploy exits 2" rc_is 2
assert "kind: linux: deploy names the missing image" err_has_fixed "alpine"
assert "kind: linux: deploy creates no namespace" no_netns_of "$PFX"
assert "kind: linux: deploy creates no state dir" test ! -e "$NETLOOM_RUN_DIR/clab"

cat >clabkeys.yaml <<EOF
name: ck
prefix: $PFX
topology:
  nodes:
    h1:
      kind: host
      mgmt-ipv4: 172.20.20.2
      startup-delay: 5
    h2:
      kind: host
  links:
    - endpoints: ["h1:eth1", "h2:eth1"]
      ipv4: ["192.168.77.1/24", "192.168.77.2/24"]
EOF
run "$NETLOOM" validate clabkeys.yaml
assert "containerlab-only keys: validate exits 0" rc_is 0
assert "containerlab-only keys: warning for mgmt-ipv4 at 7:7" \
  err_has_fixed "clabkeys.yaml:7:7: warning: 'mgmt-ipv4'"
assert "containerlab-only keys: warning for startup-delay at 8:7" \
  err_has_fixed "clabkeys.yaml:8:7: warning: 'startup-delay'"
assert "containerlab-only keys: no error" test "$(grep -c ': error: ' "$ERR")" -eq 0
run "$NETLOOM" deploy clabkeys.yaml
assert "containerlab-only keys: deploy exits 0" rc_is 0
assert "containerlab-only keys: deploy warns too" err_has_fixed "warning: 'mgmt-ipv4'"
check "containerlab-only keys: the deployed lab works (h1 pings h2)" \
  "$NETLOOM" exec ck h1 -- ping -c1 -W2 192.168.77.2
run "$NETLOOM" destroy ck
assert "containerlab-only keys: destroy exits 0" rc_is 0
assert "containerlab-only keys: no namespace left" no_netns_of "$PFX"

finish
