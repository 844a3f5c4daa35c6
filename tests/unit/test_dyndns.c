/*
 * tests/unit/test_dyndns.c — the edge of the dynamic DNS update
 * (dns/dyndns.c) on its own loop, against servers on 127.0.0.1 that this
 * test plays: an HTTP check that accepts and never answers, a DNS server
 * that never answers, one that truncates over UDP and answers (signed)
 * over TCP, an HTTP check that answers with an IPv6 address; a 50 ms
 * ticker shows that the loop never stalls meanwhile.
 * And the secret file: readable by others, or not a bare secret, refused.
 */
#include "config.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <ldns/ldns.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/clock.h"
#include "dns/dyndns.h"

#define SECRET "c2VjcmV0IHNlY3JldCBzZWNyZXQgc2VjcmV0IQ=="

static char dir[] = "/tmp/qure-dyndns.XXXXXX";
static char secret_path[64];

/* The loopback address of family, on port (0: any); its length. */
static socklen_t
loopback(int family, uint16_t port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sa = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sa6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		sa6->sin6_family = AF_INET6;
		sa6->sin6_addr = in6addr_loopback;
		sa6->sin6_port = htons(port);
		return sizeof(*sa6);
	}
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa->sin_port = htons(port);
	return sizeof(*sa);
}

/* A socket bound on the loopback of family, on *port (0: any, then
 * set); -1 when that family has no loopback here (IPv6 off). */
static int
bound_on(int family, int type, uint16_t *port)
{
	struct sockaddr_storage sa;
	socklen_t len = loopback(family, *port, &sa);
	int fd = socket(family, type | SOCK_CLOEXEC, 0);

	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, len) == -1) {
		assert_true(family == AF_INET6);
		close(fd);
		return -1;
	}
	assert_true(fd >= 0 || family == AF_INET6);
	if (fd < 0)
		return -1;
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(((struct sockaddr_in *)&sa)->sin_port);
	if (type == SOCK_STREAM)
		assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static int
bound(int type, uint16_t *port)
{
	*port = 0;
	return bound_on(AF_INET, type, port);
}

static void
base_conf(struct dyndns_conf *c, uint16_t dns_port)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "site.cloud.example.test");
	c->server.s_addr = htonl(INADDR_LOOPBACK);
	c->port = dns_port;
	snprintf(c->tsig_name, sizeof(c->tsig_name), "site-key");
	snprintf(c->tsig_secret_file, sizeof(c->tsig_secret_file), "%s",
	    secret_path);
	c->source = DYNDNS_SRC_STATIC;
	inet_pton(AF_INET, "192.0.2.7", &c->static_addr);
	c->allow_private = true;
	c->refresh_ms = 600000;
	c->ttl = 60;
}

struct ticker {
	struct event *ev;
	unsigned n;
	uint64_t last, worst; /* the longest gap between ticks, ms */
};

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ticker *t = arg;
	uint64_t now = clock_now_ms();

	(void)fd;
	(void)what;
	if (t->last != 0 && now - t->last > t->worst)
		t->worst = now - t->last;
	t->last = now;
	t->n++;
}

static void
run_for(struct event_base *base, unsigned ms, struct ticker *t)
{
	struct timeval tick = {0, 50000}, end = {ms / 1000, (ms % 1000) * 1000};

	t->ev = event_new(base, -1, EV_PERSIST, tick_cb, t);
	event_add(t->ev, &tick);
	event_base_loopexit(base, &end);
	event_base_dispatch(base);
	event_free(t->ev);
}

static int
setup(void **state)
{
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(secret_path, sizeof(secret_path), "%s/tsig.key", dir);
	f = fopen(secret_path, "w");
	assert_non_null(f);
	fprintf(f, "%s\n", SECRET);
	fclose(f);
	chmod(secret_path, 0600);
	return 0;
}

static int
teardown(void **state)
{
	char p[96];

	(void)state;
	unlink(secret_path);
	snprintf(p, sizeof(p), "%s/open.key", dir);
	unlink(p);
	rmdir(dir);
	return 0;
}

/* An HTTP check that never answers and a DNS server that never answers:
 * both end in an error after their timeouts; the loop ticks throughout. */
static void
silent_peers_time_out_without_stalling_the_loop(void **state)
{
	struct event_base *base = event_base_new();
	struct dyndns_conf c1, c2, c3;
	struct dyndns *http, *dns, *closed;
	struct dyndns_status st;
	struct ticker t = {0};
	uint16_t hport, uport;
	int hfd = bound(SOCK_STREAM, &hport), ufd = bound(SOCK_DGRAM, &uport);
	char err[256];
	uint64_t t0;

	(void)state;
	base_conf(&c1, uport);
	c1.source = DYNDNS_SRC_HTTP;
	snprintf(c1.url, sizeof(c1.url), "http://127.0.0.1:%u/ip", hport);
	base_conf(&c2, uport);
	http = dyndns_new(base, &c1, err, sizeof(err));
	assert_non_null(http);
	/* A port with nobody listening: refused at once. */
	c3 = c1;
	snprintf(c3.url, sizeof(c3.url), "http://127.0.0.1:%u/ip", uport);
	closed = dyndns_new(base, &c3, err, sizeof(err));
	assert_non_null(closed);
	dyndns_set_holder(closed, true);
	dns = dyndns_new(base, &c2, err, sizeof(err));
	assert_non_null(dns);
	t0 = clock_now_ms();
	dyndns_set_holder(http, true);
	dyndns_set_holder(dns, true);
	assert_true(clock_now_ms() - t0 < 100);
	dyndns_get_status(dns, &st);
	assert_string_equal(st.status, "updating");
	assert_string_equal(st.public_address, "192.0.2.7");
	assert_string_equal(st.source, "static");
	assert_true(st.reachable_known);
	assert_false(st.reachable);
	run_for(base, 6000, &t);
	assert_true(t.n >= 80);	    /* 6 s of 50 ms ticks */
	assert_true(t.worst < 500); /* never stalled */
	dyndns_get_status(http, &st);
	assert_string_equal(st.status, "error");
	assert_non_null(strstr(st.last_error, "did not answer within 5 s"));
	assert_string_equal(st.public_address, "");
	assert_false(st.reachable_known);
	dyndns_get_status(closed, &st);
	assert_string_equal(st.status, "error");
	assert_non_null(strstr(st.last_error, "could not be reached"));
	dyndns_free(closed);
	dyndns_get_status(dns, &st);
	assert_string_equal(st.status, "error");
	assert_non_null(strstr(st.last_error, "no answer from the DNS server"));
	assert_string_equal(st.last_update, "");
	/* Counted (issue 14's qure_cloud_dns_errors_total): none accepted,
	 * at least the first cycle failed. */
	assert_int_equal(st.updates, 0);
	assert_true(st.errors >= 1);
	/* Leaving the holder stops everything. */
	dyndns_set_holder(dns, false);
	dyndns_get_status(dns, &st);
	assert_string_equal(st.status, "standby");
	dyndns_free(http);
	dyndns_free(dns);
	close(hfd);
	close(ufd);
	event_base_free(base);
}

/* The server plays: TC over UDP, then a signed NOERROR over TCP. */
struct server {
	int ufd, lfd, cfd;
	struct event *uev, *lev, *cev;
	struct event_base *base;
	unsigned udp_seen, tcp_seen;
	uint8_t buf[4096];
	size_t have;
};

static void
udp_server_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	uint8_t q[4096], a[12];
	ssize_t n =
	    recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from, &flen);

	(void)what;
	if (n < 12)
		return;
	s->udp_seen++;
	memset(a, 0, sizeof(a));
	a[0] = q[0];
	a[1] = q[1];
	a[2] = 0x80 | (5 << 3) | 0x02; /* QR, UPDATE, TC */
	sendto(fd, a, sizeof(a), 0, (struct sockaddr *)&from, flen);
}

static void
tcp_conn_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;
	ssize_t n = read(fd, s->buf + s->have, sizeof(s->buf) - s->have);
	size_t len, alen;
	ldns_pkt *q, *a;
	uint8_t *wire, hdr[2];

	(void)what;
	if (n <= 0) {
		event_del(s->cev);
		return;
	}
	s->have += (size_t)n;
	if (s->have < 2 || s->have < 2 + ((size_t)s->buf[0] << 8 | s->buf[1]))
		return;
	len = (size_t)s->buf[0] << 8 | s->buf[1];
	s->tcp_seen++;
	assert_int_equal(ldns_wire2pkt(&q, s->buf + 2, len), LDNS_STATUS_OK);
	assert_true(ldns_pkt_tsig_verify(
	    q, s->buf + 2, len, "site-key.", SECRET, NULL));
	a = ldns_pkt_new();
	ldns_pkt_set_id(a, ldns_pkt_id(q));
	ldns_pkt_set_qr(a, true);
	ldns_pkt_set_opcode(a, LDNS_PACKET_UPDATE);
	assert_int_equal(ldns_pkt_tsig_sign(a, "site-key.", SECRET, 300,
			     "hmac-sha256.", ldns_rr_rdf(ldns_pkt_tsig(q), 3)),
	    LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt2wire(&wire, a, &alen), LDNS_STATUS_OK);
	hdr[0] = (uint8_t)(alen >> 8);
	hdr[1] = (uint8_t)alen;
	assert_int_equal(write(fd, hdr, 2), 2);
	assert_int_equal(write(fd, wire, alen), (ssize_t)alen);
	free(wire);
	ldns_pkt_free(a);
	ldns_pkt_free(q);
}

static void
tcp_accept_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;

	(void)what;
	s->cfd = accept(fd, NULL, NULL);
	assert_true(s->cfd >= 0);
	s->cev =
	    event_new(s->base, s->cfd, EV_READ | EV_PERSIST, tcp_conn_cb, s);
	event_add(s->cev, NULL);
}

/* A server of family: TC over UDP, the answer over TCP. */
static void
truncated_goes_over_tcp_on(int family)
{
	struct event_base *base = event_base_new();
	struct server s = {.base = base, .cfd = -1};
	struct dyndns_conf c;
	struct dyndns *d;
	struct dyndns_status st;
	struct ticker t = {0};
	uint16_t port = 0;
	char err[256];

	/* UDP and TCP on the same port number. */
	s.lfd = bound_on(family, SOCK_STREAM, &port);
	if (s.lfd == -1) {
		event_base_free(base);
		skip(); /* no IPv6 loopback here */
	}
	s.ufd = bound_on(family, SOCK_DGRAM, &port);
	assert_true(s.ufd >= 0);
	s.uev = event_new(base, s.ufd, EV_READ | EV_PERSIST, udp_server_cb, &s);
	s.lev = event_new(base, s.lfd, EV_READ | EV_PERSIST, tcp_accept_cb, &s);
	event_add(s.uev, NULL);
	event_add(s.lev, NULL);
	base_conf(&c, port);
	if (family == AF_INET6) {
		c.server_family = AF_INET6;
		c.server6 = in6addr_loopback;
		c.server.s_addr = 0;
	}
	d = dyndns_new(base, &c, err, sizeof(err));
	assert_non_null(d);
	dyndns_set_holder(d, true);
	run_for(base, 1000, &t);
	assert_int_equal(s.udp_seen, 1);
	assert_int_equal(s.tcp_seen, 1);
	dyndns_get_status(d, &st);
	assert_string_equal(st.status, "ok");
	assert_string_equal(st.last_error, "");
	assert_int_equal(st.updates, 1); /* counted, issue 14 */
	assert_int_equal(st.errors, 0);
	assert_int_equal(strlen(st.last_update), 20); /* 2026-12-03T16:00:00Z */
	assert_int_equal(st.last_update[10], 'T');
	/* Holder again at once: the same address within 30 s is not sent. */
	dyndns_set_holder(d, false);
	dyndns_set_holder(d, true);
	run_for(base, 300, &t);
	assert_int_equal(s.udp_seen, 1);
	dyndns_get_status(d, &st);
	assert_string_equal(st.status, "ok");
	dyndns_free(d);
	if (s.cev != NULL)
		event_free(s.cev);
	if (s.cfd != -1)
		close(s.cfd);
	event_free(s.uev);
	event_free(s.lev);
	close(s.ufd);
	close(s.lfd);
	event_base_free(base);
}

static void
truncated_over_udp_goes_over_tcp(void **state)
{
	(void)state;
	truncated_goes_over_tcp_on(AF_INET);
}

/* [cloud] server over IPv6: the same exchange with a server on ::1. */
static void
truncated_over_udp_goes_over_tcp_on_ipv6(void **state)
{
	(void)state;
	truncated_goes_over_tcp_on(AF_INET6);
}

/* The router seam: the caller's router answers later, from the loop. */
struct fake_router {
	struct event *ev;
	struct dyndns *d;
	unsigned asked;
	const char *addr, *source;
};

static void
fake_answer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fake_router *r = arg;
	struct dyndns_router_answer a = {.ok = true, .source = r->source};

	(void)fd;
	(void)what;
	if (r->addr == NULL) { /* miniupnpd with a reserved WAN address */
		a.ok = false;
		a.error = "UPnP GetExternalIPAddress: 501";
		a.unreachable = "the router has no public external address";
	}
	inet_pton(AF_INET, r->addr != NULL ? r->addr : "0.0.0.0", &a.addr);
	dyndns_router_answer(r->d, &a);
	dyndns_router_answer(r->d, &a); /* a second answer: ignored */
}

static void
fake_ask(void *arg)
{
	struct fake_router *r = arg;
	struct timeval soon = {0, 20000};

	r->asked++;
	evtimer_add(r->ev, &soon);
}

static void
router_answers_through_the_seam(void **state)
{
	struct event_base *base = event_base_new();
	struct fake_router r = {.addr = "100.64.1.2", .source = "natpmp"};
	struct dyndns_conf c;
	struct dyndns_status st;
	struct ticker t = {0};
	struct in_addr a;
	char err[256];

	(void)state;
	/* Carrier-grade NAT: said, not published without allow-private. */
	base_conf(&c, 9);
	c.source = DYNDNS_SRC_AUTO;
	c.allow_private = false;
	r.ev = evtimer_new(base, fake_answer_cb, &r);
	r.d = dyndns_new(base, &c, err, sizeof(err));
	assert_non_null(r.d);
	assert_int_equal(dyndns_public_v4(r.d, &a), -1);
	dyndns_set_router(r.d, fake_ask, &r);
	dyndns_set_holder(r.d, true);
	run_for(base, 200, &t);
	assert_int_equal(r.asked, 1);
	dyndns_get_status(r.d, &st);
	assert_string_equal(st.status, "unpublished");
	assert_string_equal(st.public_address, "100.64.1.2");
	assert_string_equal(st.source, "natpmp");
	assert_true(st.reachable_known);
	assert_false(st.reachable);
	assert_non_null(strstr(st.reason, "carrier-grade NAT"));
	assert_int_equal(dyndns_public_v4(r.d, &a), 0);
	dyndns_free(r.d);
	/* A router that has no public address to give: no address, but
	 * the verdict, with the router's reason. */
	r.addr = NULL;
	r.d = dyndns_new(base, &c, err, sizeof(err));
	assert_non_null(r.d);
	dyndns_set_router(r.d, fake_ask, &r);
	dyndns_set_holder(r.d, true);
	run_for(base, 200, &t);
	dyndns_get_status(r.d, &st);
	assert_string_equal(st.public_address, "");
	assert_true(st.reachable_known);
	assert_false(st.reachable);
	assert_non_null(strstr(st.reason, "no public external address"));
	assert_int_equal(dyndns_public_v4(r.d, &a), -1);
	dyndns_free(r.d);
	r.addr = "100.64.1.2";
	/* No router and no check URL: an error that says so. */
	r.d = dyndns_new(base, &c, err, sizeof(err));
	assert_non_null(r.d);
	dyndns_set_holder(r.d, true);
	run_for(base, 100, &t);
	dyndns_get_status(r.d, &st);
	assert_string_equal(st.status, "error");
	assert_non_null(strstr(st.last_error, "no UPnP IGD or NAT-PMP client"));
	assert_non_null(strstr(st.last_error, "no [cloud] check-url"));
	dyndns_free(r.d);
	/* A static address is known on every member from the start. */
	base_conf(&c, 9);
	r.d = dyndns_new(base, &c, err, sizeof(err));
	assert_int_equal(dyndns_public_v4(r.d, &a), 0);
	assert_int_equal(a.s_addr, c.static_addr.s_addr);
	dyndns_get_status(r.d, &st);
	assert_string_equal(st.status, "standby");
	dyndns_free(r.d);
	event_free(r.ev);
	event_base_free(base);
}

/* The check URL's answer: the caller's address, an IPv6 one here. */
static void
echo_v6_cb(struct evhttp_request *req, void *arg)
{
	struct evbuffer *body = evbuffer_new();

	(void)arg;
	evbuffer_add_printf(body, "2001:db8::7\n");
	evhttp_send_reply(req, HTTP_OK, "OK", body);
	evbuffer_free(body);
}

/* An IPv6 public address is kept as such: the zone's AAAA. */
static void
http_check_gives_an_ipv6_public_address(void **state)
{
	struct event_base *base = event_base_new();
	struct evhttp *http = evhttp_new(base);
	struct evhttp_bound_socket *bs;
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	struct dyndns_conf c;
	struct dyndns *d;
	struct dyndns_status st;
	struct ticker t = {0};
	struct in6_addr a6, want;
	struct in_addr a4;
	char err[256];

	(void)state;
	bs = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
	assert_non_null(bs);
	assert_int_equal(getsockname(evhttp_bound_socket_get_fd(bs),
			     (struct sockaddr *)&sa, &len),
	    0);
	evhttp_set_gencb(http, echo_v6_cb, NULL);
	base_conf(&c, 9); /* nothing answers the update: not the point */
	c.source = DYNDNS_SRC_HTTP;
	snprintf(
	    c.url, sizeof(c.url), "http://127.0.0.1:%u/ip", ntohs(sa.sin_port));
	d = dyndns_new(base, &c, err, sizeof(err));
	assert_non_null(d);
	assert_int_equal(dyndns_public_v6(d, &a6), -1);
	dyndns_set_holder(d, true);
	run_for(base, 300, &t);
	inet_pton(AF_INET6, "2001:db8::7", &want);
	assert_int_equal(dyndns_public_v6(d, &a6), 0);
	assert_memory_equal(&a6, &want, sizeof(want));
	assert_int_equal(dyndns_public_v4(d, &a4), -1);
	dyndns_get_status(d, &st);
	assert_string_equal(st.public_address, "2001:db8::7");
	assert_string_equal(st.source, "http");
	dyndns_free(d);
	evhttp_free(http);
	event_base_free(base);
}

static void
secret_file_refused(void **state)
{
	struct event_base *base = event_base_new();
	struct dyndns_conf c;
	char err[512], p[96];
	FILE *f;

	(void)state;
	base_conf(&c, 53);
	snprintf(p, sizeof(p), "%s/open.key", dir);
	f = fopen(p, "w");
	assert_non_null(f);
	fprintf(f, "%s\n", SECRET);
	fclose(f);
	chmod(p, 0644);
	snprintf(c.tsig_secret_file, sizeof(c.tsig_secret_file), "%s", p);
	assert_null(dyndns_new(base, &c, err, sizeof(err)));
	assert_non_null(strstr(err, "readable or writable by group or others"));
	assert_non_null(strstr(err, "run chmod 600"));
	/* The whole key clause instead of the bare secret. */
	chmod(p, 0600);
	f = fopen(p, "w");
	assert_non_null(f);
	fprintf(f, "key \"site-key\" {\n\tsecret \"%s\";\n};\n", SECRET);
	fclose(f);
	assert_null(dyndns_new(base, &c, err, sizeof(err)));
	assert_non_null(strstr(err, "not a bare base64 secret"));
	assert_non_null(strstr(err, "tsig-keygen"));
	/* A name without a parent zone. */
	base_conf(&c, 53);
	snprintf(c.name, sizeof(c.name), "site");
	assert_null(dyndns_new(base, &c, err, sizeof(err)));
	assert_non_null(strstr(err, "[cloud] name"));
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(secret_file_refused),
	    cmocka_unit_test(truncated_over_udp_goes_over_tcp),
	    cmocka_unit_test(truncated_over_udp_goes_over_tcp_on_ipv6),
	    cmocka_unit_test(http_check_gives_an_ipv6_public_address),
	    cmocka_unit_test(router_answers_through_the_seam),
	    cmocka_unit_test(silent_peers_time_out_without_stalling_the_loop),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
