#!/usr/bin/env bash
# qured -t -v (issue 8 item 4): the effective configuration, each key with
# where its value came from, like bgpd -nv. A key set in the file names
# the file and line, a key left out says default, the key file's path is
# printed but never what it holds, and the output is itself a config
# that qured -t accepts.
set -eu
qured=${top_builddir:-.}/src/qured
[ -x "$qured" ] || { echo "SKIP: $qured not built"; exit 77; }
d=$(mktemp -d "${TMPDIR:-/tmp}/qure-t-v.XXXXXX")
trap 'rm -rf "$d"' EXIT
fail() { echo "FAIL: qured -t -v: $*" >&2; exit 1; }

secret=c2VjcmV0IHNlY3JldCBzZWNyZXQgc2VjcmV0IHNlY3JldCE=
printf '%s\n' "$secret" >"$d/cluster.key"
chmod 600 "$d/cluster.key"
cat >"$d/q.conf" <<CONF
[node]
priority = 42

[cluster]
key-file = $d/cluster.key

[dmz]
address = 192.168.1.11/24
CONF

"$qured" -t -v -c "$d/q.conf" >"$d/out" 2>"$d/err" ||
	fail "exited $?: $(cat "$d/err")"
# "key = value<blanks>; where" on one line.
from() { sed -n "s/^$1 = .* ; //p" "$d/out"; }
[ "$(from priority)" = "$d/q.conf:2" ] ||
	fail "priority: '$(from priority)', want $d/q.conf:2"
[ "$(from address)" = "$d/q.conf:8" ] ||
	fail "address: '$(from address)', want $d/q.conf:8"
grep -q '^heartbeat = 200ms  *; default$' "$d/out" ||
	fail "heartbeat: no '200ms ; default' line"
grep -q "^key-file = $d/cluster.key  *; $d/q.conf:5\$" "$d/out" ||
	fail "key-file: the path is not printed with its line"
if grep -q "$secret" "$d/out"; then
	fail "the key file's contents are printed"
fi
head -n 1 "$d/out" | grep -q "^; qured: $d/q.conf: ok\$" ||
	fail "first line: $(head -n 1 "$d/out")"
# Without -v, -t prints its one line as before.
[ "$("$qured" -t -c "$d/q.conf")" = "qured: $d/q.conf: ok" ] ||
	fail "qured -t alone changed its output"
# The output reads back, to the same values.
"$qured" -t -c "$d/out" >/dev/null || fail "the output is not a valid config"
"$qured" -t -v -c "$d/out" | grep -q '^priority = 42 ' ||
	fail "priority did not read back"
# A bad file still fails, with -v too.
printf '[dmz]\naddress = nope\n' >"$d/bad.conf"
if "$qured" -t -v -c "$d/bad.conf" >"$d/out" 2>"$d/err"; then
	fail "a bad config passed"
fi
grep -q "bad.conf:2: \[dmz\] address" "$d/err" ||
	fail "the error does not name file, line and key: $(cat "$d/err")"
[ ! -s "$d/out" ] || fail "a bad config printed a configuration"
echo "PASS: qured -t -v"
