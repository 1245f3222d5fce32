#!/bin/sh
# Runs the whole suite: every Check program under build/tests/ and every end-to-end
# script in tests/e2e/. Each Check program prints its own summary; e2e scripts print
# "ok - ..." / "not ok - ..." lines. The last line is "N passed, N failed" for CI.
# Must run as root (the netns and e2e tests build real namespaces).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
export NETLOOM="$top/build/netloom"
export CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-120}
# Each run gets its own namespace prefix so leftovers of another run never collide.
export NETLOOM_TEST_PREFIX="t$$"
passed=0
failed=0
failed_names=""
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# An e2e test is a script that sources lib.sh.inc; other scripts there are tools the
# tests use (mkimage.sh).
for t in $(find build/tests -type f -perm -u+x -name 'test_*' | sort) \
  $(grep -l 'lib\.sh\.inc' tests/e2e/*.sh 2>/dev/null | sort); do
  printf '== %s\n' "$t"
  # A hung program must not hang CI: each gets a bound far above its normal time.
  case "$t" in
    *.sh) timeout 900 sh "$t" >"$out" 2>&1 ;;
    *) timeout 1200 "$t" >"$out" 2>&1 ;;
  esac
  rc=$?
  [ "$rc" -eq 124 ] && echo "$t: timed out" >>"$out"
  cat "$out"
  case "$t" in
    *.sh)
      p=$(grep -c '^ok - ' "$out")
      f=$(grep -c '^not ok - ' "$out")
      ;;
    *)
      line=$(grep -E '^[0-9]+%: Checks: [0-9]+' "$out" | tail -n 1)
      if [ -n "$line" ]; then
        checks=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
        fails=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
        errs=$(echo "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
        f=$((fails + errs))
        p=$((checks - f))
      else
        p=0
        f=0
      fi
      ;;
  esac
  # A program that crashed or printed no count still counts as one failure.
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1
  fi
  passed=$((passed + p))
  failed=$((failed + f))
  [ "$f" -gt 0 ] && failed_names="$failed_names $t"
done

if [ -n "$failed_names" ]; then
  echo "failing:$failed_names"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
