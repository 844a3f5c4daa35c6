#ifndef QURE_HOOKS_H
#define QURE_HOOKS_H

/*
 * src/hooks.h — [hooks] on-holder / on-standby (doc/design.md §8.4), run like
 * keepalived's notify scripts on a change of state:
 *
 *   to holder                                      -> on-holder
 *   from holder, or to standby or observer         -> on-standby
 *
 * argv = [path, state, old_state, reason]; the whole environment is
 * QURE_STATE, QURE_OLD_STATE, QURE_REASON, QURE_EPOCH, QURE_DMZ and
 * PATH=/usr/sbin:/usr/bin:/sbin:/bin. Never through a shell, never
 * blocking the loop (src/child.h), killed (with its process group) after
 * a timeout; a failure is logged with the exit status.
 *
 * One hook runs at a time, whatever its kind, and at most one waits: a
 * newer change replaces the waiting one (the latest state wins). Both
 * scripts act on the same service, so an on-holder still running must
 * not race the on-standby that follows it.
 */

#include <stdbool.h>
#include <stdint.h>

struct event_base;

#define HOOKS_TIMEOUT_MS 30000 /* default: then SIGKILL */

struct hooks;

/*
 * Hooks with these paths ("" or NULL: none for that kind; copied, at most
 * CONF_PATH_MAX bytes). base is kept. Returns NULL if the SIGCHLD
 * dispatcher lives on another base.
 */
struct hooks *hooks_new(
    struct event_base *base, const char *on_holder, const char *on_standby);

/* New paths (SIGHUP): a running hook finishes, a waiting one and later
 * ones start the new paths. */
void hooks_set(struct hooks *h, const char *on_holder, const char *on_standby);

/* How long a hook may run (ms, at least 1); HOOKS_TIMEOUT_MS at first. */
void hooks_set_timeout(struct hooks *h, uint32_t timeout_ms);

/*
 * Reports a change from old_state to state (doc/design.md §8.3 names) for
 * reason, at epoch, with the DMZ address dmz_cidr ("192.168.1.11/24").
 * Starts the hook that the change calls for, or makes it the waiting one;
 * does nothing when no hook is configured for it or state equals
 * old_state. Strings are copied (cut to 63 bytes, the reason to 127).
 */
void hooks_run(struct hooks *h, const char *state, const char *old_state,
    const char *reason, uint64_t epoch, const char *dmz_cidr);

/* Whether a hook is running or waiting. */
bool hooks_is_busy(const struct hooks *h);

/* Since hooks_new(): hooks started, those that failed (not started, an
 * exit status other than 0, killed) and of those the ones killed after
 * the timeout. */
struct hooks_stats {
	uint64_t runs, failures, timeouts;
};
void hooks_get_stats(const struct hooks *h, struct hooks_stats *out);

/*
 * Frees h. A running hook is left to finish on its own (an on-standby
 * after a resign must not be cut short), no longer watched; a waiting one
 * is dropped and logged. NULL does nothing.
 */
void hooks_free(struct hooks *h);

#endif
