/*
 * tests/sim/sim_demo.c — a fixed, readable scenario of three nodes: the
 * election, a holder killed with kill -9 and the failover, the old node
 * coming back and following, then an orderly stop and its handover. What
 * the README's demo command shows until the real daemon exists.
 */
#include "config.h"

#include "tests/sim/sim.h"

#include <inttypes.h>
#include <stdio.h>

#define DEMO_DEADLINE_MS 5000

/* Runs events one by one until a live node other than `not` holds. */
static int
until_holder(struct sim *s, int not, int *holder)
{
	uint64_t deadline = s->now + DEMO_DEADLINE_MS;
	int rc, h;

	for (;;) {
		rc = sim_run_one(s, deadline);
		if (rc < 0)
			return -1;
		h = sim_holder(s);
		if (h >= 0 && h != not ) {
			*holder = h;
			return 0;
		}
		if (rc == 1)
			return sim_fail(s, -1, "demo: no holder within %d ms",
			    DEMO_DEADLINE_MS);
	}
}

static void
demo_conf(struct sim *s)
{
	static const char *const names[] = {"h1", "h2", "h3"};
	static const uint8_t prio[] = {200, 150, 100};
	int i;

	for (i = 0; i < 3; i++) {
		sim_node_conf(s, i, names[i]);
		s->node[i].conf.priority = prio[i];
	}
	s->net.delay_min_ms = 1;
	s->net.delay_max_ms = 2;
	s->net.fifo = true;
}

static void
section(const struct sim *s, const char *what)
{
	printf("\n== %s (t=%" PRIu64 " ms)\n", what, s->now);
}

static int
demo_failover(struct sim *s, int *holder)
{
	const struct elect_conf *c = &s->node[0].conf;
	int old = *holder;
	uint64_t t0, t1;

	section(s, "kill -9 of the holder");
	t0 = s->now;
	if (sim_crash(s, old, true) != 0 || until_holder(s, old, holder) != 0)
		return -1;
	t1 = s->now;
	if (sim_run_until(s, s->now + 100) != 0)
		return -1;
	printf("-> failover: %s holds the address %" PRIu64 " ms after %s "
	       "was killed\n   (its address guard dropped the address, then "
	       "sent its farewell, a RESIGN:\n   the first in line claims at "
	       "once; without it, %" PRIu32 " ms of silence and a lease of "
	       "%" PRIu32 " ms)\n",
	    s->node[*holder].name, t1 - t0, s->node[old].name,
	    c->dead_after * c->heartbeat_ms, c->lease_ms);
	section(s, "the killed node comes back");
	if (sim_run_until(s, s->now + 1000) != 0 || sim_start(s, old) != 0 ||
	    sim_run_until(s, s->now + 1500) != 0)
		return -1;
	if (sim_holder(s) != *holder)
		return sim_fail(s, old, "demo: took the address back");
	printf("-> %s is back as %s and leaves the address to %s "
	       "(preempt off)\n",
	    s->node[old].name, elect_state_name(s->node[old].state),
	    s->node[*holder].name);
	return 0;
}

static int
demo_shutdown(struct sim *s, int *holder)
{
	int old = *holder;
	uint64_t t0;

	section(s, "orderly stop (SIGTERM) of the holder");
	t0 = s->now;
	if (sim_shutdown(s, old) != 0 || until_holder(s, old, holder) != 0)
		return -1;
	printf("-> handover: %s holds the address %" PRIu64 " ms after %s "
	       "was stopped (RESIGN: no missed heartbeats to wait for)\n",
	    s->node[*holder].name, s->now - t0, s->node[old].name);
	return sim_run_until(s, s->now + 1000);
}

static int
demo(struct sim *s)
{
	int i, h;

	printf("QuRe election demo: three simulated nodes on a LAN, the "
	       "real election core,\na virtual clock (heartbeat 200 ms, "
	       "dead-after 3, lease 600 ms)\n");
	section(s, "start");
	for (i = 0; i < 3; i++)
		if (sim_run_until(s, s->now + 10) != 0 || sim_start(s, i) != 0)
			return -1;
	if (until_holder(s, -1, &h) != 0)
		return -1;
	printf("-> elected: %s holds the DMZ address at t=%" PRIu64 " ms\n",
	    s->node[h].name, s->now);
	if (sim_run_until(s, s->now + 2000) != 0)
		return -1;
	s->check.converged = true; /* (a) from here on, between faults */
	if (sim_check_all(s) != 0)
		return -1;
	s->check.converged = false;
	if (demo_failover(s, &h) != 0 || demo_shutdown(s, &h) != 0)
		return -1;
	printf("\ndemo done: %" PRIu64 " core steps, every invariant held\n",
	    s->stats.steps);
	return 0;
}

int
sim_demo_run(struct elect_key *key)
{
	struct sim s = {0};
	int rc;

	sim_init(&s, key, 3, 2026);
	s.verbosity = SIM_TIMELINE;
	demo_conf(&s);
	rc = demo(&s);
	if (rc != 0)
		printf("demo failed: %s\n", s.msg);
	sim_cleanup(&s);
	return rc;
}
