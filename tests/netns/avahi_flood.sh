#!/usr/bin/env bash
# A hostile publisher of thousands of `_qure._udp` instances (issue 9,
# "Bad input"): 1,000 instances with our fingerprint and made-up ids, all
# at one address, published from h3's avahi-daemon. qured on h1 and h2
# tracks at most 128 of them and counts the rest (discovery.over_limit),
# its memory stays put, the hints they draw stay within the rate limit (one
# unicast HELLO per address per 10 s: h1 sends h3 a handful at most), and
# the cluster keeps its holder.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/avahi_lib.sh"

PY=/usr/bin/python3
if ! "$PY" -c 'import dbus' 2>/dev/null; then
	echo "ERROR: $QN_NAME: python3-dbus not found: apt-get install" \
	    "python3-dbus (scripts/deps.sh)" >&2
	exit 99
fi
N=1000

qn_setup 3
av_up 3
qn_start_host 1
qn_start_host 2
qn_elected 6000
holder=$QN_HOLDER
qn_wait_for 15000 av_state 1 running 1
qn_wait_for 15000 av_state 2 running 1

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
helper_pid() { pgrep -P "${QN_PID[$1]}" -x qured-avahi | head -n 1; }
q0=$(rss_kib "${QN_PID[1]}")
hp=$(helper_pid 1)
[ -n "$hp" ] || qn_fail "h1 has no qured-avahi helper"
h0=$(rss_kib "$hp")
tx0=$(qn_field 1 .counters.tx)

# The publisher: entry groups of 32 services (avahi-daemon's default
# limit per group), over D-Bus, then it waits to be killed.
cat >"$T/flood.py" <<'PYEOF'
import sys, time, dbus
n, fp = int(sys.argv[1]), sys.argv[2]
bus = dbus.SystemBus()
server = dbus.Interface(bus.get_object("org.freedesktop.Avahi", "/"),
                        "org.freedesktop.Avahi.Server")
groups = []
for g in range(0, n, 32):
    grp = dbus.Interface(bus.get_object("org.freedesktop.Avahi",
                                        server.EntryGroupNew()),
                         "org.freedesktop.Avahi.EntryGroup")
    for i in range(g, min(n, g + 32)):
        txt = dbus.Array([dbus.ByteArray(s.encode()) for s in (
            "id=%032x" % (i + 1), "cluster=" + fp, "prio=1",
            "state=standby", "ver=2")], signature="ay")
        grp.AddService(dbus.Int32(-1), dbus.Int32(-1), dbus.UInt32(0),
                       "flood-%d" % i, "_qure._udp", "", "",
                       dbus.UInt16(5182), txt)
    grp.Commit()
    groups.append(grp)
print("published", n, flush=True)
time.sleep(3600)
PYEOF
ip netns exec "$(qn_ns 3)" "$PY" "$T/flood.py" "$N" "$FP" \
    >>"$T/flood.log" 2>&1 &
QN_PIDS+=($!)
qn_wait_for 20000 grep -q published "$T/flood.log"
over() {
	[ "$(qn_field "$1" .discovery.over_limit)" -ge $((N - 128 - 2)) ]
}
qn_wait_for 60000 over 1
qn_wait_for 30000 over 2
sleep 2
q1=$(rss_kib "${QN_PID[1]}")
h1=$(rss_kib "$hp")
tx1=$(qn_field 1 .counters.tx)
qn_log "h1: $(qn_status 1 | jq -c .discovery); qured RSS $q0 -> $q1 KiB," \
    "helper $h0 -> $h1 KiB, sent $((tx1 - tx0)) datagrams meanwhile"
# A sanitizer build keeps freed memory in quarantine (hundreds of MiB of
# it, from the status polls above): its RSS says nothing of a bound.
if ldd "$QURED" 2>/dev/null | grep -q libasan; then
	qn_log "sanitizer build: RSS not asserted"
else
	[ "$q1" -le $((q0 + 1024)) ] ||
	    qn_fail "qured grew by $((q1 - q0)) KiB"
	[ "$h1" -le $((h0 + 8192)) ] ||
	    qn_fail "the helper grew by $((h1 - h0)) KiB"
fi
[ "$(helper_pid 1)" = "$hp" ] || qn_fail "the helper was restarted"
h=$(qn_holder) || qn_fail "h1 and h2 do not agree on a holder"
[ "$h" = "h$holder" ] || qn_fail "the holder moved to $h"
# Heartbeats or HELLOs of h1 are the rest; hints to h3 add at most one
# per 10 s: far fewer than the instances.
[ $((tx1 - tx0)) -lt 600 ] ||
    qn_fail "h1 sent $((tx1 - tx0)) datagrams during the flood"
echo "PASS: $QN_NAME: $N hostile instances: at most 128 tracked, the rest" \
    "counted, memory flat, the holder kept"
