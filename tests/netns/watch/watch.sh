#!/bin/bash
# tests/netns/watch/watch.sh — the mirrored-request watcher on a real
# (virtual) LAN: a router and two hosts on a hub-like bridge (ageing_time
# 0: every unicast frame floods to every port). Host A holds the DMZ
# address and serves TCP and UDP; tests/netns/watch_tool runs the watcher
# on host B and prints what it sees. Checked: a TCP request and its
# SYN-ACK carry equal flow keys, a closed port's RST is an answer, UDP
# both ways, an unwatched port is not reported, a disabled watcher reports
# nothing; then a SYN flood (~10,000/s for 2 s) from the router, with the
# watcher's CPU use measured from /proc/PID/stat.
#
# Root only (exit 77 otherwise, or with QURE_SKIP_NETNS=1). Every name
# carries a per-run prefix; the EXIT trap removes the namespaces (and
# with them their links) and kills the PIDs this script started, only
# those. QURE_STRICT_TIMING=1 asserts the issue's 20 % CPU bound; by
# default the bound is 60 %, so a loaded CI machine does not fail on
# noise (the figure is printed either way).
set -eu

if [ "${QURE_SKIP_NETNS:-0}" = 1 ]; then
	echo "skip: QURE_SKIP_NETNS=1"
	exit 77
fi
if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null 2>&1; then
	echo "skip: needs root and ip(8)"
	exit 77
fi
if ! command -v socat >/dev/null 2>&1; then
	echo "error: socat not found: apt-get install socat" \
	    "(scripts/deps.sh)" >&2
	exit 99
fi
TOOL=${WATCH_TOOL:-${top_builddir:-.}/tests/netns/watch_tool}
if [ ! -x "$TOOL" ]; then
	echo "error: $TOOL not built" >&2
	exit 99
fi

P=qw$(printf '%x%02x' $$ $((RANDOM % 256)))
LAN=$P-lan
R=$P-r
A=$P-a
B=$P-b
NET=10.$((RANDOM % 200 + 20)).$((RANDOM % 254 + 1))
RIP=$NET.1
AIP=$NET.11
BIP=$NET.12
DMZ=$NET.200
T=$(mktemp -d "/tmp/$P.XXXXXX")
pids=()
nses=()

cleanup() {
	local rc=$? p ns
	trap - EXIT
	set +e
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null
	done
	for ns in "${nses[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
		for f in "$T"/*.out; do
			[ -f "$f" ] || continue
			echo "---- $f" >&2
			tail -n 30 "$f" >&2
		done
	fi
	rm -rf "$T"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now_ms() {
	local t=${EPOCHREALTIME/[.,]/}
	echo $((t / 1000))
}

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# wait_for MS CMD...: polls CMD every 20 ms; fails after MS.
wait_for() {
	local end=$(($(now_ms) + $1))
	shift
	until "$@"; do
		[ "$(now_ms)" -lt "$end" ] || fail "not within the deadline: $*"
		sleep 0.02
	done
}

# In the foreground only: a function run with & is a subshell, and $!
# would be its pid, not the program's (ip netns exec execs the program).
in_ns() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

netns_add() {
	ip netns add "$1"
	nses+=("$1")
	ip -n "$1" link set lo up
}

# port_on_bridge NS NAME IP: a veth from NS's eth0 to br0, addressed.
port_on_bridge() {
	local ns=$1 name=$2
	ip link add "$P$name" type veth peer name "$P${name}p"
	ip link set "$P$name" netns "$ns"
	ip link set "$P${name}p" netns "$LAN"
	ip -n "$ns" link set "$P$name" name eth0
	ip -n "$ns" addr add "$3/24" dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$LAN" link set "$P${name}p" master br0 up
}

# ---- the LAN: a hub, the router, A (the holder) and B (a standby)
if ! ip netns add "$LAN" 2>"$T/err"; then
	echo "skip: cannot make network namespaces: $(cat "$T/err")"
	exit 77
fi
nses+=("$LAN")
ip -n "$LAN" link add br0 type bridge ageing_time 0 mcast_snooping 0
ip -n "$LAN" link set br0 up
for ns in "$R" "$A" "$B"; do
	netns_add "$ns"
done
port_on_bridge "$R" r "$RIP"
port_on_bridge "$A" a "$AIP"
port_on_bridge "$B" b "$BIP"
ip -n "$A" addr add "$DMZ/24" dev eth0
echo "LAN $NET.0/24 (prefix $P): router .1, A .11 with DMZ .200, B .12"

# ---- services on A: TCP 8080, UDP 5353 (bound to the DMZ address, so
# answers leave from it); nothing on 8081. Both read the request line
# before they answer. TCP: closing with unread data would send a RST that
# can overtake its answer. UDP: socat writes the datagram to the
# command's stdin; a command that does not read it may have exited by
# then, the write fails (EPIPE, "Broken pipe") and socat exits before it
# forwards the answer (the flaky "no UDP answer from A", issue 7 item 9).
ip netns exec "$A" socat TCP-LISTEN:8080,bind="$DMZ",reuseaddr,fork \
    SYSTEM:'read -r l; echo tcp-ok' >>"$T/socat.out" 2>&1 &
pids+=($!)
ip netns exec "$A" socat UDP-RECVFROM:5353,bind="$DMZ",fork \
    SYSTEM:'read -r l; echo udp-ok' >>"$T/socat.out" 2>&1 &
pids+=($!)

listening() { in_ns "$A" ss -Htlnu | grep -q "$DMZ:5353" &&
	in_ns "$A" ss -Htln | grep -q "$DMZ:8080"; }
wait_for 5000 listening

# ---- the watcher on B; a missing interface is one line naming it
if in_ns "$B" "$TOOL" watch nosuch0 "$DMZ" tcp:8080 >/dev/null 2>"$T/err" ||
    ! grep -qx 'netcfg: watch: interface nosuch0 not found' "$T/err"; then
	fail "a missing interface is not reported as such: $(cat "$T/err")"
fi
W=$T/watch.out
ip netns exec "$B" "$TOOL" watch eth0 "$DMZ" tcp:8080 tcp:8081 udp:5353 \
    >"$W" 2>&1 &
WPID=$!
pids+=("$WPID")
has_line() { grep -q -- "$1" "$W"; }
wait_for 5000 has_line '^ready$'

# Promiscuous while it watches: a real NIC drops frames for the holder's
# MAC otherwise (a veth delivers them anyway, so this is checked apart).
promiscuity() {
	ip -n "$B" -d link show eth0 | sed -n 's/.* promiscuity \([0-9]*\).*/\1/p'
}
promisc_is() { [ "$(promiscuity)" = "$1" ]; }
promisc_is 1 || fail "eth0 of B is not promiscuous while watched"

# ask PROTO PORT SRCPORT: one exchange from the router, the answer on
# stdout (empty for a refused connection). socat's default -t 0.5 would
# give up on the answer 0.5 s after the request's EOF (a forked shell on
# a loaded machine can take longer); -t 3 waits for it: TCP ends at the
# server's close, UDP after -T 2 s quiet once the answer came.
ask() {
	local addr
	if [ "$1" = tcp ]; then
		addr=TCP:$DMZ:$2,sourceport=$3,connect-timeout=2
	else
		addr=UDP:$DMZ:$2,sourceport=$3
	fi
	echo ping | in_ns "$R" timeout 5 socat -t 3 -T 2 - "$addr" \
	    2>/dev/null || true
}

# flow_of KIND PROTO SRCPORT: the flow key of the line seen for it.
flow_of() {
	sed -n "s/^$1 $2 client=$RIP:$3 .*flow=\([0-9a-f]*\).*/\1/p" "$W" |
	    head -n 1
}
seen() { [ -n "$(flow_of "$1" "$2" "$3")" ]; }

# The key is (client IPv4 << 24) | (client port << 8) | proto.
expected_flow() {
	local IFS=. a
	read -r -a a <<<"$RIP"
	printf '%014x' $(((a[0] << 48 | a[1] << 40 | a[2] << 32 |
	    a[3] << 24) | $2 << 8 | $1))
}

pass=0
ok() {
	echo "ok - $*"
	pass=$((pass + 1))
}

# -- an unwatched port first: by the time the watched exchange is seen,
# its frames went by too
ip netns exec "$A" socat TCP-LISTEN:8082,bind="$DMZ",reuseaddr \
    SYSTEM:'echo other' >>"$T/socat.out" 2>&1 &
pids+=($!)
wait_for 5000 eval "in_ns $A ss -Htln | grep -q $DMZ:8082"
ask tcp 8082 40100 >/dev/null

# -- TCP: request and SYN-ACK with equal keys
[ "$(ask tcp 8080 40101)" = tcp-ok ] || fail "no answer from A on 8080"
wait_for 5000 seen request tcp 40101
wait_for 5000 seen answer tcp 40101
rq=$(flow_of request tcp 40101)
an=$(flow_of answer tcp 40101)
[ "$rq" = "$an" ] || fail "tcp flow keys differ: $rq $an"
[ "$rq" = "$(expected_flow 6 40101)" ] ||
    fail "tcp flow key $rq, not $(expected_flow 6 40101)"
grep -q "^answer tcp client=$RIP:40101 port=8080 .* rst=0$" "$W" ||
    fail "the SYN-ACK is not a plain answer"
ok "a TCP request and its SYN-ACK are seen on B with equal flow keys"

! grep -q "port=8082" "$W" || fail "the unwatched port 8082 was reported"
ok "an unwatched port is not reported"

# -- a closed watched port: the RST is an answer
ask tcp 8081 40102 >/dev/null
wait_for 5000 seen request tcp 40102
wait_for 5000 seen answer tcp 40102
grep -q "^answer tcp client=$RIP:40102 port=8081 .* rst=1$" "$W" ||
    fail "the RST from a closed port is not an answer with rst=1"
ok "the RST of a closed watched port is an answer (rst=1)"

# -- UDP both ways
[ "$(ask udp 5353 40103)" = udp-ok ] || fail "no UDP answer from A"
wait_for 5000 seen request udp 40103
wait_for 5000 seen answer udp 40103
[ "$(flow_of request udp 40103)" = "$(flow_of answer udp 40103)" ] ||
    fail "udp flow keys differ"
[ "$(flow_of request udp 40103)" = "$(expected_flow 17 40103)" ] ||
    fail "udp flow key is not (client << 24 | port << 8 | 17)"
ok "a UDP request and its answer are seen with equal flow keys"

# -- disabled (the holder's case), nothing is reported; enabled, again
kill -USR2 "$WPID"
wait_for 5000 has_line '^enabled 0$'
promisc_is 0 || fail "a disabled watcher left eth0 promiscuous"
[ "$(ask tcp 8080 40104)" = tcp-ok ] || fail "no answer from A on 8080"
kill -USR2 "$WPID"
wait_for 5000 has_line '^enabled 1$'
ask tcp 8080 40105 >/dev/null
wait_for 5000 seen answer tcp 40105
! grep -q "client=$RIP:40104 " "$W" ||
    fail "a disabled watcher reported a request"
promisc_is 1 || fail "an enabled watcher is not promiscuous again"
ok "a disabled watcher reports nothing and leaves promiscuous mode;" \
    "enabled again it does"

kill -TERM "$WPID"
wait "$WPID" || fail "watch_tool exited $?"
grep -q '^stats frames=[0-9]* requests=[1-9]' "$W" ||
    fail "no counters on exit"

# ---- SYN flood: ~10,000/s for 2 s from the router to DMZ:8080, the
# watcher quiet (no line per event) so its own CPU is what is measured
F=$T/flood.out
ip netns exec "$B" "$TOOL" watch -q eth0 "$DMZ" tcp:8080 udp:5353 \
    >"$F" 2>&1 &
FPID=$!
pids+=("$FPID")
wait_for 5000 grep -q '^ready$' "$F"
ticks() { awk '{print $14 + $15}' "/proc/$FPID/stat"; }
hz=$(getconf CLK_TCK)
t0=$(now_ms)
c0=$(ticks)
sent=$(in_ns "$R" "$TOOL" flood "$RIP" "$DMZ" 8080 10000 2000 |
    sed -n 's/^sent //p')
c1=$(ticks)
t1=$(now_ms)
kill -USR1 "$FPID"
wait_for 5000 grep -q '^stats' "$F"
stats=$(grep '^stats' "$F" | tail -n 1)
req=$(sed -n 's/.* requests=\([0-9]*\).*/\1/p' <<<"$stats")
cpu_pm=$(((c1 - c0) * 1000 * 1000 / hz / (t1 - t0)))
printf 'flood: sent %s SYNs in %d ms; watcher %s; cpu %d.%d %%\n' \
    "$sent" $((t1 - t0)) "$stats" $((cpu_pm / 10)) $((cpu_pm % 10))
[ "${sent:-0}" -ge 15000 ] || fail "the flood sent only ${sent:-0} SYNs"
[ "$req" -ge $((sent * 9 / 10)) ] ||
    fail "the watcher saw $req of $sent requests"
ok "the watcher saw the flood ($req of $sent requests)"
limit=600
[ "${QURE_STRICT_TIMING:-0}" != 1 ] || limit=200
[ "$cpu_pm" -le "$limit" ] ||
    fail "the watcher used $((cpu_pm / 10)) % CPU under the flood" \
	"(bound $((limit / 10)) %)"
ok "the watcher's CPU under the flood is within $((limit / 10)) %"

kill -TERM "$FPID"
wait "$FPID" || fail "watch_tool -q exited $?"
! grep -qE 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$W" "$F" ||
    fail "sanitizer report from watch_tool"

echo "PASS: watch ($pass checks)"
