/*
 * src/dmz_auto_core.c — the pure half of [dmz] address = auto: see
 * src/dmz_auto.h. libc, the wire's message struct and router_pick_free;
 * no clock, socket or logging.
 */
#include "config.h"

#include "src/dmz_auto.h"

#include "dns/router_core.h"
#include "election/election.h"

#include <arpa/inet.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *
dmz_source_name(enum dmz_source s)
{
	switch (s) {
	case DMZ_SRC_ROUTER:
		return "router";
	case DMZ_SRC_CHOSEN:
		return "chosen";
	case DMZ_SRC_CONFIG:
	default:
		return "config";
	}
}

static uint32_t
mask_of(unsigned prefix)
{
	return prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
}

bool
dmz_on_lan(struct in_addr a, struct in_addr lan, unsigned prefix)
{
	uint32_t h = ntohl(a.s_addr), m = mask_of(prefix);

	if (prefix < 1 || prefix > 30)
		return false;
	if ((h & m) != (ntohl(lan.s_addr) & m))
		return false;
	return (h & ~m) != 0 && (h & ~m) != ~m;
}

static void
say(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* The address=A.B.C.D/P value: a dotted quad, a prefix 1..30, a host. */
static bool
parse_cidr(const char *v, size_t len, struct in_addr *a, uint8_t *prefix)
{
	char tmp[32];
	const char *slash;
	char *end;
	unsigned long p;

	if (len == 0 || len >= sizeof(tmp))
		return false;
	memcpy(tmp, v, len);
	tmp[len] = '\0';
	slash = strchr(tmp, '/');
	if (slash == NULL || slash[1] < '1' || slash[1] > '9')
		return false;
	if (!router_parse_external(tmp, (size_t)(slash - tmp), a))
		return false;
	p = strtoul(slash + 1, &end, 10);
	if (*end != '\0' || p < 1 || p > 30)
		return false;
	*prefix = (uint8_t)p;
	return dmz_on_lan(*a, *a, (unsigned)p);
}

int
dmz_file_parse(const char *text, size_t len, struct dmz_choice *out, char *err,
    size_t errlen)
{
	struct dmz_choice c = {0};
	bool have_addr = false, have_src = false;
	size_t pos = 0, lineno = 0, n, klen;
	const char *line, *eq, *v;

	while (pos < len) {
		line = text + pos;
		n = 0;
		while (pos + n < len && line[n] != '\n')
			n++;
		pos += n + 1;
		lineno++;
		if (memchr(line, '\0', n) != NULL) {
			say(err, errlen, "line %zu: a NUL byte", lineno);
			return -1;
		}
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n == 0 || line[0] == '#')
			continue;
		eq = memchr(line, '=', n);
		if (eq == NULL) {
			say(err, errlen, "line %zu: expected key=value",
			    lineno);
			return -1;
		}
		klen = (size_t)(eq - line);
		v = eq + 1;
		if (klen == 7 && memcmp(line, "address", 7) == 0 &&
		    !have_addr) {
			if (!parse_cidr(v, n - klen - 1, &c.addr, &c.prefix)) {
				say(err, errlen,
				    "line %zu: address is not a LAN host "
				    "address/prefix",
				    lineno);
				return -1;
			}
			have_addr = true;
		} else if (klen == 6 && memcmp(line, "source", 6) == 0 &&
			   !have_src) {
			if (n - klen - 1 == 6 && memcmp(v, "router", 6) == 0)
				c.source = DMZ_SRC_ROUTER;
			else if (n - klen - 1 == 6 &&
				 memcmp(v, "chosen", 6) == 0)
				c.source = DMZ_SRC_CHOSEN;
			else {
				say(err, errlen,
				    "line %zu: source is neither router nor "
				    "chosen",
				    lineno);
				return -1;
			}
			have_src = true;
		} else {
			say(err, errlen,
			    "line %zu: unknown or repeated key, expected "
			    "address= and source= once each",
			    lineno);
			return -1;
		}
	}
	if (!have_addr || !have_src) {
		say(err, errlen, "%s= missing",
		    have_addr ? "source" : "address");
		return -1;
	}
	*out = c;
	return 0;
}

size_t
dmz_file_format(const struct dmz_choice *c, char *buf, size_t len)
{
	char a[INET_ADDRSTRLEN];
	int n;

	if (inet_ntop(AF_INET, &c->addr, a, sizeof(a)) == NULL)
		return 0;
	n = snprintf(buf, len,
	    "# qured [dmz] address = auto: the address the cluster uses\n"
	    "address=%s/%u\nsource=%s\n",
	    a, (unsigned)c->prefix, dmz_source_name(c->source));
	return n < 0 || (size_t)n >= len ? 0 : (size_t)n;
}

/* Eight hex digits, exactly. */
static bool
hex32(const char *s, size_t len, uint32_t *out)
{
	uint32_t v = 0;
	size_t i;
	int d;

	if (len != 8)
		return false;
	for (i = 0; i < 8; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if (s[i] >= 'A' && s[i] <= 'F')
			d = s[i] - 'A' + 10;
		else if (s[i] >= 'a' && s[i] <= 'f')
			d = s[i] - 'a' + 10;
		else
			return false;
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	return true;
}

bool
dmz_route_gateway(const char *line, const char *ifname, struct in_addr *gw)
{
	const char *f[4];
	size_t flen[4], i = 0;
	const char *p = line;
	uint32_t dst, via, flags;

	/* Iface, Destination, Gateway, Flags: tab-separated. */
	while (i < 4) {
		f[i] = p;
		while (*p != '\0' && *p != '\t' && *p != '\n')
			p++;
		flen[i] = (size_t)(p - f[i]);
		i++;
		if (*p != '\t')
			break;
		p++;
	}
	if (i < 4 || strlen(ifname) != flen[0] ||
	    memcmp(f[0], ifname, flen[0]) != 0)
		return false;
	if (!hex32(f[1], flen[1], &dst) || !hex32(f[2], flen[2], &via) ||
	    flen[3] == 0 || flen[3] > 4)
		return false;
	flags = (uint32_t)strtoul(f[3], NULL, 16);
	/* RTF_UP 1, RTF_GATEWAY 2; the fields are in network order as
	 * the kernel prints a native u32. */
	if (dst != 0 || via == 0 || (flags & 3) != 3)
		return false;
	gw->s_addr = via;
	return true;
}

void
dmz_facts_init(struct dmz_facts *f, struct in_addr lan, unsigned prefix)
{
	memset(f, 0, sizeof(*f));
	f->lan = lan;
	f->prefix = prefix;
	dmz_facts_exclude(f, lan);
}

void
dmz_facts_exclude(struct dmz_facts *f, struct in_addr a)
{
	size_t i;

	for (i = 0; i < f->n_exclude; i++)
		if (f->exclude[i].s_addr == a.s_addr)
			return;
	if (f->n_exclude < DMZ_EXCLUDE_MAX)
		f->exclude[f->n_exclude++] = a;
}

bool
dmz_facts_hear(struct dmz_facts *f, const struct elect_msg *m)
{
	struct in_addr a;
	unsigned rank;
	size_t i;

	if (m->type == ELECT_MSG_HEARTBEAT || m->type == ELECT_MSG_CLAIM)
		rank = 2;
	else if (m->type == ELECT_MSG_HELLO)
		rank = 1;
	else
		return false;
	for (i = 0; i < m->n_addrs && i < ELECT_MAX_ADDRS; i++)
		if (m->addrs[i].family == 4) {
			memcpy(&a, m->addrs[i].b, 4);
			dmz_facts_exclude(f, a);
		}
	if (!(m->has & ELECT_HAS_DMZ) || m->dmz.family != 4)
		return false;
	memcpy(&a, m->dmz.b, 4);
	if (!dmz_on_lan(a, f->lan, f->prefix) ||
	    !dmz_on_lan(a, a, m->dmz_prefix)) {
		f->rejected++;
		return false;
	}
	if (f->peer && (rank < f->peer_rank ||
			   (rank == f->peer_rank && m->epoch < f->peer_epoch)))
		return false;
	if (f->peer && f->peer_addr.s_addr == a.s_addr &&
	    f->peer_prefix == m->dmz_prefix) {
		f->peer_rank = rank;
		f->peer_epoch = m->epoch;
		return false;
	}
	f->peer = true;
	f->peer_rank = rank;
	f->peer_epoch = m->epoch;
	f->peer_addr = a;
	f->peer_prefix = m->dmz_prefix;
	return true;
}

static bool
excluded(const struct dmz_facts *f, struct in_addr a)
{
	size_t i;

	for (i = 0; i < f->n_exclude; i++)
		if (f->exclude[i].s_addr == a.s_addr)
			return true;
	return false;
}

bool
dmz_decide(const struct dmz_facts *f, struct dmz_choice *out)
{
	/* A row forwarding to a member's own address (or ours, or the
	 * router's) is a host's, not a free DMZ address: not taken. */
	bool router = f->router &&
		      dmz_on_lan(f->router_addr, f->lan, f->prefix) &&
		      !excluded(f, f->router_addr);
	bool saved = f->saved && dmz_on_lan(f->file.addr, f->lan, f->prefix);

	if (f->peer) {
		out->addr = f->peer_addr;
		out->prefix = f->peer_prefix;
		if (router && f->router_addr.s_addr == f->peer_addr.s_addr)
			out->source = DMZ_SRC_ROUTER;
		else if (saved && f->file.addr.s_addr == f->peer_addr.s_addr)
			out->source = f->file.source;
		else
			out->source = DMZ_SRC_CHOSEN;
		return true;
	}
	if (router) {
		out->addr = f->router_addr;
		out->prefix = (uint8_t)f->prefix;
		out->source = DMZ_SRC_ROUTER;
		return true;
	}
	if (saved) {
		*out = f->file;
		out->prefix = (uint8_t)f->prefix;
		return true;
	}
	return false;
}

bool
dmz_pick(const struct dmz_facts *f, unsigned skip, struct dmz_choice *out)
{
	struct in_addr a;

	if (!router_pick_free(
		f->lan, f->prefix, f->exclude, f->n_exclude, skip, &a))
		return false;
	out->addr = a;
	out->prefix = (uint8_t)f->prefix;
	out->source = DMZ_SRC_CHOSEN;
	return true;
}
