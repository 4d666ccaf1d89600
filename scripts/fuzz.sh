#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds and runs the libFuzzer target over the GraphDef wire walker
# (native/fuzz/fuzz_graphdef_wire.cc + native/wire/graphdef_wire.cc) with ASan + UBSan.
#
#   scripts/fuzz.sh [seconds]      # default 600
#   scripts/fuzz.sh --replay [files or dirs]
#       no libFuzzer needed: builds the target with native/fuzz/replay_main.cc (CXX, default
#       g++, with ASan + UBSan) and runs it once over the committed corpus, the reproducers
#       in native/fuzz/artifacts/ and any given paths; exits non-zero on a violation.
#
# Needs clang with libFuzzer (Debian: apt-get install clang). Environment:
#   CXX_FUZZ     compiler (default clang++)
#   FUZZ_BUILD   build/work directory (default build-fuzz/, git-ignored)
#   FUZZ_FLAGS   extra libFuzzer flags
# The seeds in native/fuzz/corpus/ are read, never written; new inputs go to
# $FUZZ_BUILD/corpus. Reproducers (crash-*, leak-*, timeout-*, oom-*) go to
# native/fuzz/artifacts/ (git-ignored). Exits non-zero when the fuzzer finds anything.
# One job, niced: the machine is shared.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ "${1:-}" = "--replay" ]; then
  shift
  out="${FUZZ_BUILD:-$root/build-fuzz}"
  mkdir -p "$out"
  "${CXX:-g++}" -std=c++17 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
    -fno-sanitize-recover=all -Wall -Wextra \
    "$root/native/fuzz/fuzz_graphdef_wire.cc" "$root/native/fuzz/replay_main.cc" \
    "$root/native/wire/graphdef_wire.cc" -o "$out/replay_graphdef_wire"
  inputs=("$root/native/fuzz/corpus")
  [ -d "$root/native/fuzz/artifacts" ] && inputs+=("$root/native/fuzz/artifacts")
  exec "$out/replay_graphdef_wire" "${inputs[@]}" "$@"
fi

seconds="${1:-600}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]]; then
  echo "usage: scripts/fuzz.sh [seconds] | --replay [paths...]" >&2
  exit 2
fi
cxx="${CXX_FUZZ:-clang++}"
work="${FUZZ_BUILD:-$root/build-fuzz}"
artifacts="$root/native/fuzz/artifacts"
mkdir -p "$work/corpus" "$artifacts"

if ! command -v "$cxx" >/dev/null 2>&1; then
  echo "fuzz.sh: $cxx not found (Debian: apt-get install clang)" >&2
  exit 2
fi

bin="$work/fuzz_graphdef_wire"
echo "fuzz.sh: building $bin"
"$cxx" -std=c++17 -g -O1 -fno-omit-frame-pointer \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  -Wall -Wextra \
  "$root/native/fuzz/fuzz_graphdef_wire.cc" "$root/native/wire/graphdef_wire.cc" \
  -o "$bin"

echo "fuzz.sh: fuzzing for ${seconds}s (log: $work/fuzz-0.log)"
cd "$work"
set +e
# shellcheck disable=SC2086
nice -n 10 "$bin" "$work/corpus" "$root/native/fuzz/corpus" \
  -max_total_time="$seconds" -jobs=1 -workers=1 -max_len=8192 -timeout=10 \
  -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/" ${FUZZ_FLAGS:-}
rc=$?
set -e
[ -f "$work/fuzz-0.log" ] && tail -n 25 "$work/fuzz-0.log"
if [ "$rc" -ne 0 ]; then
  echo "fuzz.sh: FINDING (exit $rc); reproducers:" >&2
  ls -l "$artifacts" >&2
  exit 1
fi
echo "fuzz.sh: no findings in ${seconds}s"
