/*
 * src/dmz_auto.h — [dmz] address = auto (issue 10 item 5): the DMZ
 * address found at start, before the cluster opens netcfg and the
 * election core with it (doc/design.md §10.1).
 *
 * In order, the first that gives an address wins:
 *   1. a member: an authenticated HEARTBEAT or CLAIM (the holder's; else
 *      a HELLO) heard on the cluster group carries its DMZ4: every member
 *      agrees with the cluster that runs (the first holder decided);
 *      under qured.socket the socket systemd passes is read, not taken;
 *   2. the router: its UPnP port-mapping table forwards one of [dmz]
 *      ports to a LAN address (router_find_dmz), source "router";
 *   3. the state dir's `dmz` file: what this node used last time;
 *   4. a free address from the top of the LAN (router_pick_free: the
 *      default gateway's, our own and the members' addresses skipped),
 *      ARP-probed after a random wait (members started together seldom
 *      probe at once), a conflict answered by listening again (a member
 *      that took it meanwhile is followed), skipped after
 *      DMZ_PROBE_ROUNDS conflicts; source "chosen". The holder then maps
 *      [dmz] ports to it (router_map), so the next one to start finds it
 *      at 2 even with no member up.
 * The result is written to DIR/dmz, so a restart keeps it.
 *
 * The pure half (src/dmz_auto_core.c: the file, what was heard, the
 * choice) has no clock, socket or logging; src/dmz_auto.c is the edge.
 */
#ifndef QURE_SRC_DMZ_AUTO_H
#define QURE_SRC_DMZ_AUTO_H

#include <netinet/in.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf;
struct elect_msg;
struct event_base;

#define DMZ_FILE "dmz"	       /* inside the state dir */
#define DMZ_FILE_MAX 512       /* bytes read of it at most */
#define DMZ_EXCLUDE_MAX 64     /* addresses never picked */
#define DMZ_PICK_TRIES 8       /* candidates tried, at most */
#define DMZ_LISTEN_MIN_MS 1000 /* listening for members, at least */
#define DMZ_PROBE_COUNT 2      /* ARP probes of a candidate */
#define DMZ_PROBE_ROUNDS 3     /* conflicts before the next one */
#define DMZ_PROBE_GAP_MS 100   /* between them */
#define DMZ_PROBE_WAIT_MS 300  /* then answers awaited */
#define DMZ_JITTER_MS 2000     /* a random wait before each probe */

/* dmz.source of the status ("config", "router", "chosen"). */
enum dmz_source {
	DMZ_SRC_CONFIG = 0,
	DMZ_SRC_ROUTER,
	DMZ_SRC_CHOSEN,
};

const char *dmz_source_name(enum dmz_source);

struct dmz_choice {
	struct in_addr addr; /* network byte order */
	uint8_t prefix;	     /* 1..30 */
	enum dmz_source source;
};

/*
 * ---- the pure half
 */

/* a is a host of lan/prefix: inside, neither its network nor its
 * broadcast address (prefix 1..30). */
bool dmz_on_lan(struct in_addr a, struct in_addr lan, unsigned prefix);

/*
 * The state dir's `dmz` file, written by dmz_file_format:
 *
 *	# qured [dmz] address = auto: the address the cluster uses
 *	address=192.168.1.254/24
 *	source=router
 *
 * dmz_file_parse reads text (len bytes, not NUL-terminated): both keys
 * once, nothing else but comments and blank lines; source router or
 * chosen; the address a host of its own prefix (1..30). 0, or -1 with
 * one line in err (out untouched).
 */
int dmz_file_parse(const char *text, size_t len, struct dmz_choice *out,
    char *err, size_t errlen);
/* The file's text into buf; its length, or 0 if it does not fit. */
size_t dmz_file_format(const struct dmz_choice *c, char *buf, size_t len);

/*
 * /proc/net/route, one line: the default route's gateway on ifname
 * ("eth0\t00000000\t0101A8C0\t0003\t..." gives 192.168.1.1). False for
 * the header, another interface, a non-default route or a bad line.
 */
bool dmz_route_gateway(
    const char *line, const char *ifname, struct in_addr *gw);

/* What the start has learnt so far. */
struct dmz_facts {
	struct in_addr lan; /* our address on the LAN, and its prefix */
	unsigned prefix;
	/* 1: a member's word */
	bool peer;
	unsigned peer_rank; /* 2: HEARTBEAT or CLAIM, 1: HELLO */
	uint64_t peer_epoch;
	struct in_addr peer_addr;
	uint8_t peer_prefix;
	unsigned rejected; /* DMZ4s heard off our LAN (ignored) */
	/* 2: the router's mapping table */
	bool router;
	struct in_addr router_addr;
	/* 3: the state dir */
	bool saved;
	struct dmz_choice file;
	/* 4: never picked */
	struct in_addr exclude[DMZ_EXCLUDE_MAX];
	size_t n_exclude;
};

void dmz_facts_init(struct dmz_facts *, struct in_addr lan, unsigned prefix);
/* An address never to pick (ours, a member's, the router's); kept once;
 * past DMZ_EXCLUDE_MAX the rest are dropped. */
void dmz_facts_exclude(struct dmz_facts *, struct in_addr a);
/*
 * An authenticated datagram of a member (elect_wire_decode'd): HELLO,
 * HEARTBEAT or CLAIM with an IPv4 DMZ4 on our LAN is that member's word
 * (a holder's beats a HELLO's, a later epoch an earlier one); its
 * advertised addresses are excluded. True when the word changed. A DMZ4
 * off our LAN (another site, a mistyped config) is counted in rejected.
 */
bool dmz_facts_hear(struct dmz_facts *, const struct elect_msg *m);

/*
 * The choice from the facts: a member's word, else the router's (not
 * for an excluded address: a host's own), else the file's (each only if
 * on our LAN); true and out filled. The source
 * of a member's word is the router's when the router names the same
 * address, the file's when the file does, else chosen. False: nothing
 * known, pick one (dmz_pick).
 */
bool dmz_decide(const struct dmz_facts *, struct dmz_choice *out);

/*
 * The skip-th free candidate from the top of the LAN, the excluded ones
 * skipped (router_pick_free); source chosen. False when none is left.
 */
bool dmz_pick(const struct dmz_facts *, unsigned skip, struct dmz_choice *out);

/*
 * ---- the edge (src/dmz_auto.c)
 *
 * Finds the address as above, running base's loop until it knows (at
 * most ROUTER_DEADLINE_MS plus the probes), and writes DIR/dmz. conf is
 * that of qured (its [dmz] address automatic), key the cluster key. 0
 * and out filled, or -1 with one line in err.
 */
int dmz_auto_resolve(struct event_base *base, const struct conf *conf,
    const uint8_t *key, struct dmz_choice *out, char *err, size_t errlen);

#endif
