#!/bin/bash
# tests/unit/balance_nft.sh — nftables accepts the load sharing ruleset
# (netcfg/balance.h), with and without the client's port in the key:
# `nft -c` (check only, nothing committed) in a network namespace of its
# own. Needs root and nft; skips (77) without them.
set -u
gen=${top_builddir:-.}/tests/unit/balance_gen
if [ "$(id -u)" != 0 ] || ! command -v nft >/dev/null; then
	echo "SKIP: balance_nft: needs root and nft"
	exit 77
fi
for key in addr port; do
	if ! "$gen" "$key" | unshare -n nft -c -f -; then
		echo "FAIL: balance_nft: nft -c refused the ruleset (key $key)"
		exit 1
	fi
done
echo "PASS: balance_nft: nft accepts the ruleset, keyed by addr and by port"
