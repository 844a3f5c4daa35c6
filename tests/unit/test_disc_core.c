/*
 * tests/unit/test_disc_core.c — the pure half of discovery/: the address
 * choice (disc_addr.c), the IGMP report parser (disc_igmp.c) with its bad
 * input, and the hint limiter (disc_igmp_limit.c) under a flood.
 */
#include "config.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "discovery/discovery.h"

/* ---- helpers ---- */

static struct disc_addr
v4(const char *s)
{
	struct disc_addr a = {.family = 4};

	assert_int_equal(inet_pton(AF_INET, s, a.b), 1);
	return a;
}

static struct disc_addr
v6(const char *s)
{
	struct disc_addr a = {.family = 6};

	assert_int_equal(inet_pton(AF_INET6, s, a.b), 1);
	return a;
}

static struct disc_net
net(const char *s, uint8_t prefix)
{
	struct disc_net n = {.prefix = prefix};

	n.addr = strchr(s, ':') ? v6(s) : v4(s);
	return n;
}

static void
assert_addr(const struct disc_addr *a, const char *s)
{
	struct disc_addr want = strchr(s, ':') ? v6(s) : v4(s);

	assert_int_equal(a->family, want.family);
	assert_memory_equal(a->b, want.b, want.family == 4 ? 4 : 16);
}

/* A raw socket's IGMP datagram: IPv4 header (Router Alert), message. */
struct pkt {
	uint8_t b[600];
	size_t len;
};

static uint16_t
csum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void
pkt_start(struct pkt *p, const char *src)
{
	memset(p, 0, sizeof(*p));
	p->b[0] = 0x46; /* IPv4, 24-byte header: Router Alert */
	p->b[6] = 0x40; /* DF */
	p->b[8] = 1;	/* TTL */
	p->b[9] = 2;	/* IGMP */
	assert_int_equal(inet_pton(AF_INET, src, p->b + 12), 1);
	inet_pton(AF_INET, "224.0.0.22", p->b + 16);
	p->b[20] = 0x94;
	p->b[21] = 4;
	p->len = 24;
}

static void
put(struct pkt *p, const void *b, size_t n)
{
	memcpy(p->b + p->len, b, n);
	p->len += n;
}

/* Sets the total length and the IGMP checksum. */
static void
pkt_end(struct pkt *p)
{
	uint16_t c;

	p->b[2] = (uint8_t)(p->len >> 8);
	p->b[3] = (uint8_t)p->len;
	p->b[24 + 2] = p->b[24 + 3] = 0;
	c = csum(p->b + 24, p->len - 24);
	p->b[24 + 2] = (uint8_t)(c >> 8);
	p->b[24 + 3] = (uint8_t)c;
}

static void
pkt_v2(struct pkt *p, const char *src, uint8_t type, const char *group)
{
	uint8_t m[8] = {type, 0};

	pkt_start(p, src);
	inet_pton(AF_INET, group, m + 4);
	put(p, m, sizeof(m));
	pkt_end(p);
}

static void
pkt_v3_start(struct pkt *p, const char *src, uint16_t n_rec)
{
	uint8_t h[8] = {
	    0x22, 0, 0, 0, 0, 0, (uint8_t)(n_rec >> 8), (uint8_t)n_rec};

	pkt_start(p, src);
	put(p, h, sizeof(h));
}

static void
pkt_v3_rec(struct pkt *p, uint8_t type, const char *group, uint16_t n_src,
    uint8_t aux_words)
{
	uint8_t r[8] = {type, aux_words, (uint8_t)(n_src >> 8), (uint8_t)n_src};
	uint8_t zero[4] = {10, 0, 0, 9};
	unsigned i;

	inet_pton(AF_INET, group, r + 4);
	put(p, r, sizeof(r));
	for (i = 0; i < (unsigned)n_src + aux_words; i++)
		put(p, zero, 4);
}

#define GROUP "239.255.81.82"

static enum disc_igmp_result
parse(const struct pkt *p, struct disc_igmp_report *r)
{
	struct in_addr g;

	inet_pton(AF_INET, GROUP, &g);
	return disc_igmp_parse(p->b, p->len, g, r);
}

/* ---- addresses ---- */

static void
wildcard_loopback_link_local_and_multicast_are_unusable(void **state)
{
	static const char *bad[] = {"0.0.0.0", "127.0.0.1", "169.254.3.4",
	    "224.0.0.22", "239.255.81.82", "255.255.255.255", "240.0.0.1",
	    "0.1.2.3", "::", "::1", "fe80::1", "ff02::5152", "::ffff:10.0.0.1"};
	static const char *good[] = {"10.88.0.11", "192.168.1.5", "100.64.0.1",
	    "203.0.113.7", "fd00::11", "2001:db8::1"};
	struct disc_addr a, none = {0};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a = strchr(bad[i], ':') ? v6(bad[i]) : v4(bad[i]);
		assert_false(disc_addr_is_usable(&a));
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		a = strchr(good[i], ':') ? v6(good[i]) : v4(good[i]);
		assert_true(disc_addr_is_usable(&a));
	}
	assert_false(disc_addr_is_usable(&none));
}

static void
an_address_is_in_a_net_by_its_prefix_bits(void **state)
{
	struct disc_net nets[] = {net("10.88.0.11", 24), net("fd00::11", 64),
	    net("192.168.7.130", 25)};
	struct disc_addr a;

	(void)state;
	a = v4("10.88.0.254");
	assert_true(disc_addr_in_nets(&a, nets, 3));
	a = v4("10.88.1.1");
	assert_false(disc_addr_in_nets(&a, nets, 3));
	a = v4("192.168.7.129");
	assert_true(disc_addr_in_nets(&a, nets, 3));
	a = v4("192.168.7.127");
	assert_false(disc_addr_in_nets(&a, nets, 3));
	a = v6("fd00::99");
	assert_true(disc_addr_in_nets(&a, nets, 3));
	a = v6("fd00:0:0:1::11");
	assert_false(disc_addr_in_nets(&a, nets, 3));
	/* An IPv4 address never matches an IPv6 net with equal bytes. */
	nets[0] = net("::", 0);
	a = v4("172.16.0.1");
	assert_false(disc_addr_in_nets(&a, nets, 1));
	nets[0] = net("0.0.0.0", 0); /* /0: every IPv4 address */
	assert_true(disc_addr_in_nets(&a, nets, 1));
}

static void
an_on_link_source_is_used_as_it_is(void **state)
{
	struct disc_net own[] = {net("10.88.0.12", 24)};
	struct disc_addr adv[] = {v4("10.0.0.5"), v4("10.88.0.11")};
	struct disc_addr src = v4("10.88.0.11"), out;

	(void)state;
	assert_int_equal(disc_addr_choose(own, 1, adv, 2, &src, &out),
	    DISC_ADDR_SRC_ON_LINK);
	assert_addr(&out, "10.88.0.11");
}

/*
 * A multi-homed peer whose datagrams leave with its address on another
 * network (its primary, lower than the LAN's): we send to the address it
 * advertised in our subnet, not to its source, not to the lowest.
 */
static void
a_multi_homed_peer_is_reached_in_our_subnet(void **state)
{
	struct disc_net own[] = {net("10.88.0.12", 24), net("fd00::12", 64)};
	struct disc_addr adv[] = {v4("10.0.0.1"), v4("127.0.0.1"),
	    v4("10.88.0.11"), v4("10.88.0.99")};
	struct disc_addr src = v4("10.0.0.1"), out;

	(void)state;
	assert_int_equal(
	    disc_addr_choose(own, 2, adv, 4, &src, &out), DISC_ADDR_ADVERTISED);
	assert_addr(&out, "10.88.0.11");
}

static void
nothing_in_our_subnets_means_the_source(void **state)
{
	struct disc_net own[] = {net("10.88.0.12", 24)};
	struct disc_addr adv[] = {v4("192.168.1.5"), v4("172.16.0.5")};
	struct disc_addr src = v4("192.168.1.5"), out;

	(void)state;
	assert_int_equal(
	    disc_addr_choose(own, 1, adv, 2, &src, &out), DISC_ADDR_SRC);
	assert_addr(&out, "192.168.1.5");
	/* We know no subnet of our own (no address yet): the source too. */
	assert_int_equal(
	    disc_addr_choose(NULL, 0, adv, 2, &src, &out), DISC_ADDR_SRC);
	assert_addr(&out, "192.168.1.5");
}

static void
a_peer_advertising_only_unusable_addresses_is_reached_by_its_source(
    void **state)
{
	struct disc_net own[] = {net("10.88.0.12", 24)};
	struct disc_addr adv[] = {
	    v4("0.0.0.0"), v4("127.0.0.1"), v4("169.254.1.1"), v6("fe80::1")};
	struct disc_addr src = v4("10.88.0.11"), out;

	(void)state;
	assert_int_equal(disc_addr_choose(own, 1, adv, 4, &src, &out),
	    DISC_ADDR_SRC_UNUSABLE);
	assert_addr(&out, "10.88.0.11");
	/* None advertised at all (an interface with no usable address). */
	assert_int_equal(disc_addr_choose(own, 1, NULL, 0, &src, &out),
	    DISC_ADDR_SRC_UNUSABLE);
	assert_addr(&out, "10.88.0.11");
}

static void
the_address_lists_compare_by_family_and_bytes(void **state)
{
	struct disc_addr list[] = {v4("10.88.0.11"), v6("fd00::11")};
	struct disc_addr a = v4("10.88.0.11"), none = {0};

	(void)state;
	assert_true(disc_addr_in_list(&a, list, 2));
	a = v4("10.88.0.12");
	assert_false(disc_addr_in_list(&a, list, 2));
	a = v6("fd00::11");
	assert_true(disc_addr_in_list(&a, list, 2));
	assert_false(disc_addr_in_list(&none, list, 2));
}

/* ---- IGMP ---- */

static void
an_igmpv2_report_of_the_group_is_a_join(void **state)
{
	struct disc_igmp_report r;
	struct pkt p;

	(void)state;
	pkt_v2(&p, "10.88.0.13", 0x16, GROUP);
	assert_int_equal(parse(&p, &r), DISC_IGMP_JOIN);
	assert_int_equal(r.version, 2);
	assert_int_equal(r.src.s_addr, inet_addr("10.88.0.13"));
	pkt_v2(&p, "10.88.0.13", 0x12, GROUP);
	assert_int_equal(parse(&p, &r), DISC_IGMP_JOIN);
	assert_int_equal(r.version, 1);
	pkt_v2(&p, "10.88.0.13", 0x17, GROUP);
	assert_int_equal(parse(&p, &r), DISC_IGMP_LEAVE);
	pkt_v2(&p, "10.88.0.13", 0x16, "239.1.2.3");
	assert_int_equal(parse(&p, &r), DISC_IGMP_OTHER);
}

static void
igmpv3_records_join_and_leave_the_group(void **state)
{
	struct disc_igmp_report r;
	struct pkt p;

	(void)state;
	/* A join: CHANGE_TO_EXCLUDE {} (what Linux sends), after a record
	 * of another group with sources and aux data. */
	pkt_v3_start(&p, "10.88.0.13", 2);
	pkt_v3_rec(&p, 5, "239.9.9.9", 2, 1);
	pkt_v3_rec(&p, 4, GROUP, 0, 0);
	pkt_end(&p);
	assert_int_equal(parse(&p, &r), DISC_IGMP_JOIN);
	assert_int_equal(r.version, 3);
	assert_int_equal(r.src.s_addr, inet_addr("10.88.0.13"));
	/* An answer to a query: MODE_IS_EXCLUDE {}. */
	pkt_v3_start(&p, "10.88.0.13", 1);
	pkt_v3_rec(&p, 2, GROUP, 0, 0);
	pkt_end(&p);
	assert_int_equal(parse(&p, &r), DISC_IGMP_JOIN);
	/* A source-specific join: ALLOW {S}. */
	pkt_v3_start(&p, "10.88.0.13", 1);
	pkt_v3_rec(&p, 5, GROUP, 1, 0);
	pkt_end(&p);
	assert_int_equal(parse(&p, &r), DISC_IGMP_JOIN);
	/* A leave: CHANGE_TO_INCLUDE {}. */
	pkt_v3_start(&p, "10.88.0.13", 1);
	pkt_v3_rec(&p, 3, GROUP, 0, 0);
	pkt_end(&p);
	assert_int_equal(parse(&p, &r), DISC_IGMP_LEAVE);
	/* BLOCK_OLD_SOURCES, and INCLUDE {} alone, say nothing. */
	pkt_v3_start(&p, "10.88.0.13", 2);
	pkt_v3_rec(&p, 6, GROUP, 1, 0);
	pkt_v3_rec(&p, 1, GROUP, 0, 0);
	pkt_end(&p);
	assert_int_equal(parse(&p, &r), DISC_IGMP_OTHER);
	/* A join anywhere in the report wins over a leave before it. */
	pkt_v3_start(&p, "10.88.0.13", 2);
	pkt_v3_rec(&p, 3, GROUP, 0, 0);
	pkt_v3_rec(&p, 4, GROUP, 0, 0);
	pkt_end(&p);
	assert_int_equal(parse(&p, &r), DISC_IGMP_JOIN);
	/* No record at all. */
	pkt_v3_start(&p, "10.88.0.13", 0);
	pkt_end(&p);
	assert_int_equal(parse(&p, &r), DISC_IGMP_OTHER);
}

static void
queries_and_a_report_without_a_source_say_nothing(void **state)
{
	uint8_t q[12] = {0x11, 100, 0, 0, 0, 0, 0, 0, 2, 125, 0, 0};
	struct disc_igmp_report r;
	struct pkt p;

	(void)state;
	pkt_start(&p, "10.88.0.1");
	put(&p, q, sizeof(q));
	pkt_end(&p);
	assert_int_equal(parse(&p, &r), DISC_IGMP_OTHER);
	pkt_v2(&p, "0.0.0.0", 0x16, GROUP);
	assert_int_equal(parse(&p, &r), DISC_IGMP_OTHER);
}

static void
truncated_or_inconsistent_igmp_is_malformed(void **state)
{
	struct disc_igmp_report r;
	struct pkt p;
	size_t n;

	(void)state;
	pkt_v2(&p, "10.88.0.13", 0x16, GROUP);
	for (n = 0; n < p.len; n++) /* every truncation of a good report */
		assert_int_equal(
		    disc_igmp_parse(p.b, n, (struct in_addr){0}, &r),
		    DISC_IGMP_MALFORMED);
	/* Total length past the datagram. */
	p.b[3] += 4;
	assert_int_equal(parse(&p, &r), DISC_IGMP_MALFORMED);
	/* Bad IGMP checksum. */
	pkt_v2(&p, "10.88.0.13", 0x16, GROUP);
	p.b[24 + 2] ^= 0x55;
	assert_int_equal(parse(&p, &r), DISC_IGMP_MALFORMED);
	/* Not IPv4; not IGMP; header length below 20; a fragment. */
	pkt_v2(&p, "10.88.0.13", 0x16, GROUP);
	p.b[0] = 0x66;
	assert_int_equal(parse(&p, &r), DISC_IGMP_MALFORMED);
	pkt_v2(&p, "10.88.0.13", 0x16, GROUP);
	p.b[9] = 17;
	assert_int_equal(parse(&p, &r), DISC_IGMP_MALFORMED);
	pkt_v2(&p, "10.88.0.13", 0x16, GROUP);
	p.b[0] = 0x44;
	assert_int_equal(parse(&p, &r), DISC_IGMP_MALFORMED);
	pkt_v2(&p, "10.88.0.13", 0x16, GROUP);
	p.b[6] = 0x20; /* MF */
	assert_int_equal(parse(&p, &r), DISC_IGMP_MALFORMED);
	/* An unknown IGMP type. */
	pkt_v2(&p, "10.88.0.13", 0x33, GROUP);
	assert_int_equal(parse(&p, &r), DISC_IGMP_MALFORMED);
}

static void
igmpv3_records_past_the_end_are_malformed(void **state)
{
	struct disc_igmp_report r;
	struct pkt p;

	(void)state;
	/* The report claims two records and holds one. */
	pkt_v3_start(&p, "10.88.0.13", 2);
	pkt_v3_rec(&p, 4, GROUP, 0, 0);
	pkt_end(&p);
	assert_int_equal(parse(&p, &r), DISC_IGMP_MALFORMED);
	/* A record claims 3 sources and holds 2. */
	pkt_v3_start(&p, "10.88.0.13", 1);
	pkt_v3_rec(&p, 5, GROUP, 2, 0);
	p.b[24 + 8 + 3] = 3;
	pkt_end(&p);
	assert_int_equal(parse(&p, &r), DISC_IGMP_MALFORMED);
	/* 65535 records, 65535 sources: bounded by the bytes, not counts. */
	pkt_v3_start(&p, "10.88.0.13", 0xffff);
	pkt_v3_rec(&p, 4, GROUP, 0, 0);
	p.b[24 + 8 + 2] = p.b[24 + 8 + 3] = 0xff;
	pkt_end(&p);
	assert_int_equal(parse(&p, &r), DISC_IGMP_MALFORMED);
	/* A bad record type after the one that joins. */
	pkt_v3_start(&p, "10.88.0.13", 2);
	pkt_v3_rec(&p, 4, GROUP, 0, 0);
	pkt_v3_rec(&p, 7, GROUP, 0, 0);
	pkt_end(&p);
	assert_int_equal(parse(&p, &r), DISC_IGMP_MALFORMED);
}

/* ---- hints ---- */

static void
a_source_gets_one_hint_per_interval(void **state)
{
	struct disc_igmp_limit l;
	struct disc_addr a = v4("10.88.0.13"), b = v4("10.88.0.14");

	(void)state;
	disc_igmp_limit_init(&l, 1000, 10, 10);
	assert_true(disc_igmp_limit_allow(&l, &a, 5000));
	assert_false(disc_igmp_limit_allow(&l, &a, 5001));
	assert_false(disc_igmp_limit_allow(&l, &a, 5999));
	assert_true(disc_igmp_limit_allow(&l, &b, 5999)); /* another source */
	assert_true(disc_igmp_limit_allow(&l, &a, 6000));
	assert_int_equal(l.allowed, 3);
	assert_int_equal(l.limited, 2);
}

/* 1,000 reports a second from one host for 10 s: 10 hints, one a second. */
static void
a_flood_from_one_host_makes_one_hint_a_second(void **state)
{
	struct disc_igmp_limit l;
	struct disc_addr a = v4("10.88.0.66");
	uint64_t t;
	unsigned n = 0;

	(void)state;
	disc_igmp_limit_init(&l, 0, 0, 0);
	for (t = 0; t < 10000; t++)
		n += disc_igmp_limit_allow(&l, &a, 100000 + t);
	assert_int_equal(n, 10);
	assert_int_equal(l.limited, 9990);
}

/* 1,000 reports a second, each from another (spoofed) source, for 10 s:
 * the overall bucket holds: burst + rate x 10 s at most. */
static void
a_flood_from_many_sources_keeps_the_overall_rate(void **state)
{
	struct disc_igmp_limit l;
	struct disc_addr a = {.family = 4};
	uint64_t t;
	unsigned n = 0;

	(void)state;
	disc_igmp_limit_init(&l, 0, 0, 0);
	for (t = 0; t < 10000; t++) {
		a.b[0] = 10;
		a.b[1] = (uint8_t)(t >> 16);
		a.b[2] = (uint8_t)(t >> 8);
		a.b[3] = (uint8_t)t;
		n += disc_igmp_limit_allow(&l, &a, 100000 + t);
	}
	assert_true(n <= DISC_IGMP_BURST + 10 * DISC_IGMP_RATE_PER_S);
	assert_true(n >= 10 * DISC_IGMP_RATE_PER_S); /* and not starved */
}

/* All slots recent: a new source waits, it never evicts one in its
 * interval (that would let a cycling flood re-hint a source early). */
static void
a_full_table_of_recent_sources_limits_new_ones(void **state)
{
	struct disc_igmp_limit l;
	struct disc_addr a = {.family = 4, .b = {10, 0, 0, 0}};
	unsigned i;

	(void)state;
	disc_igmp_limit_init(&l, 1000, 1000, 1000);
	for (i = 0; i < DISC_IGMP_LIMIT_SLOTS; i++) {
		a.b[3] = (uint8_t)i;
		assert_true(disc_igmp_limit_allow(&l, &a, 10 + i));
	}
	a.b[3] = 200;
	assert_false(disc_igmp_limit_allow(&l, &a, 500));
	a.b[3] = 0; /* the first one is still in its interval */
	assert_false(disc_igmp_limit_allow(&l, &a, 900));
	a.b[3] = 200; /* the oldest slot is past it: reused */
	assert_true(disc_igmp_limit_allow(&l, &a, 1010));
}

/* ---- the arrival stamp (disc_stamp.c) ---- */

struct stamped {
	struct msghdr msg;
	union {
		struct cmsghdr align;
		uint8_t b[CMSG_SPACE(sizeof(int)) +
			  CMSG_SPACE(sizeof(struct timespec))];
	} cbuf;
};

/* A control buffer as recvmsg() fills it: a TTL, then the stamp (sec,
 * nsec; sec < 0: none). */
static void
stamp_msg(struct stamped *s, long long sec, long nsec)
{
	struct cmsghdr *c;
	struct timespec ts = {.tv_sec = (time_t)sec, .tv_nsec = nsec};
	int ttl = 255;

	memset(s, 0, sizeof(*s));
	s->msg.msg_control = s->cbuf.b;
	s->msg.msg_controllen = sizeof(s->cbuf.b);
	c = CMSG_FIRSTHDR(&s->msg);
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_TTL;
	c->cmsg_len = CMSG_LEN(sizeof(ttl));
	memcpy(CMSG_DATA(c), &ttl, sizeof(ttl));
	c = CMSG_NXTHDR(&s->msg, c);
	if (sec < 0) {
		s->msg.msg_controllen = CMSG_SPACE(sizeof(ttl));
		return;
	}
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_TIMESTAMPNS;
	c->cmsg_len = CMSG_LEN(sizeof(ts));
	memcpy(CMSG_DATA(c), &ts, sizeof(ts));
}

/* The wait is now less the kernel's stamp, to the ms. */
static void
a_datagram_waited_now_less_its_stamp(void **state)
{
	struct stamped s;

	(void)state;
	stamp_msg(&s, 1700000000, 250000000); /* ...000.250 */
	assert_int_equal(disc_rx_age_ms(&s.msg, 1700000001000ull), 750);
	assert_int_equal(disc_rx_age_ms(&s.msg, 1700000000250ull), 0);
}

/* No stamp, one from the future, one over a minute old (the date was
 * set), a negative one: unknown, 0. */
static void
a_missing_or_senseless_stamp_is_no_wait(void **state)
{
	struct stamped s;

	(void)state;
	stamp_msg(&s, -1, 0);
	assert_int_equal(disc_rx_age_ms(&s.msg, 1700000001000ull), 0);
	stamp_msg(&s, 1700000002, 0);
	assert_int_equal(disc_rx_age_ms(&s.msg, 1700000001000ull), 0);
	stamp_msg(&s, 1700000000, 0);
	assert_int_equal(disc_rx_age_ms(&s.msg, 1700000061000ull), 0);
	assert_int_equal(disc_rx_age_ms(&s.msg, 1700000060000ull), 60000);
	stamp_msg(&s, 1, -5);
	assert_int_equal(disc_rx_age_ms(&s.msg, 1700000001000ull), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
		wildcard_loopback_link_local_and_multicast_are_unusable),
	    cmocka_unit_test(an_address_is_in_a_net_by_its_prefix_bits),
	    cmocka_unit_test(an_on_link_source_is_used_as_it_is),
	    cmocka_unit_test(a_multi_homed_peer_is_reached_in_our_subnet),
	    cmocka_unit_test(nothing_in_our_subnets_means_the_source),
	    cmocka_unit_test(
		a_peer_advertising_only_unusable_addresses_is_reached_by_its_source),
	    cmocka_unit_test(the_address_lists_compare_by_family_and_bytes),
	    cmocka_unit_test(an_igmpv2_report_of_the_group_is_a_join),
	    cmocka_unit_test(igmpv3_records_join_and_leave_the_group),
	    cmocka_unit_test(queries_and_a_report_without_a_source_say_nothing),
	    cmocka_unit_test(truncated_or_inconsistent_igmp_is_malformed),
	    cmocka_unit_test(igmpv3_records_past_the_end_are_malformed),
	    cmocka_unit_test(a_source_gets_one_hint_per_interval),
	    cmocka_unit_test(a_flood_from_one_host_makes_one_hint_a_second),
	    cmocka_unit_test(a_flood_from_many_sources_keeps_the_overall_rate),
	    cmocka_unit_test(a_full_table_of_recent_sources_limits_new_ones),
	    cmocka_unit_test(a_datagram_waited_now_less_its_stamp),
	    cmocka_unit_test(a_missing_or_senseless_stamp_is_no_wait),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
