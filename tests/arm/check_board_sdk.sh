#!/usr/bin/env bash
# Check the board SDK tarball of scripts/make_board_sdk.sh (run by scripts/test_arm.sh): prints the
# file list; every expected file is there; nothing of the converter, protobuf, YAML or an image
# codec is (by name in the list, by symbol in libdnn.a and libdnn.so, and by the NEEDED entries:
# libdnn.so and the programs need only the C library, libm, libpthread and libdnn). With
# SAMPLES_DIR (tests/arm/make_arm_fixtures.sh's OUT_DIR/samples), the installed sources of
# samples/classification are also cross-built against the SDK alone (find_package(hbdnn)) and,
# under qemu-user, must print the TOP lines of the SDK's own bin/hbdnn_classification.
#   tests/arm/check_board_sdk.sh SDK.tar.gz [SAMPLES_DIR]
set -euo pipefail
[ $# = 1 ] || [ $# = 2 ] || { echo "usage: $0 SDK.tar.gz [SAMPLES_DIR]" >&2; exit 2; }
tgz=$1
samples=${2:-}
src=$(cd "$(dirname "$0")/../.." && pwd)
fail() { echo "check_board_sdk: $tgz: $*" >&2; exit 1; }
list=$(tar -tzf "$tgz")
echo "$list"
top=$(echo "$list" | head -n 1 | cut -d/ -f1)
for f in README.md include/dnn/hb_dnn.h include/dnn/hb_sys.h include/dnn/hb_dnn_ext.h \
         include/dnn/hb_dnn_status.h lib/libdnn.a lib/libdnn.so lib/cmake/hbdnn/hbdnnConfig.cmake \
         lib/pkgconfig/hbdnn.pc bin/hbdnn_classification bin/hbdnn_accuracy_eval \
         bin/hbdnn_model_runner bin/hb_perf bin/hb_model_info bin/hb_bpu_disasm \
         share/hbdnn/samples/common/sample_dnn.c \
         share/hbdnn/samples/classification/classification.c \
         share/hbdnn/samples/classification/CMakeLists.txt; do
  echo "$list" | grep -qx "$top/$f" || fail "lacks $f"
done
bad=$(echo "$list" | grep -Ei 'protobuf|yaml|onnx|caffe|hb_mapper|hbc_|jpeg|png' || true)
[ -z "$bad" ] || fail "has converter / codec files: $bad"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar -C "$tmp" -xzf "$tgz"
r="$tmp/$top"
for f in "$r"/lib/libdnn.so "$r"/bin/*; do
  aarch64-linux-gnu-readelf -h "$f" | grep -q 'Machine:.*AArch64' || fail "$f is not AArch64"
  needed=$(aarch64-linux-gnu-readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
  for n in $needed; do
    case $n in
      libc.so.6 | libm.so.6 | libpthread.so.0 | ld-linux-aarch64.so.1) ;;
      libdnn.so.*) [ "$f" != "$r/lib/libdnn.so" ] || fail "libdnn.so needs itself" ;;
      *) fail "$(basename "$f") needs $n" ;;
    esac
  done
  echo "check_board_sdk: $(basename "$f") needs: ${needed//$'\n'/ }"
done
# no converter, protobuf-c, YAML or codec code (defined or undefined) in the libraries
syms=$( (aarch64-linux-gnu-nm -A "$r/lib/libdnn.a" 2> /dev/null; aarch64-linux-gnu-nm -D -A \
  "$r/lib/libdnn.so") | grep -E ' [A-Za-z] (hbc_|protobuf_c_|yaml_|jpeg_|png_|stbi|onnx)' || true)
[ -z "$syms" ] || fail "converter / codec symbols: $(echo "$syms" | head -n 5)"
echo "check_board_sdk: $(echo "$list" | wc -l) entries, content as expected"
[ -n "$samples" ] || exit 0
cmake -S "$r/share/hbdnn/samples/classification" -B "$tmp/build" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE="$src/toolchains/aarch64-linux-gnu.cmake" -DHB_ARM_EXTRA_ROOT="$r" \
  -DCMAKE_PREFIX_PATH=/ > "$tmp/configure.log" 2>&1 || { cat "$tmp/configure.log"; fail "configure"; }
cmake --build "$tmp/build" > "$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; fail "build"; }
top() { # program: its TOP lines on the NV12 CIFAR model
  LD_LIBRARY_PATH="$r/lib" qemu-aarch64 -L /usr/aarch64-linux-gnu "$1" "$samples/cifar_nv12.bin" \
    "$samples/photo32.ppm" | grep '^TOP '
}
a=$(top "$tmp/build/hbdnn_classification")
b=$(top "$r/bin/hbdnn_classification")
if [ "$(echo "$a" | wc -l)" != 5 ] || [ "$a" != "$b" ]; then
  fail "out-of-tree classification printed"$'\n'"$a"$'\n'"the SDK's"$'\n'"$b"
fi
echo "check_board_sdk: samples/classification built out of tree against the SDK; same TOP lines:"
echo "$a"
