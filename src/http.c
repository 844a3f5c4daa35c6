#include "config.h"

#include "src/http.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <jansson.h>

#include "base/clock.h"
#include "base/xmalloc.h"
#include "src/metrics.h"
#include "src/status.h"
#include "src/statuspage.h"

#define SWEEP_MS 100 /* how soon a closed connection frees its slot */

/*
 * Connections are counted without a hook of evhttp's (libevent 2.1 has
 * no evhttp_set_max_connections): each connection's bufferevent is made
 * here (evhttp_set_bevcb) and kept with a reference of ours. evhttp
 * frees a connection with bufferevent_free(), which clears its
 * callbacks, and evhttp's event callback is set for as long as evhttp
 * uses it: a kept bufferevent without one is closed, and our reference
 * goes. At HTTP_MAX_CONNS the listener is paused until one goes.
 */
struct http {
	struct event_base *base;
	struct http_conf conf;
	struct evhttp *eh;
	struct evconnlistener *lev; /* evhttp's; paused when full */
	struct bufferevent *conns[HTTP_MAX_CONNS];
	size_t n_conns;
	struct event *sweep;
	struct http_rate rate;
	struct http_stats stats;
	struct status *st; /* large: one, reused */
};

static bool
is_closed(struct bufferevent *bev)
{
	bufferevent_event_cb ecb = NULL;

	bufferevent_getcb(bev, NULL, NULL, &ecb, NULL);
	return ecb == NULL;
}

static void
sweep(struct http *h)
{
	size_t i = 0;

	while (i < h->n_conns) {
		if (!is_closed(h->conns[i])) {
			i++;
			continue;
		}
		bufferevent_decref(h->conns[i]);
		h->conns[i] = h->conns[--h->n_conns];
	}
	if (h->n_conns < HTTP_MAX_CONNS)
		evconnlistener_enable(h->lev);
}

static void
arm_sweep(struct http *h)
{
	struct timeval tv = {0, SWEEP_MS * 1000};

	if (h->n_conns > 0 && !evtimer_pending(h->sweep, NULL))
		evtimer_add(h->sweep, &tv);
}

static void
sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http *h = arg;

	(void)fd;
	(void)what;
	sweep(h);
	arm_sweep(h);
}

static struct bufferevent *
bev_cb(struct event_base *base, void *arg)
{
	struct http *h = arg;
	struct bufferevent *bev;

	sweep(h);
	bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		return NULL; /* evhttp makes one itself */
	if (h->n_conns < HTTP_MAX_CONNS) {
		bufferevent_incref(bev);
		h->conns[h->n_conns++] = bev;
	}
	if (h->n_conns == HTTP_MAX_CONNS)
		evconnlistener_disable(h->lev);
	arm_sweep(h);
	return bev;
}

static void
reply(struct evhttp_request *req, const char *type, struct evbuffer *body)
{
	struct evkeyvalq *hd = evhttp_request_get_output_headers(req);

	evhttp_add_header(hd, "Content-Type", type);
	evhttp_add_header(hd, "Cache-Control", "no-store");
	evhttp_add_header(hd, "X-Content-Type-Options", "nosniff");
	evhttp_send_reply(req, HTTP_OK, "OK", body);
}

static void
send_metrics(struct http *h, struct evhttp_request *req, struct evbuffer *b)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	if (fp == NULL)
		abort(); /* out of memory: doc/style.md §4 */
	memset(h->st, 0, sizeof(*h->st));
	h->conf.status(h->conf.arg, h->st);
	metrics_write(h->st, fp);
	if (fclose(fp) != 0)
		abort();
	evbuffer_add(b, text, len);
	free(text);
	reply(req, METRICS_CONTENT_TYPE, b);
}

static void
send_json(struct http *h, struct evhttp_request *req, struct evbuffer *b)
{
	json_t *o;
	char *text;

	memset(h->st, 0, sizeof(*h->st));
	h->conf.status(h->conf.arg, h->st);
	o = status_to_json(h->st);
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (text == NULL)
		abort();
	evbuffer_add(b, text, strlen(text));
	evbuffer_add(b, "\n", 1);
	free(text);
	reply(req, "application/json", b);
}

static void
send_page(struct evhttp_request *req, struct evbuffer *b)
{
	struct evkeyvalq *hd = evhttp_request_get_output_headers(req);

	/* The page is all inline and talks only to us: say so, so a
	 * browser refuses anything else that would get into it. */
	evhttp_add_header(hd, "Content-Security-Policy",
	    "default-src 'none'; script-src 'unsafe-inline'; "
	    "style-src 'unsafe-inline'; connect-src 'self'; img-src data:");
	evbuffer_add_reference(
	    b, statuspage_html, sizeof(statuspage_html) - 1, NULL, NULL);
	reply(req, "text/html; charset=utf-8", b);
}

static void
send_error(struct evhttp_request *req, int code, const char *why,
    const char *hname, const char *hval)
{
	if (hname != NULL)
		evhttp_add_header(
		    evhttp_request_get_output_headers(req), hname, hval);
	evhttp_send_error(req, code, why);
}

static void
request_cb(struct evhttp_request *req, void *arg)
{
	struct http *h = arg;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	enum http_route route;
	struct evbuffer *b;

	/* First the limit: past it nothing is routed or rendered. */
	if (!http_rate_take(&h->rate, clock_now_ms())) {
		h->stats.limited++;
		send_error(req, 503, "Too many requests", "Retry-After", "1");
		return;
	}
	route = http_route(cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD,
	    evhttp_request_get_uri(req));
	if (route == HTTP_ROUTE_NOT_FOUND) {
		h->stats.not_found++;
		send_error(req, HTTP_NOTFOUND, "Not Found", NULL, NULL);
		return;
	}
	if (route == HTTP_ROUTE_BAD_METHOD) {
		h->stats.bad_method++;
		send_error(
		    req, 405, "Method Not Allowed", "Allow", "GET, HEAD");
		return;
	}
	h->stats.ok++;
	if ((b = evbuffer_new()) == NULL)
		abort();
	if (route == HTTP_ROUTE_METRICS)
		send_metrics(h, req, b);
	else if (route == HTTP_ROUTE_STATUS_JSON)
		send_json(h, req, b);
	else
		send_page(req, b);
	evbuffer_free(b);
}

/* "127.0.0.1", "::1", or the every-address one of a family. */
static void
addr_text(const struct http_conf *c, char *buf, size_t len, char *shown,
    size_t shown_len)
{
	if (c->family == 4)
		inet_ntop(AF_INET, c->addr, buf, (socklen_t)len);
	else if (c->family == 6)
		inet_ntop(AF_INET6, c->addr, buf, (socklen_t)len);
	else
		snprintf(buf, len, "::");
	if (c->family == 6)
		snprintf(shown, shown_len, "[%s]:%u", buf, c->port);
	else if (c->family == 4)
		snprintf(shown, shown_len, "%s:%u", buf, c->port);
	else
		snprintf(shown, shown_len, "%u", c->port);
}

static int
bind_listener(struct http *h, char *err, size_t errlen)
{
	struct evhttp_bound_socket *bs;
	char a[INET6_ADDRSTRLEN], shown[INET6_ADDRSTRLEN + 10];

	addr_text(&h->conf, a, sizeof(a), shown, sizeof(shown));
	errno = 0;
	bs = evhttp_bind_socket_with_handle(h->eh, a, h->conf.port);
	/* A port alone on a host without IPv6: every IPv4 address. */
	if (bs == NULL && h->conf.family == 0 && errno == EAFNOSUPPORT)
		bs = evhttp_bind_socket_with_handle(
		    h->eh, "0.0.0.0", h->conf.port);
	if (bs == NULL) {
		snprintf(err, errlen, "[http] listen %s: %s%s", shown,
		    errno != 0 ? strerror(errno) : "cannot listen",
		    errno == EADDRINUSE ? " (another program has the port? "
					  "choose another)"
		    : errno == EADDRNOTAVAIL
			? " (not an address of this host? set one it has)"
			: "");
		return -1;
	}
	h->lev = evhttp_bound_socket_get_listener(bs);
	return 0;
}

struct http *
http_new(struct event_base *base, const struct http_conf *conf, char *err,
    size_t errlen)
{
	struct http *h = xcalloc(1, sizeof(*h));

	h->base = base;
	h->conf = *conf;
	h->st = xcalloc(1, sizeof(*h->st));
	http_rate_init(
	    &h->rate, HTTP_RATE_PER_S, HTTP_RATE_BURST, clock_now_ms());
	h->eh = evhttp_new(base);
	h->sweep = evtimer_new(base, sweep_cb, h);
	if (h->eh == NULL || h->sweep == NULL) {
		snprintf(err, errlen, "[http]: out of memory");
		goto fail;
	}
	/* Every method reaches request_cb, which says 405 (evhttp would
	 * say 501 to the ones not allowed). */
	evhttp_set_allowed_methods(h->eh,
	    EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
		EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
		EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_max_headers_size(h->eh, HTTP_MAX_HEADERS);
	evhttp_set_max_body_size(h->eh, HTTP_MAX_BODY);
	evhttp_set_timeout(h->eh, HTTP_TIMEOUT_S);
	evhttp_set_bevcb(h->eh, bev_cb, h);
	evhttp_set_gencb(h->eh, request_cb, h);
	if (bind_listener(h, err, errlen) == -1)
		goto fail;
	return h;
fail:
	http_free(h);
	return NULL;
}

void
http_get_stats(const struct http *h, struct http_stats *out)
{
	*out = h->stats;
}

void
http_free(struct http *h)
{
	size_t i;

	if (h == NULL)
		return;
	/* evhttp_free() frees its connections, then our references go. */
	if (h->eh != NULL)
		evhttp_free(h->eh);
	for (i = 0; i < h->n_conns; i++)
		bufferevent_decref(h->conns[i]);
	if (h->sweep != NULL)
		event_free(h->sweep);
	free(h->st);
	free(h);
}
