#!/usr/bin/env bash
# vm/image/usr/lib/qure/qure-vmconfig on the host (issue 12 item 2 and its
# bad input), against a fake fw_cfg directory: the key and a qured.conf
# fragment are installed (key 0600, the fragment's keys over the base's,
# checked with this tree's qured -t); a key of the wrong length, a
# malformed fragment and one qured refuses are each said in one line and
# leave qured unconfigured (no key installed); with nothing given, the key
# on the disk (baked in) stays.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-.}
VMCONFIG=$top_srcdir/vm/image/usr/lib/qure/qure-vmconfig
T=$(mktemp -d /tmp/qure-vmconfig.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: vmconfig: $*" >&2; exit 1; }

export QURE_VMCONFIG_ETC=$T/etc QURE_VMCONFIG_FWCFG=$T/fw \
    QURE_VMCONFIG_BASE=$top_srcdir/vm/image/usr/lib/qure/qured.conf.base \
    QURE_VMCONFIG_NO_HOSTNAME=1 QURED=$top_builddir/src/qured
KEY=$(head -c 32 /dev/urandom | base64)
run() { sh "$VMCONFIG" >"$T/out" 2>&1 || fail "exit $?: $(cat "$T/out")"; }
fw() { # NAME CONTENT: an fw_cfg entry
	mkdir -p "$T/fw/$1"
	printf '%s\n' "$2" >"$T/fw/$1/raw"
}
reset() { rm -rf "$T/etc" "$T/fw"; mkdir -p "$T/etc"; }

# The key and a fragment from fw_cfg.
reset
fw cluster.key "$KEY"
fw qured.conf "$(printf '[node]\npriority = 50\n[dmz]\naddress = 10.66.0.200/24\nports = tcp:22\n')"
run
[ "$(cat "$T/etc/cluster.key")" = "$KEY" ] || fail "key not installed: $(cat "$T/out")"
[ "$(stat -c %a "$T/etc/cluster.key")" = 600 ] || fail "key mode $(stat -c %a "$T/etc/cluster.key")"
grep -qx 'address = 10.66.0.200/24' "$T/etc/qured.conf" || fail "fragment not merged: $(cat "$T/etc/qured.conf")"
[ "$(grep -c '^address' "$T/etc/qured.conf")" = 1 ] || fail "address twice"
grep -qx 'key-wait = yes' "$T/etc/qured.conf" || fail "base lost"
grep -qx 'priority = 50' "$T/etc/qured.conf" || fail "[node] priority lost"
"$QURED" -t -c "$T/etc/qured.conf" >/dev/null || fail "merged config refused"
grep -q "cluster key from fw_cfg opt/qure/cluster.key" "$T/out" || fail "source not said: $(cat "$T/out")"

# A key of the wrong length: not installed, said in one line.
reset
fw cluster.key "$(head -c 16 /dev/urandom | base64)"
run
[ ! -e "$T/etc/cluster.key" ] || fail "a 16-byte key was installed"
grep -q "not 32 bytes of base64 (it decodes to 16 bytes).*unconfigured" "$T/out" ||
    fail "bad key not said: $(cat "$T/out")"

# A malformed fragment: nothing applied, the key removed.
reset
fw cluster.key "$KEY"
fw qured.conf "$(printf '[dmz]\nthis is not ini\n')"
run
[ ! -e "$T/etc/cluster.key" ] || fail "a malformed fragment left the key"
grep -q "fragment from fw_cfg opt/qure/qured.conf is malformed (line 2 .*not key = value" "$T/out" ||
    fail "malformed fragment not said: $(cat "$T/out")"
cmp -s "$T/etc/qured.conf" "$QURE_VMCONFIG_BASE" || fail "qured.conf is not the base"

# A fragment qured refuses: its own message.
reset
fw cluster.key "$KEY"
fw qured.conf "$(printf '[dmz]\naddress = banana\n')"
run
[ ! -e "$T/etc/cluster.key" ] || fail "a refused fragment left the key"
grep -q "is refused: .*address.*unconfigured" "$T/out" ||
    fail "refused fragment not said: $(cat "$T/out")"

# Nothing given: a baked-in key stays.
reset
echo "$KEY" >"$T/etc/cluster.key"
run
[ "$(cat "$T/etc/cluster.key")" = "$KEY" ] || fail "the baked key went"
grep -q "the one on the disk" "$T/out" || fail "baked key not said: $(cat "$T/out")"
cmp -s "$T/etc/qured.conf" "$QURE_VMCONFIG_BASE" || fail "no base qured.conf written"
# qured runs as its own user in the appliance (issue 14): the key is that
# user's, /etc/qured and qured.conf its group's (daemon here: a user with
# a group of its name that every Debian has; root's only as root).
if [ "$(id -u)" = 0 ] && id daemon >/dev/null 2>&1; then
	reset
	echo "$KEY" >"$T/etc/cluster.key"
	QURE_VMCONFIG_OWNER=daemon run
	[ "$(stat -c %U "$T/etc/cluster.key")" = daemon ] ||
	    fail "the baked key is $(stat -c %U:%a "$T/etc/cluster.key"), want daemon's"
	reset
	fw cluster.key "$KEY"
	fw qured.conf "$(printf '[dmz]\naddress = 10.66.0.200/24\n')"
	QURE_VMCONFIG_OWNER=daemon run
	[ "$(stat -c %U:%a "$T/etc/cluster.key")" = daemon:600 ] ||
	    fail "key $(stat -c %U:%a "$T/etc/cluster.key"), want daemon:600"
	[ "$(stat -c %G:%a "$T/etc/qured.conf")" = daemon:640 ] ||
	    fail "qured.conf $(stat -c %G:%a "$T/etc/qured.conf"), want daemon:640"
	[ "$(stat -c %G:%a "$T/etc")" = daemon:750 ] ||
	    fail "/etc/qured $(stat -c %G:%a "$T/etc"), want daemon:750"
fi
echo "PASS: vmconfig: fw_cfg key and fragment, bad key, malformed and refused fragments, baked key, owner"
