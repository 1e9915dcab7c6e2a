#!/usr/bin/env bash
# A bad-input check: the command must fail cleanly. Used by tests/e2e/CMakeLists.txt.
#
#   expect_error.sh [--truncate SRC BYTES DEST] --stderr REGEX -- COMMAND [ARG...]
#
# --truncate first writes the first BYTES bytes of SRC to DEST (its directory is created).
# Passes (exit 0) when COMMAND exits with status 1 or 2 (an error, not a crash: a signal gives
# >= 128), its stderr matches the extended regular expression REGEX (the message must name the
# file or tensor at fault), and no sanitizer report appears. Fails (exit 1) otherwise.
set -u

fail() { echo "expect_error.sh: FAIL: $*" >&2; exit 1; }

regex=
while [ $# -gt 0 ]; do
  case "$1" in
    --truncate)
      [ $# -ge 4 ] || fail "--truncate needs SRC BYTES DEST"
      mkdir -p -- "$(dirname -- "$4")" || fail "cannot create the directory of $4"
      head -c "$3" -- "$2" > "$4" || fail "cannot write $4"
      [ "$(wc -c < "$4")" -eq "$3" ] || fail "$2 is shorter than $3 bytes"
      shift 4 ;;
    --stderr) regex=$2; shift 2 ;;
    --) shift; break ;;
    *) fail "unknown argument '$1'" ;;
  esac
done
[ -n "$regex" ] || fail "no --stderr REGEX"
[ $# -gt 0 ] || fail "no command"

errfile=$(mktemp) || fail "mktemp"
trap 'rm -f -- "$errfile"' EXIT
echo "+ $*"
"$@" 2> "$errfile"
st=$?
echo "--- stderr:"
cat -- "$errfile"
echo "--- exit status $st"

[ $st -ne 0 ] || fail "the command succeeded on bad input"
[ $st -lt 128 ] || fail "the command crashed (status $st: signal $((st - 128)))"
[ $st -eq 1 ] || [ $st -eq 2 ] || fail "exit status $st, expected 1 or 2"
if grep -Eq 'Sanitizer|runtime error:' -- "$errfile"; then
  fail "sanitizer report on stderr"
fi
grep -Eq -- "$regex" "$errfile" || fail "stderr does not match /$regex/"
echo "PASS: failed cleanly with status $st and the expected message"
