#!/usr/bin/env bash
# DNS-SD with real avahi-daemons (issue 9 items 1 and 7): one avahi-daemon
# with its own D-Bus system bus in each host namespace and in the router's,
# qured on each host.
#  - `avahi-browse -rpt _qure._udp` from the router lists every instance,
#    with its node id, the cluster fingerprint, prio, state and ver;
#  - each qured says "discovery": {"avahi": "running", "peers_browsed": 2};
#  - hostile publishers of _qure._udp (a bad TXT, another cluster's
#    fingerprint) are ignored and logged, never counted as peers;
#  - the holder's avahi-daemon killed: qured says so, nothing moves;
#    restarted: qured publishes again and the router browses it again.
#
# The bus listens on an abstract socket (unix:abstract=/$P/dbus-system):
# abstract sockets belong to a network namespace, so each namespace has
# its own bus at the same address and every process started in it finds
# it through DBUS_SYSTEM_BUS_ADDRESS. avahi-daemon's pid file and socket
# live in /run/avahi-daemon, compiled in: each daemon gets a tmpfs over it
# in the mount namespace `ip netns exec` makes for it.
. "$(dirname "$0")/lib.sh"

for qn_tool in dbus-daemon:dbus dbus-send:dbus avahi-daemon:avahi-daemon \
    avahi-browse:avahi-utils avahi-publish:avahi-utils sha256sum:coreutils \
    base64:coreutils; do
	if ! command -v "${qn_tool%%:*}" >/dev/null 2>&1; then
		echo "ERROR: $QN_NAME: ${qn_tool%%:*} not found:" \
		    "apt-get install ${qn_tool#*:} (scripts/deps.sh)" >&2
		exit 99
	fi
done

export DBUS_SYSTEM_BUS_ADDRESS="unix:abstract=/$QN_P/dbus-system"
declare -A AV_PID=() # namespace -> its avahi-daemon's pid

cat >"$T/dbus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>$DBUS_SYSTEM_BUS_ADDRESS</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/> <allow own="*"/> <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
EOF

# av_bus NS: a D-Bus system bus in namespace NS, ready when it answers.
av_bus() {
	ip netns exec "$1" dbus-daemon --config-file="$T/dbus.conf" --nofork \
	    --nopidfile >>"$T/$1.dbus.log" 2>&1 &
	QN_PIDS+=($!)
	qn_wait_for 5000 ip netns exec "$1" dbus-send --system \
	    --dest=org.freedesktop.DBus --print-reply / \
	    org.freedesktop.DBus.GetId >/dev/null 2>&1
}

# av_daemon NS IFNAME: avahi-daemon in NS on IFNAME (host name $NS); its
# pid in AV_PID[NS]. Ready: av_running NS.
av_daemon() {
	cat >"$T/$1.avahi.conf" <<EOF
[server]
host-name=$1
domain-name=local
use-ipv4=yes
use-ipv6=no
allow-interfaces=$2
enable-dbus=yes
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
EOF
	ip netns exec "$1" sh -c 'mount -t tmpfs -o mode=0755 qn-avahi \
	    /run/avahi-daemon && exec avahi-daemon -f "$0" --no-rlimits' \
	    "$T/$1.avahi.conf" >>"$T/$1.avahi.log" 2>&1 &
	AV_PID[$1]=$!
	QN_PIDS+=($!)
}

# av_running NS: NS's avahi-daemon is AVAHI_SERVER_RUNNING (2).
av_running() {
	ip netns exec "$1" dbus-send --system --print-reply \
	    --dest=org.freedesktop.Avahi / org.freedesktop.Avahi.Server.GetState \
	    2>/dev/null | grep -q 'int32 2'
}

# av_browse: the resolved _qure._udp instances seen from the router.
av_browse() {
	ip netns exec "$QN_ROUTER" timeout 10 avahi-browse -rpt _qure._udp \
	    2>/dev/null | grep '^=' || true
}

# av_lists N: the router's browse shows host N's instance with its TXT.
av_lists() {
	local id
	id=$(qn_field "$1" .node.id) || return 1
	av_browse >"$T/browse"
	grep -q ";$(qn_ip "$1");5182;.*\"id=$id\"" "$T/browse" &&
	    grep ";$(qn_ip "$1");" "$T/browse" | grep -q "\"cluster=$FP\"" &&
	    grep ";$(qn_ip "$1");" "$T/browse" | grep -q '"ver=2"' &&
	    grep ";$(qn_ip "$1");" "$T/browse" | grep -q '"prio=100"' &&
	    grep ";$(qn_ip "$1");" "$T/browse" |
	    grep -q "\"state=$(qn_field "$1" .node.state)\""
}

# av_state N STATE [PEERS]: host N's discovery object says so.
av_state() {
	local j
	j=$(qn_status "$1" 2>/dev/null) || return 1
	[ "$(jq -r .discovery.avahi <<<"$j")" = "$2" ] || return 1
	[ -z "${3:-}" ] || [ "$(jq -r .discovery.peers_browsed <<<"$j")" = "$3" ]
}

# The directory the tmpfs goes over; Debian ships none (left in place:
# an empty directory, and another run may be using it as a mount point).
mkdir -p /run/avahi-daemon

qn_setup 3
# The key's fingerprint as cluster_fingerprint() makes it (src/cluster.c).
FP=$({ printf 'qure cluster fingerprint v1'; base64 -d "$T/key"; } |
    sha256sum | cut -c1-8)
NSES=("$QN_ROUTER")
for n in 1 2 3; do
	NSES+=("$(qn_ns "$n")")
done
for ns in "${NSES[@]}"; do
	av_bus "$ns"
done
av_daemon "$QN_ROUTER" lan0
for n in 1 2 3; do
	av_daemon "$(qn_ns "$n")" eth0
done
for ns in "${NSES[@]}"; do
	qn_wait_for 15000 av_running "$ns"
done
qn_log "avahi-daemon running in the router and h1..h3; fingerprint $FP"

for n in 1 2 3; do
	qn_start_host "$n"
done
qn_elected 6000
holder=$QN_HOLDER
failovers=$(qn_field "$holder" .counters.failovers)
qn_log "h$holder holds $QN_DMZ"

for n in 1 2 3; do
	qn_wait_for 15000 av_state "$n" running 2
done
qn_log "every qured: discovery.avahi running, 2 peers browsed"
for n in 1 2 3; do
	qn_wait_for 15000 av_lists "$n"
done
qn_log "the router browses all three, TXT included:"
sed 's/^/    /' "$T/browse"
[ "$(grep -c . "$T/browse")" -eq 3 ] ||
    qn_fail "the router browses $(grep -c . "$T/browse") instances, not 3"

# Hostile publishers, from h3's avahi-daemon: a TXT with a bad id and one
# of another cluster. Ignored (the first one logged), never peers.
ip netns exec "$(qn_ns 3)" avahi-publish -s bogus _qure._udp 5182 \
    "id=zz" "cluster=$FP" "prio=1" "state=holder" "ver=2" \
    >>"$T/publish.log" 2>&1 &
QN_PIDS+=($!)
ip netns exec "$(qn_ns 3)" avahi-publish -s stranger _qure._udp 5182 \
    "id=0123456789abcdef0123456789abcdef" "cluster=0badf00d" "prio=200" \
    "state=holder" "ver=2" >>"$T/publish.log" 2>&1 &
QN_PIDS+=($!)
qn_wait_for 15000 grep -q 'ignored the DNS-SD instance "bogus": TXT bad-id' \
    "$T/h1/log"
qn_wait_for 10000 sh -c "ip netns exec $QN_ROUTER timeout 10 avahi-browse \
    -rpt _qure._udp 2>/dev/null | grep -q '^=.*;stranger;'"
for n in 1 2 3; do
	av_state "$n" running 2 ||
	    qn_fail "h$n: $(qn_status "$n" | jq -c .discovery) after the hostile" \
		"publishers (want running, 2 peers)"
done
qn_log "hostile TXT ignored and logged, another cluster not counted"

# The holder's avahi-daemon dies: qured says so once, nothing moves.
ns=$(qn_ns "$holder")
kill -TERM "${AV_PID[$ns]}"
wait "${AV_PID[$ns]}" 2>/dev/null || true
qn_wait_for 10000 av_state "$holder" absent
qn_log "h$holder's avahi-daemon killed: its qured says absent"
[ "$(grep -c 'avahi-daemon is not running' "$T/h$holder/log")" -eq 1 ] ||
    qn_fail "h$holder logged the missing daemon $(grep -c \
	'avahi-daemon is not running' "$T/h$holder/log") times, not once"
sleep 3 # several reconnect tries: still one line, still the holder
[ "$(grep -c 'avahi-daemon is not running' "$T/h$holder/log")" -eq 1 ] ||
    qn_fail "h$holder logs the missing daemon at every retry"
av_daemon "$ns" eth0
qn_wait_for 15000 av_running "$ns"
qn_wait_for 15000 av_state "$holder" running 2
qn_wait_for 15000 av_lists "$holder"
grep -q 'avahi-daemon is running again' "$T/h$holder/log" ||
    qn_fail "h$holder did not log that avahi-daemon is back"
qn_log "avahi-daemon restarted: h$holder publishes again, browsable"

h=$(qn_holder) || qn_fail "the hosts do not agree on a holder"
[ "$h" = "h$holder" ] || qn_fail "the holder moved to $h"
qn_dmz_on "$holder" || qn_fail "the address is not on h$holder alone"
[ "$(qn_field "$holder" .counters.failovers)" = "$failovers" ] ||
    qn_fail "h$holder's failovers counter moved"
echo "PASS: $QN_NAME: 3 instances browsed with TXT; an avahi-daemon" \
    "restart moved nothing"
