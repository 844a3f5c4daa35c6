#!/usr/bin/env bash
# tests/sim/run-sim.sh — `make check`: at least 10,000 random scenarios of
# 3..20 election cores (2,000 under the sanitizers). A failure prints the
# scenario's seed and the command that replays it with a trace.
#
#   QURE_SIM_SCENARIOS=N   run N scenarios instead
#   QURE_SIM_SEED=S        start at seed S (default 1)
#   QURE_SIM_ALIVE_SCENARIOS=N  then N with --alive (default a tenth)
#   QURE_SIM_ROTATE_SCENARIOS=N then N with --rotate (default a tenth)
set -eu

SIM=${top_builddir:-.}/tests/sim/qure-sim
if [ ! -x "$SIM" ]; then
	echo "run-sim: $SIM not built (make tests/sim/qure-sim)" >&2
	exit 99
fi
default=10000
if [ "${QURE_SIM_SANITIZED:-0}" = 1 ]; then
	default=2000
fi
n=${QURE_SIM_SCENARIOS:-$default}
seed=${QURE_SIM_SEED:-1}
echo "run-sim: $SIM --scenarios $n --seed $seed"
"$SIM" --scenarios "$n" --seed "$seed"
# The same with fast member liveness (ALIVE, doc/design.md §5.8), on
# other scenarios: fewer, as each is about 4 times slower.
n_alive=${QURE_SIM_ALIVE_SCENARIOS:-$((n / 10))}
echo "run-sim: $SIM --alive --scenarios $n_alive --seed $((seed + 10000))"
"$SIM" --alive --scenarios "$n_alive" --seed "$((seed + 10000))"
# A key rotation across the chaos (issue 14): every node gets a next key
# once all booted, makes it its key after the stable phase; no datagram
# may be rejected but replays. A tenth too.
n_rotate=${QURE_SIM_ROTATE_SCENARIOS:-$((n / 10))}
echo "run-sim: $SIM --rotate --scenarios $n_rotate --seed $((seed + 20000))"
exec "$SIM" --rotate --scenarios "$n_rotate" --seed "$((seed + 20000))"
