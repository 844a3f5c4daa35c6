#ifndef QURE_HTTP_H
#define QURE_HTTP_H

/*
 * src/http.h — qured's optional HTTP listener ([http] listen, issue 14
 * items 1 and 6), libevent's evhttp on qured's own loop:
 *
 *   GET /metrics      the status in Prometheus text (src/metrics.h)
 *   GET /status.json  the status object of doc/design.md §8.3
 *   GET /             the status page (src/statuspage.html)
 *   other paths       404; other methods 405 (HEAD is a GET without body)
 *
 * Read-only. It must never delay the election: connections are bounded
 * (HTTP_MAX_CONNS; over it the listener pauses and the kernel's backlog
 * waits), requests and headers are small (HTTP_MAX_HEADERS), a slow
 * client is cut (HTTP_TIMEOUT_S), and past a global rate
 * (HTTP_RATE_PER_S, bursts of HTTP_RATE_BURST) a request is answered 503
 * without rendering anything.
 *
 * The pure half (http_core.c: routing, the rate limit) has no libevent.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct status;

#define HTTP_MAX_CONNS 32     /* open connections */
#define HTTP_MAX_HEADERS 4096 /* request line and headers, bytes */
#define HTTP_MAX_BODY 1024    /* a GET has none */
#define HTTP_TIMEOUT_S 5      /* to read a request, to write an answer */
#define HTTP_RATE_PER_S 100   /* requests answered a second, all clients */
#define HTTP_RATE_BURST 50    /* at once after a quiet spell */

/* ---- the pure half ---- */

enum http_route {
	HTTP_ROUTE_NOT_FOUND = 0, /* 404 */
	HTTP_ROUTE_BAD_METHOD,	  /* 405, Allow: GET, HEAD */
	HTTP_ROUTE_METRICS,
	HTTP_ROUTE_STATUS_JSON,
	HTTP_ROUTE_PAGE,
};

/*
 * Where a request goes: is_get is true for GET and HEAD; uri is the
 * request target as sent (a query string is ignored; NULL: 404).
 */
enum http_route http_route(bool is_get, const char *uri);

/* A token bucket in thousandths of a request. */
struct http_rate {
	uint64_t last_ms;
	uint64_t milli; /* tokens * 1000 */
	uint32_t per_s, burst;
};

/* Full at now_ms: burst requests may come at once, then per_s a second. */
void http_rate_init(
    struct http_rate *r, uint32_t per_s, uint32_t burst, uint64_t now_ms);

/* Whether one more request may be answered at now_ms (takes a token). */
bool http_rate_take(struct http_rate *r, uint64_t now_ms);

/* ---- the edge ---- */

/* Fills out (zeroed by the caller) with a snapshot: ctl_ops.status. */
typedef void http_status_cb(void *arg, struct status *out);

struct http_conf {
	int family;	  /* 4 or 6; 0: every address */
	uint8_t addr[16]; /* family 4: the first 4 bytes */
	uint16_t port;
	http_status_cb *status;
	void *arg; /* status's; kept */
};

/* Requests answered since http_new(), by outcome. */
struct http_stats {
	uint64_t ok, not_found, bad_method, limited;
};

struct http;

/*
 * Listens on conf's address and port (base and conf->arg are kept).
 * Returns NULL with one line in err, e.g. "[http] listen
 * 127.0.0.1:9182: Address already in use (is another program on that
 * port? choose another)".
 */
struct http *http_new(struct event_base *base, const struct http_conf *conf,
    char *err, size_t errlen);

void http_get_stats(const struct http *h, struct http_stats *out);

/* Closes the listener and every connection. NULL does nothing. */
void http_free(struct http *h);

#endif
