/*
 * netcfg/netcfg.h — the host's network state for the DMZ address: the
 * lease (a netlink address with a kernel lifetime), ARP probe and announce
 * (RFC 5227), and a netlink watch of the address and the link.
 *
 * Everything runs on the caller's event_base; nothing blocks. Failures are
 * logged (base/log.h) and returned, never fatal. Callbacks come from the
 * loop, never from inside the call that started the work; a callback may
 * call any netcfg function but netcfg_free().
 */
#ifndef QURE_NETCFG_H
#define QURE_NETCFG_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NETCFG_IFNAME_MAX 16	  /* IFNAMSIZ, with the NUL */
#define NETCFG_ERR_MAX 160	  /* error line buffer of netcfg_new() */
#define NETCFG_MAX_MEMBER_MACS 64 /* MACs a probe ignores */
/* RFC 5227: at most one defence of the address per this interval. */
#define NETCFG_DEFEND_INTERVAL_MS 10000

struct balance_conf;
struct event_base;
struct netcfg;

struct netcfg_conf {
	char ifname[NETCFG_IFNAME_MAX];
	struct in_addr dmz; /* network byte order */
	uint8_t dmz_prefix; /* 1..32; 0: no IPv4 DMZ address (add nothing) */
	/*
	 * [dmz] vmac: all zero, the address lives on ifname itself; else the
	 * cluster's one MAC (unicast): the address lives on a macvlan of
	 * ifname with it, up only while held (netcfg_vmac.c).
	 */
	uint8_t vmac[6];
	/*
	 * The caller's clock in ms; required. netcfg reads no clock of its
	 * own: lease ends, probe, announce and defence timings and the
	 * guard's deadline are on this one. qured passes clock_now_ms()
	 * (base/clock.h), the clock of its election core, so a lease end
	 * means the same to both.
	 */
	uint64_t (*now_ms)(void);
};

enum netcfg_probe_result {
	NETCFG_PROBE_FREE = 0, /* nobody answered for the address */
	NETCFG_PROBE_CONFLICT, /* mac answered, or probed at the same time */
	NETCFG_PROBE_FAILED,   /* a probe could not be sent (link down?) */
};

struct netcfg_cb {
	/* After netcfg_probe(); mac is all zero unless CONFLICT. */
	void (*probe_done)(
	    void *arg, enum netcfg_probe_result, const uint8_t *);
	/* The DMZ address left the interface (or an add was refused) while
	 * we believed we held it. Not called for netcfg_addr_del(). */
	void (*addr_lost)(void *arg);
	/* Carrier/oper state of the interface changed (IFF_UP && RUNNING).
	 * The interface deleted (or renamed away) is a link down. */
	void (*link_change)(void *arg, bool up);
	/* A link of the configured name appeared with a new ifindex (the
	 * interface was recreated): netcfg follows it (its sockets, the
	 * guard, the MAC); the caller rebinds what it holds by index. Its
	 * link_change(up) comes after, when it is up. */
	void (*link_new)(void *arg, int ifindex);
	/* Holder's defence (RFC 5227 2.4): a host whose MAC is neither ours
	 * nor a member's sent ARP with the DMZ address as sender. again: a
	 * second one within NETCFG_DEFEND_INTERVAL_MS of the last defence
	 * (no gratuitous ARP was sent for it). */
	void (*conflict)(void *arg, const uint8_t *mac, bool again);
};

/*
 * Opens the netlink and packet sockets on base for conf->ifname and sets
 * net.ipv4.conf.<if>.promote_secondaries=1 (logged if that fails). With
 * conf->vmac, also makes the macvlan (down; a stale one of ours is
 * replaced) and raises the interface's arp_ignore to 1 and arp_announce
 * to 2 (netcfg_vmac.c; netcfg_free() deletes it and puts them back). cb is
 * copied; members may be NULL. Returns NULL with one line in err
 * ("netcfg: interface eth9 not found", "netcfg: 10.0.0.5 is not inside
 * any subnet of eth0", ...) if the interface is missing, the DMZ address
 * is outside every IPv4 subnet of it, a socket cannot be opened, or
 * conf->now_ms is NULL.
 */
struct netcfg *netcfg_new(struct event_base *, const struct netcfg_conf *,
    const struct netcfg_cb *cb, void *arg, char err[NETCFG_ERR_MAX]);
/* Cancels all timers and closes the sockets; the address stays. */
void netcfg_free(struct netcfg *);

/* Kernel lifetime (s) for a lease: rounded up, at least 1 (pure). */
uint32_t netcfg_lease_secs(uint32_t lease_ms);
/* The guard's deadline for a held address (lease.c): the peers' lease end
 * where nftables enforces the fence (lease_end), else the fence. */
uint64_t netcfg_guard_deadline(
    bool nft_enforced, uint64_t lease_end, uint64_t peer_end);

/*
 * The fence word (lease.c), shared by qured and its guard (a MAP_SHARED
 * page): the end of the fence qured last renewed (ms on conf.now_ms; 0:
 * none), or NETCFG_FENCE_RESIGNED once the guard resigned for a loop
 * that let it run out. qured extends it before each renewal, and renews
 * only if that worked; the guard takes it over only once it ran out
 * unrenewed. One compare-and-swap each way: after the guard's, no
 * renewal of qured's can start; before it, the guard waits for the
 * fence qured renewed.
 */
#define NETCFG_FENCE_RESIGNED UINT64_MAX
/* qured, before a renewal up to `until`: false once the guard resigned. */
bool netcfg_fence_extend(_Atomic uint64_t *word, uint64_t until);
/* The guard at `now`: true if it took the word over (the fence ran out,
 * not renewed meanwhile); then it speaks for qured. */
bool netcfg_fence_take(_Atomic uint64_t *word, uint64_t now);
/* The state letter of a /proc/PID/stat line (R, S, D, T, ...), or '\0'
 * if it is not one. */
char netcfg_proc_state(const char *stat, size_t len);
/* The CPU time (ns) of a /proc/PID/schedstat line, its first field; 0
 * if none. */
uint64_t netcfg_proc_runtime(const char *schedstat, size_t len);
/*
 * Whether the guard speaks for a qured once its fence ran out: given its
 * state letter, its CPU time before and after a short look, and whether
 * datagrams wait unread in its cluster socket. Not while it is runnable
 * (R: a vCPU the host descheduled for a moment, the guard running on the
 * other), nor while it ran meanwhile (a loop busy with a flood of other
 * events: it renews in a moment, and a handover would cost its clients
 * more than the fence's silence). Blocked in the kernel (D, S) or
 * unknown, not while no PROBE waits for it: the core's own rule
 * (elect_timers.c: fence_lapsed), for no standby claims on a fence
 * without a PROBE; a loop blocked for 40 ms in a syscall with nobody
 * asking renews after it (CI: svcslow.sh, a holder handed over for it;
 * stall_peer.sh). Stopped by a signal (T), without running: it speaks,
 * asked or not; such a qured runs again only when someone continues it,
 * and waiting for a standby's PROBE cost a request-timeout per stop
 * (doc/benchmark.md, run AC). A debugger's stop (t) is waited for like
 * a block: strace stops a running loop at every syscall.
 */
bool netcfg_guard_may_speak(
    char state, uint64_t ran_before, uint64_t ran_after, bool asked);
/* The cluster protocol's PROBE (election/elect_wire.c: "QURE", version,
 * type at byte 5; tests/unit/test_netcfg_lease.c checks it against
 * ELECT_MSG_PROBE): netcfg does not depend on the election part. */
#define NETCFG_WIRE_PROBE 5
/* Whether the first len bytes of a datagram (one waiting in qured's
 * socket, peeked) are a PROBE's: a peer asking whether the holder lives. */
bool netcfg_guard_is_probe(const uint8_t *head, size_t len);

/*
 * Adds the DMZ address as a labelled ("<if>:dmz") secondary (with vmac:
 * on the macvlan, brought up first, without a prefix route) with valid =
 * preferred lifetime netcfg_lease_secs(lease_ms), NLM_F_REPLACE: adding
 * again refreshes it. The request is sent at once (the kernel applies it
 * before this returns); a refusal arrives later, is logged and reported as
 * addr_lost, once: further refusals are quiet until an add works again, so
 * adding back from addr_lost cannot spin. Returns 0, or -1 if the request
 * could not be sent.
 */
int netcfg_addr_add(struct netcfg *, uint32_t lease_ms);
/* The same as netcfg_addr_add(); no allocation, meant per heartbeat. */
int netcfg_addr_refresh(struct netcfg *, uint32_t lease_ms);
/*
 * The end of the lease the peers count from our last HEARTBEAT (on
 * conf.now_ms; 0: none), given before each add or refresh whose lease_ms
 * is shorter (the fence). The nftables element silences the address at
 * the end of lease_ms; the guard deletes it only when qured's loop has
 * not ticked by this end, so a stall past the fence that the core may
 * renew after (doc/protocol.md, "The fence") costs no RTM_DELADDR.
 * Without nftables (or while it fails) the guard keeps to lease_ms.
 */
void netcfg_set_peer_lease_end(struct netcfg *, uint64_t until_ms);
/* Whether the nftables element enforces lease_ms (ms, not the kernel's
 * whole seconds): false without nftables or while its commands fail. */
bool netcfg_lease_enforced(const struct netcfg *);
/* Removes the DMZ address (absent is fine), takes the macvlan down (with
 * vmac) and stops any announcements still scheduled: they would pull the
 * neighbours back to us. 0 or -1. */
int netcfg_addr_del(struct netcfg *);
/*
 * The lease is enforced twice: an nftables set element with a timeout of
 * lease_ms (qured's own tables, made by netcfg_new() and removed by
 * netcfg_free()) without which ARP from and IPv4 to/from the DMZ address
 * is dropped, and the kernel address lifetime (whole seconds) as the
 * backstop. The lease in force in ms (the kernel's when nftables is not
 * available), or 0 when the address is not held:
 */
uint32_t netcfg_enforced_lease_ms(const struct netcfg *);
/* The kernel address lifetime of the last add (s), 0 when not held. */
uint32_t netcfg_kernel_lifetime_s(const struct netcfg *);
/*
 * Starts the address guard, a watchdog child: every add, refresh and
 * delete tells it the lease end; it deletes the DMZ address (and empties
 * the lease sets) when the lease end passes without a refresh (a stopped
 * or blocked loop) and the moment this process dies, kill -9 included.
 * A dead guard is logged and started again (at most once a second). Call
 * once, after daemon(). 0 or -1 (logged; the leases still cover).
 * netcfg_free() stops it.
 */
int netcfg_guard_start(struct netcfg *);
/* The longest farewell the guard keeps (a RESIGN is about 120 bytes). */
#define NETCFG_FAREWELL_MAX 496
/*
 * The holder's farewell (election/: ELECT_ACT_FAREWELL): a datagram the
 * guard sends to `to` on fd, after it dropped the address, if this
 * process dies while holding the address under a lease not yet over.
 * fd is borrowed (the cluster socket: the guard keeps its copy across
 * the fork); set it before netcfg_guard_start(), -1: none. len 0
 * withdraws the farewell; one longer than NETCFG_FAREWELL_MAX is refused
 * (-1, logged) and withdraws it too. Kept while the address is held.
 */
void netcfg_guard_set_farewell_to(
    struct netcfg *, int fd, const struct sockaddr_in *to);
/* named: the farewell names a successor; only then does the guard speak
 * at the fence too (a lone holder's stall is better waited out). */
int netcfg_guard_farewell(
    struct netcfg *, const uint8_t *buf, size_t len, bool named);
/*
 * Arms the guard's farewell at the fence (netcfg_guard.c): when qured's
 * loop lets the fence run out unrenewed while the guard runs (qured
 * stopped, its loop blocked), the guard deletes the address and sends
 * the farewell then, not only when qured dies. Only where a farewell
 * speaks for every address held (one family) and a fence is in force.
 */
void netcfg_set_guard_fence(struct netcfg *, bool on);
/* The guard resigned for us (netcfg_fence_take()): the address is gone
 * and no renewal works until the core let it go (netcfg_addr_del). */
bool netcfg_guard_resigned(const struct netcfg *);
/* How many times the guard died and was started again. */
uint64_t netcfg_guard_restarts(const struct netcfg *);
/* At start-up: removes the DMZ address with any prefix if present. */
int netcfg_addr_remove_stale(struct netcfg *);
/* We added the address and have not seen it go since. */
bool netcfg_is_held(const struct netcfg *);

/*
 * Gratuitous ARP requests (sender = target = DMZ, to broadcast), count of
 * them gap_ms apart, the first now. Restarts a running announce.
 * Returns 0, or -1 if the first one could not be sent.
 */
int netcfg_announce(struct netcfg *, unsigned count, unsigned gap_ms);

/*
 * RFC 5227 probe of the DMZ address: count probes gap_ms apart, then
 * wait_ms; cb->probe_done reports FREE or CONFLICT (with the MAC of a
 * reply or of a simultaneous probe from another host). Frames from our
 * own MAC and from the member MACs are ignored. Restarts a running probe.
 * Returns 0, or -1 if the first probe could not be sent (no callback).
 */
int netcfg_probe(
    struct netcfg *, unsigned count, unsigned gap_ms, unsigned wait_ms);
/* Ends a running probe with no callback (nothing when none runs). */
void netcfg_probe_stop(struct netcfg *);
/* MACs of cluster members (6 bytes each) that a probe and the holder's
 * defence ignore; copied, at most NETCFG_MAX_MEMBER_MACS, replacing the
 * previous list. */
void netcfg_set_member_macs(
    struct netcfg *, const uint8_t (*macs)[6], size_t n);

/* mac is in the list of netcfg_set_member_macs(). */
bool netcfg_is_member_mac(const struct netcfg *, const uint8_t mac[6]);
/*
 * Load sharing (netcfg/balance.h, issue 11 item 4): installs c's ruleset
 * as this DMZ address's balance table (sets c->table to its name,
 * qure_b_<if>_<dmz hex>), replacing the one there in one transaction.
 * The first time, also net.ipv4.ip_forward = 1 and send_redirects 0
 * (all and the interface), logged, not written back. 0, or -1 (nft's
 * error logged, once until an install works again).
 */
int netcfg_balance_install(struct netcfg *, struct balance_conf *c);
/* Removes the table (absent is fine); the guard does so too when this
 * process dies. 0 or -1 (logged). */
int netcfg_balance_remove(struct netcfg *);
/* The table was installed and not removed since. */
bool netcfg_balance_installed(const struct netcfg *);

/* The interface's index as last seen; 0 while it is gone. */
int netcfg_get_ifindex(const struct netcfg *);
/* The interface's MAC as last seen (6 bytes). */
void netcfg_get_mac(const struct netcfg *, uint8_t mac[6]);
/* [dmz] vmac: the macvlan's name ("" without one). */
const char *netcfg_get_vmac_ifname(const struct netcfg *);
/* [dmz] vmac: the shared MAC as "aa:bb:cc:dd:ee:ff" into buf ("" without
 * one). */
void netcfg_get_vmac(const struct netcfg *, char *buf, size_t len);
/* Link state as last seen. */
bool netcfg_is_link_up(const struct netcfg *);
/*
 * The interface's IPv4 addresses for HELLO: not the DMZ address, not
 * loopback or link-local 169.254/16. Returns how many were written to out
 * (at most max), or -1.
 */
int netcfg_get_addrs(const struct netcfg *, struct in_addr *out, size_t max);
/* The default route's interface into ifname; -1 with err if none. */
int netcfg_default_ifname(
    char ifname[NETCFG_IFNAME_MAX], char err[NETCFG_ERR_MAX]);

/*
 * ---- The mirrored-request watcher (doc/design.md §6)
 *
 * An AF_PACKET socket, promiscuous, on the cluster interface, with a
 * classic BPF filter built from the conf, that reports client requests to
 * the DMZ address (TCP SYN without ACK, UDP datagrams, to a watched port)
 * and the answers from it (TCP SYN-ACK or RST, UDP, from a watched port).
 * Only the capture lives here; what a missing answer means is decided in
 * election/. VLAN-tagged frames are ignored: watch the VLAN's interface.
 */

#define NETCFG_WATCH_MAX_PORTS 16

struct netcfg_watch;

struct netcfg_watch_port {
	uint8_t proto; /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t port; /* host byte order, 1..65535 */
};

struct netcfg_watch_conf {
	char ifname[NETCFG_IFNAME_MAX];
	struct in_addr dmz; /* network byte order */
	struct netcfg_watch_port ports[NETCFG_WATCH_MAX_PORTS];
	size_t n_ports;
	/* Frames from this source MAC are ignored (our own); all zero: no
	 * check. netcfg_watch_new() sets it to the interface's MAC. */
	uint8_t mac[6];
	/* [dmz] address6: requests to it and answers from it (IPv6 without
	 * extension headers) are watched too; all zero: none. */
	struct in6_addr dmz6;
};

enum netcfg_watch_kind {
	NETCFG_WATCH_IGNORE = 0,
	NETCFG_WATCH_REQUEST, /* client -> DMZ: SYN, or UDP to a port */
	NETCFG_WATCH_ANSWER,  /* DMZ -> client: SYN-ACK, RST, or UDP */
};

struct netcfg_watch_seen {
	enum netcfg_watch_kind kind;
	/* The client side, equal for a request and its answer:
	 * (client IPv4 << 24) | (client port << 8) | proto, host order;
	 * for an IPv6 client, its address folded to 32 bits (the four
	 * words XORed) in place of the IPv4 one. */
	uint64_t flow;
	struct in_addr client;	 /* network byte order; 0 for IPv6 */
	uint16_t client_port;	 /* host byte order */
	uint16_t port;		 /* the DMZ side's (watched) port */
	uint8_t proto;		 /* IPPROTO_TCP or IPPROTO_UDP */
	bool rst;		 /* ANSWER: a TCP reset (the port is closed) */
	uint8_t family;		 /* 4 or 6 */
	struct in6_addr client6; /* family 6: the client */
};

struct netcfg_watch_stats {
	uint64_t frames;   /* read from the socket */
	uint64_t requests; /* reported as NETCFG_WATCH_REQUEST */
	uint64_t answers;  /* reported as NETCFG_WATCH_ANSWER */
	uint64_t ignored;  /* read but neither (our own, malformed, ...) */
	uint64_t drops;	   /* lost by the kernel (PACKET_STATISTICS) */
};

/*
 * Pure: classifies one Ethernet frame (from the destination MAC on, as
 * captured, possibly cut short after the transport header). Never reads
 * past frame + len. Returns the kind, also stored in out->kind; the rest
 * of out is set for REQUEST and ANSWER only. IGNORE: not IPv4 (VLAN tags
 * included), from conf->mac, truncated headers, IHL < 5, a non-first
 * fragment, a request from the DMZ address itself, anything else that
 * matches no watched port and direction.
 */
enum netcfg_watch_kind netcfg_watch_classify(const uint8_t *frame, size_t len,
    const struct netcfg_watch_conf *conf, struct netcfg_watch_seen *out);

/*
 * Opens the capture on conf->ifname, enabled, on base; seen(arg, s) is
 * called from the loop for each request and answer (s is borrowed for the
 * call; seen may call netcfg_watch_set_enabled(), not netcfg_watch_free()).
 * Returns NULL with one line in err ("netcfg: watch: interface
 * eth9 not found", ...) if the interface is missing, no port is given, or
 * the socket cannot be opened (CAP_NET_RAW).
 */
struct netcfg_watch *netcfg_watch_new(struct event_base *,
    const struct netcfg_watch_conf *conf,
    void (*seen)(void *arg, const struct netcfg_watch_seen *), void *arg,
    char *err, size_t errlen);
/* Closes the socket and leaves promiscuous mode; NULL does nothing. */
void netcfg_watch_free(struct netcfg_watch *);
/*
 * The holder turns its watcher off (it does not watch itself): disabled,
 * the socket is closed and costs nothing; enabling opens it again (the
 * error, if any, is logged). Returns 0, or -1 if it could not be opened.
 */
int netcfg_watch_set_enabled(struct netcfg_watch *, bool enabled);
bool netcfg_watch_is_enabled(const struct netcfg_watch *);
/* Counters since netcfg_watch_new(); reads the kernel's drop count.
 * Only tests/netns/watch_tool.c calls it: it is the seam through which
 * watch.sh sees what the capture counted. */
void netcfg_watch_get_stats(
    struct netcfg_watch *, struct netcfg_watch_stats *out);

#endif
