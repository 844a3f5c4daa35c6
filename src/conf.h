#ifndef QURE_CONF_H
#define QURE_CONF_H

/*
 * qured's config file (doc/design.md §8.2, qured.conf(5)). One table
 * in conf.c (section, key, type, default, min, max, offset, help) drives
 * the parser, the check, conf_print() and the man page test. Everything is
 * fixed-size: a struct conf owns nothing and copies by value.
 */

#include <netinet/in.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CONF_NAME_MAX 63   /* [node] name, bytes (= ELECT_NAME_MAX) */
#define CONF_IFNAME_MAX 15 /* [cluster] interface (IFNAMSIZ - 1) */
#define CONF_USER_MAX 32   /* [hooks] user, [node] status-group */
#define CONF_PATH_MAX 127  /* absolute paths, bytes */
#define CONF_SOCK_MAX 107  /* control-socket: sizeof(sun_path) - 1 */
#define CONF_DNAME_MAX 253 /* DNS names, bytes, without a final dot */
#define CONF_MAX_PORTS 16  /* [dmz] ports entries */
#define CONF_MAX_KEYS 64   /* rows of the key table, upper bound */
#define CONF_KEY_LEN 32	   /* cluster key, bytes */

struct conf_cidr4 {
	struct in_addr addr; /* network byte order */
	uint8_t prefix;	     /* 1..32; 0: unset */
	/* [dmz] address = auto: found at start (src/dmz_auto.h), which
	 * fills addr and prefix and leaves this set (printed "auto"). */
	bool automatic;
};

struct conf_cidr6 {
	struct in6_addr addr; /* network byte order */
	uint8_t prefix;	      /* 1..128; 0: unset */
};

enum conf_proto {
	CONF_PROTO_TCP = 6, /* IPPROTO_TCP */
	CONF_PROTO_UDP = 17 /* IPPROTO_UDP */
};

struct conf_port {
	uint8_t proto; /* enum conf_proto */
	uint16_t port; /* host byte order, 1..65535 */
};

struct conf_ports {
	size_t n;
	struct conf_port p[CONF_MAX_PORTS];
};

enum conf_check_type {
	CONF_CHECK_NONE = 0,
	CONF_CHECK_TCP, /* connect to addr:port */
	CONF_CHECK_EXEC /* run path, exit 0 is healthy */
};

struct conf_check {
	enum conf_check_type type;
	struct in_addr addr;	      /* CONF_CHECK_TCP */
	uint16_t port;		      /* CONF_CHECK_TCP, host byte order */
	char path[CONF_PATH_MAX + 1]; /* CONF_CHECK_EXEC */
};

/* An IPv4 address and port (host byte order), e.g. a DNS server. */
/* [cloud] server: HOST[:PORT]: IPv4 (addr), IPv6 (addr6) or a name. */
struct conf_hostport {
	uint8_t family; /* 4 or 6; 0: a name (host), or not set */
	struct in_addr addr;
	struct in6_addr addr6;
	char host[254]; /* family 0: the DNS name, resolved when used */
	uint16_t port;
};

/* [dns] listen: [ADDR:]PORT; family 0: every address (IPv4 and IPv6). */
struct conf_listen {
	uint8_t family; /* 0, 4 or 6 */
	uint8_t addr[16];
	uint16_t port;
};

enum conf_pubaddr_mode {
	CONF_PUBADDR_AUTO = 0, /* UPnP IGD, then NAT-PMP */
	CONF_PUBADDR_UPNP,
	CONF_PUBADDR_NATPMP,
	CONF_PUBADDR_STATIC,
	CONF_PUBADDR_HTTP /* the check URL's answer */
};

#define CONF_URL_MAX 255 /* http://HOST[:PORT]/PATH, bytes */

struct conf_pubaddr {
	enum conf_pubaddr_mode mode;
	struct in_addr addr;	    /* CONF_PUBADDR_STATIC */
	char url[CONF_URL_MAX + 1]; /* CONF_PUBADDR_HTTP */
};

/* A timeout that is "auto" (learned, ms unused: 0) or a fixed duration. */
struct conf_auto_ms {
	bool is_auto;
	uint32_t ms;
};

/* [dmz] vmac: the DMZ address on a macvlan with one MAC for the cluster. */
enum conf_vmac_mode {
	CONF_VMAC_NO = 0, /* the address on the cluster interface itself */
	CONF_VMAC_KEY,	  /* yes: the MAC derived from the cluster key */
	CONF_VMAC_GIVEN	  /* the MAC written in the file */
};

struct conf_vmac {
	enum conf_vmac_mode mode;
	uint8_t mac[6]; /* CONF_VMAC_GIVEN; all zero otherwise */
};

/* [dmz] balance-key: what the holder hashes to pick a member. */
enum conf_balance_key {
	CONF_BALANCE_ADDR = 0, /* the client's address: a client stays put */
	CONF_BALANCE_ADDR_PORT /* and its port: clients behind one NAT spread */
};

/* [discovery] avahi: DNS-SD through avahi-daemon. */
enum conf_avahi {
	CONF_AVAHI_AUTO = 0, /* use it when the daemon is there */
	CONF_AVAHI_YES,	     /* the same; its absence is a warning */
	CONF_AVAHI_NO,	     /* never */
};

/* [store] strategy: how the site cache weighs members (issue 11 item 2). */
enum conf_store_strategy {
	CONF_STORE_UNIFORM = 0, /* every member the same */
	CONF_STORE_CPU,		/* by CPUs */
	CONF_STORE_MEMORY,	/* by memory */
};

#define CONF_STORE_MAX_REPLICAS 3 /* [store] replicas */

/* Durations are milliseconds; strings are NUL-terminated, "" is unset. */
struct conf {
	struct {
		char name[CONF_NAME_MAX + 1]; /* "": the caller's hostname */
		uint8_t priority;	      /* 0 (observer) .. 254 */
		bool preempt;
		char state_dir[CONF_PATH_MAX + 1];
		char control_socket[CONF_SOCK_MAX + 1];
		char status_group[CONF_USER_MAX + 1]; /* "": none */
		uint8_t rt_priority; /* SCHED_RR priority; 0: normal */
	} node;
	struct {
		char interface[CONF_IFNAME_MAX + 1]; /* "": default route's */
		char key_file[CONF_PATH_MAX + 1];
		char next_key_file[CONF_PATH_MAX + 1]; /* "": none */
		bool key_wait;		/* no valid key: wait, unconfigured */
		struct in_addr group;	/* IPv4 multicast */
		struct in6_addr group6; /* IPv6 multicast, link scope */
		uint16_t port;
		uint32_t heartbeat_ms;
		uint32_t dead_after; /* missed heartbeats */
		uint32_t fence_ms;   /* 0: off */
		uint32_t claim_stagger_ms;
		uint32_t hello_interval_ms;
		/* ALIVEs; auto: the edge decides (cluster.c), ms 0: off */
		struct conf_auto_ms alive_interval;
	} cluster;
	struct {
		struct conf_cidr4 address;  /* this or address6 required */
		struct conf_cidr6 address6; /* prefix 0: none */
		struct conf_ports ports;
		struct conf_auto_ms request_timeout; /* auto or fixed */
		uint32_t request_timeout_min_ms;     /* auto's floor */
		uint32_t request_timeout_max_ms;     /* auto's ceiling */
		struct conf_auto_ms probe_timeout;   /* auto or fixed */
		struct conf_check check;
		uint32_t check_interval_ms; /* start to start */
		uint32_t check_timeout_ms;  /* a run longer fails */
		uint32_t check_fall;	    /* failures in a row: failed */
		uint32_t check_rise;	    /* passes in a row: passing */
		struct conf_vmac vmac;
		bool balance; /* the holder spreads new connections */
		enum conf_balance_key balance_key;
	} dmz;
	struct {
		char on_holder[CONF_PATH_MAX + 1]; /* "": none */
		char on_standby[CONF_PATH_MAX + 1];
		char user[CONF_USER_MAX + 1]; /* "": qured's own */
	} hooks;
	struct {
		enum conf_avahi avahi;
	} discovery;
	struct {
		bool enabled; /* the file has a [cloud] section */
		char name[CONF_DNAME_MAX + 1];
		struct conf_hostport server;
		char tsig_name[CONF_DNAME_MAX + 1];
		char tsig_secret_file[CONF_PATH_MAX + 1];
		struct conf_pubaddr public_address;
		uint32_t refresh_ms;
		uint32_t ttl;			  /* seconds */
		char check_url[CONF_URL_MAX + 1]; /* "": none */
		bool allow_private; /* publish a private or shared address */
	} cloud;
	struct {
		bool enabled; /* the file has a [dns] section */
		char zone[CONF_DNAME_MAX + 1];
		struct conf_listen listen;
		uint32_t rrl; /* answers per second per client /24; 0: off */
	} dns;
	/* [http] (issue 14): GET /metrics, /status.json and the status
	 * page on listen (src/http.h); off without the section. */
	struct {
		bool enabled; /* the file has an [http] section */
		struct conf_listen listen;
	} http;
	/* The site cache: 1 + replicas redis-server instances per member
	 * at ports port..port+replicas (src/redis_sup.h). */
	struct {
		bool enable;
		uint16_t port;	  /* the first; each has a bus at +10000 */
		uint64_t memory;  /* bytes, each instance's maxmemory */
		uint8_t replicas; /* 0..CONF_STORE_MAX_REPLICAS */
		enum conf_store_strategy strategy;
		uint32_t forget_after_ms; /* a dead member, then gone */
		char redis_server[CONF_PATH_MAX + 1];
	} store;
};

/* Fills c with every default of the table (no [dmz] address, name ""). */
void conf_defaults(struct conf *c);

/*
 * If c->node.name is "", sets it to the first label of hostname (up to
 * the first '.', cut to CONF_NAME_MAX bytes). Returns 0, or -1 if the
 * result is not a valid name (letters, digits, '-'), leaving c unchanged.
 */
int conf_default_name(struct conf *c, const char *hostname);

/*
 * Parses the file at path (or text, named name in messages) over the
 * defaults and validates it completely. On success fills *out and returns
 * 0; on failure returns -1, writes one line "FILE:LINE: [section] key:
 * problem, expected ..." (no newline) to err and leaves *out untouched.
 */
int conf_load(const char *path, struct conf *out, char *err, size_t errlen);
int conf_load_string(const char *text, const char *name, struct conf *out,
    char *err, size_t errlen);

/* Writes c as an INI that conf_load() reads back to an equal struct. */
void conf_print(const struct conf *c, FILE *fp);

/*
 * Where each value of a loaded config came from, by row of the key table
 * (conf_key_info()): the line of the file that set it, 0 for the default.
 */
struct conf_origin {
	int line[CONF_MAX_KEYS];
};

/* conf_load() and conf_load_string() that also fill *origin on success. */
int conf_load_origin(const char *path, struct conf *out,
    struct conf_origin *origin, char *err, size_t errlen);
int conf_load_string_origin(const char *text, const char *name,
    struct conf *out, struct conf_origin *origin, char *err, size_t errlen);

/*
 * `qured -t -v`: writes c as conf_print() does, every key of the sections
 * that are on followed by a comment saying where its value came from,
 * "; FILE:LINE" or "; default" ("; default: the host name" for a name
 * that conf_default_name() filled in). The output reads back to an equal
 * struct. Paths are printed, never what the files they name hold.
 */
void conf_print_origin(const struct conf *c, const struct conf_origin *origin,
    const char *file, FILE *fp);

/* Whether every key of a and b has the same effective value. */
bool conf_equal(const struct conf *a, const struct conf *b);

/*
 * Keys whose values differ between an old and a new config (SIGHUP). A
 * key with live set can be applied to the running daemon; any other
 * change needs a restart. A [cloud] or [dns] section that was added or
 * removed shows up once, with key "".
 */
struct conf_change {
	const char *section; /* static strings */
	const char *key;
	bool live;
};

struct conf_diff {
	size_t n;
	bool restart; /* some change is not live */
	struct conf_change change[CONF_MAX_KEYS + 2];
};

void conf_diff(
    const struct conf *old, const struct conf *new_conf, struct conf_diff *out);

/*
 * A reload (SIGHUP): copies into run the value of every key that the table
 * marks live, from next, and nothing else; the caller then applies run.
 * So every key documented as live is applied, from one list.
 */
void conf_apply_live(struct conf *run, const struct conf *next);

/* One row of the key table, for documentation and tests. */
struct conf_keyinfo {
	const char *section;
	const char *key;
	const char *type; /* e.g. "duration", "path" */
	const char *dflt; /* as written in the file; "" for none */
	const char *help; /* one line */
	bool required;	  /* within its section */
	bool live;	  /* changes apply on reload */
};

/* Row i of the table into out; false past the last row. */
bool conf_key_info(size_t i, struct conf_keyinfo *out);

/*
 * Reads the cluster key: the base64 of CONF_KEY_LEN bytes in a regular
 * file owned by root or by the user we run as, that group and others can
 * neither read nor write. Returns 0, or -1
 * with a one-line reason naming path and the fix in err. Every buffer
 * that held key material is cleansed; the caller cleanses key.
 */
int conf_read_key(
    const char *path, uint8_t key[CONF_KEY_LEN], char *err, size_t errlen);

/*
 * [dmz] vmac = yes: the cluster's one MAC, from its key (pure). The first
 * 6 bytes of HMAC-SHA256(key, "QuRe vmac v1"), made a locally
 * administered unicast MAC (the first byte's two low bits 1 0: 02, 06,
 * 0a, ...); never all zero. Every member with the key gets the same MAC
 * and nobody without it can tell the key from it: HMAC-SHA256 is a
 * pseudo-random function of the key, a fixed label in gives 46 bits out
 * that reveal nothing more than that, and checking a guessed key against
 * them is a search of 2^256 keys. The label is used for nothing else, so
 * the MAC says nothing about the HMAC tags of datagrams either.
 */
void conf_vmac_derive(const uint8_t key[CONF_KEY_LEN], uint8_t mac[6]);

/*
 * [dmz] balance: the seed of the holder's client hash (netcfg/balance.h),
 * from the key like conf_vmac_derive() (label "QuRe balance v1"), so
 * that every member, and so every new holder, hashes a client alike.
 */
uint32_t conf_balance_seed(const uint8_t key[CONF_KEY_LEN]);

#endif
