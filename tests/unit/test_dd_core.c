/*
 * tests/unit/test_dd_core.c — the pure half of the dynamic DNS update
 * (dns/dd_core.c): the UPDATE as BIND would read it, the checks of the
 * answer (rcode, TSIG, truncation, strangers), the backoff, the address
 * classes, the HTTP check's body, the secret file's text.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ldns/ldns.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dns/dd_core.h"

#define SECRET "c2VjcmV0IHNlY3JldCBzZWNyZXQgc2VjcmV0IQ=="
#define OTHER "b3RoZXIgc2VjcmV0IG90aGVyIHNlY3JldCEhIQ=="

static struct dd_update *
build(uint8_t **wire, size_t *len, bool v6)
{
	struct dd_update_req req = {
	    .name = "site1.cloud.example.test",
	    .zone = "cloud.example.test",
	    .ttl = 60,
	    .key_name = "site1-key",
	    .secret = SECRET,
	    .id = 0x1234,
	};
	char err[DD_ERR_LEN];
	struct dd_update *u;

	req.addr.has4 = true;
	inet_pton(AF_INET, "203.0.113.5", &req.addr.a4);
	if (v6) {
		req.addr.has6 = true;
		inet_pton(AF_INET6, "2001:db8::5", &req.addr.a6);
	}
	u = dd_update_new(&req, wire, len, err, sizeof(err));
	assert_non_null(u);
	return u;
}

static void
test_update_wire(void **state)
{
	uint8_t *wire;
	size_t len;
	struct dd_update *u = build(&wire, &len, true);
	ldns_pkt *p;
	ldns_rr_list *up;
	ldns_rr *rr;
	char *s;

	(void)state;
	assert_int_equal(ldns_wire2pkt(&p, wire, len), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_get_opcode(p), LDNS_PACKET_UPDATE);
	assert_int_equal(ldns_pkt_id(p), 0x1234);
	assert_false(ldns_pkt_qr(p));
	assert_false(ldns_pkt_rd(p));
	/* Zone section: the zone, SOA, IN. */
	assert_int_equal(ldns_pkt_qdcount(p), 1);
	rr = ldns_rr_list_rr(ldns_pkt_question(p), 0);
	s = ldns_rdf2str(ldns_rr_owner(rr));
	assert_string_equal(s, "cloud.example.test.");
	free(s);
	assert_int_equal(ldns_rr_get_type(rr), LDNS_RR_TYPE_SOA);
	/* Update section: delete the A RRset, add the A; the same for AAAA. */
	up = ldns_pkt_authority(p);
	assert_int_equal(ldns_rr_list_rr_count(up), 4);
	rr = ldns_rr_list_rr(up, 0);
	assert_int_equal(ldns_rr_get_class(rr), LDNS_RR_CLASS_ANY);
	assert_int_equal(ldns_rr_get_type(rr), LDNS_RR_TYPE_A);
	assert_int_equal(ldns_rr_ttl(rr), 0);
	assert_int_equal(ldns_rr_rd_count(rr), 0);
	rr = ldns_rr_list_rr(up, 1);
	s = ldns_rr2str(rr);
	assert_non_null(strstr(s, "site1.cloud.example.test.\t60\tIN\tA\t"
				  "203.0.113.5"));
	free(s);
	assert_int_equal(
	    ldns_rr_get_type(ldns_rr_list_rr(up, 2)), LDNS_RR_TYPE_AAAA);
	assert_int_equal(
	    ldns_rr_get_class(ldns_rr_list_rr(up, 2)), LDNS_RR_CLASS_ANY);
	s = ldns_rr2str(ldns_rr_list_rr(up, 3));
	assert_non_null(strstr(s, "AAAA\t2001:db8::5"));
	free(s);
	/* TSIG hmac-sha256 under our key, verifiable with the secret. */
	assert_non_null(ldns_pkt_tsig(p));
	s = ldns_rdf2str(ldns_rr_rdf(ldns_pkt_tsig(p), 0));
	assert_string_equal(s, "hmac-sha256.");
	free(s);
	assert_true(
	    ldns_pkt_tsig_verify(p, wire, len, "site1-key.", SECRET, NULL));
	assert_false(
	    ldns_pkt_tsig_verify(p, wire, len, "site1-key.", OTHER, NULL));
	ldns_pkt_free(p);
	free(wire);
	dd_update_free(u);
}

/* The server's answer to wire: rcode, signed with secret (NULL: not). */
static void
server_answer(const uint8_t *wire, size_t len, unsigned rcode,
    const char *secret, bool tc, uint8_t **out, size_t *olen)
{
	ldns_pkt *q, *a;

	assert_int_equal(ldns_wire2pkt(&q, wire, len), LDNS_STATUS_OK);
	a = ldns_pkt_new();
	ldns_pkt_set_id(a, ldns_pkt_id(q));
	ldns_pkt_set_qr(a, true);
	ldns_pkt_set_tc(a, tc);
	ldns_pkt_set_opcode(a, LDNS_PACKET_UPDATE);
	ldns_pkt_set_rcode(a, (uint8_t)rcode);
	ldns_pkt_push_rr(a, LDNS_SECTION_QUESTION,
	    ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(q), 0)));
	if (secret != NULL)
		assert_int_equal(
		    ldns_pkt_tsig_sign(a, "site1-key.", secret, 300,
			"hmac-sha256.", ldns_rr_rdf(ldns_pkt_tsig(q), 3)),
		    LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt2wire(out, a, olen), LDNS_STATUS_OK);
	ldns_pkt_free(a);
	ldns_pkt_free(q);
}

static void
test_answer_ok(void **state)
{
	uint8_t *wire, *ans;
	size_t len, alen;
	struct dd_update *u = build(&wire, &len, false);
	char err[DD_ERR_LEN * 2];

	(void)state;
	server_answer(wire, len, 0, SECRET, false, &ans, &alen);
	assert_int_equal(
	    dd_answer_check(u, ans, alen, err, sizeof(err)), DD_ANS_OK);
	/* One bit flipped in the signed part: the TSIG no longer verifies. */
	ans[alen - 40] ^= 1;
	assert_int_equal(
	    dd_answer_check(u, ans, alen, err, sizeof(err)), DD_ANS_REFUSED);
	free(ans);
	free(wire);
	dd_update_free(u);
}

static void
test_answer_refused(void **state)
{
	uint8_t *wire, *ans;
	size_t len, alen;
	struct dd_update *u = build(&wire, &len, false);
	char err[DD_ERR_LEN * 2];

	(void)state;
	/* Signed with another secret. */
	server_answer(wire, len, 0, OTHER, false, &ans, &alen);
	assert_int_equal(
	    dd_answer_check(u, ans, alen, err, sizeof(err)), DD_ANS_REFUSED);
	assert_non_null(strstr(err, "does not verify"));
	free(ans);
	/* NOERROR but unsigned: not to be believed. */
	server_answer(wire, len, 0, NULL, false, &ans, &alen);
	assert_int_equal(
	    dd_answer_check(u, ans, alen, err, sizeof(err)), DD_ANS_REFUSED);
	assert_non_null(strstr(err, "not signed"));
	free(ans);
	/* REFUSED by the update-policy. */
	server_answer(wire, len, 5, NULL, false, &ans, &alen);
	assert_int_equal(
	    dd_answer_check(u, ans, alen, err, sizeof(err)), DD_ANS_REFUSED);
	assert_non_null(strstr(err, "REFUSED"));
	assert_non_null(strstr(err, "update-policy"));
	free(ans);
	/* Truncated: over TCP. */
	server_answer(wire, len, 0, NULL, true, &ans, &alen);
	assert_int_equal(
	    dd_answer_check(u, ans, alen, err, sizeof(err)), DD_ANS_TRUNCATED);
	/* Another id: not ours. */
	ans[1] ^= 0xff;
	assert_int_equal(
	    dd_answer_check(u, ans, alen, err, sizeof(err)), DD_ANS_NOT_OURS);
	free(ans);
	free(wire);
	dd_update_free(u);
}

static void
test_answer_badsig(void **state)
{
	/* What BIND sends for a wrong secret: NOTAUTH, TSIG error BADSIG,
	 * an empty MAC (RFC 8945 §5.3.2). */
	static const uint8_t hdr[] = {
	    0x12, 0x34, 0xa8, 0x09, 0, 1, 0, 0, 0, 0, 0, 1};
	static const uint8_t zone[] = {5, 'c', 'l', 'o', 'u', 'd', 7, 'e', 'x',
	    'a', 'm', 'p', 'l', 'e', 4, 't', 'e', 's', 't', 0, 0, 6, 0, 1};
	static const uint8_t tsig[] = {9, 's', 'i', 't', 'e', '1', '-', 'k',
	    'e', 'y', 0, 0, 250, 0, 255, 0, 0, 0, 0, 0, 29, 11, 'h', 'm', 'a',
	    'c', '-', 's', 'h', 'a', '2', '5', '6', 0, 0, 0, 0x65, 0x53, 0xf1,
	    0x00, 0x01, 0x2c, 0, 0, 0x12, 0x34, 0, 16, 0, 0};
	uint8_t ans[sizeof(hdr) + sizeof(zone) + sizeof(tsig)];
	uint8_t *wire;
	size_t len;
	struct dd_update *u = build(&wire, &len, false);
	char err[DD_ERR_LEN * 2];

	(void)state;
	memcpy(ans, hdr, sizeof(hdr));
	memcpy(ans + sizeof(hdr), zone, sizeof(zone));
	memcpy(ans + sizeof(hdr) + sizeof(zone), tsig, sizeof(tsig));
	assert_int_equal(dd_answer_check(u, ans, sizeof(ans), err, sizeof(err)),
	    DD_ANS_REFUSED);
	assert_non_null(strstr(err, "NOTAUTH"));
	assert_non_null(strstr(err, "BADSIG"));
	/* Cut short: malformed, refused, no crash. */
	assert_int_equal(
	    dd_answer_check(u, ans, sizeof(ans) - 5, err, sizeof(err)),
	    DD_ANS_REFUSED);
	assert_int_equal(
	    dd_answer_check(u, ans, 11, err, sizeof(err)), DD_ANS_NOT_OURS);
	/* A query (QR clear) with our id is not an answer. */
	ans[2] &= 0x7f;
	assert_int_equal(dd_answer_check(u, ans, sizeof(ans), err, sizeof(err)),
	    DD_ANS_NOT_OURS);
	free(wire);
	dd_update_free(u);
}

static void
test_backoff(void **state)
{
	uint64_t lo, hi;
	unsigned f;

	(void)state;
	assert_int_equal(dd_backoff_ms(1, 0), 750);
	assert_int_equal(dd_backoff_ms(1, UINT32_MAX) <= 1250, true);
	for (f = 1; f < 40; f++) {
		uint64_t step = f <= 9 ? 1000ull << (f - 1) : 300000;

		if (step > 300000)
			step = 300000;
		lo = dd_backoff_ms(f, 0);
		hi = dd_backoff_ms(f, UINT32_MAX);
		assert_true(lo >= step * 3 / 4);
		assert_true(hi <= 300000);
		assert_true(hi <= step * 5 / 4);
		assert_true(dd_backoff_ms(f, 12345) >= lo);
	}
	assert_true(dd_backoff_ms(4, 0) > dd_backoff_ms(3, UINT32_MAX) / 2);
	assert_int_equal(dd_backoff_ms(1000, 7) <= 300000, true);
	assert_int_equal(dd_backoff_ms(0, 0), 750);
}

static bool
reach4(const char *s, const char **why)
{
	struct dd_addr a = {.has4 = true};

	assert_int_equal(inet_pton(AF_INET, s, &a.a4), 1);
	return dd_addr_reachable(&a, why);
}

static bool
reach6(const char *s, const char **why)
{
	struct dd_addr a = {.has6 = true};

	assert_int_equal(inet_pton(AF_INET6, s, &a.a6), 1);
	return dd_addr_reachable(&a, why);
}

static void
test_reachable(void **state)
{
	const char *why;
	struct dd_addr none = {0};

	(void)state;
	assert_false(reach4("10.1.2.3", &why));
	assert_non_null(strstr(why, "RFC 1918"));
	assert_false(reach4("172.16.0.1", &why));
	assert_false(reach4("172.31.255.255", &why));
	assert_true(reach4("172.32.0.1", &why));
	assert_null(why);
	assert_false(reach4("192.168.1.1", &why));
	assert_false(reach4("100.64.0.1", &why));
	assert_non_null(strstr(why, "carrier-grade NAT"));
	assert_false(reach4("100.127.255.255", &why));
	assert_true(reach4("100.128.0.1", &why));
	assert_true(reach4("100.63.255.255", &why));
	assert_false(reach4("127.0.0.1", &why));
	assert_false(reach4("169.254.1.1", &why));
	assert_false(reach4("203.0.113.5", &why));
	assert_non_null(strstr(why, "documentation"));
	assert_false(reach4("198.51.100.7", &why));
	assert_false(reach4("192.0.2.1", &why));
	assert_false(reach4("198.18.0.1", &why));
	assert_false(reach4("224.0.0.1", &why));
	assert_false(reach4("255.255.255.255", &why));
	assert_false(reach4("0.1.2.3", &why));
	assert_true(reach4("8.8.8.8", &why));
	assert_true(reach4("81.2.69.160", &why));
	assert_false(reach6("fd00::1", &why));
	assert_false(reach6("fe80::1", &why));
	assert_false(reach6("2001:db8::1", &why));
	assert_false(reach6("::1", &why));
	assert_false(reach6("::ffff:8.8.8.8", &why));
	assert_true(reach6("2a00:1450::1", &why));
	assert_false(dd_addr_reachable(&none, &why));
	assert_non_null(why);
}

static int
body(const char *s, char *text, size_t len)
{
	struct dd_addr a;

	if (dd_body_parse(s, strlen(s), &a) == -1)
		return -1;
	dd_addr_text(&a, text, len);
	return 0;
}

static void
test_body(void **state)
{
	char t[96], big[DD_BODY_MAX + 2];

	(void)state;
	assert_int_equal(body("203.0.113.5\n", t, sizeof(t)), 0);
	assert_string_equal(t, "203.0.113.5");
	assert_int_equal(body("  198.51.100.7", t, sizeof(t)), 0);
	assert_string_equal(t, "198.51.100.7");
	assert_int_equal(
	    body("<html><body>Current IP Address: 192.0.2.44</body></html>", t,
		sizeof(t)),
	    0);
	assert_string_equal(t, "192.0.2.44");
	assert_int_equal(body("2001:db8::5\r\n", t, sizeof(t)), 0);
	assert_string_equal(t, "2001:db8::5");
	assert_int_equal(body("", t, sizeof(t)), -1);
	assert_int_equal(body("no address", t, sizeof(t)), -1);
	assert_int_equal(body("999.1.1.1 1.2.3 1.2.3.4.5", t, sizeof(t)), -1);
	assert_int_equal(body("deadbeef::cafe::1", t, sizeof(t)), -1);
	assert_int_equal(body("1.2.3.4444444444444444444444444444444444444444"
			      "4444444444444",
			     t, sizeof(t)),
	    -1);
	memset(big, ' ', sizeof(big));
	memcpy(big, "203.0.113.5", 11);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(body(big, t, sizeof(t)), -1); /* too long */
	/* A NUL inside is a separator, not the end. */
	{
		struct dd_addr a;

		assert_int_equal(dd_body_parse("x\0"
					       "10.0.0.1",
				     10, &a),
		    0);
		assert_true(a.has4);
	}
}

static void
test_secret_and_zone(void **state)
{
	char s[128], z[64];

	(void)state;
	strcpy(s, SECRET "\n");
	assert_int_equal(dd_secret_check(s, strlen(s)), 0);
	assert_string_equal(s, SECRET);
	strcpy(s, "secret \"" SECRET "\";");
	assert_int_equal(dd_secret_check(s, strlen(s)), -1);
	strcpy(s, "c2hvcnQ=");
	assert_int_equal(dd_secret_check(s, strlen(s)), -1);
	strcpy(s, "\n");
	assert_int_equal(dd_secret_check(s, strlen(s)), -1);
	assert_int_equal(
	    dd_zone_of("site1.cloud.example.org", z, sizeof(z)), 0);
	assert_string_equal(z, "cloud.example.org");
	assert_int_equal(dd_zone_of("org", z, sizeof(z)), -1);
	assert_int_equal(dd_zone_of("org.", z, sizeof(z)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_update_wire),
	    cmocka_unit_test(test_answer_ok),
	    cmocka_unit_test(test_answer_refused),
	    cmocka_unit_test(test_answer_badsig),
	    cmocka_unit_test(test_backoff),
	    cmocka_unit_test(test_reachable),
	    cmocka_unit_test(test_body),
	    cmocka_unit_test(test_secret_and_zone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
