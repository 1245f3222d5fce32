#!/bin/sh
# Fuzzes the packet decoder: builds tests/fuzz/fuzz_decode.c with core/decode.c (not the
# library, so nothing else is instrumented) under libFuzzer, ASan and UBSan, and runs it
# for the given number of seconds (default 60). The seeds in tests/fuzz/corpus/ are the
# unit test's hand-made frames; to refresh them after changing those frames, run
#   LOOM_DECODE_CORPUS_DIR=tests/fuzz/corpus LOOM_DECODE_RANDOM=0 build/tests/unit/test_decode
# New inputs the fuzzer finds go to build/fuzz/corpus/, crashes to build/fuzz/crash-*;
# replay one with: build/fuzz/fuzz_decode build/fuzz/crash-<id>
# Needs clang and its runtime libraries (Debian: clang libclang-rt-dev).
set -eu
secs=${1:-60}
top=$(cd "$(dirname "$0")/../.." && pwd)
out="$top/build/fuzz"
cc=${CLANG:-clang}

if ! command -v "$cc" >/dev/null 2>&1; then
  echo "run.sh: $cc not found (Debian: apt-get install clang libclang-rt-dev)" >&2
  exit 1
fi
mkdir -p "$out/corpus"
"$cc" -std=gnu11 -D_GNU_SOURCE -g -O1 -I"$top" \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  -o "$out/fuzz_decode" "$top/tests/fuzz/fuzz_decode.c" "$top/core/decode.c"
exec "$out/fuzz_decode" -max_total_time="$secs" -max_len=4096 \
  -dict="$top/tests/fuzz/decode.dict" -artifact_prefix="$out/" -print_final_stats=1 \
  "$out/corpus" "$top/tests/fuzz/corpus"
