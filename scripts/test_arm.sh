#!/usr/bin/env bash
# Cross-build runtime + simulator + tests for aarch64 (toolchains/aarch64-linux-gnu.cmake, no
# converter) and run the tests labelled `arm` under qemu-user twice: -cpu max (has the dot-product
# extension: the neondot kernels must be chosen) and -cpu cortex-a53 (Armv8.0: neon). Installs
# gcc-/g++-aarch64-linux-gnu (g++ for the C++ header check of tests/dnn_api) and qemu-user if
# missing, and unpacks Debian's arm64 cmocka into the build directory (apt-get download +
# dpkg-deb -x: nothing arm64 is installed into the system).
#   HB_ARM_BUDGET  seconds for the whole script (default 540)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
dir="$root/build-ci-arm"
budget=${HB_ARM_BUDGET:-540}
t_start=$(date +%s)
stamp() { echo "[test_arm.sh] $1: $(( $(date +%s) - t_start )) s elapsed (budget $budget s)"; }
left() { local l=$(( budget - ($(date +%s) - t_start) )); [ "$l" -gt 10 ] && echo "$l" || echo 10; }
sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

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

# arm64 cmocka: unpacked, not installed (its libc6:arm64 dependency would have to match the host's)
cm="$dir/arm64-root"
if [ ! -f "$cm/usr/include/cmocka.h" ]; then
  mkdir -p "$dir/debs" "$cm"
  (cd "$dir/debs" && apt-get download libcmocka0:arm64 libcmocka-dev:arm64)
  for deb in "$dir"/debs/*.deb; do dpkg-deb -x "$deb" "$cm"; done
fi

cmake -S "$root" -B "$dir" -DCMAKE_TOOLCHAIN_FILE="$root/toolchains/aarch64-linux-gnu.cmake" \
  -DHB_ARM_EXTRA_ROOT="$cm" -DHB_BUILD_CONVERTER=OFF -DHB_WERROR=ON \
  -DCMAKE_BUILD_TYPE=Release > "$dir.configure.log" 2>&1 || { cat "$dir.configure.log"; exit 1; }
cmake --build "$dir" -j"$(nproc 2>/dev/null || echo 2)" 2>&1 | tail -n 20
stamp "build"

run() { # qemu cpu, expected kernel variant
  echo "[test_arm.sh] qemu-aarch64 -cpu $1: expecting kernel variant $2"
  QEMU_CPU=$1 HB_BPU_EXPECT_ISA=$2 timeout "$(left)" \
    ctest --test-dir "$dir" --output-on-failure -j2 -L arm
}
run max neondot
stamp "-cpu max"
run cortex-a53 neon
stamp "-cpu cortex-a53"
