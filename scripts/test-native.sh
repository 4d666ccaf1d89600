#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds and runs the C++ kernel tests with plain CMake (no cmake-js, no Node addon).
#
#   bash scripts/test-native.sh             release build in build-native/: every available
#                                           ISA (the tests loop over them) plus the exhaustive
#                                           checks (all 2^32 f32->f16 inputs, int8 rounding;
#                                           ~40 s), then the TFEXPORT_FORCE_ISA=scalar
#                                           override, then a -DTFEXPORT_FORCE_SCALAR=ON build
#                                           (build-scalar/)
#   bash scripts/test-native.sh --sanitize  ASan + UBSan build in build-asan/ (halt on the
#                                           first error), every ISA and the scalar override
#   bash scripts/test-native.sh --aarch64   cross-build for AArch64 in build-aarch64/ and run
#                                           the NEON tests under qemu-aarch64 (needs
#                                           g++-aarch64-linux-gnu and qemu-user)
#
# Extra arguments after the flags are passed to kernel_tests (e.g. a seed).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

sanitize=0
aarch64=0
args=()
for a in "$@"; do
  case "$a" in
    --sanitize) sanitize=1 ;;
    --aarch64) aarch64=1 ;;
    -h|--help) sed -n '3,17p' "$0"; exit 0 ;;
    *) args+=("$a") ;;
  esac
done

jobs="$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)"

build() {  # build DIR [cmake args...]
  local dir="$1"; shift
  cmake -S "$root" -B "$root/$dir" -DTFEXPORT_BUILD_ADDON=OFF -DTFEXPORT_BUILD_TESTS=ON "$@" >/dev/null
  cmake --build "$root/$dir" --target kernel_tests kernel_bench -j "$jobs"
}

run() {  # run LABEL DIR [FLAG|VAR=VALUE...]
  local label="$1" dir="$2"; shift 2
  local envs=() flags=()
  for a in "$@"; do
    case "$a" in
      --*) flags+=("$a") ;;
      *) envs+=("$a") ;;
    esac
  done
  echo "== kernel_tests: $label"
  env "${envs[@]+"${envs[@]}"}" "$root/$dir/kernel_tests" "${flags[@]+"${flags[@]}"}" \
    "${args[@]+"${args[@]}"}"
}

if [ "$aarch64" = 1 ]; then
  for tool in aarch64-linux-gnu-g++ aarch64-linux-gnu-gcc qemu-aarch64; do
    command -v "$tool" >/dev/null || { echo "test-native: $tool not found" >&2; exit 2; }
  done
  build build-aarch64 -DCMAKE_BUILD_TYPE=Release -DCMAKE_SYSTEM_NAME=Linux \
    -DCMAKE_SYSTEM_PROCESSOR=aarch64 -DCMAKE_C_COMPILER=aarch64-linux-gnu-gcc \
    -DCMAKE_CXX_COMPILER=aarch64-linux-gnu-g++
  echo "== kernel_tests: aarch64 under qemu"
  qemu-aarch64 -L /usr/aarch64-linux-gnu "$root/build-aarch64/kernel_tests" "${args[@]+"${args[@]}"}"
elif [ "$sanitize" = 1 ]; then
  build build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTFEXPORT_SANITIZE=ON
  export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:strict_string_checks=1"
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
  run "asan+ubsan, all ISAs" build-asan
  run "asan+ubsan, TFEXPORT_FORCE_ISA=scalar" build-asan TFEXPORT_FORCE_ISA=scalar
else
  build build-native -DCMAKE_BUILD_TYPE=Release
  run "all ISAs, exhaustive" build-native --exhaustive
  run "TFEXPORT_FORCE_ISA=scalar" build-native TFEXPORT_FORCE_ISA=scalar
  build build-scalar -DCMAKE_BUILD_TYPE=Release -DTFEXPORT_FORCE_SCALAR=ON
  run "TFEXPORT_FORCE_SCALAR=ON build" build-scalar
fi
echo "== native kernel tests passed"
