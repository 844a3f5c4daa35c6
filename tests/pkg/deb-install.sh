#!/usr/bin/env bash
# tests/pkg/deb-install.sh — make check-deb (issue 14 item 5): the Debian
# packages, built, linted, installed into a fresh Debian 12 root and run.
#
#  1. a clean copy of the sources (the files git tracks, as they are in the
#     work tree; without git, `make distdir` of the build tree) in a temp
#     dir: nothing is written into the source tree;
#  2. dpkg-source -b (the native source package) and
#     dpkg-buildpackage -us -uc -b, timed;
#  3. lintian on the .dsc and the .changes: no error, no warning;
#  4. a Debian 12 root: debootstrap --variant=minbase bookworm from the
#     mirror this machine's apt uses (as vm/build-image does), with this
#     machine's apt sources; cached as a tarball in $QURE_DEB_CACHE
#     (default /var/cache/qure-deb) per day and mirror, and apt's
#     downloads there too, so a second run downloads nothing;
#  5. apt-get install of qure, qure-hostd and libqure0 in it, under a
#     policy-rc.d that starts nothing; the user and group qured, the key
#     (qured:qured, 0600, 32 bytes), the conffile, the units (qured.socket
#     and qured.service enabled, qure-hostd.service not), `qured -t`;
#  6. qured started in the root, in a new network namespace (eth0, a veth
#     to a second namespace standing for the router, default route), as
#     the unit would: user qured, only CAP_NET_ADMIN, CAP_NET_RAW and
#     CAP_NET_BIND_SERVICE (ambient), no new privileges, with the packaged
#     /etc/qured/qured.conf unchanged ([dmz] address = auto); `qurectl
#     status` in the root shows it the holder, /proc shows qured's uid, and
#     the namespace's eth0 has the DMZ address;
#  7. a reinstall (dpkg -i) keeps the key; dpkg --purge: the key, the
#     config and the state are gone.
# Every step has its own time bound. The EXIT trap (also on TERM and INT)
# stops the step that runs, kills what runs inside its root, deletes the
# namespaces, unmounts everything under its temp dir and only then removes
# it (rm --one-file-system; nothing is removed while a mount is left).
#
# Environment: QURE_DEB_CACHE (cache dir), QURE_DEB_OUT (a directory to
# copy the .debs, the .changes and the lintian and build logs to), JOBS
# (default 2), DEB_BUILD_OPTIONS (passed on: nocheck skips the unit tests
# of the build), QURE_DEB_KEEP=1 (keep the temp dir, unmounted),
# QURE_DEB_DEBS=DIR (steps 4-7 only, with the .debs in DIR: for work on
# this script).
set -euo pipefail

NAME=deb-install
SRC=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${top_builddir:-}
CACHE=${QURE_DEB_CACHE:-/var/cache/qure-deb}
OUT=${QURE_DEB_OUT:-}
JOBS=${JOBS:-2}
SUITE=bookworm

log() { printf '[%4ds] %s\n' $SECONDS "$*"; }
fail() {
	echo "FAIL: $NAME: $*" >&2
	exit 1
}
skip() {
	echo "SKIP: $NAME: $*"
	exit 77
}

[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, chroot, mounts, namespaces)"
for t in dpkg-buildpackage:dpkg-dev dh:debhelper lintian:lintian \
    debootstrap:debootstrap ip:iproute2 jq:jq nsenter:util-linux \
    flock:util-linux; do
	command -v "${t%%:*}" >/dev/null ||
	    fail "${t%%:*} not found: apt-get install ${t#*:} (scripts/deps.sh)"
done

# bounded SECONDS COMMAND...: COMMAND under timeout(1), waited for in the
# background, so a TERM or INT to this script is handled at once (the
# trap stops it) instead of after the step.
BGPID=
bounded() {
	local s=$1 rc=0
	shift
	timeout "$s" "$@" &
	BGPID=$!
	wait "$BGPID" || rc=$?
	BGPID=
	return $rc
}

exec 8>&1 7>&2
T=$(mktemp -d /tmp/qure-deb.XXXXXX)
ROOT=$T/root
NSQ=qdeb$$q # qured's namespace
NSR=qdeb$$r # the router's
QPID=

# Mount points under $T, deepest first (from the kernel's own table).
mounts_under() {
	awk -v t="$T/" 'index($5, t) == 1 {print $5}' /proc/self/mountinfo |
	    sort -r
}

# Processes whose root is $ROOT: the chroot's, all started by this run.
root_pids() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = "$ROOT" ] &&
		    echo "${p#/proc/}"
	done
	return 0
}

cleanup() {
	local rc=$? m p i
	set +e
	exec 1>&8 2>&7 # a trap may run inside a step's redirection
	trap - EXIT INT TERM
	if [ -n "$BGPID" ]; then
		kill -TERM "$BGPID" 2>/dev/null
		wait "$BGPID" 2>/dev/null
	fi
	if [ -n "$QPID" ] && kill -0 "$QPID" 2>/dev/null; then
		kill -TERM "$QPID" 2>/dev/null
		for i in $(seq 50); do
			kill -0 "$QPID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$QPID" 2>/dev/null
	fi
	if [ -d "$ROOT" ]; then
		for p in $(root_pids); do kill -KILL "$p" 2>/dev/null; done
	fi
	ip netns del "$NSQ" 2>/dev/null
	ip netns del "$NSR" 2>/dev/null
	for m in $(mounts_under); do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null ||
		    echo "$NAME: could not unmount $m" >&2
	done
	if [ -n "$(mounts_under)" ]; then
		echo "$NAME: mounts left under $T, not removed:" \
		    "$(mounts_under | tr '\n' ' ')" >&2
	elif [ "${QURE_DEB_KEEP:-0}" = 1 ]; then
		echo "$NAME: kept $T"
	else
		rm -rf --one-file-system "$T"
	fi
	[ $rc = 0 ] || echo "$NAME: failed (exit $rc)" >&2
	exit $rc
}
trap cleanup EXIT
trap 'exit 143' INT TERM

# ---- 1-3, or the .debs of an earlier run (QURE_DEB_DEBS: for work on
# steps 4-7 only)
VERSION=$(sed -n 's/^qure (\([^)]*\)).*/\1/p;q' "$SRC/debian/changelog")
[ -n "$VERSION" ] || fail "no version in $SRC/debian/changelog"
PKGDIR=$T/pkg
if [ -n "${QURE_DEB_DEBS:-}" ]; then
	log "the .debs of $QURE_DEB_DEBS, not built (QURE_DEB_DEBS)"
	mkdir -p "$PKGDIR"
	cp "$QURE_DEB_DEBS"/*.deb "$PKGDIR/"
	BUILD_S=0
else
	# ---- 1. a clean copy of the sources ----
	SRCDIR=$PKGDIR/qure-$VERSION
	mkdir -p "$SRCDIR"
	if git -C "$SRC" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		# The tracked files, as the work tree has them (edits included, new
		# files once `git add`ed); read only, no stash, no index change.
		log "copying the tracked files of $SRC"
		(cd "$SRC" && git ls-files -z --cached |
		    while IFS= read -r -d '' f; do
			if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
		    done | tar --null -T - -cf -) | tar -C "$SRCDIR" -xf - ||
		    fail "copying the sources of $SRC"
	elif [ -n "$BUILD" ] && [ -f "$BUILD/Makefile" ]; then
		log "make distdir of $BUILD into the temp dir"
		make -C "$BUILD" distdir distdir="$SRCDIR" >"$T/dist.log" 2>&1 ||
		    fail "make distdir in $BUILD (see $T/dist.log)"
	else
		fail "$SRC is no git work tree and no build tree was given" \
		    "(top_builddir): run it as make check-deb"
	fi
	[ -f "$SRCDIR/debian/control" ] || fail "no debian/ in the copy of $SRC"

	# ---- 2. the packages ----
	log "dpkg-source -b (3.0 native)"
	bounded 300 env -C "$PKGDIR" dpkg-source -b "qure-$VERSION" \
	    >"$T/source.log" 2>&1 || { cat "$T/source.log"; fail "dpkg-source -b"; }
	log "dpkg-buildpackage -us -uc -b (-J$JOBS)"
	t0=$SECONDS
	bounded 2400 env -C "$SRCDIR" dpkg-buildpackage -us -uc -b -J"$JOBS" \
	    >"$T/build.log" 2>&1 || {
		tail -n 60 "$T/build.log"
		fail "dpkg-buildpackage -us -uc -b (the log's end above)"
	}
	BUILD_S=$((SECONDS - t0))
	CHANGES=$PKGDIR/qure_${VERSION}_$(dpkg --print-architecture).changes
	[ -f "$CHANGES" ] || fail "no $CHANGES after the build"
	log "built in ${BUILD_S}s:"
	(cd "$PKGDIR" && for f in *.deb; do
		printf '    %-40s %7s bytes, installed %5s KiB\n' "$f" \
		    "$(stat -c %s "$f")" "$(dpkg-deb -f "$f" Installed-Size)"
	done)
	grep -E '^# (TOTAL|PASS|SKIP|FAIL|ERROR):' "$T/build.log" |
	    sed 's/^/    unit tests of the build: /' || true

	# ---- 3. lintian ----
	log "lintian (pedantic shown, errors and warnings fail)"
	lint_rc=0
	bounded 600 lintian --pedantic --display-info --fail-on error,warning \
	    "$PKGDIR/qure_$VERSION.dsc" "$CHANGES" >"$T/lintian.log" 2>&1 ||
	    lint_rc=$?
	grep -v 'running with root privileges' "$T/lintian.log" |
	    sed 's/^/    /' || true
	for s in E W I P; do
		printf '    %s: %s' "$s" "$(grep -c "^$s: " "$T/lintian.log" || true)"
	done
	echo
	[ $lint_rc = 0 ] || fail "lintian: errors or warnings (above)"
	if [ -n "$OUT" ]; then
		mkdir -p "$OUT"
		cp "$PKGDIR"/*.deb "$CHANGES" "$PKGDIR"/qure_"$VERSION".{dsc,tar.xz} \
		    "$T/build.log" "$T/lintian.log" "$OUT/"
	fi
fi

# ---- 4. a fresh Debian 12 root, its base cached per day and mirror ----
MIRROR=$(awk '/^URIs:/ && $2 ~ /debian\/?$/ {print $2; exit}' \
    /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
MIRROR=${MIRROR:-http://deb.debian.org/debian}
mkdir -p "$CACHE/archives/partial"
KEY=$SUITE-minbase-$(date -u +%Y%m%d)-$(printf %s "$MIRROR" |
    sha256sum | cut -c1-12)
BASE=$CACHE/$KEY.tar.gz
exec 9>"$CACHE/lock"
timeout 1200 flock 9 || fail "$CACHE/lock held for 20 min by another run"
if [ ! -f "$BASE" ]; then
	log "debootstrap --variant=minbase $SUITE from $MIRROR (cached as $BASE)"
	mkdir "$T/base"
	bounded 1500 debootstrap --variant=minbase "$SUITE" "$T/base" \
	    "$MIRROR" >"$T/debootstrap.log" 2>&1 || {
		tail -n 30 "$T/debootstrap.log"
		fail "debootstrap from $MIRROR (the log's end above)"
	}
	# This machine's apt sources (updates and security too), so the root
	# has the library versions the packages were built against.
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		cp /etc/apt/sources.list.d/debian.sources \
		    "$T/base/etc/apt/sources.list.d/"
		rm -f "$T/base/etc/apt/sources.list"
	fi
	cp /etc/resolv.conf "$T/base/etc/resolv.conf"
	bounded 600 chroot "$T/base" apt-get update -q >>"$T/debootstrap.log" \
	    2>&1 || fail "apt-get update in the new root (see $T/debootstrap.log)"
	rm -f "$T/base/etc/resolv.conf"
	tar -C "$T/base" --numeric-owner -czf "$BASE.tmp" . &&
	    mv "$BASE.tmp" "$BASE"
	rm -rf --one-file-system "$T/base"
	find "$CACHE" -maxdepth 1 -name "$SUITE-minbase-*.tar.gz" \
	    ! -name "$KEY.tar.gz" -delete
else
	log "base root from the cache: $BASE"
fi
mkdir "$ROOT"
tar -C "$ROOT" --numeric-owner -xzf "$BASE"
exec 9>&-

printf '#!/bin/sh\n# %s: nothing starts in this root\nexit 101\n' "$NAME" \
    >"$ROOT/usr/sbin/policy-rc.d"
chmod 755 "$ROOT/usr/sbin/policy-rc.d"
# /run is a tmpfs of its own: the host's would show its systemd (and its
# bus) to the root's maintainer scripts.
mount -t proc proc "$ROOT/proc"
mount -t sysfs sys "$ROOT/sys"
mount --bind /dev "$ROOT/dev"
mount --bind /dev/pts "$ROOT/dev/pts"
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs "$ROOT/run"
mount --bind "$CACHE/archives" "$ROOT/var/cache/apt/archives"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
in_root() { chroot "$ROOT" "$@"; }

# ---- 5. install, then what the packages left ----
ARCH=$(dpkg --print-architecture)
mkdir "$ROOT/tmp/debs"
for p in qure qure-hostd libqure0; do
	cp "$PKGDIR/${p}_${VERSION}_$ARCH.deb" "$ROOT/tmp/debs/"
done
log "apt-get install qure qure-hostd libqure0 in the root"
t0=$SECONDS
{ bounded 600 chroot "$ROOT" apt-get update -q &&
    bounded 900 env DEBIAN_FRONTEND=noninteractive chroot "$ROOT" \
	apt-get install -y -q --no-install-recommends \
	"/tmp/debs/qure_${VERSION}_$ARCH.deb" \
	"/tmp/debs/qure-hostd_${VERSION}_$ARCH.deb" \
	"/tmp/debs/libqure0_${VERSION}_$ARCH.deb"; } >"$T/apt.log" 2>&1 || {
	tail -n 40 "$T/apt.log"
	fail "apt-get install of the packages (the log's end above)"
}
# apt's cache in $CACHE keeps only what the archive still has.
chroot "$ROOT" apt-get autoclean -q >>"$T/apt.log" 2>&1 || true
log "installed in $((SECONDS - t0))s; postinst said:"
grep -E '^qure: ' "$T/apt.log" | sed 's/^/    /' || true
rm -f "$ROOT/etc/resolv.conf"

check() {
	if eval "$2"; then
		printf '    ok    %s\n' "$1"
	else
		printf '    FAIL  %s\n' "$1"
		fail "$1"
	fi
}
PW=$(in_root getent passwd qured) || fail "no user qured in the root"
QUID=$(cut -d: -f3 <<<"$PW")
QGID=$(cut -d: -f4 <<<"$PW")
check "user qured: a system user ($PW)" \
    '[ "$QUID" -gt 0 ] && [ "$QUID" -lt 1000 ] && [ "${PW##*:}" = /usr/sbin/nologin ]'
check "group qured is its primary group" \
    '[ "$(in_root getent group qured | cut -d: -f3)" = "$QGID" ]'
K=$ROOT/etc/qured/cluster.key
check "cluster key qured:qured 0600" \
    '[ "$(in_root stat -c %U:%G:%a /etc/qured/cluster.key)" = qured:qured:600 ]'
check "cluster key: 32 bytes in base64" \
    '[ "$(base64 -d <"$K" | wc -c)" = 32 ]'
check "/etc/qured/qured.conf is a conffile" \
    'in_root dpkg-query -W -f="\${Conffiles}" qure | grep -q " /etc/qured/qured.conf "'
for u in qured.service qured.socket qure-hostd.service; do
	check "unit $u installed" '[ -f "$ROOT/lib/systemd/system/$u" ]'
done
check "qured.socket, qured.service enabled" \
    '[ "$(systemctl --root="$ROOT" is-enabled qured.socket qured.service | sort -u)" = enabled ]'
check "qure-hostd.service not enabled" \
    '[ "$(systemctl --root="$ROOT" is-enabled qure-hostd.service || true)" = disabled ]'
for m in man8/qured.8 man8/qurectl.8 man5/qured.conf.5 man8/qure-hostd.8; do
	check "man page $m" '[ -f "$ROOT/usr/share/man/$m.gz" ]'
done
check "qured -t accepts the packaged config" \
    'in_root qured -t >"$T/qured-t.log" 2>&1'

# ---- 6. qured in a namespace of its own, as the unit runs it ----
R=$((RANDOM % 200 + 20))
NET=10.$R.$((RANDOM % 250 + 1))
ip netns add "$NSQ"
ip netns add "$NSR"
ip -n "$NSQ" link set lo up
ip -n "$NSR" link set lo up
ip -n "$NSQ" link add eth0 type veth peer name lan0 netns "$NSR"
ip -n "$NSQ" addr add "$NET.2/24" dev eth0
ip -n "$NSR" addr add "$NET.1/24" dev lan0
ip -n "$NSQ" link set eth0 up
ip -n "$NSR" link set lan0 up
ip -n "$NSQ" route add default via "$NET.1"
# The root's /sys as the namespace sees it; what systemd makes for the
# unit (RuntimeDirectory=, StateDirectory=, owned by User=).
umount "$ROOT/sys"
nsenter --net="/run/netns/$NSQ" mount -t sysfs sys "$ROOT/sys"
unit_mode() {
	local m
	m=$(sed -n "s/^$1=//p" "$ROOT/lib/systemd/system/qured.service")
	echo "${m:-0755}"
}
install -d -m "$(unit_mode RuntimeDirectoryMode)" -o "$QUID" -g "$QGID" \
    "$ROOT/run/qured"
install -d -m "$(unit_mode StateDirectoryMode)" -o "$QUID" -g "$QGID" \
    "$ROOT/var/lib/qured"
CAPS=+net_admin,+net_raw,+net_bind_service
log "qured as qured in $NSQ ($NET.2/24 on eth0, default via $NET.1)"
nsenter --net="/run/netns/$NSQ" chroot "$ROOT" \
    setpriv --reuid=qured --regid=qured --init-groups --no-new-privs \
    --bounding-set=-all,$CAPS --inh-caps=-all,$CAPS --ambient-caps=$CAPS \
    /usr/sbin/qured -f >"$T/qured.log" 2>&1 &
QPID=$!

st=
for i in $(seq 240); do
	kill -0 "$QPID" 2>/dev/null || {
		cat "$T/qured.log"
		fail "qured exited (its log above)"
	}
	if j=$(in_root qurectl status --json 2>/dev/null) &&
	    st=$(jq -r .node.state <<<"$j") && [ "$st" = holder ]; then
		break
	fi
	sleep 0.5
done
[ "$st" = holder ] || {
	cat "$T/qured.log"
	in_root qurectl status || true
	fail "qured not the holder within 120 s (state '${st:-none}')"
}
log "qured is the holder after ${i}x0.5s at most; qurectl status:"
in_root qurectl status | sed 's/^/    /'
check "qurectl status --json: node.state holder" '[ "$st" = holder ]'
check "qured (pid $QPID) runs as uid $QUID (qured)" \
    '[ "$(awk "/^Uid:/ {print \$2, \$3, \$4, \$5}" /proc/$QPID/status)" = "$QUID $QUID $QUID $QUID" ]'
check "qured runs in the root, in $NSQ" \
    '[ "$(readlink /proc/$QPID/root)" = "$ROOT" ] && [ "$(readlink /proc/$QPID/ns/net)" = "$(ip netns exec "$NSQ" readlink /proc/self/ns/net)" ]'
DMZ=$(jq -r '.dmz.address // empty' <<<"$j")
check "eth0 in $NSQ has the DMZ address ${DMZ:-?}" \
    '[ -n "$DMZ" ] && ip -n "$NSQ" -4 -o addr show dev eth0 | grep -qF " ${DMZ%%/*}/"'

kill -TERM "$QPID"
for i in $(seq 100); do
	kill -0 "$QPID" 2>/dev/null || break
	sleep 0.1
done
check "qured stops on SIGTERM" '! kill -0 "$QPID" 2>/dev/null'
wait "$QPID" 2>/dev/null || true
QPID=

# ---- 7. reinstall keeps the key; purge removes it ----
KSUM=$(sha256sum <"$K")
bounded 300 env DEBIAN_FRONTEND=noninteractive chroot "$ROOT" \
    dpkg -i "/tmp/debs/qure_${VERSION}_$ARCH.deb" >"$T/reinstall.log" 2>&1 || {
	cat "$T/reinstall.log"
	fail "dpkg -i of qure over itself"
}
check "a reinstall keeps the cluster key" \
    '[ "$(sha256sum <"$K")" = "$KSUM" ] && [ "$(in_root stat -c %U:%G:%a /etc/qured/cluster.key)" = qured:qured:600 ]'
bounded 300 env DEBIAN_FRONTEND=noninteractive chroot "$ROOT" \
    dpkg --purge qure-hostd qure >"$T/purge.log" 2>&1 || {
	cat "$T/purge.log"
	fail "dpkg --purge qure-hostd qure"
}
check "purge removed the key, the config and the state" \
    '[ ! -e "$ROOT/etc/qured" ] && [ ! -e "$ROOT/var/lib/qured" ]'

log "PASS: $NAME (build ${BUILD_S}s, lintian clean)"
