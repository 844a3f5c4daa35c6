#!/usr/bin/env bash
# Least privilege (issue 14 item 3; qured(8) -u, qured.conf(5) [hooks]
# user and [node] status-group). h1's qured, started as root with
# -u nobody:nogroup, runs as uid 65534 with exactly CAP_NET_ADMIN,
# CAP_NET_RAW and CAP_NET_BIND_SERVICE (permitted, effective, ambient; no
# bounding set, no supplementary groups) and still does a holder's work:
# it preempts h2 (a root qured), adds the DMZ address and its gratuitous
# ARP moves the router's entry; its on-holder hook runs as nobody; its
# site cache's redis-servers ([store]) run as nobody and answer; its DNS
# responder listens on port 53 (CAP_NET_BIND_SERVICE). h2,
# root with [hooks] user = nobody, keeps only the three and what a hook
# user needs, and its on-standby hook runs as nobody. h1's control socket
# refuses a handover from an unprivileged uid, allows status to a member
# of [node] status-group and refuses it to a stranger, and lets a member
# of qured's group (nogroup) hand over.
. "$(dirname "$0")/lib.sh"

command -v setpriv >/dev/null ||
    qn_fail "setpriv not found: apt-get install util-linux"
RUN_AS=nobody
RUN_UID=$(id -u "$RUN_AS")
RUN_GID=$(getent group nogroup | cut -d: -f3)
STATUS_GID=$(getent group users | cut -d: -f3)
[ -n "$RUN_GID" ] && [ -n "$STATUS_GID" ] ||
    qn_skip "no group nogroup or users on this host"
STRANGER=4242 # no such user needed: SO_PEERCRED gives the uid

hook_script() {
	printf '#!/bin/sh\nid -u >%s\n' "$2" >"$1"
	chmod 755 "$1"
}

# The paths qured and the peers use: searchable by everyone; the state
# dir, the socket's dir and the key are the user's.
chmod 755 "$T"
qn_setup 2
for n in 1 2; do
	chmod 755 "$T/h$n"
	mkdir -m 755 "$T/h$n/run"
	chown "$RUN_AS:nogroup" "$T/h$n/run"
done
mkdir -m 700 "$T/h1/state"
chown "$RUN_AS:nogroup" "$T/h1/state"
install -m 600 -o "$RUN_AS" -g nogroup "$T/key" "$T/h1/key"
hook_script "$T/h1/hook" "$T/h1/run/hook.uid"
hook_script "$T/h2/hook" "$T/h2/run/hook.uid"

# h2 first, root: the holder the router learns.
qn_start_host 2 '[hooks]' "on-standby = $T/h2/hook" "user = $RUN_AS"
qn_elected 8000
[ "$QN_HOLDER" = 2 ] || qn_fail "h$QN_HOLDER holds, expected h2 (alone)"
# One datagram from the router (to the discard port) makes it resolve
# the address: it then has h2's MAC, as a router in use would.
ip netns exec "$QN_ROUTER" bash -c "echo x >/dev/udp/$QN_DMZ/9" || true
router_on() { [ "$(qn_router_mac)" = "$(qn_mac "$1")" ]; }
qn_wait_for 5000 router_on 2

# h1: -u, its own paths (qn_start_host's $T/h1/sock is a link to them).
ln -s run/qured.sock "$T/h1/sock"
cat >"$T/h1/qured.conf" <<CONF
[node]
name = h1
priority = 200
preempt = yes
state-dir = $T/h1/state
control-socket = $T/h1/run/qured.sock
status-group = users
[cluster]
key-file = $T/h1/key
interface = eth0
[dmz]
address = $QN_DMZ/24
[hooks]
on-holder = $T/h1/hook
[dns]
zone = site.test
CONF
REDIS_SERVER=$(command -v redis-server || true)
if [ -n "$REDIS_SERVER" ]; then
	printf '[store]\nenable = yes\nredis-server = %s\n' "$REDIS_SERVER" \
	    >>"$T/h1/qured.conf"
else
	echo "note: no redis-server (apt-get install redis-server): [store] not tried"
fi
ip netns exec "$(qn_ns 1)" "$QURED" -f -v -u "$RUN_AS:nogroup" \
    -c "$T/h1/qured.conf" >>"$T/h1/log" 2>&1 &
QN_PID[1]=$!
QN_PIDS+=($!)
pid=${QN_PID[1]}

qn_wait_for 10000 qn_dmz_on 1
qn_wait_for 5000 router_on 1
qn_log "h1 (as $RUN_AS) holds $QN_DMZ; the router moved to its MAC unasked"

# /proc: uid and gid, no groups, exactly the three capabilities.
st() { sed -n "s/^$1:[[:space:]]*//p" "/proc/$pid/status"; }
[ "$(st Uid)" = "$RUN_UID	$RUN_UID	$RUN_UID	$RUN_UID" ] ||
    qn_fail "h1's qured: Uid $(st Uid), want $RUN_UID"
[ "$(st Gid)" = "$RUN_GID	$RUN_GID	$RUN_GID	$RUN_GID" ] ||
    qn_fail "h1's qured: Gid $(st Gid), want $RUN_GID"
[ -z "$(st Groups)" ] || qn_fail "h1's qured keeps groups: $(st Groups)"
# CAP_NET_BIND_SERVICE 10, CAP_NET_ADMIN 12, CAP_NET_RAW 13
for c in CapEff CapPrm CapAmb; do
	[ "$(st $c)" = 0000000000003400 ] ||
	    qn_fail "h1's qured: $c $(st $c), want 0000000000003400"
done
[ "$(st CapBnd)" = 0000000000000000 ] ||
    qn_fail "h1's qured: CapBnd $(st CapBnd), want empty"
store_up() {
	[ "$(qn_field 1 '[.store.instances[] | select(.up)] | length')" = 2 ]
}
if [ -n "$REDIS_SERVER" ]; then
	qn_wait_for 15000 store_up
	qn_log "h1's site cache: both redis-servers up"
fi
dns53() {
	[ -n "$(ip netns exec "$(qn_ns 1)" ss -Hlun 'sport = :53')" ]
}
qn_wait_for 5000 dns53
qn_log "h1's DNS responder listens on port 53"
for child in $(pgrep -P "$pid"); do
	[ "$(sed -n 's/^Uid:[[:space:]]*\([0-9]*\).*/\1/p' \
	    "/proc/$child/status")" = "$RUN_UID" ] ||
	    qn_fail "h1's child $child ($(cat "/proc/$child/comm")) is not $RUN_AS"
done
qn_log "h1: uid $RUN_UID, gid $RUN_GID, CapEff/CapPrm/CapAmb 0x3400, CapBnd 0"
# Its helpers work as nobody: the address guard (no restart) and the
# state writer (the state file is nobody's).
[ "$(qn_field 1 .dmz.guard_restarts)" = 0 ] ||
    qn_fail "h1's address guard restarted $(qn_field 1 .dmz.guard_restarts) times"
[ "$(stat -c %u "$T/h1/state/state")" = "$RUN_UID" ] ||
    qn_fail "h1's state file: $(ls -l "$T/h1/state/state")"

# The hooks: h1's as its own user, h2's switched to [hooks] user.
qn_wait_for 5000 test -s "$T/h1/run/hook.uid"
[ "$(cat "$T/h1/run/hook.uid")" = "$RUN_UID" ] ||
    qn_fail "h1's on-holder hook ran as uid $(cat "$T/h1/run/hook.uid")"
qn_wait_for 5000 test -s "$T/h2/run/hook.uid"
[ "$(cat "$T/h2/run/hook.uid")" = "$RUN_UID" ] ||
    qn_fail "h2's on-standby hook ran as uid $(cat "$T/h2/run/hook.uid")"
pid2=${QN_PID[2]}
# h2 stays root: the three, and CAP_KILL 5, CAP_SETGID 6, CAP_SETUID 7
# for its hooks' user; no bounding set, the three ambient (for what it
# runs as root: the kernel then keeps a redis-server's PDEATHSIG).
st2() { sed -n "s/^$1:[[:space:]]*//p" "/proc/$pid2/status"; }
[ "$(st2 CapEff)" = 00000000000034e0 ] ||
    qn_fail "h2's qured: CapEff $(st2 CapEff), want 00000000000034e0"
[ "$(st2 CapAmb)" = 0000000000003400 ] ||
    qn_fail "h2's qured: CapAmb $(st2 CapAmb), want 0000000000003400"
[ "$(st2 CapBnd)" = 0000000000000000 ] ||
    qn_fail "h2's qured: CapBnd $(st2 CapBnd), want empty"
qn_log "hooks ran as uid $RUN_UID (h1: its own user; h2: switched from root)"

# The control socket.
as() { # as UID GROUPS CMD...: qurectl on h1 as that peer
	local uid=$1 groups=$2
	shift 2
	if [ -z "$groups" ]; then
		setpriv --reuid="$uid" --regid="$uid" --clear-groups \
		    "$QURECTL" -s "$T/h1/sock" "$@"
	else
		setpriv --reuid="$uid" --regid="$uid" --groups="$groups" \
		    "$QURECTL" -s "$T/h1/sock" "$@"
	fi
}
rc=0
as "$STRANGER" "" handover >"$T/out" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "refused: handover changes the cluster" "$T/out" ||
    qn_fail "a stranger's handover: exit $rc: $(cat "$T/out")"
rc=0
as "$STRANGER" "$STATUS_GID" handover >"$T/out" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "refused: handover" "$T/out" ||
    qn_fail "a status-group member's handover: exit $rc: $(cat "$T/out")"
qn_dmz_on 1 || qn_fail "a refused handover moved the address"
as "$STRANGER" "$STATUS_GID" status --json >"$T/out" 2>&1 ||
    qn_fail "status for the status group: $(cat "$T/out")"
[ "$(jq -r .node.name "$T/out")" = h1 ] ||
    qn_fail "status for the status group: $(cat "$T/out")"
rc=0
as "$STRANGER" "" status >"$T/out" 2>&1 || rc=$?
[ "$rc" != 0 ] && grep -q "refused: status" "$T/out" ||
    qn_fail "a stranger's status: exit $rc: $(cat "$T/out")"
grep -q "ctl: refused: handover" "$T/h1/log" ||
    qn_fail "h1 did not log the refused handover"
qn_log "socket: handover refused to uid $STRANGER, status to the group users only"

as "$STRANGER" "$RUN_GID" handover >"$T/out" 2>&1 ||
    qn_fail "a member of nogroup could not hand over: $(cat "$T/out")"
# (h1 preempts again afterwards: its log tells the handover happened.)
qn_wait_for 8000 grep -q "holder -> standby (handover)" "$T/h1/log"
qn_log "a member of qured's group handed over"
echo "PASS: $QN_NAME: -u $RUN_AS: three capabilities, elected, ARP, hooks," \
    "peer credentials"
