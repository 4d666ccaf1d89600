#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds and runs the libFuzzer targets with ASan + UBSan:
#   graphdef  native/fuzz/fuzz_graphdef_wire.cc over the GraphDef wire walker
#             (native/wire/graphdef_wire.cc), seeds native/fuzz/corpus/
#   sstable   native/fuzz/fuzz_sstable.cc over the LevelDB-table (TensorBundle .index) block
#             reader and Snappy decoder (native/wire/sstable.cc, snappy.cc, plus the scalar
#             crc32c kernel), seeds native/fuzz/corpus-sstable/
#
#   scripts/fuzz.sh [seconds] [graphdef|sstable|all]   # default 600 s, graphdef
#       `all` runs each target for `seconds`, one after the other.
#   scripts/fuzz.sh --replay [files or dirs]
#       no libFuzzer needed: builds both targets with native/fuzz/replay_main.cc (CXX, default
#       g++, with ASan + UBSan) and runs each once over its committed corpus, the reproducers
#       in native/fuzz/artifacts/ and any given paths; exits non-zero on a violation.
#
# Needs clang with libFuzzer (Debian: apt-get install clang). Environment:
#   CXX_FUZZ     compiler (default clang++)
#   FUZZ_BUILD   build/work directory (default build-fuzz/, git-ignored)
#   FUZZ_FLAGS   extra libFuzzer flags
# The committed seeds are read, never written; new inputs go to $FUZZ_BUILD/corpus
# (graphdef) and $FUZZ_BUILD/sstable/corpus. Reproducers (crash-*, leak-*, timeout-*, oom-*;
# sstable-crash-* etc. for the sstable target) go to native/fuzz/artifacts/ (git-ignored).
# Exits non-zero when a fuzzer finds anything. One job, niced: the machine is shared.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
graphdef_srcs=("$root/native/fuzz/fuzz_graphdef_wire.cc" "$root/native/wire/graphdef_wire.cc")
sstable_srcs=("$root/native/fuzz/fuzz_sstable.cc" "$root/native/wire/sstable.cc"
  "$root/native/wire/snappy.cc" "$root/native/kernels/crc32c.cc")

if [ "${1:-}" = "--replay" ]; then
  shift
  out="${FUZZ_BUILD:-$root/build-fuzz}"
  mkdir -p "$out"
  replay_flags=(-std=c++17 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined
    -fno-sanitize-recover=all -Wall -Wextra)
  "${CXX:-g++}" "${replay_flags[@]}" "${graphdef_srcs[@]}" "$root/native/fuzz/replay_main.cc" \
    -o "$out/replay_graphdef_wire"
  "${CXX:-g++}" "${replay_flags[@]}" "${sstable_srcs[@]}" "$root/native/fuzz/replay_main.cc" \
    -o "$out/replay_sstable"
  extra=()
  [ -d "$root/native/fuzz/artifacts" ] && extra+=("$root/native/fuzz/artifacts")
  rc=0
  echo "fuzz.sh: replay graphdef"
  "$out/replay_graphdef_wire" "$root/native/fuzz/corpus" ${extra[@]+"${extra[@]}"} "$@" || rc=1
  echo "fuzz.sh: replay sstable"
  "$out/replay_sstable" "$root/native/fuzz/corpus-sstable" ${extra[@]+"${extra[@]}"} "$@" || rc=1
  exit "$rc"
fi

seconds="${1:-600}"
target="${2:-graphdef}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || ! [[ "$target" =~ ^(graphdef|sstable|all)$ ]]; then
  echo "usage: scripts/fuzz.sh [seconds] [graphdef|sstable|all] | --replay [paths...]" >&2
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

# fuzz_one NAME WORKDIR SEEDS ARTIFACT_PREFIX SOURCES...
fuzz_one() {
  local name="$1" dir="$2" seeds="$3" prefix="$4"
  shift 4
  mkdir -p "$dir/corpus"
  local bin="$dir/fuzz_$name"
  echo "fuzz.sh: building $bin"
  "$cxx" -std=c++17 -g -O1 -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    -Wall -Wextra "$@" -o "$bin"
  echo "fuzz.sh: fuzzing $name for ${seconds}s (log: $dir/fuzz-0.log)"
  local rc
  set +e
  # shellcheck disable=SC2086
  (cd "$dir" && nice -n 10 "$bin" "$dir/corpus" "$seeds" \
    -max_total_time="$seconds" -jobs=1 -workers=1 -max_len=8192 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$prefix" ${FUZZ_FLAGS:-})
  rc=$?
  set -e
  [ -f "$dir/fuzz-0.log" ] && tail -n 25 "$dir/fuzz-0.log"
  if [ "$rc" -ne 0 ]; then
    echo "fuzz.sh: FINDING in $name (exit $rc); reproducers:" >&2
    ls -l "$artifacts" >&2
    return 1
  fi
  echo "fuzz.sh: no findings in $name in ${seconds}s"
}

status=0
if [ "$target" = graphdef ] || [ "$target" = all ]; then
  # Same binary name, corpus and log place as before the sstable target existed.
  fuzz_one graphdef_wire "$work" "$root/native/fuzz/corpus" "$artifacts/" "${graphdef_srcs[@]}" || status=1
fi
if [ "$target" = sstable ] || [ "$target" = all ]; then
  fuzz_one sstable "$work/sstable" "$root/native/fuzz/corpus-sstable" "$artifacts/sstable-" \
    "${sstable_srcs[@]}" || status=1
fi
exit "$status"
