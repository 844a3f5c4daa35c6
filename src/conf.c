#include "config.h"

#include "src/conf.h"

#include <sys/stat.h>
#include <arpa/inet.h>

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>
#include <nettle/hmac.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

/*
 * The key table drives everything: parsing (inih calls on_kv() per key),
 * the complete check, conf_print(), conf_diff() and the man page test.
 * A row names its field by offset and size, and a type whose ops parse a
 * value into the field and print the field back; conf_print() relies on
 * parse(print(x)) == x for every type, which the unit test and the fuzz
 * target check.
 */

enum ktype {
	T_BOOL,
	T_UINT,	    /* unsigned of 1, 2 or 4 bytes, in [min, max] */
	T_MS,	    /* uint32_t milliseconds, in [min, max] */
	T_NAME,	    /* node name: one DNS label */
	T_USER,	    /* a user or group name */
	T_IFNAME,   /* network interface name */
	T_DNAME,    /* DNS name */
	T_PATH,	    /* absolute path */
	T_URL,	    /* http://HOST[:PORT]/PATH */
	T_MCAST4,   /* struct in_addr, IPv4 multicast */
	T_CIDR4,    /* struct conf_cidr4 */
	T_MCAST6,   /* struct in6_addr, IPv6 link-scope multicast */
	T_CIDR6,    /* struct conf_cidr6 */
	T_PORTS,    /* struct conf_ports */
	T_CHECK,    /* struct conf_check */
	T_HOSTPORT, /* struct conf_hostport */
	T_PUBADDR,  /* struct conf_pubaddr */
	T_VMAC,	    /* struct conf_vmac */
	T_AVAHI,    /* enum conf_avahi */
	T_BALKEY,   /* enum conf_balance_key */
	T_LISTEN,   /* struct conf_listen */
	T_RATE,	    /* uint32_t per second: "N/s", 0: off */
	T_AUTO_MS,  /* struct conf_auto_ms: "auto" or a T_MS duration */
	T_SIZE,	    /* uint64_t bytes, K/M/G suffixes; [min, max] in MiB */
	T_STRATEGY, /* enum conf_store_strategy */
};

enum kflag {
	F_REQUIRED = 1u << 0, /* must be set when its section is on */
	F_LIVE = 1u << 1,     /* a reload applies it without a restart */
	F_EMPTY = 1u << 2,    /* "" is a valid value (unset) */
};

struct key {
	const char *section;
	const char *name;
	enum ktype type;
	const char *dflt; /* as written in the file; NULL: none */
	uint32_t min;	  /* T_UINT, T_MS */
	uint32_t max;
	size_t off; /* into struct conf */
	size_t size;
	unsigned flags; /* enum kflag */
	const char *help;
};

#define FIELD(m) offsetof(struct conf, m), sizeof(((struct conf *)0)->m)
#define DAY_MS (24u * 3600u * 1000u)

static const struct key keys[] = {
    {"node", "name", T_NAME, "", 0, 0, FIELD(node.name), F_EMPTY,
	"this instance's name in the cluster; empty: the host name"},
    {"node", "priority", T_UINT, "100", 0, 254, FIELD(node.priority), F_LIVE,
	"election priority, higher wins; 0: never holds the address"},
    {"node", "preempt", T_BOOL, "no", 0, 0, FIELD(node.preempt), F_LIVE,
	"take the address from a live holder of lower priority"},
    {"node", "state-dir", T_PATH, "/var/lib/qured", 0, 0, FIELD(node.state_dir),
	0, "where the node id, epoch and sequence live"},
    {"node", "control-socket", T_PATH, "/run/qured/qured.sock", 0, 0,
	FIELD(node.control_socket), 0, "UNIX socket that qurectl talks to"},
    {"node", "status-group", T_USER, "", 0, 0, FIELD(node.status_group),
	F_EMPTY,
	"group whose members may also read (status, members, config get "
	"and list) on the control socket; empty: only root, qured's user "
	"and its group"},
    {"node", "rt-priority", T_UINT, "1", 0, 99, FIELD(node.rt_priority), 0,
	"real-time (SCHED_RR) priority, so a busy host does not delay "
	"heartbeats; 0: normal scheduling"},
    {"cluster", "interface", T_IFNAME, "", 0, 0, FIELD(cluster.interface),
	F_EMPTY,
	"cluster interface; empty: the DMZ subnet's, else the default route's"},
    {"cluster", "key-file", T_PATH, "/etc/qured/cluster.key", 0, 0,
	FIELD(cluster.key_file), 0, "the cluster key, base64, mode 0600"},
    {"cluster", "next-key-file", T_PATH, "", 0, 0, FIELD(cluster.next_key_file),
	F_EMPTY | F_LIVE,
	"key rotation: the next key, accepted beside the key and sent with "
	"once every member holds it; empty: none"},
    {"cluster", "key-wait", T_BOOL, "no", 0, 0, FIELD(cluster.key_wait), 0,
	"without a valid key: wait for one, unconfigured (out of the "
	"cluster, the reason in qurectl status), rather than exit"},
    {"cluster", "group", T_MCAST4, "239.255.81.82", 0, 0, FIELD(cluster.group),
	0, "IPv4 multicast group of the cluster"},
    {"cluster", "group6", T_MCAST6, "ff02::5152", 0, 0, FIELD(cluster.group6),
	0, "IPv6 multicast group of the cluster (link scope)"},
    {"cluster", "port", T_UINT, "5182", 1, 65535, FIELD(cluster.port), 0,
	"UDP port of the cluster protocol"},
    {"cluster", "heartbeat", T_MS, "200ms", 10, 60000,
	FIELD(cluster.heartbeat_ms), F_LIVE, "the holder's heartbeat interval"},
    {"cluster", "dead-after", T_UINT, "3", 1, 100, FIELD(cluster.dead_after),
	F_LIVE, "missed heartbeats before the holder is declared dead"},
    {"cluster", "fence", T_MS, "50ms", 0, 60000, FIELD(cluster.fence_ms),
	F_LIVE,
	"the holder's kernel lease, renewed from its loop: a standby claims "
	"this long after an unanswered PROBE; 0: wait the whole lease"},
    {"cluster", "claim-stagger", T_MS, "20ms", 0, 10000,
	FIELD(cluster.claim_stagger_ms), F_LIVE,
	"wait per rank before a standby claims"},
    {"cluster", "hello-interval", T_MS, "10s", 100, 3600000,
	FIELD(cluster.hello_interval_ms), F_LIVE,
	"interval of a standby's HELLO"},
    {"cluster", "alive-interval", T_AUTO_MS, "auto", 0, 60000,
	FIELD(cluster.alive_interval), F_LIVE,
	"how often a member that does not hold sends an ALIVE, so the others "
	"know of its death within dead-after of them: auto (off for now: on "
	"with the site cache or load sharing), 0 (off) or a duration"},
    {"dmz", "address", T_CIDR4, NULL, 0, 0, FIELD(dmz.address), 0,
	"the DMZ address and prefix that one instance holds, or auto: "
	"found from the router or chosen free on the LAN"},
    {"dmz", "address6", T_CIDR6, "", 0, 0, FIELD(dmz.address6), F_EMPTY,
	"the IPv6 DMZ address, held with (or instead of) address"},
    {"dmz", "ports", T_PORTS, "none", 0, 0, FIELD(dmz.ports), F_LIVE,
	"the forwarded service ports"},
    {"dmz", "request-timeout", T_AUTO_MS, "auto", 10, 60000,
	FIELD(dmz.request_timeout), F_LIVE,
	"unanswered client request before a standby probes the holder: "
	"auto (learned per port) or a fixed duration"},
    {"dmz", "request-timeout-min", T_MS, "20ms", 1, 60000,
	FIELD(dmz.request_timeout_min_ms), F_LIVE,
	"the floor of a learned request timeout"},
    {"dmz", "request-timeout-max", T_MS, "150ms", 10, 60000,
	FIELD(dmz.request_timeout_max_ms), F_LIVE,
	"the ceiling of a learned request timeout, used until it is learned"},
    {"dmz", "probe-timeout", T_AUTO_MS, "auto", 10, 60000,
	FIELD(dmz.probe_timeout), F_LIVE,
	"wait for a PROBE_ACK (two tries): auto (learned, 10ms to 100ms) "
	"or a fixed duration"},
    {"dmz", "check", T_CHECK, "none", 0, 0, FIELD(dmz.check), F_LIVE,
	"the holder's own service check"},
    {"dmz", "check-interval", T_MS, "200ms", 10, 60000,
	FIELD(dmz.check_interval_ms), F_LIVE,
	"how often the service check runs, start to start"},
    {"dmz", "check-timeout", T_MS, "500ms", 10, 60000,
	FIELD(dmz.check_timeout_ms), F_LIVE,
	"a check run longer than this fails"},
    {"dmz", "check-fall", T_UINT, "2", 1, 100, FIELD(dmz.check_fall), F_LIVE,
	"failed checks in a row before the service counts as failed"},
    {"dmz", "check-rise", T_UINT, "2", 1, 100, FIELD(dmz.check_rise), F_LIVE,
	"passed checks in a row before a failed service counts as passing"},
    {"dmz", "vmac", T_VMAC, "no", 0, 0, FIELD(dmz.vmac), 0,
	"the address on a macvlan with one MAC for the cluster: no, yes "
	"(from the key) or the MAC"},
    {"dmz", "balance", T_BOOL, "no", 0, 0, FIELD(dmz.balance), F_LIVE,
	"the holder spreads new connections to the ports over the fit "
	"members (nftables DNAT)"},
    {"dmz", "balance-key", T_BALKEY, "addr", 0, 0, FIELD(dmz.balance_key),
	F_LIVE,
	"what picks a client's member: addr (its address) or addr-port "
	"(address and port: clients behind one NAT spread too)"},
    {"hooks", "on-holder", T_PATH, "", 0, 0, FIELD(hooks.on_holder),
	F_EMPTY | F_LIVE, "program run when this instance becomes holder"},
    {"hooks", "on-standby", T_PATH, "", 0, 0, FIELD(hooks.on_standby),
	F_EMPTY | F_LIVE, "program run when this instance stops holding"},
    {"hooks", "user", T_USER, "", 0, 0, FIELD(hooks.user), F_EMPTY,
	"user the hooks and the exec check run as; empty: the user qured "
	"runs as"},
    {"discovery", "avahi", T_AVAHI, "auto", 0, 0, FIELD(discovery.avahi), 0,
	"DNS-SD through avahi-daemon: auto (when it runs), yes or no"},
    {"cloud", "name", T_DNAME, NULL, 0, 0, FIELD(cloud.name),
	F_REQUIRED | F_LIVE, "the DNS record this site owns"},
    {"cloud", "server", T_HOSTPORT, NULL, 0, 0, FIELD(cloud.server),
	F_REQUIRED | F_LIVE, "primary DNS server that accepts updates"},
    {"cloud", "tsig-name", T_DNAME, NULL, 0, 0, FIELD(cloud.tsig_name),
	F_REQUIRED | F_LIVE, "name of the TSIG key (hmac-sha256)"},
    {"cloud", "tsig-secret-file", T_PATH, NULL, 0, 0,
	FIELD(cloud.tsig_secret_file), F_REQUIRED | F_LIVE,
	"file holding the TSIG secret, base64"},
    {"cloud", "public-address", T_PUBADDR, "auto", 0, 0,
	FIELD(cloud.public_address), F_LIVE,
	"how to learn the public address: auto, upnp, natpmp, "
	"http://HOST[:PORT]/PATH or static:A.B.C.D"},
    {"cloud", "check-url", T_URL, "", 0, 0, FIELD(cloud.check_url),
	F_EMPTY | F_LIVE,
	"URL answering with the caller's address, tried last by auto"},
    {"cloud", "allow-private", T_BOOL, "no", 0, 0, FIELD(cloud.allow_private),
	F_LIVE, "publish a private or shared (carrier-grade NAT) address"},
    {"cloud", "refresh", T_MS, "10m", 10000, DAY_MS, FIELD(cloud.refresh_ms),
	F_LIVE, "interval of the DNS update"},
    {"cloud", "ttl", T_UINT, "60", 1, 86400, FIELD(cloud.ttl), F_LIVE,
	"TTL of the published record, seconds"},
    {"dns", "zone", T_DNAME, NULL, 0, 0, FIELD(dns.zone), F_REQUIRED | F_LIVE,
	"the zone every instance answers for"},
    {"dns", "listen", T_LISTEN, "53", 0, 0, FIELD(dns.listen), 0,
	"[ADDR:]PORT of the DNS responder (UDP and TCP); a port alone: "
	"every address"},
    {"dns", "rrl", T_RATE, "20/s", 0, 100000, FIELD(dns.rrl), F_LIVE,
	"answers per second to one client /24 (/56) over UDP; 0: no limit"},
    {"http", "listen", T_LISTEN, NULL, 0, 0, FIELD(http.listen), F_REQUIRED,
	"ADDR:PORT of the HTTP listener (/metrics, /status.json, the status "
	"page), e.g. 127.0.0.1:9182"},
    {"store", "enable", T_BOOL, "no", 0, 0, FIELD(store.enable), 0,
	"run this member's part of the site cache (redis-server instances "
	"in cluster mode)"},
    {"store", "port", T_UINT, "6379", 1, 65535, FIELD(store.port), 0,
	"TCP port of the first instance; the replicas' follow it, each "
	"with its cluster bus at port + 10000"},
    {"store", "memory", T_SIZE, "64M", 1, 1048576, FIELD(store.memory), 0,
	"each instance's maxmemory, e.g. 64M or 1G (alias max-memory)"},
    {"store", "replicas", T_UINT, "1", 0, CONF_STORE_MAX_REPLICAS,
	FIELD(store.replicas), 0,
	"replica instances per member, beside the master"},
    {"store", "strategy", T_STRATEGY, "uniform", 0, 0, FIELD(store.strategy), 0,
	"how slots are weighed over the members: uniform, cpu or memory"},
    {"store", "forget-after", T_MS, "60s", 1000, DAY_MS,
	FIELD(store.forget_after_ms), 0,
	"how long a member declared dead stays in the site cache's plan "
	"before its nodes are forgotten and its replicas replaced"},
    {"store", "redis-server", T_PATH, "/usr/bin/redis-server", 0, 0,
	FIELD(store.redis_server), 0, "the redis-server program"},
};

/* Other names of keys: issue 11 (after its seed) calls [store] memory
 * max-memory. */
static const struct key_alias {
	const char *section;
	const char *alias;
	const char *name;
} aliases[] = {
    {"store", "max-memory", "memory"},
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))
_Static_assert(NKEYS <= CONF_MAX_KEYS, "raise CONF_MAX_KEYS");

/* Sections in file order; optional ones are on only when present. */
static const struct section {
	const char *name;
	size_t enabled_off; /* offset of a bool in struct conf, or 0 */
} sections[] = {
    {"node", 0},
    {"cluster", 0},
    {"dmz", 0},
    {"hooks", 0},
    {"discovery", 0},
    {"cloud", offsetof(struct conf, cloud.enabled)},
    {"dns", offsetof(struct conf, dns.enabled)},
    {"http", offsetof(struct conf, http.enabled)},
    {"store", 0},
};

#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

/* ---- small helpers ---- */

static void say(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* snprintf that tolerates truncation: messages are cut, never overrun. */
static void
say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (len == 0)
		return;
	va_start(ap, fmt);
	if (vsnprintf(buf, len, fmt, ap) < 0)
		buf[0] = '\0';
	va_end(ap);
}

/*
 * A value for a message: at most 40 bytes, control and non-ASCII bytes as
 * '?', so an error stays one readable line whatever the input holds.
 */
static void
shown(const char *v, char *buf, size_t len)
{
	unsigned char ch;
	size_t i;

	for (i = 0; v[i] != '\0' && i + 1 < len && i < 40; i++) {
		ch = (unsigned char)v[i];
		buf[i] = ch < 0x20 || ch >= 0x7f ? '?' : (char)ch;
	}
	buf[i] = '\0';
}

static bool
has_ctrl(const char *v)
{
	for (; *v != '\0'; v++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f)
			return true;
	return false;
}

/* Decimal digits only (no sign, no spaces), at most UINT32_MAX. */
static int
parse_u32(const char *s, size_t len, uint32_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 10)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int
parse_in4(const char *s, size_t len, struct in_addr *out)
{
	char tmp[INET_ADDRSTRLEN];

	if (len == 0 || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	return inet_pton(AF_INET, tmp, out) == 1 ? 0 : -1;
}

static void
fmt_in4(struct in_addr a, char *buf, size_t len)
{
	if (inet_ntop(AF_INET, &a, buf, (socklen_t)len) == NULL)
		say(buf, len, "?");
}

/* Canonical duration: the largest unit that divides it exactly. */
static void
fmt_ms(uint32_t ms, char *buf, size_t len)
{
	if (ms != 0 && ms % 60000 == 0)
		say(buf, len, "%um", ms / 60000);
	else if (ms != 0 && ms % 1000 == 0)
		say(buf, len, "%us", ms / 1000);
	else
		say(buf, len, "%ums", ms);
}

static bool
is_ldh(char ch)
{
	return isalnum((unsigned char)ch) || ch == '-';
}

/* One label: 1..63 of [A-Za-z0-9-] (plus '_' if allowed), no edge '-'. */
static bool
label_ok(const char *s, size_t len, bool underscore)
{
	size_t i;

	if (len == 0 || len > 63 || s[0] == '-' || s[len - 1] == '-')
		return false;
	for (i = 0; i < len; i++)
		if (!is_ldh(s[i]) && !(underscore && s[i] == '_'))
			return false;
	return true;
}

/* ---- the types: parse a value into a field, print a field ---- */

typedef int parse_fn(const struct key *, const char *, void *, char *, size_t);
typedef void print_fn(const struct key *, const void *, char *, size_t);

static int
parse_bool(const struct key *k, const char *v, void *f, char *why, size_t n)
{
	char s[48];

	(void)k;
	if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 ||
	    strcmp(v, "on") == 0)
		*(bool *)f = true;
	else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 ||
		 strcmp(v, "off") == 0)
		*(bool *)f = false;
	else {
		shown(v, s, sizeof(s));
		say(why, n, "\"%s\" is not a boolean, expected yes or no", s);
		return -1;
	}
	return 0;
}

static void
print_bool(const struct key *k, const void *f, char *buf, size_t n)
{
	(void)k;
	say(buf, n, "%s", *(const bool *)f ? "yes" : "no");
}

static int
parse_uint(const struct key *k, const char *v, void *f, char *why, size_t n)
{
	uint32_t u;
	char s[48];

	shown(v, s, sizeof(s));
	if (parse_u32(v, strlen(v), &u) == -1) {
		say(why, n, "\"%s\" is not a number, expected %u to %u", s,
		    k->min, k->max);
		return -1;
	}
	if (u < k->min || u > k->max) {
		say(why, n, "%s is out of range, expected %u to %u", s, k->min,
		    k->max);
		return -1;
	}
	if (k->size == 1)
		*(uint8_t *)f = (uint8_t)u;
	else if (k->size == 2)
		*(uint16_t *)f = (uint16_t)u;
	else
		*(uint32_t *)f = u;
	return 0;
}

static void
print_uint(const struct key *k, const void *f, char *buf, size_t n)
{
	uint32_t u;

	if (k->size == 1)
		u = *(const uint8_t *)f;
	else if (k->size == 2)
		u = *(const uint16_t *)f;
	else
		u = *(const uint32_t *)f;
	say(buf, n, "%u", u);
}

/*
 * Durations need a unit (ms, s or m): a bare "200" is rejected rather
 * than guessed, since heartbeat = 200 and refresh = 600 would want
 * different units. A bare 0 is 0 in any unit ([cluster] fence = 0).
 */
static int
parse_ms(const struct key *k, const char *v, void *f, char *why, size_t n)
{
	size_t digits = strspn(v, "0123456789");
	const char *unit = v + digits;
	uint64_t ms;
	uint32_t u;
	char s[48], lo[24], hi[24];

	shown(v, s, sizeof(s));
	if (strcmp(v, "0") == 0)
		unit = "ms";
	if (parse_u32(v, digits, &u) == -1 ||
	    (strcmp(unit, "ms") != 0 && strcmp(unit, "s") != 0 &&
		strcmp(unit, "m") != 0)) {
		say(why, n, "\"%s\" is not a duration, expected e.g. 200ms", s);
		return -1;
	}
	ms = u;
	if (strcmp(unit, "s") == 0)
		ms *= 1000;
	else if (strcmp(unit, "m") == 0)
		ms *= 60000;
	if (ms < k->min || ms > k->max) {
		fmt_ms(k->min, lo, sizeof(lo));
		fmt_ms(k->max, hi, sizeof(hi));
		say(why, n, "%s is out of range, expected %s to %s", s, lo, hi);
		return -1;
	}
	*(uint32_t *)f = (uint32_t)ms;
	return 0;
}

static void
print_ms(const struct key *k, const void *f, char *buf, size_t n)
{
	(void)k;
	fmt_ms(*(const uint32_t *)f, buf, n);
}

/* The string types share one parser: length, then a syntax check. */
static bool
name_ok(const char *v)
{
	return label_ok(v, strlen(v), false);
}

/* A user or group name as adduser(8) allows by default (NAME_REGEX):
 * a letter or '_' first, then letters, digits, '_', '.' and '-'. */
static bool
user_ok(const char *v)
{
	if (!isalpha((unsigned char)*v) && *v != '_')
		return false;
	for (; *v != '\0'; v++)
		if (!isalnum((unsigned char)*v) && strchr("_.-", *v) == NULL)
			return false;
	return true;
}

/*
 * Narrower than the kernel's dev_valid_name(): ASCII letters, digits and
 * "_.+@-" only, so that a name can neither start an inline comment (";")
 * when printed back nor hold bytes a log line should not carry.
 */
static bool
ifname_ok(const char *v)
{
	if (strcmp(v, ".") == 0 || strcmp(v, "..") == 0)
		return false;
	for (; *v != '\0'; v++)
		if (!isalnum((unsigned char)*v) && strchr("_.+@-", *v) == NULL)
			return false;
	return true;
}

static bool
dname_ok(const char *v)
{
	const char *dot;

	for (;;) {
		dot = strchr(v, '.');
		if (dot == NULL)
			return label_ok(v, strlen(v), true);
		if (!label_ok(v, (size_t)(dot - v), true))
			return false;
		v = dot + 1;
	}
}

static bool
path_ok(const char *v)
{
	return v[0] == '/';
}

/* http://HOST[:PORT]/PATH: what dns/ can fetch (no https, no user). */
static bool
url_ok(const char *v)
{
	const char *h = v + 7, *end;

	if (strncmp(v, "http://", 7) != 0)
		return false;
	end = h + strcspn(h, "/");
	if (end == h || memchr(h, '@', (size_t)(end - h)) != NULL)
		return false;
	for (; *v != '\0'; v++)
		if ((unsigned char)*v <= ' ' || (unsigned char)*v >= 0x7f)
			return false;
	return true;
}

static int
parse_str(const struct key *k, const char *v, void *f, char *why, size_t n)
{
	static const struct {
		bool (*ok)(const char *);
		const char *what;
		const char *expect;
	} kinds[] = {
	    [T_NAME] = {name_ok, "a valid name",
		"letters, digits and '-', at most 63 bytes"},
	    [T_IFNAME] = {ifname_ok, "an interface name", "e.g. eth0"},
	    [T_USER] = {user_ok, "a user or group name", "e.g. qured"},
	    [T_DNAME] = {dname_ok, "a DNS name", "e.g. site1.example.org"},
	    [T_PATH] = {path_ok, "an absolute path", "e.g. /etc/qured/x"},
	    [T_URL] = {url_ok, "an http URL",
		"e.g. http://checkip.example.net/"},
	};
	size_t len = strlen(v);
	char s[48];

	if (len == 0 && (k->flags & F_EMPTY)) {
		((char *)f)[0] = '\0';
		return 0;
	}
	/* A final dot is the DNS root, not part of the name we store. */
	if (k->type == T_DNAME && len > 1 && v[len - 1] == '.')
		len--;
	if (len >= k->size) {
		say(why, n, "value is longer than %zu bytes, expected %s",
		    k->size - 1, kinds[k->type].expect);
		return -1;
	}
	memcpy(f, v, len);
	((char *)f)[len] = '\0';
	if (len == 0 || !kinds[k->type].ok(f)) {
		shown(v, s, sizeof(s));
		say(why, n, "\"%s\" is not %s, expected %s", s,
		    kinds[k->type].what, kinds[k->type].expect);
		return -1;
	}
	return 0;
}

static void
print_str(const struct key *k, const void *f, char *buf, size_t n)
{
	(void)k;
	say(buf, n, "%s", (const char *)f);
}

static int
parse_mcast4(const struct key *k, const char *v, void *f, char *why, size_t n)
{
	struct in_addr a;
	char s[48];

	(void)k;
	if (parse_in4(v, strlen(v), &a) == -1 ||
	    !IN_MULTICAST(ntohl(a.s_addr))) {
		shown(v, s, sizeof(s));
		say(why, n,
		    "\"%s\" is not an IPv4 multicast address, expected e.g. "
		    "239.255.81.82",
		    s);
		return -1;
	}
	*(struct in_addr *)f = a;
	return 0;
}

static void
print_mcast4(const struct key *k, const void *f, char *buf, size_t n)
{
	(void)k;
	fmt_in4(*(const struct in_addr *)f, buf, n);
}

/* A LAN host address: not 0/8, loopback, multicast or reserved. */
static const char *
cidr_problem(uint32_t h, unsigned prefix)
{
	uint32_t host = prefix == 32 ? 0 : 0xffffffffu >> prefix;

	if ((h >> 24) == 0 || (h >> 24) == 127 || h >= 0xe0000000u)
		return "is not a unicast LAN address";
	if (prefix <= 30 && (h & host) == 0)
		return "is the network address of its subnet";
	if (prefix <= 30 && (h & host) == host)
		return "is the broadcast address of its subnet";
	return NULL;
}

static int
parse_cidr4(const struct key *k, const char *v, void *f, char *why, size_t n)
{
	const char *slash = strchr(v, '/');
	struct conf_cidr4 c = {0};
	const char *problem = "is not an IPv4 CIDR";
	uint32_t prefix;
	char s[48];

	(void)k;
	if (strcmp(v, "auto") == 0) {
		c.automatic = true;
		*(struct conf_cidr4 *)f = c;
		return 0;
	}
	if (slash != NULL && parse_in4(v, (size_t)(slash - v), &c.addr) == 0 &&
	    parse_u32(slash + 1, strlen(slash + 1), &prefix) == 0 &&
	    prefix >= 1 && prefix <= 32) {
		c.prefix = (uint8_t)prefix;
		problem = cidr_problem(ntohl(c.addr.s_addr), prefix);
	}
	if (problem != NULL) {
		shown(v, s, sizeof(s));
		say(why, n, "\"%s\" %s, expected e.g. 192.168.1.11/24 or auto",
		    s, problem);
		return -1;
	}
	*(struct conf_cidr4 *)f = c;
	return 0;
}

static void
print_cidr4(const struct key *k, const void *f, char *buf, size_t n)
{
	const struct conf_cidr4 *c = f;
	char a[INET_ADDRSTRLEN];

	(void)k;
	if (c->automatic) {
		say(buf, n, "%s", "auto");
		return;
	}
	if (c->prefix == 0) {
		say(buf, n, "%s", "");
		return;
	}
	fmt_in4(c->addr, a, sizeof(a));
	say(buf, n, "%s/%u", a, c->prefix);
}

static int
parse_in6(const char *s, size_t len, struct in6_addr *out)
{
	char tmp[INET6_ADDRSTRLEN];

	if (len == 0 || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	return inet_pton(AF_INET6, tmp, out) == 1 ? 0 : -1;
}

static void
fmt_in6(const struct in6_addr *a, char *buf, size_t len)
{
	if (inet_ntop(AF_INET6, a, buf, (socklen_t)len) == NULL)
		say(buf, len, "?");
}

/* The cluster's IPv6 group: multicast of link-local scope (ff02::/16),
 * as the IPv4 group is heard on the link only. */
static int
parse_mcast6(const struct key *k, const char *v, void *f, char *why, size_t n)
{
	struct in6_addr a;
	char s[48];

	(void)k;
	if (parse_in6(v, strlen(v), &a) == -1 ||
	    !IN6_IS_ADDR_MC_LINKLOCAL(&a)) {
		shown(v, s, sizeof(s));
		say(why, n,
		    "\"%s\" is not a link-local IPv6 multicast address, "
		    "expected e.g. ff02::5152",
		    s);
		return -1;
	}
	*(struct in6_addr *)f = a;
	return 0;
}

static void
print_mcast6(const struct key *k, const void *f, char *buf, size_t n)
{
	(void)k;
	fmt_in6(f, buf, n);
}

/* A LAN host address: global or unique local, not link-local (it would
 * need a scope), loopback, multicast, unspecified or v4-mapped. */
static const char *
cidr6_problem(const struct in6_addr *a)
{
	if (IN6_IS_ADDR_UNSPECIFIED(a) || IN6_IS_ADDR_LOOPBACK(a) ||
	    IN6_IS_ADDR_MULTICAST(a) || IN6_IS_ADDR_V4MAPPED(a) ||
	    IN6_IS_ADDR_V4COMPAT(a))
		return "is not a unicast LAN address";
	if (IN6_IS_ADDR_LINKLOCAL(a) || IN6_IS_ADDR_SITELOCAL(a))
		return "is link-local (fe80::/10), expected a global or "
		       "unique local (fd00::/8) address";
	return NULL;
}

static int
parse_cidr6(const struct key *k, const char *v, void *f, char *why, size_t n)
{
	const char *slash = strchr(v, '/');
	struct conf_cidr6 c;
	const char *problem = "is not an IPv6 CIDR";
	uint32_t prefix;
	char s[48];

	memset(&c, 0, sizeof(c));
	if (v[0] == '\0' && (k->flags & F_EMPTY)) {
		*(struct conf_cidr6 *)f = c; /* none */
		return 0;
	}
	if (slash != NULL && parse_in6(v, (size_t)(slash - v), &c.addr) == 0 &&
	    parse_u32(slash + 1, strlen(slash + 1), &prefix) == 0 &&
	    prefix >= 1 && prefix <= 128) {
		c.prefix = (uint8_t)prefix;
		problem = cidr6_problem(&c.addr);
	}
	if (problem != NULL) {
		shown(v, s, sizeof(s));
		say(why, n, "\"%s\" %s, expected e.g. fd00::11/64", s, problem);
		return -1;
	}
	*(struct conf_cidr6 *)f = c;
	return 0;
}

static void
print_cidr6(const struct key *k, const void *f, char *buf, size_t n)
{
	const struct conf_cidr6 *c = f;
	char a[INET6_ADDRSTRLEN];

	(void)k;
	if (c->prefix == 0) {
		say(buf, n, "%s", "");
		return;
	}
	fmt_in6(&c->addr, a, sizeof(a));
	say(buf, n, "%s/%u", a, c->prefix);
}

/* One "tcp:N" or "udp:N" of s[0..len). */
static int
parse_port1(const char *s, size_t len, struct conf_port *out)
{
	uint32_t port;

	if (len < 5 || s[3] != ':')
		return -1;
	if (strncmp(s, "tcp", 3) == 0)
		out->proto = CONF_PROTO_TCP;
	else if (strncmp(s, "udp", 3) == 0)
		out->proto = CONF_PROTO_UDP;
	else
		return -1;
	if (parse_u32(s + 4, len - 4, &port) == -1 || port < 1 || port > 65535)
		return -1;
	out->port = (uint16_t)port;
	return 0;
}

static int
parse_ports(const struct key *k, const char *v, void *f, char *why, size_t n)
{
	struct conf_ports ps = {0};
	const char *p = v;
	size_t len, i;
	char s[48];

	(void)k;
	if (strcmp(v, "none") == 0 || v[0] == '\0') {
		*(struct conf_ports *)f = ps;
		return 0;
	}
	for (;;) {
		p += strspn(p, " \t");
		len = strcspn(p, ",");
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		shown(p, s, len + 1 < sizeof(s) ? len + 1 : sizeof(s));
		if (ps.n == CONF_MAX_PORTS) {
			say(why, n, "more than %d ports, expected at most %d",
			    CONF_MAX_PORTS, CONF_MAX_PORTS);
			return -1;
		}
		if (parse_port1(p, len, &ps.p[ps.n]) == -1) {
			say(why, n,
			    "\"%s\" is not a port, expected e.g. "
			    "tcp:80,udp:53",
			    s);
			return -1;
		}
		for (i = 0; i < ps.n; i++)
			if (ps.p[i].proto == ps.p[ps.n].proto &&
			    ps.p[i].port == ps.p[ps.n].port) {
				say(why, n,
				    "\"%s\" is listed twice, expected "
				    "each port once",
				    s);
				return -1;
			}
		ps.n++;
		p += strcspn(p, ",");
		if (*p == '\0')
			break;
		p++;
	}
	*(struct conf_ports *)f = ps;
	return 0;
}

static void
print_ports(const struct key *k, const void *f, char *buf, size_t n)
{
	const struct conf_ports *ps = f;
	size_t i, used = 0;

	(void)k;
	say(buf, n, "none");
	for (i = 0; i < ps->n && used < n; i++) {
		say(buf + used, n - used, "%s%s:%u", i == 0 ? "" : ",",
		    ps->p[i].proto == CONF_PROTO_UDP ? "udp" : "tcp",
		    ps->p[i].port);
		used += strlen(buf + used);
	}
}

static int
parse_check(const struct key *k, const char *v, void *f, char *why, size_t n)
{
	struct conf_check c = {0};
	size_t len = strlen(v);
	const char *colon;
	uint32_t port;
	char s[48];

	(void)k;
	if (strcmp(v, "none") == 0) {
		*(struct conf_check *)f = c;
		return 0;
	}
	if (len > 5 && memcmp(v, "exec:/", 6) == 0 &&
	    len - 5 < sizeof(c.path)) {
		c.type = CONF_CHECK_EXEC;
		memcpy(c.path, v + 5, len - 5 + 1);
		*(struct conf_check *)f = c;
		return 0;
	}
	colon = strrchr(v, ':');
	if (strncmp(v, "tcp:", 4) == 0 && colon > v + 4 &&
	    parse_in4(v + 4, (size_t)(colon - v - 4), &c.addr) == 0 &&
	    parse_u32(colon + 1, strlen(colon + 1), &port) == 0 && port >= 1 &&
	    port <= 65535) {
		c.type = CONF_CHECK_TCP;
		c.port = (uint16_t)port;
		*(struct conf_check *)f = c;
		return 0;
	}
	shown(v, s, sizeof(s));
	say(why, n,
	    "\"%s\" is not a check, expected none, tcp:ADDRESS:PORT or "
	    "exec:/path",
	    s);
	return -1;
}

static void
print_check(const struct key *k, const void *f, char *buf, size_t n)
{
	const struct conf_check *c = f;
	char a[INET_ADDRSTRLEN];

	(void)k;
	switch (c->type) {
	case CONF_CHECK_TCP:
		fmt_in4(c->addr, a, sizeof(a));
		say(buf, n, "tcp:%s:%u", a, c->port);
		break;
	case CONF_CHECK_EXEC:
		say(buf, n, "exec:%s", c->path);
		break;
	case CONF_CHECK_NONE:
	default:
		say(buf, n, "none");
		break;
	}
}

/*
 * The address of ADDRESS[:PORT]: A.B.C.D, A.B.C.D:P, an IPv6 address
 * alone, or [IPV6]:P. Sets *port_at to where ":P" starts, or NULL.
 */
static int
parse_host_of(const char *v, struct conf_hostport *hp, const char **port_at)
{
	const char *colon = strchr(v, ':'), *close;

	*port_at = NULL;
	if (v[0] == '[') {
		close = strchr(v, ']');
		if (close == NULL || (close[1] != '\0' && close[1] != ':') ||
		    parse_in6(v + 1, (size_t)(close - v - 1), &hp->addr6) == -1)
			return -1;
		hp->family = 6;
		*port_at = close[1] == ':' ? close + 1 : NULL;
		return 0;
	}
	if (colon != NULL && strchr(colon + 1, ':') != NULL) {
		if (parse_in6(v, strlen(v), &hp->addr6) == -1)
			return -1;
		hp->family = 6; /* no port without brackets */
		return 0;
	}
	*port_at = colon;
	if (parse_in4(v, colon != NULL ? (size_t)(colon - v) : strlen(v),
		&hp->addr) == 0) {
		hp->family = 4;
		return 0;
	}
	/* A name: resolved when an update goes (dns/dyndns.c). */
	if (colon != NULL && (size_t)(colon - v) >= sizeof(hp->host))
		return -1;
	snprintf(hp->host, sizeof(hp->host), "%.*s",
	    (int)(colon != NULL ? (size_t)(colon - v) : strlen(v)), v);
	if (hp->host[0] == '\0' || strlen(hp->host) + 1 >= sizeof(hp->host) ||
	    !dname_ok(hp->host) || strchr(hp->host, '.') == NULL ||
	    strspn(strrchr(hp->host, '.') + 1, "0123456789") ==
		strlen(strrchr(hp->host, '.') + 1))
		return -1; /* not a name: 198.51.100.300 is a mistyped address
			    */
	return 0;
}

static int
parse_hostport(const struct key *k, const char *v, void *f, char *why, size_t n)
{
	struct conf_hostport hp = {.port = 53};
	const char *port_at;
	uint32_t port = 53;
	char s[48];

	(void)k;
	if (parse_host_of(v, &hp, &port_at) == -1 ||
	    (port_at != NULL &&
		(parse_u32(port_at + 1, strlen(port_at + 1), &port) == -1 ||
		    port < 1 || port > 65535))) {
		shown(v, s, sizeof(s));
		say(why, n,
		    "\"%s\" is not a host and port, expected e.g. "
		    "ns1.example.org, 198.51.100.53:53, 2001:db8::53 or "
		    "[2001:db8::53]:53",
		    s);
		return -1;
	}
	hp.port = (uint16_t)port;
	*(struct conf_hostport *)f = hp;
	return 0;
}

static void
print_hostport(const struct key *k, const void *f, char *buf, size_t n)
{
	const struct conf_hostport *hp = f;
	char a[INET6_ADDRSTRLEN];

	(void)k;
	if (hp->family == 0) {
		if (hp->host[0] != '\0')
			say(buf, n, "%s:%u", hp->host, hp->port);
		else
			say(buf, n, "%s", "");
		return;
	}
	if (hp->family == 6) {
		inet_ntop(AF_INET6, &hp->addr6, a, sizeof(a));
		say(buf, n, "[%s]:%u", a, hp->port);
		return;
	}
	fmt_in4(hp->addr, a, sizeof(a));
	say(buf, n, "%s:%u", a, hp->port);
}

static int
parse_pubaddr(const struct key *k, const char *v, void *f, char *why, size_t n)
{
	struct conf_pubaddr pa = {0};
	char s[48];

	(void)k;
	if (strcmp(v, "auto") == 0)
		pa.mode = CONF_PUBADDR_AUTO;
	else if (strcmp(v, "upnp") == 0)
		pa.mode = CONF_PUBADDR_UPNP;
	else if (strcmp(v, "natpmp") == 0)
		pa.mode = CONF_PUBADDR_NATPMP;
	else if (strncmp(v, "static:", 7) == 0 &&
		 parse_in4(v + 7, strlen(v + 7), &pa.addr) == 0)
		pa.mode = CONF_PUBADDR_STATIC;
	else if (strlen(v) <= CONF_URL_MAX && url_ok(v)) {
		pa.mode = CONF_PUBADDR_HTTP;
		memcpy(pa.url, v, strlen(v) + 1);
	} else {
		shown(v, s, sizeof(s));
		say(why, n,
		    "\"%s\" is not an address source, expected auto, upnp, "
		    "natpmp, http://HOST[:PORT]/PATH or static:A.B.C.D",
		    s);
		return -1;
	}
	*(struct conf_pubaddr *)f = pa;
	return 0;
}

static void
print_pubaddr(const struct key *k, const void *f, char *buf, size_t n)
{
	static const char *const modes[] = {"auto", "upnp", "natpmp"};
	const struct conf_pubaddr *pa = f;
	char a[INET_ADDRSTRLEN];

	(void)k;
	if (pa->mode == CONF_PUBADDR_STATIC) {
		fmt_in4(pa->addr, a, sizeof(a));
		say(buf, n, "static:%s", a);
	} else if (pa->mode == CONF_PUBADDR_HTTP)
		say(buf, n, "%s", pa->url);
	else
		say(buf, n, "%s", modes[pa->mode <= 2 ? pa->mode : 0]);
}

/* Two hex digits of v; -1 if either is not one. */
static int
hex2(const char *v)
{
	int hi, lo;

	if (!isxdigit((unsigned char)v[0]) || !isxdigit((unsigned char)v[1]))
		return -1;
	hi = isdigit((unsigned char)v[0])
		 ? v[0] - '0'
		 : tolower((unsigned char)v[0]) - 'a' + 10;
	lo = isdigit((unsigned char)v[1])
		 ? v[1] - '0'
		 : tolower((unsigned char)v[1]) - 'a' + 10;
	return hi * 16 + lo;
}

/* "XX:XX:XX:XX:XX:XX" exactly; 0 or -1. */
static int
parse_mac(const char *v, uint8_t mac[6])
{
	int i, b;

	if (strlen(v) != 17)
		return -1;
	for (i = 0; i < 6; i++) {
		if (i < 5 && v[3 * i + 2] != ':')
			return -1;
		b = hex2(v + 3 * i);
		if (b < 0)
			return -1;
		mac[i] = (uint8_t)b;
	}
	return 0;
}

/*
 * no, yes, or a MAC that can be one host's: unicast (the low bit of the
 * first byte clear: a multicast or broadcast MAC is every host's) and not
 * all zero. A universally administered MAC is accepted: the router may
 * know that one already (a static lease, a firewall rule).
 */
static int
parse_vmac(const struct key *k, const char *v, void *f, char *why, size_t n)
{
	static const uint8_t zero[6];
	struct conf_vmac m = {0};
	const char *problem = "is not a MAC";
	char s[48];

	(void)k;
	if (strcmp(v, "no") == 0 || strcmp(v, "yes") == 0) {
		m.mode = v[0] == 'y' ? CONF_VMAC_KEY : CONF_VMAC_NO;
		*(struct conf_vmac *)f = m;
		return 0;
	}
	if (parse_mac(v, m.mac) == 0) {
		problem = NULL;
		if (m.mac[0] & 0x01)
			problem = "is a multicast MAC";
		else if (memcmp(m.mac, zero, 6) == 0)
			problem = "is the all-zero MAC";
	}
	if (problem != NULL) {
		shown(v, s, sizeof(s));
		say(why, n,
		    "\"%s\" %s, expected no, yes (a MAC from the cluster key) "
		    "or a unicast MAC such as 02:51:52:00:00:01",
		    s, problem);
		return -1;
	}
	m.mode = CONF_VMAC_GIVEN;
	*(struct conf_vmac *)f = m;
	return 0;
}

static void
print_vmac(const struct key *k, const void *f, char *buf, size_t n)
{
	const struct conf_vmac *m = f;

	(void)k;
	if (m->mode == CONF_VMAC_GIVEN)
		say(buf, n, "%02x:%02x:%02x:%02x:%02x:%02x", m->mac[0],
		    m->mac[1], m->mac[2], m->mac[3], m->mac[4], m->mac[5]);
	else
		say(buf, n, "%s", m->mode == CONF_VMAC_KEY ? "yes" : "no");
}

static int
parse_avahi(const struct key *k, const char *v, void *f, char *why, size_t n)
{
	char s[48];

	(void)k;
	if (strcmp(v, "auto") == 0)
		*(enum conf_avahi *)f = CONF_AVAHI_AUTO;
	else if (strcmp(v, "yes") == 0)
		*(enum conf_avahi *)f = CONF_AVAHI_YES;
	else if (strcmp(v, "no") == 0)
		*(enum conf_avahi *)f = CONF_AVAHI_NO;
	else {
		shown(v, s, sizeof(s));
		say(why, n, "\"%s\" is not a choice, expected auto, yes or no",
		    s);
		return -1;
	}
	return 0;
}

static void
print_avahi(const struct key *k, const void *f, char *buf, size_t n)
{
	static const char *const modes[] = {"auto", "yes", "no"};
	enum conf_avahi m = *(const enum conf_avahi *)f;

	(void)k;
	say(buf, n, "%s", modes[m <= CONF_AVAHI_NO ? m : 0]);
}

static int
parse_balkey(const struct key *k, const char *v, void *f, char *why, size_t n)
{
	char s[48];

	(void)k;
	if (strcmp(v, "addr") == 0)
		*(enum conf_balance_key *)f = CONF_BALANCE_ADDR;
	else if (strcmp(v, "addr-port") == 0)
		*(enum conf_balance_key *)f = CONF_BALANCE_ADDR_PORT;
	else {
		shown(v, s, sizeof(s));
		say(why, n,
		    "\"%s\" is not a choice, expected addr or addr-port", s);
		return -1;
	}
	return 0;
}

static void
print_balkey(const struct key *k, const void *f, char *buf, size_t n)
{
	(void)k;
	say(buf, n, "%s",
	    *(const enum conf_balance_key *)f == CONF_BALANCE_ADDR_PORT
		? "addr-port"
		: "addr");
}

static int
parse_listen(const struct key *k, const char *v, void *f, char *why, size_t n)
{
	struct conf_listen l = {0};
	const char *colon = strrchr(v, ':'), *ps = v;
	char a[INET6_ADDRSTRLEN + 2], s[48];
	uint32_t port;
	size_t alen;

	if (colon != NULL) {
		alen = (size_t)(colon - v);
		ps = colon + 1;
		if (alen >= 2 && v[0] == '[' && v[alen - 1] == ']' &&
		    alen - 2 < sizeof(a)) {
			memcpy(a, v + 1, alen - 2);
			a[alen - 2] = '\0';
			if (inet_pton(AF_INET6, a, l.addr) == 1)
				l.family = 6;
		} else if (alen < sizeof(a)) {
			memcpy(a, v, alen);
			a[alen] = '\0';
			if (inet_pton(AF_INET, a, l.addr) == 1)
				l.family = 4;
		}
		if (l.family == 0)
			goto bad;
	}
	if (parse_u32(ps, strlen(ps), &port) == -1 || port < 1 || port > 65535)
		goto bad;
	l.port = (uint16_t)port;
	*(struct conf_listen *)f = l;
	return 0;
bad:
	shown(v, s, sizeof(s));
	say(why, n, "\"%s\" is not [ADDRESS:]PORT, expected e.g. %s", s,
	    strcmp(k->section, "http") == 0
		? "127.0.0.1:9182, 192.168.1.21:9182 or [fd00::21]:9182"
		: "53, 192.168.1.11:53 or [fd00::11]:53");
	return -1;
}

static void
print_listen(const struct key *k, const void *f, char *buf, size_t n)
{
	const struct conf_listen *l = f;
	char a[INET6_ADDRSTRLEN];

	(void)k;
	if (l->family == 4) {
		inet_ntop(AF_INET, l->addr, a, sizeof(a));
		say(buf, n, "%s:%u", a, l->port);
	} else if (l->family == 6) {
		inet_ntop(AF_INET6, l->addr, a, sizeof(a));
		say(buf, n, "[%s]:%u", a, l->port);
	} else
		say(buf, n, "%u", l->port);
}

static int
parse_rate(const struct key *k, const char *v, void *f, char *why, size_t n)
{
	size_t len = strlen(v);
	uint32_t r;
	char s[48];

	if (len >= 2 && strcmp(v + len - 2, "/s") == 0)
		len -= 2;
	if (parse_u32(v, len, &r) == -1 || r > k->max) {
		shown(v, s, sizeof(s));
		say(why, n,
		    "\"%s\" is not a rate, expected e.g. 20/s (at most "
		    "%u/s; 0: no limit)",
		    s, k->max);
		return -1;
	}
	*(uint32_t *)f = r;
	return 0;
}

static void
print_rate(const struct key *k, const void *f, char *buf, size_t n)
{
	(void)k;
	say(buf, n, "%u/s", *(const uint32_t *)f);
}

/* "auto", or a duration as parse_ms() takes it. */
static int
parse_auto_ms(const struct key *k, const char *v, void *f, char *why, size_t n)
{
	struct conf_auto_ms a;
	char s[48], lo[24], hi[24];

	memset(&a, 0, sizeof(a)); /* padding too: the struct is memcpy'd */
	a.is_auto = true;
	if (strcmp(v, "auto") != 0) {
		a.is_auto = false;
		if (parse_ms(k, v, &a.ms, why, n) == -1) {
			shown(v, s, sizeof(s));
			fmt_ms(k->min, lo, sizeof(lo));
			fmt_ms(k->max, hi, sizeof(hi));
			say(why, n,
			    "\"%s\" is neither auto nor a duration from %s to "
			    "%s, expected auto or e.g. 100ms",
			    s, lo, hi);
			return -1;
		}
	}
	memcpy(f, &a, sizeof(a));
	return 0;
}

static void
print_auto_ms(const struct key *k, const void *f, char *buf, size_t n)
{
	const struct conf_auto_ms *a = f;

	(void)k;
	if (a->is_auto)
		say(buf, n, "auto");
	else
		fmt_ms(a->ms, buf, n);
}

#define MIB (1024u * 1024u)

/* Sizes are binary (K = 1024) whatever Redis's own "64m" means (10^6):
 * the instance gets the bytes (src/redis_sup_core.c), never the text. */
static int
parse_size(const struct key *k, const char *v, void *f, char *why, size_t n)
{
	static const char units[] = "KMG";
	size_t digits = strspn(v, "0123456789");
	const char *u = v + digits;
	uint64_t bytes;
	uint32_t num;
	char s[48];
	int shift = 0;

	shown(v, s, sizeof(s));
	if (u[0] != '\0' && u[1] == '\0' &&
	    strchr(units, toupper((unsigned char)u[0])) != NULL)
		shift = 10 * (int)(strchr(units, toupper((unsigned char)u[0])) -
				   units + 1);
	if (parse_u32(v, digits, &num) == -1 || (u[0] != '\0' && shift == 0)) {
		say(why, n, "\"%s\" is not a size, expected e.g. 64M or 1G", s);
		return -1;
	}
	bytes = (uint64_t)num << shift;
	if (bytes < (uint64_t)k->min * MIB || bytes > (uint64_t)k->max * MIB) {
		say(why, n, "%s is out of range, expected %uM to %uG", s,
		    k->min, k->max / 1024);
		return -1;
	}
	*(uint64_t *)f = bytes;
	return 0;
}

/* The largest unit that divides it exactly. */
static void
print_size(const struct key *k, const void *f, char *buf, size_t n)
{
	uint64_t b = *(const uint64_t *)f;
	const char *unit = "GMK";
	int shift = 30;

	(void)k;
	for (; shift > 0; shift -= 10, unit++)
		if (b != 0 && b % ((uint64_t)1 << shift) == 0) {
			say(buf, n, "%llu%c", (unsigned long long)(b >> shift),
			    *unit);
			return;
		}
	say(buf, n, "%llu", (unsigned long long)b);
}

static const char *const strategies[] = {
    [CONF_STORE_UNIFORM] = "uniform",
    [CONF_STORE_CPU] = "cpu",
    [CONF_STORE_MEMORY] = "memory",
};

static int
parse_strategy(const struct key *k, const char *v, void *f, char *why, size_t n)
{
	char s[48];
	size_t i;

	(void)k;
	for (i = 0; i < sizeof(strategies) / sizeof(strategies[0]); i++)
		if (strcmp(v, strategies[i]) == 0) {
			*(enum conf_store_strategy *)f =
			    (enum conf_store_strategy)i;
			return 0;
		}
	shown(v, s, sizeof(s));
	say(why, n, "\"%s\" is not a strategy, expected uniform, cpu or memory",
	    s);
	return -1;
}

static void
print_strategy(const struct key *k, const void *f, char *buf, size_t n)
{
	enum conf_store_strategy m = *(const enum conf_store_strategy *)f;

	(void)k;
	say(buf, n, "%s", strategies[m <= CONF_STORE_MEMORY ? m : 0]);
}

static const struct ktype_ops {
	const char *name; /* for conf_key_info() and the man page */
	parse_fn *parse;
	print_fn *print;
} ops[] = {
    [T_BOOL] = {"boolean", parse_bool, print_bool},
    [T_UINT] = {"number", parse_uint, print_uint},
    [T_MS] = {"duration", parse_ms, print_ms},
    [T_NAME] = {"name", parse_str, print_str},
    [T_IFNAME] = {"interface", parse_str, print_str},
    [T_USER] = {"user name", parse_str, print_str},
    [T_DNAME] = {"DNS name", parse_str, print_str},
    [T_PATH] = {"path", parse_str, print_str},
    [T_URL] = {"URL", parse_str, print_str},
    [T_MCAST4] = {"IPv4 multicast address", parse_mcast4, print_mcast4},
    [T_CIDR4] = {"IPv4 CIDR", parse_cidr4, print_cidr4},
    [T_MCAST6] = {"IPv6 multicast address", parse_mcast6, print_mcast6},
    [T_CIDR6] = {"IPv6 CIDR", parse_cidr6, print_cidr6},
    [T_PORTS] = {"port list", parse_ports, print_ports},
    [T_CHECK] = {"check", parse_check, print_check},
    [T_HOSTPORT] = {"address:port", parse_hostport, print_hostport},
    [T_PUBADDR] = {"address source", parse_pubaddr, print_pubaddr},
    [T_VMAC] = {"no, yes or MAC", parse_vmac, print_vmac},
    [T_AVAHI] = {"auto, yes or no", parse_avahi, print_avahi},
    [T_BALKEY] = {"addr or addr-port", parse_balkey, print_balkey},
    [T_LISTEN] = {"[address:]port", parse_listen, print_listen},
    [T_RATE] = {"rate", parse_rate, print_rate},
    [T_AUTO_MS] = {"auto or duration", parse_auto_ms, print_auto_ms},
    [T_SIZE] = {"size", parse_size, print_size},
    [T_STRATEGY] = {"uniform, cpu or memory", parse_strategy, print_strategy},
};

#define VALUE_MAX 400 /* a printed value: ports, paths, DNS names */

static void
key_print(const struct key *k, const struct conf *c, char *buf, size_t n)
{
	ops[k->type].print(k, (const char *)c + k->off, buf, n);
}

static const struct section *
section_find(const char *name)
{
	size_t i;

	for (i = 0; i < NSECTIONS; i++)
		if (strcmp(sections[i].name, name) == 0)
			return &sections[i];
	return NULL;
}

static bool
section_on(const struct section *s, const struct conf *c)
{
	return s->enabled_off == 0 ||
	       *(const bool *)((const char *)c + s->enabled_off);
}

static const struct key *
key_find(const char *section, const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(aliases[i].section, section) == 0 &&
		    strcmp(aliases[i].alias, name) == 0)
			name = aliases[i].name;
	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].section, section) == 0 &&
		    strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* ---- defaults ---- */

void
conf_defaults(struct conf *c)
{
	char why[160];
	size_t i;
	int rc;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < NKEYS; i++) {
		if (keys[i].dflt == NULL)
			continue;
		rc = ops[keys[i].type].parse(&keys[i], keys[i].dflt,
		    (char *)c + keys[i].off, why, sizeof(why));
		assert(rc == 0);
		(void)rc;
	}
}

int
conf_default_name(struct conf *c, const char *hostname)
{
	size_t len = strcspn(hostname, ".");

	if (c->node.name[0] != '\0')
		return 0;
	if (len > CONF_NAME_MAX)
		len = CONF_NAME_MAX;
	if (!label_ok(hostname, len, false))
		return -1;
	memcpy(c->node.name, hostname, len);
	c->node.name[len] = '\0';
	return 0;
}

/* ---- parsing ---- */

struct pctx {
	struct conf *c;
	const char *file;	    /* for messages */
	FILE *fp;		    /* the source: a file, */
	const char *s;		    /* or a string */
	int lineno;		    /* of the line inih is working on */
	int seen[NKEYS];	    /* line a key was set on, 0: not set */
	struct conf_origin *origin; /* NULL: not wanted */
	bool failed;
	char *err;
	size_t errlen;
};

static void fail(struct pctx *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Keeps the first error only: it is the one the user fixes first. */
static void
fail(struct pctx *p, int line, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	if (p->failed)
		return;
	p->failed = true;
	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
	if (line > 0)
		say(p->err, p->errlen, "%s:%d: %s", p->file, line, msg);
	else
		say(p->err, p->errlen, "%s: %s", p->file, msg);
}

static int
next_char(struct pctx *p)
{
	if (p->fp != NULL)
		return getc(p->fp);
	if (*p->s == '\0')
		return EOF;
	return (unsigned char)*p->s++;
}

/* "[name]" at the start of line: unknown sections are errors even when
 * they hold no key, and [cloud] and [dns] are on once they appear. */
static void
on_section_line(struct pctx *p, const char *line)
{
	const struct section *sec;
	const char *end = strchr(line, ']');
	char name[48];
	size_t len;

	if (end == NULL)
		return; /* inih reports the syntax error */
	len = (size_t)(end - line - 1);
	if (len >= sizeof(name))
		len = sizeof(name) - 1;
	memcpy(name, line + 1, len);
	name[len] = '\0';
	sec = section_find(name);
	if (sec == NULL) {
		shown(name, name, sizeof(name));
		fail(p, p->lineno,
		    "[%s]: unknown section, expected node, cluster, dmz, "
		    "hooks, discovery, cloud, dns or store",
		    name);
		return;
	}
	if (sec->enabled_off != 0)
		*(bool *)((char *)p->c + sec->enabled_off) = true;
}

/*
 * inih's line reader. Reading lines ourselves gives the line numbers that
 * inih's handler lacks, catches over-long lines (inih would silently parse
 * their tail as a line of its own), and drops leading blanks, so an
 * indented line is a key line, never a multi-line continuation.
 */
static char *
read_line(char *str, int num, void *stream)
{
	struct pctx *p = stream;
	size_t n = 0, cap = num > 1 ? (size_t)num - 1 : 0;
	bool lead = true, any = false, overlong = false;
	int ch;

	if (p->failed || cap == 0)
		return NULL;
	while ((ch = next_char(p)) != EOF) {
		any = true;
		if (ch == '\n')
			break;
		if (lead && (ch == ' ' || ch == '\t'))
			continue;
		lead = false;
		if (n < cap)
			str[n++] = (char)ch;
		else
			overlong = true;
	}
	if (!any)
		return NULL;
	str[n] = '\0';
	p->lineno++;
	if (overlong) {
		fail(p, p->lineno, "line longer than %zu bytes", cap);
		return NULL;
	}
	/* inih skips a UTF-8 byte order mark on line 1; so do we. */
	if (p->lineno == 1 && strncmp(str, "\xef\xbb\xbf[", 4) == 0)
		on_section_line(p, str + 3);
	else if (str[0] == '[')
		on_section_line(p, str);
	return p->failed ? NULL : str;
}

static void
fail_unknown_key(struct pctx *p, const char *section, const char *name)
{
	char list[256] = "", s[48];
	size_t i, used = 0;

	for (i = 0; i < NKEYS; i++) {
		if (strcmp(keys[i].section, section) != 0)
			continue;
		say(list + used, sizeof(list) - used, "%s%s",
		    used == 0 ? "" : ", ", keys[i].name);
		used += strlen(list + used);
	}
	shown(name, s, sizeof(s));
	fail(p, p->lineno, "[%s] %s: unknown key, expected one of %s", section,
	    s, list);
}

static int
on_kv(void *user, const char *section, const char *name, const char *value)
{
	struct pctx *p = user;
	const struct section *sec;
	const struct key *k;
	char why[256], s[48];
	size_t i;

	if (p->failed)
		return 0;
	sec = section_find(section);
	if (sec == NULL) {
		/* The reader saw every section line: this is key before any. */
		shown(name, s, sizeof(s));
		fail(p, p->lineno,
		    "%s: key outside a section, expected a "
		    "[section] line before it",
		    s);
		return 0;
	}
	if (sec->enabled_off != 0)
		*(bool *)((char *)p->c + sec->enabled_off) = true;
	k = key_find(section, name);
	if (k == NULL) {
		fail_unknown_key(p, section, name);
		return 0;
	}
	i = (size_t)(k - keys);
	if (p->seen[i] != 0) {
		fail(p, p->lineno,
		    "[%s] %s: set twice (first on line %d), "
		    "expected one value",
		    k->section, name, p->seen[i]);
		return 0;
	}
	p->seen[i] = p->lineno;
	if (has_ctrl(value)) {
		fail(p, p->lineno,
		    "[%s] %s: value holds a control "
		    "character, expected printable text",
		    k->section, name);
		return 0;
	}
	if (ops[k->type].parse(
		k, value, (char *)p->c + k->off, why, sizeof(why)) == -1) {
		fail(p, p->lineno, "[%s] %s: %s", k->section, name, why);
		return 0;
	}
	return 1;
}

static const char *const required_eg[] = {
    [T_CIDR4] = "e.g. 192.168.1.11/24",
    [T_DNAME] = "e.g. site1.cloud.example.org",
    [T_HOSTPORT] = "e.g. 198.51.100.53:53",
    [T_PATH] = "e.g. /etc/qured/tsig.key",
    [T_LISTEN] = "e.g. 127.0.0.1:9182", /* [http] listen */
};

/*
 * [store]: instance i listens on port + i and port + i + 10000 (its
 * cluster bus, fixed by Redis): both must be ports. The DNS responder
 * must not want one of them.
 */
static void
check_store(struct pctx *p)
{
	const struct conf *c = p->c;
	unsigned last = (unsigned)c->store.port + c->store.replicas;
	unsigned dns = c->dns.listen.port;
	const struct key *k = key_find("store", "port");

	if (last + 10000 > 65535) {
		fail(p, p->seen[k - keys],
		    "[store] port: %u with replicas = %u needs ports up to "
		    "%u (cluster bus: port + 10000), expected a port of at "
		    "most %u",
		    c->store.port, c->store.replicas, last + 10000,
		    65535 - 10000 - c->store.replicas);
		return;
	}
	if (c->store.enable && c->dns.enabled &&
	    ((dns >= c->store.port && dns <= last) ||
		(dns >= c->store.port + 10000u && dns <= last + 10000))) {
		k = key_find("dns", "listen");
		fail(p, p->seen[k - keys],
		    "[dns] listen: %u is a port of [store] (%u to %u and "
		    "%u to %u), expected another port",
		    dns, c->store.port, last, c->store.port + 10000u,
		    last + 10000);
	}
}

/* Whole-file rules, after every key is in: required keys, conflicts. */
static void
check_all(struct pctx *p)
{
	const struct conf *c = p->c;
	const struct key *k;
	size_t i;

	for (i = 0; i < NKEYS && !p->failed; i++) {
		k = &keys[i];
		if (!(k->flags & F_REQUIRED) || p->seen[i] != 0 ||
		    !section_on(section_find(k->section), c))
			continue;
		fail(p, 0, "[%s] %s: missing, expected %s", k->section, k->name,
		    required_eg[k->type] != NULL ? required_eg[k->type]
						 : "a value");
	}
	if (!p->failed && c->dmz.address.prefix == 0 &&
	    !c->dmz.address.automatic && c->dmz.address6.prefix == 0)
		fail(p, 0,
		    "[dmz] address: missing, expected e.g. 192.168.1.11/24 "
		    "(or address6, e.g. fd00::11/64)");
	if (!p->failed &&
	    c->dmz.request_timeout_min_ms > c->dmz.request_timeout_max_ms) {
		char lo[24], hi[24];
		size_t i_min = (size_t)(key_find("dmz", "request-timeout-min") -
					keys),
		       i_max = (size_t)(key_find("dmz", "request-timeout-max") -
					keys);

		fmt_ms(c->dmz.request_timeout_min_ms, lo, sizeof(lo));
		fmt_ms(c->dmz.request_timeout_max_ms, hi, sizeof(hi));
		/* The line of whichever was set last is the one to fix. */
		fail(p,
		    p->seen[i_min] > p->seen[i_max] ? p->seen[i_min]
						    : p->seen[i_max],
		    "[dmz] request-timeout-min (%s) is above "
		    "request-timeout-max (%s), expected a floor at or below "
		    "the ceiling",
		    lo, hi);
	}
	if (!p->failed && c->dns.enabled &&
	    c->dns.listen.port == c->cluster.port) {
		k = key_find("dns", "listen");
		fail(p, p->seen[k - keys],
		    "[dns] listen: %u is the cluster "
		    "port too, expected another port",
		    c->dns.listen.port);
	}
	if (!p->failed)
		check_store(p);
}

static int
load(struct pctx *p, struct conf *out)
{
	struct conf tmp;
	int rc;

	conf_defaults(&tmp);
	p->c = &tmp;
	rc = ini_parse_stream(read_line, p, on_kv, p);
	if (!p->failed && rc > 0)
		fail(p, rc, "syntax error, expected [section] or key = value");
	else if (!p->failed && rc != 0)
		fail(p, 0, "cannot parse: out of memory");
	if (!p->failed)
		check_all(p);
	if (p->failed)
		return -1;
	*out = tmp;
	return 0;
}

/* The lines the keys were set on, once the whole file loaded. */
static void
keep_origin(const struct pctx *p)
{
	size_t i;

	if (p->origin == NULL)
		return;
	memset(p->origin, 0, sizeof(*p->origin));
	for (i = 0; i < NKEYS; i++)
		p->origin->line[i] = p->seen[i];
}

int
conf_load_string_origin(const char *text, const char *name, struct conf *out,
    struct conf_origin *origin, char *err, size_t errlen)
{
	struct pctx p = {.file = name, .s = text, .err = err, .errlen = errlen};

	if (load(&p, out) == -1)
		return -1;
	p.origin = origin;
	keep_origin(&p);
	return 0;
}

int
conf_load_string(const char *text, const char *name, struct conf *out,
    char *err, size_t errlen)
{
	return conf_load_string_origin(text, name, out, NULL, err, errlen);
}

int
conf_load(const char *path, struct conf *out, char *err, size_t errlen)
{
	return conf_load_origin(path, out, NULL, err, errlen);
}

int
conf_load_origin(const char *path, struct conf *out, struct conf_origin *origin,
    char *err, size_t errlen)
{
	struct pctx p = {.file = path, .err = err, .errlen = errlen};
	struct conf tmp;
	int rc;

	p.fp = fopen(path, "re");
	if (p.fp == NULL) {
		say(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	rc = load(&p, &tmp);
	/* A read error looks like the end of the file to the parser. */
	if (ferror(p.fp)) {
		say(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		rc = -1;
	}
	fclose(p.fp);
	if (rc == 0) {
		*out = tmp;
		p.origin = origin;
		keep_origin(&p);
	}
	return rc;
}

/* ---- printing and comparing ---- */

#define ORIGIN_COLUMN 40 /* where "; FILE:LINE" starts, when it can */

/*
 * Where row k's value came from, as a comment. The node name is the one
 * key whose default is completed after parsing (conf_default_name()).
 */
static void
origin_text(const struct key *k, const char *v, int line, const char *file,
    char *buf, size_t n)
{
	if (line > 0)
		say(buf, n, "; %s:%d", file, line);
	else if (k->type == T_NAME && k->dflt != NULL &&
		 strcmp(v, k->dflt) != 0)
		say(buf, n, "; default: the host name");
	else
		say(buf, n, "; default");
}

/* The longest line the reader takes (inih hands it INI_MAX_LINE bytes,
 * the '\0' included): a printed config must load again. */
#define PRINT_LINE_MAX (INI_MAX_LINE - 1)

/*
 * One key line; with o, padded and followed by where the value came from.
 * A line the reader would refuse as too long is made shorter: no padding,
 * then the origin on a comment line of its own above the key, then no
 * blanks around "=" (a value that filled a line as "key=value" does so
 * printed too).
 */
static void
print_key(const struct conf *c, size_t i, const struct conf_origin *o,
    const char *file, FILE *fp)
{
	char v[VALUE_MAX], from[CONF_PATH_MAX + 48];
	const char *eq;
	size_t len, pad = 0;

	key_print(&keys[i], c, v, sizeof(v));
	if (v[0] == '\0' && !(keys[i].flags & F_EMPTY)) {
		fprintf(fp, "; %s = (not set)\n", keys[i].name);
		return;
	}
	eq = v[0] != '\0' ? " = " : " =";
	len = strlen(keys[i].name) + strlen(eq) + strlen(v);
	if (len > PRINT_LINE_MAX) {
		eq = "=";
		len = strlen(keys[i].name) + 1 + strlen(v);
	}
	if (o != NULL) {
		origin_text(&keys[i], v, o->line[i], file, from, sizeof(from));
		/* inih takes ";" as a comment only after a blank. */
		pad = len < ORIGIN_COLUMN ? ORIGIN_COLUMN - len : 1;
		if (len + pad + strlen(from) > PRINT_LINE_MAX)
			pad = 1;
		if (len + pad + strlen(from) > PRINT_LINE_MAX) {
			/* A path of hundreds of bytes: cut, as a comment. */
			fprintf(fp, "%.*s\n", PRINT_LINE_MAX, from);
			o = NULL;
		}
	}
	fprintf(fp, "%s%s%s", keys[i].name, eq, v);
	if (o != NULL)
		fprintf(fp, "%*s%s", (int)pad, "", from);
	fputc('\n', fp);
}

static void
print_conf(const struct conf *c, const struct conf_origin *o, const char *file,
    FILE *fp)
{
	size_t s, i;

	if (o != NULL)
		fprintf(fp,
		    "; the effective configuration: after each key, the line "
		    "of\n; %.*s that set it, or default\n",
		    PRINT_LINE_MAX - 32, file);
	else
		fprintf(fp, "; qured.conf: the effective configuration\n");
	for (s = 0; s < NSECTIONS; s++) {
		if (!section_on(&sections[s], c)) {
			fprintf(fp, "\n; [%s] is off\n", sections[s].name);
			continue;
		}
		fprintf(fp, "\n[%s]\n", sections[s].name);
		for (i = 0; i < NKEYS; i++)
			if (strcmp(keys[i].section, sections[s].name) == 0)
				print_key(c, i, o, file, fp);
	}
}

void
conf_print(const struct conf *c, FILE *fp)
{
	print_conf(c, NULL, NULL, fp);
}

void
conf_print_origin(const struct conf *c, const struct conf_origin *origin,
    const char *file, FILE *fp)
{
	print_conf(c, origin, file, fp);
}

static void
diff_add(struct conf_diff *d, const char *section, const char *key, bool live)
{
	if (d->n == sizeof(d->change) / sizeof(d->change[0]))
		return;
	d->change[d->n].section = section;
	d->change[d->n].key = key;
	d->change[d->n].live = live;
	d->n++;
	if (!live)
		d->restart = true;
}

/* Values compare as printed: exactly what a reload would read back. */
static void
diff_section(const struct conf *a, const struct conf *b,
    const struct section *sec, struct conf_diff *d)
{
	char va[VALUE_MAX], vb[VALUE_MAX];
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		if (strcmp(keys[i].section, sec->name) != 0)
			continue;
		key_print(&keys[i], a, va, sizeof(va));
		key_print(&keys[i], b, vb, sizeof(vb));
		if (strcmp(va, vb) != 0)
			diff_add(d, keys[i].section, keys[i].name,
			    (keys[i].flags & F_LIVE) != 0);
	}
}

void
conf_diff(
    const struct conf *old, const struct conf *new_conf, struct conf_diff *out)
{
	bool on_old, on_new;
	size_t s;

	memset(out, 0, sizeof(*out));
	for (s = 0; s < NSECTIONS; s++) {
		on_old = section_on(&sections[s], old);
		on_new = section_on(&sections[s], new_conf);
		if (on_old != on_new)
			diff_add(out, sections[s].name, "", false);
		else if (on_old)
			diff_section(old, new_conf, &sections[s], out);
	}
}

void
conf_apply_live(struct conf *run, const struct conf *next)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (keys[i].flags & F_LIVE)
			memcpy((char *)run + keys[i].off,
			    (const char *)next + keys[i].off, keys[i].size);
}

bool
conf_equal(const struct conf *a, const struct conf *b)
{
	struct conf_diff d;

	conf_diff(a, b, &d);
	return d.n == 0;
}

bool
conf_key_info(size_t i, struct conf_keyinfo *out)
{
	if (i >= NKEYS)
		return false;
	out->section = keys[i].section;
	out->key = keys[i].name;
	out->type = ops[keys[i].type].name;
	out->dflt = keys[i].dflt != NULL ? keys[i].dflt : "";
	out->help = keys[i].help;
	out->required = (keys[i].flags & F_REQUIRED) != 0;
	out->live = (keys[i].flags & F_LIVE) != 0;
	return true;
}

/* ---- the cluster key ---- */

#define KEY_B64_LEN 44 /* base64 of 32 bytes: 43 characters and one '=' */

/* Reads up to len bytes of fd into buf: the length, or -1 (errno). */
static ssize_t
read_small(int fd, uint8_t *buf, size_t len)
{
	size_t got = 0;
	ssize_t r;

	while (got < len) {
		r = read(fd, buf + got, len - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

static int
decode_key(const uint8_t *raw, size_t rawlen, uint8_t key[CONF_KEY_LEN])
{
	unsigned char b64[KEY_B64_LEN + 1], bin[3 * (KEY_B64_LEN / 4)];
	size_t i, n = 0;
	int rc = -1;

	for (i = 0; i < rawlen; i++) {
		if (isspace(raw[i]))
			continue;
		if (n == KEY_B64_LEN)
			goto out;
		b64[n++] = raw[i];
	}
	/* EVP_DecodeBlock() ignores padding: insist on the one '=' here. */
	if (n != KEY_B64_LEN || b64[n - 1] != '=' ||
	    strspn((char *)b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrs"
				"tuvwxyz0123456789+/") != KEY_B64_LEN - 1)
		goto out;
	b64[n] = '\0';
	if (EVP_DecodeBlock(bin, b64, KEY_B64_LEN) != (int)sizeof(bin))
		goto out;
	memcpy(key, bin, CONF_KEY_LEN);
	rc = 0;
out:
	OPENSSL_cleanse(b64, sizeof(b64));
	OPENSSL_cleanse(bin, sizeof(bin));
	return rc;
}

int
conf_read_key(
    const char *path, uint8_t key[CONF_KEY_LEN], char *err, size_t errlen)
{
	uint8_t raw[256];
	struct stat st;
	ssize_t len;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd == -1) {
		if (errno == ENOENT)
			say(err, errlen,
			    "%s: missing, run `qurectl keygen -o %s`", path,
			    path);
		else if (errno == EACCES)
			say(err, errlen,
			    "%s: cannot open: %s; qured runs as uid %u: the "
			    "key must be that user's, mode 0600 (chown %u %s)",
			    path, strerror(errno), (unsigned)geteuid(),
			    (unsigned)geteuid(), path);
		else
			say(err, errlen, "%s: cannot open: %s", path,
			    strerror(errno));
		return -1;
	}
	/* fstat, not stat: the mode checked is the file's that is read. */
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		say(err, errlen,
		    "%s: not a regular file, expected the output "
		    "of `qurectl keygen`",
		    path);
		goto out;
	}
	/* Mode 0600 guards nothing if a stranger owns the file. */
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		say(err, errlen,
		    "%s: owned by uid %u, expected root or the user qured "
		    "runs as (uid %u), run chown %u %s",
		    path, (unsigned)st.st_uid, (unsigned)geteuid(),
		    (unsigned)geteuid(), path);
		goto out;
	}
	if (st.st_mode & 077) {
		say(err, errlen,
		    "%s: readable or writable by group or others "
		    "(mode %04o), run chmod 600 %s",
		    path, (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	len = st.st_size < (off_t)sizeof(raw) ? read_small(fd, raw, sizeof(raw))
					      : (ssize_t)sizeof(raw);
	if (len < 0) {
		say(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		goto out;
	}
	if (len == (ssize_t)sizeof(raw) ||
	    decode_key(raw, (size_t)len, key) == -1) {
		say(err, errlen,
		    "%s: not a cluster key, expected the base64 of "
		    "%d bytes as printed by `qurectl keygen`",
		    path, CONF_KEY_LEN);
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	close(fd);
	return rc;
}

void
conf_vmac_derive(const uint8_t key[CONF_KEY_LEN], uint8_t mac[6])
{
	static const char label[] = "QuRe vmac v1";
	uint8_t md[SHA256_DIGEST_SIZE];
	struct hmac_sha256_ctx ctx;

	hmac_sha256_set_key(&ctx, CONF_KEY_LEN, key);
	hmac_sha256_update(&ctx, sizeof(label) - 1, (const uint8_t *)label);
	hmac_sha256_digest(&ctx, sizeof(md), md);
	memcpy(mac, md, 6);
	mac[0] = (uint8_t)((mac[0] & 0xfc) | 0x02); /* local, unicast */
	OPENSSL_cleanse(md, sizeof(md));
	OPENSSL_cleanse(&ctx, sizeof(ctx));
}

uint32_t
conf_balance_seed(const uint8_t key[CONF_KEY_LEN])
{
	static const char label[] = "QuRe balance v1";
	uint8_t md[SHA256_DIGEST_SIZE];
	struct hmac_sha256_ctx ctx;
	uint32_t seed;

	hmac_sha256_set_key(&ctx, CONF_KEY_LEN, key);
	hmac_sha256_update(&ctx, sizeof(label) - 1, (const uint8_t *)label);
	hmac_sha256_digest(&ctx, sizeof(md), md);
	seed = (uint32_t)md[0] << 24 | (uint32_t)md[1] << 16 |
	       (uint32_t)md[2] << 8 | md[3];
	OPENSSL_cleanse(md, sizeof(md));
	OPENSSL_cleanse(&ctx, sizeof(ctx));
	return seed;
}
