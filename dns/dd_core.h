/*
 * dns/dd_core.h — the pure half of the public address and the dynamic DNS
 * update (issue 10 items 1 and 2): the RFC 2136 UPDATE built and its
 * answer checked with ldns (TSIG hmac-sha256), the retry backoff, the
 * classification of an address (private, shared, reserved), the parser of
 * an HTTP check's body. No sockets, no libevent, no logging, no clock
 * read of its own but the one ldns makes to stamp and check TSIG (RFC 8945
 * signs the time).
 */
#ifndef QURE_DNS_DD_CORE_H
#define QURE_DNS_DD_CORE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DD_BACKOFF_FIRST_MS 1000u
#define DD_BACKOFF_MAX_MS (5u * 60u * 1000u)
#define DD_SAME_ADDR_MIN_MS 30000u /* an unchanged address, at most once */
#define DD_BODY_MAX 1024	   /* an HTTP check's body, bytes */
#define DD_ERR_LEN 160

/* What the site publishes: an IPv4 and/or an IPv6 address. */
struct dd_addr {
	bool has4, has6;
	struct in_addr a4;
	struct in6_addr a6;
};

/*
 * Retry delay after `failures` failures in a row (1 for the first):
 * 1 s doubling, at most 5 min, jittered by rnd (any 32-bit value) into
 * [3/4, 5/4] of the step, never above the cap.
 */
uint64_t dd_backoff_ms(unsigned failures, uint32_t rnd);

/*
 * Whether a public address can be reached from the internet through port
 * forwarding: true for a global unicast address; false, with *reason
 * set to plain words, for RFC 1918, RFC 6598 shared (carrier-grade NAT),
 * loopback, link-local, documentation, benchmark and other special-use
 * ranges (RFC 6890), and for IPv6 ULA, link-local and documentation.
 */
bool dd_addr_reachable(const struct dd_addr *a, const char **reason);

/*
 * An HTTP check's body: the caller's address as text, as checkip
 * services send it ("203.0.113.5\n", or in a short HTML page: the first
 * IPv4 or IPv6 address written in it). 0 with *out set, -1 if none or
 * the body is longer than DD_BODY_MAX.
 */
int dd_body_parse(const char *body, size_t len, struct dd_addr *out);

/* "fd00::1" or "203.0.113.5"; both joined by ", " when both are set. */
void dd_addr_text(const struct dd_addr *a, char *buf, size_t len);
bool dd_addr_equal(const struct dd_addr *a, const struct dd_addr *b);

/* The zone an update goes to: the name's parent ("a.b.c" -> "b.c"). */
int dd_zone_of(const char *name, char *zone, size_t len);

/* A TSIG secret as tsig-keygen's `secret` line holds it: base64 of at
 * least 16 bytes. The file's text may end in white space. */
int dd_secret_check(char *b64, size_t len);

struct dd_update; /* one signed UPDATE and what its answer is checked by */

struct dd_update_req {
	const char *name;     /* the record, e.g. site1.cloud.example.org */
	const char *zone;     /* its zone, e.g. cloud.example.org */
	struct dd_addr addr;  /* at least one family */
	uint32_t ttl;	      /* seconds */
	const char *key_name; /* TSIG key name */
	const char *secret;   /* base64 */
	uint16_t id;	      /* the message id */
};

/*
 * Builds the UPDATE (zone section: the zone SOA; update section: delete
 * the name's A RRset and add the A, the same for AAAA when set) signed
 * with TSIG hmac-sha256 (fudge 300). *wire (malloc'd, the caller frees)
 * and *len: the message. NULL with err on failure.
 */
struct dd_update *dd_update_new(const struct dd_update_req *req, uint8_t **wire,
    size_t *len, char *err, size_t errlen);
void dd_update_free(struct dd_update *u);

enum dd_answer {
	DD_ANS_OK = 0,	  /* NOERROR, TSIG verified */
	DD_ANS_TRUNCATED, /* TC set: ask again over TCP */
	DD_ANS_REFUSED,	  /* an rcode or TSIG error: err says which */
	DD_ANS_NOT_OURS,  /* not an answer to this message: ignore it */
};

/* The answer's rcode and TSIG against the update that was sent. */
enum dd_answer dd_answer_check(const struct dd_update *u, const uint8_t *wire,
    size_t len, char *err, size_t errlen);

#endif
