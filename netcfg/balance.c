/*
 * netcfg/balance.c — the load sharing ruleset (netcfg/balance.h).
 */
#include "config.h"

#include "netcfg/balance.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* A sticky-failing appender: check once at the end. */
struct out {
	char *p;
	size_t len, used;
	bool fail;
};

static void __attribute__((format(printf, 2, 3)))
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->fail)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->used, o->len - o->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->used) {
		o->fail = true;
		return;
	}
	o->used += (size_t)n;
}

static const char *
ip(struct in_addr a, char buf[INET_ADDRSTRLEN])
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

/* One rule per protocol that has ports: "tcp dport { 80, 443 }". */
static void
put_dnat(struct out *o, const struct balance_conf *c, uint8_t proto)
{
	char a[INET_ADDRSTRLEN];
	const char *name = proto == 6 ? "tcp" : "udp";
	size_t i, n = 0, b;

	for (i = 0; i < c->n_ports; i++)
		n += c->ports[i].proto == proto;
	if (n == 0)
		return;
	put(o, "  ip daddr %s %s dport {", ip(c->dmz, a), name);
	for (i = 0, n = 0; i < c->n_ports; i++)
		if (c->ports[i].proto == proto)
			put(o, "%s %u", n++ ? "," : "", c->ports[i].port);
	put(o,
	    " } ct state new dnat to jhash ip saddr%s mod %d seed 0x%x "
	    "map {",
	    c->key_port ? (proto == 6 ? " . tcp sport" : " . udp sport") : "",
	    BALANCE_BUCKETS, c->seed);
	for (b = 0; b < BALANCE_BUCKETS; b++)
		put(o, "%s %zu : %s", b ? "," : "", b, ip(c->bucket[b], a));
	put(o, " }\n");
}

/* The members other than us that hold a bucket, each once. */
static void
put_members(struct out *o, const struct balance_conf *c)
{
	char a[INET_ADDRSTRLEN];
	size_t b, k, n = 0;

	for (b = 0; b < BALANCE_BUCKETS; b++) {
		if (c->bucket[b].s_addr == c->self.s_addr)
			continue;
		for (k = 0; k < b; k++)
			if (c->bucket[k].s_addr == c->bucket[b].s_addr)
				break;
		if (k < b)
			continue;
		put(o, "%s%s", n++ ? ", " : "", ip(c->bucket[b], a));
	}
	if (n == 0)
		put(o, "%s", ip(c->self, a)); /* never matched: DNAT to self */
}

size_t
balance_script(const struct balance_conf *c, char *out, size_t len)
{
	struct out o = {out, len, 0, false};
	char a[INET_ADDRSTRLEN];

	if (c->n_ports == 0 || len == 0)
		return 0;
	/* An empty table first makes the delete work whether a table is
	 * there or not, in one transaction with the new one. */
	put(&o, "table ip %s {}\ndelete table ip %s\n", c->table, c->table);
	put(&o, "table ip %s {\n", c->table);
	put(&o, " chain pre {\n  type nat hook prerouting priority dstnat; "
		"policy accept;\n");
	put_dnat(&o, c, 6);
	put_dnat(&o, c, 17);
	put(&o, " }\n chain post {\n  type nat hook postrouting priority "
		"srcnat; policy accept;\n  ct status dnat ip daddr { ");
	put_members(&o, c);
	/* fully-random: the source port of each SNATed connection is drawn,
	 * not kept from the client's, so that two clients' connections do
	 * not land on one tuple that the member still keeps in TIME_WAIT
	 * (its SYN then waits a retransmit, 1 s). */
	put(&o, " } snat to %s fully-random\n }\n}\n", ip(c->self, a));
	return o.fail ? 0 : o.used;
}

size_t
balance_script_remove(const char *table, char *out, size_t len)
{
	struct out o = {out, len, 0, false};

	put(&o, "table ip %s {}\ndelete table ip %s\n", table, table);
	return o.fail ? 0 : o.used;
}
