#!/usr/bin/env bash
# Type=notify (issue 14 item 3; qured(8), SYSTEMD): with NOTIFY_SOCKET
# and WATCHDOG_USEC set, qured sends READY=1 with a STATUS= once the
# cluster runs ("holder of ADDR, epoch N, 1 member"), WATCHDOG=1 again
# and again (every half of WATCHDOG_USEC, from its loop), a new STATUS=
# when its state changes, and STOPPING=1 on SIGTERM. Unconfigured
# ([cluster] key-wait, no key) it is READY=1 too, the STATUS saying why.
# A small python3 listener plays systemd's part.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || qn_fail "python3 not found: apt-get install python3"

# listen SOCKET OUT: every datagram to SOCKET, one line each (newlines
# inside become "|"), appended to OUT; it ends by itself after 120 s.
listen() {
	python3 - "$1" "$2" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(1)
end = time.monotonic() + 120
with open(sys.argv[2], "a", buffering=1) as out:
    while time.monotonic() < end:
        try:
            msg = s.recv(4096)
        except socket.timeout:
            continue
        out.write(msg.decode(errors="replace").replace("\n", "|") + "\n")
PY
	QN_PIDS+=($!)
}
has() { grep -q -- "$2" "$1"; }
count() { grep -c -- "$2" "$1" || true; }
many_dogs() { [ "$(count "$1" '^WATCHDOG=1$')" -ge "$2" ]; }

qn_setup 2
listen "$T/n1.sock" "$T/n1.out"
listen "$T/n2.sock" "$T/n2.out"
qn_wait_for 5000 test -S "$T/n1.sock"
qn_wait_for 5000 test -S "$T/n2.sock"

# h1: alone, so it becomes holder; the watchdog asked for every 1 s.
export NOTIFY_SOCKET=$T/n1.sock WATCHDOG_USEC=1000000
qn_start_host 1 '[node]' 'priority = 50'
unset NOTIFY_SOCKET WATCHDOG_USEC
qn_wait_for 8000 has "$T/n1.out" '^READY=1|STATUS='
qn_elected 8000
qn_wait_for 5000 has "$T/n1.out" "STATUS=holder of $QN_DMZ/24, epoch [0-9]*, 1 member$"
qn_log "h1: READY=1, then STATUS=$(grep -o 'holder of.*' "$T/n1.out" | tail -1)"
t0=$(count "$T/n1.out" '^WATCHDOG=1$')
qn_wait_for 8000 many_dogs "$T/n1.out" $((t0 + 4))
qn_log "h1: WATCHDOG=1 keeps coming ($(count "$T/n1.out" '^WATCHDOG=1$') so far)"

# h2 with a higher priority and preempt: h1's STATUS follows its state.
export NOTIFY_SOCKET=$T/n2.sock
qn_start_host 2 '[node]' 'priority = 200' 'preempt = yes'
unset NOTIFY_SOCKET
qn_wait_for 10000 qn_dmz_on 2
qn_wait_for 5000 has "$T/n1.out" "STATUS=standby, holder h2, epoch [0-9]*, 2 members$"
qn_wait_for 5000 has "$T/n2.out" "STATUS=holder of $QN_DMZ/24, epoch [0-9]*, 2 members$"
! has "$T/n2.out" '^WATCHDOG=1$' ||
    qn_fail "h2 pets a watchdog nobody asked for"
qn_log "h1: STATUS=standby, holder h2; h2 (no WATCHDOG_USEC) pets no watchdog"

qn_stop_host 1
[ "$QN_RC" = 0 ] || qn_fail "h1 exited $QN_RC on SIGTERM"
has "$T/n1.out" '^STOPPING=1|STATUS=stopping$' || qn_fail "no STOPPING=1 from h1"
qn_log "h1: STOPPING=1 on SIGTERM"

# Unconfigured: READY all the same, the reason in STATUS.
qn_stop_host 2
: >"$T/n2.out"
export NOTIFY_SOCKET=$T/n2.sock
QN_KEY_FILE=$T/none.key qn_start_host 2 '[cluster]' 'key-wait = yes'
unset NOTIFY_SOCKET
qn_wait_for 8000 has "$T/n2.out" "^READY=1|STATUS=unconfigured: $T/none.key: missing"
qn_log "unconfigured h2: READY=1 with STATUS=unconfigured: ..."
echo "PASS: $QN_NAME: READY, STATUS on changes, WATCHDOG, STOPPING, unconfigured"
