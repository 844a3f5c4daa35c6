#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "netcfg/netcfg_int.h"

static const uint8_t OUR_MAC[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t OTHER_MAC[6] = {0x02, 0, 0, 0, 0, 0x99};
static const uint8_t MEMBER_MAC[6] = {0x02, 0, 0, 0, 0, 0x42};
static const uint8_t DMZ[4] = {192, 168, 1, 11};
static const uint8_t OTHER_IP[4] = {192, 168, 1, 20};
static const uint8_t ZERO_IP[4];

#define T0 1000u
#define GAP 100u
#define WAIT 200u

struct fx {
	struct netcfg_seq seq;
	struct netcfg_seq_out out;
	unsigned n_sent;
};

static int
setup(void **state)
{
	static struct fx f;

	memset(&f, 0, sizeof(f));
	netcfg_seq_init(&f.seq);
	*state = &f;
	return 0;
}

static void
fx_count(struct fx *f)
{
	if (f->out.send != NETCFG_SEND_NONE)
		f->n_sent++;
}

static void
fx_start(struct fx *f, enum netcfg_seq_kind kind, unsigned count)
{
	struct netcfg_seq_conf c;

	memset(&c, 0, sizeof(c));
	c.kind = kind;
	c.count = count;
	c.gap_ms = GAP;
	c.wait_ms = WAIT;
	memcpy(c.ip, DMZ, 4);
	memcpy(c.mac, OUR_MAC, 6);
	netcfg_seq_start(&f->seq, &c, T0, &f->out);
	fx_count(f);
}

static void
fx_timer(struct fx *f, uint64_t now)
{
	netcfg_seq_on_timer(&f->seq, now, &f->out);
	fx_count(f);
}

/* Runs the timers as the edge would until the sequence is done. */
static void
fx_run(struct fx *f)
{
	int guard = 0;

	while (!f->out.done && f->out.wake_ms != 0 && guard++ < 100)
		fx_timer(f, f->out.wake_ms);
}

static void
fx_frame(struct fx *f, uint16_t op, const uint8_t sha[6], const uint8_t spa[4],
    const uint8_t tpa[4])
{
	struct netcfg_arp a;

	memset(&a, 0, sizeof(a));
	a.op = op;
	memcpy(a.sha, sha, 6);
	memcpy(a.spa, spa, 4);
	memcpy(a.tpa, tpa, 4);
	netcfg_seq_on_frame(&f->seq, T0 + 50, &a, &f->out);
}

static void
probe_is_free_when_nobody_answers(void **state)
{
	struct fx *f = *state;

	fx_start(f, NETCFG_SEQ_PROBE, 3);
	assert_int_equal(f->out.send, NETCFG_SEND_PROBE);
	assert_false(f->out.done);
	assert_int_equal(f->out.wake_ms, T0 + GAP);
	fx_timer(f, T0 + GAP);
	fx_timer(f, T0 + 2 * GAP);
	assert_int_equal(f->out.wake_ms, T0 + 2 * GAP + WAIT);
	assert_false(f->out.done);
	fx_timer(f, T0 + 2 * GAP + WAIT);
	assert_true(f->out.done);
	assert_int_equal(f->out.result, NETCFG_PROBE_FREE);
	assert_int_equal(f->n_sent, 3);
	assert_int_equal(f->out.wake_ms, 0);
}

static void
probe_waits_its_time_on_an_early_timer(void **state)
{
	struct fx *f = *state;

	fx_start(f, NETCFG_SEQ_PROBE, 2);
	fx_timer(f, T0 + GAP - 1);
	assert_int_equal(f->out.send, NETCFG_SEND_NONE);
	assert_int_equal(f->out.wake_ms, T0 + GAP);
	assert_int_equal(f->n_sent, 1);
}

static void
probe_conflicts_on_a_reply_from_another_mac(void **state)
{
	struct fx *f = *state;

	fx_start(f, NETCFG_SEQ_PROBE, 3);
	fx_frame(f, NETCFG_ARP_REPLY, OTHER_MAC, DMZ, ZERO_IP);
	assert_true(f->out.done);
	assert_int_equal(f->out.result, NETCFG_PROBE_CONFLICT);
	assert_memory_equal(f->out.mac, OTHER_MAC, 6);
	/* Decided: later timers and frames do nothing. */
	fx_timer(f, T0 + 10 * GAP);
	assert_false(f->out.done);
	assert_int_equal(f->out.send, NETCFG_SEND_NONE);
	assert_int_equal(f->n_sent, 1);
}

static void
probe_conflicts_on_an_announcement_of_the_address(void **state)
{
	struct fx *f = *state;

	fx_start(f, NETCFG_SEQ_PROBE, 3);
	fx_frame(f, NETCFG_ARP_REQUEST, OTHER_MAC, DMZ, DMZ);
	assert_true(f->out.done);
	assert_int_equal(f->out.result, NETCFG_PROBE_CONFLICT);
}

static void
probe_conflicts_on_a_simultaneous_probe_from_another_mac(void **state)
{
	struct fx *f = *state;

	fx_start(f, NETCFG_SEQ_PROBE, 3);
	fx_timer(f, T0 + GAP);
	fx_frame(f, NETCFG_ARP_REQUEST, OTHER_MAC, ZERO_IP, DMZ);
	assert_true(f->out.done);
	assert_int_equal(f->out.result, NETCFG_PROBE_CONFLICT);
	assert_memory_equal(f->out.mac, OTHER_MAC, 6);
}

static void
probe_ignores_its_own_probes(void **state)
{
	struct fx *f = *state;

	fx_start(f, NETCFG_SEQ_PROBE, 1);
	fx_frame(f, NETCFG_ARP_REQUEST, OUR_MAC, ZERO_IP, DMZ);
	assert_false(f->out.done);
	fx_frame(f, NETCFG_ARP_REQUEST, OUR_MAC, DMZ, DMZ);
	assert_false(f->out.done);
	fx_run(f);
	assert_int_equal(f->out.result, NETCFG_PROBE_FREE);
}

static void
probe_ignores_answers_from_member_macs(void **state)
{
	struct fx *f = *state;
	const uint8_t members[2][6] = {
	    {0x02, 0, 0, 0, 0, 0x41}, {0x02, 0, 0, 0, 0, 0x42}};

	netcfg_seq_set_members(&f->seq, members, 2);
	fx_start(f, NETCFG_SEQ_PROBE, 2);
	fx_frame(f, NETCFG_ARP_REPLY, MEMBER_MAC, DMZ, ZERO_IP);
	fx_frame(f, NETCFG_ARP_REQUEST, MEMBER_MAC, ZERO_IP, DMZ);
	assert_false(f->out.done);
	fx_run(f);
	assert_true(f->out.done);
	assert_int_equal(f->out.result, NETCFG_PROBE_FREE);
	/* A non-member still conflicts with the same list. */
	fx_start(f, NETCFG_SEQ_PROBE, 2);
	fx_frame(f, NETCFG_ARP_REPLY, OTHER_MAC, DMZ, ZERO_IP);
	assert_int_equal(f->out.result, NETCFG_PROBE_CONFLICT);
}

static void
probe_ignores_traffic_about_other_addresses(void **state)
{
	struct fx *f = *state;

	fx_start(f, NETCFG_SEQ_PROBE, 1);
	fx_frame(f, NETCFG_ARP_REQUEST, OTHER_MAC, OTHER_IP, OTHER_IP);
	fx_frame(f, NETCFG_ARP_REPLY, OTHER_MAC, OTHER_IP, DMZ);
	fx_frame(f, NETCFG_ARP_REQUEST, OTHER_MAC, OTHER_IP, DMZ);
	assert_false(f->out.done);
	fx_run(f);
	assert_int_equal(f->out.result, NETCFG_PROBE_FREE);
}

static void
start_never_decides_even_with_nothing_to_do(void **state)
{
	struct fx *f = *state;
	struct netcfg_seq_conf c;

	memset(&c, 0, sizeof(c));
	c.kind = NETCFG_SEQ_PROBE;
	netcfg_seq_start(&f->seq, &c, T0, &f->out);
	assert_false(f->out.done);
	assert_int_equal(f->out.send, NETCFG_SEND_NONE);
	assert_int_equal(f->out.wake_ms, T0);
	fx_timer(f, T0);
	assert_true(f->out.done);
	assert_int_equal(f->out.result, NETCFG_PROBE_FREE);
}

static void
announce_sends_count_frames_gap_apart_and_ends(void **state)
{
	struct fx *f = *state;

	fx_start(f, NETCFG_SEQ_ANNOUNCE, 3);
	assert_int_equal(f->out.send, NETCFG_SEND_ANNOUNCE);
	assert_int_equal(f->out.wake_ms, T0 + GAP);
	/* An announcement does not listen: a reply changes nothing. */
	fx_frame(f, NETCFG_ARP_REPLY, OTHER_MAC, DMZ, ZERO_IP);
	assert_false(f->out.done);
	fx_timer(f, T0 + GAP);
	assert_int_equal(f->out.send, NETCFG_SEND_ANNOUNCE);
	fx_timer(f, T0 + 2 * GAP);
	assert_int_equal(f->out.send, NETCFG_SEND_ANNOUNCE);
	assert_int_equal(f->out.wake_ms, T0 + 2 * GAP);
	fx_timer(f, T0 + 2 * GAP);
	assert_true(f->out.done);
	assert_int_equal(f->n_sent, 3);
}

static void
frames_are_rfc5227_probes_and_announcements(void **state)
{
	struct fx *f = *state;
	struct netcfg_arp a;
	const uint8_t zero_mac[6] = {0};

	fx_start(f, NETCFG_SEQ_PROBE, 1);
	netcfg_seq_frame(&f->seq, NETCFG_SEND_PROBE, &a);
	assert_int_equal(a.op, NETCFG_ARP_REQUEST);
	assert_memory_equal(a.sha, OUR_MAC, 6);
	assert_memory_equal(a.spa, ZERO_IP, 4);
	assert_memory_equal(a.tha, zero_mac, 6);
	assert_memory_equal(a.tpa, DMZ, 4);
	netcfg_seq_frame(&f->seq, NETCFG_SEND_ANNOUNCE, &a);
	assert_int_equal(a.op, NETCFG_ARP_REQUEST);
	assert_memory_equal(a.spa, DMZ, 4);
	assert_memory_equal(a.tpa, DMZ, 4);
}

static void
a_stopped_probe_ignores_everything(void **state)
{
	struct fx *f = *state;

	fx_start(f, NETCFG_SEQ_PROBE, 3);
	netcfg_seq_stop(&f->seq);
	fx_frame(f, NETCFG_ARP_REPLY, OTHER_MAC, DMZ, ZERO_IP);
	assert_false(f->out.done);
	fx_timer(f, T0 + GAP);
	assert_int_equal(f->out.send, NETCFG_SEND_NONE);
	assert_int_equal(f->out.wake_ms, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(probe_is_free_when_nobody_answers, setup),
	    cmocka_unit_test_setup(
		probe_waits_its_time_on_an_early_timer, setup),
	    cmocka_unit_test_setup(
		probe_conflicts_on_a_reply_from_another_mac, setup),
	    cmocka_unit_test_setup(
		probe_conflicts_on_an_announcement_of_the_address, setup),
	    cmocka_unit_test_setup(
		probe_conflicts_on_a_simultaneous_probe_from_another_mac,
		setup),
	    cmocka_unit_test_setup(probe_ignores_its_own_probes, setup),
	    cmocka_unit_test_setup(
		probe_ignores_answers_from_member_macs, setup),
	    cmocka_unit_test_setup(
		probe_ignores_traffic_about_other_addresses, setup),
	    cmocka_unit_test_setup(
		start_never_decides_even_with_nothing_to_do, setup),
	    cmocka_unit_test_setup(
		announce_sends_count_frames_gap_apart_and_ends, setup),
	    cmocka_unit_test_setup(
		frames_are_rfc5227_probes_and_announcements, setup),
	    cmocka_unit_test_setup(a_stopped_probe_ignores_everything, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
