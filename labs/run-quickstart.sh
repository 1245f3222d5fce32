#!/bin/sh
# What `make run` runs after building: deploy labs/quickstart.yaml (redeploying it when
# it is already up), ping from h1 across the router r1 to h3, then say what to try next.
# Exits non-zero when the deploy or the ping fails, and leaves a failed lab in place so
# it can be looked at.
#
#   sh labs/run-quickstart.sh [path/to/netloom]     (default: build/netloom)
set -u

netloom=${1:-build/netloom}
lab=$(dirname "$0")/quickstart.yaml

if [ ! -x "$netloom" ]; then
  echo "run-quickstart: $netloom is not built (run 'make' first)" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "run-quickstart: netloom builds network namespaces, which needs root" >&2
  exit 1
fi

if "$netloom" inspect quickstart >/dev/null 2>&1; then
  echo "== lab quickstart is already deployed: redeploying it"
  "$netloom" deploy --reconfigure "$lab" || exit 1
else
  echo "== deploying $lab"
  "$netloom" deploy "$lab" || exit 1
fi

echo
echo "== h1 (10.0.1.11) pings h3 (10.0.2.13) on the other subnet, through r1"
echo "\$ $netloom exec quickstart h1 -- ping -c 3 10.0.2.13"
if ! "$netloom" exec quickstart h1 -- ping -c 3 10.0.2.13; then
  echo "run-quickstart: the ping did not cross; the lab is still up to look at:" >&2
  echo "  $netloom inspect quickstart" >&2
  echo "  $netloom exec quickstart r1 -- ip addr" >&2
  exit 1
fi

# The binary's path is what the user typed to get here, so the hints use it too.
try () {
  printf '  %-46s  # %s\n' "$1" "$2"
}
echo
echo "The lab is up. Try:"
try "$netloom exec quickstart h2 -- ip addr" "h2's interfaces and addresses"
try "$netloom exec quickstart h1 -- ip route" "its default route, via r1"
try "$netloom shell quickstart h1" "a shell inside h1 ('exit' to leave)"
try "ip netns list" "one namespace per node"
try "ip netns exec nlm-quickstart-h3 ip addr" "namespaces work with ip(8) too"
try "$netloom inspect" "the table above, again"
try "$netloom destroy quickstart" "remove the lab"
