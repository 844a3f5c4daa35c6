#!/usr/bin/env bash
# A cloned VM image: h2 starts with a copy of h1's state dir, so the same
# node id. The two are told apart on the wire; the younger (h2) takes a
# new id, and the cluster goes on with two members and one holder.
. "$(dirname "$0")/lib.sh"

qn_setup 2
qn_start_host 1
qn_elected 6000
mkdir -p -m 700 "$T/h2/state"
cp -p "$T/h1/state/state" "$T/h2/state/state"
id1=$(qn_field 1 .node.id)
qn_log "h1 ($id1) holds; starting h2 with a copy of h1's state"
qn_start_host 2

new_id() {
	local id
	id=$(qn_field 2 .node.id 2>/dev/null) && [ -n "$id" ] && [ "$id" != "$id1" ]
}
qn_wait_for 5000 new_id
[ "$(qn_field 1 .node.id)" = "$id1" ] || qn_fail "h1, the older, changed id"
grep -q 'an older node has our id' "$T/h2/log" ||
    qn_fail "h2 did not say why it changed its id"
qn_elected 3000
[ "$QN_HOLDER" = 1 ] || qn_fail "h$QN_HOLDER holds, expected h1"
members() { [ "$(qn_field "$1" '.members | length')" = 1 ]; }
qn_wait_for 12000 members 1
qn_wait_for 12000 members 2
grep -q "^id=$(qn_field 2 .node.id)$" "$T/h2/state/state" ||
    qn_fail "h2's new id is not in its state file"
echo "PASS: $QN_NAME: the clone h2 took id $(qn_field 2 .node.id)"
