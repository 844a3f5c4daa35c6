/*
 * netcfg/netcfg_nft.c — the kernel-enforced lease (issue 7, design D2).
 *
 * The kernel's address lifetime counts whole seconds and expires on its
 * own timer, so a frozen holder (qured stopped, a paused VM) keeps
 * answering ARP for 1-2 s after its 600 ms lease: long after a peer took
 * over. nftables set timeouts are in milliseconds and checked on every
 * lookup, so qured keeps two tables of its own, named after the interface
 * and the DMZ address (two qured never share one; other users' tables are
 * never touched):
 *
 *   table arp  qure_<if>_<dmz hex>: set lease, drop ARP out with the
 *                                   DMZ address as sender unless in it
 *   table inet qure_<if>_<dmz hex>: set lease, drop IPv4 in to and out
 *                                   from the DMZ address unless in it
 *
 * Each refresh replaces the element with one whose timeout is the lease
 * (flush set + add element, one transaction): when the refreshes stop the
 * address goes silent at the lease end, whatever our processes do. The
 * tables are made through libnftables, the refreshes go as one netlink
 * batch (nft_batch.c: libnftables parsed and fetched its cache on each,
 * 2.7 % of a core at the default fence). Both talk netlink synchronously;
 * nothing waits for a disk or a peer. The rules name no interface, so a
 * recreated interface needs nothing here.
 */
#include "config.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/netfilter.h>
#include <nftables/libnftables.h>

#include "base/log.h"
#include "netcfg/balance.h"
#include "netcfg/netcfg.h"
#include "netcfg/netcfg_int.h"
#include "netcfg/nft_batch.h"

static void
table_name(const struct netcfg *nc, const char *kind, char *buf, size_t len)
{
	char tag[NETCFG_IFNAME_MAX];
	size_t i;

	/* nft identifiers: letters, digits and _ are always safe. */
	for (i = 0; nc->conf.ifname[i] != '\0' && i + 1 < sizeof(tag); i++) {
		char ch = nc->conf.ifname[i];

		tag[i] =
		    ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			(ch >= '0' && ch <= '9'))
			? ch
			: '_';
	}
	tag[i] = '\0';
	snprintf(buf, len, "qure_%s%s_%08x", kind, tag,
	    (unsigned)ntohl(nc->conf.dmz.s_addr));
}

/*
 * libnftables, loaded for each script and unloaded after it (dlopen):
 * mapped, it and what it pulls in (libgmp, libxtables) stay resident at
 * some 1 MiB, an eighth of each qured's 8 MiB (issue 9), for scripts
 * that run only at the start, on a repair and at the end. The lease's
 * renewals need none of it (nft_batch.c, libnftnl).
 */
#define NFT_SONAME "libnftables.so.1"

struct nft_lib {
	void *so;
	struct nft_ctx *(*ctx_new)(uint32_t);
	int (*buffer_output)(struct nft_ctx *);
	int (*buffer_error)(struct nft_ctx *);
	int (*run_cmd)(struct nft_ctx *, const char *);
	const char *(*error_buffer)(struct nft_ctx *);
	void (*ctx_free)(struct nft_ctx *);
};

/* 0, or -1 with why in err (dlerror()'s words). */
static int
nft_lib_open(struct nft_lib *l, char *err, size_t errlen)
{
	const char *e;

	memset(l, 0, sizeof(*l));
	l->so = dlopen(NFT_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (l->so != NULL) {
		*(void **)&l->ctx_new = dlsym(l->so, "nft_ctx_new");
		*(void **)&l->buffer_output =
		    dlsym(l->so, "nft_ctx_buffer_output");
		*(void **)&l->buffer_error =
		    dlsym(l->so, "nft_ctx_buffer_error");
		*(void **)&l->run_cmd = dlsym(l->so, "nft_run_cmd_from_buffer");
		*(void **)&l->error_buffer =
		    dlsym(l->so, "nft_ctx_get_error_buffer");
		*(void **)&l->ctx_free = dlsym(l->so, "nft_ctx_free");
		if (l->ctx_new != NULL && l->buffer_output != NULL &&
		    l->buffer_error != NULL && l->run_cmd != NULL &&
		    l->error_buffer != NULL && l->ctx_free != NULL)
			return 0;
	}
	e = dlerror();
	if (errlen > 0)
		snprintf(err, errlen,
		    "cannot load %s: %s (apt-get install libnftables1)",
		    NFT_SONAME, e != NULL ? e : "a function is missing");
	if (l->so != NULL)
		dlclose(l->so);
	return -1;
}

/*
 * Runs an nft script in a context of its own, freed at once (a context
 * keeps its parser's buffers, a megabyte, for good), with libnftables
 * loaded for it (above). 0, or -1 with nft's first error line in err.
 */
int
netcfg_nft_run(const char *cmd, char *err, size_t errlen)
{
	struct nft_lib l;
	struct nft_ctx *ctx;
	const char *e;
	int rc = -1;

	if (nft_lib_open(&l, err, errlen) == -1)
		return -1;
	if ((ctx = l.ctx_new(NFT_CTX_DEFAULT)) == NULL) {
		if (errlen > 0)
			snprintf(err, errlen,
			    "no nftables context (out of "
			    "memory?)");
		dlclose(l.so);
		return -1;
	}
	l.buffer_output(ctx);
	l.buffer_error(ctx);
	if (l.run_cmd(ctx, cmd) == 0)
		rc = 0;
	else if (errlen > 0) {
		e = l.error_buffer(ctx);
		e = e != NULL ? e : "";
		snprintf(err, errlen, "%.*s", (int)strcspn(e, "\n"), e);
	}
	l.ctx_free(ctx);
	dlclose(l.so);
	return rc;
}

/*
 * Runs cmd; on failure logs nft's own first error line, unless the last
 * command failed too (a broken state is said once, not every heartbeat).
 * 0 or -1.
 */
static int
run(struct netcfg *nc, const char *cmd, const char *what)
{
	char e[256];

	if (netcfg_nft_run(cmd, e, sizeof(e)) == 0) {
		nc->nft_failing = false;
		return 0;
	}
	if (nc->nft_failing)
		return -1;
	nc->nft_failing = true;
	log_warnx("netcfg: nft %s for %s: %s", what, nc->cidr, e);
	return -1;
}

static int
install(struct netcfg *nc)
{
	char cmd[1536], ip[INET_ADDRSTRLEN];
	const char *t = nc->nft_table;

	inet_ntop(AF_INET, &nc->conf.dmz, ip, sizeof(ip));
	/* Adding an empty table first makes the delete of a table left by a
	 * crashed qured work whether it exists or not: one transaction. */
	snprintf(cmd, sizeof(cmd),
	    "table arp %s {}\n"
	    "delete table arp %s\n"
	    "table inet %s {}\n"
	    "delete table inet %s\n"
	    "table arp %s {\n"
	    " set lease { type ipv4_addr; flags timeout; }\n"
	    " chain out { type filter hook output priority 0; policy accept;\n"
	    "  arp saddr ip %s arp saddr ip != @lease drop\n }\n"
	    "}\n"
	    "table inet %s {\n"
	    " set lease { type ipv4_addr; flags timeout; }\n"
	    " chain in { type filter hook input priority 0; policy accept;\n"
	    "  ip daddr %s ip daddr != @lease drop\n }\n"
	    " chain out { type filter hook output priority 0; policy accept;\n"
	    "  ip saddr %s ip saddr != @lease drop\n }\n"
	    "}\n",
	    t, t, t, t, t, ip, t, ip, ip);
	return run(nc, cmd, "tables");
}

int
netcfg_nft_open(struct netcfg *nc)
{
	int n;

	table_name(nc, "", nc->nft_table, sizeof(nc->nft_table));
	n = snprintf(nc->nft_clear, sizeof(nc->nft_clear),
	    "flush set arp %s lease\nflush set inet %s lease\n", nc->nft_table,
	    nc->nft_table);
	if (n < 0 || (size_t)n >= sizeof(nc->nft_clear))
		abort(); /* sizes are fixed: a bug, not input */
	nc->nft_nl = nft_batch_open();
	if (nc->nft_nl == NULL)
		log_warn("netcfg: nftables netlink socket for %s", nc->cidr);
	if (nc->nft_nl == NULL || install(nc) == -1) {
		nft_batch_close(nc->nft_nl);
		nc->nft_nl = NULL;
		return -1;
	}
	nc->nft_on = true;
	return 0;
}

void
netcfg_nft_close(struct netcfg *nc)
{
	char cmd[160];

	if (!nc->nft_on)
		return;
	snprintf(cmd, sizeof(cmd),
	    "delete table arp %s\ndelete table inet %s\n", nc->nft_table,
	    nc->nft_table);
	(void)run(nc, cmd, "delete tables");
	nft_batch_close(nc->nft_nl);
	nc->nft_nl = NULL;
	nc->nft_on = false;
}

/* Replaces both lease elements (timeout_ms 0: empties the sets). */
static int
renew(struct netcfg *nc, uint32_t timeout_ms)
{
	struct nft_batch_lease l = {
	    .table = nc->nft_table,
	    .families = {NFPROTO_ARP, NFPROTO_INET},
	    .n_families = 2,
	    .key = (const uint8_t *)&nc->conf.dmz.s_addr,
	    .key_len = sizeof(nc->conf.dmz.s_addr),
	};

	return nft_batch_renew(nc->nft_nl, &nc->nft_seq, &l, timeout_ms);
}

/* renew(), or on failure the tables again and renew() once more: ours
 * were gone (a firewall reload with "flush ruleset", say), and without
 * them nothing enforces the lease. A failure is logged once. */
static int
renew_or_repair(struct netcfg *nc, uint32_t timeout_ms, const char *what)
{
	if (renew(nc, timeout_ms) == 0) {
		nc->nft_failing = false;
		return 0;
	}
	if (install(nc) == 0 && renew(nc, timeout_ms) == 0) {
		nc->nft_failing = false;
		log_warnx("netcfg: nftables table %s was gone (a flush "
			  "ruleset?); made it again",
		    nc->nft_table);
		return 0;
	}
	if (!nc->nft_failing)
		log_warnx("netcfg: nft %s for %s: %s", what, nc->cidr,
		    strerror(errno));
	nc->nft_failing = true;
	return -1;
}

int
netcfg_nft_lease(struct netcfg *nc, uint32_t lease_ms)
{
	if (!nc->nft_on)
		return 0;
	return renew_or_repair(nc, lease_ms > 0 ? lease_ms : 1, "lease");
}

int
netcfg_nft_clear(struct netcfg *nc)
{
	if (!nc->nft_on)
		return 0;
	return renew_or_repair(nc, 0, "clear lease");
}

/* In the guard, after fork(). */
void
netcfg_nft_clear_in_child(const char *cmd)
{
	if (cmd[0] != '\0')
		(void)netcfg_nft_run(cmd, NULL, 0);
}

/* ---- load sharing (netcfg/balance.h, issue 11 item 4) ---- */

/* The removal script of the balance table, for qured and its guard. */
void
netcfg_balance_open(struct netcfg *nc)
{
	table_name(nc, "b_", nc->bal_table, sizeof(nc->bal_table));
	if (balance_script_remove(
		nc->bal_table, nc->bal_clear, sizeof(nc->bal_clear)) == 0)
		abort(); /* sizes are fixed: a bug, not input */
}

/* Sets path to v if it is not; appends "name was -> v" to what. */
static void
sysctl_want(const char *path, int v, char *what, size_t len)
{
	int was = netcfg_sysctl_read(path);
	size_t used = strlen(what);

	if (was == v)
		return;
	if (netcfg_sysctl_write(path, v) == -1) {
		log_warn("netcfg: load sharing: set %s to %d", path, v);
		return;
	}
	snprintf(what + used, len - used, "%s%s %d -> %d", used ? ", " : "",
	    path + strlen("/proc/sys/"), was, v);
}

/*
 * The holder forwards the others' connections: ip_forward on, and no
 * ICMP redirects (it forwards out of the interface they came in on; the
 * kernel would tell the client to go to the member directly). Once per
 * qured, logged; not written back (other users may rely on them by then).
 */
static void
forwarding_on(struct netcfg *nc)
{
	char what[512] = "", path[128];

	if (nc->bal_sysctl_done)
		return;
	nc->bal_sysctl_done = true;
	sysctl_want("/proc/sys/net/ipv4/ip_forward", 1, what, sizeof(what));
	sysctl_want("/proc/sys/net/ipv4/conf/all/send_redirects", 0, what,
	    sizeof(what));
	snprintf(path, sizeof(path),
	    "/proc/sys/net/ipv4/conf/%s/send_redirects", nc->conf.ifname);
	sysctl_want(path, 0, what, sizeof(what));
	if (what[0] != '\0')
		log_info("netcfg: load sharing: set %s", what);
}

int
netcfg_balance_install(struct netcfg *nc, struct balance_conf *bc)
{
	static char script[BALANCE_SCRIPT_MAX];
	char e[256];

	snprintf(bc->table, sizeof(bc->table), "%s", nc->bal_table);
	if (balance_script(bc, script, sizeof(script)) == 0) {
		log_warnx("netcfg: load sharing for %s: no ports, or the "
			  "ruleset does not fit (a bug)",
		    nc->cidr);
		return -1;
	}
	forwarding_on(nc);
	if (netcfg_nft_run(script, e, sizeof(e)) == -1) {
		if (!nc->bal_failing)
			log_warnx("netcfg: nft table %s for %s: %s",
			    nc->bal_table, nc->cidr, e);
		nc->bal_failing = true;
		return -1;
	}
	nc->bal_failing = false;
	nc->bal_on = true;
	return 0;
}

int
netcfg_balance_remove(struct netcfg *nc)
{
	char e[256];

	if (nc->bal_table[0] == '\0')
		return 0;
	if (netcfg_nft_run(nc->bal_clear, e, sizeof(e)) == -1) {
		log_warnx("netcfg: delete nft table %s: %s", nc->bal_table, e);
		return -1;
	}
	nc->bal_on = false;
	return 0;
}

bool
netcfg_balance_installed(const struct netcfg *nc)
{
	return nc->bal_on;
}
