#!/usr/bin/env bash
# scripts/deps.sh — install the Debian 12 packages that the build, the
# tests, the demo and CI need. Idempotent: installs only what is missing,
# runs `apt-get update` at most once and only then, never reads stdin.
#
# One list (PKGS): a part that needs a new package adds it here, and the
# matching pkg-config check to configure.ac.
set -euo pipefail

PKGS=(
	# build
	build-essential autoconf automake libtool autoconf-archive pkg-config
	# libraries (configure.ac: QURE_REQUIRE_PKG)
	libssl-dev nettle-dev libevent-dev libnl-3-dev libnl-route-3-dev libinih-dev
	libjansson-dev libcmocka-dev libnftables-dev libavahi-client-dev libldns-dev
	libnftnl-dev libmnl-dev # netcfg/nft_batch.c
	libminiupnpc-dev libnatpmp-dev # dns/router.c
	libhiredis-dev # src/redis_sup.c: the site cache's instances
	libsystemd-dev libcap-ng-dev # src/sdnotify.c, src/priv.c (issue 14)
	# tests/unit/unit_security.sh: systemd-analyze security --offline;
	# tests/netns/privdrop.sh: setpriv (util-linux)
	systemd util-linux
	# fuzzing (libFuzzer and the sanitizer runtimes of clang 14), format
	clang libclang-rt-14-dev clang-format-14
	# tests/netns (network namespaces, bridges, veth)
	iproute2 jq socat nftables
	procps python3 # pgrep in several tests; the tests' small servers
	iptables # tests/netns/nofalse_slow*.sh: SYNs to an NFQUEUE (no nft queue)
	keepalived # tests/bench/failover: the peer to beat
	# tests/netns/dnsresp.sh: the responder's clients (dig, kdig);
	# tests/bench/dns: dnsperf, and BIND 9 serving the same zone
	dnsutils knot-dnsutils dnsperf bind9
	# tests/netns/avahi*.sh: an avahi-daemon with its own D-Bus system bus
	# per host namespace (never started in the root one: policy-rc.d);
	# python3-dbus publishes the hostile flood of avahi_flood.sh
	avahi-daemon avahi-utils dbus python3-dbus
	# tests/netns/dyndns.sh: BIND 9 as the primary taking RFC 2136 updates
	# (never started in the root namespace: policy-rc.d), dig
	bind9 bind9-utils dnsutils
	# tests/netns/upnp.sh: the router's IGD (never started in the root
	# namespace: policy-rc.d) and its clients
	miniupnpd miniupnpd-nftables miniupnpc natpmpc
	# the site cache ([store]): qured runs redis-server itself, in the
	# netns tests in the member namespaces only (the Debian service is
	# never started: policy-rc.d); redis-cli checks it
	redis-server redis-tools
	# the README's Redis Cluster client example, run by store_form.sh
	python3-redis
	# vm/build-image and make check-vm (issue 12): the image from Debian's
	# packages, qemu under TCG, the test LAN's DHCP (dnsmasq-base has no
	# service) and ARP probes of the DMZ address, the clone check's
	# ssh-keyscan
	qemu-system-x86 qemu-utils debootstrap extlinux syslinux-common parted
	dnsmasq-base iputils-arping openssh-client
	dosfstools mtools # check-vm's QURECFG volume, made without a mount
	# issue 14: promtool (prometheus; its service never starts:
	# policy-rc.d) checks /metrics in test_metrics and http.sh; curl
	# scrapes and hammers the [http] listener; headless Chromium loads
	# the status page in statuspage.sh
	prometheus curl chromium-headless-shell
	# make check-deb (tests/pkg/deb-install.sh, doc/debian.md): the Debian
	# packages built (dpkg-buildpackage, debhelper compat 13), linted, and
	# installed into a debootstrap root (debootstrap: above)
	dpkg-dev debhelper lintian
)

log() { printf 'deps: %s\n' "$*"; }

# Packages installed by anyone on this machine (avahi-daemon, bind9,
# keepalived, miniupnpd, redis-server for the netns tests) must never
# start their daemons in the root namespace: tests run them in namespaces
# of their own. A policy-rc.d that exits 101 denies every start by invoke-rc.d;
# one that is already there is kept.
if [ "$(id -u)" -eq 0 ] && [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\n# qure scripts/deps.sh: no daemon starts from apt\nexit 101\n' \
	    >/usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	log "installed /usr/sbin/policy-rc.d (apt starts no daemons)"
fi

missing=()
for p in "${PKGS[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	log "all ${#PKGS[@]} packages present"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	log "missing: ${missing[*]}" >&2
	log "run as root (or: sudo apt-get install ${missing[*]})" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
log "installing: ${missing[*]}"
apt-get update -q </dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
log "done"
