/*
 * tests/netns/netcfg_tool.c — drives netcfg/ for tests/netns/netcfg/: one
 * command per run, on a libevent loop like the daemon's. The script checks
 * the effects with ip(8); the tool prints what the callbacks said.
 *
 *   netcfg_tool new IF CIDR                   open and close (errors)
 *   netcfg_tool info IF CIDR                  mac, addresses, link, default
 *   netcfg_tool add IF CIDR LEASE_MS          add once and exit
 *   netcfg_tool refresh IF CIDR LEASE_MS DURATION_MS PERIOD_MS
 *   netcfg_tool del IF CIDR | stale IF CIDR
 *   netcfg_tool garp IF CIDR COUNT GAP_MS
 *   netcfg_tool probe IF CIDR free|conflict [MEMBER_MAC]
 *   netcfg_tool watch IF CIDR TIMEOUT_MS [readd]
 *                                             prints ready, addr_lost, link;
 *                                             readd: adds back on addr_lost
 *                                             (as src/cluster.c does)
 *
 * Exit 0 on success, 1 on failure (an unexpected result, addr_lost while
 * refreshing), 2 on usage.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "base/clock.h"
#include "base/log.h"
#include "netcfg/netcfg.h"

struct tool {
	struct event_base *base;
	struct netcfg *nc;
	struct event *tick;
	int lost;
	int readd;
	int probe_done;
	enum netcfg_probe_result result;
	uint8_t mac[6];
	uint32_t lease_ms;
};

static void
print_mac(const char *what, const uint8_t *m)
{
	printf("%s %02x:%02x:%02x:%02x:%02x:%02x\n", what, m[0], m[1], m[2],
	    m[3], m[4], m[5]);
	fflush(stdout);
}

static void
on_probe_done(void *arg, enum netcfg_probe_result r, const uint8_t *mac)
{
	struct tool *t = arg;

	t->probe_done = 1;
	t->result = r;
	memcpy(t->mac, mac, 6);
	event_base_loopexit(t->base, NULL);
}

static void
on_addr_lost(void *arg)
{
	struct tool *t = arg;

	t->lost++;
	printf("addr_lost\n");
	fflush(stdout);
	if (t->readd)
		netcfg_addr_add(t->nc, 60000);
}

static void
on_link_change(void *arg, bool up)
{
	(void)arg;
	printf("link %s\n", up ? "up" : "down");
	fflush(stdout);
}

static void
run_for(struct tool *t, unsigned ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	event_base_loopexit(t->base, &tv);
	event_base_dispatch(t->base);
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tool *t = arg;

	(void)fd;
	(void)what;
	netcfg_addr_refresh(t->nc, t->lease_ms);
}

static int
parse_cidr(const char *s, struct netcfg_conf *c)
{
	char ip[INET_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t n = slash != NULL ? (size_t)(slash - s) : 0;

	if (slash == NULL || n >= sizeof(ip))
		return -1;
	memcpy(ip, s, n);
	ip[n] = '\0';
	c->dmz_prefix = (uint8_t)atoi(slash + 1);
	return inet_pton(AF_INET, ip, &c->dmz) == 1 ? 0 : -1;
}

static int
parse_mac(const char *s, uint8_t mac[6])
{
	unsigned m[6];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4],
		&m[5]) != 6)
		return -1;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)m[i];
	return 0;
}

static int
cmd_info(struct tool *t)
{
	struct in_addr a[8];
	char buf[INET_ADDRSTRLEN], ifname[NETCFG_IFNAME_MAX];
	char err[NETCFG_ERR_MAX];
	uint8_t mac[6];
	int i, n;

	netcfg_get_mac(t->nc, mac);
	print_mac("mac", mac);
	n = netcfg_get_addrs(t->nc, a, 8);
	for (i = 0; i < n; i++)
		printf(
		    "addr %s\n", inet_ntop(AF_INET, &a[i], buf, sizeof(buf)));
	printf("link %s\n", netcfg_is_link_up(t->nc) ? "up" : "down");
	if (netcfg_default_ifname(ifname, err) == 0)
		printf("default %s\n", ifname);
	else
		printf("default none: %s\n", err);
	return n < 0;
}

static int
cmd_refresh(struct tool *t, int argc, char **argv)
{
	unsigned dur, period;
	struct timeval tv;

	if (argc < 7)
		return 2;
	t->lease_ms = (uint32_t)strtoul(argv[4], NULL, 10);
	dur = (unsigned)strtoul(argv[5], NULL, 10);
	period = (unsigned)strtoul(argv[6], NULL, 10);
	tv.tv_sec = period / 1000;
	tv.tv_usec = (period % 1000) * 1000;
	if (netcfg_addr_add(t->nc, t->lease_ms) == -1)
		return 1;
	t->tick = event_new(t->base, -1, EV_PERSIST, tick_cb, t);
	event_add(t->tick, &tv);
	run_for(t, dur);
	event_free(t->tick);
	/* The last refresh is at most period old: the address is there. */
	netcfg_addr_refresh(t->nc, t->lease_ms);
	run_for(t, 50);
	return t->lost != 0;
}

static int
cmd_probe(struct tool *t, int argc, char **argv)
{
	uint8_t member[1][6];
	const char *want;

	if (argc < 5)
		return 2;
	want = argv[4];
	if (argc > 5) {
		if (parse_mac(argv[5], member[0]) == -1)
			return 2;
		netcfg_set_member_macs(t->nc, member, 1);
	}
	if (netcfg_probe(t->nc, 3, 100, 300) == -1)
		return 1;
	run_for(t, 5000);
	if (!t->probe_done) {
		printf("no probe result\n");
		return 1;
	}
	if (t->result == NETCFG_PROBE_CONFLICT)
		print_mac("conflict", t->mac);
	else
		printf(
		    "%s\n", t->result == NETCFG_PROBE_FREE ? "free" : "failed");
	fflush(stdout);
	if (strcmp(want, "free") == 0)
		return t->result != NETCFG_PROBE_FREE;
	return t->result != NETCFG_PROBE_CONFLICT;
}

static int
cmd_watch(struct tool *t, int argc, char **argv)
{
	if (argc < 5)
		return 2;
	t->readd = argc > 5 && strcmp(argv[5], "readd") == 0;
	if (netcfg_addr_add(t->nc, 60000) == -1)
		return 1;
	run_for(t, 50); /* the add's ack or error */
	printf("ready\n");
	fflush(stdout);
	run_for(t, (unsigned)strtoul(argv[4], NULL, 10));
	return 0;
}

static int
dispatch(struct tool *t, int argc, char **argv)
{
	const char *cmd = argv[1];

	if (strcmp(cmd, "new") == 0)
		return 0;
	if (strcmp(cmd, "info") == 0)
		return cmd_info(t);
	if (strcmp(cmd, "add") == 0 && argc >= 5) {
		if (netcfg_addr_add(t->nc, (uint32_t)atol(argv[4])) == -1)
			return 1;
		run_for(t, 100);
		return t->lost != 0;
	}
	if (strcmp(cmd, "refresh") == 0)
		return cmd_refresh(t, argc, argv);
	if (strcmp(cmd, "del") == 0 || strcmp(cmd, "stale") == 0) {
		if ((cmd[0] == 'd' ? netcfg_addr_del(t->nc)
				   : netcfg_addr_remove_stale(t->nc)) == -1)
			return 1;
		run_for(t, 100);
		return 0;
	}
	if (strcmp(cmd, "garp") == 0 && argc >= 6) {
		unsigned n = (unsigned)atoi(argv[4]);
		unsigned gap = (unsigned)atoi(argv[5]);

		if (netcfg_announce(t->nc, n, gap) == -1)
			return 1;
		run_for(t, n * gap + 100);
		return 0;
	}
	if (strcmp(cmd, "probe") == 0)
		return cmd_probe(t, argc, argv);
	if (strcmp(cmd, "watch") == 0)
		return cmd_watch(t, argc, argv);
	return 2;
}

int
main(int argc, char **argv)
{
	struct netcfg_cb cb = {
	    on_probe_done, on_addr_lost, on_link_change, NULL, NULL};
	struct netcfg_conf conf;
	struct tool t;
	char err[NETCFG_ERR_MAX];
	int r;

	log_init(1, 1, "netcfg_tool");
	memset(&conf, 0, sizeof(conf));
	memset(&t, 0, sizeof(t));
	if (argc < 4 || parse_cidr(argv[3], &conf) == -1) {
		fprintf(stderr, "usage: see tests/netns/netcfg_tool.c\n");
		return 2;
	}
	snprintf(conf.ifname, sizeof(conf.ifname), "%s", argv[2]);
	conf.now_ms = clock_now_ms;
	t.base = event_base_new();
	if (t.base == NULL)
		return 1;
	t.nc = netcfg_new(t.base, &conf, &cb, &t, err);
	if (t.nc == NULL) {
		fprintf(stderr, "%s\n", err);
		event_base_free(t.base);
		return 1;
	}
	r = dispatch(&t, argc, argv);
	if (r == 2)
		fprintf(stderr, "usage: see tests/netns/netcfg_tool.c\n");
	netcfg_free(t.nc);
	event_base_free(t.base);
	return r;
}
