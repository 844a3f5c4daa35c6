/*
 * discovery/disc_avahi.c — the DNS-SD engine: publishes this instance as
 * `_qure._udp`, browses and resolves the others through avahi-client, on
 * an event_base through the AvahiPoll of disc_avahi_poll.c. It runs in
 * the DNS-SD helper process (disc_avahi_helper.c), never in qured's own
 * loop: avahi-client's calls are synchronous D-Bus round trips, and a
 * stopped avahi-daemon would hold each for libdbus's 25 s timeout.
 * DNS-SD is an extra: the cluster finds itself by its multicast HELLO
 * without it, so nothing here is fatal. A missing, stopped or restarted
 * avahi-daemon is logged once and reconnected (AVAHI_CLIENT_NO_FAIL: a
 * client waits in CONNECTING until the daemon is on the bus; one that
 * lost the daemon is freed and made anew, avahi-common/defs.h
 * "daemon_dies"), with a backoff when even that fails (no D-Bus).
 *
 * The client's states, as the status shows them:
 *   connecting  made, or the daemon registers its host name
 *   absent      no daemon on the bus, or no bus: retrying
 *   running     S_RUNNING: published (or publishing) and browsing
 *   failed      the daemon refused us: retrying with backoff
 *   disabled    [discovery] avahi = no
 *
 * Everything browsed is hostile until its TXT parses (disc_txt.c): at most
 * DISC_AVAHI_MAX_PEERS instances are tracked, the rest counted and ignored.
 */
#include "config.h"

#include "discovery/disc_avahi.h"
#include "discovery/disc_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-client/publish.h>
#include <avahi-common/alternative.h>
#include <avahi-common/domain.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-common/strlst.h>
#include <event2/event.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/xmalloc.h"

#define LOG_EVERY_MS 60000 /* a hostile publisher: a line a minute */
#define RENAME_MAX 16	   /* alternative names tried in a row */

enum peer_kind {
	P_FREE = 0,
	P_RESOLVING,
	P_OURS,	 /* our cluster, another member: counted, hinted */
	P_SELF,	 /* our own id (another interface, a stale record) */
	P_OTHER, /* another cluster, a bad TXT, unresolvable */
};

struct peer {
	enum peer_kind kind;
	uint8_t id[16]; /* P_OURS: its TXT's id= */
	AvahiIfIndex iface;
	AvahiProtocol proto;
	char name[AVAHI_LABEL_MAX];
	char domain[AVAHI_DOMAIN_NAME_MAX];
	AvahiServiceResolver *r;
};

struct disc_engine {
	struct event_base *base;
	struct disc_avahi_conf conf;
	disc_avahi_peer_cb *cb;
	void *arg;
	struct disc_avahi_poll *poll;
	AvahiClient *client;
	AvahiEntryGroup *group;
	AvahiServiceBrowser *browser;
	char *name;	     /* the instance name in use (avahi_strdup) */
	bool published;	     /* added and committed to the group */
	bool no_host;	     /* our host record collided: not again */
	unsigned collisions; /* in a row, before ESTABLISHED */
	bool txt_stale;	     /* conf.txt changed while the group was probing */
	AvahiEntryGroupState group_state;
	enum disc_avahi_state state;
	enum disc_avahi_state logged; /* the last state said in the log */
	bool ever_running;
	struct event *retry;
	uint64_t retry_ms;
	bool made_client; /* a client was made once: the next is a reconnect */
	struct peer peer[DISC_AVAHI_MAX_PEERS];
	struct disc_avahi_stats stats;
	uint64_t txt_log_ms[DISC_TXT_NERR];
	uint64_t ignored_log_ms;
};

static void disc_connect(struct disc_engine *);

static AvahiIfIndex
iface_of(const struct disc_engine *d)
{
	return d->conf.ifindex > 0 ? d->conf.ifindex : AVAHI_IF_UNSPEC;
}

/* A name from the LAN, for a log line: printable ASCII, at most 40. */
static void
shown(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < len && i < 40; i++)
		buf[i] = s[i] < 0x20 || s[i] >= 0x7f ? '?' : s[i];
	buf[i] = '\0';
}

/* ---- state and its log lines ---- */

static void
set_state(struct disc_engine *d, enum disc_avahi_state st, int err)
{
	bool warn = d->conf.mode == DISC_AVAHI_YES;

	d->state = st;
	if (st == d->logged)
		return; /* said once per change, not per retry */
	switch (st) {
	case DISC_AVAHI_ABSENT:
		if (warn)
			log_warnx("discovery: avahi-daemon is not running "
				  "(%s); DNS-SD waits for it, the cluster "
				  "works on its multicast HELLO",
			    avahi_strerror(err));
		else
			log_info("discovery: avahi-daemon is not running "
				 "(%s); DNS-SD waits for it, the cluster "
				 "works on its multicast HELLO",
			    avahi_strerror(err));
		break;
	case DISC_AVAHI_FAILED:
		log_warnx("discovery: avahi-daemon refused us (%s); retrying, "
			  "the cluster works on its multicast HELLO",
		    avahi_strerror(err));
		break;
	case DISC_AVAHI_RUNNING:
		log_info("discovery: avahi-daemon is running%s; publishing "
			 "%s on port %u",
		    d->ever_running ? " again" : "", DISC_SERVICE_TYPE,
		    d->conf.port);
		d->ever_running = true;
		break;
	case DISC_AVAHI_CONNECTING:
	case DISC_AVAHI_DISABLED:
		return; /* passing states: not worth a line */
	}
	d->logged = st;
}

/* ---- browsed peers ---- */

static void
peer_clear(struct peer *p)
{
	if (p->r != NULL)
		avahi_service_resolver_free(p->r);
	memset(p, 0, sizeof(*p));
}

/* Whether a peer below i has the same id: one instance browsed over both
 * IPv4 and IPv6 (or on two interfaces) is one member. */
static bool
id_seen_before(const struct disc_engine *d, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (d->peer[j].kind == P_OURS &&
		    memcmp(d->peer[j].id, d->peer[i].id,
			sizeof(d->peer[j].id)) == 0)
			return true;
	return false;
}

static void
count_peers(struct disc_engine *d)
{
	size_t i;

	d->stats.peers_browsed = 0;
	d->stats.others = 0;
	for (i = 0; i < DISC_AVAHI_MAX_PEERS; i++) {
		d->stats.peers_browsed +=
		    d->peer[i].kind == P_OURS && !id_seen_before(d, i);
		d->stats.others += d->peer[i].kind == P_OTHER;
	}
}

static struct peer *
peer_find(struct disc_engine *d, AvahiIfIndex iface, AvahiProtocol proto,
    const char *name, const char *domain)
{
	size_t i;

	for (i = 0; i < DISC_AVAHI_MAX_PEERS; i++) {
		struct peer *p = &d->peer[i];

		if (p->kind != P_FREE && p->iface == iface &&
		    p->proto == proto && strcmp(p->name, name) == 0 &&
		    strcmp(p->domain, domain) == 0)
			return p;
	}
	return NULL;
}

static struct peer *
peer_by_resolver(struct disc_engine *d, AvahiServiceResolver *r)
{
	size_t i;

	for (i = 0; i < DISC_AVAHI_MAX_PEERS; i++)
		if (d->peer[i].kind != P_FREE && d->peer[i].r == r)
			return &d->peer[i];
	return NULL;
}

static void
log_rejected(struct disc_engine *d, const char *name, enum disc_txt_err e)
{
	uint64_t now = clock_now_ms();
	char s[48];

	d->stats.txt_rejected[e]++;
	if (d->txt_log_ms[e] != 0 && now < d->txt_log_ms[e] + LOG_EVERY_MS)
		return;
	d->txt_log_ms[e] = now ? now : 1;
	shown(name, s, sizeof(s));
	log_warnx("discovery: ignored the DNS-SD instance \"%s\": TXT %s "
		  "(counted; logged once a minute per reason)",
	    s, disc_txt_err_name(e));
}

/*
 * The TXT as rdata, bounded before it is copied: the list is avahi-
 * client's, its length is what a publisher chose.
 */
static enum disc_txt_err
txt_of(AvahiStringList *l, struct disc_txt *out)
{
	static uint8_t buf[DISC_TXT_RDATA_MAX];
	size_t total = 0, n = 0, len;
	AvahiStringList *i;

	for (i = l; i != NULL; i = avahi_string_list_get_next(i)) {
		if (++n > DISC_TXT_ITEMS_MAX)
			return DISC_TXT_TOO_MANY;
		total += 1 + avahi_string_list_get_size(i);
		if (total > DISC_TXT_RDATA_MAX)
			return DISC_TXT_TOO_LONG;
	}
	len = avahi_string_list_serialize(l, buf, sizeof(buf));
	/* An empty list serializes as one empty string (RFC 6763 §6.1). */
	return disc_txt_parse(buf, len, out);
}

/* A resolved address as a socket address; false: neither family. */
static bool
sockaddr_of(const AvahiAddress *a, uint16_t port, AvahiIfIndex iface,
    struct sockaddr_in *sin, struct sockaddr_in6 *sin6)
{
	memset(sin, 0, sizeof(*sin));
	memset(sin6, 0, sizeof(*sin6));
	if (a->proto == AVAHI_PROTO_INET) {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = a->data.ipv4.address;
		sin->sin_port = htons(port);
		return true;
	}
	if (a->proto != AVAHI_PROTO_INET6)
		return false;
	sin6->sin6_family = AF_INET6;
	memcpy(&sin6->sin6_addr, a->data.ipv6.address, 16);
	sin6->sin6_port = htons(port);
	sin6->sin6_scope_id = iface > 0 ? (uint32_t)iface : 0;
	return true;
}

static void
resolved(struct disc_engine *d, struct peer *p, const AvahiAddress *a,
    uint16_t port, AvahiIfIndex iface, AvahiStringList *l)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct disc_txt txt;
	enum disc_txt_err e;

	p->kind = P_OTHER;
	if ((e = txt_of(l, &txt)) != DISC_TXT_OK) {
		log_rejected(d, p->name, e);
		return;
	}
	if (strcmp(txt.cluster, d->conf.txt.cluster) != 0 ||
	    !sockaddr_of(a, port, iface, &sin, &sin6))
		return; /* another cluster: never ours (doc/design.md §5.6) */
	if (memcmp(txt.id, d->conf.txt.id, sizeof(txt.id)) == 0) {
		p->kind = P_SELF;
		return;
	}
	p->kind = P_OURS;
	_Static_assert(sizeof(p->id) == sizeof(txt.id), "an id is an id");
	memcpy(p->id, txt.id, sizeof(p->id));
	count_peers(d);
	d->cb(d->arg, &txt,
	    sin.sin_family == AF_INET ? (const struct sockaddr *)&sin
				      : (const struct sockaddr *)&sin6);
}

static void
resolve_cb(AvahiServiceResolver *r, AvahiIfIndex iface, AvahiProtocol proto,
    AvahiResolverEvent event, const char *name, const char *type,
    const char *domain, const char *host, const AvahiAddress *a, uint16_t port,
    AvahiStringList *txt, AvahiLookupResultFlags flags, void *arg)
{
	struct disc_engine *d = arg;
	struct peer *p = peer_by_resolver(d, r);

	(void)proto, (void)name, (void)type, (void)domain;
	(void)host, (void)flags;
	if (p == NULL)
		return;
	if (event == AVAHI_RESOLVER_FOUND && a != NULL)
		resolved(d, p, a, port, iface, txt);
	else if (event == AVAHI_RESOLVER_FAILURE) {
		/* Unresolvable (gone, or never answering): tracked until the
		 * browser removes it, so it is not resolved again and again. */
		p->kind = P_OTHER;
		avahi_service_resolver_free(p->r);
		p->r = NULL;
	}
	count_peers(d);
}

static AvahiProtocol
resolve_family(const struct disc_engine *d)
{
	return d->conf.addr.s_addr != 0 ? AVAHI_PROTO_INET : AVAHI_PROTO_INET6;
}

static void
browse_new(struct disc_engine *d, AvahiIfIndex iface, AvahiProtocol proto,
    const char *name, const char *type, const char *domain)
{
	uint64_t now = clock_now_ms();
	struct peer *p;
	size_t i;

	if (peer_find(d, iface, proto, name, domain) != NULL)
		return;
	for (i = 0; i < DISC_AVAHI_MAX_PEERS && d->peer[i].kind != P_FREE; i++)
		;
	if (i == DISC_AVAHI_MAX_PEERS) {
		d->stats.ignored++;
		if (d->ignored_log_ms == 0 ||
		    now >= d->ignored_log_ms + LOG_EVERY_MS) {
			d->ignored_log_ms = now ? now : 1;
			log_warnx("discovery: more than %d DNS-SD instances "
				  "of %s; ignoring the rest (counted; logged "
				  "once a minute)",
			    DISC_AVAHI_MAX_PEERS, DISC_SERVICE_TYPE);
		}
		return;
	}
	p = &d->peer[i];
	p->iface = iface;
	p->proto = proto;
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->domain, sizeof(p->domain), "%s", domain);
	/* Browsed over IPv4 or IPv6 mDNS (a dual-stack instance on both),
	 * resolved to an address of the family we advertise first: an A
	 * when we have an IPv4 address, else an AAAA (an IPv6-only LAN). */
	p->r = avahi_service_resolver_new(d->client, iface, proto, name, type,
	    domain, resolve_family(d), 0, resolve_cb, d);
	p->kind = p->r != NULL ? P_RESOLVING : P_OTHER;
}

static void
browse_cb(AvahiServiceBrowser *b, AvahiIfIndex iface, AvahiProtocol proto,
    AvahiBrowserEvent event, const char *name, const char *type,
    const char *domain, AvahiLookupResultFlags flags, void *arg)
{
	struct disc_engine *d = arg;
	struct peer *p;

	(void)b;
	switch (event) {
	case AVAHI_BROWSER_NEW:
		if (!(flags & AVAHI_LOOKUP_RESULT_OUR_OWN))
			browse_new(d, iface, proto, name, type, domain);
		break;
	case AVAHI_BROWSER_REMOVE:
		if ((p = peer_find(d, iface, proto, name, domain)) != NULL)
			peer_clear(p);
		break;
	case AVAHI_BROWSER_FAILURE:
		log_warnx("discovery: browsing %s failed: %s",
		    DISC_SERVICE_TYPE,
		    avahi_strerror(avahi_client_errno(d->client)));
		break;
	case AVAHI_BROWSER_ALL_FOR_NOW:
	case AVAHI_BROWSER_CACHE_EXHAUSTED:
		break;
	}
	count_peers(d);
}

/* ---- publishing ---- */

static AvahiStringList *
txt_list(const struct disc_engine *d)
{
	uint8_t buf[DISC_TXT_RDATA_MAX];
	AvahiStringList *l = NULL;
	size_t len;

	len = disc_txt_encode(&d->conf.txt, buf, sizeof(buf));
	if (len == 0 || avahi_string_list_parse(buf, len, &l) < 0)
		return NULL;
	return l;
}

static void
rename_service(struct disc_engine *d)
{
	char *alt = avahi_alternative_service_name(d->name);
	char was[48], now[48];

	if (alt == NULL)
		return;
	shown(d->name, was, sizeof(was));
	shown(alt, now, sizeof(now));
	log_info("discovery: the DNS-SD name \"%s\" is taken on the LAN; "
		 "publishing as \"%s\"",
	    was, now);
	avahi_free(d->name);
	d->name = alt;
	d->stats.collisions++;
}

/* One address of our host record; false (logged) when refused. */
static bool
add_host_address(struct disc_engine *d, const char *host, const AvahiAddress *a)
{
	int err = avahi_entry_group_add_address(d->group, iface_of(d),
	    AVAHI_PROTO_UNSPEC, AVAHI_PUBLISH_NO_REVERSE, host, a);

	if (err != AVAHI_OK)
		log_debug("discovery: no %s record for %s: %s",
		    a->proto == AVAHI_PROTO_INET ? "A" : "AAAA", host,
		    avahi_strerror(err));
	return err == AVAHI_OK;
}

/*
 * Our own host record (disc_avahi_conf.addr and addr6): "qure-XXXX.local"
 * with those addresses, no reverse entry (the daemon has one for them).
 * Sets host to the name, or to "" when there is none to point at (the
 * service then points at the daemon's host name).
 */
static void
add_host(struct disc_engine *d, char *host, size_t len)
{
	static const struct in6_addr none6;
	AvahiAddress a;
	bool any = false;
	size_t i;

	host[0] = '\0';
	if (d->no_host)
		return;
	/* The whole id: unique unless cloned (the core renames a clone). */
	snprintf(host, len, "qure-");
	for (i = 0; i < sizeof(d->conf.txt.id); i++)
		snprintf(host + 5 + 2 * i, len - 5 - 2 * i, "%02x",
		    d->conf.txt.id[i]);
	snprintf(host + 5 + 2 * i, len - 5 - 2 * i, ".local");
	memset(&a, 0, sizeof(a));
	if (d->conf.addr.s_addr != 0) {
		a.proto = AVAHI_PROTO_INET;
		a.data.ipv4.address = d->conf.addr.s_addr;
		any = add_host_address(d, host, &a);
	}
	if (memcmp(&d->conf.addr6, &none6, sizeof(none6)) != 0) {
		a.proto = AVAHI_PROTO_INET6;
		memcpy(a.data.ipv6.address, &d->conf.addr6, 16);
		any = add_host_address(d, host, &a) || any;
	}
	if (!any)
		host[0] = '\0';
}

static void
publish(struct disc_engine *d)
{
	char host[AVAHI_LABEL_MAX + 8];
	AvahiStringList *l;
	int err = AVAHI_OK, tries;

	if (d->group == NULL || d->published)
		return;
	if ((l = txt_list(d)) == NULL) {
		log_warnx("discovery: our TXT record does not encode; not "
			  "publishing");
		return;
	}
	add_host(d, host, sizeof(host));
	for (tries = 0; tries < RENAME_MAX; tries++) {
		err =
		    avahi_entry_group_add_service_strlst(d->group, iface_of(d),
			AVAHI_PROTO_UNSPEC, 0, d->name, DISC_SERVICE_TYPE, NULL,
			host[0] != '\0' ? host : NULL, d->conf.port, l);
		if (err != AVAHI_ERR_COLLISION)
			break;
		rename_service(d);
	}
	avahi_string_list_free(l);
	if (err == AVAHI_OK)
		err = avahi_entry_group_commit(d->group);
	if (err != AVAHI_OK) {
		log_warnx("discovery: cannot publish %s: %s", DISC_SERVICE_TYPE,
		    avahi_strerror(err));
		return;
	}
	d->published = true;
	d->txt_stale = false; /* published with the latest */
}

/*
 * The TXT follows the election state. Not while the records are probed:
 * a record changed during probing made Avahi see a conflict with itself
 * (and rename us); the change waits for ESTABLISHED.
 */
static void
update_txt(struct disc_engine *d)
{
	AvahiStringList *l;
	int err;

	if (d->group == NULL || !d->published ||
	    d->group_state != AVAHI_ENTRY_GROUP_ESTABLISHED) {
		d->txt_stale = d->published;
		return; /* published with the latest otherwise */
	}
	d->txt_stale = false;
	if ((l = txt_list(d)) == NULL)
		return;
	err = avahi_entry_group_update_service_txt_strlst(d->group, iface_of(d),
	    AVAHI_PROTO_UNSPEC, 0, d->name, DISC_SERVICE_TYPE, NULL, l);
	avahi_string_list_free(l);
	if (err != AVAHI_OK)
		log_debug(
		    "discovery: TXT not updated: %s", avahi_strerror(err));
}

static void
group_cb(AvahiEntryGroup *g, AvahiEntryGroupState st, void *arg)
{
	struct disc_engine *d = arg;

	d->group = g; /* may run inside avahi_entry_group_new() */
	d->group_state = st;
	switch (st) {
	case AVAHI_ENTRY_GROUP_COLLISION:
		/* Mostly the service name, taken: renamed. Our host record
		 * only collides with a clone of our id; renaming never ends
		 * that: after a few in a row it is left out. */
		if (++d->collisions > 3)
			d->no_host = true;
		rename_service(d);
		avahi_entry_group_reset(g);
		d->published = false;
		publish(d);
		break;
	case AVAHI_ENTRY_GROUP_FAILURE:
		log_warnx("discovery: publishing %s failed: %s",
		    DISC_SERVICE_TYPE,
		    avahi_strerror(avahi_client_errno(d->client)));
		break;
	case AVAHI_ENTRY_GROUP_ESTABLISHED:
		log_debug("discovery: published \"%s\"", d->name);
		d->collisions = 0;
		if (d->txt_stale)
			update_txt(d);
		break;
	case AVAHI_ENTRY_GROUP_UNCOMMITED:
	case AVAHI_ENTRY_GROUP_REGISTERING:
		break;
	}
}

/* ---- the client ---- */

/* Frees the client and all it made (avahi_client_free() frees them). */
static void
drop_client(struct disc_engine *d)
{
	size_t i;

	for (i = 0; i < DISC_AVAHI_MAX_PEERS; i++)
		d->peer[i].r = NULL; /* freed with the client */
	memset(d->peer, 0, sizeof(d->peer));
	count_peers(d);
	d->group = NULL;
	d->published = false;
	d->group_state = AVAHI_ENTRY_GROUP_UNCOMMITED;
	d->browser = NULL;
	if (d->client != NULL)
		avahi_client_free(d->client);
	d->client = NULL;
}

static void
retry_later(struct disc_engine *d)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(d->retry_ms / 1000);
	tv.tv_usec = (suseconds_t)(d->retry_ms % 1000) * 1000;
	evtimer_add(d->retry, &tv);
	d->retry_ms *= 2;
	if (d->retry_ms > DISC_AVAHI_RETRY_MAX_MS)
		d->retry_ms = DISC_AVAHI_RETRY_MAX_MS;
}

static void
on_running(struct disc_engine *d, AvahiClient *c)
{
	d->retry_ms = DISC_AVAHI_RETRY_MIN_MS;
	set_state(d, DISC_AVAHI_RUNNING, 0);
	if (d->group == NULL)
		d->group = avahi_entry_group_new(c, group_cb, d);
	if (d->group == NULL)
		log_warnx("discovery: cannot publish: %s",
		    avahi_strerror(avahi_client_errno(c)));
	publish(d);
	if (d->browser == NULL)
		d->browser = avahi_service_browser_new(c, iface_of(d),
		    AVAHI_PROTO_UNSPEC, DISC_SERVICE_TYPE, NULL, 0, browse_cb,
		    d);
	if (d->browser == NULL)
		log_warnx("discovery: cannot browse %s: %s", DISC_SERVICE_TYPE,
		    avahi_strerror(avahi_client_errno(c)));
}

static void
client_cb(AvahiClient *c, AvahiClientState st, void *arg)
{
	struct disc_engine *d = arg;
	int err;

	d->client = c; /* may run inside avahi_client_new() */
	switch (st) {
	case AVAHI_CLIENT_S_RUNNING:
		on_running(d, c);
		break;
	case AVAHI_CLIENT_S_COLLISION:
	case AVAHI_CLIENT_S_REGISTERING:
		/* The daemon's host name is being (re)registered: our
		 * records go, and come back once it runs. */
		if (d->group != NULL)
			avahi_entry_group_reset(d->group);
		d->published = false;
		set_state(d, DISC_AVAHI_CONNECTING, 0);
		break;
	case AVAHI_CLIENT_CONNECTING:
		set_state(d, DISC_AVAHI_ABSENT, AVAHI_ERR_NO_DAEMON);
		break;
	case AVAHI_CLIENT_FAILURE:
		err = avahi_client_errno(c);
		/* Freeing the client is allowed here (defs.h daemon_dies). */
		drop_client(d);
		set_state(d,
		    err == AVAHI_ERR_DISCONNECTED ? DISC_AVAHI_ABSENT
						  : DISC_AVAHI_FAILED,
		    err);
		retry_later(d);
		break;
	}
}

static void
disc_connect(struct disc_engine *d)
{
	AvahiClient *c;
	int err = AVAHI_OK;

	if (d->made_client)
		d->stats.reconnects++;
	d->made_client = true;
	c = avahi_client_new(disc_avahi_poll_get(d->poll), AVAHI_CLIENT_NO_FAIL,
	    client_cb, d, &err);
	if (c != NULL) {
		d->client = c;
		return;
	}
	/* Without a system bus even NO_FAIL fails: the bus may come. */
	d->client = NULL;
	d->group = NULL;
	d->browser = NULL;
	set_state(d,
	    err == AVAHI_ERR_NO_DAEMON || err == AVAHI_ERR_DBUS_ERROR ||
		    err == AVAHI_ERR_DISCONNECTED
		? DISC_AVAHI_ABSENT
		: DISC_AVAHI_FAILED,
	    err);
	retry_later(d);
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	disc_connect(arg);
}

struct disc_engine *
disc_engine_new(struct event_base *base, const struct disc_avahi_conf *conf,
    disc_avahi_peer_cb *cb, void *arg)
{
	struct disc_engine *d = xcalloc(1, sizeof(*d));

	d->base = base;
	d->conf = *conf;
	d->cb = cb;
	d->arg = arg;
	d->state = DISC_AVAHI_DISABLED;
	d->logged = DISC_AVAHI_DISABLED;
	if (conf->mode == DISC_AVAHI_NO)
		return d;
	d->name = avahi_strdup(conf->name[0] != '\0' ? conf->name : "qured");
	d->poll = disc_avahi_poll_new(base);
	d->retry = evtimer_new(base, retry_cb, d);
	if (d->name == NULL || d->retry == NULL)
		abort(); /* allocation, as xmalloc would */
	d->retry_ms = DISC_AVAHI_RETRY_MIN_MS;
	d->state = DISC_AVAHI_CONNECTING;
	disc_connect(d);
	return d;
}

void
disc_engine_free(struct disc_engine *d)
{
	if (d == NULL)
		return;
	drop_client(d); /* withdraws the service: goodbye packets */
	if (d->retry != NULL)
		event_free(d->retry);
	disc_avahi_poll_free(d->poll);
	avahi_free(d->name);
	free(d);
}

void
disc_engine_set_txt(struct disc_engine *d, const struct disc_txt *txt)
{
	if (memcmp(d->conf.txt.id, txt->id, sizeof(txt->id)) == 0 &&
	    strcmp(d->conf.txt.cluster, txt->cluster) == 0 &&
	    d->conf.txt.prio == txt->prio &&
	    strcmp(d->conf.txt.state, txt->state) == 0 &&
	    d->conf.txt.ver == txt->ver)
		return;
	d->conf.txt = *txt;
	update_txt(d);
}

void
disc_engine_set_ifindex(struct disc_engine *d, int ifindex)
{
	if (d->conf.ifindex == ifindex || d->conf.mode == DISC_AVAHI_NO)
		return;
	d->conf.ifindex = ifindex;
	/* Records and browser are bound to the old index: start over. */
	drop_client(d);
	evtimer_del(d->retry);
	d->retry_ms = DISC_AVAHI_RETRY_MIN_MS;
	disc_connect(d);
}

enum disc_avahi_state
disc_engine_get_state(const struct disc_engine *d)
{
	return d->state;
}

void
disc_engine_get_stats(const struct disc_engine *d, struct disc_avahi_stats *out)
{
	*out = d->stats;
}

const char *
disc_avahi_state_name(enum disc_avahi_state st)
{
	switch (st) {
	case DISC_AVAHI_DISABLED:
		return "disabled";
	case DISC_AVAHI_CONNECTING:
		return "connecting";
	case DISC_AVAHI_RUNNING:
		return "running";
	case DISC_AVAHI_ABSENT:
		return "absent";
	case DISC_AVAHI_FAILED:
		return "failed";
	}
	return "unknown";
}
