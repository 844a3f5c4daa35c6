/*
 * netcfg/netcfg_int.h — private to netcfg/: the pure parts (ARP frame
 * codec, probe/announce sequence) that the unit tests and the fuzz target
 * use without sockets.
 */
#ifndef QURE_NETCFG_INT_H
#define QURE_NETCFG_INT_H

#include <sys/types.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netcfg/netcfg.h"

/* ---- ARP frame (Ethernet/IPv4 payload, without the Ethernet header) */

#define NETCFG_ARP_LEN 28
#define NETCFG_ARP_REQUEST 1
#define NETCFG_ARP_REPLY 2

struct netcfg_arp {
	uint16_t op;	/* NETCFG_ARP_REQUEST or _REPLY */
	uint8_t sha[6]; /* sender MAC */
	uint8_t spa[4]; /* sender IPv4, network order */
	uint8_t tha[6]; /* target MAC */
	uint8_t tpa[4]; /* target IPv4 */
};

enum netcfg_arp_err {
	NETCFG_ARP_OK = 0,
	NETCFG_ARP_TRUNCATED, /* fewer than 28 bytes */
	NETCFG_ARP_HTYPE,     /* not Ethernet (1) */
	NETCFG_ARP_PTYPE,     /* not IPv4 (0x0800) */
	NETCFG_ARP_HLEN,      /* hardware length not 6 */
	NETCFG_ARP_PLEN,      /* protocol length not 4 */
	NETCFG_ARP_OP,	      /* neither request nor reply */
};

/*
 * Decodes an ARP payload; trailing bytes (Ethernet padding) are ignored.
 * Never reads past buf + len. out is unspecified unless NETCFG_ARP_OK.
 */
enum netcfg_arp_err netcfg_arp_decode(
    const uint8_t *buf, size_t len, struct netcfg_arp *out);
/* Encodes a into buf; returns NETCFG_ARP_LEN, or 0 if len is too small. */
size_t netcfg_arp_encode(const struct netcfg_arp *a, uint8_t *buf, size_t len);

/*
 * ---- Probe / announce sequence (pure core, doc/style.md §1)
 *
 * States: IDLE -> RUNNING -> DONE. Events: start, timer (wake_ms came),
 * frame (a decoded ARP frame seen on the link). A probe sends `count`
 * probes gap_ms apart, then listens wait_ms more and decides FREE; any
 * conflicting frame while RUNNING decides CONFLICT at once. An announce
 * sends `count` announcements gap_ms apart and ends. Invariant: at most
 * one send and one decision per step; a decision is only made on a timer
 * or frame event, never by start, so the edge reports it from the loop.
 */

enum netcfg_seq_kind { NETCFG_SEQ_PROBE = 0, NETCFG_SEQ_ANNOUNCE };
enum netcfg_seq_state {
	NETCFG_SEQ_IDLE = 0,
	NETCFG_SEQ_RUNNING,
	NETCFG_SEQ_DONE
};
enum netcfg_seq_send {
	NETCFG_SEND_NONE = 0,
	NETCFG_SEND_PROBE,
	NETCFG_SEND_ANNOUNCE
};

struct netcfg_seq_conf {
	enum netcfg_seq_kind kind;
	unsigned count;
	unsigned gap_ms;
	unsigned wait_ms; /* probe: listening after the last probe */
	uint8_t ip[4];	  /* the DMZ address */
	uint8_t mac[6];	  /* our own MAC: our frames are not conflicts */
};

struct netcfg_seq {
	struct netcfg_seq_conf conf;
	enum netcfg_seq_state state;
	unsigned sent;
	uint64_t next_ms; /* next send, or the decision after the last */
	uint8_t member[NETCFG_MAX_MEMBER_MACS][6];
	size_t n_member;
};

struct netcfg_seq_out {
	enum netcfg_seq_send send; /* frame to send now, if any */
	bool done;		   /* the sequence ended in this step */
	enum netcfg_probe_result result;
	uint8_t mac[6];	  /* CONFLICT: who */
	uint64_t wake_ms; /* call on_timer at this time; 0: never */
};

/* Members survive restarts: init once, set members, start many times. */
void netcfg_seq_init(struct netcfg_seq *);
void netcfg_seq_set_members(
    struct netcfg_seq *, const uint8_t (*macs)[6], size_t n);
void netcfg_seq_start(struct netcfg_seq *, const struct netcfg_seq_conf *,
    uint64_t now_ms, struct netcfg_seq_out *);
void netcfg_seq_on_timer(
    struct netcfg_seq *, uint64_t now_ms, struct netcfg_seq_out *);
void netcfg_seq_on_frame(struct netcfg_seq *, uint64_t now_ms,
    const struct netcfg_arp *, struct netcfg_seq_out *);
void netcfg_seq_stop(struct netcfg_seq *);

/* Fills the ARP frame for a send action of s (probe or announcement). */
void netcfg_seq_frame(
    const struct netcfg_seq *, enum netcfg_seq_send, struct netcfg_arp *out);

/*
 * ---- The holder's defence (RFC 5227 2.4; arp_defend.c, pure)
 *
 * While the address is held, every ARP frame seen is classified; a
 * conflict (our address as sender, a MAC neither ours nor a member's) is
 * answered with one announcement at most once per DEFEND_INTERVAL, and a
 * conflict inside the interval is reported as AGAIN once per interval.
 */

struct netcfg_defend {
	uint64_t defend_ms; /* the last announcement; 0: none */
	uint64_t again_ms;  /* the last AGAIN; 0: none */
};

enum netcfg_defend_act {
	NETCFG_DEFEND_QUIET = 0, /* reported already in this interval */
	NETCFG_DEFEND_ANNOUNCE,	 /* send one announcement, report */
	NETCFG_DEFEND_AGAIN,	 /* report: a repeat inside the interval */
};

bool netcfg_defend_is_conflict(const struct netcfg_arp *, const uint8_t ip[4],
    const uint8_t mac[6], const uint8_t (*members)[6], size_t n_members);
enum netcfg_defend_act netcfg_defend_on_conflict(
    struct netcfg_defend *, uint64_t now_ms);

/* ---- The shared MAC ([dmz] vmac; vmac_name.c, pure) */

/* The macvlan's name for the cluster interface ifname and the DMZ address
 * dmz (network order): "qv<dmz's last byte>-<ifname>", or, too long for
 * that, "qv" and a hash of both. */
void netcfg_vmac_name(
    const char *ifname, const uint8_t dmz[4], char out[NETCFG_IFNAME_MAX]);

/*
 * ---- The I/O edge (netcfg.c, netcfg_nl.c, netcfg_arp.c, netcfg_vmac.c)
 *
 * netcfg.c opens the two halves, netlink (netcfg_nl.c) and ARP
 * (netcfg_arp.c), and calls down into them; they report up only through
 * the callbacks it hands them when it opens them (arg: the struct netcfg).
 * A half reads the parent's part of struct netcfg (conf, ifindex, mac,
 * cidr, held) but neither writes it nor calls netcfg.c: the state the
 * user sees (held, link_up, ifindex, mac) changes in netcfg.c only.
 */

struct event;
struct mnl_socket;
struct nft_ctx;
struct nl_sock;

#define NETCFG_NLBUF 128 /* the prebuilt RTM_NEWADDR request */

/* What the netlink half reports. */
struct netcfg_nl_up {
	void *arg;
	/* An RTM_DELADDR of the DMZ address on our interface. */
	void (*addr_deleted)(void *arg);
	/* An add was refused; first: the first refusal since one worked
	 * (logged), else a quiet repeat or the ack of an older add. */
	void (*add_refused)(void *arg, bool first);
	/* The interface was deleted or renamed away. */
	void (*link_gone)(void *arg);
	/* A link of our name with another index (recreated): the parent
	 * follows it, nc->ifindex is ifindex when this returns. */
	void (*link_new)(void *arg, int ifindex);
	/* Our link's state as the kernel tells it; mac NULL if absent. */
	void (*link_state)(void *arg, bool up, const uint8_t *mac);
	/* Events were dropped (ENOBUFS): link and address need a re-read. */
	void (*overrun)(void *arg);
	/* The macvlan ([dmz] vmac) went down or away (gone). */
	void (*vlink_down)(void *arg, bool gone);
};

/* What the ARP half reports. */
struct netcfg_arp_up {
	void *arg;
	/* A probe ended; mac is all zero unless CONFLICT. */
	void (*probe_done)(
	    void *arg, enum netcfg_probe_result, const uint8_t *mac);
	/* The holder's defence saw a conflict (netcfg_cb.conflict). */
	void (*conflict)(void *arg, const uint8_t *mac, bool again);
};

/* Shared with the guard (MAP_SHARED, made before its fork; netcfg.h). */
struct netcfg_guard_page {
	_Atomic uint64_t fence_end; /* netcfg_fence_extend()/_take() */
	_Atomic bool armed;	    /* netcfg_set_guard_fence() */
};

struct netcfg {
	struct event_base *base;
	struct netcfg_conf conf;
	struct netcfg_cb cb;
	void *arg;
	int ifindex;
	uint8_t mac[6];
	bool held;
	bool link_up;
	bool refused;  /* the last add was refused by the kernel */
	char cidr[24]; /* "a.b.c.d/nn", for logs */
	char label[NETCFG_IFNAME_MAX]; /* "<if>:dmz", or "" if too long */

	struct nl_sock *nl_req; /* requests and their acks */
	int guard_fd; /* write end of the guard's tick pipe; -1: no guard */
	int guard_alive_fd; /* read end: EOF when the guard died; or -1 */
	pid_t guard_pid;
	struct event *ev_guard_alive, *ev_guard_restart;
	uint64_t guard_restarts;
	uint64_t guard_started_ms;
	struct netcfg_guard_page *gpage; /* NULL: no shared page */
	uint64_t lease_end_ms;		 /* on conf.now_ms; 0: not held */
	uint64_t peer_lease_end_ms;	 /* netcfg_set_peer_lease_end(); or 0 */
	int farewell_fd; /* the guard sends the farewell on it; -1 */
	struct sockaddr_in farewell_to;
	uint8_t farewell[NETCFG_FAREWELL_MAX]; /* the holder's; or none */
	size_t farewell_len;
	bool farewell_named;	/* it names a successor */
	uint32_t lease_ms;	/* of the last add or refresh */
	uint64_t nl_renewed_ms; /* the kernel's lifetime, last renewed */

	bool nft_on;		   /* false: no nftables lease (logged) */
	struct mnl_socket *nft_nl; /* the renewals (nft_batch.c) */
	uint32_t nft_seq;	   /* of the next renewal's batch */
	bool nft_failing;	   /* the last nft command failed (logged) */
	char nft_table[48];	   /* qure_<if>_<dmz hex> */
	char nft_clear[160];	   /* flushes both lease sets */
	/* Load sharing's table (netcfg_nft.c): its name, the script that
	 * removes it (the guard's too), installed, the last install failed
	 * (logged), the sysctls it needs set (once). */
	char bal_table[48];
	char bal_clear[160];
	bool bal_on, bal_failing, bal_sysctl_done;
	struct nl_sock *nl_watch; /* RTNLGRP_IPV4_IFADDR, RTNLGRP_LINK */
	struct event *ev_req, *ev_watch;
	struct netcfg_nl_up nl_up;
	uint32_t nl_seq;
	uint8_t add_msg[NETCFG_NLBUF]; /* patched per refresh, no malloc */
	size_t add_len;
	size_t add_ci_off; /* offset of its struct ifa_cacheinfo */

	int arp_tx;  /* send-only AF_PACKET socket */
	int arp_rx;  /* ARP receiver, open only while probing; else -1 */
	int arp_def; /* ARP receiver of the holder's defence; else -1 */
	bool arp_def_paused; /* deaf while not holding (packet_pause.c) */
	bool arp_rx_paused;  /* the probe's receiver, between probes */
	struct event *ev_arp_def;
	struct netcfg_defend defend;
	struct netcfg_arp_up arp_up;
	struct event *ev_arp_rx, *ev_probe, *ev_announce;
	struct netcfg_seq probe, announce;

	/* [dmz] vmac (netcfg_vmac.c): the address lives on a macvlan of the
	 * interface with the cluster's MAC, conf.vmac. */
	bool vmac;
	char vname[NETCFG_IFNAME_MAX]; /* the macvlan's name */
	int vifindex;		       /* its index; 0: none now */
	struct netcfg_sysctl {
		char path[96]; /* "" : unused */
		int was, set;  /* the value found, the one qured wrote */
	} vsaved[2];	       /* the interface's, restored on exit */
};

/* Where the DMZ address lives: the macvlan's index with vmac, else the
 * interface's. */
int netcfg_addr_ifindex(const struct netcfg *);

/* The netlink half (netcfg_nl.c); up is copied. */
int netcfg_nl_open(
    struct netcfg *, const struct netcfg_nl_up *up, char *err, size_t err_len);
void netcfg_nl_close(struct netcfg *);
/* Sends the add (or refresh) with the kernel lifetime s; 0 or -1
 * (logged). Its refusal comes later, as add_refused. */
int netcfg_nl_add(struct netcfg *, uint32_t lifetime_s);
/* Sends the delete; any: with whatever prefix. 0 or -1 (logged). */
int netcfg_nl_del(struct netcfg *, bool any);
/* The ARP half (netcfg_arp.c); up is copied. */
int netcfg_arp_open(
    struct netcfg *, const struct netcfg_arp_up *up, char *err, size_t err_len);
void netcfg_arp_close(struct netcfg *);
void netcfg_arp_announce_stop(struct netcfg *);
/* The holder's defence receiver (RFC 5227 2.4): open while held. */
void netcfg_arp_defend_open(struct netcfg *);
void netcfg_arp_defend_close(struct netcfg *);

/*
 * packet_pause.c: a bound AF_PACKET socket made deaf (a drop-all filter,
 * its queue drained) or hearing again (fp, or no filter if NULL), where
 * a close would stall the loop for an RCU grace period. 0 or -1.
 */
struct sock_fprog;
int netcfg_packet_pause(int fd);
int netcfg_packet_resume(int fd, const struct sock_fprog *fp);
/* After the ifindex changed: sockets bound to the old one go. */
void netcfg_arp_relink(struct netcfg *);
/* The RTM_DELADDR request for the DMZ address (prefix as configured). */
size_t netcfg_nl_build_del(const struct netcfg *, uint8_t buf[NETCFG_NLBUF]);
/* Whether the DMZ address is on the interface now (-1: cannot tell). */
int netcfg_has_dmz(const struct netcfg *);
/* The nftables lease (netcfg_nft.c): 0, or -1 (logged). */
int netcfg_nft_open(struct netcfg *);
void netcfg_nft_close(struct netcfg *);
int netcfg_nft_lease(struct netcfg *, uint32_t lease_ms);
int netcfg_nft_clear(struct netcfg *);
void netcfg_nft_clear_in_child(const char *cmd);
/* Names the balance table and makes its removal script. */
void netcfg_balance_open(struct netcfg *);
/* An nft script in a context made and freed for it (netcfg6.c too): 0,
 * or -1 with nft's first error line in err (errlen 0: none). */
int netcfg_nft_run(const char *cmd, char *err, size_t errlen);

/* A sysctl under /proc/sys (netcfg_vmac.c): its value (a number) or -1;
 * set to v: 0, or -1 with errno. */
int netcfg_sysctl_read(const char *path);
int netcfg_sysctl_write(const char *path, int v);
/* Stops the guard without a farewell (netcfg_free, a relink). */
void netcfg_guard_stop(struct netcfg *);
/* Tells the guard the lease end (0: none); see netcfg_guard.c. */
void netcfg_guard_tick(struct netcfg *);
/* The shared page, made once (netcfg_new) and unmapped by netcfg_free. */
void netcfg_guard_page_open(struct netcfg *);
void netcfg_guard_page_close(struct netcfg *);
/* The add request again, after the ifindex changed. */
void netcfg_nl_rebuild(struct netcfg *);
/*
 * The macvlan (netcfg_vmac.c). open: the interface's sysctls, a stale
 * macvlan of ours replaced, a new one made, down; 0, or -1 with err.
 * up: made again if it went, then up; 0 or -1 (logged). down: 0 or -1
 * (logged; gone is fine). close: deleted, the sysctls restored. relink:
 * the interface was recreated (its macvlans went with it): made again.
 */
int netcfg_vmac_open(struct netcfg *, char *err, size_t err_len);
int netcfg_vmac_up(struct netcfg *);
int netcfg_vmac_down(struct netcfg *);
void netcfg_vmac_close(struct netcfg *);
void netcfg_vmac_relink(struct netcfg *);
/* The guard's requests for the macvlan, by its index now: down, delete.
 * Their length, 0 without a macvlan. */
size_t netcfg_vmac_build_down(const struct netcfg *, uint8_t *buf, size_t len);
size_t netcfg_vmac_build_del(const struct netcfg *, uint8_t *buf, size_t len);
/* Writes the saved sysctls back where they still hold what qured set
 * (also in the guard, after fork). */
void netcfg_vmac_restore(const struct netcfg_sysctl *, size_t n);

#endif
