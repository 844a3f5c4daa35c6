/*
 * tests/netns/router_tool.c — dns/router.c alone on an event_base, for the
 * netns tests: `router_tool LAN/PREFIX public` prints the external address
 * (or why none), `router_tool LAN/PREFIX scan tcp:N,udp:N...` what the
 * router's mapping table forwards of those ports to a LAN address
 * ([dmz] address = auto, (a)). One line on stdout; exit 0 when the answer
 * came (whatever it says), 1 on a usage error or no answer in 30 s. A
 * ticking timer checks that the loop is never held up meanwhile: the
 * longest gap between ticks goes to stderr.
 */
#include "config.h"

#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "base/clock.h"
#include "dns/router.h"

static struct event_base *base;
static uint64_t last_tick, max_gap;
static int done;

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	uint64_t now = clock_now_ms();

	(void)fd;
	(void)what;
	(void)arg;
	if (last_tick != 0 && now - last_tick > max_gap)
		max_gap = now - last_tick;
	last_tick = now;
}

static void
public_cb(void *arg, const struct router_public *res)
{
	char a[INET_ADDRSTRLEN];

	(void)arg;
	if (res->ok) {
		inet_ntop(AF_INET, &res->addr, a, sizeof(a));
		printf("external %s %s%s\n", a,
		    res->source == ROUTER_UPNP ? "upnp" : "natpmp",
		    res->unreachable ? " unreachable" : "");
	} else {
		printf("none: %s\n", res->error);
	}
	done = 1;
	event_base_loopbreak(base);
}

static void
found_cb(void *arg, const struct router_found *res)
{
	char a[INET_ADDRSTRLEN];

	(void)arg;
	if (res->ok) {
		inet_ntop(AF_INET, &res->addr, a, sizeof(a));
		printf("found %s %s:%u rejected %u\n", a,
		    res->port.proto == IPPROTO_TCP ? "tcp" : "udp",
		    res->port.port, res->rejected);
	} else {
		printf("none rejected %u: %s\n", res->rejected, res->error);
	}
	done = 1;
	event_base_loopbreak(base);
}

int
main(int argc, char **argv)
{
	struct router_conf rc;
	struct router_port ports[ROUTER_MAX_PORTS];
	struct timeval tick = {0, 50000}, limit = {30, 0};
	struct event *t;
	struct router *r;
	char *slash, *p;
	size_t n = 0;

	if (argc < 3 || (slash = strchr(argv[1], '/')) == NULL)
		goto usage;
	memset(&rc, 0, sizeof(rc));
	*slash = '\0';
	if (inet_pton(AF_INET, argv[1], &rc.lan) != 1)
		goto usage;
	rc.prefix = (unsigned)atoi(slash + 1);
	base = event_base_new();
	r = router_new(base, &rc);
	t = event_new(base, -1, EV_PERSIST, tick_cb, NULL);
	event_add(t, &tick);
	if (strcmp(argv[2], "public") == 0) {
		router_get_public(r, public_cb, NULL);
	} else if (strcmp(argv[2], "scan") == 0 && argc == 4) {
		for (p = strtok(argv[3], ",");
		     p != NULL && n < ROUTER_MAX_PORTS; p = strtok(NULL, ",")) {
			ports[n].proto = strncmp(p, "udp:", 4) == 0
					     ? IPPROTO_UDP
					     : IPPROTO_TCP;
			ports[n].port = (uint16_t)atoi(p + 4);
			n++;
		}
		router_find_dmz(r, ports, n, found_cb, NULL);
	} else {
		goto usage;
	}
	event_base_loopexit(base, &limit);
	event_base_dispatch(base);
	fprintf(stderr, "router_tool: longest loop gap %llu ms\n",
	    (unsigned long long)max_gap);
	event_free(t);
	router_free(r);
	event_base_free(base);
	return done ? 0 : 1;
usage:
	fprintf(stderr, "usage: router_tool LAN/PREFIX public | scan PORTS\n");
	return 1;
}
