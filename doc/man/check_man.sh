#!/bin/bash
# doc/man/check_man.sh: the shipped docs say what the code does.
#
#  1. Every option of `qured -h` is in qured(8), in SYNOPSIS and as a tag
#     of OPTIONS with the same argument name; every option that OPTIONS
#     lists is in `qured -h` (but -h itself); the exit statuses qured(8)
#     gives for -h, -t and a bad option are the real ones.
#  2. doc/man/qured.conf.example passes `qured -t` as it is and with every
#     commented key turned on, and it names every key of qured.conf(5) in
#     its section (qured.conf(5) against the key table is test_conf's job).
#  3. dist/qured.service.in, filled in, passes `systemd-analyze verify`
#     (when there is one), keeps the settings qured(8) describes, and
#     grants CAP_NET_ADMIN and CAP_NET_RAW and nothing more.
#  4. qured(8) formats without a groff warning (when there is groff).
#
# Run by `make check` with top_srcdir and top_builddir set; exits 0, 1 on
# a mismatch (each one printed), or 77 while src/qured is not built.
set -eu

srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=$(cd "${top_builddir:-.}" && pwd)
qured=$builddir/src/qured
man8=$srcdir/doc/man/qured.8
man5=$srcdir/doc/man/qured.conf.5
example=$srcdir/doc/man/qured.conf.example
unit_in=$srcdir/dist/qured.service.in

if [ ! -x "$qured" ]; then
	echo "SKIP: $qured is not built (no src/qured target yet?)" >&2
	exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check_man.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

fails=0
fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}

# Man source as plain text: \- is -, font changes and quotes go.
plain() {
	sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/"//g' "$1"
}

# Lines of the .SH section named $2 of plain text file $1.
section() {
	awk -v name="$2" '
		/^\.SH / { on = ($2 == name); next }
		on' "$1"
}

# ---- 1. options ----

plain "$man8" > "$tmp/qured.8"
section "$tmp/qured.8" SYNOPSIS > "$tmp/synopsis"
# "OPT ARG" for each .TP tag of OPTIONS, e.g. "-c FILE", "-f ".
section "$tmp/qured.8" OPTIONS | awk '
	prev == ".TP" && $2 ~ /^-/ { print $2, $3 }
	{ prev = $1 }' > "$tmp/man_opts"

"$qured" -h > "$tmp/help"
# "OPT ARG" for each option line of the help, e.g. "  -c FILE  config".
awk '$1 ~ /^-[A-Za-z]$/ { print $1, ($2 ~ /^[A-Z]+$/ ? $2 : "") }' \
    "$tmp/help" > "$tmp/help_opts"
if [ ! -s "$tmp/help_opts" ]; then
	fail "qured -h lists no option lines; cannot compare with qured(8)"
fi

while read -r opt arg; do
	if ! grep -qw -- "$opt" "$tmp/synopsis"; then
		fail "qured(8) SYNOPSIS lacks $opt (in qured -h)"
	fi
	man_arg=$(awk -v o="$opt" '$1 == o { print $2; exit }' \
	    "$tmp/man_opts")
	if ! awk -v o="$opt" '$1 == o { f = 1 } END { exit !f }' \
	    "$tmp/man_opts"; then
		fail "qured(8) OPTIONS lacks $opt (in qured -h)"
	elif [ "$man_arg" != "$arg" ]; then
		fail "qured(8) OPTIONS: $opt takes '$man_arg', qured -h says '$arg'"
	fi
done < "$tmp/help_opts"

while read -r opt arg; do
	[ "$opt" = -h ] && continue
	if ! awk -v o="$opt" '$1 == o { f = 1 } END { exit !f }' \
	    "$tmp/help_opts"; then
		fail "qured(8) OPTIONS documents $opt, which qured -h lacks"
	fi
done < "$tmp/man_opts"
grep -q '^-h ' "$tmp/man_opts" || fail "qured(8) OPTIONS lacks -h"

rc=0
"$qured" -Z > /dev/null 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "qured -Z exits $rc, qured(8) says 1"

# ---- 2. the example config ----

rc=0
out=$("$qured" -t -c "$example" 2>&1) || rc=$?
if [ "$rc" != 0 ] || [ "$out" != "qured: $example: ok" ]; then
	fail "qured -t on qured.conf.example: exit $rc: $out"
fi
# ";key = value" is a key at its default, "#[section]" a section left off.
sed -e 's/^;//' -e 's/^#\[/[/' "$example" > "$tmp/all.conf"
rc=0
out=$("$qured" -t -c "$tmp/all.conf" 2>&1) || rc=$?
if [ "$rc" != 0 ]; then
	fail "qured.conf.example with every key on: exit $rc: $out"
fi
rc=0
"$qured" -t -c "$tmp/none.conf" > /dev/null 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "qured -t on a missing file exits $rc, not 1"

# "section key" for each key of qured.conf(5): .TP then .B key, in KEYS.
plain "$man5" > "$tmp/qured.conf.5"
section "$tmp/qured.conf.5" KEYS | awk '
	$1 == ".SS" { sec = $2; gsub(/[][]/, "", sec) }
	prev == ".TP" && $1 == ".B" { print sec, $2 }
	{ prev = $1 }' > "$tmp/man_keys"
awk '
	/^#?\[[a-z]+\]/ { sec = $0; sub(/^#?\[/, "", sec); sub(/\].*/, "", sec) }
	/^;?[a-z][a-z0-9-]* *=/ { k = $0; sub(/^;/, "", k); sub(/ *=.*/, "", k)
		print sec, k }' "$example" > "$tmp/example_keys"
if [ "$(wc -l < "$tmp/man_keys")" -lt 10 ]; then
	fail "found only $(wc -l < "$tmp/man_keys") keys in qured.conf(5)"
fi
while read -r sec key; do
	if ! grep -qx "$sec $key" "$tmp/example_keys"; then
		fail "qured.conf.example lacks [$sec] $key (in qured.conf(5))"
	fi
done < "$tmp/man_keys"

# ---- 3. the systemd unit ----

unit=$tmp/qured.service
sed -e "s|@sbindir@|$builddir/src|g" "$unit_in" > "$unit"
cp "$srcdir/dist/qured.socket" "$tmp/qured.socket"
if grep -n '@[a-z_]*@' "$unit"; then
	fail "qured.service: a placeholder is left unfilled"
fi
want=(
	'Type=notify'
	'NotifyAccess=main'
	'User=qured'
	'Group=qured'
	'Wants=qured.socket'
	"ExecStart=$builddir/src/qured -f"
	'ExecReload=/bin/kill -HUP $MAINPID'
	'Restart=on-failure'
	'RestartSec=1'
	'RuntimeDirectory=qured'
	'StateDirectory=qured'
	'ConfigurationDirectory=qured'
	'CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW CAP_NET_BIND_SERVICE'
	'AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW CAP_NET_BIND_SERVICE'
	'NoNewPrivileges=yes'
	'ProtectSystem=strict'
	'ProtectHome=yes'
	'PrivateTmp=yes'
)
for line in "${want[@]}"; do
	grep -qxF -- "$line" "$unit" || fail "qured.service lacks '$line'"
done
# One line each: a second one would add capabilities to the set.
for key in CapabilityBoundingSet AmbientCapabilities User; do
	n=$(grep -c "^$key=" "$unit" || true)
	[ "$n" = 1 ] || fail "qured.service has $n $key= lines"
done
if command -v systemd-analyze > /dev/null 2>&1; then
	rc=0
	out=$(systemd-analyze verify --man=no "$unit" "$tmp/qured.socket" \
	    2>&1) || rc=$?
	if [ "$rc" != 0 ] || [ -n "$out" ]; then
		fail "systemd-analyze verify qured.service: exit $rc: $out"
	fi
	grep -qx 'ListenDatagram=0.0.0.0:5182' "$tmp/qured.socket" ||
	    fail "qured.socket does not listen on 0.0.0.0:5182"
else
	echo "note: no systemd-analyze, the unit's syntax is not verified"
fi

# ---- 4. formatting ----

if command -v groff > /dev/null 2>&1; then
	out=$(groff -man -ww -z "$man8" 2>&1) || true
	[ -z "$out" ] || fail "groff warns on qured.8: $out"
else
	echo "note: no groff, qured.8 is not linted"
fi

if [ "$fails" != 0 ]; then
	echo "$fails mismatch(es) between the code and its docs" >&2
	exit 1
fi
echo "qured -h, qured(8), qured.conf.example, qured.conf(5) and" \
    "qured.service agree"
