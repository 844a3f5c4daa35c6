#!/usr/bin/env bash
# [dmz] address = auto (issue 10 item 5): no member is told the DMZ
# address; they find one and agree on it.
#  0. three members started at once, no [dmz] ports: one address;
#  1. miniupnpd (nftables) as the router, its WAN in 100.64/10 as in
#     upnp.sh: it lists no mapping and refuses new ones (carrier-grade
#     NAT). A foreign host answers ARP for the top address (.254). Two
#     members started together pick the same free one (.253), elect one
#     holder for it, say dmz.source chosen and keep it in the state dir;
#     the holder asked miniupnpd to forward the ports (refused: 501,
#     logged once);
#  2. a third member started later, on a socket passed as systemd does,
#     follows the holder (same address, "as the members say"); all stopped, one restarted alone keeps the
#     address from its state dir; another, with a corrupt state file,
#     follows it and writes the file anew;
#  3. the tests' own IGD (igd_responder.py, as igd.sh) whose table
#     already forwards tcp:8443 to .77: the members take .77, dmz.source
#     router, whatever their state dirs say, and the holder maps the
#     ports to it;
#  4. the same IGD with an empty table: a member alone chooses .253 and
#     has it mapped; another, started alone after it stopped (no state
#     file), finds .253 in the router's table (source router);
#  5. a hostile IGD whose table forwards our ports off the LAN or to
#     junk: the rows are rejected and logged, the address is chosen.
. "$(dirname "$0")/lib.sh"

command -v miniupnpd >/dev/null || qn_skip "no miniupnpd (scripts/deps.sh)"
command -v nft >/dev/null || qn_skip "no nft"
command -v python3 >/dev/null || qn_skip "no python3"

qn_setup 3
# ---- 1. miniupnpd behind a carrier-grade NAT (upnp.sh's set-up)
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
UPNPD=$!
QN_PIDS+=($UPNPD)
http_up() { ip netns exec "$QN_ROUTER" ss -ltn | grep -q ':5000 '; }
qn_wait_for 5000 http_up
export QN_NO_DMZ4=1 # no address line: the lines below say auto
auto=("[dmz]" "address = auto" "ports = tcp:8080,tcp:8443,udp:5060")
field_is() { [ "$(qn_field "$1" "$2" 2>/dev/null)" = "$3" ]; }
file_says() { # HOST ADDRESS SOURCE: the state dir's dmz file
	grep -qx "address=$2/24" "$T/h$1/state/dmz" &&
	    grep -qx "source=$3" "$T/h$1/state/dmz"
}

# ---- 0. three members started at once, no ports (no router asked):
# the first to probe the top address takes it, the others hear it.
QN_DMZ=$QN_NET.254
for n in 1 2 3; do qn_start_host "$n" "[dmz]" "address = auto"; done
qn_elected 60000
for n in 1 2 3; do
	field_is "$n" .dmz.address "$QN_DMZ/24" ||
	    qn_fail "h$n: $(qn_field "$n" .dmz.address), not $QN_DMZ/24"
done
qn_log "h1, h2, h3 started at once: all $QN_DMZ, h$QN_HOLDER holds it"
for n in 1 2 3; do qn_stop_host "$n"; done
for n in 1 2 3; do
	rm -f "$T/h$n/state/dmz"
	mv "$T/h$n/log" "$T/h$n/log.0" # the checks below read fresh logs
done

# A foreign host on the top address of the LAN (here: the router).
ip -n "$QN_ROUTER" addr add "$QN_NET.254/24" dev lan0

QN_DMZ=$QN_NET.253
qn_start_host 1 "${auto[@]}"
qn_start_host 2 "${auto[@]}"
# Listening, the router's SSDP (2 s), jittered ARP probes of .254 (taken:
# three rounds) then .253: well under a minute on a loaded machine.
qn_elected 60000
h=$QN_HOLDER
o=$((3 - h))
for n in 1 2; do
	field_is "$n" .dmz.address "$QN_DMZ/24" ||
	    qn_fail "h$n: dmz.address $(qn_field "$n" .dmz.address), not $QN_DMZ/24"
	field_is "$n" .dmz.source chosen ||
	    qn_fail "h$n: dmz.source $(qn_field "$n" .dmz.source), not chosen"
	file_says "$n" "$QN_DMZ" chosen ||
	    qn_fail "h$n: state file: $(cat "$T/h$n/state/dmz")"
done
grep -q "ARP for $QN_NET.254" "$T/h1/log" "$T/h2/log" ||
    qn_fail "nobody found $QN_NET.254 taken"
! grep -q "address = auto: $QN_NET.254/" "$T/h1/log" "$T/h2/log" ||
    qn_fail "a member took the foreign host's $QN_NET.254"
! grep -q "address = auto: $QN_NET.1/\|address = auto: $QN_NET.1[12]/" \
    "$T/h1/log" "$T/h2/log" || qn_fail "a member took the router's or a member's address"
qn_log "h1 and h2 started together: both $QN_DMZ (chosen), h$h holds it"
# The holder asked the router to forward the ports to it: miniupnpd
# refuses behind a carrier-grade NAT, said once.
qn_wait_for 20000 field_is "$h" .router.refused 3
grep -q 'UPnP error 501' "$T/h$h/log" || qn_fail "no UPnP 501 in h$h's log"
grep -q "AddPortMapping" "$T/upnp/log" || qn_fail "miniupnpd saw no AddPortMapping"
out=$("$QURECTL" -s "$T/h$h/sock" status)
grep -q '^dmz from: chosen (address = auto)' <<<"$out" ||
    qn_fail "no 'dmz from' line in qurectl status: $out"

# ---- 2. a latecomer follows; the state dir keeps the address
# h3 runs as under qured.socket: the cluster port bound before qured
# starts, passed as fd 3 (LISTEN_PID, LISTEN_FDS), as portheld.sh does.
cat >"$T/sd-qured" <<EOS
#!/usr/bin/env python3
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 5182))
os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)
os.environ["LISTEN_PID"] = str(os.getpid())
os.environ["LISTEN_FDS"] = "1"
os.execv("$QURED", ["$QURED"] + sys.argv[1:])
EOS
chmod +x "$T/sd-qured"
QURED="$T/sd-qured" qn_start_host 3 "${auto[@]}"
qn_wait_for 30000 field_is 3 .node.state standby
field_is 3 .dmz.address "$QN_DMZ/24" ||
    qn_fail "h3: $(qn_field 3 .dmz.address), not the holder's $QN_DMZ/24"
grep -q "as the members say" "$T/h3/log" || qn_fail "h3 did not follow the members"
grep -q "the socket from systemd" "$T/h3/log" || qn_fail "h3 did not listen on fd 3"
# One holder for the three (not necessarily h$h: a loaded machine may
# fail over while h3 starts; that is the election's business).
qn_elected 10000
qn_log "h3 started later: took $QN_DMZ from the holder h$h; now h$QN_HOLDER holds it"
for n in 1 2 3; do qn_stop_host "$n"; done
# h1 alone: no member, no row in the router's table: its state dir gives
# the address (written by hand here, as the daemon writes it).
printf 'address=%s/24\nsource=chosen\n' "$QN_DMZ" >"$T/h1/state/dmz"
qn_start_host 1 "${auto[@]}"
qn_elected 30000
[ "$QN_HOLDER" = 1 ] || qn_fail "h1 alone is not the holder"
grep -q "kept in the state dir" "$T/h1/log" || qn_fail "h1 did not use its state dir"
printf 'address=%s/24\nsource=chosen\naddress=junk\n' "$QN_NET.9" >"$T/h2/state/dmz"
qn_start_host 2 "${auto[@]}"
qn_wait_for 30000 field_is 2 .node.state standby
grep -q "state/dmz: .*ignored" "$T/h2/log" || qn_fail "h2 did not warn about its corrupt file"
file_says 2 "$QN_DMZ" chosen || qn_fail "h2: file not rewritten: $(cat "$T/h2/state/dmz")"
field_is 2 .dmz.address "$QN_DMZ/24" || qn_fail "h2: $(qn_field 2 .dmz.address)"
qn_log "restarted: h1 kept $QN_DMZ from its state dir, h2 (corrupt file) followed"
qn_stop_host 2
qn_stop_host 1
kill "$UPNPD"
wait "$UPNPD" 2>/dev/null || true
http_down() { ! http_up; }
qn_wait_for 5000 http_down
# No way out for the tests' own IGD: its HTTP server looks its own name
# up (getfqdn) before it listens, which would wait for DNS timeouts.
ip -n "$QN_ROUTER" route del default

# ---- 3. the router already forwards a port: that is the address
QN_DMZ=$QN_NET.77
IGD_SEED="8443 TCP $QN_DMZ" ip netns exec "$QN_ROUTER" python3 \
    "$QN_LIB_DIR/igd_responder.py" upnp "$QN_ROUTER_IP" "$T/igd.log" \
    >"$T/igd.out" 2>&1 &
IGD=$!
QN_PIDS+=($IGD)
igd_up() {
	http_up && return 0
	kill -0 "$IGD" 2>/dev/null ||
	    qn_fail "igd_responder.py exited: $(cat "$T/igd.out")"
	return 1
}
qn_wait_for 10000 igd_up
qn_start_host 1 "${auto[@]}"
qn_start_host 2 "${auto[@]}"
qn_elected 30000
h=$QN_HOLDER
for n in 1 2; do
	field_is "$n" .dmz.address "$QN_DMZ/24" ||
	    qn_fail "h$n: $(qn_field "$n" .dmz.address), not the router's $QN_DMZ/24"
	field_is "$n" .dmz.source router ||
	    qn_fail "h$n: dmz.source $(qn_field "$n" .dmz.source), not router"
	file_says "$n" "$QN_DMZ" router || qn_fail "h$n: $(cat "$T/h$n/state/dmz")"
done
mapped() { grep -q "TCP 8080 -> $QN_DMZ:8080 lease 3600 from $(qn_ip "$h")" "$T/igd.log"; }
qn_wait_for 15000 mapped
qn_wait_for 15000 field_is "$h" .router.mapped 3
qn_log "the router forwarded tcp:8443 to $QN_DMZ: both took it, h$h mapped the rest"
# A reload reads "address = auto" again: no change, the address stays.
kill -HUP "${QN_PID[$h]}"
reloaded() { grep -q 'reload: 0 change(s) seen' "$T/h$h/log"; }
qn_wait_for 10000 reloaded
! grep -q 'reload: \[dmz\] address changed' "$T/h$h/log" ||
    qn_fail "h$h: a reload saw the address change"
field_is "$h" .dmz.address "$QN_DMZ/24" || qn_fail "h$h: $(qn_field "$h" .dmz.address) after a reload"
field_is "$h" .node.state holder || qn_fail "h$h: not holder after a reload"

# ---- 4. a chosen address is mapped, and the router then tells it
qn_stop_host 1
qn_stop_host 2
kill "$IGD"
wait "$IGD" 2>/dev/null || true
qn_wait_for 5000 http_down
rm -f "$T"/h[123]/state/dmz
ip netns exec "$QN_ROUTER" python3 "$QN_LIB_DIR/igd_responder.py" upnp \
    "$QN_ROUTER_IP" "$T/igd4.log" >"$T/igd.out" 2>&1 &
IGD=$!
QN_PIDS+=($IGD)
qn_wait_for 10000 igd_up
QN_DMZ=$QN_NET.253 # .254 is still the foreign host's
qn_start_host 1 "${auto[@]}"
qn_elected 60000
field_is 1 .dmz.source chosen || qn_fail "h1: $(qn_field 1 .dmz.source)"
mapped4() { grep -q "TCP 8080 -> $QN_DMZ:8080 lease 3600" "$T/igd4.log"; }
qn_wait_for 15000 mapped4
qn_stop_host 1
qn_start_host 2 "${auto[@]}"
qn_elected 30000
field_is 2 .dmz.address "$QN_DMZ/24" || qn_fail "h2: $(qn_field 2 .dmz.address)"
field_is 2 .dmz.source router || qn_fail "h2: $(qn_field 2 .dmz.source), not router"
qn_log "h1 alone chose $QN_DMZ and had it mapped; h2, started alone after," \
    "found it in the router's table"

# ---- 5. a hostile table (rows of our ports off the LAN, junk): rejected,
# logged; the address is chosen as if the table were empty.
qn_stop_host 2
kill "$IGD"
wait "$IGD" 2>/dev/null || true
qn_wait_for 5000 http_down
rm -f "$T"/h[123]/state/dmz
ip netns exec "$QN_ROUTER" python3 "$QN_LIB_DIR/igd_responder.py" hostile \
    "$QN_ROUTER_IP" "$T/igd5.log" >"$T/igd.out" 2>&1 &
IGD=$!
QN_PIDS+=($IGD)
qn_wait_for 10000 igd_up
mv "$T/h3/log" "$T/h3/log.2"
qn_start_host 3 "${auto[@]}"
qn_elected 60000
field_is 3 .dmz.address "$QN_DMZ/24" || qn_fail "h3: $(qn_field 3 .dmz.address)"
field_is 3 .dmz.source chosen || qn_fail "h3: $(qn_field 3 .dmz.source)"
grep -q "mapping table forward our ports to an address that is not on the LAN" \
    "$T/h3/log" || qn_fail "h3 did not log the hostile rows"
! grep -q "198.51.100.9\|999.1.1.1" "$T/h3/state/dmz" || qn_fail "a hostile row in the file"
qn_log "a hostile table: its rows rejected and logged, h3 chose $QN_DMZ"
echo "PASS: $QN_NAME: address = auto: members started together agree on" \
    "a free address (ARP-probed, kept across restarts, followed by" \
    "latecomers), and take the router's forward when there is one"
