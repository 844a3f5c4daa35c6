#include "config.h"

#include "src/http.h"

#include <string.h>

/* The path of a request target: up to '?' or '#'. */
static bool
path_is(const char *uri, const char *path)
{
	size_t n = strcspn(uri, "?#");

	return n == strlen(path) && strncmp(uri, path, n) == 0;
}

enum http_route
http_route(bool is_get, const char *uri)
{
	enum http_route r = HTTP_ROUTE_NOT_FOUND;

	if (uri == NULL)
		return HTTP_ROUTE_NOT_FOUND;
	if (path_is(uri, "/metrics"))
		r = HTTP_ROUTE_METRICS;
	else if (path_is(uri, "/status.json"))
		r = HTTP_ROUTE_STATUS_JSON;
	else if (path_is(uri, "/") || path_is(uri, "/index.html"))
		r = HTTP_ROUTE_PAGE;
	/* A known path with another method is 405, an unknown one 404:
	 * what a client can do differs. */
	if (r != HTTP_ROUTE_NOT_FOUND && !is_get)
		return HTTP_ROUTE_BAD_METHOD;
	return r;
}

void
http_rate_init(
    struct http_rate *r, uint32_t per_s, uint32_t burst, uint64_t now_ms)
{
	r->per_s = per_s;
	r->burst = burst > 0 ? burst : 1;
	r->milli = (uint64_t)r->burst * 1000;
	r->last_ms = now_ms;
}

bool
http_rate_take(struct http_rate *r, uint64_t now_ms)
{
	uint64_t cap = (uint64_t)r->burst * 1000, dt;

	/* A clock that goes back (it should not) refills nothing. */
	if (now_ms > r->last_ms) {
		dt = now_ms - r->last_ms;
		/* dt * per_s: ms * requests/s = thousandths of a request. */
		if (dt > cap) /* enough to fill it, and no overflow */
			r->milli = cap;
		else if ((r->milli += dt * r->per_s) > cap)
			r->milli = cap;
		r->last_ms = now_ms;
	}
	if (r->milli < 1000)
		return false;
	r->milli -= 1000;
	return true;
}
