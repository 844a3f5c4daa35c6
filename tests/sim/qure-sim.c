/*
 * tests/sim/qure-sim.c — the simulator's driver.
 *
 *   qure-sim [--scenarios N] [--seed S]   scenarios S .. S+N-1, a summary
 *   qure-sim --replay SEED [--trace]      one scenario, a line per event
 *   qure-sim --demo                       the fixed three-node demo
 *
 * Exit 0 if every invariant held, 1 on the first failure (with its seed
 * and the command that replays it), 2 on a usage error.
 */
#include "config.h"

#include "tests/sim/sim.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Every simulated node shares this cluster key; it guards nothing. */
static const uint8_t sim_secret[ELECT_KEY_LEN] =
    "qure-sim: not a secret, 32 bytes";

struct opts {
	uint64_t scenarios;
	uint64_t seed;
	uint64_t replay;
	bool do_replay, trace, timeline, demo, verbose, keep_going, alive;
	bool rotate;
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: qure-sim [--scenarios N] [--seed S] [--verbose] "
	    "[--keep-going] [--alive] [--rotate]\n"
	    "       qure-sim --replay SEED [--trace | --timeline] [--alive] "
	    "[--rotate]\n"
	    "       qure-sim --demo\n");
	exit(2);
}

static uint64_t
parse_u64(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || *s == '\0' || *s == '-' || *end != '\0') {
		fprintf(stderr, "qure-sim: %s: not a number: %s\n", what, s);
		exit(2);
	}
	return v;
}

static void
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
	    {"scenarios", required_argument, NULL, 'n'},
	    {"seed", required_argument, NULL, 's'},
	    {"replay", required_argument, NULL, 'r'},
	    {"trace", no_argument, NULL, 't'},
	    {"timeline", no_argument, NULL, 'l'},
	    {"demo", no_argument, NULL, 'd'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"keep-going", no_argument, NULL, 'k'},
	    {"alive", no_argument, NULL, 'a'},
	    {"rotate", no_argument, NULL, 'R'},
	    {NULL, 0, NULL, 0},
	};
	int ch;

	o->scenarios = 1000;
	o->seed = 1;
	while ((ch = getopt_long(
		    argc, argv, "n:s:r:tldvkaR", longopts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			o->scenarios = parse_u64(optarg, "--scenarios");
			break;
		case 's':
			o->seed = parse_u64(optarg, "--seed");
			break;
		case 'r':
			o->replay = parse_u64(optarg, "--replay");
			o->do_replay = true;
			break;
		case 't':
			o->trace = true;
			break;
		case 'l':
			o->timeline = true;
			break;
		case 'd':
			o->demo = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'k':
			o->keep_going = true;
			break;
		case 'a':
			o->alive = true;
			break;
		case 'R':
			o->rotate = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
}

static double
wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
report_failure(const char *argv0, uint64_t seed, const struct sim *s)
{
	printf("FAIL scenario %" PRIu64 ": %s\n", seed, s->msg);
	printf("replay: %s --replay %" PRIu64 " --trace\n", argv0, seed);
}

static int
replay(const char *argv0, struct elect_key *key, const struct opts *o)
{
	struct sim s = {0};
	enum sim_verbosity v = o->trace	     ? SIM_TRACE
			       : o->timeline ? SIM_TIMELINE
					     : SIM_QUIET;
	int rc;

	rc = sim_scenario_run(&s, key, o->replay, v);
	if (rc != 0)
		report_failure(argv0, o->replay, &s);
	else
		printf("scenario %" PRIu64 ": ok, %d nodes, %" PRIu64
		       " steps, %" PRIu64 " failovers, %" PRIu64 " ms "
		       "simulated\n",
		    o->replay, s.n_nodes, s.stats.steps, s.stats.failovers,
		    s.now);
	sim_cleanup(&s);
	return rc == 0 ? 0 : 1;
}

static void
add_stats(struct sim_stats *t, const struct sim_stats *a)
{
	t->steps += a->steps;
	t->alive_deaths += a->alive_deaths;
	t->alive_ups += a->alive_ups;
	t->alive_checked += a->alive_checked;
	t->alive_exempt += a->alive_exempt;
	if (a->alive_max_ms > t->alive_max_ms)
		t->alive_max_ms = a->alive_max_ms;
	t->events += a->events;
	t->sends += a->sends;
	t->deliveries += a->deliveries;
	t->lost += a->lost;
	t->failovers += a->failovers;
	t->crashes += a->crashes;
	t->restarts += a->restarts;
	t->pauses += a->pauses;
	t->shutdowns += a->shutdowns;
	t->handovers += a->handovers;
	t->replays += a->replays;
	t->requests += a->requests;
	t->answered += a->answered;
	t->probes += a->probes;
	t->checks += a->checks;
	t->checks_failed += a->checks_failed;
	t->arp_probes += a->arp_probes;
	t->conflicts += a->conflicts;
	t->link_cuts += a->link_cuts;
	t->reconfs += a->reconfs;
	t->key_reloads += a->key_reloads;
	t->key_rotations += a->key_rotations;
	t->svc_downs += a->svc_downs;
	t->contended += a->contended;
	t->settled += a->settled;
	t->reverts += a->reverts;
	t->replayed += a->replayed;
	t->mismatch_notes += a->mismatch_notes;
	t->frozen += a->frozen;
	t->frozen_daemons += a->frozen_daemons;
	t->guard_resigns += a->guard_resigns;
	t->disk_faults += a->disk_faults;
	t->persist_failed += a->persist_failed;
	t->named_handovers += a->named_handovers;
	t->farewells += a->farewells;
	t->loss_handovers += a->loss_handovers;
	t->lossy_claims += a->lossy_claims;
	t->late_claims += a->late_claims;
	t->fence_claims += a->fence_claims;
	t->fence_resumes += a->fence_resumes;
}

static int
run_many(const char *argv0, struct elect_key *key, const struct opts *o)
{
	struct sim_stats total = {0};
	struct sim s = {0};
	uint64_t k, seed, sim_ms = 0;
	double t0 = wall_s();
	uint64_t failed = 0;
	int rc = 0;

	for (k = 0; k < o->scenarios && (rc == 0 || o->keep_going); k++) {
		seed = o->seed + k;
		if (sim_scenario_run(&s, key, seed, SIM_QUIET) != 0) {
			report_failure(argv0, seed, &s);
			failed++;
			rc = -1;
		} else if (o->verbose)
			printf("scenario %" PRIu64 ": ok, %d nodes, %" PRIu64
			       " steps\n",
			    seed, s.n_nodes, s.stats.steps);
		add_stats(&total, &s.stats);
		sim_ms += s.now;
		sim_cleanup(&s);
	}
	printf(
	    "%" PRIu64 " scenarios (seeds %" PRIu64 "..%" PRIu64 "), %" PRIu64
	    " steps, %" PRIu64 " events, %" PRIu64 " failovers,\n"
	    "  %" PRIu64 " crashes, %" PRIu64 " restarts, %" PRIu64
	    " pauses, %" PRIu64 " shutdowns, %" PRIu64 " handovers,\n"
	    "  %" PRIu64 " datagrams sent, %" PRIu64 " delivered, %" PRIu64
	    " lost, %" PRIu64 " replays dropped,\n"
	    "  %" PRIu64 " client requests (%" PRIu64 " answered), %" PRIu64
	    " PROBEs, %" PRIu64 " checks (%" PRIu64 " failed),\n"
	    "  %" PRIu64 " ARP probes (%" PRIu64 " conflicts), %" PRIu64
	    " link cuts, %" PRIu64 " reloads, %" PRIu64 " services killed,\n"
	    "  %" PRIu64 " contended failovers, %" PRIu64
	    " settled by a handover, %" PRIu64 " frozen holders,\n"
	    "  %" PRIu64 " disks refusing writes (%" PRIu64 " writes failed), "
	    "%" PRIu64 " named handovers, %" PRIu64 " farewells,\n"
	    "  %" PRIu64 " state dirs reverted, %" PRIu64
	    " datagrams replayed by the adversary, %" PRIu64
	    " conflicts noted,\n"
	    "  %" PRIu64 " handovers off a lossy link, %" PRIu64
	    " claims let in by a fence, %" PRIu64 " beside a held address"
	    " after losses,\n"
	    "  %" PRIu64 " after a datagram slower than the margin, %" PRIu64
	    " lapsed fences renewed,\n"
	    "  %" PRIu64 " frozen daemons, %" PRIu64 " guard resignations,\n"
	    "  %.1f s simulated in %.2f s wall: %s\n",
	    k, o->seed, o->seed + (k ? k - 1 : 0), total.steps, total.events,
	    total.failovers, total.crashes, total.restarts, total.pauses,
	    total.shutdowns, total.handovers, total.sends, total.deliveries,
	    total.lost, total.replays, total.requests, total.answered,
	    total.probes, total.checks, total.checks_failed, total.arp_probes,
	    total.conflicts, total.link_cuts, total.reconfs, total.svc_downs,
	    total.contended, total.settled, total.frozen, total.disk_faults,
	    total.persist_failed, total.named_handovers, total.farewells,
	    total.reverts, total.replayed, total.mismatch_notes,
	    total.loss_handovers, total.fence_claims, total.lossy_claims,
	    total.late_claims, total.fence_resumes, total.frozen_daemons,
	    total.guard_resigns, (double)sim_ms / 1000.0, wall_s() - t0,
	    rc == 0 ? "all invariants held" : "FAILED");
	if (o->rotate)
		printf("  rotate: %" PRIu64 " key rotations completed, %" PRIu64
		       " reloads with a new key, no datagram rejected\n",
		    total.key_rotations, total.key_reloads);
	if (o->alive)
		printf("  alive: %" PRIu64 " members declared dead (%" PRIu64
		       " of them silent with ALIVEs: (n), the longest %" PRIu64
		       " ms after its last datagram), %" PRIu64
		       " back up, %" PRIu64 " exempt from (o)\n",
		    total.alive_deaths, total.alive_checked, total.alive_max_ms,
		    total.alive_ups, total.alive_exempt);
	if (failed > 1)
		printf("%" PRIu64 " scenarios failed\n", failed);
	return rc == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct elect_key *key;
	struct opts o = {0};
	int rc;

	parse_opts(argc, argv, &o);
	sim_scenario_alive(o.alive);
	sim_scenario_rotate(o.rotate);
	setvbuf(stdout, NULL, _IOLBF, 0);
	key = elect_key_new(sim_secret);
	if (key == NULL) {
		fprintf(stderr, "qure-sim: cannot make the cluster key\n");
		return 1;
	}
	if (o.demo)
		rc = sim_demo_run(key) == 0 ? 0 : 1;
	else if (o.do_replay)
		rc = replay(argv[0], key, &o);
	else
		rc = run_many(argv[0], key, &o);
	elect_key_free(key);
	return rc;
}
