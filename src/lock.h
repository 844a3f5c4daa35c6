/*
 * src/lock.h — one qured per state dir. A second instance started on the
 * holder (by hand, by a second unit) deleted the live DMZ address as a
 * stale one before it failed on the port; the lock is taken first, before
 * anything touches the network.
 */
#ifndef QURE_LOCK_H
#define QURE_LOCK_H

#include <stddef.h>

#define LOCK_FILE "lock" /* inside the state dir */

/*
 * Creates DIR (mode 0700, one level) if missing, opens DIR/lock (mode
 * 0600) and takes flock(LOCK_EX | LOCK_NB) on it, then writes our pid
 * into it. Returns the fd, which holds the lock until it is closed (by
 * exit: the kernel releases it, so a crash leaves no stale lock), or -1
 * with one line in err: "another qured (pid N) holds the lock DIR/lock;
 * not starting" when it is taken.
 */
int lock_state_dir(const char *dir, char *err, size_t errlen);

/* Writes our pid into the lock file again (after daemon() forked). */
void lock_note_pid(int fd);

#endif
