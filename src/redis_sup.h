#ifndef QURE_REDIS_SUP_H
#define QURE_REDIS_SUP_H

/*
 * src/redis_sup.h — the site cache's redis-server instances on this
 * member ([store], issue 11 item 2; qured.conf(5)): 1 + replicas
 * instances in cluster mode, bound to the member's LAN address at ports
 * port..port+replicas, each in state-dir/store/PORT/ with its own
 * redis.conf, protected by a password derived from the cluster key.
 *
 * Two halves (doc/style.md §1): a pure one (src/redis_sup_core.c: the
 * password, the redis.conf text, the argv, the restart backoff; no
 * clock, no files, no logging) and the edge (src/redis_sup.c: writes the
 * files, starts the instances with src/child.c, restarts the ones that
 * exit, watches them answer PING through hiredis on the loop, stops them
 * all when qured stops). The election never waits for any of it.
 */

#include <netinet/in.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf;
struct event_base;
struct status;

#define REDIS_SUP_PASSWORD_LEN 64 /* hex digits of 32 bytes */
#define REDIS_SUP_BACKOFF_MIN_MS 100u
#define REDIS_SUP_BACKOFF_MAX_MS 10000u
#define REDIS_SUP_STABLE_MS 30000u /* a run this long resets the backoff */

/* ---- pure (src/redis_sup_core.c) ---- */

/*
 * The password of the site's Redis instances, from the 32-byte cluster
 * key: HKDF-SHA256 (RFC 5869, no salt, info "qure redis password v1") to
 * 32 bytes, as 64 lower-case hex digits and a NUL in out. Every member
 * with the key derives the same one; the key cannot be recovered from it.
 * Returns 0, or -1 if OpenSSL fails (out is then "").
 */
int redis_sup_password(
    const uint8_t key[32], char out[REDIS_SUP_PASSWORD_LEN + 1]);

/* One instance, for its redis.conf. */
struct redis_sup_inst {
	struct in_addr addr; /* the member's LAN address (bind, announce) */
	uint16_t port;
	uint64_t memory_bytes; /* maxmemory */
	const char *dir;       /* absolute: state-dir/store/PORT */
	const char *password;  /* REDIS_SUP_PASSWORD_LEN hex digits */
};

/*
 * The redis.conf of one instance into buf (NUL-terminated). Returns its
 * length, or -1 if it does not fit or dir holds a control byte.
 */
int redis_sup_conf_text(const struct redis_sup_inst *, char *buf, size_t len);

/*
 * The wait before starting again an instance that ran ran_ms and then
 * exited, after a previous wait of prev_ms (0: none yet):
 * REDIS_SUP_BACKOFF_MIN_MS, doubling up to REDIS_SUP_BACKOFF_MAX_MS; back
 * to the minimum after a run of REDIS_SUP_STABLE_MS or more.
 */
uint32_t redis_sup_backoff_ms(uint32_t prev_ms, uint64_t ran_ms);

/*
 * The argv of an instance: {path, conf_path, NULL}. The password stays
 * in the mode-0600 file: an argv is anyone's to read in /proc.
 */
void redis_sup_argv(const char *path, const char *conf_path, char *argv[3]);

/* ---- the edge (src/redis_sup.c) ---- */

/* The member's LAN address now: 0, or -1 if it has none yet. */
typedef int redis_sup_addr_fn(void *arg, struct in_addr *out);

struct redis_sup;

/*
 * Starts the instances of conf's [store] (enable = yes; the caller
 * checks): derives the password from key (32 bytes, borrowed), writes
 * state-dir/store/password (0600), and once addr_fn gives the LAN
 * address (asked again every second until it does) writes each
 * instance's redis.conf and starts it. A missing redis-server is logged
 * once and reported in the status: the object then runs nothing. NULL,
 * with a one-line reason in err, only if the state dir cannot take the
 * files; qured then runs without the store.
 */
struct redis_sup *redis_sup_new(struct event_base *, const struct conf *,
    const uint8_t *key, redis_sup_addr_fn *addr_fn, void *arg, char *err,
    size_t errlen);

/*
 * Stops every instance (SIGTERM, SIGKILL for those still running after
 * 5 s; this waits for them: call it as qured exits) and frees. NULL: no-op.
 */
void redis_sup_free(struct redis_sup *);

/* The status's store object (src/status.h). */
void redis_sup_status(const struct redis_sup *, struct status *out);

#endif
