#!/usr/bin/env bash
# tests/sim/regress.sh — fixed scenario seeds, each replayed alone: seeds
# that once broke an invariant stay here for good (doc/style.md §8: a
# bug fix starts with the seed that shows it), plus the demo.
#
# A seed is only meaningful with the scenario generator it was found with
# (tests/sim/sim_scen.c): changing what the generator draws renumbers
# every scenario; then re-derive the seeds with --keep-going and update
# this list and tests/sim/README.md together.
set -eu

SIM=${top_builddir:-.}/tests/sim/qure-sim
if [ ! -x "$SIM" ]; then
	echo "regress: $SIM not built (make tests/sim/qure-sim)" >&2
	exit 99
fi

# seed  what it showed (README.md "Findings"): 1984 a preempting
# holder's service dies in the stable phase (finding 3, fixed); 6948,
# 7839 two claims after a service failover
# (finding 4, accepted by (d) as contended); 4542 a preempting standby
# whose disk just came back could not claim yet nudged every holder into
# handing over to it: no holder after the heal (fixed with the farewell);
# 632 a mute candidate (disk refusing writes) claimed beside a holder it
# could not verify (finding 7)
SEEDS="
1
2
3
27
1984
6948
7839
4542
632
"

fail=0
for s in $SEEDS; do
	if "$SIM" --replay "$s"; then
		:
	else
		fail=1
	fi
done
if ! "$SIM" --demo >/dev/null; then
	echo "regress: the demo failed: $SIM --demo" >&2
	fail=1
fi
exit $fail
