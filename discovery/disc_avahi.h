/*
 * discovery/disc_avahi.h — DNS-SD through Avahi (issue 9 item 1), part of
 * discovery's public interface (discovery/discovery.h includes it).
 *
 * Pure halves (discovery/libqure_disc_core.a, libc only): the `_qure._udp`
 * TXT record, encoded and parsed (disc_txt_*), and the rate limit of
 * hints (disc_hint_*, doc/design.md §5.6). Edges (discovery/libqure_disc.a,
 * avahi-client and libevent): an AvahiPoll on a libevent event_base
 * (disc_avahi_poll_*: no thread, no avahi_simple_poll) and DNS-SD itself
 * (disc_avahi_*): it publishes this instance, browses and resolves the
 * others and reconnects to a restarted avahi-daemon, in a helper process
 * with its own loop, since avahi-client's calls block on D-Bus
 * (discovery/disc_avahi_helper.c). No Avahi header is needed to include
 * this one.
 */
#ifndef QURE_DISC_AVAHI_H
#define QURE_DISC_AVAHI_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct AvahiPoll;
struct event_base;

/* ---- the TXT record (RFC 6763 §6), pure ---- */

#define DISC_SERVICE_TYPE "_qure._udp"
#define DISC_TXT_CLUSTER_LEN 8 /* hex digits of the cluster fingerprint */
#define DISC_TXT_STATE_MAX 15  /* bytes of state=, lower-case letters */
/* A record longer, or with more strings, is rejected whole: a hostile
 * publisher costs a bounded walk, never memory (8 strings of 255 bytes). */
#define DISC_TXT_RDATA_MAX 2048
#define DISC_TXT_ITEMS_MAX 16

/*
 * What an instance publishes: id= (node id, 32 hex digits), cluster= (the
 * fingerprint, DISC_TXT_CLUSTER_LEN hex digits), prio= (0..254), state=
 * (the election state's name) and ver= (the protocol version, 1..255).
 */
struct disc_txt {
	uint8_t id[16];
	char cluster[DISC_TXT_CLUSTER_LEN + 1]; /* lower-case hex */
	uint8_t prio;
	char state[DISC_TXT_STATE_MAX + 1];
	uint8_t ver;
};

/* Why a TXT record was ignored; the caller counts each. */
enum disc_txt_err {
	DISC_TXT_OK = 0,
	DISC_TXT_TOO_LONG,  /* rdata over DISC_TXT_RDATA_MAX */
	DISC_TXT_TOO_MANY,  /* more than DISC_TXT_ITEMS_MAX strings */
	DISC_TXT_MALFORMED, /* a string's length runs past the end */
	DISC_TXT_NO_ID,
	DISC_TXT_BAD_ID,
	DISC_TXT_NO_CLUSTER,
	DISC_TXT_BAD_CLUSTER,
	DISC_TXT_NO_PRIO,
	DISC_TXT_BAD_PRIO,
	DISC_TXT_NO_STATE,
	DISC_TXT_BAD_STATE,
	DISC_TXT_NO_VER,
	DISC_TXT_BAD_VER,
};
#define DISC_TXT_NERR (DISC_TXT_BAD_VER + 1)

/*
 * Parses TXT rdata (length-prefixed strings, as avahi_string_list_
 * serialize() writes them) into out. Keys are case-insensitive, the first
 * of a repeated key counts and unknown keys are skipped (RFC 6763 §6.4,
 * §6.5); every one of the five keys must be there with a valid value.
 * Reads nothing past data + len, allocates nothing. out is unspecified
 * unless DISC_TXT_OK.
 */
enum disc_txt_err disc_txt_parse(
    const uint8_t *data, size_t len, struct disc_txt *out);

/*
 * Encodes txt as rdata into buf (len bytes): "id=…", "cluster=…",
 * "prio=…", "state=…", "ver=…". Returns the length, or 0 if it does not
 * fit or txt is not valid (what disc_txt_parse() would refuse).
 */
size_t disc_txt_encode(const struct disc_txt *txt, uint8_t *buf, size_t len);

/* "ok", "too-long", "no-id", ...: for logs and counters. */
const char *disc_txt_err_name(enum disc_txt_err);

/* ---- the rate limit of hints (doc/design.md §5.6), pure ---- */

#define DISC_HINT_SLOTS 64 /* addresses remembered; the oldest goes */

/*
 * At most one hint per address per per_addr_ms, and at most burst at
 * once, refilled at one per refill_ms, for all addresses together.
 */
struct disc_hint {
	struct {
		uint8_t addr[16]; /* IPv4 in the first 4 bytes, rest 0 */
		uint64_t last_ms; /* 0: free slot */
	} slot[DISC_HINT_SLOTS];
	uint64_t per_addr_ms, refill_ms;
	uint32_t burst;
	uint32_t tokens;
	uint64_t refilled_ms;
	uint64_t allowed, refused; /* counters */
};

/* Empties h and sets its limits (refill_ms 0 counts as 1). */
void disc_hint_init(struct disc_hint *h, uint64_t per_addr_ms, uint32_t burst,
    uint64_t refill_ms);
/*
 * Whether a hint to addr (alen 4 or 16 bytes) may go out at now_ms (never
 * decreasing); if so it is recorded. Other lengths are refused.
 */
bool disc_hint_allow(
    struct disc_hint *h, const uint8_t *addr, size_t alen, uint64_t now_ms);

/* ---- the AvahiPoll adapter on libevent (edge) ---- */

struct disc_avahi_poll;

/*
 * An AvahiPoll whose watches and timeouts are events on base (kept): the
 * daemon's one loop drives avahi-client. Avahi's timeouts are absolute
 * gettimeofday() times (its API); a NULL time disables one. Free it after
 * every avahi object made with it.
 */
struct disc_avahi_poll *disc_avahi_poll_new(struct event_base *base);
const struct AvahiPoll *disc_avahi_poll_get(struct disc_avahi_poll *);
/* Watches and timeouts that are alive (for tests: leaks). */
size_t disc_avahi_poll_live(const struct disc_avahi_poll *);
void disc_avahi_poll_free(struct disc_avahi_poll *);

/* ---- the Avahi client: publish, browse, resolve (edge) ---- */

enum disc_avahi_mode {
	DISC_AVAHI_AUTO = 0, /* use avahi-daemon when it is there */
	DISC_AVAHI_YES,	     /* the same, but its absence is a warning */
	DISC_AVAHI_NO,	     /* never */
};

enum disc_avahi_state {
	DISC_AVAHI_DISABLED = 0, /* mode no */
	DISC_AVAHI_CONNECTING,	 /* daemon there, not running yet */
	DISC_AVAHI_RUNNING,	 /* published and browsing */
	DISC_AVAHI_ABSENT,	 /* no daemon (or no D-Bus): retrying */
	DISC_AVAHI_FAILED,	 /* the daemon refused us: retrying */
};

#define DISC_AVAHI_NAME_MAX 63	 /* a DNS-SD instance name, bytes */
#define DISC_AVAHI_MAX_PEERS 128 /* browsed instances tracked */
#define DISC_AVAHI_RETRY_MIN_MS 1000
#define DISC_AVAHI_RETRY_MAX_MS 60000

struct disc_avahi_conf {
	enum disc_avahi_mode mode;
	char name[DISC_AVAHI_NAME_MAX + 1]; /* the instance name wanted */
	uint16_t port;			    /* host order: the cluster port */
	int ifindex; /* publish and browse there; 0: every interface */
	/*
	 * The address the service points at, network order: published
	 * under a host name of our own ("qure-" and the id in hex),
	 * so that a resolver never gets an address of the host that is not
	 * ours to advertise (the DMZ address, on the holder). 0: the
	 * daemon's host name and all its addresses.
	 */
	struct in_addr addr;
	/* The same for IPv6 (an AAAA record beside the A one, under the
	 * same name; a link-local one is scoped by ifindex); all zero:
	 * none. */
	struct in6_addr addr6;
	struct disc_txt txt;
};

/*
 * A browsed instance of our cluster (cluster= is ours, id= not ours),
 * resolved: txt and addr (port included) are borrowed for the call. addr
 * is a sockaddr_in (an A record, resolved over mDNS on IPv4) or a
 * sockaddr_in6 (an AAAA, when conf.addr is 0: an IPv6-only host;
 * sin6_scope_id: the interface it was resolved on). An instance browsed
 * over both IPv4 and IPv6 mDNS may be reported twice.
 */
typedef void disc_avahi_peer_cb(
    void *arg, const struct disc_txt *txt, const struct sockaddr *addr);

struct disc_avahi_stats {
	uint64_t peers_browsed; /* instances of our cluster browsed now */
	uint64_t others;	/* now: of another cluster, or bad TXT */
	uint64_t ignored;	/* ever: over DISC_AVAHI_MAX_PEERS */
	uint64_t txt_rejected[DISC_TXT_NERR]; /* ever, by reason */
	uint64_t collisions;		      /* names taken: renamed */
	uint64_t reconnects;		      /* clients made after the first */
};

struct disc_avahi;

/*
 * Starts DNS-SD: forks the helper (it dies with us), which publishes
 * conf->name (or Avahi's alternative when taken, logged) of
 * DISC_SERVICE_TYPE with conf->txt and browses for the others; cb is
 * called on base for each resolved peer of our cluster. A missing or
 * restarted avahi-daemon is logged once and retried with backoff
 * (DISC_AVAHI_RETRY_MIN_MS doubling to _MAX_MS); nothing here blocks
 * base. conf is copied, base, cb and arg kept. Mode no: does nothing,
 * DISC_AVAHI_DISABLED.
 */
struct disc_avahi *disc_avahi_new(struct event_base *base,
    const struct disc_avahi_conf *conf, disc_avahi_peer_cb *cb, void *arg);
/* Ends the helper (avahi-daemon withdraws the service then, with
 * goodbye packets), frees all. NULL: nothing. */
void disc_avahi_free(struct disc_avahi *);
/* A new TXT (state or priority changed): published if it differs. */
void disc_avahi_set_txt(struct disc_avahi *, const struct disc_txt *);
/* The cluster interface was recreated: publish and browse on ifindex. */
void disc_avahi_set_ifindex(struct disc_avahi *, int ifindex);
enum disc_avahi_state disc_avahi_get_state(const struct disc_avahi *);
void disc_avahi_get_stats(const struct disc_avahi *, struct disc_avahi_stats *);
/* "running", "absent", "connecting", "disabled", "failed". */
const char *disc_avahi_state_name(enum disc_avahi_state);

#endif
