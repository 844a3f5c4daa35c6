#!/usr/bin/env bash
# IGMP (issue 9 item 2) on a bridge that snoops IGMP, as Linux bridges do
# by default: a host that joins the cluster group and is no member yet
# gets a HELLO from every member at once (a hint, before its own HELLO
# could be lost); a flood of reports (1,000/s from one host, and from as
# many spoofed sources) keeps the HELLO rate bounded; known members'
# reports (answers to a querier) are no hints. Without a querier, with an
# IGMPv3 querier whose membership interval is short (entries expire
# unless refreshed), and with an IGMPv2 querier (the bridge's default
# version: v2 reports reach only its router port, so hints are missed),
# the cluster keeps one holder and fails over.
. "$(dirname "$0")/lib.sh"

IGMP_TOOL=${IGMP_TOOL:-$qn_top_build/tests/netns/igmp_tool}
[ -x "$IGMP_TOOL" ] || qn_fail "$IGMP_TOOL not built (make check builds it)"
GROUP=239.255.81.82

qn_setup 4 # h4 runs no qured: it joins and floods
qn_lan_snooping
for n in 1 2 3; do
	qn_start_host "$n"
done
qn_elected 6000
for n in 1 2 3; do
	[ "$(qn_field "$n" .discovery.igmp)" = running ] ||
	    qn_fail "h$n: the IGMP observer is not running"
done
qn_log "h$QN_HOLDER holds; snooping on, no querier"

# disc N FIELD: one discovery counter of host N.
disc() { qn_field "$1" ".discovery.$2"; }

# hint_check LABEL: h4 joins the group; each of h1..h3 must send it a
# HELLO, promptly.
hint_check() {
	local out n t
	out=$(ip netns exec "$(qn_ns 4)" "$IGMP_TOOL" join eth0 "$GROUP" 5182 \
	    1500) || qn_fail "igmp_tool join failed"
	for n in 1 2 3; do
		qn_alive "$n" || continue
		t=$(sed -n "s/^hello from $(qn_ip "$n") after \([0-9]*\) ms$/\1/p" \
		    <<<"$out" | head -n 1)
		[ -n "$t" ] ||
		    qn_fail "$1: no HELLO from h$n to a host joining the" \
		    "group: $(tr '\n' ' ' <<<"$out")"
		qn_timing "$1: h$n's HELLO after the join" "$t" 200
	done
}

hint_check "no querier"
before=$(disc 1 igmp_hints)
[ "$before" -ge 1 ] || qn_fail "h1 counted no hint"

# A flood from one host: 1,000 reports/s for 3 s. Each member says HELLO
# to it at most once a second: 4 in 3 s, 5 if its loop ran late; 15.
before=$(disc 1 igmp_reports)
out=$(ip netns exec "$(qn_ns 4)" "$IGMP_TOOL" flood eth0 "$GROUP" \
    "$(qn_ip 4)" 1000 3000)
qn_log "flood from one host: $out"
hellos=$(awk '{print $4}' <<<"$out")
[ "$hellos" -le 15 ] || qn_fail "$hellos HELLOs to a flooding host in 3 s"
seen=$(($(disc 1 igmp_reports) - before))
[ "$seen" -ge 2000 ] || qn_fail "h1 saw $seen of the flood's reports"

# The same from as many spoofed sources: each member sends at most its
# burst (10) and 10 a second: 40 in 3 s, 50 with a second of slack.
for n in 1 2 3; do
	h0[$n]=$(disc "$n" igmp_hints)
done
out=$(ip netns exec "$(qn_ns 4)" "$IGMP_TOOL" flood eth0 "$GROUP" \
    "$(qn_ip 4)" 1000 3000 spoof)
qn_log "flood from spoofed sources: $out"
for n in 1 2 3; do
	d=$(($(disc "$n" igmp_hints) - h0[n]))
	qn_log "h$n: $d HELLOs for the spoofed flood"
	[ "$d" -le 50 ] || qn_fail "h$n sent $d HELLOs for a 3 s flood"
done
h=$(qn_holder) || qn_fail "no agreed holder after the floods"
if [ "$h" != "h$QN_HOLDER" ] && qn_host_stalled "$QN_HOLDER"; then
	# The host did not run the holder's loop for a fence: it resigned,
	# flood or not (synflood.sh does the same).
	qn_log "h$QN_HOLDER resigned: the host did not run its loop for a fence"
	qn_elected 3000
	h=h$QN_HOLDER
fi
[ "$h" = "h$QN_HOLDER" ] || qn_fail "the holder moved to $h in a flood"

# An IGMPv3 querier whose membership interval (5 s) is short: members
# answer its queries (every 2 s) with reports of the group, and the
# bridge forwards the group only to ports that did. Those answers come
# from known members: no hint.
qn_lan_snooping mcast_querier 1 mcast_igmp_version 3 \
    mcast_query_interval 200 mcast_query_response_interval 100 \
    mcast_membership_interval 500 mcast_startup_query_interval 100
hints1=$(disc 1 igmp_hints)
reports1=$(disc 1 igmp_reports)
epoch=$(qn_field 1 .epoch)
end=$(($(qn_now_ms) + 12000)) # beyond two membership intervals
while [ "$(qn_now_ms)" -lt "$end" ]; do
	qn_dmz_on "$QN_HOLDER" ||
	    qn_fail "querier: the address left h$QN_HOLDER alone"
	sleep 0.2
done
qn_elected 3000
[ "h$QN_HOLDER" = "$h" ] || qn_fail "querier: the holder moved"
[ "$(qn_field 1 .epoch)" = "$epoch" ] || qn_fail "querier: a new epoch"
[ "$(($(disc 1 igmp_reports) - reports1))" -ge 3 ] ||
    qn_fail "querier: h1 saw no answers to the queries"
[ "$(disc 1 igmp_hints)" = "$hints1" ] ||
    qn_fail "querier: members' own reports were taken for hints"
bridge -n "$QN_LAN" mdb show | grep -q "grp $GROUP" ||
    qn_fail "querier: the bridge learnt no member of the group"
hint_check "IGMPv3 querier, short membership interval"

# A failover under it: the group still reaches every member.
old=$QN_HOLDER
qn_stop_host "$old" KILL
qn_wait_for 5000 qn_dmz_moved_from "$old"
qn_elected 5000
qn_log "querier: h$QN_HOLDER took over from h$old"
qn_start_host "$old"
qn_wait_for 8000 qn_agreed

# The bridge's default querier version, 2: members fall back to IGMPv2,
# whose reports the bridge forwards to its router port only. A hint may
# be missed (not asserted); the cluster keeps working.
qn_lan_snooping mcast_igmp_version 2
sleep 3 # a query or two: the hosts are in IGMPv2 mode now
out=$(ip netns exec "$(qn_ns 4)" "$IGMP_TOOL" join eth0 "$GROUP" 5182 1000)
qn_log "IGMPv2 querier: $(grep -c '^hello' <<<"$out" || true) HELLO(s)" \
    "to a joining host"
old=$QN_HOLDER
qn_stop_host "$old" KILL
qn_wait_for 5000 qn_dmz_moved_from "$old"
qn_elected 5000
qn_log "IGMPv2 querier: h$QN_HOLDER took over from h$old"
echo "PASS: $QN_NAME"
