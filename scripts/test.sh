#!/usr/bin/env bash
# Install, configure, build and run every CI test (labels unit, conformance, e2e; bench excluded).
# Three jobs: Release with -Werror, the aarch64 cross build under qemu (scripts/test_arm.sh), and
# Debug with ASan+UBSan. Time budget per job is printed.
#   HB_TEST_ARM=0   skip the aarch64 job
#   HB_TEST_FAST=1  skip the sanitizer build (for a quick local run)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
t_start=$(date +%s)
stamp() { echo "[test.sh] $1: $(( $(date +%s) - t_start )) s elapsed"; }

scripts/setup.sh
stamp "setup"

jobs=$(nproc 2>/dev/null || echo 2)
build_and_test() { # name, budget seconds, cmake args...
  local name=$1 budget=$2; shift 2
  local dir="$root/build-ci-$name" t0
  t0=$(date +%s)
  cmake -S "$root" -B "$dir" -DHB_WERROR=ON "$@" > "$dir.configure.log" 2>&1 || {
    cat "$dir.configure.log"; return 1; }
  cmake --build "$dir" -j"$jobs" 2>&1 | tail -n 30
  # bench is never part of CI (ARCHITECTURE 9)
  timeout "$budget" ctest --test-dir "$dir" --output-on-failure -j"$jobs" -LE bench
  echo "[test.sh] job $name took $(( $(date +%s) - t0 )) s (budget $budget s)"
}

build_and_test release 1200 -DCMAKE_BUILD_TYPE=Release
stamp "release job"
# aarch64 cross build under qemu-user, two CPU models (label arm; its own budget inside)
if [ "${HB_TEST_ARM:-1}" != 0 ]; then
  scripts/test_arm.sh
  stamp "arm job"
fi
if [ "${HB_TEST_FAST:-0}" != 1 ]; then
  build_and_test asan 1500 -DCMAKE_BUILD_TYPE=Debug -DHB_SANITIZE=ON
  stamp "asan job"
fi
