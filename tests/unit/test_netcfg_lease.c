#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "election/election.h"
#include "netcfg/netcfg.h"

static void
a_zero_lease_still_gets_one_second(void **state)
{
	(void)state;
	assert_int_equal(netcfg_lease_secs(0), 1);
	assert_int_equal(netcfg_lease_secs(1), 1);
}

static void
leases_round_up_to_whole_seconds(void **state)
{
	(void)state;
	assert_int_equal(netcfg_lease_secs(600), 1);
	assert_int_equal(netcfg_lease_secs(999), 1);
	assert_int_equal(netcfg_lease_secs(1000), 1);
	assert_int_equal(netcfg_lease_secs(1001), 2);
	assert_int_equal(netcfg_lease_secs(2000), 2);
	assert_int_equal(netcfg_lease_secs(2001), 3);
}

static void
the_largest_lease_does_not_overflow(void **state)
{
	(void)state;
	assert_int_equal(netcfg_lease_secs(UINT32_MAX), 4294968u);
}

/* The guard drops a stalled holder's address at the peers' lease end
 * where nftables silences it at the fence; at the fence otherwise. */
static void
the_guard_waits_for_the_peers_lease_only_under_nftables(void **state)
{
	(void)state;
	assert_int_equal(netcfg_guard_deadline(true, 1050, 1600), 1600);
	assert_int_equal(netcfg_guard_deadline(false, 1050, 1600), 1050);
	/* No peers' lease given, or one before the fence: the fence. */
	assert_int_equal(netcfg_guard_deadline(true, 1050, 0), 1050);
	assert_int_equal(netcfg_guard_deadline(true, 1050, 1000), 1050);
}

/* qured renews while the guard has not spoken; the guard speaks only at
 * the end of a fence nobody renewed, and after it no renewal works. */
static void
the_guard_takes_the_fence_only_once_it_ran_out(void **state)
{
	_Atomic uint64_t word = 0;

	(void)state;
	/* Nothing renewed yet (not held): nothing to take. */
	assert_false(netcfg_fence_take(&word, 5000));
	assert_true(netcfg_fence_extend(&word, 1050));
	/* Before its end, and at a renewed end, the fence is qured's. */
	assert_false(netcfg_fence_take(&word, 1049));
	assert_true(netcfg_fence_extend(&word, 1066));
	assert_false(netcfg_fence_take(&word, 1050));
	/* Run out: the guard takes it, once. */
	assert_true(netcfg_fence_take(&word, 1066));
	assert_int_equal(atomic_load(&word), NETCFG_FENCE_RESIGNED);
	assert_false(netcfg_fence_take(&word, 9999));
	/* From then on qured renews nothing, however late it comes. */
	assert_false(netcfg_fence_extend(&word, 1100));
	assert_int_equal(atomic_load(&word), NETCFG_FENCE_RESIGNED);
	/* Until it let the address go (netcfg_addr_del clears the word). */
	atomic_store(&word, 0);
	assert_true(netcfg_fence_extend(&word, 2050));
}

/* The guard reads qured's state from /proc/PID/stat: the letter after
 * the last ')', whatever the command name holds. */
static void
the_guard_reads_the_state_after_the_last_parenthesis(void **state)
{
	const char *plain = "1234 (qured) T 1 1234 1234 0 -1 4194560";
	const char *odd = "77 (a) b) R (c) S 1 77 77";
	const char *cut = "77 (qured)";

	(void)state;
	assert_int_equal(netcfg_proc_state(plain, strlen(plain)), 'T');
	assert_int_equal(netcfg_proc_state(odd, strlen(odd)), 'S');
	assert_int_equal(netcfg_proc_state(cut, strlen(cut)), '\0');
	assert_int_equal(netcfg_proc_state("", 0), '\0');
	assert_int_equal(netcfg_proc_state("no parens", 9), '\0');
}

/* It speaks for a stopped or blocked qured that did not run during its
 * look, and that a peer asks, or that a signal stopped; not for a
 * runnable one (a vCPU taken for a moment), nor one that ran (a loop
 * busy with a flood of other events), nor a blocked one nobody asks (a
 * short block in a syscall: svcslow.sh). */
static void
the_guard_waits_for_a_runnable_or_running_qured(void **state)
{
	(void)state;
	assert_false(netcfg_guard_may_speak('R', 100, 100, true));
	assert_false(netcfg_guard_may_speak('S', 100, 250, true));
	assert_false(netcfg_guard_may_speak('D', 100, 101, true));
	assert_true(netcfg_guard_may_speak('T', 100, 100, true));
	assert_true(netcfg_guard_may_speak('t', 100, 100, true));
	assert_true(netcfg_guard_may_speak('D', 100, 100, true));
	assert_true(netcfg_guard_may_speak('S', 100, 100, true));
	assert_true(netcfg_guard_may_speak('\0', 0, 0, true));
	assert_true(netcfg_guard_may_speak('T', 100, 100, false));
	assert_false(netcfg_guard_may_speak('T', 100, 101, false));
	assert_false(netcfg_guard_may_speak('t', 100, 100, false));
	assert_false(netcfg_guard_may_speak('D', 100, 100, false));
	assert_false(netcfg_guard_may_speak('S', 100, 100, false));
	assert_false(netcfg_guard_may_speak('\0', 0, 0, false));
}

/* A PROBE waiting in qured's socket is a peer asking; nothing else
 * is, and the guard's copy of the type is the protocol's. */
static void
the_guard_tells_a_probe_by_its_header(void **state)
{
	uint8_t probe[8] = {'Q', 'U', 'R', 'E', 2, ELECT_MSG_PROBE, 0, 0};
	uint8_t hello[8] = {'Q', 'U', 'R', 'E', 2, ELECT_MSG_HELLO, 0, 0};
	uint8_t other[8] = {'Q', 'U', 'R', 'X', 2, ELECT_MSG_PROBE, 0, 0};

	(void)state;
	assert_int_equal(NETCFG_WIRE_PROBE, ELECT_MSG_PROBE);
	assert_true(netcfg_guard_is_probe(probe, sizeof(probe)));
	assert_true(netcfg_guard_is_probe(probe, 6));
	assert_false(netcfg_guard_is_probe(probe, 5));
	assert_false(netcfg_guard_is_probe(hello, sizeof(hello)));
	assert_false(netcfg_guard_is_probe(other, sizeof(other)));
	assert_false(netcfg_guard_is_probe(probe, 0));
}

/* The CPU time is the first field of /proc/PID/schedstat. */
static void
the_guard_reads_the_cpu_time(void **state)
{
	const char *line = "467878566 163714964 1444\n";

	(void)state;
	assert_int_equal(netcfg_proc_runtime(line, strlen(line)), 467878566);
	assert_int_equal(netcfg_proc_runtime("", 0), 0);
	assert_int_equal(netcfg_proc_runtime("x 1", 3), 0);
	/* Too long for 64 bits: unknown, not a wrapped number. */
	assert_int_equal(netcfg_proc_runtime("99999999999999999999999", 23), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_zero_lease_still_gets_one_second),
	    cmocka_unit_test(leases_round_up_to_whole_seconds),
	    cmocka_unit_test(the_largest_lease_does_not_overflow),
	    cmocka_unit_test(
		the_guard_waits_for_the_peers_lease_only_under_nftables),
	    cmocka_unit_test(the_guard_takes_the_fence_only_once_it_ran_out),
	    cmocka_unit_test(
		the_guard_reads_the_state_after_the_last_parenthesis),
	    cmocka_unit_test(the_guard_waits_for_a_runnable_or_running_qured),
	    cmocka_unit_test(the_guard_tells_a_probe_by_its_header),
	    cmocka_unit_test(the_guard_reads_the_cpu_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
