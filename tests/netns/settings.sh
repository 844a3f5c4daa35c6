#!/usr/bin/env bash
# The site settings (issue 11 item 1): a value set on one member is seen
# on all within 1 s; a member started later learns it; it survives the
# loss of any member and a restart of all (each member's state dir keeps
# it); two members setting one key at once end with one value everywhere;
# a bad key or value is refused with a reason, and get of a missing key
# exits 2; one of qured's own keys (dmz.ports) applies live on the
# members whose file does not set it, and h3's file, which does, wins
# there.
. "$(dirname "$0")/lib.sh"

# h3's file sets [dmz] ports: the site's value does not apply there.
s_start() {
	if [ "$1" = 3 ]; then
		qn_start_host 3 "ports = tcp:9090"
	else
		qn_start_host "$1"
	fi
}

qn_setup 3
for n in 1 2; do
	s_start "$n"
done
qn_elected 6000

# s_get N KEY: host N's value of KEY (fails when it has none).
s_get() {
	timeout 2 "$QURECTL" -s "$T/h$1/sock" config get "$2" 2>/dev/null
}
s_set() {
	timeout 2 "$QURECTL" -s "$T/h$1/sock" config set "$2" "$3"
}
# s_everywhere KEY VALUE HOSTS...: every host given has KEY = VALUE.
s_everywhere() {
	local key=$1 value=$2 n
	shift 2
	for n in "$@"; do
		[ "$(s_get "$n" "$key")" = "$value" ] || return 1
	done
}

# Set on the standby: seen on both.
sb=1
[ "$QN_HOLDER" != 1 ] || sb=2
t0=$(qn_now_ms)
s_set "$sb" app.max-memory 64M
qn_wait_for 10000 s_everywhere app.max-memory 64M 1 2
qn_timing "a setting on every member" $(($(qn_now_ms) - t0)) 1000

# A member started later learns it (it had nothing: a pull).
s_start 3
qn_wait_for 10000 s_everywhere app.max-memory 64M 3
qn_log "h3, started later, has it"

# Bad input: refused with a reason, nothing stored.
for bad in "Bad.Key" "nodot" "a..b"; do
	if out=$(s_set 1 "$bad" v 2>&1); then
		qn_fail "config set accepted the key \"$bad\""
	fi
	grep -q "a key is section.name" <<<"$out" ||
	    qn_fail "no reason for the key \"$bad\": $out"
done
if out=$(s_set 1 app.big "$(head -c 1025 /dev/zero | tr '\0' v)" 2>&1); then
	qn_fail "config set accepted a value of 1025 bytes"
fi
grep -qE "(up to|at most) 1024 bytes" <<<"$out" || qn_fail "no reason: $out"
rc=0
"$QURECTL" -s "$T/h1/sock" config get app.none >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || qn_fail "config get of a missing key exited $rc, not 2"

# Two members set one key at once: one value everywhere.
s_set 1 app.mode one &
p1=$!
s_set 3 app.mode three &
p3=$!
wait "$p1" "$p3"
s_one_value() {
	local v1
	v1=$(s_get 1 app.mode) || return 1
	s_everywhere app.mode "$v1" 2 3
}
qn_wait_for 10000 s_one_value
qn_log "app.mode is \"$(s_get 1 app.mode)\" on all three"

# The loss of any member: kill -9 each in turn, set nothing, the others
# keep the value; then all stop and start again from their state dirs.
for n in 1 2 3; do
	qn_stop_host "$n" KILL
	others=()
	for m in 1 2 3; do
		[ "$m" = "$n" ] || others+=("$m")
	done
	s_everywhere app.max-memory 64M "${others[@]}" ||
	    qn_fail "losing h$n lost the setting"
	s_start "$n"
	qn_wait_for 10000 s_everywhere app.max-memory 64M "$n"
done
for n in 1 2 3; do
	qn_stop_host "$n" TERM
done
for n in 1 2 3; do
	s_start "$n"
done
qn_wait_for 10000 s_everywhere app.max-memory 64M 1 2 3
qn_log "a restart of all: every member has it from its own state dir"

# Unset spreads like a set.
timeout 2 "$QURECTL" -s "$T/h2/sock" config unset app.max-memory
s_gone() {
	local n
	for n in 1 2 3; do
		! s_get "$n" app.max-memory >/dev/null || return 1
	done
}
qn_wait_for 10000 s_gone
# One of qured's keys: live where the file leaves it unset, the file's
# value where it sets it.
s_ports() { # N: host N's watched ports, "proto:port,..."
	qn_field "$1" '[.watch.ports[] | "\(.proto):\(.port)"] | join(",")'
}
timeout 2 "$QURECTL" -s "$T/h1/sock" config set dmz.ports tcp:8080
s_ports_applied() {
	[ "$(s_ports 1)" = tcp:8080 ] && [ "$(s_ports 2)" = tcp:8080 ]
}
qn_wait_for 10000 s_ports_applied
[ "$(s_ports 3)" = tcp:9090 ] || qn_fail "h3 watches $(s_ports 3), not its file's tcp:9090"
timeout 2 "$QURECTL" -s "$T/h3/sock" config list | grep -q \
    "^dmz.ports = tcp:8080  (here the local file's value applies)" ||
    qn_fail "h3's config list does not say its file wins"
if timeout 2 "$QURECTL" -s "$T/h1/sock" config set dmz.ports eighty \
    >/dev/null 2>&1; then
	qn_fail "config set took dmz.ports = eighty"
fi
if timeout 2 "$QURECTL" -s "$T/h1/sock" config set node.name x \
    >/dev/null 2>&1; then
	qn_fail "config set took node.name"
fi
qn_log "dmz.ports: tcp:8080 on h1 and h2, h3's file's tcp:9090 on h3"

# Members that agree show one digest in their status.
s_one_digest() {
	local d1
	d1=$(qn_field 1 .site.digest) || return 1
	[ -n "$d1" ] && [ "$(qn_field 2 .site.digest)" = "$d1" ] &&
	    [ "$(qn_field 3 .site.digest)" = "$d1" ]
}
qn_wait_for 10000 s_one_digest
[ "$(qn_field 1 .site.rx_bad)" = 0 ] || qn_fail "h1 refused entries"
echo "PASS: $QN_NAME: set, learnt, kept, one value, unset"
