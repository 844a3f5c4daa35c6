#!/usr/bin/env bash
# qurectl keygen -o FILE (issue 7, fault 8): the key file is created mode
# 0600 from its first byte (never `> file && chmod`), whatever the umask;
# an existing file is refused unless -f, which replaces it atomically
# (a new 0600 file renamed over it, not the old file rewritten).
set -eu
qurectl=${top_builddir:-.}/src/qurectl
[ -x "$qurectl" ] || { echo "SKIP: $qurectl not built"; exit 77; }
d=$(mktemp -d "${TMPDIR:-/tmp}/qure-keygen.XXXXXX")
trap 'rm -rf "$d"' EXIT
fail() { echo "FAIL: keygen: $*" >&2; exit 1; }
mode() { stat -c %a "$1"; }
is_key() { [ "$(base64 -d <"$1" | wc -c)" -eq 32 ]; }

(umask 000 && "$qurectl" keygen -o "$d/k") || fail "keygen -o exited $?"
[ "$(mode "$d/k")" = 600 ] || fail "mode $(mode "$d/k"), want 600"
is_key "$d/k" || fail "not the base64 of 32 bytes: $(cat "$d/k")"
[ "$(wc -l <"$d/k")" -eq 1 ] || fail "not one line"

old=$(cat "$d/k")
if "$qurectl" keygen -o "$d/k" 2>"$d/err"; then
	fail "an existing key file was overwritten without -f"
fi
[ "$(cat "$d/k")" = "$old" ] || fail "refused, but the file changed"
[ "$(wc -l <"$d/err")" -eq 1 ] && grep -q -- "$d/k.*-f" "$d/err" ||
    fail "the refusal is not one line naming the file and -f: $(cat "$d/err")"

chmod 644 "$d/k"
"$qurectl" keygen -f -o "$d/k" || fail "keygen -f -o exited $?"
[ "$(cat "$d/k")" != "$old" ] || fail "-f did not replace the key"
[ "$(mode "$d/k")" = 600 ] || fail "-f left mode $(mode "$d/k")"
is_key "$d/k" || fail "-f wrote no key"

# A symlink planted at the path is refused, not followed.
ln -s "$d/target" "$d/link"
if "$qurectl" keygen -o "$d/link" 2>/dev/null; then
	fail "keygen -o followed a symlink"
fi
[ ! -e "$d/target" ] || fail "keygen wrote through a symlink"
"$qurectl" keygen -o "$d/missing/k" 2>"$d/err" && fail "no such directory"
grep -q "$d/missing/k" "$d/err" || fail "the error does not name the file"
ls "$d" | grep -q '\.tmp' && fail "a temporary file was left behind"

"$qurectl" keygen | { read -r k && [ "$(base64 -d <<<"$k" | wc -c)" -eq 32 ]; } ||
    fail "keygen to stdout broke"
echo "PASS: keygen: -o creates 0600, refuses to overwrite without -f"
