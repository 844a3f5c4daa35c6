/*
 * tests/fuzz/fuzz_watch.c — libFuzzer target of the watcher's frame
 * classifier (netcfg/watch_frame.c), fed captured Ethernet frames. Besides
 * not crashing, it checks the promises the capture relies on:
 *  - the kernel filter built for the same conf (run by the interpreter)
 *    passes exactly the frames the classifier accepts, never fails to run;
 *  - what the kernel copies (NETCFG_WATCH_SNAP bytes) classifies alike;
 *  - the flow key is made of the client's fields, a request's port and an
 *    answer's port are watched, and the DMZ address is never the client.
 * The first byte chooses whether the conf knows our MAC (its low bit)
 * and whether it has an IPv6 DMZ address (bit 1).
 */
#include "config.h"

#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netcfg/watch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t dmz6[16] = {
    0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x00};

static struct netcfg_watch_conf
conf_get(int with_mac, int with6)
{
	static const uint8_t mac[6] = {0x02, 0, 0, 0, 0x01, 0x02};
	struct netcfg_watch_conf c;

	memset(&c, 0, sizeof(c));
	c.dmz.s_addr = htonl(0x0a5800c8); /* 10.88.0.200 */
	c.ports[0] = (struct netcfg_watch_port){IPPROTO_TCP, 80};
	c.ports[1] = (struct netcfg_watch_port){IPPROTO_TCP, 443};
	c.ports[2] = (struct netcfg_watch_port){IPPROTO_UDP, 53};
	c.ports[3] = (struct netcfg_watch_port){IPPROTO_UDP, 443};
	c.n_ports = 4;
	if (with_mac)
		memcpy(c.mac, mac, 6);
	if (with6)
		memcpy(&c.dmz6, dmz6, 16);
	return c;
}

static int
watched(const struct netcfg_watch_conf *c, uint8_t proto, uint16_t port)
{
	size_t i;

	for (i = 0; i < c->n_ports; i++)
		if (c->ports[i].proto == proto && c->ports[i].port == port)
			return 1;
	return 0;
}

static uint32_t
fold(const uint8_t *a)
{
	uint32_t v = 0;
	int i;

	for (i = 0; i < 16; i += 4)
		v ^= (uint32_t)a[i] << 24 | (uint32_t)a[i + 1] << 16 |
		     (uint32_t)a[i + 2] << 8 | a[i + 3];
	return v;
}

static void
check_seen(const struct netcfg_watch_conf *c, const struct netcfg_watch_seen *s)
{
	if (s->family == 6) {
		if (s->flow >> 24 != fold(s->client6.s6_addr) ||
		    memcmp(&s->client6, &c->dmz6, 16) == 0)
			abort();
	} else if (s->family != 4 || s->flow >> 24 != ntohl(s->client.s_addr))
		abort();
	if (((s->flow >> 8) & 0xffff) != s->client_port ||
	    (s->flow & 0xff) != s->proto)
		abort();
	if ((s->family == 4 && s->client.s_addr == c->dmz.s_addr) ||
	    !watched(c, s->proto, s->port))
		abort();
	if (s->rst &&
	    (s->kind != NETCFG_WATCH_ANSWER || s->proto != IPPROTO_TCP))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct netcfg_watch_conf c;
	struct sock_filter prog[NETCFG_WATCH_BPF_MAX];
	struct netcfg_watch_seen s, t;
	enum netcfg_watch_kind k;
	size_t n;
	long r;

	if (size < 1)
		return 0;
	c = conf_get(data[0] & 1, data[0] & 2);
	data++;
	size--;
	n = netcfg_watch_bpf(&c, prog, NETCFG_WATCH_BPF_MAX);
	if (n == 0)
		abort();
	k = netcfg_watch_classify(data, size, &c, &s);
	r = netcfg_watch_bpf_run(prog, n, data, size);
	if (r != 0 && r != NETCFG_WATCH_SNAP)
		abort();
	if ((r != 0) != (k != NETCFG_WATCH_IGNORE) || s.kind != k)
		abort();
	if (k == NETCFG_WATCH_IGNORE)
		return 0;
	check_seen(&c, &s);
	if (size > NETCFG_WATCH_SNAP) {
		if (netcfg_watch_classify(data, NETCFG_WATCH_SNAP, &c, &t) !=
			k ||
		    t.flow != s.flow || t.port != s.port || t.rst != s.rst)
			abort();
	}
	return 0;
}
