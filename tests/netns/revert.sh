#!/usr/bin/env bash
# Issue 7, fault 1: a member restarted on an older copy of its state dir
# (a VM snapshot reverted, a backup restored, a state save that failed)
# sends sequence numbers it already used. Its peers must hear it again
# within a second (protocol version 2: they verify its new boot by a
# challenge), and when the holder is then killed, exactly one host holds.
# (Version 1 dropped its datagrams as replays until its sequence passed
# the old high-water mark: its peers showed it stopped, and two hosts
# held the address after the holder died.)
. "$(dirname "$0")/lib.sh"

qn_setup 3
for n in 1 2 3; do
	qn_start_host "$n"
done
qn_elected 6000
h=$QN_HOLDER
s=$(((h % 3) + 1)) # a standby
o=$(((s % 3) + 1)) # the other host
[ "$o" != "$h" ] || o=$(((o % 3) + 1))
qn_log "h$h holds; h$s's state dir is copied (a snapshot)"
cp -a "$T/h$s/state" "$T/h$s/state.snap"

# Restarted once: its sequences go on from the next reserved block, above
# what the snapshot has. Then it goes back to the snapshot.
qn_stop_host "$s" TERM
qn_start_host "$s"
state_of() { qn_field "$1" ".members[] | select(.name == \"h$2\") | .state"; }
# Heard since it started: shown starting or standby, not stopped.
heard() {
	case $(state_of "$1" "$s" 2>/dev/null) in
	starting | standby) return 0 ;;
	*) return 1 ;;
	esac
}
qn_wait_for 3000 heard "$h"
qn_stop_host "$s" TERM
qn_wait_for 3000 eval '[ "$(state_of '"$h"' '"$s"')" = stopped ]'
rm -rf "$T/h$s/state"
mv "$T/h$s/state.snap" "$T/h$s/state"
qn_log "h$s restarts on the snapshot: sequences below those it used"
t0=$(qn_now_ms)
qn_start_host "$s"
qn_wait_for 3000 heard "$h"
qn_wait_for 3000 heard "$o"
t_heard=$(($(qn_now_ms) - t0))
qn_log "h$h and h$o show h$s $(state_of "$h" "$s") after $t_heard ms"
qn_timing "a member restarted on an older state dir is heard" "$t_heard" 1000

# The holder dies: one host, and only one, takes the address.
qn_stop_host "$h" KILL
qn_log "h$h killed (kill -9)"
qn_wait_for 5000 qn_dmz_moved_from "$h"
qn_elected 3000
new=$QN_HOLDER
end=$(($(qn_now_ms) + 2000))
while [ "$(qn_now_ms)" -lt "$end" ]; do
	qn_dmz_on "$new" ||
	    qn_fail "address not on h$new alone: $(qn_dmz_hosts | xargs)"
	sleep 0.05
done
echo "PASS: $QN_NAME: h$s heard again after $t_heard ms; h$new alone" \
    "holds after h$h died"
