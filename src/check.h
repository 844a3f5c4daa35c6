#ifndef QURE_CHECK_H
#define QURE_CHECK_H

/*
 * src/check.h — the holder's own service check ([dmz] check of qured.conf(5),
 * issue 4): "tcp:HOST:PORT" is healthy when a connect succeeds, and
 * "exec:/path" when path exits 0. Run every [dmz] check-interval
 * (check_schedule()), never blocking the loop: a TCP check is a non-blocking
 * connect, an exec check a child (src/child.h) with the fixed environment
 * PATH=/usr/sbin:/usr/bin:/sbin:/bin and argv [path].
 */

#include <stdbool.h>
#include <stdint.h>

struct conf_check;
struct event_base;

/*
 * The result of one check: ok, and why in one line naming the check and
 * the outcome ("tcp 127.0.0.1:80: Connection refused", "tcp
 * 127.0.0.1:80: timed out after 200 ms", "exec /usr/lib/qure/up: exit
 * status 3"). why lives for the call only.
 */
typedef void check_done_cb(void *arg, bool ok, const char *why);

struct check;

/*
 * A check of type TCP or EXEC (cc is copied; base and arg are kept, done
 * runs from the loop once per check_run() that started a check). Returns
 * NULL if cc is CONF_CHECK_NONE (the caller skips the check) or if the
 * SIGCHLD dispatcher lives on another base.
 */
struct check *check_new(struct event_base *base, const struct conf_check *cc,
    check_done_cb *done, void *arg);

/*
 * Starts one check that gives up after timeout_ms (at least 1), unless
 * one is running: then it does nothing, so checks never pile up. done is
 * never called from inside check_run(). A timed out exec check's process
 * group is SIGKILLed and done comes once the child is reaped.
 */
void check_run(struct check *c, uint32_t timeout_ms);

/*
 * [dmz] check-interval and check-timeout: from now on starts a check every
 * interval_ms (start to start), each giving up after timeout_ms; the first
 * starts from the loop at once. A run still going when the next is due
 * delays that one until it ends (runs never pile up, timeout_ms may
 * exceed interval_ms). Called again (SIGHUP), the new timings apply from
 * the next run; interval_ms 0 stops the schedule (a running check still
 * reports).
 */
void check_schedule(struct check *c, uint32_t interval_ms, uint32_t timeout_ms);

/* Whether a check is running (started and done not yet called). */
bool check_is_running(const struct check *c);

/* Takes a new config (SIGHUP) for the next run; cc must not be NONE. A
 * running check finishes with the old one. */
void check_set(struct check *c, const struct conf_check *cc);

/*
 * Stops a running check without calling done (its child is killed and
 * reaped by the dispatcher) and frees c. NULL does nothing. May be called
 * from done.
 */
void check_free(struct check *c);

/* Checks that passed and failed since check_new(), and the last result
 * (false before the first). */
struct check_stats {
	uint64_t passed, failed;
	bool last_ok;
};
void check_get_stats(const struct check *c, struct check_stats *out);

#endif
