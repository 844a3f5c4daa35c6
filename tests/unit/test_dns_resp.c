/*
 * tests/unit/test_dns_resp.c — the responder's pure core: every record
 * type of the zone, the negative answers, EDNS and truncation, the bad
 * input of issue 10 (truncated, compression loops, huge counts, wrong
 * class, unknown opcode), and the rate limiter. Queries are built and
 * answers read with ldns, as a client would.
 */
#include "config.h"

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <ldns/ldns.h>

#include "dns/dns_resp.h"

static struct dns_view V;
static uint8_t out[DNS_MSG_MAX];

static void
view_reset(size_t n_members)
{
	size_t i;

	memset(&V, 0, sizeof(V));
	strcpy(V.zone, "cloud.example.org");
	strcpy(V.cloud_name, "site1.cloud.example.org");
	V.pub[0].family = 4;
	inet_pton(AF_INET, "203.0.113.5", V.pub[0].b);
	V.n_pub = 1;
	strcpy(V.holder, "h1");
	V.serial = 42;
	V.ttl = 60;
	V.srv_port = 5182;
	for (i = 0; i < n_members; i++) {
		struct dns_view_member *m = &V.members[i];
		char ip[64];

		snprintf(m->name, sizeof(m->name), "h%zu", i + 1);
		m->addrs[0].family = 4;
		snprintf(ip, sizeof(ip), "10.0.%zu.%zu", i / 200, 11 + i % 200);
		inet_pton(AF_INET, ip, m->addrs[0].b);
		m->addrs[1].family = 6;
		snprintf(ip, sizeof(ip), "fd00::%zx", 0x11 + i);
		inet_pton(AF_INET6, ip, m->addrs[1].b);
		m->n_addrs = 2;
	}
	V.n_members = n_members;
}

static int
setup(void **state)
{
	(void)state;
	view_reset(3);
	return 0;
}

/* A query as dig sends it; edns 0: none. Returns its wire length. */
static size_t
make_query(const char *name, ldns_rr_type t, ldns_rr_class c, uint16_t edns,
    uint8_t *buf)
{
	ldns_pkt *q =
	    ldns_pkt_query_new(ldns_dname_new_frm_str(name), t, c, LDNS_RD);
	uint8_t *wire = NULL;
	size_t n = 0;

	assert_non_null(q);
	ldns_pkt_set_id(q, 0xbeef);
	if (edns != 0)
		ldns_pkt_set_edns_udp_size(q, edns);
	assert_int_equal(ldns_pkt2wire(&wire, q, &n), LDNS_STATUS_OK);
	memcpy(buf, wire, n);
	LDNS_FREE(wire);
	ldns_pkt_free(q);
	return n;
}

/* Asks and parses; *len gets the answer's length. */
static ldns_pkt *
ask(const char *name, ldns_rr_type t, uint16_t edns, unsigned flags,
    struct dns_resp_info *info, size_t *len)
{
	uint8_t q[512];
	size_t qn = make_query(name, t, LDNS_RR_CLASS_IN, edns, q);
	size_t n = dns_resp_answer(&V, q, qn, flags, out, sizeof(out), info);
	ldns_pkt *a = NULL;

	assert_true(n > 0);
	if (len != NULL)
		*len = n;
	assert_int_equal(ldns_wire2pkt(&a, out, n), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_id(a), 0xbeef);
	assert_true(ldns_pkt_qr(a));
	assert_false(ldns_pkt_ra(a));
	return a;
}

static ldns_rr *
answer_rr(ldns_pkt *a, size_t i)
{
	return ldns_rr_list_rr(ldns_pkt_answer(a), i);
}

static char *
rdf_text(ldns_rr *rr, size_t i)
{
	static char buf[256];
	char *s = ldns_rdf2str(ldns_rr_rdf(rr, i));

	snprintf(buf, sizeof(buf), "%s", s);
	free(s);
	return buf;
}

static void
test_soa_ns(void **state)
{
	ldns_pkt *a =
	    ask("cloud.example.org.", LDNS_RR_TYPE_SOA, 0, 0, NULL, NULL);
	ldns_rr *rr;

	(void)state;
	assert_true(ldns_pkt_aa(a));
	assert_int_equal(ldns_pkt_get_rcode(a), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(a), 1);
	rr = answer_rr(a, 0);
	assert_int_equal(ldns_rr_get_type(rr), LDNS_RR_TYPE_SOA);
	assert_string_equal(rdf_text(rr, 2), "42");
	assert_int_equal(ldns_rr_ttl(rr), 60);
	ldns_pkt_free(a);

	a = ask("Cloud.EXAMPLE.org.", LDNS_RR_TYPE_NS, 0, 0, NULL, NULL);
	assert_int_equal(ldns_pkt_ancount(a), 1);
	rr = answer_rr(a, 0);
	assert_int_equal(ldns_rr_get_type(rr), LDNS_RR_TYPE_NS);
	/* The target may be compressed to the question's spelling. */
	assert_int_equal(strcasecmp(rdf_text(rr, 0), "cloud.example.org."), 0);
	/* The name server's address as glue. */
	assert_int_equal(ldns_pkt_arcount(a), 1);
	ldns_pkt_free(a);
}

static void
test_public_address(void **state)
{
	ldns_pkt *a;

	(void)state;
	a = ask("cloud.example.org.", LDNS_RR_TYPE_A, 0, 0, NULL, NULL);
	assert_int_equal(ldns_pkt_ancount(a), 1);
	assert_string_equal(rdf_text(answer_rr(a, 0), 0), "203.0.113.5");
	ldns_pkt_free(a);
	a = ask("site1.cloud.example.org.", LDNS_RR_TYPE_A, 0, 0, NULL, NULL);
	assert_int_equal(ldns_pkt_ancount(a), 1);
	assert_string_equal(rdf_text(answer_rr(a, 0), 0), "203.0.113.5");
	ldns_pkt_free(a);
	/* No public IPv6 address: NODATA with the SOA. */
	a = ask(
	    "site1.cloud.example.org.", LDNS_RR_TYPE_AAAA, 0, 0, NULL, NULL);
	assert_int_equal(ldns_pkt_get_rcode(a), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(a), 0);
	assert_int_equal(ldns_pkt_nscount(a), 1);
	ldns_pkt_free(a);
	V.pub[1].family = 6;
	inet_pton(AF_INET6, "2001:db8::5", V.pub[1].b);
	V.n_pub = 2;
	a = ask(
	    "site1.cloud.example.org.", LDNS_RR_TYPE_AAAA, 0, 0, NULL, NULL);
	assert_int_equal(ldns_pkt_ancount(a), 1);
	assert_string_equal(rdf_text(answer_rr(a, 0), 0), "2001:db8::5");
	ldns_pkt_free(a);
	/* A cloud name outside the zone is not ours to answer. */
	strcpy(V.cloud_name, "site1.example.net");
	a = ask("site1.example.net.", LDNS_RR_TYPE_A, 0, 0, NULL, NULL);
	assert_int_equal(ldns_pkt_get_rcode(a), LDNS_RCODE_REFUSED);
	ldns_pkt_free(a);
}

static void
test_members(void **state)
{
	ldns_pkt *a;

	(void)state;
	a = ask("h2.cloud.example.org.", LDNS_RR_TYPE_A, 0, 0, NULL, NULL);
	assert_int_equal(ldns_pkt_ancount(a), 1);
	assert_string_equal(rdf_text(answer_rr(a, 0), 0), "10.0.0.12");
	ldns_pkt_free(a);
	a = ask("H3.cloud.example.org.", LDNS_RR_TYPE_AAAA, 0, 0, NULL, NULL);
	assert_int_equal(ldns_pkt_ancount(a), 1);
	assert_string_equal(rdf_text(answer_rr(a, 0), 0), "fd00::13");
	ldns_pkt_free(a);
	/* A member that left: NXDOMAIN with the SOA. */
	a = ask("h4.cloud.example.org.", LDNS_RR_TYPE_A, 0, 0, NULL, NULL);
	assert_int_equal(ldns_pkt_get_rcode(a), LDNS_RCODE_NXDOMAIN);
	assert_true(ldns_pkt_aa(a));
	assert_int_equal(ldns_pkt_nscount(a), 1);
	assert_int_equal(
	    ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_authority(a), 0)),
	    LDNS_RR_TYPE_SOA);
	ldns_pkt_free(a);
	/* Below a member: nothing there. */
	a = ask("x.h2.cloud.example.org.", LDNS_RR_TYPE_A, 0, 0, NULL, NULL);
	assert_int_equal(ldns_pkt_get_rcode(a), LDNS_RCODE_NXDOMAIN);
	ldns_pkt_free(a);
}

static void
test_srv_txt(void **state)
{
	ldns_pkt *a;
	size_t i;
	bool holder_first = false;

	(void)state;
	a = ask("_qure._udp.cloud.example.org.", LDNS_RR_TYPE_SRV, 0, 0, NULL,
	    NULL);
	assert_int_equal(ldns_pkt_ancount(a), 3);
	for (i = 0; i < 3; i++) {
		ldns_rr *rr = answer_rr(a, i);
		assert_string_equal(rdf_text(rr, 2), "5182");
		if (strcmp(rdf_text(rr, 3), "h1.cloud.example.org.") == 0)
			holder_first = strcmp(rdf_text(rr, 0), "0") == 0;
	}
	assert_true(holder_first);
	assert_int_equal(ldns_pkt_arcount(a), 6); /* A and AAAA of each */
	ldns_pkt_free(a);
	a = ask("cloud.example.org.", LDNS_RR_TYPE_TXT, 0, 0, NULL, NULL);
	assert_int_equal(ldns_pkt_ancount(a), 1);
	assert_string_equal(rdf_text(answer_rr(a, 0), 0), "\"h1\"");
	ldns_pkt_free(a);
	/* A failover shows in the next answer. */
	strcpy(V.holder, "h2");
	a = ask("cloud.example.org.", LDNS_RR_TYPE_TXT, 0, 0, NULL, NULL);
	assert_string_equal(rdf_text(answer_rr(a, 0), 0), "\"h2\"");
	ldns_pkt_free(a);
	V.holder[0] = '\0';
	a = ask("cloud.example.org.", LDNS_RR_TYPE_TXT, 0, 0, NULL, NULL);
	assert_int_equal(ldns_pkt_ancount(a), 0);
	ldns_pkt_free(a);
	/* _udp is an empty non-terminal: NODATA, not NXDOMAIN. */
	a = ask("_udp.cloud.example.org.", LDNS_RR_TYPE_SRV, 0, 0, NULL, NULL);
	assert_int_equal(ldns_pkt_get_rcode(a), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(a), 0);
	ldns_pkt_free(a);
}

static void
test_refused_any_axfr(void **state)
{
	struct dns_resp_info info;
	ldns_pkt *a;
	size_t n;

	(void)state;
	a = ask("example.com.", LDNS_RR_TYPE_A, 0, 0, &info, &n);
	assert_int_equal(ldns_pkt_get_rcode(a), LDNS_RCODE_REFUSED);
	assert_false(ldns_pkt_aa(a));
	assert_int_equal(
	    ldns_pkt_ancount(a) + ldns_pkt_nscount(a) + ldns_pkt_arcount(a), 0);
	assert_false(info.in_zone);
	ldns_pkt_free(a);
	/* A sibling whose name ends like the zone is outside it. */
	a = ask("xcloud.example.org.", LDNS_RR_TYPE_A, 0, 0, NULL, NULL);
	assert_int_equal(ldns_pkt_get_rcode(a), LDNS_RCODE_REFUSED);
	ldns_pkt_free(a);
	a = ask("cloud.example.org.", LDNS_RR_TYPE_AXFR, 0, DNS_RESP_TCP, NULL,
	    NULL);
	assert_int_equal(ldns_pkt_get_rcode(a), LDNS_RCODE_REFUSED);
	ldns_pkt_free(a);
	/* ANY: one small HINFO (RFC 8482), no amplification. */
	a = ask("cloud.example.org.", LDNS_RR_TYPE_ANY, 0, 0, NULL, NULL);
	assert_int_equal(ldns_pkt_ancount(a), 1);
	assert_int_equal(ldns_rr_get_type(answer_rr(a, 0)), LDNS_RR_TYPE_HINFO);
	ldns_pkt_free(a);
}

static void
test_edns_truncation(void **state)
{
	struct dns_resp_info info;
	ldns_pkt *a;
	size_t n;

	(void)state;
	view_reset(40);
	/* Without EDNS: 512 bytes at most; 40 SRV records do not fit. */
	a = ask(
	    "_qure._udp.cloud.example.org.", LDNS_RR_TYPE_SRV, 0, 0, &info, &n);
	assert_true(n <= DNS_UDP_PLAIN);
	assert_true(ldns_pkt_tc(a));
	assert_true(info.truncated);
	assert_false(ldns_pkt_edns(a));
	ldns_pkt_free(a);
	/* With EDNS 4096: we cap at 1232 and say so. */
	a = ask("_qure._udp.cloud.example.org.", LDNS_RR_TYPE_SRV, 4096, 0,
	    &info, &n);
	assert_true(n <= DNS_EDNS_SIZE);
	assert_true(ldns_pkt_edns(a));
	assert_int_equal(ldns_pkt_edns_udp_size(a), DNS_EDNS_SIZE);
	ldns_pkt_free(a);
	/* Over TCP: everything, glue too. */
	a = ask("_qure._udp.cloud.example.org.", LDNS_RR_TYPE_SRV, 0,
	    DNS_RESP_TCP, &info, &n);
	assert_false(ldns_pkt_tc(a));
	assert_int_equal(ldns_pkt_ancount(a), 40);
	assert_int_equal(ldns_pkt_arcount(a), 80);
	ldns_pkt_free(a);
	/* A few: all fits in 512 without EDNS. */
	view_reset(3);
	a = ask("h1.cloud.example.org.", LDNS_RR_TYPE_A, 1232, 0, &info, &n);
	assert_false(ldns_pkt_tc(a));
	assert_true(info.edns);
	ldns_pkt_free(a);
	/* A slip (rate-limited): TC and no records. */
	a = ask("h1.cloud.example.org.", LDNS_RR_TYPE_A, 0, DNS_RESP_SLIP,
	    &info, &n);
	assert_true(ldns_pkt_tc(a));
	assert_int_equal(ldns_pkt_ancount(a), 0);
	ldns_pkt_free(a);
}

/* The raw answer to raw bytes; -1 for no answer. */
static int
raw_rcode(const uint8_t *q, size_t qn, size_t *n)
{
	struct dns_resp_info info;

	*n = dns_resp_answer(&V, q, qn, 0, out, sizeof(out), &info);
	if (*n == 0) {
		assert_int_equal(info.rcode, -1);
		return -1;
	}
	assert_true(*n <= qn || info.in_zone);
	assert_int_equal(out[0], q[0]);
	assert_int_equal(out[1], q[1]);
	return out[3] & 0x0f;
}

static void
test_bad_input(void **state)
{
	uint8_t q[600], b[600];
	size_t qn, n, i;

	(void)state;
	qn = make_query(
	    "h1.cloud.example.org.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 0, q);
	/* Every truncation: nothing below a header, FORMERR after. */
	for (i = 0; i < qn; i++) {
		int rc = raw_rcode(q, i, &n);
		if (i < 12)
			assert_int_equal(rc, -1);
		else
			assert_int_equal(rc, LDNS_RCODE_FORMERR);
	}
	assert_int_equal(raw_rcode(q, qn, &n), LDNS_RCODE_NOERROR);
	/* A response is never answered. */
	memcpy(b, q, qn);
	b[2] |= 0x80;
	assert_int_equal(raw_rcode(b, qn, &n), -1);
	/* Unknown opcode (and NOTIFY, UPDATE): NOTIMP, header only. */
	for (i = 1; i < 16; i++) {
		memcpy(b, q, qn);
		b[2] = (uint8_t)((b[2] & 0x87) | (i << 3));
		assert_int_equal(raw_rcode(b, qn, &n), LDNS_RCODE_NOTIMPL);
		assert_int_equal(n, 12);
	}
	/* Huge counts: FORMERR at once, 12 bytes. */
	for (i = 4; i < 12; i += 2) {
		memcpy(b, q, qn);
		b[i] = 0xff;
		b[i + 1] = 0xff;
		assert_int_equal(raw_rcode(b, qn, &n), LDNS_RCODE_FORMERR);
		assert_int_equal(n, 12);
	}
	/* qdcount 0 */
	memcpy(b, q, qn);
	b[5] = 0;
	assert_int_equal(raw_rcode(b, qn, &n), LDNS_RCODE_FORMERR);
	/* A compression loop in the question, and a pointer at all. */
	memcpy(b, q, 12);
	b[12] = 0xc0;
	b[13] = 12;
	memset(b + 14, 0, 4);
	b[15] = 1;
	b[17] = 1;
	assert_int_equal(raw_rcode(b, 18, &n), LDNS_RCODE_FORMERR);
	/* Wrong class: CHAOS version.bind, and class NONE. */
	qn = make_query(
	    "version.bind.", LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_CH, 0, b);
	assert_int_equal(raw_rcode(b, qn, &n), LDNS_RCODE_NOTIMPL);
	qn = make_query(
	    "cloud.example.org.", LDNS_RR_TYPE_SOA, LDNS_RR_CLASS_NONE, 0, b);
	assert_int_equal(raw_rcode(b, qn, &n), LDNS_RCODE_NOTIMPL);
	/* A meta type as the question. */
	qn = make_query(
	    "cloud.example.org.", LDNS_RR_TYPE_OPT, LDNS_RR_CLASS_IN, 0, b);
	assert_int_equal(raw_rcode(b, qn, &n), LDNS_RCODE_FORMERR);
	/* Trailing garbage after the question. */
	qn = make_query(
	    "cloud.example.org.", LDNS_RR_TYPE_SOA, LDNS_RR_CLASS_IN, 0, b);
	memset(b + qn, 0xc0, 100);
	(void)raw_rcode(b, qn + 100, &n);
	/* Oversized: 4 KiB of query for a name outside the zone. */
	qn = make_query(
	    "example.com.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 4096, b);
	assert_int_equal(raw_rcode(b, qn, &n), LDNS_RCODE_REFUSED);
	assert_true(n <= qn);
}

static void
test_badvers(void **state)
{
	uint8_t q[512];
	size_t qn, n;
	ldns_pkt *a = NULL;

	(void)state;
	qn = make_query(
	    "cloud.example.org.", LDNS_RR_TYPE_SOA, LDNS_RR_CLASS_IN, 1232, q);
	q[qn - 5] = 1; /* EDNS version 1 */
	n = dns_resp_answer(&V, q, qn, 0, out, sizeof(out), NULL);
	assert_true(n > 0);
	assert_int_equal(ldns_wire2pkt(&a, out, n), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_edns_extended_rcode(a), 1); /* BADVERS */
	assert_int_equal(ldns_pkt_ancount(a), 0);
	ldns_pkt_free(a);
}

static void
test_rrl(void **state)
{
	static struct dns_rrl r;
	struct dns_addr a = {.family = 4, .b = {192, 0, 2, 7}};
	struct dns_addr b = {.family = 4, .b = {192, 0, 2, 200}};
	struct dns_addr c = {.family = 4, .b = {198, 51, 100, 1}};
	unsigned pass = 0, drop = 0, slip = 0, i;
	uint64_t now = 1000;

	(void)state;
	dns_rrl_init(&r, 20);
	/* 100 queries in one millisecond from one /24 (two hosts). */
	for (i = 0; i < 100; i++) {
		switch (dns_rrl_check(&r, i % 2 ? &a : &b, now)) {
		case DNS_RRL_PASS:
			pass++;
			break;
		case DNS_RRL_DROP:
			drop++;
			break;
		case DNS_RRL_SLIP_TC:
			slip++;
			break;
		}
	}
	assert_int_equal(pass, 20);
	assert_int_equal(slip, 40); /* slip 2: every 2nd limited one */
	assert_int_equal(drop, 40);
	assert_int_equal(r.dropped, 40);
	/* Another /24 is not limited by this one. */
	assert_int_equal(dns_rrl_check(&r, &c, now), DNS_RRL_PASS);
	/* 50 ms later: one more answer's worth. */
	now += 50;
	assert_int_equal(dns_rrl_check(&r, &a, now), DNS_RRL_PASS);
	assert_int_not_equal(dns_rrl_check(&r, &a, now), DNS_RRL_PASS);
	/* A steady 20/s passes. */
	for (i = 0; i < 200; i++) {
		now += 50;
		assert_int_equal(dns_rrl_check(&r, &a, now), DNS_RRL_PASS);
	}
	/* Many prefixes: the table stays bounded, each new one passes. */
	for (i = 0; i < 5000; i++) {
		struct dns_addr d = {
		    .family = 4, .b = {10, (uint8_t)(i >> 8), (uint8_t)i, 1}};
		assert_int_equal(dns_rrl_check(&r, &d, now), DNS_RRL_PASS);
	}
	/* Off. */
	dns_rrl_init(&r, 0);
	for (i = 0; i < 100; i++)
		assert_int_equal(dns_rrl_check(&r, &a, now), DNS_RRL_PASS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_soa_ns, setup),
	    cmocka_unit_test_setup(test_public_address, setup),
	    cmocka_unit_test_setup(test_members, setup),
	    cmocka_unit_test_setup(test_srv_txt, setup),
	    cmocka_unit_test_setup(test_refused_any_axfr, setup),
	    cmocka_unit_test_setup(test_edns_truncation, setup),
	    cmocka_unit_test_setup(test_bad_input, setup),
	    cmocka_unit_test_setup(test_badvers, setup),
	    cmocka_unit_test(test_rrl),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
