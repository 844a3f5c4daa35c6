#!/usr/bin/env bash
# [node] rt-priority (default 1): qured and its address guard run
# SCHED_RR so a saturated host does not delay heartbeats past the lease;
# a hook runs at normal priority; rt-priority = 0 runs qured normally.
. "$(dirname "$0")/lib.sh"

command -v chrt >/dev/null || qn_fail "chrt not found: apt-get install util-linux"
policy() { chrt -p "$1" | sed -n 's/.*scheduling policy: //p'; }
prio() { chrt -p "$1" | sed -n 's/.*scheduling priority: //p'; }

hook=$T/hook
cat >"$hook" <<'SH'
#!/bin/sh
chrt -p $$ >"$(dirname "$0")/hook.out" 2>&1
SH
chmod 755 "$hook"

qn_setup 2
qn_start_host 1 '[hooks]' "on-holder = $hook" '[node]' 'priority = 200'
qn_start_host 2 '[node]' 'rt-priority = 0'
qn_elected 6000
[ "$QN_HOLDER" = 1 ] || qn_fail "h$QN_HOLDER holds, expected h1 (priority 200)"

pid=${QN_PID[1]}
[ "$(policy "$pid")" = SCHED_RR ] || qn_fail "h1's qured runs $(policy "$pid")"
[ "$(prio "$pid")" = 1 ] || qn_fail "h1's qured has RT priority $(prio "$pid")"
guard=$(pgrep -P "$pid" | head -1)
[ -n "$guard" ] || qn_fail "h1's address guard not found"
[ "$(policy "$guard")" = SCHED_RR ] ||
    qn_fail "h1's guard (pid $guard) runs $(policy "$guard")"
qn_wait_for 3000 test -s "$T/hook.out"
grep -q 'policy: SCHED_OTHER' "$T/hook.out" ||
    qn_fail "the on-holder hook ran as: $(cat "$T/hook.out")"
pid2=${QN_PID[2]}
[ "$(policy "$pid2")" = SCHED_OTHER ] ||
    qn_fail "h2 (rt-priority = 0) runs $(policy "$pid2")"
echo "PASS: $QN_NAME: qured and its guard SCHED_RR 1, the hook SCHED_OTHER," \
    "rt-priority = 0 SCHED_OTHER"
