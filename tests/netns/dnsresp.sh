#!/usr/bin/env bash
# The authoritative DNS responder (issue 10 item 3) with real clients:
# 3 instances answer dig and kdig (knot-dnsutils) on their LAN addresses
# and on the DMZ address, over UDP and TCP, with and without EDNS, for
# every record type of the zone; hostile queries (truncated, compression
# loop, huge counts, wrong class, unknown opcode, oversized, a response)
# get FORMERR, NOTIMP, REFUSED or nothing and never more bytes than they
# brought; a failover shows in the next answer; a query storm from one
# client /24 engages the rate limit (drops and TC slips) while another
# /24 is still answered and the heartbeats stay on time (no holder change).
. "$(dirname "$0")/lib.sh"

for t in dig:dnsutils kdig:knot-dnsutils python3:python3; do
	command -v "${t%%:*}" >/dev/null 2>&1 || {
		echo "ERROR: $QN_NAME: ${t%%:*} not found: apt-get install" \
		    "${t#*:} (scripts/deps.sh)" >&2
		exit 99
	}
done
PY="python3 $QN_LIB_DIR/dnsresp.py"
ZONE=cloud.example.org
SITE=site1.$ZONE
PUB=198.51.100.7 # a documentation address, inside the namespaces only

qn_setup 3
head -c 32 /dev/urandom | base64 >"$T/tsig.key"
chmod 600 "$T/tsig.key"
# hello-interval 1s: a member that left is forgotten after 3 s (3 HELLOs),
# so its name leaves the zone within the test's bounds.
conf=("[cluster]" "hello-interval = 1s" "[cloud]" "name = $SITE" "server = $QN_ROUTER_IP:53"
    "tsig-name = site1-key" "tsig-secret-file = $T/tsig.key"
    "public-address = static:$PUB" "[dns]" "zone = $ZONE")
# h3 has a local resolver on 127.0.0.53:53 (as systemd-resolved): port
# 53 of every address is not to be had there, so its qured answers on
# the DMZ and LAN addresses alone.
ip netns exec "$(qn_ns 3)" socat UDP-LISTEN:53,bind=127.0.0.53 \
    SYSTEM:true >/dev/null 2>&1 &
QN_PIDS+=($!)
ip netns exec "$(qn_ns 3)" socat TCP-LISTEN:53,bind=127.0.0.53 \
    SYSTEM:true >/dev/null 2>&1 &
QN_PIDS+=($!)
qn_wait_for 5000 qn_listening 3 udp 53
qn_wait_for 5000 qn_listening 3 tcp 53
for n in 1 2 3; do
	qn_start_host "$n" "${conf[@]}"
done
qn_elected 6000
H=$QN_HOLDER
qn_log "h$H holds $QN_DMZ"
qn_wait_for 3000 grep -q 'answering on the DMZ and LAN addresses alone' \
    "$T/h3/log"
for n in 1 2 3; do
	qn_wait_for 5000 qn_listening "$n" udp 53
	qn_wait_for 5000 qn_listening "$n" tcp 53
done

# rdig ARGS...: dig from the router, one try.
rdig() {
	ip netns exec "$QN_ROUTER" dig +time=2 +tries=1 "$@" 2>&1
}
rkdig() {
	ip netns exec "$QN_ROUTER" kdig +time=2 +retry=0 "$@" 2>&1
}

# expect WHAT OUTPUT PATTERN: OUTPUT has a line matching PATTERN (ERE).
expect() {
	grep -Eq -- "$3" <<<"$2" || qn_fail "$1: no /$3/ in:
$2"
}
refuse() {
	! grep -Eq -- "$3" <<<"$2" || qn_fail "$1: /$3/ in:
$2"
}

# ---- every record type, dig: UDP and TCP, with and without EDNS ----------
n_q=0
for server in "$(qn_ip 1)" "$QN_DMZ"; do
	for tr in +notcp +tcp; do
		for ed in +noedns +edns=0; do
			w="@$server $tr $ed"
			o=$(rdig @"$server" $tr $ed $ZONE SOA)
			expect "$w SOA" "$o" 'status: NOERROR'
			expect "$w SOA aa" "$o" 'flags: qr aa rd;'
			expect "$w SOA" "$o" "^$ZONE\.[[:space:]]+60[[:space:]]+IN[[:space:]]+SOA"
			refuse "$w SOA ra" "$o" 'flags:.* ra'
			if [ "$ed" = +edns=0 ]; then
				expect "$w EDNS" "$o" 'EDNS: version: 0.*udp: 1232'
			else
				refuse "$w no EDNS" "$o" 'OPT PSEUDOSECTION'
			fi
			o=$(rdig @"$server" $tr $ed $ZONE NS +short)
			expect "$w NS" "$o" "^$ZONE\.\$"
			o=$(rdig @"$server" $tr $ed $ZONE A +short)
			expect "$w apex A" "$o" "^$PUB\$"
			o=$(rdig @"$server" $tr $ed $SITE A +short)
			expect "$w site A" "$o" "^$PUB\$"
			o=$(rdig @"$server" $tr $ed h2.$ZONE A +short)
			expect "$w member A" "$o" "^$(qn_ip 2)\$"
			o=$(rdig @"$server" $tr $ed _qure._udp.$ZONE SRV)
			[ "$(grep -Ec "^_qure\._udp\.$ZONE\..*SRV" <<<"$o")" = 3 ] ||
			    qn_fail "$w SRV: not 3 members:
$o"
			expect "$w SRV glue" "$o" "^h3\.$ZONE\..*A[[:space:]]+$(qn_ip 3)\$"
			expect "$w SRV holder" "$o" "SRV[[:space:]]+0 1 5182 h$H\.$ZONE\."
			o=$(rdig @"$server" $tr $ed $ZONE TXT +short)
			expect "$w TXT" "$o" "^\"h$H\"\$"
			o=$(rdig @"$server" $tr $ed nope.$ZONE A)
			expect "$w NXDOMAIN" "$o" 'status: NXDOMAIN'
			expect "$w NXDOMAIN SOA" "$o" "^$ZONE\..*SOA"
			o=$(rdig @"$server" $tr $ed example.com A)
			expect "$w other zone" "$o" 'status: REFUSED'
			# The public address is IPv4: the apex has no AAAA
			# (NOERROR, no answer, the SOA for the negative TTL).
			o=$(rdig @"$server" $tr $ed $ZONE AAAA)
			expect "$w apex AAAA" "$o" 'status: NOERROR'
			expect "$w apex AAAA" "$o" 'ANSWER: 0,'
			expect "$w apex AAAA SOA" "$o" "^$ZONE\..*SOA"
			n_q=$((n_q + 11))
		done
	done
done
qn_log "dig: $n_q queries answered as expected (LAN and DMZ address)"

# ---- kdig --------------------------------------------------------------
for tr in +notcp +tcp; do
	for ed in +noedns +edns; do
		w="kdig $tr $ed"
		o=$(rkdig @"$QN_DMZ" $tr $ed $ZONE SOA)
		expect "$w SOA" "$o" 'status: NOERROR'
		expect "$w SOA aa" "$o" 'Flags: qr aa rd;'
		o=$(rkdig @"$(qn_ip 2)" $tr $ed _qure._udp.$ZONE SRV +short)
		[ "$(wc -l <<<"$o")" = 3 ] || qn_fail "$w SRV: $o"
		o=$(rkdig @"$(qn_ip 3)" $tr $ed h1.$ZONE A +short)
		expect "$w member" "$o" "^$(qn_ip 1)\$"
		o=$(rkdig @"$(qn_ip 3)" $tr $ed x.h1.$ZONE A)
		expect "$w NXDOMAIN" "$o" 'status: NXDOMAIN'
		o=$(rkdig @"$(qn_ip 1)" $tr $ed $ZONE NS +short)
		expect "$w NS" "$o" "^$ZONE\.\$"
		o=$(rkdig @"$(qn_ip 1)" $tr $ed $ZONE TXT +short)
		expect "$w TXT" "$o" "^\"h$H\"\$"
		o=$(rkdig @"$(qn_ip 2)" $tr $ed example.com A)
		expect "$w other zone" "$o" 'status: REFUSED'
		o=$(rkdig @"$(qn_ip 2)" $tr $ed $ZONE AAAA)
		expect "$w apex AAAA" "$o" 'status: NOERROR'
		refuse "$w apex AAAA" "$o" 'AAAA[[:space:]]+[0-9a-f:]+$'
	done
done
qn_log "kdig: UDP and TCP, with and without EDNS"

# ---- each host knows its own name; IPv6 (link-local) transport ----------
for tr in +notcp +tcp; do
	o=$(rdig @"$(qn_ip 3)" $tr $ZONE TXT +short)
	expect "h3 (beside a local resolver) $tr" "$o" "^\"h$H\"\$"
done
for n in 1 2 3; do
	o=$(rdig @"$(qn_ip "$n")" h$n.$ZONE A +short)
	expect "h$n's own name" "$o" "^$(qn_ip "$n")\$"
done
ll=$(ip -n "$(qn_ns 2)" -6 -o addr show dev eth0 scope link |
    sed -n 's/.* inet6 \(fe80::[0-9a-f:]*\)\/64.*/\1/p' | head -n 1)
if [ -n "$ll" ]; then
	for tr in +notcp +tcp; do
		o=$(rdig @"$ll%lan0" $tr h3.$ZONE A +short)
		expect "IPv6 $tr" "$o" "^$(qn_ip 3)\$"
	done
	qn_log "IPv6: answers from $ll over UDP and TCP"
else
	qn_log "IPv6: h2 has no link-local address, not tried"
fi

# ---- hostile queries ---------------------------------------------------
o=$(ip netns exec "$QN_ROUTER" $PY bad "$(qn_ip 1)" 53)
printf '%s\n' "$o" | sed 's/^/  /'
while read -r what res size qsize; do
	case $what in
	*_short | *_response) want=none ;;
	*_chaos_class | *_opcode_*) want=rcode=4 ;;
	*_oversized_outside) want='rcode=[15]' ;;
	*_partial) continue ;;
	tcp_pipeline)
		[ "$res" = answers=100 ] ||
		    qn_fail "100 pipelined TCP queries: $res"
		continue
		;;
	*) want=rcode=1 ;;
	esac
	[[ $res =~ ^($want)$ ]] || qn_fail "$what: $res, expected $want"
	[ "$res" = none ] || [ "${size#size=}" -le "${qsize#qsize=}" ] ||
	    qn_fail "$what: an answer of ${size#size=} bytes to ${qsize#qsize=}"
done <<<"$o"
qn_alive 1 || qn_fail "h1's qured died of the hostile queries"
o=$(rdig @"$(qn_ip 1)" $ZONE SOA)
expect "SOA after the hostile queries" "$o" 'status: NOERROR'
expect "counters" "$(qn_field 1 .dns)" '"formerr": [1-9]'

# ---- TCP connections are bounded (32 open) ------------------------------
o=$(ip netns exec "$QN_ROUTER" $PY conns "$(qn_ip 1)" 53 40)
qn_log "40 idle TCP connections, then one more: $o"
[[ $o =~ ^extra\ none\ after\ rcode=0, ]] ||
    qn_fail "TCP connections over the limit: $o"
expect "tcp_rejected" "$(qn_field 1 .dns)" '"tcp_rejected": [1-9]'

# ---- a failover shows in the next answer --------------------------------
o=$(rdig @"$(qn_ip $((H % 3 + 1)))" $ZONE TXT +short)
expect "TXT before" "$o" "^\"h$H\"\$"
qn_stop_host "$H"
qn_wait_for 6000 qn_agreed
H2=$QN_AGREED
[ "$H2" != "$H" ] || qn_fail "h$H still holds"
o=$(rdig @"$QN_DMZ" $ZONE TXT +short)
expect "TXT after the failover (DMZ address)" "$o" "^\"h$H2\"\$"
other=$(for n in 1 2 3; do [ "$n" = "$H" ] || [ "$n" = "$H2" ] || echo "$n"; done)
o=$(rdig @"$(qn_ip "$other")" $ZONE TXT +short)
expect "TXT after the failover (h$other)" "$o" "^\"h$H2\"\$"
gone_nx() {
	rdig @"$(qn_ip "$other")" h$H.$ZONE A | grep -q 'status: NXDOMAIN'
}
qn_wait_for 8000 gone_nx
o=$(rdig @"$(qn_ip "$other")" _qure._udp.$ZONE SRV +short)
[ "$(wc -l <<<"$o")" = 2 ] || qn_fail "SRV after the failover: $o"
qn_log "failover h$H -> h$H2: TXT, SRV and h$H's name follow"

# ---- a query storm from one /24 --------------------------------------------
STORM=10.$((RANDOM % 200 + 20)).$((RANDOM % 254 + 1)).9
while [ "${STORM%.*}" = "$QN_NET" ]; do
	STORM=10.$((RANDOM % 200 + 20)).$((RANDOM % 254 + 1)).9
done
ip -n "$QN_ROUTER" addr add "$STORM/24" dev lan0
ep0=$(qn_field "$H2" .epoch)
fo0=$(qn_field "$H2" .counters.failovers)
ip netns exec "$QN_ROUTER" $PY storm "$STORM" "$QN_DMZ" 53 4 3000 \
    >"$T/storm.out" &
storm_pid=$!
QN_PIDS+=($storm_pid)
sleep 1
# Another /24 (the router's own address) is answered during the storm.
for i in 1 2 3 4 5; do
	o=$(rdig @"$QN_DMZ" $ZONE SOA)
	expect "SOA from another /24 during the storm ($i)" "$o" \
	    'status: NOERROR'
	sleep 0.2
done
wait "$storm_pid" || qn_fail "the storm client failed"
read -r _ sent _ answers _ tc <"$T/storm.out"
qn_log "storm: sent $sent, answers $answers (TC $tc)"
d=$(qn_field "$H2" .dns)
rd=$(jq .rrl_dropped <<<"$d")
rs=$(jq .rrl_slipped <<<"$d")
qn_log "h$H2 dns: $(jq -c . <<<"$d")"
[ "$sent" -ge 1000 ] || qn_fail "the storm sent only $sent queries"
[ "$rd" -gt 0 ] && [ "$rs" -gt 0 ] ||
    qn_fail "RRL did not engage: dropped $rd, slipped $rs"
[ "$tc" -gt 0 ] || qn_fail "no TC slip reached the storm client"
# 20/s for ~4 s, plus a TC slip for every 2nd one over: about half.
[ "$answers" -le $((sent * 6 / 10 + 200)) ] ||
    qn_fail "$answers answers to $sent queries: no rate limit"
# The heartbeats stayed on time: same holder, same epoch, no failover.
h=$(qn_holder) || qn_fail "no agreed holder after the storm"
[ "$h" = "h$H2" ] || qn_fail "the holder changed to $h during the storm"
[ "$(qn_field "$H2" .epoch)" = "$ep0" ] || qn_fail "epoch moved in the storm"
[ "$(qn_field "$H2" .counters.failovers)" = "$fo0" ] ||
    qn_fail "a failover during the storm"
qn_field "$other" .node.state | grep -qx standby ||
    qn_fail "h$other is not standby after the storm"
echo "PASS: $QN_NAME: $n_q dig answers, kdig, hostile queries, failover," \
    "storm $sent -> $answers (RRL dropped $rd, slipped $rs), h$H2 held"
