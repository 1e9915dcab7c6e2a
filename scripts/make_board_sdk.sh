#!/usr/bin/env bash
# Package the aarch64 board SDK (docs/board.md): cmake --install of the aarch64 cross build
# (toolchains/aarch64-linux-gnu.cmake, no converter) — headers (include/dnn), libdnn.so and the
# self-contained libdnn.a, the CMake package and pkg-config file, the samples' programs (bin/) and
# sources (share/hbdnn/samples), the runtime tools (hb_perf, hb_model_info) — plus the simulator's
# disassembler hb_bpu_disasm and a README for the board, as hbdnn-sdk-aarch64-VERSION.tar.gz.
#   scripts/make_board_sdk.sh [CROSS_BUILD_DIR [OUT_DIR]]
# CROSS_BUILD_DIR (default build-board): used as it is when configured (scripts/test_arm.sh passes
# its build-ci-arm), else configured here without tests. OUT_DIR (default CROSS_BUILD_DIR-sdk).
# The tarball's path is the last line printed. tests/arm/check_board_sdk.sh checks the content.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
dir=${1:-$root/build-board}
out=${2:-$dir-sdk}
jobs=$(nproc 2> /dev/null || echo 2)
if [ ! -f "$dir/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$dir" -DCMAKE_TOOLCHAIN_FILE="$root/toolchains/aarch64-linux-gnu.cmake" \
    -DHB_BUILD_CONVERTER=OFF -DHB_BUILD_TESTS=OFF -DHB_WERROR=ON -DCMAKE_BUILD_TYPE=Release \
    > "$dir.configure.log" 2>&1 || { cat "$dir.configure.log" >&2; exit 1; }
fi
if ! grep -q '^CMAKE_SYSTEM_PROCESSOR:.*=aarch64$\|^CMAKE_TOOLCHAIN_FILE:.*aarch64' \
  "$dir/CMakeCache.txt"; then
  echo "$0: $dir is not an aarch64 cross build (toolchains/aarch64-linux-gnu.cmake)" >&2
  exit 1
fi
if grep -q '^HB_BUILD_CONVERTER:BOOL=ON' "$dir/CMakeCache.txt"; then
  echo "$0: $dir builds the converter; the board SDK is made without it" >&2
  exit 1
fi
cmake --build "$dir" -j"$jobs" >&2
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$dir/CMakeCache.txt")
[ -n "$version" ] || version=$(sed -n 's/^hbtoolchain_VERSION:STATIC=//p' "$dir/CMakeCache.txt")
name="hbdnn-sdk-aarch64-${version:-unknown}"
stage="$out/stage"
rm -rf "$stage"
mkdir -p "$stage"
cmake --install "$dir" --prefix "$stage/$name" > /dev/null
disasm=$(find "$dir" -name hb_bpu_disasm -type f -perm -u+x | head -n 1)
[ -n "$disasm" ] || { echo "$0: no hb_bpu_disasm in $dir" >&2; exit 1; }
install -m 755 "$disasm" "$stage/$name/bin/hb_bpu_disasm"
cat > "$stage/$name/README.md" << EOF
# hbdnn board SDK $version (aarch64 Linux)

libdnn (the hbDNN / hbSys runtime API) for an aarch64 Linux board, built with
toolchains/aarch64-linux-gnu.cmake. The BPU runs in the instruction-level simulator inside libdnn;
its int8 kernels are chosen at start-up: neondot on cores with the dot-product extension
(Armv8.2+ with dotprod), neon otherwise (HB_ISA=ref|neon|neondot forces one). Results are the
same bit for bit as on x86 for BPU outputs.

- include/dnn/         the API headers
- lib/libdnn.so.*      shared library (needs libc, libm, libpthread only)
- lib/libdnn.a         static, self-contained: link with -ldnn -lpthread -lm
- lib/cmake/hbdnn, lib/pkgconfig/hbdnn.pc   find_package(hbdnn) / pkg-config hbdnn
- bin/hbdnn_classification, hbdnn_accuracy_eval, hbdnn_model_runner   the samples
- bin/hb_perf, hb_model_info   runtime tools; bin/hb_bpu_disasm   BPU program disassembler
- share/hbdnn/samples/ the samples' sources (each builds on its own against this package)

Models (.bin) are made on the workstation with hb_mapper makertbin; copy them to the board.

On the board (copy this folder, e.g. to /opt/hbdnn):

    export LD_LIBRARY_PATH=/opt/hbdnn/lib
    /opt/hbdnn/bin/hbdnn_model_runner model_info --model_file model.bin
    /opt/hbdnn/bin/hbdnn_classification model.bin photo.ppm
    /opt/hbdnn/bin/hbdnn_model_runner perf --model_file model.bin --frame_count 100 --thread_num 2

Build a sample on the board (or cross, with -DCMAKE_PREFIX_PATH pointing here):

    cmake -S /opt/hbdnn/share/hbdnn/samples/classification -B build -DCMAKE_PREFIX_PATH=/opt/hbdnn
    cmake --build build

Without a board, qemu-user runs the programs on a workstation (LD_LIBRARY_PATH as above):

    qemu-aarch64 -L /usr/aarch64-linux-gnu -cpu cortex-a53 bin/hbdnn_model_runner model_info ...
EOF
mkdir -p "$out"
tar -C "$stage" -czf "$out/$name.tar.gz.tmp" "$name"
mv "$out/$name.tar.gz.tmp" "$out/$name.tar.gz"
rm -rf "$stage"
echo "$out/$name.tar.gz"
