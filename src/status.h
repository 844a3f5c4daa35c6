#ifndef QURE_STATUS_H
#define QURE_STATUS_H

/*
 * src/status.h — the status snapshot of one qured, as plain C values, and
 * its renderings: the JSON object of doc/design.md §8.3
 * (field names fixed), the text of `qurectl status` and the table of
 * `qurectl members`. Pure: no clock, no sockets; the daemon fills a
 * struct status (ctl_ops.status) and the client reads one back from JSON.
 * Strings are copied in, NUL-terminated and truncated to their arrays.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#define STATUS_MAX_MEMBERS 64	/* ELECT_MAX_MEMBERS */
#define STATUS_MAX_ADDRS 4	/* ELECT_MAX_ADDRS */
#define STATUS_ID_LEN 33	/* 32 hex digits and NUL */
#define STATUS_NAME_LEN 64	/* ELECT_NAME_MAX and NUL */
#define STATUS_ADDR_LEN 46	/* INET6_ADDRSTRLEN */
#define STATUS_CIDR_LEN 50	/* address, "/", prefix */
#define STATUS_STATE_LEN 16	/* "starting", "standby", ... */
#define STATUS_MAC_LEN 18	/* "aa:bb:cc:dd:ee:ff" and NUL */
#define STATUS_TEXT_LEN 64	/* cloud last_update and status */
#define STATUS_ERR_LEN 256	/* persist.error */
#define STATUS_CONFLICT_LEN 192 /* "member NAME (ID) at ADDR: ..." */
#define STATUS_MAX_WATCH 16	/* ELECT_MAX_WATCH_PORTS */
#define STATUS_MAX_STORE 4	/* 1 + CONF_STORE_MAX_REPLICAS */
#define STATUS_MAX_FAILOVERS 16 /* the last holder changes kept */
#define STATUS_MAX_REASONS 32	/* distinct reasons counted */
#define STATUS_REASON_LEN 24	/* elect_reason_name(): "holder_dead" */
/* The failover-duration histogram's upper bounds (ms); one more bucket,
 * +Inf, counts the rest. */
#define STATUS_FAILOVER_BOUNDS_MS                                              \
	{                                                                      \
		50, 100, 200, 300, 500, 750, 1000, 2000, 5000                  \
	}
#define STATUS_FAILOVER_BUCKETS 10 /* the bounds and +Inf */

struct status_member {
	char id[STATUS_ID_LEN];
	char name[STATUS_NAME_LEN];
	char addrs[STATUS_MAX_ADDRS][STATUS_ADDR_LEN]; /* advertised */
	size_t n_addrs;
	char address[STATUS_ADDR_LEN]; /* the one unicast goes to; "": none */
	unsigned priority;
	char state[STATUS_STATE_LEN];
	uint64_t last_seen_ms; /* age: ms since it was last heard */
	unsigned cpus;	       /* its HELLO's; 0: unknown */
	uint64_t memory_mib;
	/* its HELLO's: it sends an ALIVE this often while it does not hold
	 * (0: it speaks only every hello-interval, and is listed until the
	 * long expiry, 3 of them) */
	uint64_t alive_interval_ms;
};

struct status_counters {
	uint64_t rx, tx;
	uint64_t rx_dropped_auth, rx_dropped_malformed, rx_dropped_replay;
	uint64_t rx_dropped_version;
	uint64_t rx_unverified;	 /* from an (id, boot) not verified yet */
	uint64_t challenges;	 /* CHALLENGEs sent */
	uint64_t rx_dropped_ttl; /* TTL below 255: not from the link */
	uint64_t failovers;
	uint64_t probes;      /* PROBE rounds' tries sent to a silent holder */
	uint64_t probes_lost; /* holder: members' PROBEs that never came */
	uint64_t acks_lost;   /* holder: PROBEs asked again: ack lost */
	uint64_t loss_handovers;   /* handed over for a lossy link */
	uint64_t fence_claims;	   /* claims a fence let in before a lease */
	uint64_t fence_lapses;	   /* holder: our loop missed the fence */
	uint64_t watchers_dropped; /* qurectl watch clients that did not read */
};

/* A watched port's request timeout (issue 13): learned, or fixed. */
struct status_watch_port {
	unsigned port;
	char proto[4];	     /* "tcp" or "udp" */
	uint64_t timeout_ms; /* what a request to it is given now */
	uint64_t samples;    /* answers measured */
};

/*
 * One change of holder as this member saw it (issue 14): when the new
 * holder was known (unix ms), the old one and the new one (by name, the
 * id where it has none; "" for none: the first holder, or no successor
 * yet), why the old one was left (elect_reason_name(): "holder_dead",
 * "holder_resigned", "probe_failed", "handover", ...) and how long the
 * site had no known holder: from the old holder's last datagram to the
 * new holder's first (0 when there was no old holder).
 */
struct status_failover {
	uint64_t at_ms;
	char from[STATUS_NAME_LEN];
	char to[STATUS_NAME_LEN];
	char cause[STATUS_REASON_LEN];
	uint64_t duration_ms;
};

/* A count by reason (elect_reason_name()). */
struct status_reason_count {
	char reason[STATUS_REASON_LEN];
	uint64_t n;
};

/* One redis-server instance of the site cache ([store]). */
struct status_store_inst {
	unsigned port;
	uint64_t pid; /* 0: not running (JSON null) */
	bool up;      /* answers PING with the password */
	uint64_t restarts;
	char last_exit[64]; /* "killed by signal 9"; "": none (null) */
};

struct status {
	struct {
		char id[STATUS_ID_LEN];
		char name[STATUS_NAME_LEN];
		unsigned priority;
		char state[STATUS_STATE_LEN]; /* elect_state_name() */
	} node;
	uint64_t epoch;
	struct {
		bool present; /* false: JSON null */
		char id[STATUS_ID_LEN];
		char name[STATUS_NAME_LEN];
		char address[STATUS_ADDR_LEN];
		uint64_t since_ms; /* unix ms it was first known; 0: unknown */
	} holder;
	struct {
		char address[STATUS_CIDR_LEN]; /* "192.168.1.11/24" */
		bool held;
		char address6[STATUS_CIDR_LEN]; /* "fd00::11/64"; "": none */
		bool held6;
		uint64_t lease_ms; /* enforced (nftables), 0: not held */
		uint64_t kernel_lifetime_s; /* the backstop, 0: not held */
		uint64_t guard_restarts;    /* address guard deaths */
		char vmac[STATUS_MAC_LEN];  /* [dmz] vmac's MAC; "": null */
		uint64_t fence_ms;	    /* [cluster] fence; 0: off */
		bool fence_trusted; /* the holder's fence would serve now */
		uint64_t probe_timeout_ms; /* one PROBE try, learned or not */
		uint64_t probe_samples;	   /* round trips it was learned from */
		/* where address came from: "config", or with [dmz]
		 * address = auto "router" or "chosen" (src/dmz_auto.h) */
		char source[8];
	} dmz;
	struct status_member members[STATUS_MAX_MEMBERS]; /* self excluded */
	size_t n_members;
	struct status_counters counters;
	/*
	 * Changes of holder seen by this member since its start (issue 14):
	 * how many by cause, the histogram of their durations (counts per
	 * bucket of STATUS_FAILOVER_BOUNDS_MS, not cumulative; the last is
	 * +Inf), their sum, and the last STATUS_MAX_FAILOVERS, oldest first.
	 */
	struct {
		struct status_reason_count by_cause[STATUS_MAX_REASONS];
		size_t n_causes;
		uint64_t buckets[STATUS_FAILOVER_BUCKETS];
		uint64_t count;
		uint64_t sum_ms;
		struct status_failover recent[STATUS_MAX_FAILOVERS];
		size_t n_recent;
	} failovers;
	struct {
		bool present;		 /* false ([cloud] off): JSON null */
		char public_address[96]; /* IPv4, IPv6 or "A, AAAA" */
		char last_update[STATUS_TEXT_LEN];
		char status[STATUS_TEXT_LEN];
		char source[16];      /* upnp, natpmp, http, static; "": null */
		char last_error[192]; /* "": null */
		bool reachable_known; /* false: reachable and reason null */
		bool reachable;
		char reason[192]; /* why not reachable; "": null */
		uint64_t updates; /* DNS updates the server accepted */
		uint64_t errors;  /* update cycles that failed */
	} cloud;
	/*
	 * The home router (dns/router.h; [cloud] on): "searching", "upnp",
	 * "natpmp" or "none"; its external address ("": not known), whether
	 * the site can be reached through it and why not; the holder's
	 * mappings the router accepted and refused; the last error.
	 */
	struct {
		bool present; /* false ([cloud] off): JSON null */
		char igd[STATUS_STATE_LEN];
		char external_address[STATUS_ADDR_LEN];
		bool reachable; /* meaningful when external_address is set */
		char reason[STATUS_ERR_LEN];
		unsigned mapped, refused;
		char last_error[STATUS_ERR_LEN];
	} router;
	/*
	 * MAC of a foreign host answering ARP for the DMZ address, or
	 * "member NAME (ID) at ADDR: other ..." for a member whose settings
	 * differ (it takes no part in the election); "": none.
	 */
	char conflict[STATUS_CONFLICT_LEN];
	/* The state dir (D4): did the last write land; if not, why. */
	struct {
		bool ok;
		char error[STATUS_ERR_LEN];
	} persist;
	/* [cluster] key-wait: why this node is out of the cluster (no valid
	 * key: node.state "unconfigured"); "": it is in. */
	char unconfigured[STATUS_ERR_LEN];
	/* DNS-SD: "running", "absent", "connecting", "disabled", "failed"
	 * (disc_avahi_state_name()); instances of our cluster browsed now;
	 * browsed TXT records ignored as malformed or hostile, and instances
	 * ignored over the tracking limit, since the start. */
	struct {
		char avahi[STATUS_STATE_LEN];
		uint64_t peers_browsed;
		uint64_t txt_rejected;
		uint64_t over_limit;
		/* the IGMP observer: "running", "unavailable" (no raw
		 * socket: not root, no CAP_NET_RAW), or "" (unknown) */
		char igmp[STATUS_STATE_LEN];
		uint64_t igmp_reports; /* joins of the group seen */
		uint64_t igmp_hints;   /* of those, HELLOs sent for them */
		uint64_t igmp_hints_limited; /* and held back by the limit */
	} discovery; /* how instances find each other beside the group */
	/* The standby's watcher ([dmz] ports): the request timeout per
	 * port; auto: learned ([dmz] request-timeout = auto). */
	struct {
		bool is_auto;
		struct status_watch_port ports[STATUS_MAX_WATCH];
		size_t n_ports;
	} watch;
	/* The DNS responder ([dns]; issue 10 item 3), counters since the
	 * start. */
	struct {
		bool present; /* false ([dns] off): JSON null */
		char listen[STATUS_ADDR_LEN + 8];
		uint64_t queries_udp, queries_tcp;
		uint64_t answers, nxdomain, refused, formerr, notimp;
		uint64_t dropped; /* no answer: garbage, responses */
		uint64_t truncated;
		uint64_t rrl_dropped, rrl_slipped; /* rate-limited */
		uint64_t tcp_rejected; /* connections over the limit */
	} dns;
	/* The site settings (issue 11 item 1): how many (unsets
	 * included), their digest (16 hex digits: equal on members that
	 * agree), entries refused from members and writes of DIR/site that
	 * failed, since the start. */
	struct {
		uint64_t settings;
		char digest[17];
		uint64_t rx_bad;
		uint64_t write_failed;
	} site;
	/* Load sharing ([dmz] balance; issue 11 item 4): whether it is on,
	 * the key ("addr", "addr-port"), whether this holder installed its
	 * table, and the buckets of each member it knows (self included;
	 * by name, the id where it has none), 0 for the unfit. */
	struct {
		bool enabled;
		char key[16];
		bool installed;
		size_t n;
		struct status_bucket_count {
			char name[STATUS_ID_LEN > STATUS_NAME_LEN
				      ? STATUS_ID_LEN
				      : STATUS_NAME_LEN];
			uint64_t buckets;
		} m[STATUS_MAX_MEMBERS + 1];
	} balance;
	/* The site cache's instances on this member ([store], issue 11
	 * item 2, src/redis_sup.h): the LAN address they are bound to
	 * ("": not known yet), the password file, why none runs ("":
	 * no error). */
	struct {
		bool enabled;
		char address[STATUS_ADDR_LEN];
		struct status_store_inst instances[STATUS_MAX_STORE];
		size_t n_instances;
		char password_file[160];
		char error[STATUS_ERR_LEN];
		/* The coordinator (src/redis_coord.h; present while the
		 * store runs): whether this member coordinates (it holds),
		 * the last step's view of the cluster (slots served by live
		 * masters, by dead members' masters, by nobody, off their
		 * target member; masters short of replicas; open
		 * migrations), counters since the start (steps, actions,
		 * failed actions, slots moved, takeovers: the worker's and
		 * the death path's; nodes introduced by a MEET, nodes of no
		 * member forgotten, takeovers declined because the master
		 * answered), the last failure ("": none). */
		struct status_store_cluster {
			bool present;
			bool coordinating, converged, unreplicated;
			uint64_t members_alive, want_replicas;
			uint64_t slots_assigned, slots_stuck, slots_free;
			uint64_t slots_off_target, masters_short;
			uint64_t open_migrations;
			uint64_t steps, actions, failures, moves, takeovers;
			uint64_t introduced, nodes_forgotten;
			uint64_t takeovers_declined;
			uint64_t forget_after_ms;
			char last_error[STATUS_ERR_LEN];
		} cluster;
	} store;
	/*
	 * Key rotation ([cluster] next-key-file, issue 14): the ids (16 hex
	 * digits of HMAC-SHA256(key, "QuRe key id v1")) of the key and the
	 * next key ("": none), whether our datagrams are tagged with the
	 * next key (and whether `qurectl key rotate` forced it), and the
	 * live members that do not hold it (by name, the id where none).
	 */
	struct {
		bool present; /* false (unconfigured): JSON null */
		char current[17];
		char next[17];
		char previous[17]; /* still accepted after a promotion */
		bool sending_next;
		bool forced;
		char without_next[STATUS_MAX_MEMBERS][STATUS_NAME_LEN];
		size_t n_without_next;
	} key;
	/* Since the start (issue 14): [hooks] scripts started, those that
	 * failed (not started, exit status not 0, killed) and of those the
	 * ones killed at the timeout; the [dmz] check's runs that passed
	 * and failed, and the last one's result (present: a check is
	 * configured; counts restart when its type changes on reload). */
	struct {
		uint64_t runs, failures, timeouts;
	} hooks;
	struct {
		bool present; /* false (no [dmz] check): JSON null */
		uint64_t passed, failed;
		bool ok;
	} check;
	/* [http] listen (src/http.h): requests answered since the start,
	 * by status: 200, 404, 405, and 503 past the rate limit. */
	struct {
		bool present; /* false ([http] off): JSON null */
		uint64_t ok, not_found, bad_method, limited;
	} http;
};

/*
 * The status object of doc/design.md §8.3: node, epoch, holder (or null),
 * dmz, members, counters, cloud (null if off), conflict (null if none),
 * persist ({"ok": bool, "error": string or null}), discovery ({"avahi":
 * string, "peers_browsed": number, ..., "igmp": string, ...}), dns (null
 * if off; {"listen": string, "queries_udp": number, ...}), watch
 * ({"auto": bool, "ports": [{"port": 80, "proto": "tcp", "timeout_ms":
 * 20, "samples": 143}, ...]}), site ({"settings": number, "digest":
 * string, "rx_bad": number, "write_failed": number}), balance
 * ({"enabled": bool, "key": string, "installed": bool, "buckets":
 * {"NAME": number, ...}}), store
 * ({"enabled": bool, "address": string or null, "instances": [{"port":
 * 6379, "pid": number or null, "up": bool, "restarts": number,
 * "last_exit": string or null}], "password_file": string or null,
 * "error": string or null, "cluster": null or {"coordinating": bool,
 * "converged": bool, "unreplicated": bool, "members_alive": number,
 * "want_replicas", "slots_assigned", "slots_stuck", "slots_free",
 * "slots_off_target", "masters_short", "open_migrations", "steps",
 * "actions", "failures", "moves", "takeovers", "forget_after_ms":
 * numbers, "last_error": string or null}}), failovers ({"count":
 * number, "sum_ms": number, "by_cause": {"holder_dead": number, ...},
 * "buckets": [{"le_ms": 50, "count": number}, ..., {"le_ms": null,
 * "count": number}] (not cumulative; null is +Inf), "recent": [{"at_ms":
 * number, "from": string or null, "to": string or null, "cause": string,
 * "duration_ms": number}, ...] oldest first}); holder.since_ms (a
 * number, null if unknown); key (null while unconfigured; {"current":
 * string, "next": string or null, "previous": string or null,
 * "sending": "current" or "next", "forced": bool,
 * "members_without_next": [string, ...]}); hooks ({"runs", "failures",
 * "timeouts": numbers}); check (null if none; {"passed": number, "failed":
 * number, "ok": bool}); cloud.updates and cloud.errors (numbers); http (null if
 * off; {"ok", "not_found", "bad_method", "limited": numbers}). Returns a new
 * reference (the caller json_decref()s it); aborts on allocation failure.
 */
json_t *status_to_json(const struct status *);

/*
 * {"ok": true, "node": {...}, "members": [...]}: the reply to
 * {"cmd":"members"}, with the same objects as status_to_json().
 */
json_t *status_members_to_json(const struct status *);

/*
 * Reads a status object (or a members reply) back into out, which it
 * zeroes first. Lenient: a missing field keeps its zero value, so a newer
 * client reads an older daemon. Returns 0, or -1 with a one-line reason
 * in err if obj is not an object or a field has the wrong type.
 */
int status_from_json(
    const json_t *obj, struct status *out, char *err, size_t errlen);

/* Human-readable `qurectl status`, a few lines. */
void status_print(const struct status *, FILE *);
/* The `qurectl members` table: this node first, then each member. */
void status_print_members(const struct status *, FILE *);

#endif
