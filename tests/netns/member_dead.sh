#!/usr/bin/env bash
# Fast member liveness (issue 11, doc/protocol.md "ALIVE"): with
# [cluster] alive-interval = 100ms a standby whose every process is
# killed at once (qured and its address guard, SIGKILL, as when its VM
# stops: no farewell) is no longer listed by the other members (qurectl
# status --json, members) within dead-after x 100 ms + 50 ms = 350 ms,
# and their logs say it was declared dead. Then the same member started
# again with alive-interval = 0 (a member without ALIVEs, as an older
# build): listed again, and killed the same way it keeps the long expiry
# (3 hello-intervals): still listed 2 s later. Nothing else changes: the
# holder is the same throughout.
. "$(dirname "$0")/lib.sh"

# lists N NAME: host N's status lists member NAME.
lists() {
	qn_field "$1" '.members[].name' 2>/dev/null | grep -qx "$2"
}

# listed_by_none NAME N...: none of the hosts N lists NAME.
listed_by_none() {
	local name=$1 n
	shift
	for n in "$@"; do
		! lists "$n" "$name" || return 1
	done
}

listed_by_all() {
	local name=$1 n
	shift
	for n in "$@"; do
		lists "$n" "$name" || return 1
	done
}

# kill_all N: SIGKILL of host N's qured and its guard at once.
kill_all() {
	local pid=${QN_PID[$1]} guard
	guard=$(pgrep -P "$pid" -x qured-guard) || guard=
	kill -KILL "$pid" $guard
	wait "$pid" || true
	unset "QN_PID[$1]"
}

qn_setup 3
for n in 1 2 3; do
	qn_start_host "$n" '[cluster]' 'alive-interval = 100ms'
done
qn_elected 6000
holder=$QN_HOLDER
victim=1
[ "$victim" != "$holder" ] || victim=2
others=()
for n in 1 2 3; do
	[ "$n" = "$victim" ] || others+=("$n")
done
qn_wait_for 5000 listed_by_all "h$victim" "${others[@]}"
pgrep -P "${QN_PID[$victim]}" -x qured-guard >/dev/null ||
    qn_log "h$victim has no guard process (a standby may not): qured alone"
qn_log "h$holder holds; kill -9 of every process of standby h$victim"
t0=$(qn_now_ms)
kill_all "$victim"
qn_wait_for 5000 listed_by_none "h$victim" "${others[@]}"
t_gone=$(($(qn_now_ms) - t0))
qn_timing "members stop listing a killed standby (ALIVE 100 ms)" \
    "$t_gone" 350
for n in "${others[@]}"; do
	line=$(grep -m1 "member h$victim (.*) declared dead" "$T/h$n/log") ||
	    qn_fail "h$n's log does not say h$victim was declared dead"
	qn_log "h$n: ${line##*cluster: }" # the core's own count
done
qn_elected 2000
[ "$QN_HOLDER" = "$holder" ] ||
    qn_fail "the holder changed from h$holder to h$QN_HOLDER"

# The same member without ALIVEs: the long expiry, as before.
qn_start_host "$victim" '[cluster]' 'alive-interval = 0'
qn_wait_for 5000 listed_by_all "h$victim" "${others[@]}"
qn_elected 5000
kill_all "$victim"
sleep 2
listed_by_all "h$victim" "${others[@]}" ||
    qn_fail "h$victim (no ALIVEs) expired within 2 s of its death"
qn_log "without ALIVEs h$victim is still listed 2 s after its death"
echo "PASS: $QN_NAME: a killed standby unlisted after $t_gone ms with" \
    "ALIVEs, still listed after 2 s without"
