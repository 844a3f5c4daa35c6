# tests/netns/avahi_lib.sh — avahi-daemon with its own D-Bus system bus in
# a namespace of the test bed (sourced after lib.sh, bash).
#
# The bus listens on an abstract socket (unix:abstract=/$P/dbus-system):
# abstract sockets belong to a network namespace, so each namespace has
# its own bus at the same address and every process started in it finds
# it through DBUS_SYSTEM_BUS_ADDRESS (qured too). avahi-daemon's pid file
# and socket live in /run/avahi-daemon, compiled in: each daemon gets a
# tmpfs over it in the mount namespace `ip netns exec` makes for it.
# Every process is started as a direct child and recorded in QN_PIDS, so
# lib.sh's EXIT trap kills it by pid.

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
# pid in AV_PID[NS]. Ready: av_running NS. mDNS over IPv4 only, unless
# AV_IPV6=yes (then over IPv6 too).
av_daemon() {
	cat >"$T/$1.avahi.conf" <<EOF
[server]
host-name=$1
domain-name=local
use-ipv4=yes
use-ipv6=${AV_IPV6:-no}
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

# av_up N: a bus and a running avahi-daemon in the router (on lan0) and in
# hosts 1..N (on eth0); FP: the cluster key's fingerprint, as
# cluster_fingerprint() in src/cluster.c makes it.
av_up() {
	local n ns nses=("$QN_ROUTER")
	FP=$({ printf 'qure cluster fingerprint v1'; base64 -d "$T/key"; } |
	    sha256sum | cut -c1-8)
	for n in $(seq 1 "$1"); do
		nses+=("$(qn_ns "$n")")
	done
	for ns in "${nses[@]}"; do
		av_bus "$ns"
	done
	av_daemon "$QN_ROUTER" lan0
	for n in $(seq 1 "$1"); do
		av_daemon "$(qn_ns "$n")" eth0
	done
	for ns in "${nses[@]}"; do
		qn_wait_for 15000 av_running "$ns"
	done
	qn_log "avahi-daemon running in the router and h1..h$1;" \
	    "fingerprint $FP"
}
