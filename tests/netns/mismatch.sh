#!/usr/bin/env bash
# Issue 7, fault 5: a member with the cluster's key but other settings
# takes no part in the election. h4 joins with another [dmz] address, a
# higher priority and preempt on: the site's address stays where it is,
# h1..h3 keep their holder, every host logs the conflict once naming the
# peer, and `qurectl status --json` shows it in "conflict". Then h4 comes
# back on the site's address with another heartbeat: it never holds it.
. "$(dirname "$0")/lib.sh"

qn_setup 4
for n in 1 2 3; do
	qn_start_host "$n"
done
qn_elected 6000
h=$QN_HOLDER
other=$QN_NET.201

# qn_start_host with h4's own [dmz] section (a key may not be set twice).
start_h4() {
	local d=$T/h4
	mkdir -p -m 700 "$d/state"
	{
		printf '[node]\nname = h4\nstate-dir = %s\n' "$d/state"
		printf 'control-socket = %s\npriority = 254\n' "$d/sock"
		printf 'preempt = yes\n'
		printf '[cluster]\ninterface = eth0\nkey-file = %s\n' "$T/key"
		printf '%s\n' "$@"
	} >"$d/qured.conf"
	echo "==== start $(date +%T.%N) ====" >>"$d/log"
	ip netns exec "$(qn_ns 4)" "$QURED" -f -v -c "$d/qured.conf" \
	    >>"$d/log" 2>&1 &
	QN_PID[4]=$!
	QN_PIDS+=($!)
}

site_unmoved() {
	local n
	qn_dmz_on "$h" || qn_fail "the site's address is not on h$h alone:" \
	    "$(qn_dmz_hosts | xargs)"
	for n in 1 2 3; do
		[ "$(qn_field "$n" '.holder.name')" = "h$h" ] ||
		    qn_fail "h$n follows $(qn_field "$n" '.holder.name')"
	done
}
watch_site() {
	local end=$(($(qn_now_ms) + $1))
	while [ "$(qn_now_ms)" -lt "$end" ]; do
		site_unmoved
		sleep 0.1
	done
}

qn_log "h$h holds; h4 joins with [dmz] address $other/24, priority 254," \
    "preempt on"
start_h4 '[dmz]' "address = $other/24"
conflict_on() { qn_field "$1" .conflict | grep -q "$2"; }
for n in 1 2 3; do
	qn_wait_for 3000 conflict_on "$n" 'member h4 .* other dmz address'
done
qn_wait_for 3000 conflict_on 4 'other dmz address'
watch_site 3000
qn_log "h1..h3: $(qn_field 1 .conflict)"
id4=$(qn_field 4 .node.id)
for n in 1 2 3; do
	c=$(grep -c "member h4 ($id4) .*other dmz address" "$T/h$n/log" ||
	    true)
	[ "$c" = 1 ] || qn_fail "h$n logged the conflict with h4 $c times"
done
c=$(grep -c "other dmz address" "$T/h4/log" || true)
[ "$c" = 3 ] || qn_fail "h4 logged $c conflicts, expected 3 (one a peer)"
# h4 is alone in its own election: it holds its own address.
qn_wait_for 3000 eval "ip -n $(qn_ns 4) -4 -o addr show dev eth0 |" \
    "grep -q ' inet $other/'"

qn_stop_host 4 TERM
qn_log "h4 back on the site's address with heartbeat 250 ms"
start_h4 'heartbeat = 250ms' '[dmz]' "address = $QN_DMZ/24"
for n in 1 2 3; do
	qn_wait_for 3000 conflict_on "$n" 'member h4 .*heartbeat'
done
watch_site 3000
qn_has_dmz 4 && qn_fail "h4 has the site's address"
[ "$(qn_field 4 .node.state)" != holder ] || qn_fail "h4 holds"
qn_log "h4 is $(qn_field 4 .node.state), outnumbered: $(qn_field 4 .conflict)"
echo "PASS: $QN_NAME: h$h kept the address; h4 (other dmz address, then" \
    "other heartbeat) noted once per peer, never elected"
