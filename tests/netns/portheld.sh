#!/usr/bin/env bash
# Issue 7 fault 6: while qured restarts, an unprivileged local user must
# not be able to take the cluster port. qured.socket makes systemd bind it
# at boot and hand the same socket to every qured it starts
# (sd_listen_fds(3)); here a small holder plays systemd's part in h1's
# namespace, with both of qured.socket's sockets (IPv4, then IPv6 only).
# With h1's qured stopped, user nobody cannot bind UDP 5182 there, on
# IPv4 or IPv6; the restarted qured takes the held sockets and is back in
# the cluster. Without a holder, the same user takes the port and the restart
# fails loudly, in one line naming the port and the thief.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || qn_skip "no $PY for the socket holder"
command -v setpriv >/dev/null || qn_skip "no setpriv"

qn_setup 2
qn_start_host 2
# h1's config as qn_start_host writes it, started by the holder instead.
d=$T/h1
mkdir -p -m 700 "$d/state"
{
	printf '[node]\nname = h1\nstate-dir = %s\n' "$d/state"
	printf 'control-socket = %s\n' "$d/sock"
	printf '[cluster]\ninterface = eth0\nkey-file = %s\n' "$T/key"
	printf '[dmz]\naddress = %s/24\n' "$QN_DMZ"
} >"$d/qured.conf"
cat >"$T/holder.py" <<'EOS'
# Binds UDP 0.0.0.0:5182 and [::]:5182 (IPv6 only) once, then runs qured
# on them as systemd would (fds 3 and 4, LISTEN_PID, LISTEN_FDS), again
# each time the file "again" exists.
import os, socket, subprocess, sys, time
qured, conf, log, pidfile, again = sys.argv[1:6]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 5182))
os.dup2(s.fileno(), 3)
s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
s6.bind(("::", 5182))
os.dup2(s6.fileno(), 4)
while True:
    with open(log, "a") as out:
        p = subprocess.Popen(["/bin/sh", "-c",
            'LISTEN_PID=$$ LISTEN_FDS=2 exec "$0" "$@"', qured, "-f", "-v",
            "-c", conf], pass_fds=(3, 4), stdout=out, stderr=out)
    with open(pidfile + ".tmp", "w") as f:
        f.write("%d\n" % p.pid)
    os.rename(pidfile + ".tmp", pidfile)
    p.wait()
    os.unlink(pidfile)
    while not os.path.exists(again):
        time.sleep(0.02)
    os.unlink(again)
EOS
ip netns exec "$(qn_ns 1)" "$PY" "$T/holder.py" "$QURED" "$d/qured.conf" \
    "$d/log" "$d/qured.pid" "$d/again" &
QN_PIDS+=($!)
qured_pid() { [ -s "$d/qured.pid" ] && QN_PID[1]=$(cat "$d/qured.pid"); }
qn_wait_for 3000 qured_pid
QN_PIDS+=("${QN_PID[1]}")
qn_elected 6000
qn_alive 1 || qn_fail "h1's qured did not start on the held socket: $(tail -1 "$d/log")"
qn_log "h1 runs on the held socket; h$QN_HOLDER holds; stopping h1's qured"

# steal [ADDR] [4|6]: as user nobody in h1's namespace, bind UDP
# ADDR:5182 and hold it for a second; succeeds (124 from timeout) if the
# bind worked.
steal() {
	local rc=0
	ip netns exec "$(qn_ns 1)" timeout 1 setpriv --reuid=65534 \
	    --regid=65534 --clear-groups socat -u \
	    "UDP${2:-4}-RECV:5182,bind=${1:-0.0.0.0}" /dev/null 2>/dev/null ||
	    rc=$?
	[ "$rc" = 124 ]
}
kill -TERM "${QN_PID[1]}"
gone() { [ ! -e "$d/qured.pid" ]; }
qn_wait_for 3000 gone
unset "QN_PID[1]"
steal && qn_fail "user nobody took UDP 5182 while h1's qured was down"
steal "$(qn_ip 1)" &&
    qn_fail "user nobody took $(qn_ip 1):5182 while h1's qured was down"
steal "[::]" 6 &&
    qn_fail "user nobody took [::]:5182 while h1's qured was down"
qn_log "qured down: user nobody could not bind 5182, IPv4 or IPv6" \
    "(held by the holder)"

touch "$d/again"
qn_wait_for 3000 qured_pid
QN_PIDS+=("${QN_PID[1]}")
back() { [ "$(qn_field 1 '.members | length')" -ge 1 ] 2>/dev/null; }
qn_wait_for 5000 back
qn_elected 3000
grep -q 'bind 0.0.0.0:5182' "$d/log" && qn_fail "h1's qured bound the port"
grep -Eq 'bind \[::\]:5182|runs on IPv4 only' "$d/log" &&
    qn_fail "h1's qured did not take the held IPv6 socket: $(grep -E \
        'bind \[::\]|IPv4 only' "$d/log" | tail -1)"
qn_log "restarted h1 is back in the cluster on the held socket"

# The control: h2 without a holder. Stopped, its port can be taken, and
# the restart says so in one line naming the port and the thief.
qn_stop_host 2
ip netns exec "$(qn_ns 2)" setpriv --reuid=65534 --regid=65534 \
    --clear-groups socat -u UDP4-RECV:5182 /dev/null 2>/dev/null &
thief=$!
QN_PIDS+=($thief)
sleep 0.2
rc=0
ip netns exec "$(qn_ns 2)" "$QURED" -f -c "$T/h2/qured.conf" \
    >"$T/h2/second.out" 2>&1 || rc=$?
kill "$thief"
wait "$thief" 2>/dev/null || true # killed: 143
cat "$T/h2/second.out"
[ "$rc" = 1 ] || qn_fail "qured started with its port taken (exit $rc)"
# qured keeps only CAP_NET_ADMIN, CAP_NET_RAW and CAP_NET_BIND_SERVICE
# (qured(8)): another user's process is hidden from it, so it names the
# uid and the command that names the process (which must name it).
grep -q "bind 0.0.0.0:5182: Address already in use: held by uid 65534 (process not visible to qured; as root, ss -ulpn 'sport = :5182' names it)" \
    "$T/h2/second.out" || qn_fail "the error does not name the thief's uid"
ip netns exec "$(qn_ns 2)" setpriv --reuid=65534 --regid=65534 \
    --clear-groups socat -u UDP4-RECV:5182 /dev/null 2>/dev/null &
thief=$!
QN_PIDS+=($thief)
sleep 0.2
ip netns exec "$(qn_ns 2)" ss -ulpn 'sport = :5182' | grep -q "pid=$thief," ||
    qn_fail "ss does not name the thief: $(ip netns exec "$(qn_ns 2)" ss -ulpn 'sport = :5182')"
kill "$thief"
echo "PASS: $QN_NAME: the held port could not be taken during a restart;" \
    "an unheld one was, and qured said by whom"
