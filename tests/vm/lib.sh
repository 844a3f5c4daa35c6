#!/usr/bin/env bash
# tests/vm/lib.sh — what the appliance's tests share (check-vm.sh,
# hostd-vm.sh; sourced, NAME set first): root and the tools or a skip;
# the run's directory $T; the image, built by vm/build-image once per
# content of its inputs and cached in $QURE_VM_CACHE (default
# /var/cache/qure-vm/HASH; the two newest kept) as $IMG; the LAN (vm_lan:
# a namespace $NS with a bridge at ${NET}1 and dnsmasq as the router's
# DHCP server); the cluster key and the site's qured.conf fragment
# ($T/cluster.key, $T/site.conf: [dmz] address $DMZ, the SSH server as
# the service); on exit every process in $PIDS killed and the namespace
# gone (vm_cleanup_hook first, if the test defines one).
set -uo pipefail

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_srcdir=$(cd "$top_srcdir" && pwd)
CACHE=${QURE_VM_CACHE:-/var/cache/qure-vm}
ACCEL=${QURE_VM_ACCEL:-tcg}
BOOT_MS=${QURE_VM_BOOT_MS:-300000}
T0=$(date +%s%N)

now_ms() { echo $((($(date +%s%N) - T0) / 1000000)); }
log() { printf '[%7d ms] %s\n' "$(now_ms)" "$*"; }
skip() {
	echo "SKIP: $NAME: $*"
	exit 77
}
fail() {
	echo "FAIL: $NAME: $*" >&2
	dump
	exit 1
}
wait_for() { # MS DESCRIPTION COMMAND...
	local ms=$1 what=$2 end
	shift 2
	end=$(($(now_ms) + ms))
	until "$@"; do
		[ "$(now_ms)" -lt "$end" ] || fail "not within $ms ms: $what"
		sleep 0.2
	done
}

[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, debootstrap)"
for t in qemu-system-x86_64 qemu-img debootstrap extlinux dnsmasq arping ssh-keyscan; do
	command -v "$t" >/dev/null 2>&1 ||
	    skip "$t not found: apt-get install qemu-system-x86 qemu-utils debootstrap extlinux syslinux-common parted dnsmasq-base iputils-arping openssh-client (scripts/deps.sh)"
done

T=$(mktemp -d /tmp/qure-vm.XXXXXX)
NS=qvm$$
NET=10.$((RANDOM % 200 + 20)).$((RANDOM % 250)).
DMZ=${NET}200
PIDS=()
dump() {
	local f
	for f in "$T"/*.serial; do
		[ -f "$f" ] || continue
		echo "---- $f (last 25 lines)" >&2
		tail -25 "$f" | tr -d '\r' >&2
	done
	# qure-hostd's own account (hostd-vm.sh): what it did and why.
	if [ -f "$T/hostd.log" ]; then
		echo "---- $T/hostd.log (last 60 lines)" >&2
		tail -60 "$T/hostd.log" >&2
	fi
}
cleanup() {
	local rc=$? p
	declare -F vm_cleanup_hook >/dev/null && vm_cleanup_hook
	for p in "${PIDS[@]}"; do
		kill -CONT "$p" 2>/dev/null
		kill -KILL "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	ip netns del "$NS" 2>/dev/null
	[ "${QURE_VM_KEEP:-0}" = 1 ] && echo "kept $T" || rm -rf "$T"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the image, cached by the content of what it is built from ----
inputs_hash() {
	(cd "$top_srcdir" &&
	    find base discovery dns election libqure netcfg src store vm dist \
		doc/man configure.ac Makefile.am m4 -type f \
		! -name '*.o' ! -name '*~' 2>/dev/null | LC_ALL=C sort |
	    xargs sha256sum) | sha256sum | cut -c1-16
}
IMG=$CACHE/$(inputs_hash)
if [ -f "$IMG/qure.qcow2" ] && [ -f "$IMG/qure-image.manifest" ]; then
	log "image: cached, $IMG"
else
	log "image: building into $IMG (vm/build-image)"
	mkdir -p "$CACHE"
	t=$(now_ms)
	rm -rf "$IMG.tmp"
	"$top_srcdir/vm/build-image" -o "$IMG.tmp" >"$T/build.out" 2>&1 ||
	    fail "vm/build-image failed: $(tail -5 "$T/build.out")"
	mv "$IMG.tmp" "$IMG"
	rm -f "$IMG/qure.raw" # the qcow2 holds the same; 1.5 GiB less
	log "image built in $((($(now_ms) - t) / 1000)) s: $(tail -1 "$IMG/build.log" | sed 's/^\[ *[0-9]*s\] //')"
	# Keep the two newest images.
	ls -1dt "$CACHE"/*/ 2>/dev/null | tail -n +3 | xargs -r rm -rf
fi

# ---- the LAN: a bridge and the router's DHCP in a namespace ----
# vm_lan TAP... [-- DNSMASQ_OPTION...]: the namespace, its bridge, a tap
# on it for each name, dnsmasq.
vm_lan() {
	local tap
	ip netns add "$NS" || fail "cannot add the namespace $NS"
	ip -n "$NS" link set lo up
	ip -n "$NS" link add br0 type bridge
	ip -n "$NS" addr add "${NET}1/24" dev br0
	ip -n "$NS" link set br0 up
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		tap=$1
		shift
		ip -n "$NS" tuntap add dev "$tap" mode tap
		ip -n "$NS" link set "$tap" master br0 up
	done
	[ $# -eq 0 ] || shift
	ip netns exec "$NS" dnsmasq --keep-in-foreground --port=0 \
	    --no-resolv --no-hosts --interface=br0 --bind-interfaces \
	    --dhcp-range="${NET}100,${NET}150,255.255.255.0,1h" "$@" \
	    --dhcp-leasefile="$T/leases" --log-facility="$T/dnsmasq.log" &
	PIDS+=($!)
}

# ---- the site's settings, through fw_cfg ----
head -c 32 /dev/urandom | base64 >"$T/cluster.key"
# Under TCG three guests share two host cores at a twentieth of their
# speed: their loops stall 100-300 ms on a quiet host (seen: fence
# lapses, holders changing every few seconds at the defaults), up to a
# second when the host's cores are busy too (seen in a CI run with two
# busy loops: a step of 935 ms, holders losing their lease, the SSH
# check timing out at 500 ms). So, as on any slow host, a slower
# heartbeat (1 s: dead after 3 s), no fence and a check given 2 s; with
# KVM the defaults. The tests assert what happens, not how fast.
if [ "$ACCEL" = tcg ]; then
	TIMING=$(printf 'heartbeat = 1s\nfence = 0\n')
	CHECK_TIMING=$(printf 'check-interval = 1s\ncheck-timeout = 2s\n')
else
	TIMING= CHECK_TIMING=
fi
# Every member sends an ALIVE each second: the appliance's base config
# says so (qure-hostd's vm-dead-after judges by it, hostd-vm.sh).
cat >"$T/site.conf" <<EOF
[cluster]
$TIMING
[dmz]
address = ${DMZ}/24
ports = tcp:22
check = tcp:127.0.0.1:22
$CHECK_TIMING
EOF

