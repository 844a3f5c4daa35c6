/*
 * qure.h — libqure, the client of QuRe's site cache (issue 11 item 3):
 * the seeds' cache API on the Redis Cluster that the members of a QuRe
 * site form by themselves. Any member serves any request: give the
 * address of one, and the library follows the cluster's slot map
 * (MOVED, ASK) to the member that holds each key. Blocking, one
 * connection per member, not thread-safe (one struct qure per thread).
 *
 *   struct qure *q = qure_open(&(struct qure_opts){.host = "10.0.0.11",
 *       .password = pw}, err, sizeof(err));
 *   qure_set(q, "user:7", "hello", 5);
 *
 * See libqure(3).
 */
#ifndef QURE_H
#define QURE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define QURE_DEFAULT_PORT 6379
#define QURE_DEFAULT_TIMEOUT_MS 3000
#define QURE_ADDR_MAX 72 /* "host:port", an IPv6 host in brackets */

/* What the calls return. */
enum qure_rc {
	QURE_OK = 0,
	QURE_ERR = 1,	/* qure_error() says what failed */
	QURE_NO_KEY = 2 /* get, del, node lookups: there is no such key */
};

struct qure_opts {
	const char *host;     /* a member's address (IPv4, IPv6, a name) */
	uint16_t port;	      /* 0: QURE_DEFAULT_PORT */
	const char *password; /* the site cache's (requirepass); NULL: none */
	/* How long a call may take, redirections and retries through a
	 * failover included; 0: QURE_DEFAULT_TIMEOUT_MS. */
	unsigned timeout_ms;
};

struct qure;

/* Connects to opts->host and reads the slot map. NULL with the reason in
 * err on failure. */
struct qure *qure_open(const struct qure_opts *opts, char *err, size_t errlen);
void qure_close(struct qure *q);

/* The last failure, one line ("" after a success). */
const char *qure_error(const struct qure *q);

/*
 * set and append return QURE_OK once the value is on the key's master
 * and, when the master has replicas, on at least one of them (WAIT):
 * an acknowledged write survives the loss of its master. A master with
 * no replica connected (its replica's member just died) writes
 * unreplicated. When a connected replica does not confirm in time the
 * write may still be on the master: QURE_ERR says so.
 */
int qure_set(struct qure *q, const char *key, const void *value, size_t len);
int qure_append(struct qure *q, const char *key, const void *value, size_t len);

/* The value, malloc'ed (free() it) and NUL-terminated after len bytes. */
int qure_get(struct qure *q, const char *key, char **value, size_t *len);

int qure_del(struct qure *q, const char *key);

/* Creates each id with an empty value unless it exists (its value is
 * kept); the ids spread over the members by their slots. */
int qure_init(struct qure *q, const char *const *ids, size_t n);

/* Calls cb for each key matching the glob pattern (NULL: all), on every
 * master; stops early when cb returns nonzero. */
typedef int qure_key_cb(void *arg, const char *key, size_t len);
int qure_list(struct qure *q, const char *pattern, qure_key_cb *cb, void *arg);

/*
 * Where key lives: node_id the member that should process it (the
 * master of its slot, "host:port"), node_ids also its replicas, master
 * first, up to max, their count in *n. The key need not exist.
 */
int qure_node_id(struct qure *q, const char *key, char addr[QURE_ADDR_MAX]);
int qure_node_ids(struct qure *q, const char *key, char (*addrs)[QURE_ADDR_MAX],
    size_t max, size_t *n);

/* The hash slot of key (0..16383), as Redis Cluster computes it. */
unsigned qure_slot(const char *key, size_t len);

#ifdef __cplusplus
}
#endif

#endif
