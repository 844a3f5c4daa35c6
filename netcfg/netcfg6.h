/*
 * netcfg/netcfg6.h — the IPv6 DMZ address ([dmz] address6), held like
 * the IPv4 one (netcfg.h): a netlink address whose valid and preferred
 * lifetimes are the lease (the kernel's backstop), added with IFA_F_NODAD
 * after our own probe (the kernel's duplicate address detection would
 * hold the address tentative for a second, the whole failover budget),
 * announced with unsolicited neighbour advertisements (override flag:
 * every neighbour moves to our MAC at once), an nftables lease for ip6 in
 * qured's own table, and a guard child that deletes the address when
 * qured dies or stops refreshing it.
 *
 * Everything runs on the caller's event_base; nothing blocks. Callbacks
 * come from the loop, never from inside the call that started the work.
 */
#ifndef QURE_NETCFG6_H
#define QURE_NETCFG6_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netcfg/netcfg.h"

struct event_base;
struct netcfg6;

struct netcfg6_conf {
	char ifname[NETCFG_IFNAME_MAX];
	struct in6_addr dmz;
	uint8_t dmz_prefix;	  /* 1..128 */
	uint64_t (*now_ms)(void); /* required; as netcfg_conf.now_ms */
};

struct netcfg6_cb {
	/* After netcfg6_probe(); mac all zero unless CONFLICT (the sender
	 * of a neighbour advertisement for the address, or of another
	 * host's duplicate address detection probe of it). */
	void (*probe_done)(
	    void *arg, enum netcfg_probe_result, const uint8_t *mac);
	/* The address left the interface (deleted, expired, or an add was
	 * refused) while we held it. Not called for netcfg6_addr_del(). */
	void (*addr_lost)(void *arg);
	/* The holder's defence, as netcfg_cb.conflict: a host whose MAC is
	 * neither ours nor a member's sent an NA for the address; again: a
	 * repeat inside NETCFG_DEFEND_INTERVAL_MS (no NA was sent for it). The
	 * address is kept. */
	void (*conflict)(void *arg, const uint8_t *mac, bool again);
};

/*
 * Opens the netlink and packet sockets and the nftables table. NULL with
 * one line in err if the interface is missing, IPv6 is off on it, a
 * socket cannot be opened, or conf->now_ms is NULL. nftables missing is
 * logged: the kernel lifetime is the lease then.
 */
struct netcfg6 *netcfg6_new(struct event_base *, const struct netcfg6_conf *,
    const struct netcfg6_cb *cb, void *arg, char err[NETCFG_ERR_MAX]);
/* Stops the guard (which deletes the address), closes everything. */
void netcfg6_free(struct netcfg6 *);

/* Adds (or refreshes) the address: nft lease, then RTM_NEWADDR with
 * IFA_F_NODAD and lifetimes netcfg_lease_secs(lease_ms). 0 or -1. */
int netcfg6_addr_add(struct netcfg6 *, uint32_t lease_ms);
/* Removes it (absent is fine), stops announcements. 0 or -1. */
int netcfg6_addr_del(struct netcfg6 *);
/* At start-up: a crash may have left it behind. */
int netcfg6_addr_remove_stale(struct netcfg6 *);
bool netcfg6_is_held(const struct netcfg6 *);
/* As netcfg_set_peer_lease_end() and netcfg_lease_enforced() (netcfg.h). */
void netcfg6_set_peer_lease_end(struct netcfg6 *, uint64_t until_ms);
bool netcfg6_lease_enforced(const struct netcfg6 *);
/* The lease in force (ms; the kernel's when nftables is missing), or 0. */
uint32_t netcfg6_enforced_lease_ms(const struct netcfg6 *);
/* The kernel lifetimes of the last add (s), 0 when not held. */
uint32_t netcfg6_kernel_lifetime_s(const struct netcfg6 *);

/* count unsolicited NAs (override) gap_ms apart, the first now. */
int netcfg6_announce(struct netcfg6 *, unsigned count, unsigned gap_ms);
/* count DAD probes (NS from ::) gap_ms apart, then wait_ms: probe_done
 * reports FREE or CONFLICT. -1 if the first cannot be sent (no callback). */
int netcfg6_probe(
    struct netcfg6 *, unsigned count, unsigned gap_ms, unsigned wait_ms);
/* Ends a running probe with no callback (nothing when none runs). */
void netcfg6_probe_stop(struct netcfg6 *);
/* MACs of members, which a probe ignores (copied, at most
 * NETCFG_MAX_MEMBER_MACS). */
void netcfg6_set_member_macs(
    struct netcfg6 *, const uint8_t (*macs)[6], size_t n);

/* The guard child (as netcfg_guard_start()); call after daemon(). */
int netcfg6_guard_start(struct netcfg6 *);
/*
 * The holder's farewell, as netcfg_guard_set_farewell_to() and
 * netcfg_guard_farewell(): the guard sends it to `to` (the IPv6 group) on
 * fd (the cluster's IPv6 socket, borrowed; set before the guard starts)
 * if qured dies holding the address. For an IPv6-only cluster, whose
 * IPv4 guard does not run.
 */
void netcfg6_guard_set_farewell_to(
    struct netcfg6 *, int fd, const struct sockaddr_in6 *to);
int netcfg6_guard_farewell(struct netcfg6 *, const uint8_t *buf, size_t len);
/* The interface was recreated with ifindex: follow it. */
void netcfg6_relink(struct netcfg6 *, int ifindex);

#endif
