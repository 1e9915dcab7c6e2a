#!/usr/bin/env bash
# The aarch64 job (docs/board.md). Cross-builds runtime + simulator + samples + tests for aarch64
# (toolchains/aarch64-linux-gnu.cmake, no converter) and runs the tests labelled `arm` under
# qemu-user twice: -cpu max (has the dot-product extension: the neondot kernels must be chosen)
# and -cpu cortex-a53 (Armv8.0: neon). The models those tests load, their inputs and the x86
# simulator's outputs come from the host (x86) Release build of the same tree
# (tests/arm/make_arm_fixtures.sh): scripts/test.sh has built it in build-ci-release; run alone,
# this script configures it if needed and builds only the targets it needs. Then packages the
# board SDK (scripts/make_board_sdk.sh) and checks its content (tests/arm/check_board_sdk.sh).
# Installs gcc-/g++-aarch64-linux-gnu (g++ for the C++ header check of tests/dnn_api) and
# qemu-user if missing, and unpacks Debian's arm64 cmocka into the build directory (apt-get
# download + dpkg-deb -x: nothing arm64 is installed into the system).
#   HB_ARM_BUDGET      seconds for the whole script (default 900)
#   HB_ARM_QEMU_BUDGET seconds for the two qemu runs together (default 600)
#   HB_ARM_HOST_BUILD  host build directory (default build-ci-release)
#   HB_ARM_BUILD       cross build directory (default build-ci-arm)
#   HB_ARM_MOBILENET=0 leave mobilenet_v1_0.75_192 out of the equality test
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
dir=${HB_ARM_BUILD:-$root/build-ci-arm}
host=${HB_ARM_HOST_BUILD:-$root/build-ci-release}
budget=${HB_ARM_BUDGET:-900}
qemu_budget=${HB_ARM_QEMU_BUDGET:-600}
fixtures="$dir-fixtures"
t_start=$(date +%s)
stamp() { echo "[test_arm.sh] $1: $(( $(date +%s) - t_start )) s elapsed (budget $budget s)"; }
left() { local l=$(( budget - ($(date +%s) - t_start) )); [ "$l" -gt 10 ] && echo "$l" || echo 10; }
sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
jobs=$(nproc 2> /dev/null || echo 2)

pkgs=()
command -v aarch64-linux-gnu-gcc > /dev/null || pkgs+=(gcc-aarch64-linux-gnu)
command -v aarch64-linux-gnu-g++ > /dev/null || pkgs+=(g++-aarch64-linux-gnu)
command -v qemu-aarch64 > /dev/null || pkgs+=(qemu-user)
update=0
[ ${#pkgs[@]} -gt 0 ] && update=1
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  sudo_ dpkg --add-architecture arm64 # lets apt-get download fetch arm64 packages
  update=1
fi
[ "$update" = 1 ] && sudo_ apt-get -o DPkg::Lock::Timeout=300 update -qq
if [ ${#pkgs[@]} -gt 0 ]; then
  sudo_ env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
    "${pkgs[@]}"
fi
stamp "packages"

# Host side: models, inputs and the x86 simulator's outputs, from this tree (never stale copies).
if [ ! -f "$host/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$host" -DHB_WERROR=ON -DCMAKE_BUILD_TYPE=Release > "$host.configure.log" \
    2>&1 || { cat "$host.configure.log"; exit 1; }
fi
cmake --build "$host" -j"$jobs" --target hb_test_mkbin hb_arm_equal 2>&1 | tail -n 5
mobilenet=--mobilenet
[ "${HB_ARM_MOBILENET:-1}" = 0 ] && mobilenet=
tests/arm/make_arm_fixtures.sh "$host" "$fixtures" $mobilenet
mkbin=$(find "$host" -name hb_test_mkbin -type f -perm -u+x | head -n 1)
stamp "host build and fixtures"

# arm64 cmocka: unpacked, not installed (its libc6:arm64 dependency would have to match the host's)
cm="$dir/arm64-root"
if [ ! -f "$cm/usr/include/cmocka.h" ]; then
  mkdir -p "$dir/debs" "$cm"
  (cd "$dir/debs" && apt-get download libcmocka0:arm64 libcmocka-dev:arm64)
  for deb in "$dir"/debs/*.deb; do dpkg-deb -x "$deb" "$cm"; done
fi

cmake -S "$root" -B "$dir" -DCMAKE_TOOLCHAIN_FILE="$root/toolchains/aarch64-linux-gnu.cmake" \
  -DHB_ARM_EXTRA_ROOT="$cm" -DHB_BUILD_CONVERTER=OFF -DHB_WERROR=ON \
  -DHB_ARM_FIXTURES="$fixtures" -DHB_ARM_HOST_MKBIN="$mkbin" \
  -DCMAKE_BUILD_TYPE=Release > "$dir.configure.log" 2>&1 || { cat "$dir.configure.log"; exit 1; }
cmake --build "$dir" -j"$jobs" 2>&1 | tail -n 20
stamp "cross build"

qemu_total=0
run() { # qemu cpu, expected kernel variant
  local t0 t
  echo "[test_arm.sh] qemu-aarch64 -cpu $1: expecting kernel variant $2"
  t0=$(date +%s)
  QEMU_CPU=$1 HB_BPU_EXPECT_ISA=$2 HB_DNN_EXPECT_BACKEND=board timeout "$(left)" \
    ctest --test-dir "$dir" --output-on-failure -j"$jobs" -L arm
  t=$(( $(date +%s) - t0 ))
  qemu_total=$(( qemu_total + t ))
  # the equality test's hashes under this CPU model, for the record (docs/board.md)
  grep -E '^kernel variant|^backend|\.bin \(model |fnv1a64' "$dir/Testing/Temporary/LastTest.log" \
    | sed "s/^/[-cpu $1] /" || true
  echo "[test_arm.sh] qemu -cpu $1: $t s"
}
run max neondot
run cortex-a53 neon
echo "[test_arm.sh] qemu runs: $qemu_total s (budget $qemu_budget s)"
if [ "$qemu_total" -gt "$qemu_budget" ]; then
  echo "[test_arm.sh] the qemu runs took $qemu_total s, over the budget of $qemu_budget s" >&2
  exit 1
fi

sdk=$(scripts/make_board_sdk.sh "$dir" "$dir-sdk" | tail -n 1)
tests/arm/check_board_sdk.sh "$sdk" "$fixtures/samples"
stamp "board SDK"
