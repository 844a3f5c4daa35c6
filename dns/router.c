/*
 * dns/router.c — the router part's helper process and its edge on
 * qured's loop (dns/router.h).
 *
 * qured -> helper: Q_PUBLIC (the external address), Q_MAP (one port to
 * the DMZ address). helper -> qured: one answer per request, whole
 * fixed-size messages on a SOCK_SEQPACKET socketpair (both ends are this
 * binary). The helper keeps what it found (the IGD's control URL) between
 * requests, so discovery (an SSDP wait of ROUTER_SSDP_MS) happens once.
 * It sends NAT-PMP requests from the DMZ address: NAT-PMP maps to its
 * sender, and the holder holds that address.
 */
#include "config.h"

#include "dns/router.h"

#include <arpa/inet.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>
#include <miniupnpc/miniupnpc.h>
#include <miniupnpc/upnpcommands.h>
#include <miniupnpc/upnperrors.h>
#define ENABLE_STRNATPMPERR 1 /* strnatpmperr() */
#include <natpmp.h>

#include "base/clock.h"
#include "base/fds.h"
#include "base/forked.h"
#include "base/log.h"
#include "base/xmalloc.h"

#define ROUTER_SSDP_MS 2000   /* miniupnpc's discovery wait */
#define ROUTER_NATPMP_MS 3000 /* NAT-PMP: the answer within this */
#define ROUTER_TICK_MS 1000
#define ROUTER_RESEARCH_MS 300000 /* no IGD: SSDP again after this */
#define ROUTER_EXT_LEN 64	  /* of the router's text, kept for the check */
/* The helper's heap: a router's huge description or answer (miniupnpc
 * reads each whole into memory) fails an allocation, not the host. */
#define ROUTER_HELPER_DATA (64u << 20)

#if defined(__SANITIZE_ADDRESS__)
#define ROUTER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ROUTER_ASAN 1
#endif
#endif

enum msg_type {
	Q_PUBLIC = 1,
	Q_MAP,
	R_PUBLIC,
	R_MAP,
	Q_SCAN,
	R_SCAN,
};

/* A mapping-table row of one of our ports, as the router wrote it. */
struct scan_row {
	char client[24], port[8], proto[8];
};

struct msg {
	uint32_t type;
	int32_t ok;	/* R_*: 1 yes */
	int32_t method; /* R_*: enum router_method; 0 none */
	int32_t code;	/* UPnP error or NAT-PMP result; -1 other */
	struct in_addr dmz;
	uint32_t lease; /* Q_MAP asked, R_MAP granted (0: unknown) */
	uint16_t port;
	uint8_t proto;
	char ext[ROUTER_EXT_LEN]; /* R_PUBLIC: as the router wrote it */
	char error[160];	  /* R_*: !ok */
	int32_t igd;		  /* R_*: the helper's UPnP IGD: 1, -1 none */
	uint32_t n;		  /* Q_SCAN ports, R_SCAN rows */
	struct router_port ports[ROUTER_MAX_PORTS]; /* Q_SCAN */
	struct scan_row rows[ROUTER_SCAN_ROWS];	    /* R_SCAN */
};

struct map_slot {
	struct router_port p;
	uint64_t due_ms;
	unsigned fails;
	bool ok;
};

struct router {
	struct event_base *base;
	struct router_conf conf;
	int fd;
	pid_t pid;
	struct event *ev, *tick;
	uint64_t sent_ms; /* of the request in flight; 0: none */
	int inflight;	  /* Q_* or 0 */
	size_t inflight_map;
	bool public_wanted;
	router_public_cb *cb;
	void *cb_arg;
	bool mapping;
	struct in_addr dmz;
	struct map_slot maps[ROUTER_MAX_PORTS];
	size_t n_maps;
	struct router_causes causes;
	bool said_silent, said_unreachable, said_foreign;
	bool scan_wanted;
	struct router_port scan_ports[ROUTER_MAX_PORTS];
	size_t n_scan;
	router_found_cb *scan_cb;
	void *scan_arg;
	struct router_status st;
	char ext_text[INET_ADDRSTRLEN];
};

/* ---- the helper (child) ---- */

struct helper {
	int fd;
	int igd; /* 0 not searched, 1 found, -1 none */
	uint64_t searched_ms;
	struct UPNPUrls urls;
	struct IGDdatas data;
	char lanaddr[64];
	char ifname[IF_NAMESIZE];
};

static void
helper_find_igd(struct helper *h)
{
	struct UPNPDev *devs;
	int err = 0, r;

	if (h->igd == 1)
		return; /* an IGD that fails later is not searched again */
	/* none found: searched again after a while, not at each request
	 * (miniupnpc waits ROUTER_SSDP_MS for each of the types it asks) */
	if (h->igd == -1 &&
	    clock_now_ms() < h->searched_ms + ROUTER_RESEARCH_MS)
		return;
	h->searched_ms = clock_now_ms();
	devs = upnpDiscover(ROUTER_SSDP_MS, h->ifname[0] ? h->ifname : NULL,
	    NULL, 0, 0, 2, &err);
	if (devs == NULL) {
		h->igd = -1;
		return;
	}
	r = UPNP_GetValidIGD(
	    devs, &h->urls, &h->data, h->lanaddr, sizeof(h->lanaddr));
	freeUPNPDevlist(devs);
	/* 1 connected, 2 "not connected" (a CGNAT router may say so and
	 * still answer), 3 a device that is no IGD */
	if ((r == 1 || r == 2) && h->urls.controlURL != NULL &&
	    h->urls.controlURL[0] != '\0') {
		h->igd = 1;
		return;
	}
	if (r != 0)
		FreeUPNPUrls(&h->urls);
	h->igd = -1;
}

/* One NAT-PMP exchange, bounded by ROUTER_NATPMP_MS. From src (the DMZ
 * address) when set. Returns 0 with *resp, or a NATPMP_ERR_* (< 0). */
static int
helper_natpmp(int type, const struct msg *q, natpmpresp_t *resp)
{
	natpmp_t n;
	uint64_t end = clock_now_ms() + ROUTER_NATPMP_MS;
	int r;

	if ((r = initnatpmp(&n, 0, 0)) < 0)
		return r;
	if (q != NULL && q->dmz.s_addr != 0) {
		struct sockaddr_in src = {.sin_family = AF_INET},
				   gw = {.sin_family = AF_INET};
		int s = socket(AF_INET, SOCK_DGRAM, 0);

		src.sin_addr = q->dmz;
		gw.sin_addr.s_addr = n.gateway;
		gw.sin_port = htons(NATPMP_PORT);
		int one = 1;

		/* IP_FREEBIND: the claim may add the address a moment after
		 * the state change that asked for the mapping. */
		if (s == -1 ||
		    setsockopt(s, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)) ==
			-1 ||
		    bind(s, (struct sockaddr *)&src, sizeof(src)) == -1 ||
		    connect(s, (struct sockaddr *)&gw, sizeof(gw)) == -1 ||
		    fcntl(s, F_SETFL, O_NONBLOCK) == -1) {
			if (s != -1)
				close(s);
			closenatpmp(&n);
			return NATPMP_ERR_SOCKETERROR;
		}
		close(n.s);
		n.s = s;
	}
	if (type == Q_PUBLIC)
		r = sendpublicaddressrequest(&n);
	else
		r = sendnewportmappingrequest(&n,
		    q->proto == IPPROTO_TCP ? NATPMP_PROTOCOL_TCP
					    : NATPMP_PROTOCOL_UDP,
		    q->port, q->port, q->lease);
	if (r < 0) {
		closenatpmp(&n);
		return r;
	}
	do {
		fd_set fds;
		struct timeval tv;
		uint64_t now = clock_now_ms();

		if (now >= end) {
			r = NATPMP_ERR_NOGATEWAYSUPPORT;
			break;
		}
		FD_ZERO(&fds);
		FD_SET(n.s, &fds);
		if (getnatpmprequesttimeout(&n, &tv) < 0 ||
		    (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000 >
			end - now) {
			tv.tv_sec = (time_t)((end - now) / 1000);
			tv.tv_usec = (suseconds_t)((end - now) % 1000 * 1000);
		}
		(void)select(n.s + 1, &fds, NULL, NULL, &tv);
		r = readnatpmpresponseorretry(&n, resp);
	} while (r == NATPMP_TRYAGAIN);
	closenatpmp(&n);
	/* libnatpmp turns the router's result code into an error: back to
	 * the code (RFC 6886 §3.5), which is what the router said. */
	switch (r) {
	case NATPMP_ERR_UNSUPPORTEDVERSION:
		resp->resultcode = 1;
		return 0;
	case NATPMP_ERR_NOTAUTHORIZED:
		resp->resultcode = 2;
		return 0;
	case NATPMP_ERR_NETWORKFAILURE:
		resp->resultcode = 3;
		return 0;
	case NATPMP_ERR_OUTOFRESOURCES:
		resp->resultcode = 4;
		return 0;
	case NATPMP_ERR_UNSUPPORTEDOPCODE:
		resp->resultcode = 5;
		return 0;
	default:
		return r;
	}
}

static void
helper_public(struct helper *h, struct msg *a)
{
	natpmpresp_t resp;
	int r;

	a->type = R_PUBLIC;
	helper_find_igd(h);
	if (h->igd == 1) {
		char ext[ROUTER_EXT_LEN];

		memset(ext, 0, sizeof(ext));
		r = UPNP_GetExternalIPAddress(
		    h->urls.controlURL, h->data.first.servicetype, ext);
		if (r == 0 && ext[0] != '\0') {
			a->ok = 1;
			a->method = ROUTER_UPNP;
			memcpy(a->ext, ext, sizeof(a->ext) - 1);
			return;
		}
		a->method = ROUTER_UPNP;
		a->code = r;
		snprintf(a->error, sizeof(a->error),
		    "UPnP GetExternalIPAddress: %s",
		    r == 0 ? "empty answer" : strupnperror(r));
	}
	r = helper_natpmp(Q_PUBLIC, NULL, &resp);
	if (r >= 0 && resp.resultcode == 0) {
		a->ok = 1;
		a->method = ROUTER_NATPMP;
		inet_ntop(AF_INET, &resp.pnu.publicaddress.addr, a->ext,
		    sizeof(a->ext));
		return;
	}
	if (h->igd == 1 && r == NATPMP_ERR_NOGATEWAYSUPPORT)
		return; /* keep UPnP's error: NAT-PMP is just absent */
	a->method = ROUTER_NATPMP;
	a->code = r < 0 ? -1 : (int)resp.resultcode;
	{
		char first[sizeof(a->error)];
		const char *np = r >= 0 ? router_natpmp_result_text(a->code)
				 : r == NATPMP_ERR_NOGATEWAYSUPPORT
				     ? "no answer"
				     : strnatpmperr(r);
		int w;

		memcpy(first, a->error, sizeof(first));
		w = snprintf(a->error, sizeof(a->error), "%.80s%sNAT-PMP: %s",
		    first, first[0] ? "; " : "", np);
		(void)w;
	}
}

static void
helper_map(struct helper *h, const struct msg *q, struct msg *a)
{
	natpmpresp_t resp;
	char port[8], lease[16], client[INET_ADDRSTRLEN];
	int r;

	a->type = R_MAP;
	a->port = q->port;
	a->proto = q->proto;
	helper_find_igd(h);
	if (h->igd == 1) {
		snprintf(port, sizeof(port), "%u", q->port);
		snprintf(lease, sizeof(lease), "%u", q->lease);
		inet_ntop(AF_INET, &q->dmz, client, sizeof(client));
		r = UPNP_AddPortMapping(h->urls.controlURL,
		    h->data.first.servicetype, port, port, client, "qured",
		    q->proto == IPPROTO_TCP ? "TCP" : "UDP", NULL, lease);
		a->method = ROUTER_UPNP;
		a->code = r;
		if (r == 0) {
			a->ok = 1;
			a->lease = q->lease;
			return;
		}
		if (r == 725) /* permanent leases only: ask for one */
			if (UPNP_AddPortMapping(h->urls.controlURL,
				h->data.first.servicetype, port, port, client,
				"qured",
				q->proto == IPPROTO_TCP ? "TCP" : "UDP", NULL,
				"0") == 0) {
				a->ok = 1;
				a->lease = 0;
				return;
			}
		snprintf(a->error, sizeof(a->error), "UPnP error %d (%s)", r,
		    r > 0 && router_upnp_error_text(r)[0]
			? router_upnp_error_text(r)
			: strupnperror(r));
		return;
	}
	r = helper_natpmp(Q_MAP, q, &resp);
	a->method = ROUTER_NATPMP;
	if (r >= 0 && resp.resultcode == 0) {
		a->ok = 1;
		a->lease = resp.pnu.newportmapping.lifetime;
		return;
	}
	a->code = r < 0 ? -1 : (int)resp.resultcode;
	if (r < 0)
		snprintf(a->error, sizeof(a->error),
		    "no UPnP IGD and NAT-PMP: %s",
		    r == NATPMP_ERR_NOGATEWAYSUPPORT ? "no answer"
						     : strnatpmperr(r));
	else
		snprintf(a->error, sizeof(a->error), "NAT-PMP result %d (%s)",
		    a->code, router_natpmp_result_text(a->code));
}

/* Rows of the mapping table whose external port and protocol are ours;
 * their text goes to qured as it came (qured checks it). */
static void
helper_scan(struct helper *h, const struct msg *q, struct msg *a)
{
	int i, r;
	uint32_t k;

	a->type = R_SCAN;
	helper_find_igd(h);
	if (h->igd != 1) {
		a->code = -1;
		snprintf(a->error, sizeof(a->error), "no UPnP IGD answers");
		return;
	}
	a->method = ROUTER_UPNP;
	a->ok = 1;
	for (i = 0; i < ROUTER_SCAN_MAX && a->n < ROUTER_SCAN_ROWS; i++) {
		char idx[12], ext[8] = "", client[20] = "", in[8] = "",
			      proto[8] = "", desc[96], en[8], rhost[72],
			      dur[20];
		unsigned long port;

		snprintf(idx, sizeof(idx), "%d", i);
		r = UPNP_GetGenericPortMappingEntry(h->urls.controlURL,
		    h->data.first.servicetype, idx, ext, client, in, proto,
		    desc, en, rhost, dur);
		if (r != 0)
			break; /* 713: past the end; or an error */
		port = strtoul(ext, NULL, 10);
		for (k = 0; k < q->n && k < ROUTER_MAX_PORTS; k++)
			if (q->ports[k].port == port &&
			    strcasecmp(proto, q->ports[k].proto == IPPROTO_TCP
						  ? "TCP"
						  : "UDP") == 0)
				break;
		if (k == q->n || k == ROUTER_MAX_PORTS)
			continue;
		memcpy(a->rows[a->n].client, client, sizeof(client));
		memcpy(a->rows[a->n].port, ext, sizeof(ext));
		memcpy(a->rows[a->n].proto, proto, sizeof(proto));
		a->n++;
	}
}

static void
helper_setup(int fd, pid_t parent)
{
	forked_reset_signals();
	forked_tie(parent, "qured-router");
	{
		/* No capability: it parses what the router sends, and needs
		 * none (SSDP, HTTP, NAT-PMP from a free-bound address). */
		struct __user_cap_header_struct hdr = {
		    _LINUX_CAPABILITY_VERSION_3, 0};
		struct __user_cap_data_struct data[2];

		memset(data, 0, sizeof(data));
		if (syscall(SYS_capset, &hdr, data) == -1)
			log_warn("router: the helper keeps its capabilities");
	}
#ifndef ROUTER_ASAN /* its shadow memory counts as data */
	{
		struct rlimit rl = {ROUTER_HELPER_DATA, ROUTER_HELPER_DATA};

		(void)setrlimit(RLIMIT_DATA, &rl);
	}
#endif
	(void)prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	closelog();
	fds_close_except(&fd, 1);
}

static void
helper_main(int fd, const struct router_conf *conf)
{
	static struct helper h;
	struct msg q, a;
	ssize_t n;

	h.fd = fd;
	memcpy(h.ifname, conf->ifname, sizeof(h.ifname));
	for (;;) {
		n = recv(fd, &q, sizeof(q), 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(q))
			_exit(0); /* qured is gone */
		memset(&a, 0, sizeof(a));
		if (q.type == Q_PUBLIC)
			helper_public(&h, &a);
		else if (q.type == Q_MAP)
			helper_map(&h, &q, &a);
		else if (q.type == Q_SCAN)
			helper_scan(&h, &q, &a);
		else
			continue;
		a.igd = h.igd;
		if (send(fd, &a, sizeof(a), MSG_NOSIGNAL) != (ssize_t)sizeof(a))
			_exit(0);
	}
}

/* ---- qured's side ---- */

static void
stop_helper(struct router *r)
{
	if (r->ev != NULL)
		event_free(r->ev);
	r->ev = NULL;
	if (r->fd != -1)
		close(r->fd);
	r->fd = -1;
	if (r->pid > 0) {
		kill(r->pid, SIGKILL);
		while (waitpid(r->pid, NULL, 0) == -1 && errno == EINTR)
			;
	}
	r->pid = 0;
	r->inflight = 0;
	r->sent_ms = 0;
}

static void
set_error(struct router *r, const char *text)
{
	snprintf(r->st.last_error, sizeof(r->st.last_error), "%s", text);
}

/* Who answered: a UPnP IGD, else a NAT-PMP gateway (a result code, even
 * a refusal, is an answer), else none once the helper searched. */
static void
set_igd(struct router *r, const struct msg *a)
{
	if (a->igd == 1)
		r->st.igd = "upnp";
	else if (a->method == ROUTER_NATPMP && (a->ok || a->code > 0))
		r->st.igd = "natpmp";
	else if (a->igd == -1)
		r->st.igd = "none";
}

static void
on_public(struct router *r, const struct msg *a)
{
	struct router_public res;
	router_public_cb *cb = r->cb;

	bool rejected = false;

	memset(&res, 0, sizeof(res));
	set_igd(r, a);
	if (a->ok) {
		char ext[ROUTER_EXT_LEN];

		memcpy(ext, a->ext, sizeof(ext));
		ext[sizeof(ext) - 1] = '\0';
		if (!router_parse_external(ext, strlen(ext), &res.addr)) {
			char safe[20];
			size_t i;

			for (i = 0; i < sizeof(safe) - 1 && ext[i]; i++)
				safe[i] = (ext[i] >= 0x20 && ext[i] < 0x7f)
					      ? ext[i]
					      : '?';
			safe[i] = '\0';
			snprintf(res.error, sizeof(res.error),
			    "the router's external address is not an "
			    "address (\"%s%s\"): ignored",
			    safe, strlen(ext) > i ? "..." : "");
			rejected = true;
			set_error(r, res.error);
			if (router_cause_new(
				&r->causes, (enum router_method)a->method, -3))
				log_warnx("router: %s", res.error);
		} else {
			res.ok = true;
			res.source = (enum router_method)a->method;
			res.unreachable = router_unreachable_reason(res.addr);
		}
	} else {
		snprintf(res.error, sizeof(res.error), "%s",
		    a->error[0] ? a->error
				: "no UPnP IGD and no NAT-PMP gateway answer");
	}
	if (res.ok) {
		inet_ntop(
		    AF_INET, &res.addr, r->st.external, sizeof(r->st.external));
		r->st.reachable = res.unreachable == NULL;
		r->st.reason = res.unreachable;
		if (res.unreachable != NULL && !r->said_unreachable) {
			log_warnx("router: external address %s: %s; the site "
				  "cannot be reached from the internet "
				  "through port forwarding",
			    r->st.external, res.unreachable);
			r->said_unreachable = true;
		} else if (res.unreachable == NULL) {
			r->said_unreachable = false;
		}
	} else if (!rejected) {
		set_error(r, res.error);
		/* An IGD that answers but gives no address (miniupnpd with a
		 * reserved WAN address), a NAT-PMP "network failure": the
		 * router itself sits behind another NAT. */
		if (a->method == ROUTER_UPNP ||
		    (a->method == ROUTER_NATPMP && a->code == 3)) {
			r->st.reachable = false;
			r->st.reason = "the router has no public external "
				       "address (it reports none: carrier-"
				       "grade or double NAT)";
			res.unreachable = r->st.reason;
			if (!r->said_unreachable)
				log_warnx("router: %s; the site cannot be "
					  "reached from the internet through "
					  "port forwarding",
				    r->st.reason);
			r->said_unreachable = true;
		}
		if (router_cause_new(&r->causes,
			(enum router_method)(a->method ? a->method : 3),
			1000 + a->code))
			log_warnx("router: no external address: %s", res.error);
	}
	r->cb = NULL;
	if (cb != NULL)
		cb(r->cb_arg, &res);
}

static void
on_map(struct router *r, const struct msg *a, uint64_t now)
{
	struct map_slot *m = NULL;
	size_t i;
	unsigned mapped = 0, refused = 0;

	for (i = 0; i < r->n_maps; i++)
		if (r->maps[i].p.port == a->port &&
		    r->maps[i].p.proto == a->proto)
			m = &r->maps[i];
	if (m == NULL || !r->mapping)
		return; /* unmapped meanwhile */
	set_igd(r, a);
	m->ok = a->ok != 0;
	if (m->ok) {
		if (m->fails > 0)
			log_info("router: %s port %u now forwarded",
			    a->proto == IPPROTO_TCP ? "TCP" : "UDP", a->port);
		m->fails = 0;
	} else {
		m->fails++;
		set_error(r, a->error);
		if (router_cause_new(
			&r->causes, (enum router_method)a->method, a->code))
			log_warnx("router: the router refuses to forward %s "
				  "port %u to the DMZ address: %s (said once "
				  "per cause; asked again later)",
			    a->proto == IPPROTO_TCP ? "TCP" : "UDP", a->port,
			    a->error);
	}
	m->due_ms = now + router_renew_after_ms(m->ok, a->lease, m->fails);
	for (i = 0; i < r->n_maps; i++) {
		if (r->maps[i].ok)
			mapped++;
		else if (r->maps[i].fails > 0)
			refused++;
	}
	r->st.mapped = mapped;
	r->st.refused = refused;
}

static void
on_scan(struct router *r, const struct msg *a)
{
	struct router_found res;
	router_found_cb *cb = r->scan_cb;
	uint32_t i;

	memset(&res, 0, sizeof(res));
	if (!a->ok)
		snprintf(res.error, sizeof(res.error), "%s",
		    a->error[0] ? a->error : "the router does not answer");
	for (i = 0; a->ok && i < a->n && i < ROUTER_SCAN_ROWS; i++) {
		struct scan_row row = a->rows[i];
		struct in_addr c;
		uint16_t port;
		uint8_t proto;

		row.client[sizeof(row.client) - 1] = '\0';
		row.port[sizeof(row.port) - 1] = '\0';
		row.proto[sizeof(row.proto) - 1] = '\0';
		if (!router_entry_check(row.client, row.port, row.proto,
			r->conf.lan, r->conf.prefix, &c, &port, &proto)) {
			res.rejected++;
			continue;
		}
		if (!res.ok) {
			res.ok = true;
			res.addr = c;
			res.port.port = port;
			res.port.proto = proto;
		}
	}
	if (res.rejected > 0 && !r->said_foreign) {
		log_warnx("router: %u row(s) of the router's mapping table "
			  "forward our ports to an address that is not on "
			  "the LAN, or are malformed: ignored",
		    res.rejected);
		r->said_foreign = true;
	}
	if (a->ok && !res.ok)
		snprintf(res.error, sizeof(res.error),
		    "the router forwards none of the ports to a LAN address");
	r->scan_cb = NULL;
	if (cb != NULL)
		cb(r->scan_arg, &res);
}

static void
read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct router *r = arg;
	struct msg a;
	ssize_t n;

	(void)what;
	n = recv(fd, &a, sizeof(a), MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n != (ssize_t)sizeof(a)) {
		stop_helper(r);
		return;
	}
	r->inflight = 0;
	r->sent_ms = 0;
	if (r->said_silent)
		log_info("router: the router helper answers again");
	r->said_silent = false;
	if (a.type == R_PUBLIC)
		on_public(r, &a);
	else if (a.type == R_MAP)
		on_map(r, &a, clock_now_ms());
	else if (a.type == R_SCAN)
		on_scan(r, &a);
}

static bool
spawn(struct router *r)
{
	pid_t parent = getpid(), pid;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("router: socketpair for the helper");
		return false;
	}
	if ((pid = fork()) == -1) {
		log_warn("router: fork the helper");
		close(sv[0]);
		close(sv[1]);
		return false;
	}
	if (pid == 0) {
		helper_setup(sv[1], parent);
		helper_main(sv[1], &r->conf);
	}
	close(sv[1]);
	r->fd = sv[0];
	r->pid = pid;
	r->ev = event_new(r->base, r->fd, EV_READ | EV_PERSIST, read_cb, r);
	if (r->ev == NULL || event_add(r->ev, NULL) == -1)
		abort();
	return true;
}

static void
send_q(struct router *r, struct msg *q, uint64_t now)
{
	if (r->fd == -1 && !spawn(r))
		return;
	if (send(r->fd, q, sizeof(*q), MSG_DONTWAIT | MSG_NOSIGNAL) !=
	    (ssize_t)sizeof(*q))
		return; /* the next tick tries again */
	r->inflight = (int)q->type;
	r->sent_ms = now;
}

/* The next request, if none is in flight: the external address first. */
static void
pump(struct router *r, uint64_t now)
{
	struct msg q;
	size_t i;

	if (r->inflight != 0)
		return;
	memset(&q, 0, sizeof(q));
	if (r->public_wanted) {
		r->public_wanted = false;
		q.type = Q_PUBLIC;
		send_q(r, &q, now);
		if (r->inflight == 0)
			r->public_wanted = true;
		return;
	}
	if (r->scan_wanted) {
		r->scan_wanted = false;
		q.type = Q_SCAN;
		q.n = (uint32_t)r->n_scan;
		memcpy(q.ports, r->scan_ports, sizeof(q.ports));
		send_q(r, &q, now);
		if (r->inflight == 0)
			r->scan_wanted = true;
		return;
	}
	if (!r->mapping)
		return;
	for (i = 0; i < r->n_maps; i++) {
		if (r->maps[i].due_ms > now)
			continue;
		q.type = Q_MAP;
		q.dmz = r->dmz;
		q.port = r->maps[i].p.port;
		q.proto = r->maps[i].p.proto;
		q.lease = ROUTER_LEASE_S;
		send_q(r, &q, now);
		r->inflight_map = i;
		return;
	}
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct router *r = arg;
	uint64_t now = clock_now_ms();

	(void)fd;
	(void)what;
	if (r->inflight != 0 && now >= r->sent_ms + ROUTER_DEADLINE_MS) {
		int was = r->inflight;

		if (!r->said_silent)
			log_warnx("router: the router does not answer within "
				  "%u s; asked again later",
			    ROUTER_DEADLINE_MS / 1000);
		r->said_silent = true;
		set_error(r, "the router does not answer");
		stop_helper(r);
		if (was == Q_PUBLIC) {
			struct msg a;

			memset(&a, 0, sizeof(a));
			a.type = R_PUBLIC;
			a.code = -2;
			snprintf(a.error, sizeof(a.error),
			    "the router does not answer");
			on_public(r, &a);
		} else if (was == Q_SCAN) {
			struct msg a;

			memset(&a, 0, sizeof(a));
			a.type = R_SCAN;
			on_scan(r, &a);
		} else if (r->inflight_map < r->n_maps) {
			struct map_slot *m = &r->maps[r->inflight_map];

			m->fails++;
			m->due_ms =
			    now + router_renew_after_ms(false, 0, m->fails);
		}
	}
	pump(r, now);
}

struct router *
router_new(struct event_base *base, const struct router_conf *conf)
{
	struct router *r = xcalloc(1, sizeof(*r));
	struct timeval every = {
	    ROUTER_TICK_MS / 1000, (ROUTER_TICK_MS % 1000) * 1000};

	r->base = base;
	r->conf = *conf;
	r->fd = -1;
	r->st.igd = "searching";
	r->tick = event_new(base, -1, EV_PERSIST, tick_cb, r);
	if (r->tick == NULL || event_add(r->tick, &every) == -1)
		abort();
	return r;
}

void
router_free(struct router *r)
{
	if (r == NULL)
		return;
	stop_helper(r);
	if (r->tick != NULL)
		event_free(r->tick);
	free(r);
}

void
router_get_public(struct router *r, router_public_cb *cb, void *arg)
{
	if (cb != NULL || r->cb == NULL) { /* NULL keeps a caller's */
		r->cb = cb;
		r->cb_arg = arg;
	}
	if (r->inflight != Q_PUBLIC)
		r->public_wanted = true;
	pump(r, clock_now_ms());
}

void
router_map(struct router *r, struct in_addr dmz,
    const struct router_port *ports, size_t n)
{
	size_t i;

	if (n > ROUTER_MAX_PORTS)
		n = ROUTER_MAX_PORTS;
	r->mapping = true;
	r->dmz = dmz;
	r->n_maps = n;
	for (i = 0; i < n; i++) {
		memset(&r->maps[i], 0, sizeof(r->maps[i]));
		r->maps[i].p = ports[i];
	}
	r->st.mapped = r->st.refused = 0;
	pump(r, clock_now_ms());
}

void
router_unmap(struct router *r)
{
	r->mapping = false;
	r->n_maps = 0;
}

void
router_find_dmz(struct router *r, const struct router_port *ports, size_t n,
    router_found_cb *cb, void *arg)
{
	if (n > ROUTER_MAX_PORTS)
		n = ROUTER_MAX_PORTS;
	memset(r->scan_ports, 0, sizeof(r->scan_ports));
	memcpy(r->scan_ports, ports, n * sizeof(*ports));
	r->n_scan = n;
	r->scan_cb = cb;
	r->scan_arg = arg;
	if (r->inflight != Q_SCAN)
		r->scan_wanted = true;
	pump(r, clock_now_ms());
}

void
router_get_status(const struct router *r, struct router_status *out)
{
	*out = r->st;
}
