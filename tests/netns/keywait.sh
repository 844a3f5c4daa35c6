#!/usr/bin/env bash
# [cluster] key-wait (issue 12 item 2; qured.conf(5)): a qured without a
# valid cluster key stays "unconfigured" (never a default key): it says
# why in qurectl status (text and JSON) and in its log, sends nothing the
# cluster hears and holds no address; a key of the wrong length changes
# the reason it gives; once the file holds a valid key (0600) it joins
# within a few seconds, without a restart. Without key-wait, a missing key
# is still an exit 1 with the reason.
. "$(dirname "$0")/lib.sh"

lists() { qn_field "$1" '.members[].name' 2>/dev/null | grep -qx "$2"; }
state_is() { [ "$(qn_field "$1" .node.state)" = "$2" ]; }
reason_has() { qn_field "$1" .unconfigured | grep -q -- "$2"; }

qn_setup 2
K2=$T/h2.key
qn_start_host 1
qn_elected 6000
QN_KEY_FILE=$K2 qn_start_host 2 "[cluster]" "key-wait = yes"
qn_wait_for 5000 state_is 2 unconfigured
reason_has 2 "$K2: missing" || qn_fail "h2's reason: $(qn_field 2 .unconfigured)"
"$QURECTL" -s "$T/h2/sock" status | grep -q "^unconfigured: $K2: missing" ||
    qn_fail "the text status does not say unconfigured: $("$QURECTL" -s "$T/h2/sock" status)"
grep -q "unconfigured: $K2: missing, .*key-wait" "$T/h2/log" ||
    qn_fail "h2's log does not say it is unconfigured"
rc=0
"$QURECTL" -s "$T/h2/sock" handover >/dev/null 2>"$T/err" || rc=$?
[ "$rc" = 1 ] && grep -q "unconfigured" "$T/err" ||
    qn_fail "handover while unconfigured: exit $rc: $(cat "$T/err")"
qn_log "h2 without a key: unconfigured, says why"

# Out of the cluster: h1 never hears it (a few HELLO intervals).
sleep 3
! lists 1 h2 || qn_fail "h1 lists the unconfigured h2"
! qn_has_dmz 2 || qn_fail "the unconfigured h2 holds the DMZ address"

# A key of the wrong length: refused, the reason changes (one log line).
head -c 16 /dev/urandom | base64 >"$K2"
chmod 600 "$K2"
qn_wait_for 5000 reason_has 2 "$K2: .*32"
state_is 2 unconfigured || qn_fail "h2 left unconfigured with a short key"
qn_log "a 16-byte key: still unconfigured ($(qn_field 2 .unconfigured))"

# The cluster's key: h2 joins without a restart.
t0=$(qn_now_ms)
cp "$T/key" "$K2.new"
chmod 600 "$K2.new"
mv "$K2.new" "$K2"
qn_wait_for 8000 lists 1 h2
qn_wait_for 5000 state_is 2 standby
[ "$(qn_field 2 .unconfigured)" = null ] ||
    qn_fail "h2 still says unconfigured: $(qn_field 2 .unconfigured)"
grep -q "configured: $K2 holds a valid cluster key" "$T/h2/log" ||
    qn_fail "h2's log does not say it found the key"
qn_log "the valid key: h2 joined $(($(qn_now_ms) - t0)) ms after it was written"
kill -0 "${QN_PID[2]}" || qn_fail "h2 exited"

# Without key-wait: a missing key is an exit 1 with the reason.
qn_stop_host 2
rm -f "$K2"
QN_KEY_FILE=$K2 qn_start_host 2
wait "${QN_PID[2]}" && qn_fail "qured started without a key and without key-wait" || true
unset "QN_PID[2]"
grep -q "$K2: missing, run \`qurectl keygen -o $K2\`" "$T/h2/log" ||
    qn_fail "no reason logged for the missing key: $(tail -3 "$T/h2/log")"
qn_summary
