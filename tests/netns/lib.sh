# tests/netns/lib.sh — the test bed of the netns tests (sourced, bash).
#
# A LAN of network namespaces, made fresh for each run and removed by an
# EXIT trap however the run ends (doc/design.md §9):
#
#   $P-h1 eth0 NET.11 --\
#   $P-h2 eth0 NET.12 ---+-- br0 (in $P-lan) -- lan0 NET.1 ($P-r, the router)
#   $P-hN eth0 NET.1N --/
#
# $P is a per-run prefix (qn<pid><rand>), NET a private 10.X.Y per run, the
# DMZ address NET.200/24. The bridge has multicast snooping off, so the
# cluster group floods like on a plain switch. Host N has the MAC
# 02:00:00:00:01:NN, the router 02:00:00:00:00:01.
#
# Environment:
#   QURE_SKIP_NETNS=1    skip (exit 77); not root skips too
#   QURE_STRICT_TIMING=1 assert the issue's timing bounds; otherwise a
#                        generous bound (3x, at least 1 s) so a loaded CI
#                        machine does not turn noise into red runs
#   QURED, QURECTL, QURE_FORGE   binaries (default: the build tree)
#   QN_KEEP=1            keep the temp dir (logs, configs) after the run
#   QN_VERBOSE=0         start qured without -v
set -eu

QN_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
QN_NAME=$(basename "$0" .sh)

qn_skip() {
	echo "SKIP: $QN_NAME: $*"
	exit 77
}

if [ "${QURE_SKIP_NETNS:-0}" = 1 ]; then
	qn_skip "QURE_SKIP_NETNS=1"
fi
if [ "$(id -u)" -ne 0 ]; then
	qn_skip "needs root (network namespaces)"
fi

# A missing tool is a hard error (99), not a skip: scripts/deps.sh
# installs them, and a silent skip would hide the whole suite.
for qn_tool in ip:iproute2 bridge:iproute2 jq:jq socat:socat \
    timeout:coreutils; do
	if ! command -v "${qn_tool%%:*}" >/dev/null 2>&1; then
		echo "ERROR: $QN_NAME: ${qn_tool%%:*} not found:" \
		    "apt-get install ${qn_tool#*:} (scripts/deps.sh)" >&2
		exit 99
	fi
done

# The build tree: make check exports top_builddir; by hand, build/ (the
# README's and scripts/demo.sh's build directory) next to the sources.
qn_top_src=${top_srcdir:-$(cd "$QN_LIB_DIR/../.." && pwd)}
qn_top_build=${top_builddir:-$qn_top_src/build}
QURED=${QURED:-$qn_top_build/src/qured}
QURECTL=${QURECTL:-$qn_top_build/src/qurectl}
QURE_FORGE=${QURE_FORGE:-$qn_top_build/tests/netns/qure-forge}
for qn_bin in "$QURED" "$QURECTL"; do
	if [ ! -x "$qn_bin" ]; then
		echo "ERROR: $QN_NAME: $qn_bin not built (make, or set" \
		    "QURED/QURECTL)" >&2
		exit 99
	fi
done

# ---- per-run names --------------------------------------------------------

# Namespace names are machine-global and veths are made in the root
# namespace: the prefix keeps this run's apart from every other one. At
# most 10 characters, so "${P}h12p" fits IFNAMSIZ (15).
QN_P=qn$(printf '%x%02x' $$ $((RANDOM % 256)))
# A test may fix its LAN (QN_NET_FIXED=10.X.Y before sourcing this) when
# its outcome hangs on the addresses (tests/netns/balance.sh): the
# namespaces keep two runs with the same one apart all the same.
QN_NET=${QN_NET_FIXED:-10.$((RANDOM % 200 + 20)).$((RANDOM % 254 + 1))}
QN_DMZ=$QN_NET.200
QN_ROUTER_IP=$QN_NET.1
QN_ROUTER_MAC=02:00:00:00:00:01
QN_LAN=$QN_P-lan
# IPv6 (qn_setup_v6): a unique local /64 per run, the DMZ6 address in it.
QN_NET6=fd$(printf '%02x' $((RANDOM % 256))):$(printf '%x' $RANDOM):$(printf '%x' $RANDOM)
QN_DMZ6=$QN_NET6::200
QN_ROUTER_IP6=$QN_NET6::1
QN_ROUTER=$QN_P-r
QN_HOSTS=()  # host numbers made by qn_add_host
QN_PIDS=()   # every process started, killed by pid on exit
QN_FREEZERS=() # freezer cgroups made (qn_block): thawed, removed on exit
QN_NSES=()   # every namespace made, deleted on exit
declare -A QN_PID=()      # host number -> its qured's pid
declare -A QN_START_MS=() # host number -> when its qured was started
T=$(mktemp -d "/tmp/$QN_P.XXXXXX")
QN_T0=0

qn_now_ms() {
	local t=${EPOCHREALTIME/[.,]/}
	echo $((t / 1000))
}
QN_T0=$(qn_now_ms)

qn_ns() { echo "$QN_P-h$1"; }
qn_mac() { printf '02:00:00:00:01:%02x' "$1"; }
qn_ip() { echo "$QN_NET.$((10 + $1))"; }
qn_log() { printf '[%6d ms] %s\n' $(($(qn_now_ms) - QN_T0)) "$*"; }

# ---- clean-up --------------------------------------------------------------

# qn_cleanup [RC]: RC, else $?, is the test's status. A test's own
# trap passes its $? as RC: "(exit $rc); qn_cleanup" would stop the
# trap at the subshell under set -e when the test failed, and leave
# every namespace and process behind.
qn_cleanup() {
	local rc=${1:-$?} pid ns l deadline
	trap - EXIT INT TERM
	set +e
	qn_unblock_all # a frozen process takes no signal
	for pid in "${QN_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	# Direct children: wait reaps them as soon as they exit.
	deadline=$(($(qn_now_ms) + 3000))
	for pid in "${QN_PIDS[@]}"; do
		while kill -0 "$pid" 2>/dev/null &&
		    [ "$(qn_now_ms)" -lt "$deadline" ]; do
			sleep 0.02
		done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	# qured stopped: a sanitizer build (QURED=build-san/src/qured) has
	# written its reports, leaks included, to the logs by now.
	if [ "$rc" = 0 ] && ! (qn_no_asan_reports) >&2; then
		rc=1
	fi
	for ns in "${QN_NSES[@]}"; do
		ip netns del "$ns" 2>/dev/null
		# a test's /etc/hosts or resolv.conf for it (qn_etc_file)
		[ -n "$ns" ] && rm -rf "/etc/netns/$ns"
	done
	[ "${QN_MADE_ETC_NETNS:-0}" = 1 ] && rmdir /etc/netns 2>/dev/null
	# A set-up cut short may leave a veth in the root namespace.
	for l in $(ip -o link show 2>/dev/null |
	    sed -n "s/^[0-9]*: \(${QN_P}[^:@]*\).*/\1/p"); do
		ip link del "$l" 2>/dev/null
	done
	if [ "${QN_KEEP:-0}" = 1 ]; then
		echo "kept $T"
	else
		rm -rf "$T"
	fi
	exit "$rc"
}
trap qn_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- failing ---------------------------------------------------------------

# One line per host: its qured's view, or why there is none.
qn_summary() {
	local n j
	for n in "${QN_HOSTS[@]}"; do
		if j=$(qn_status "$n" 2>/dev/null); then
			printf '  h%s: %s\n' "$n" "$(jq -c '{state: .node.state,
			    epoch, holder: .holder.name, held: .dmz.held,
			    conflict, counters}' <<<"$j")"
		else
			printf '  h%s: no status (qured %s)\n' "$n" \
			    "$(qn_alive "$n" && echo running || echo gone)"
		fi
		printf '      addresses: %s\n' "$(ip -n "$(qn_ns "$n")" -4 -o \
		    addr show dev eth0 2>/dev/null | awk '{printf "%s ", $4}')"
	done
}

# qn_fail MESSAGE: the hosts' state and logs, then exit 1.
qn_fail() {
	local n
	set +e
	echo "FAIL: $QN_NAME: $*" >&2
	qn_summary >&2
	for n in "${QN_HOSTS[@]}"; do
		if [ -f "$T/h$n/log" ]; then
			echo "---- h$n log (last 60 lines) ----" >&2
			tail -n 60 "$T/h$n/log" >&2
		fi
	done
	echo "FAIL: $QN_NAME: $*" >&2
	exit 1
}

# qn_wait_for DEADLINE_MS CMD...: runs CMD every 20 ms until it succeeds;
# fails the test when DEADLINE_MS have passed.
qn_wait_for() {
	local ms=$1 end
	shift
	end=$(($(qn_now_ms) + ms))
	while :; do
		if "$@"; then
			return 0
		fi
		if [ "$(qn_now_ms)" -ge "$end" ]; then
			qn_fail "not within $ms ms: $*"
		fi
		sleep 0.02
	done
}

# qn_timing NAME MEASURED_MS BOUND_MS: prints the figure and asserts the
# bound (strict), or max(3 x bound, 1000 ms) by default.
qn_timing() {
	local name=$1 got=$2 bound=$3 limit
	limit=$bound
	if [ "${QURE_STRICT_TIMING:-0}" != 1 ]; then
		limit=$((bound * 3))
		[ "$limit" -ge 1000 ] || limit=1000
	fi
	printf 'timing: %s = %d ms (bound %d ms, asserted %d ms)\n' \
	    "$name" "$got" "$bound" "$limit"
	[ "$got" -le "$limit" ] ||
	    qn_fail "$name took $got ms, more than $limit ms"
}

# ---- the LAN ---------------------------------------------------------------

qn_netns_add() {
	ip netns add "$1"
	QN_NSES+=("$1")
	ip -n "$1" link set lo up
}

# qn_setup N: the LAN, the router and hosts 1..N (no qured yet), the key.
qn_setup() {
	local n
	if ! ip netns add "$QN_LAN" 2>"$T/netns.err"; then
		qn_skip "cannot make network namespaces: $(cat "$T/netns.err")"
	fi
	QN_NSES+=("$QN_LAN")
	ip -n "$QN_LAN" link set lo up
	ip -n "$QN_LAN" link add br0 type bridge mcast_snooping 0
	ip -n "$QN_LAN" link set br0 up

	qn_netns_add "$QN_ROUTER"
	ip link add "${QN_P}r" type veth peer name "${QN_P}rp"
	ip link set "${QN_P}r" netns "$QN_ROUTER"
	ip link set "${QN_P}rp" netns "$QN_LAN"
	ip -n "$QN_ROUTER" link set "${QN_P}r" name lan0
	ip -n "$QN_ROUTER" link set lan0 address "$QN_ROUTER_MAC"
	ip -n "$QN_ROUTER" addr add "$QN_ROUTER_IP/24" dev lan0
	ip -n "$QN_ROUTER" link set lan0 up
	# A real router learnt the DMZ address's MAC long before a failover;
	# here it learns it just before one. The neighbour locktime (1 s)
	# would then ignore the gratuitous ARP by accident of timing.
	ip netns exec "$QN_ROUTER" sysctl -qw net.ipv4.neigh.lan0.locktime=0
	ip -n "$QN_LAN" link set "${QN_P}rp" name rp
	ip -n "$QN_LAN" link set rp master br0 up

	for n in $(seq 1 "$1"); do
		qn_add_host "$n"
	done
	"$QURECTL" keygen >"$T/key"
	chmod 600 "$T/key"
	qn_log "LAN $QN_NET.0/24 up (prefix $QN_P): router .1, hosts" \
	    "${QN_HOSTS[*]}, DMZ $QN_DMZ"
}

# qn_add_host N: namespace $P-hN with eth0 (NET.1N, MAC ..:01:NN) on br0.
qn_add_host() {
	local n=$1 ns
	ns=$(qn_ns "$n")
	qn_netns_add "$ns"
	ip link add "${QN_P}h$n" type veth peer name "${QN_P}h${n}p"
	ip link set "${QN_P}h$n" netns "$ns"
	ip link set "${QN_P}h${n}p" netns "$QN_LAN"
	ip -n "$ns" link set "${QN_P}h$n" name eth0
	ip -n "$ns" link set eth0 address "$(qn_mac "$n")"
	ip -n "$ns" addr add "$(qn_ip "$n")/24" dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$ns" route add default via "$QN_ROUTER_IP"
	ip -n "$QN_LAN" link set "${QN_P}h${n}p" name "h${n}p"
	ip -n "$QN_LAN" link set "h${n}p" master br0 up
	QN_HOSTS+=("$n")
	mkdir -p "$T/h$n"
}

# qn_lan_snooping [BRIDGE_OPTION VALUE...]: IGMP snooping on the LAN's
# bridge, as Linux bridges have it by default (qn_setup turns it off, so
# the group floods like on a plain switch), with the options given, e.g.
# mcast_querier 1 mcast_igmp_version 3 mcast_membership_interval 500.
qn_lan_snooping() {
	ip -n "$QN_LAN" link set br0 type bridge mcast_snooping 1 "$@"
}

# qn_start_host N [CONF_LINE...]: writes $T/hN/qured.conf (extra lines
# go to the end: give them with their [section]) and starts qured -f in
# the host's namespace as a direct child (ip execs it: $! is qured).
# [cluster] interface is $QN_IFACE (default eth0; empty: not set, qured
# picks it).
# qn_etc_file NS FILE LINE...: /etc/FILE as processes started with `ip
# netns exec NS` see it (ip-netns(8) mounts /etc/netns/NS/FILE over it);
# removed on exit, with /etc/netns if this run made it.
qn_etc_file() {
	local ns=$1 f=$2
	shift 2
	[ -d /etc/netns ] || QN_MADE_ETC_NETNS=1
	mkdir -p "/etc/netns/$ns"
	printf '%s\n' "$@" >"/etc/netns/$ns/$f"
}

qn_start_host() {
	local n=$1 d=$T/h$1 v=-v
	shift
	mkdir -p -m 700 "$d/state"
	{
		printf '[node]\nname = h%s\nstate-dir = %s\n' "$n" "$d/state"
		printf 'control-socket = %s\n' "$d/sock"
		printf '[cluster]\nkey-file = %s\n' "${QN_KEY_FILE:-$T/key}"
		[ -z "${QN_IFACE-eth0}" ] ||
		    printf 'interface = %s\n' "${QN_IFACE-eth0}"
		# QN_NO_DMZ4=1: no [dmz] address (an IPv6-only LAN, where
		# the extra lines give [dmz] address6).
		[ "${QN_NO_DMZ4:-0}" = 1 ] ||
		    printf '[dmz]\naddress = %s/24\n' "$QN_DMZ"
		[ $# -eq 0 ] || printf '%s\n' "$@"
	} >"$d/qured.conf"
	[ "${QN_VERBOSE:-1}" = 1 ] || v=
	echo "==== start $(date +%T.%N) ====" >>"$d/log"
	QN_START_MS[$n]=$(qn_now_ms)
	ip netns exec "$(qn_ns "$n")" "$QURED" -f $v -c "$d/qured.conf" \
	    >>"$d/log" 2>&1 &
	QN_PID[$n]=$!
	QN_PIDS+=($!)
}

qn_alive() {
	[ -n "${QN_PID[$1]:-}" ] && kill -0 "${QN_PID[$1]}" 2>/dev/null
}

# qn_stop_host N [SIGNAL]: signals host N's qured and reaps it; sets
# QN_RC to its exit status.
qn_stop_host() {
	local pid=${QN_PID[$1]}
	kill -"${2:-TERM}" "$pid"
	QN_RC=0
	wait "$pid" || QN_RC=$?
	unset "QN_PID[$1]"
}

# qn_status N: host N's `qurectl status --json`.
qn_status() {
	timeout 2 "$QURECTL" -s "$T/h$1/sock" status --json
}

# qn_field N JQ: one field of host N's status (fails if no status).
qn_field() {
	local j
	j=$(qn_status "$1") || return 1
	jq -r "$2" <<<"$j"
}

# qn_holder: the holder's name that every live host agrees on; fails
# (returns 1) when one has no status, believes in none, or they differ.
qn_holder() {
	local n h all=
	for n in "${QN_HOSTS[@]}"; do
		qn_alive "$n" || continue
		h=$(qn_field "$n" '.holder.name // empty' 2>/dev/null) ||
		    return 1
		[ -n "$h" ] || return 1
		[ -z "$all" ] || [ "$all" = "$h" ] || return 1
		all=$h
	done
	[ -n "$all" ] && echo "$all"
}

# qn_has_dmz N: host N has the DMZ address on eth0.
qn_has_dmz() {
	ip -n "$(qn_ns "$1")" -4 -o addr show dev eth0 2>/dev/null |
	    grep -q " inet $QN_DMZ/"
}

# qn_dmz_hosts: the host numbers that have the DMZ address, one a line.
qn_dmz_hosts() {
	local n
	for n in "${QN_HOSTS[@]}"; do
		if qn_has_dmz "$n"; then
			echo "$n"
		fi
	done
}

# qn_one_dmz_host: exactly one host has the address; prints its number.
qn_one_dmz_host() {
	local h
	h=$(qn_dmz_hosts)
	[ -n "$h" ] && [ "$(wc -l <<<"$h")" -eq 1 ] && echo "$h"
}

# qn_dmz_on N: the address is on host N and on no other.
qn_dmz_on() {
	[ "$(qn_dmz_hosts)" = "$1" ]
}

# qn_dmz_moved_from N: exactly one host, not N, has the address.
qn_dmz_moved_from() {
	local h
	h=$(qn_one_dmz_host) && [ "$h" != "$1" ]
}

# qn_peer_holds N: a host other than N has the DMZ address (N may still
# have it too).
qn_peer_holds() {
	local n
	for n in $(qn_dmz_hosts); do
		[ "$n" = "$1" ] || return 0
	done
	return 1
}

# qn_elected DEADLINE_MS: waits until all live hosts agree on a holder
# that is the one host with the address; sets QN_HOLDER (its number).
# qn_host_stalled N: host N's qured gave the address up because its loop
# went a whole fence without running (stopped, blocked in the kernel, or
# not scheduled by a busy host): its log says so, with the CPU it ran.
# That is the fence doing its job, not a failover for what a test does;
# a loop busy with its own work does not count.
qn_host_stalled() {
	grep -qE "(fence lapsed|guard resigned for this process): .* without a step and ran .*\(not running: " \
	    "$T/h$1/log"
}

# qn_block N / qn_unblock N: host N's qured (not its guard) blocked in
# the kernel, as a loop stuck in a syscall is (state D, no CPU time): the
# cgroup freezer (v1 here, cgroup2's cgroup.freeze where that is all).
# Not SIGSTOP: a stopped qured (T) is spoken for by its guard at once.
qn_freezer_dir() {
	if [ -d /sys/fs/cgroup/freezer ]; then
		echo "/sys/fs/cgroup/freezer/${QN_P}h$1"
	elif [ -f /sys/fs/cgroup/cgroup.subtree_control ]; then
		echo "/sys/fs/cgroup/${QN_P}h$1"
	else
		echo "ERROR: $QN_NAME: no cgroup freezer (v1 or cgroup2)" >&2
		exit 99
	fi
}
qn_freeze_write() { # DIR 1|0
	if [ -f "$1/freezer.state" ]; then
		[ "$2" = 1 ] && echo FROZEN >"$1/freezer.state" ||
		    echo THAWED >"$1/freezer.state"
	else
		echo "$2" >"$1/cgroup.freeze"
	fi
}
qn_block() {
	local d
	d=$(qn_freezer_dir "$1")
	if [ ! -d "$d" ]; then
		mkdir "$d" || qn_fail "cannot make the freezer cgroup $d"
		QN_FREEZERS+=("$d")
	fi
	echo "${QN_PID[$1]}" >"$d/cgroup.procs" || qn_fail "cannot move" \
	    "h$1's qured into $d"
	qn_freeze_write "$d" 1
}
qn_unblock() {
	qn_freeze_write "$(qn_freezer_dir "$1")" 0
}
qn_unblock_all() {
	local d pid
	for d in "${QN_FREEZERS[@]}"; do
		qn_freeze_write "$d" 0 2>/dev/null
		for pid in $(cat "$d/cgroup.procs" 2>/dev/null); do
			echo "$pid" >"${d%/*}/cgroup.procs" 2>/dev/null
		done
		rmdir "$d" 2>/dev/null
	done
	QN_FREEZERS=()
}

# qn_stall_holder N COUNT SECONDS: blocks host N's qured (qn_block) for
# SECONDS, COUNT times, 0.4 s apart (a heartbeat or two: the lease is
# renewed); fails if N loses the DMZ address after a stall.
qn_stall_holder() {
	local i
	for i in $(seq "$2"); do
		qn_block "$1"
		sleep "$3"
		qn_unblock "$1"
		sleep 0.4
		qn_has_dmz "$1" || qn_fail "stall $i: h$1 lost the address"
	done
}

# qn_hub_cluster N: N hosts on a hub (the bridge floods every frame to
# every port, as a WiFi segment or a mirror port would show the standbys
# their holder's clients), each serving tcp:8080 (qn_service) with qured
# watching it; returns once they elected a holder ($QN_HOLDER).
qn_hub_cluster() {
	local n
	qn_setup "$1"
	ip -n "$QN_LAN" link set br0 type bridge ageing_time 0
	for n in $(seq "$1"); do
		qn_service "$n"
		qn_start_host "$n" '[dmz]' 'ports = tcp:8080'
	done
	qn_elected 6000
}

qn_elected() {
	qn_wait_for "$1" qn_agreed
	QN_HOLDER=$QN_AGREED
}
qn_agreed() {
	local name h
	name=$(qn_holder) || return 1
	h=$(qn_one_dmz_host) || return 1
	[ "h$h" = "$name" ] || return 1
	QN_AGREED=$h
}

# qn_cut_link N / qn_restore_link N: the bridge side of host N's veth
# down/up: its eth0 loses/regains carrier, like a pulled cable.
qn_cut_link() {
	ip -n "$QN_LAN" link set "h$1p" down
}
qn_restore_link() {
	ip -n "$QN_LAN" link set "h$1p" up
}

# qn_router_mac: the router's neighbour entry for the DMZ address.
qn_router_mac() {
	ip -n "$QN_ROUTER" neigh show "$QN_DMZ" dev lan0 |
	    sed -n 's/.* lladdr \([0-9a-f:]*\).*/\1/p'
}

# qn_service N: a TCP service on port 8080 of host N answering "hN";
# returns once it listens (a service check or a first ask right after
# would otherwise race socat's start).
qn_service() {
	ip netns exec "$(qn_ns "$1")" socat -T 2 \
	    TCP-LISTEN:8080,reuseaddr,fork SYSTEM:"echo h$1" \
	    >>"$T/h$1/socat.log" 2>&1 &
	QN_PIDS+=($!)
	qn_wait_for 5000 qn_listening "$1" tcp 8080
}

# qn_listening N PROTO PORT: something in host N listens on PROTO PORT.
qn_listening() {
	local opt=-Htln
	[ "$2" = tcp ] || opt=-Huln
	ip netns exec "$(qn_ns "$1")" ss "$opt" "sport = :$3" 2>/dev/null |
	    grep -q .
}

# qn_service_pid N: the pid of host N's service (qn_service), found among
# the processes this run started, by namespace.
qn_service_pid() {
	local pid
	for pid in "${QN_PIDS[@]}"; do
		if [ "$pid" != "${QN_PID[$1]:-}" ] &&
		    [ "$(ip netns identify "$pid" 2>/dev/null)" = "$(qn_ns "$1")" ]
		then
			echo "$pid"
			return 0
		fi
	done
	return 1
}

# qn_ask: from the router, connect to DMZ:8080 and print the answer.
# -t 2: socat's default would give up 0.5 s after its own EOF (at once,
# stdin is empty), before a loaded host's forked service has answered;
# the server's close ends it as soon as the answer is in.
qn_ask() {
	ip netns exec "$QN_ROUTER" timeout 3 socat -t 2 -T 2 - \
	    TCP:"$QN_DMZ":8080,connect-timeout=1 </dev/null 2>/dev/null
}

# qn_no_asan_reports: fails (exit 1, logs shown) when a host's log has a
# sanitizer report; every test checks this on exit, after qured stopped.
qn_no_asan_reports() {
	local n
	for n in "${QN_HOSTS[@]}"; do
		if grep -qE 'ERROR: [A-Za-z]+Sanitizer|runtime error:' \
		    "$T/h$n/log" 2>/dev/null; then
			echo "FAIL: $QN_NAME: sanitizer report in h$n's log:" >&2
			sed -n '/Sanitizer\|runtime error:/,$p' "$T/h$n/log" |
			    head -n 60 >&2
			exit 1
		fi
	done
}

# ---- IPv6 (issue 9 item 4) -------------------------------------------------
#
# qn_setup_v6 MODE after qn_setup N: the router gets $QN_NET6::1/64 (no
# duplicate address detection: it is there at once); MODE "only" removes
# every IPv4 address from the hosts (an IPv6-only LAN: the hosts keep
# their link-local IPv6 addresses alone), "dual" keeps them.
qn_setup_v6() {
	local n
	ip netns exec "$QN_ROUTER" sysctl -qw net.ipv6.conf.lan0.accept_dad=0
	ip -n "$QN_ROUTER" addr add "$QN_ROUTER_IP6/64" dev lan0
	if [ "$1" = only ]; then
		for n in "${QN_HOSTS[@]}"; do
			ip -n "$(qn_ns "$n")" -4 addr flush dev eth0
		done
	fi
	qn_log "IPv6 $QN_NET6::/64 ($1): router ::1, DMZ6 $QN_DMZ6"
}

# qn_has_dmz6 N: host N has the DMZ6 address on eth0.
qn_has_dmz6() {
	ip -n "$(qn_ns "$1")" -6 -o addr show dev eth0 2>/dev/null |
	    grep -q " inet6 $QN_DMZ6/"
}

qn_dmz6_hosts() {
	local n
	for n in "${QN_HOSTS[@]}"; do
		if qn_has_dmz6 "$n"; then
			echo "$n"
		fi
	done
}

# qn_one_dmz6_host: exactly one host has the DMZ6 address; its number.
qn_one_dmz6_host() {
	local h
	h=$(qn_dmz6_hosts)
	[ -n "$h" ] && [ "$(wc -l <<<"$h")" -eq 1 ] && echo "$h"
}

qn_dmz6_moved_from() {
	local h
	h=$(qn_one_dmz6_host) && [ "$h" != "$1" ]
}

# qn_elected6 DEADLINE_MS: as qn_elected, for the DMZ6 address.
qn_elected6() {
	qn_wait_for "$1" qn_agreed6
	QN_HOLDER=$QN_AGREED
}
qn_agreed6() {
	local name h
	name=$(qn_holder) || return 1
	h=$(qn_one_dmz6_host) || return 1
	[ "h$h" = "$name" ] || return 1
	QN_AGREED=$h
}

# qn_service6 N: as qn_service, on IPv6 ([::]:8080, IPv6 only, so it
# stands beside an IPv4 qn_service on the same port).
qn_service6() {
	ip netns exec "$(qn_ns "$1")" socat -T 2 \
	    TCP6-LISTEN:8080,reuseaddr,fork,ipv6only=1 SYSTEM:"echo h$1" \
	    >>"$T/h$1/socat6.log" 2>&1 &
	QN_PIDS+=($!)
	qn_wait_for 5000 qn_listening6 "$1" 8080
}
qn_listening6() {
	ip netns exec "$(qn_ns "$1")" ss -H -6 -tln "sport = :$2" 2>/dev/null |
	    grep -q .
}

# qn_ask6: from the router, connect to [DMZ6]:8080 and print the answer.
qn_ask6() {
	ip netns exec "$QN_ROUTER" timeout 3 socat -t 2 -T 2 - \
	    TCP6:"[$QN_DMZ6]":8080,connect-timeout=1 </dev/null 2>/dev/null
}

# qn_router_mac6: the router's neighbour entry for the DMZ6 address.
qn_router_mac6() {
	ip -n "$QN_ROUTER" -6 neigh show "$QN_DMZ6" dev lan0 |
	    sed -n 's/.* lladdr \([0-9a-f:]*\).*/\1/p'
}
