#!/usr/bin/env bash
# Dynamic DNS against a real BIND 9 (issue 10 items 1, 2, 6).
#
#   h1, h2 (LAN) -- router (NAT: masquerade on wan0 203.0.113.5)
#                      |
#                   internet ns: 203.0.113.1, named on 203.0.113.53
#                   (primary for cloud.example.test), an HTTP echo of the
#                   caller's address on 203.0.113.80:8080
#
# named's update-policy lets the site's TSIG key change only the site's
# name. The members learn the public address through the HTTP check (the
# router's NATed 203.0.113.5, a documentation address: allow-private).
# h1 gives [cloud] server as an address, h2 as a name (in its own
# /etc/hosts): each holds once, before or after the failover.
#  1. after election, dig @named site A gives 203.0.113.5 (within 2 s of
#     the election); the standby sends nothing; status shows cloud.*;
#     both members' own DNS responders ([dns] zone = the site's name)
#     answer it too: the standby learns it from the holder's HEARTBEAT;
#  2. the key cannot change another name (nsupdate: REFUSED);
#  3. after a failover the new holder's update is in named's log;
#  4. named stopped: the refresh fails, the error is kept, the retries back
#     off; named restarted: the update goes through; a reload with
#     another address publishes it at once;
#  5. a TSIG secret file that others can read: qured refuses to start,
#     the chmod in the message;
#  6. a wrong TSIG secret: named logs BADSIG, qured logs the refusal once
#     and backs off: a handful of refusals in a minute, no storm.
. "$(dirname "$0")/lib.sh"

for t in named:bind9 dig:dnsutils nsupdate:dnsutils tsig-keygen:bind9-utils \
    nft:nftables; do
	if ! command -v "${t%%:*}" >/dev/null 2>&1; then
		echo "ERROR: $QN_NAME: ${t%%:*} not found: apt-get install" \
		    "${t#*:} (scripts/deps.sh)" >&2
		exit 99
	fi
done

ZONE=cloud.example.test
SITE=site.$ZONE
WAN=203.0.113.5
NS_ADDR=203.0.113.53
ECHO_ADDR=203.0.113.80
INET=$QN_P-i

qn_setup 3

# ---- the internet behind the router ----------------------------------------
qn_netns_add "$INET"
ip link add "${QN_P}w" type veth peer name "${QN_P}wp"
ip link set "${QN_P}w" netns "$QN_ROUTER"
ip link set "${QN_P}wp" netns "$INET"
ip -n "$QN_ROUTER" link set "${QN_P}w" name wan0
ip -n "$QN_ROUTER" addr add "$WAN/24" dev wan0
ip -n "$QN_ROUTER" link set wan0 up
ip -n "$INET" link set "${QN_P}wp" name isp0
ip -n "$INET" addr add 203.0.113.1/24 dev isp0
ip -n "$INET" addr add "$NS_ADDR/24" dev isp0
ip -n "$INET" addr add "$ECHO_ADDR/24" dev isp0
ip -n "$INET" link set isp0 up
ip netns exec "$QN_ROUTER" sysctl -qw net.ipv4.ip_forward=1
ip netns exec "$QN_ROUTER" nft -f - <<'EOF'
table ip qnnat {
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "wan0" masquerade
	}
}
EOF

# ---- BIND 9, primary for the parent zone ------------------------------------
D=$T/named
mkdir -p "$D"
tsig-keygen -a hmac-sha256 site-key >"$D/key.conf"
SECRET=$(awk -F'"' '/secret/{print $2}' "$D/key.conf")
cat >"$D/named.conf" <<EOF
include "$D/key.conf";
options {
	directory "$D";
	pid-file "$D/named.pid";
	session-keyfile "$D/session.key";
	listen-on port 53 { $NS_ADDR; };
	listen-on-v6 { none; };
	recursion no;
	dnssec-validation no;
	notify no;
	allow-query { any; };
	allow-transfer { none; };
};
controls { };
zone "$ZONE" {
	type primary;
	file "$D/db.$ZONE";
	update-policy { grant site-key name $SITE. A AAAA; };
};
EOF
cat >"$D/db.$ZONE" <<EOF
\$TTL 60
@	IN SOA ns.$ZONE. hostmaster.$ZONE. ( 1 60 60 600 60 )
	IN NS ns.$ZONE.
ns	IN A $NS_ADDR
other	IN A 192.0.2.99
EOF
named-checkconf "$D/named.conf" || qn_fail "named.conf does not check"
NAMED_PID=
start_named() {
	ip netns exec "$INET" named -g -4 -c "$D/named.conf" \
	    >>"$D/named.log" 2>&1 &
	NAMED_PID=$!
	QN_PIDS+=("$NAMED_PID")
	qn_wait_for 5000 ask SOA
}
stop_named() {
	kill -TERM "$NAMED_PID"
	wait "$NAMED_PID" 2>/dev/null || true
}
# ask TYPE [NAME]: named's answer, from the internet side.
ask() {
	ip netns exec "$INET" dig +short +time=1 +tries=1 @"$NS_ADDR" \
	    "${2:-$ZONE}" "$1" 2>/dev/null | grep -q .
}
site_a() {
	ip netns exec "$INET" dig +short +time=1 +tries=1 @"$NS_ADDR" \
	    "$SITE" A 2>/dev/null
}
is_holder() { [ "$(qn_field "$1" .node.state 2>/dev/null)" = holder ]; }
updates() { grep -c "adding an RR at '$SITE' A" "$D/named.log" || true; }
badsigs() { grep -c "tsig verify failure (BADSIG)" "$D/named.log" || true; }
start_named
qn_log "named up on $NS_ADDR (internet $INET)"

# ---- the HTTP check: echoes the caller's address -----------------------------
cat >"$T/echo.sh" <<'EOF'
#!/bin/bash
while IFS= read -r l; do
	l=${l%$'\r'}
	[ -n "$l" ] || break
done
printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n%s\n' \
    "$SOCAT_PEERADDR"
EOF
chmod 755 "$T/echo.sh"
ip netns exec "$INET" socat -T 5 \
    "TCP-LISTEN:8080,bind=$ECHO_ADDR,reuseaddr,fork" "EXEC:$T/echo.sh" \
    2>"$T/echo.log" &
QN_PIDS+=($!)

# ---- the site -----------------------------------------------------------------
printf '%s\n' "$SECRET" >"$T/tsig.key"
chmod 600 "$T/tsig.key"
cloud() {
	printf '%s\n' "[cloud]" "name = $SITE" "server = ${2:-$NS_ADDR}" \
	    "tsig-name = site-key" "tsig-secret-file = $1" \
	    "public-address = http://$ECHO_ADDR:8080/ip" \
	    "allow-private = yes" "refresh = 10s" "ttl = 60" \
	    "[dns]" "zone = $SITE"
}
mapfile -t CLOUD < <(cloud "$T/tsig.key")
# h2 names the server: its own /etc/hosts says where it is (ip netns exec
# mounts /etc/netns/NS/hosts over /etc/hosts; resolv.conf points nowhere
# but the namespace's own loopback, so nothing leaves the test bed).
qn_etc_file "$(qn_ns 2)" hosts "$NS_ADDR ns1.$ZONE"
qn_etc_file "$(qn_ns 2)" resolv.conf "nameserver 127.0.0.1"
mapfile -t CLOUDN < <(cloud "$T/tsig.key" "ns1.$ZONE")
qn_start_host 1 "${CLOUD[@]}"
qn_start_host 2 "${CLOUDN[@]}"

# 1. Published after the election.
qn_elected 6000
t_elect=$(qn_now_ms)
H=$QN_HOLDER
S=$((3 - H))
qn_log "h$H holds the address"
published() { [ "$(site_a)" = "$WAN" ]; }
qn_wait_for 10000 published
qn_timing "published after the election" $(($(qn_now_ms) - t_elect)) 2000
j=$(qn_status "$H")
jq -e --arg a "$WAN" '.cloud.public_address == $a and .cloud.source ==
    "http" and .cloud.status == "ok" and .cloud.last_error == null and
    .cloud.reachable == false and (.cloud.reason | test("documentation"))
    and (.cloud.last_update | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$"))' \
    <<<"$j" >/dev/null || qn_fail "h$H's cloud status: $(jq -c .cloud <<<"$j")"
[ "$(qn_field "$S" .cloud.status)" = standby ] ||
    qn_fail "h$S's cloud status is not standby"
# Every member's DNS responder gives the address the holder learnt (it
# rides on the HEARTBEAT): the standby answers as the holder does.
lan_a() {
	ip netns exec "$QN_ROUTER" dig +short +time=1 +tries=1 \
	    @"$(qn_ip "$1")" "$SITE" A 2>/dev/null
}
standby_answers() { [ "$(lan_a "$S")" = "$WAN" ]; }
qn_wait_for 3000 standby_answers
[ "$(lan_a "$H")" = "$WAN" ] || qn_fail "h$H answers $SITE A with $(lan_a "$H")"
grep -q "documentation address (RFC 5737): the site cannot be reached" \
    "$T/h$H/log" || qn_fail "h$H did not say the address is unreachable"
n=$(updates)
[ "$n" -eq 1 ] || qn_fail "$n updates for one election, expected 1"
grep -q "$WAN#[0-9]*/key site-key: updating zone '$ZONE/IN'" "$D/named.log" ||
    qn_fail "named did not log the signed update"
qn_log "published: dig @named $SITE A = $WAN; $(jq -c .cloud <<<"$j")"

# 2. The key changes the site's name only.
if ip netns exec "$INET" nsupdate -y "hmac-sha256:site-key:$SECRET" \
    >"$T/nsupdate.out" 2>&1 <<EOF; then
server $NS_ADDR
zone $ZONE.
update delete other.$ZONE. A
send
EOF
	qn_fail "the site's key changed another name"
fi
grep -q REFUSED "$T/nsupdate.out" ||
    qn_fail "nsupdate of another name: $(cat "$T/nsupdate.out")"

# 3. Failover: the new holder publishes.
n=$(updates)
qn_stop_host "$H" KILL
qn_log "h$H killed"
qn_wait_for 6000 is_holder "$S"
t_take=$(qn_now_ms)
new_update() {
	[ "$(updates)" -gt "$n" ] &&
	    [ "$(qn_field "$S" .cloud.status)" = ok ]
}
qn_wait_for 10000 new_update
qn_timing "the new holder's update" $(($(qn_now_ms) - t_take)) 2000
published || qn_fail "after the failover dig gives $(site_a)"
qn_log "h$S holds and published (named's updates: $(updates))"

# 4. named stopped: the next refresh fails (refresh = 10 s, but an
# unchanged address goes out at most once per 30 s); restarted: the
# retry goes through.
stop_named
qn_log "named stopped"
failing() {
	[ "$(qn_field "$S" .cloud.status)" = error ] &&
	    [ -n "$(qn_field "$S" '.cloud.last_error // empty')" ]
}
qn_wait_for 40000 failing
qn_log "h$S: $(qn_field "$S" .cloud.last_error)"
sleep 3 # a retry or two, backing off
start_named
qn_log "named restarted"
n=$(updates)
recovered() {
	[ "$(updates)" -gt "$n" ] && [ "$(qn_field "$S" .cloud.status)" = ok ]
}
qn_wait_for 20000 recovered
published || qn_fail "after named's restart dig gives $(site_a)"
grep -q "again at the server after" "$T/h$S/log" ||
    qn_fail "h$S did not log the recovery"
qn_log "h$S published again after named's restart"

# 4b. A reload with another address: published at once (a changed
# address is not held back by the 30 s rule).
sed -i "s|^public-address = .*|public-address = static:198.51.100.7|" \
    "$T/h$S/qured.conf"
kill -HUP "${QN_PID[$S]}"
qn_log "h$S reloaded with public-address = static:198.51.100.7"
moved() { [ "$(site_a)" = 198.51.100.7 ]; }
qn_wait_for 5000 moved
j=$(qn_status "$S")
jq -e '.cloud.source == "static" and .cloud.status == "ok" and
    .cloud.public_address == "198.51.100.7"' <<<"$j" >/dev/null ||
    qn_fail "h$S after the reload: $(jq -c .cloud <<<"$j")"
qn_log "dig @named $SITE A = 198.51.100.7 after the reload"
sed -i "s|^public-address = .*|public-address = http://$ECHO_ADDR:8080/ip|" \
    "$T/h$S/qured.conf"
kill -HUP "${QN_PID[$S]}"
qn_wait_for 5000 published

# 5. A TSIG secret file that others can read: no start.
qn_stop_host "$S"
cp "$T/tsig.key" "$T/tsig-open.key"
chmod 644 "$T/tsig-open.key"
mapfile -t OPEN < <(cloud "$T/tsig-open.key")
qn_start_host 3 "${OPEN[@]}"
pid=${QN_PID[3]}
rc=0
timeout 10 tail --pid="$pid" -f /dev/null || true
wait "$pid" || rc=$?
unset "QN_PID[3]"
[ "$rc" -ne 0 ] || qn_fail "qured started with a world-readable TSIG secret"
grep -q "tsig-open.key: readable or writable by group or others.*chmod 600" \
    "$T/h3/log" || qn_fail "no fix in the refusal: $(tail -n 3 "$T/h3/log")"
qn_log "a world-readable secret refused: $(grep -o 'readable.*' "$T/h3/log" |
    head -n 1)"

# 6. A wrong secret: refused, backing off, no storm.
tsig-keygen -a hmac-sha256 site-key | awk -F'"' '/secret/{print $2}' \
    >"$T/wrong.key"
chmod 600 "$T/wrong.key"
mapfile -t WRONG < <(cloud "$T/wrong.key")
b0=$(badsigs)
qn_start_host 3 "${WRONG[@]}"
qn_wait_for 6000 is_holder 3
t0=$(qn_now_ms)
sleep 60
b=$(($(badsigs) - b0))
j=$(qn_status 3)
qn_log "wrong secret: $b refusals in a minute; $(jq -c .cloud <<<"$j")"
# 1 s doubling: sends at about 0, 1, 3, 7, 15, 31, 63 s (each wait
# jittered 3/4..5/4): 6 or 7 in a minute; a storm would be hundreds.
[ "$b" -ge 4 ] && [ "$b" -le 9 ] ||
    qn_fail "$b BADSIG refusals in a minute, expected 4 to 9 (backoff)"
jq -e '.cloud.status == "error" and (.cloud.last_error | test("BADSIG"))' \
    <<<"$j" >/dev/null || qn_fail "h3's status: $(jq -c .cloud <<<"$j")"
w=$(grep -c "refused the update.*BADSIG.*backing off" "$T/h3/log" || true)
[ "$w" -eq 1 ] || qn_fail "the refusal logged $w times, expected once"
[ "$(site_a)" = "$WAN" ] || qn_fail "a refused update changed the record"
echo "PASS: $QN_NAME: published after election and failover, through a" \
    "named restart; $b refusals in a minute with a wrong secret"
