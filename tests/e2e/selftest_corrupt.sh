#!/usr/bin/env bash
# The end-to-end comparison must be able to fail: copy a model's references into WORKDIR, set one
# float32 element of REF_FILE to VALUE_HEX (4 little-endian bytes as \xNN escapes), run
# run_model.sh against the copies and require it to fail on exactly that element.
#
#   selftest_corrupt.sh WORKDIR REF_DIR REF_FILE ELEMENT VALUE_HEX EXPECT_INDEX -- RUN_MODEL_ARGS...
#
# EXPECT_INDEX is the element's index as hb_npy_compare prints it, e.g. "[0, 500]".
# RUN_MODEL_ARGS are run_model.sh's arguments without --refs. Exit 0 when the mismatch is reported.
set -u
fail() { echo "selftest_corrupt.sh: FAIL: $*" >&2; exit 1; }

[ $# -ge 7 ] && [ "$7" = "--" ] || fail "usage: WORKDIR REF_DIR REF_FILE ELEMENT VALUE_HEX EXPECT_INDEX -- ARGS"
work=$1 refdir=$2 reffile=$3 element=$4 value=$5 index=$6
shift 7
here=$(cd "$(dirname "$0")" && pwd)

rm -rf -- "$work"
mkdir -p -- "$work/refs" || fail "cannot create $work"
cp -- "$refdir"/ref_*.npy "$work/refs/" || fail "cannot copy $refdir/ref_*.npy"
target="$work/refs/$reffile"
# .npy version 1: magic (6), version (2), header length (2, little-endian), header, data.
read -r lo hi < <(od -An -tu1 -j8 -N2 -- "$target") || fail "cannot read $target"
offset=$((10 + lo + 256 * hi + 4 * element))
printf '%b' "$value" | dd of="$target" bs=1 seek="$offset" conv=notrunc status=none ||
  fail "cannot patch $target"
cmp -s -- "$target" "$refdir/$reffile" && fail "the patch changed nothing"

log="$work/run.log"
bash "$here/run_model.sh" "$@" --refs "$work/refs" > "$log" 2>&1
st=$?
cat -- "$log"
[ $st -eq 1 ] || fail "run_model.sh exited with $st on a corrupted reference, expected 1"
grep -Fq "worst element $index" "$log" || fail "the worst element is not $index"
grep -Eq "^FAIL: 1 of [0-9]+ elements" "$log" || fail "expected exactly one element out of tolerance"
[ "$(grep -c '^FAIL' "$log")" -eq 1 ] || fail "other outputs failed too"
echo "PASS: the corrupted element $index was detected and nothing else"
