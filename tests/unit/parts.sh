#!/bin/bash
# tests/unit/parts.sh — what each part of the tree may include (issue 8):
#
#   election/   its own headers, libc and OpenSSL: nothing of the project
#               outside election/, no third-party library but OpenSSL;
#   base/       its own headers and libc;
#   store/      its own headers and libc (libm): a pure core, like the
#               election's;
#   libqure/    its own headers, libc and hiredis: an installed library
#               that needs nothing of the project;
#   vm/         qure-hostd: its own headers and base/ (its pure core,
#               hostd_core.c, libc alone: its unit test links nothing else);
#   netcfg/, discovery/, dns/ (the edge parts)
#               their own headers and base/: never src/, election/ or
#               another edge part.
#
# src/ wires them all and may include any. Reads the sources under
# $top_srcdir (AM_TESTS_ENVIRONMENT); prints every offending line.
set -u
cd "${top_srcdir:-.}" || exit 1
fail=0

# $1: the part; $2: an ERE the quoted includes must match; $3: an ERE the
# angle-bracket includes must not match ("" for none).
check() {
	local part=$1 ok=$2 bad=$3 lines
	[ -d "$part" ] || return 0
	lines=$(grep -HnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' \
	    "$part"/*.[ch] 2>/dev/null | grep -vE "#[[:space:]]*include[[:space:]]*\"($ok)")
	if [ -n "$lines" ]; then
		echo "parts: $part/ includes what it may not:" >&2
		echo "$lines" >&2
		fail=1
	fi
	[ -n "$bad" ] || return 0
	lines=$(grep -HnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<' \
	    "$part"/*.[ch] 2>/dev/null | grep -E "<($bad)")
	if [ -n "$lines" ]; then
		echo "parts: $part/ uses a library it may not:" >&2
		echo "$lines" >&2
		fail=1
	fi
}

third_party='event2/|netlink/|nftables/|jansson|ini\.h|cmocka|ldns/|systemd/'
check election 'config\.h"|election/' "$third_party"
check base 'config\.h"|base/' "$third_party|openssl/"
check store 'config\.h"|store/' "$third_party|openssl/"
check libqure 'config\.h"|libqure/' "$third_party|openssl/"
check vm 'config\.h"|base/|vm/' ''
for edge in netcfg discovery dns; do
	check "$edge" "config\\.h\"|base/|$edge/" ''
done
[ "$fail" = 0 ] && echo "parts: election/, base/, store/, libqure/, vm/ and the edge parts include only what they may"
exit "$fail"
