/*
 * dns/dyndns.c — the public address and the RFC 2136 update on the loop:
 * see dyndns.h. The decisions and the messages are in dd_core.c.
 *
 * One cycle: learn the address (static, the HTTP check, or the router
 * through the seam of dyndns_set_router), classify it, and, when it is to be
 * published, send the signed UPDATE and check the answer. A success schedules
 * the next cycle after `refresh`; a failure after the backoff (1 s doubling to
 * 5 min, jittered). Only the holder runs cycles.
 */
#include "config.h"

#include "dns/dyndns.h"

#include "base/clock.h"
#include "base/log.h"
#include "dns/dd_core.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/http.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define UDP_TIMEOUT_MS 3000
#define TCP_TIMEOUT_MS 5000
#define HTTP_TIMEOUT_S 5
#define ROUTER_TIMEOUT_S 30 /* the router helper gives up after 20 s */
#define SECRET_MAX 512

enum phase { PH_IDLE, PH_LOOKUP, PH_UPDATE };

struct dyndns {
	struct event_base *base;
	struct dyndns_conf conf;
	char zone[DYNDNS_NAME_MAX];
	char secret[SECRET_MAX];
	bool holder;
	enum phase phase;
	struct event *tick;    /* the next cycle */
	struct event *timeout; /* the update in flight */

	/* looking up the address */
	int auto_step; /* DYNDNS_SRC_AUTO: 0 the router, 1 the check URL */
	dyndns_router_ask *router_ask;
	void *router_arg;
	bool router_wait;	 /* an answer from the router is awaited */
	struct event *no_router; /* "no router client", from the loop */
	struct evdns_base *dns;	 /* for a check URL's or server's name */
	struct evhttp_connection *hc;
	char hc_url[DYNDNS_URL_MAX];
	struct evhttp_request *hreq;
	int http_err; /* enum evhttp_request_error of the last request, -1 */
	char lookup_err[DYNDNS_URL_MAX * 2 + 160];

	/* the update in flight */
	struct evdns_getaddrinfo_request *sreq; /* [cloud] server's name */
	struct sockaddr_storage server_ss;	/* ... and its address */
	socklen_t server_len;
	struct dd_update *u;
	uint8_t *wire;
	size_t wlen;
	int fd;
	struct event *udp_ev;
	struct bufferevent *tcp;

	/* what status shows */
	struct dd_addr addr; /* last learned */
	bool have_addr;
	const char *source;
	struct dd_addr sent; /* last published */
	uint64_t sent_ms;    /* clock_now_ms() of that success, 0: never */
	unsigned failures;
	uint64_t n_updates, n_errors; /* dyndns_status updates, errors */
	char last_update[32];
	char status[32];
	char last_error[192];
	bool reachable;
	const char *reason;
	char router_unreachable[192]; /* no address: the router's verdict */
	struct dd_addr told;	      /* the unreachable address last logged */
	char logged_err[192];
};

static void cycle(struct dyndns *d);
static void lookup_next(struct dyndns *d);

static void
set_status(struct dyndns *d, const char *s)
{
	snprintf(d->status, sizeof(d->status), "%s", s);
}

static void
arm(struct dyndns *d, uint64_t ms)
{
	struct timeval tv = {
	    (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};

	evtimer_add(d->tick, &tv);
}

/* ---- stopping what is in flight ---- */

static void
update_stop(struct dyndns *d)
{
	if (d->sreq != NULL) { /* its callback sees EVUTIL_EAI_CANCEL */
		struct evdns_getaddrinfo_request *r = d->sreq;

		d->sreq = NULL;
		evdns_getaddrinfo_cancel(r);
	}
	if (d->udp_ev != NULL) {
		event_free(d->udp_ev);
		d->udp_ev = NULL;
	}
	if (d->fd != -1) {
		close(d->fd);
		d->fd = -1;
	}
	if (d->tcp != NULL) {
		bufferevent_free(d->tcp);
		d->tcp = NULL;
	}
	evtimer_del(d->timeout);
	dd_update_free(d->u);
	d->u = NULL;
	free(d->wire);
	d->wire = NULL;
	d->wlen = 0;
}

static void
lookup_stop(struct dyndns *d)
{
	d->router_wait = false;
	if (d->no_router != NULL)
		evtimer_del(d->no_router);
	if (d->hreq != NULL) {
		evhttp_cancel_request(d->hreq);
		d->hreq = NULL;
	}
}

/* ---- the end of a cycle ---- */

static void
failed(struct dyndns *d, const char *why)
{
	uint64_t wait;

	d->failures++;
	d->n_errors++;
	wait = dd_backoff_ms(d->failures, arc4random());
	snprintf(d->last_error, sizeof(d->last_error), "%s", why);
	set_status(d, "error");
	/* Once per streak and cause: a refusing server is no log storm. */
	if (strcmp(d->logged_err, why) != 0 || d->failures == 1) {
		log_warnx("dyndns: %s; retrying in %llu ms, backing off", why,
		    (unsigned long long)wait);
		snprintf(d->logged_err, sizeof(d->logged_err), "%s", why);
	} else
		log_debug("dyndns: %s; retrying in %llu ms", why,
		    (unsigned long long)wait);
	d->phase = PH_IDLE;
	arm(d, wait);
}

static void
published(struct dyndns *d)
{
	char a[96];
	time_t t = (time_t)(clock_wall_ms() / 1000);
	struct tm tm;

	dd_addr_text(&d->addr, a, sizeof(a));
	if (d->failures > 0)
		log_info("dyndns: %s is %s again at the server after %u "
			 "failure(s)",
		    d->conf.name, a, d->failures);
	else if (!dd_addr_equal(&d->addr, &d->sent))
		log_info("dyndns: published %s = %s", d->conf.name, a);
	d->failures = 0;
	d->n_updates++;
	d->logged_err[0] = '\0';
	d->sent = d->addr;
	d->sent_ms = clock_now_ms();
	gmtime_r(&t, &tm);
	strftime(
	    d->last_update, sizeof(d->last_update), "%Y-%m-%dT%H:%M:%SZ", &tm);
	set_status(d, "ok");
	d->phase = PH_IDLE;
	arm(d, d->conf.refresh_ms);
}

/* ---- the update ---- */

static void answer(struct dyndns *d, const uint8_t *buf, size_t n, bool tcp);

static void
timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dyndns *d = arg;
	char why[96];

	(void)fd;
	(void)what;
	snprintf(why, sizeof(why),
	    "no answer from the DNS server within %u ms%s",
	    d->tcp != NULL ? TCP_TIMEOUT_MS : UDP_TIMEOUT_MS,
	    d->tcp != NULL ? " (TCP)" : "");
	update_stop(d);
	failed(d, why);
}

static void
fail_errno(struct dyndns *d, const char *what, int e)
{
	char why[160];

	snprintf(why, sizeof(why), "%s: %s", what, strerror(e));
	update_stop(d);
	failed(d, why);
}

/* [cloud] server as a socket address; returns its length. */
static socklen_t
server_sa(const struct dyndns *d, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sa = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sa6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (d->conf.server_name[0] != '\0') { /* resolved for this update */
		memcpy(ss, &d->server_ss, d->server_len);
		return d->server_len;
	}
	if (d->conf.server_family == AF_INET6) {
		sa6->sin6_family = AF_INET6;
		sa6->sin6_addr = d->conf.server6;
		sa6->sin6_port = htons(d->conf.port);
		return sizeof(*sa6);
	}
	sa->sin_family = AF_INET;
	sa->sin_addr = d->conf.server;
	sa->sin_port = htons(d->conf.port);
	return sizeof(*sa);
}

static void
udp_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dyndns *d = arg;
	uint8_t buf[4096];
	ssize_t n;

	(void)what;
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n == -1 &&
		    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		if (n == -1) {
			/* ICMP port unreachable: nothing listens there. */
			fail_errno(d, "sending the update over UDP", errno);
			return;
		}
		answer(d, buf, (size_t)n, false);
		if (d->udp_ev == NULL) /* decided */
			return;
	}
}

static void
tcp_read_cb(struct bufferevent *bev, void *arg)
{
	struct dyndns *d = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint8_t hdr[2];
	size_t n;
	uint8_t *msg;

	if (evbuffer_get_length(in) < 2)
		return;
	evbuffer_copyout(in, hdr, 2);
	n = (size_t)hdr[0] << 8 | hdr[1];
	if (evbuffer_get_length(in) < 2 + n)
		return;
	msg = evbuffer_pullup(in, (ev_ssize_t)(2 + n));
	answer(d, msg + 2, n, true);
	if (d->tcp != NULL) /* not ours: drop it, read on */
		evbuffer_drain(in, 2 + n);
}

static void
tcp_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct dyndns *d = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED)
		return;
	if (what & BEV_EVENT_ERROR)
		fail_errno(
		    d, "sending the update over TCP", EVUTIL_SOCKET_ERROR());
	else if (what & BEV_EVENT_EOF) {
		update_stop(d);
		failed(d, "the DNS server closed the TCP connection without "
			  "an answer");
	}
}

static void
send_tcp(struct dyndns *d)
{
	struct sockaddr_storage sa;
	struct timeval tv = {TCP_TIMEOUT_MS / 1000, 0};
	uint8_t hdr[2] = {(uint8_t)(d->wlen >> 8), (uint8_t)d->wlen};
	socklen_t len = server_sa(d, &sa);

	d->tcp = bufferevent_socket_new(d->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (d->tcp == NULL) {
		fail_errno(d, "opening a TCP socket", ENOMEM);
		return;
	}
	bufferevent_setcb(d->tcp, tcp_read_cb, NULL, tcp_event_cb, d);
	bufferevent_enable(d->tcp, EV_READ | EV_WRITE);
	if (bufferevent_write(d->tcp, hdr, 2) == -1 ||
	    bufferevent_write(d->tcp, d->wire, d->wlen) == -1 ||
	    bufferevent_socket_connect(
		d->tcp, (struct sockaddr *)&sa, (int)len) == -1) {
		fail_errno(d, "connecting over TCP", errno ? errno : EIO);
		return;
	}
	evtimer_add(d->timeout, &tv);
}

static void
answer(struct dyndns *d, const uint8_t *buf, size_t n, bool tcp)
{
	char err[DD_ERR_LEN * 2];

	switch (dd_answer_check(d->u, buf, n, err, sizeof(err))) {
	case DD_ANS_NOT_OURS:
		return;
	case DD_ANS_OK:
		update_stop(d);
		published(d);
		return;
	case DD_ANS_TRUNCATED:
		if (tcp) {
			update_stop(d);
			failed(d, "the DNS server truncated its answer over "
				  "TCP");
			return;
		}
		/* RFC 2136 §6: ask again over TCP. */
		event_free(d->udp_ev);
		d->udp_ev = NULL;
		close(d->fd);
		d->fd = -1;
		evtimer_del(d->timeout);
		send_tcp(d);
		return;
	case DD_ANS_REFUSED:
		update_stop(d);
		failed(d, err);
		return;
	}
}

static void send_udp(struct dyndns *d);

static void
server_resolved(int err, struct evutil_addrinfo *res, void *arg)
{
	struct dyndns *d = arg;
	char why[DYNDNS_NAME_MAX + 96];

	if (err == EVUTIL_EAI_CANCEL) /* update_stop(): d may be going */
		return;
	d->sreq = NULL;
	if (err != 0 || res == NULL || res->ai_addrlen > sizeof(d->server_ss)) {
		snprintf(why, sizeof(why),
		    "cannot resolve [cloud] server %s: %s", d->conf.server_name,
		    err != 0 ? evutil_gai_strerror(err) : "no address");
		if (res != NULL)
			evutil_freeaddrinfo(res);
		update_stop(d);
		failed(d, why);
		return;
	}
	memcpy(&d->server_ss, res->ai_addr, res->ai_addrlen);
	d->server_len = (socklen_t)res->ai_addrlen;
	evutil_freeaddrinfo(res);
	send_udp(d);
}

/*
 * [cloud] server given by name: resolved before each update, through
 * evdns (never the blocking resolver; /etc/hosts first), so a server that
 * moved is followed. The first address is used.
 */
static void
resolve_server(struct dyndns *d)
{
	struct evutil_addrinfo hints;
	char port[8];

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_protocol = IPPROTO_UDP;
	snprintf(port, sizeof(port), "%u", (unsigned)d->conf.port);
	if (d->dns == NULL)
		d->dns =
		    evdns_base_new(d->base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
	if (d->dns == NULL) {
		update_stop(d);
		failed(d, "cannot resolve [cloud] server: no resolver");
		return;
	}
	/* The callback may run before this returns (/etc/hosts). */
	d->sreq = evdns_getaddrinfo(
	    d->dns, d->conf.server_name, port, &hints, server_resolved, d);
}

static void
send_update(struct dyndns *d)
{
	struct dd_update_req req = {
	    .name = d->conf.name,
	    .zone = d->zone,
	    .addr = d->addr,
	    .ttl = d->conf.ttl,
	    .key_name = d->conf.tsig_name,
	    .secret = d->secret,
	    .id = (uint16_t)arc4random(),
	};
	char err[DD_ERR_LEN];

	d->phase = PH_UPDATE;
	if (strcmp(d->status, "error") !=
	    0) /* an error stays until a success */
		set_status(d, "updating");
	d->u = dd_update_new(&req, &d->wire, &d->wlen, err, sizeof(err));
	if (d->u == NULL) {
		failed(d, err);
		return;
	}
	if (d->conf.server_name[0] != '\0')
		resolve_server(d);
	else
		send_udp(d);
}

/* The update, made: over UDP to the server (TCP if it truncates). */
static void
send_udp(struct dyndns *d)
{
	struct sockaddr_storage sa;
	struct timeval tv = {UDP_TIMEOUT_MS / 1000, 0};
	socklen_t len;

	len = server_sa(d, &sa);
	d->fd =
	    socket(sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d->fd == -1) {
		fail_errno(d, "opening a UDP socket", errno);
		return;
	}
	if (connect(d->fd, (struct sockaddr *)&sa, len) == -1) {
		fail_errno(d, "connecting the UDP socket", errno);
		return;
	}
	d->udp_ev = event_new(d->base, d->fd, EV_READ | EV_PERSIST, udp_cb, d);
	if (d->udp_ev == NULL) {
		fail_errno(d, "watching the UDP socket", ENOMEM);
		return;
	}
	event_add(d->udp_ev, NULL);
	if (send(d->fd, d->wire, d->wlen, 0) == -1) {
		fail_errno(d, "sending the update over UDP", errno);
		return;
	}
	evtimer_add(d->timeout, &tv);
}

/* ---- the address ---- */

static void
got_addr(struct dyndns *d, const struct dd_addr *a, const char *source)
{
	char text[96];
	const char *reason;
	uint64_t now = clock_now_ms();

	d->addr = *a;
	d->have_addr = true;
	d->router_unreachable[0] = '\0';
	d->source = source;
	d->reachable = dd_addr_reachable(a, &reason);
	d->reason = d->reachable ? NULL : reason;
	dd_addr_text(a, text, sizeof(text));
	if (!d->reachable && !dd_addr_equal(a, &d->told)) {
		/* Once per address, in plain words. */
		log_warnx("dyndns: the public address %s (from %s) is %s: "
			  "the site cannot be reached from the internet "
			  "through port forwarding%s",
		    text, source, reason,
		    d->conf.allow_private
			? "; publishing it anyway ([cloud] allow-private)"
			: "; not publishing it ([cloud] allow-private = yes "
			  "would)");
		d->told = *a;
	}
	if (!d->reachable && !d->conf.allow_private) {
		set_status(d, "unpublished");
		d->phase = PH_IDLE;
		arm(d, d->conf.refresh_ms);
		return;
	}
	/* While all is well, an unchanged address at most once per 30 s. */
	if (d->failures == 0 && d->sent_ms != 0 && dd_addr_equal(a, &d->sent) &&
	    now - d->sent_ms < DD_SAME_ADDR_MIN_MS) {
		set_status(d, "ok");
		d->phase = PH_IDLE;
		arm(d, d->sent_ms + DD_SAME_ADDR_MIN_MS - now);
		return;
	}
	send_update(d);
}

static void
lookup_failed(struct dyndns *d, const char *why)
{
	size_t n = strlen(d->lookup_err);

	snprintf(d->lookup_err + n, sizeof(d->lookup_err) - n, "%s%s",
	    n > 0 ? "; " : "", why);
	if (d->conf.source == DYNDNS_SRC_AUTO) {
		d->auto_step++;
		lookup_next(d);
		return;
	}
	{
		char err[sizeof(d->lookup_err) + 40];

		snprintf(
		    err, sizeof(err), "no public address: %s", d->lookup_err);
		d->phase = PH_IDLE;
		failed(d, err);
	}
}

void
dyndns_router_answer(struct dyndns *d, const struct dyndns_router_answer *r)
{
	struct dd_addr a = {0};

	if (d == NULL || !d->router_wait)
		return;
	d->router_wait = false;
	evtimer_del(d->no_router);
	if (!r->ok) {
		/* No address, but a verdict all the same (status: cloud.
		 * reachable false, with the router's reason). */
		snprintf(d->router_unreachable, sizeof(d->router_unreachable),
		    "%s", r->unreachable != NULL ? r->unreachable : "");
		lookup_failed(
		    d, r->error != NULL ? r->error : "the router did not say");
		return;
	}
	a.has4 = true;
	a.a4 = r->addr;
	got_addr(d, &a,
	    r->source != NULL && strcmp(r->source, "natpmp") == 0 ? "natpmp"
								  : "upnp");
}

void
dyndns_set_router(struct dyndns *d, dyndns_router_ask *ask, void *arg)
{
	if (d == NULL)
		return;
	d->router_ask = ask;
	d->router_arg = arg;
}

static void
no_router_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dyndns *d = arg;
	struct dyndns_router_answer r = {
	    .ok = false,
	    .error = d->router_ask != NULL
			 ? "the router did not answer within 30 s"
			 : "no UPnP IGD or NAT-PMP client in this qured",
	};

	(void)fd;
	(void)what;
	dyndns_router_answer(d, &r);
}

static void
http_cb(struct evhttp_request *req, void *arg)
{
	struct dyndns *d = arg;
	char body[DD_BODY_MAX + 1], why[DYNDNS_URL_MAX + 80];
	struct evbuffer *in;
	struct dd_addr a;
	size_t n;
	int code;

	d->hreq = NULL; /* libevent frees it after we return */
	if (req == NULL ||
	    (code = evhttp_request_get_response_code(req)) == 0) {
		if (d->http_err == EVREQ_HTTP_DATA_TOO_LONG)
			snprintf(why, sizeof(why),
			    "the check URL %s answered more than %d bytes",
			    d->hc_url, DD_BODY_MAX);
		else if (d->http_err == EVREQ_HTTP_TIMEOUT)
			snprintf(why, sizeof(why),
			    "the check URL %s did not answer within %d s",
			    d->hc_url, HTTP_TIMEOUT_S);
		else /* a refused connect, a reset, an early EOF */
			snprintf(why, sizeof(why),
			    "the check URL %s could not be reached or closed "
			    "the connection",
			    d->hc_url);
		lookup_failed(d, why);
		return;
	}
	if (code != 200) {
		snprintf(why, sizeof(why), "the check URL %s answered %d",
		    d->hc_url, code);
		lookup_failed(d, why);
		return;
	}
	in = evhttp_request_get_input_buffer(req);
	n = evbuffer_get_length(in);
	if (n > DD_BODY_MAX || evbuffer_copyout(in, body, n) != (ev_ssize_t)n ||
	    dd_body_parse(body, n, &a) == -1) {
		snprintf(why, sizeof(why),
		    "the check URL %s answered no address (%zu bytes)",
		    d->hc_url, n);
		lookup_failed(d, why);
		return;
	}
	got_addr(d, &a, "http");
}

static void
http_error_cb(enum evhttp_request_error e, void *arg)
{
	struct dyndns *d = arg;

	d->http_err = (int)e;
}

static int
http_start(struct dyndns *d, const char *url)
{
	struct evhttp_uri *uri = evhttp_uri_parse(url);
	const char *host, *path, *query;
	char target[DYNDNS_URL_MAX + 8];
	struct in_addr ignored;
	int port;

	if (uri == NULL || (host = evhttp_uri_get_host(uri)) == NULL) {
		if (uri != NULL)
			evhttp_uri_free(uri);
		return -1;
	}
	port = evhttp_uri_get_port(uri);
	path = evhttp_uri_get_path(uri);
	query = evhttp_uri_get_query(uri);
	snprintf(target, sizeof(target), "%s%s%s",
	    path != NULL && path[0] != '\0' ? path : "/",
	    query != NULL ? "?" : "", query != NULL ? query : "");
	if (d->hc != NULL && strcmp(d->hc_url, url) != 0) {
		evhttp_connection_free(d->hc);
		d->hc = NULL;
	}
	if (d->hc == NULL) {
		/* A host name through evdns: never the blocking resolver. */
		if (inet_pton(AF_INET, host, &ignored) != 1 && d->dns == NULL)
			d->dns = evdns_base_new(
			    d->base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
		d->hc = evhttp_connection_base_new(
		    d->base, d->dns, host, port > 0 ? (uint16_t)port : 80);
		if (d->hc == NULL) {
			evhttp_uri_free(uri);
			return -1;
		}
		evhttp_connection_set_timeout(d->hc, HTTP_TIMEOUT_S);
		evhttp_connection_set_retries(d->hc, 0);
		evhttp_connection_set_max_body_size(d->hc, DD_BODY_MAX);
		evhttp_connection_set_max_headers_size(d->hc, 8192);
		snprintf(d->hc_url, sizeof(d->hc_url), "%s", url);
	}
	d->hreq = evhttp_request_new(http_cb, d);
	if (d->hreq == NULL) {
		evhttp_uri_free(uri);
		return -1;
	}
	d->http_err = -1;
	evhttp_request_set_error_cb(d->hreq, http_error_cb);
	evhttp_add_header(
	    evhttp_request_get_output_headers(d->hreq), "Host", host);
	evhttp_add_header(evhttp_request_get_output_headers(d->hreq),
	    "User-Agent", "qured/" PACKAGE_VERSION);
	evhttp_uri_free(uri);
	if (evhttp_make_request(d->hc, d->hreq, EVHTTP_REQ_GET, target) == -1) {
		d->hreq = NULL; /* freed by libevent on failure */
		return -1;
	}
	return 0;
}

/* Asks the router; its answer comes through dyndns_router_answer. */
static void
lookup_router(struct dyndns *d)
{
	struct timeval now = {0, 0}, deadline = {ROUTER_TIMEOUT_S, 0};

	d->router_wait = true;
	if (d->router_ask == NULL) {
		evtimer_add(d->no_router, &now);
		return;
	}
	evtimer_add(d->no_router, &deadline); /* should it never answer */
	d->router_ask(d->router_arg);
}

static void
lookup_next(struct dyndns *d)
{
	struct dd_addr a = {0};
	char why[DYNDNS_URL_MAX + 40];

	switch (d->conf.source) {
	case DYNDNS_SRC_STATIC:
		a.has4 = true;
		a.a4 = d->conf.static_addr;
		got_addr(d, &a, "static");
		return;
	case DYNDNS_SRC_UPNP:
	case DYNDNS_SRC_NATPMP: /* the router tries UPnP, then NAT-PMP */
		lookup_router(d);
		return;
	case DYNDNS_SRC_HTTP:
		if (http_start(d, d->conf.url) == -1) {
			snprintf(
			    why, sizeof(why), "cannot ask %s", d->conf.url);
			lookup_failed(d, why);
		}
		return;
	case DYNDNS_SRC_AUTO:
		if (d->auto_step == 0)
			lookup_router(d);
		else if (d->auto_step == 1 && d->conf.check_url[0] != '\0') {
			if (http_start(d, d->conf.check_url) == -1) {
				snprintf(why, sizeof(why), "cannot ask %s",
				    d->conf.check_url);
				d->auto_step = 2;
				lookup_failed(d, why);
			}
		} else {
			char err[sizeof(d->lookup_err) + 80];

			snprintf(err, sizeof(err), "no public address: %s%s",
			    d->lookup_err,
			    d->conf.check_url[0] == '\0'
				? "; no [cloud] check-url to try"
				: "");
			d->phase = PH_IDLE;
			failed(d, err);
		}
		return;
	}
}

static void
cycle(struct dyndns *d)
{
	if (!d->holder || d->phase != PH_IDLE)
		return;
	d->phase = PH_LOOKUP;
	d->auto_step = 0;
	d->lookup_err[0] = '\0';
	if (d->status[0] == '\0' || strcmp(d->status, "standby") == 0)
		set_status(d, "checking");
	lookup_next(d);
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	cycle(arg);
}

/* ---- life ---- */

static int
load_secret(struct dyndns *d, char *err, size_t errlen)
{
	const char *path = d->conf.tsig_secret_file;
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd == -1) {
		snprintf(err, errlen, "[cloud] tsig-secret-file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen,
		    "[cloud] tsig-secret-file %s: not a regular file", path);
		goto fail;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(err, errlen,
		    "[cloud] tsig-secret-file %s: owned by uid %u, expected "
		    "root or the user qured runs as (uid %u), run chown "
		    "root %s",
		    path, (unsigned)st.st_uid, (unsigned)geteuid(), path);
		goto fail;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen,
		    "[cloud] tsig-secret-file %s: readable or writable by "
		    "group or others (mode %04o), run chmod 600 %s",
		    path, (unsigned)(st.st_mode & 07777), path);
		goto fail;
	}
	n = read(fd, d->secret, sizeof(d->secret) - 1);
	if (n < 0 || n == (ssize_t)sizeof(d->secret) - 1 ||
	    dd_secret_check(d->secret, (size_t)n) == -1) {
		snprintf(err, errlen,
		    "[cloud] tsig-secret-file %s: not a bare base64 secret, "
		    "expected the text between the quotes of the secret "
		    "line that `tsig-keygen -a hmac-sha256 %s` prints",
		    path, d->conf.tsig_name);
		goto fail;
	}
	close(fd);
	return 0;
fail:
	close(fd);
	return -1;
}

struct dyndns *
dyndns_new(struct event_base *base, const struct dyndns_conf *conf, char *err,
    size_t errlen)
{
	struct dyndns *d = calloc(1, sizeof(*d));

	if (d == NULL) {
		snprintf(err, errlen, "dyndns: out of memory");
		return NULL;
	}
	d->base = base;
	d->conf = *conf;
	d->fd = -1;
	set_status(d, "standby");
	if (dd_zone_of(conf->name, d->zone, sizeof(d->zone)) == -1) {
		snprintf(err, errlen,
		    "[cloud] name %s: a name inside a zone expected, e.g. "
		    "site1.cloud.example.org (the update goes to its parent "
		    "zone)",
		    conf->name);
		goto fail;
	}
	if (load_secret(d, err, errlen) == -1)
		goto fail;
	if (conf->source == DYNDNS_SRC_STATIC) { /* known everywhere */
		d->addr.has4 = true;
		d->addr.a4 = conf->static_addr;
		d->have_addr = true;
		d->source = "static";
		d->reachable = dd_addr_reachable(&d->addr, &d->reason);
	}
	d->tick = evtimer_new(base, tick_cb, d);
	d->timeout = evtimer_new(base, timeout_cb, d);
	d->no_router = evtimer_new(base, no_router_cb, d);
	if (d->tick == NULL || d->timeout == NULL || d->no_router == NULL) {
		snprintf(err, errlen, "dyndns: out of memory for timers");
		goto fail;
	}
	return d;
fail:
	dyndns_free(d);
	return NULL;
}

void
dyndns_free(struct dyndns *d)
{
	if (d == NULL)
		return;
	lookup_stop(d);
	if (d->timeout != NULL)
		update_stop(d);
	if (d->hc != NULL)
		evhttp_connection_free(d->hc);
	if (d->dns != NULL)
		evdns_base_free(d->dns, 0);
	if (d->tick != NULL)
		event_free(d->tick);
	if (d->timeout != NULL)
		event_free(d->timeout);
	if (d->no_router != NULL)
		event_free(d->no_router);
	explicit_bzero(d->secret, sizeof(d->secret));
	free(d);
}

void
dyndns_set_holder(struct dyndns *d, bool holder)
{
	if (d == NULL || holder == d->holder)
		return;
	d->holder = holder;
	if (!holder) {
		lookup_stop(d);
		update_stop(d);
		evtimer_del(d->tick);
		d->phase = PH_IDLE;
		set_status(d, "standby");
		return;
	}
	cycle(d);
}

int
dyndns_public_v4(const struct dyndns *d, struct in_addr *out)
{
	if (d == NULL || !d->have_addr || !d->addr.has4)
		return -1;
	*out = d->addr.a4;
	return 0;
}

int
dyndns_public_v6(const struct dyndns *d, struct in6_addr *out)
{
	if (d == NULL || !d->have_addr || !d->addr.has6)
		return -1;
	*out = d->addr.a6;
	return 0;
}

void
dyndns_get_status(const struct dyndns *d, struct dyndns_status *out)
{
	memset(out, 0, sizeof(*out));
	if (d->have_addr)
		dd_addr_text(
		    &d->addr, out->public_address, sizeof(out->public_address));
	snprintf(out->source, sizeof(out->source), "%s",
	    d->source != NULL ? d->source : "");
	snprintf(
	    out->last_update, sizeof(out->last_update), "%s", d->last_update);
	snprintf(out->status, sizeof(out->status), "%s", d->status);
	snprintf(out->last_error, sizeof(out->last_error), "%s", d->last_error);
	out->reachable_known = d->have_addr;
	out->reachable = d->reachable;
	out->updates = d->n_updates;
	out->errors = d->n_errors;
	snprintf(out->reason, sizeof(out->reason), "%s",
	    d->reason != NULL ? d->reason : "");
	if (!d->have_addr && d->router_unreachable[0] != '\0') {
		out->reachable_known = true;
		out->reachable = false;
		snprintf(out->reason, sizeof(out->reason), "%s",
		    d->router_unreachable);
	}
}
