#!/usr/bin/env bash
# Checks the "layer details" rows of an hb_perf JSON (docs/hb_perf.md) against the same file's
# totals: the per-layer MACs, loaded and stored bytes and LOAD/EXEC/STORE busy cycles must add up
# to the summary's and the queues' figures, and every span must have start <= end, the latest
# ending inside (0, cycles]. With NLAYERS, the row count must equal it; with NINSNS, the instructions summed
# over the rows must equal it (both taken from another tool by the caller). Used by
# tests/tools/bin_tools.sh and tests/mapper/makertbin_e2e.sh.
#
#   check_perf_layers.sh JSON [NLAYERS [NINSNS]]
set -u
json=$1 want_rows=${2:-} want_insns=${3:-}
fail() {
  echo "check_perf_layers.sh: $json: $*" >&2
  exit 1
}
[ -s "$json" ] || fail "missing"
grep -q '"layer details": \[' "$json" || fail "no layer rows (\"layer details\" is not an array)"
num() { sed -n "s/^ *\"$1\": \([0-9.]*\),\{0,1\}$/\1/p" "$json" | head -n 1; }
cycles=$(num cycles) macs=$(num 'MACs per frame')
loaded=$(num 'loaded bytes per frame') stored=$(num 'stored bytes per frame')
queues=$(sed -n 's/^ *"queues": {"load busy cycles": \([0-9]*\), "exec busy cycles": \([0-9]*\), "store busy cycles": \([0-9]*\)},$/\1 \2 \3/p' "$json")
[ -n "$cycles" ] && [ -n "$macs" ] && [ -n "$loaded" ] && [ -n "$stored" ] && [ -n "$queues" ] ||
  fail "no totals"
# The rows: one object per layer over four lines, from '"layer details": [' to '  ],'.
sums=$(awk '
  /"layer details": \[/ { on = 1; next }
  on && /^  \],?$/ { on = 0 }
  !on { next }
  {
    for (i = 1; i < NF; i++) {
      k = $i; v = $(i + 1); gsub(/[",{}]/, "", v)
      if (k == "\"instructions\":") { rows++; ins += v }
      else if (k == "\"MACs\":") macs += v
      else if (k == "cycle\":" && $(i - 1) == "\"start") s = v
      else if (k == "cycle\":" && $(i - 1) == "\"end") {
        e = v
        if (s != "null") {
          if (s + 0 > e + 0) bad = bad " start>end"
          if (e + 0 > last) last = e + 0
        }
      }
      else if (k == "{\"load\":") ld += v
      else if (k == "\"exec\":") ex += v
      else if (k == "\"store\":") st += v
      else if (k == "\"loaded" && $(i + 1) == "bytes\":") { v = $(i + 2); gsub(/,/, "", v); lb += v }
      else if (k == "\"stored" && $(i + 1) == "bytes\":") { v = $(i + 2); gsub(/,/, "", v); sb += v }
    }
  }
  END { printf "%d %.0f %.0f %.0f %.0f %.0f %.0f %.0f %.0f%s\n", rows, ins, macs, lb, sb, ld, ex, st, last, bad }
' "$json")
read -r rows ins lmacs lb sb ld ex st last bad <<<"$sums"
[ -z "${bad:-}" ] || fail "a span ends before it starts"
[ "$rows" -gt 0 ] || fail "no layer rows"
[ "$lmacs" = "$macs" ] || fail "layer MACs add up to $lmacs, the summary says $macs"
[ "$lb" = "$loaded" ] || fail "layer loaded bytes add up to $lb, the summary says $loaded"
[ "$sb" = "$stored" ] || fail "layer stored bytes add up to $sb, the summary says $stored"
[ "$ld $ex $st" = "$queues" ] || fail "layer busy cycles add up to $ld $ex $st, the queues say $queues"
[ "$last" -gt 0 ] && [ "$last" -le "$cycles" ] ||
  fail "the latest span ends at cycle $last, the model takes $cycles"
[ -z "$want_rows" ] || [ "$rows" = "$want_rows" ] || fail "$rows layer rows, expected $want_rows"
[ -z "$want_insns" ] || [ "$ins" = "$want_insns" ] ||
  fail "the rows hold $ins instructions, expected $want_insns"
echo "check_perf_layers.sh: $json: $rows layers, $ins instructions; MACs $macs, loaded $loaded," \
  "stored $stored bytes, busy $queues cycles equal the totals; spans end by cycle $last of $cycles"
