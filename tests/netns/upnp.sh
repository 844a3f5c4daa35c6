#!/usr/bin/env bash
# The home router as a real IGD (issue 10 items 4, 6): miniupnpd
# (nftables backend, UPnP IGD and NAT-PMP) on the router namespace, its
# WAN address in the shared range of RFC 6598 (100.64/10: the
# carrier-grade NAT many homes have; never a public address). miniupnpd
# then refuses the external address (UPnP) and every mapping (UPnP 501,
# NAT-PMP result 3). The holder finds the IGD, says "not reachable" once
# in the log and in its status, logs the mapping refusal once however
# many ports and retries, and its heartbeats go on.
. "$(dirname "$0")/lib.sh"

command -v miniupnpd >/dev/null || qn_skip "no miniupnpd (scripts/deps.sh)"
command -v nft >/dev/null || qn_skip "no nft"

qn_setup 2
# The router's WAN side: a veth to an "ISP" namespace, 100.64.0.2/24.
QN_ISP="$QN_P-isp"
qn_netns_add "$QN_ISP"
ip link add "${QN_P}w" type veth peer name "${QN_P}wp"
ip link set "${QN_P}w" netns "$QN_ROUTER"
ip link set "${QN_P}wp" netns "$QN_ISP"
ip -n "$QN_ROUTER" link set "${QN_P}w" name wan0
ip -n "$QN_ROUTER" addr add 100.64.0.2/24 dev wan0
ip -n "$QN_ROUTER" link set wan0 up
ip -n "$QN_ROUTER" route add default via 100.64.0.1
ip -n "$QN_ISP" link set "${QN_P}wp" name isp0
ip -n "$QN_ISP" addr add 100.64.0.1/24 dev isp0
ip -n "$QN_ISP" link set isp0 up
# miniupnpd's chains (its nftables backend expects them) and its config.
ip netns exec "$QN_ROUTER" nft -f - <<'NFT'
table inet filter {
	chain miniupnpd { }
	chain prerouting_miniupnpd { }
	chain postrouting_miniupnpd { }
	chain forward { type filter hook forward priority filter; policy accept; jump miniupnpd; }
	chain prerouting { type nat hook prerouting priority dstnat; policy accept; jump prerouting_miniupnpd; }
	chain postrouting { type nat hook postrouting priority srcnat; policy accept; jump postrouting_miniupnpd; }
}
NFT
mkdir -p "$T/upnp"
cat >"$T/upnp/miniupnpd.conf" <<CONF
ext_ifname=wan0
listening_ip=lan0
http_port=5000
enable_upnp=yes
enable_natpmp=yes
ipv6_disable=yes
secure_mode=no
system_uptime=yes
notify_interval=60
lease_file=$T/upnp/leases
uuid=3d3cec3a-8cf0-11e0-98ee-001a6bd2d07b
allow 1-65535 $QN_NET.0/24 1-65535
deny 0-65535 0.0.0.0/0 0-65535
CONF
ip netns exec "$QN_ROUTER" miniupnpd -d -f "$T/upnp/miniupnpd.conf" \
    -P "$T/upnp/pid" >"$T/upnp/log" 2>&1 &
QN_PIDS+=($!)
http_up() { ip netns exec "$QN_ROUTER" ss -ltn | grep -q ':5000 '; }
qn_wait_for 5000 http_up

cloud=("[cloud]" "name = site.example.test" "server = 100.64.0.1:53"
    "tsig-name = site-key" "tsig-secret-file = $T/tsig")
echo "c2l0ZWtleXNpdGVrZXlzaXRla2V5c2l0ZWtleXNpdGU=" >"$T/tsig"
chmod 600 "$T/tsig"
ports="ports = tcp:8080,tcp:8443,udp:5060"
qn_start_host 1 "${cloud[@]}" "[dmz]" "$ports"
sleep 0.3
qn_start_host 2 "${cloud[@]}" "[dmz]" "$ports"
qn_elected 8000
h=$QN_HOLDER
qn_log "holder h$h"

igd_found() { [ "$(qn_field "$h" .router.igd)" = upnp ]; }
qn_wait_for 15000 igd_found
unreachable() { [ "$(qn_field "$h" .router.reachable)" = false ]; }
qn_wait_for 15000 unreachable
reason=$(qn_field "$h" .router.reason)
grep -qi 'NAT' <<<"$reason" || qn_fail "h$h: router.reason is '$reason'"
# The cloud says it too (public-address = auto asked the same router).
cloud_unreachable() {
	[ "$(qn_field "$h" .cloud.reachable)" = false ] &&
	    qn_field "$h" .cloud.reason | grep -qi 'NAT'
}
qn_wait_for 15000 cloud_unreachable
refused() { [ "$(qn_field "$h" .router.refused)" = 3 ]; }
qn_wait_for 20000 refused
[ "$(qn_field "$h" .router.mapped)" = 0 ] ||
    qn_fail "h$h: a mapping succeeded behind CGNAT?"
# The last error is the mapping refusal or, since [cloud] public-address =
# auto asks the router for the external address too (dyndns), that one.
err=$(qn_field "$h" .router.last_error)
grep -Eq '501|GetExternalIPAddress' <<<"$err" ||
    qn_fail "h$h: last_error is '$err', not UPnP 501 or the external address"
grep -q 'UPnP error 501' "$T/h$h/log" ||
    qn_fail "h$h never said the router refused with UPnP 501"
# A few retries (10 s, then 20 s, ...): still one line each.
sleep 12
n=$(grep -c 'refuses to forward' "$T/h$h/log" || true)
[ "$n" -eq 1 ] || qn_fail "h$h logged the mapping refusal $n times, not once"
n=$(grep -c 'cannot be reached from the internet' "$T/h$h/log" || true)
[ "$n" -eq 1 ] || qn_fail "h$h said 'not reachable' $n times, not once"
grep -q 'AddPortMapping' "$T/upnp/log" ||
    qn_fail "miniupnpd saw no AddPortMapping"
# The standby asked nothing; nobody failed over meanwhile.
o=$((3 - h))
[ "$(qn_field "$o" .router.mapped)" = 0 ] &&
    [ "$(qn_field "$o" .router.refused)" = 0 ] ||
    qn_fail "standby h$o asked the router for mappings"
[ "$(qn_field "$h" .node.state)" = holder ] || qn_fail "h$h lost the address"
[ "$(qn_field "$o" .counters.failovers)" = 0 ] || qn_fail "a failover happened"
out=$("$QURECTL" -s "$T/h$h/sock" status)
grep -q '^router: *upnp, external -, not reachable: .*, 0 port(s) mapped, 3 refused' <<<"$out" ||
    qn_fail "qurectl status has no router line: $out"
echo "PASS: $QN_NAME: h$h found miniupnpd's IGD, reported it unreachable" \
    "($reason) and the refusal ($err) once each"
