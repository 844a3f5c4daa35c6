#ifndef QURE_STATE_WRITER_H
#define QURE_STATE_WRITER_H

/*
 * src/state_writer.h — state_save() off the event loop (design D4): a
 * writer child process, forked at the first save, writes each record it
 * is sent (temp file, fsync, rename, fsync of the dir) and answers over a
 * socketpair; the answer comes back through the loop. A slow or hung
 * fsync blocks the child, never the loop. No threads (doc/style.md §7).
 *
 * One write at a time: state_writer_save() refuses a second one until the
 * first is answered. If the child dies, the write it had is answered as
 * failed, and the next save forks a new one.
 */

#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct elect_persist;
struct state_writer;

/* The answer to a save: ok, or err (one line naming the path and the
 * system error). Runs from the loop; may call state_writer_save(). */
typedef void state_writer_cb(void *arg, bool ok, const char *err);

/* Keeps dir (copied) and cb; forks nothing yet. NULL if dir is too long. */
struct state_writer *state_writer_new(
    struct event_base *, const char *dir, state_writer_cb *cb, void *arg);
/* Ends the child (it finishes a write under way, then sees EOF). */
void state_writer_free(struct state_writer *);

/*
 * Sends p to the child, forking it if needed. Returns 0 (cb comes later),
 * or -1 with one line in err (a write is under way, fork or the socket
 * failed): then no cb comes for this call.
 */
int state_writer_save(struct state_writer *, const struct elect_persist *p,
    char *err, size_t errlen);

/* Whether a save is under way (sent, not answered yet). */
bool state_writer_busy(const struct state_writer *);

#endif
