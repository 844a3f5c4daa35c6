#!/usr/bin/env bash
# The systemd unit's sandbox (issue 14 item 3): `systemd-analyze security
# --offline=true` on the built dist/qured.service (and
# dist/qure-hostd.service) rates it 3.0 or less; qured(8), SYSTEMD AND
# PRIVILEGES, gives the figure. Skips (77) when systemd-analyze is missing
# or cannot run offline here.
set -eu

srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${top_builddir:-.}
MAX=3.0
# qure-hostd runs qemu (root, KVM, tap devices, the setuid bridge
# helper): it keeps more (dist/qure-hostd.service.in says what).
HOSTD_MAX=9.0

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "SKIP: unit_security: no systemd-analyze (apt-get install systemd)"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# rate FILE.in MAX: fills in @sbindir@, runs systemd-analyze, checks.
rate() {
	local in=$1 max=$2 unit out score
	unit=$tmp/$(basename "$in" .in)
	sed -e 's|@sbindir[@]|/usr/sbin|g' "$in" >"$unit"
	if ! out=$(systemd-analyze security --offline=true --no-pager \
	    "$unit" 2>&1); then
		if grep -qi "unrecognized option\|unknown option" <<<"$out"; then
			echo "SKIP: unit_security: this systemd-analyze has no" \
			    "--offline (systemd 250 or later needed)"
			exit 77
		fi
	fi
	score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' \
	    <<<"$out")
	if [ -z "$score" ]; then
		echo "FAIL: unit_security: no exposure figure for $(basename "$unit"):"
		echo "$out" | tail -5
		exit 1
	fi
	echo "$(basename "$unit"): exposure $score (at most $max)"
	if ! awk -v s="$score" -v m="$max" 'BEGIN { exit !(s <= m) }'; then
		echo "FAIL: unit_security: $(basename "$unit") exposure $score" \
		    "is above $max; what costs most:"
		grep '✗' <<<"$out" | sort -t' ' -k2 | tail -15
		exit 1
	fi
}

rate "$srcdir/dist/qured.service.in" "$MAX"
if [ -f "$srcdir/dist/qure-hostd.service.in" ]; then
	rate "$srcdir/dist/qure-hostd.service.in" "$HOSTD_MAX"
fi
echo "PASS: unit_security"
