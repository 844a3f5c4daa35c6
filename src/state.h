/*
 * src/state.h — the state dir: what survives a restart (node id, highest
 * epoch seen, sequence numbers reserved), in one small text file,
 * DIR/state:
 *
 *	# qured state: node id, highest epoch, sequence reserved
 *	id=<32 lower-case hex digits>
 *	epoch=<decimal u64>
 *	seq=<decimal u64>
 *
 * written atomically (temp file in DIR, fsync, rename, fsync DIR).
 */
#ifndef QURE_STATE_H
#define QURE_STATE_H

#include <stddef.h>
#include <stdint.h>

struct elect_persist;

#define STATE_DIR "/var/lib/qured"
#define STATE_FILE "state" /* inside the state dir */

/*
 * Reads DIR/state into out. An absent file (or dir) is a first start: out
 * is zeroed (zero id: the core makes one) and 0 returned. A file that
 * cannot be read, or is corrupt or truncated, returns -1 with one line in
 * err naming the file, the line and what to do; out is then unchanged.
 */
int state_load(
    const char *dir, struct elect_persist *out, char *err, size_t errlen);

/*
 * Parses the text of a state file (buf, len bytes; modified in place,
 * buf[len - 1] included) into p; path names it in errors. 0, or -1 with
 * one line in err. What state_load() does once the file is read; exposed
 * for its fuzz target.
 */
int state_parse(char *buf, size_t len, const char *path,
    struct elect_persist *p, char *err, size_t errlen);

/*
 * Writes p to DIR/state atomically, creating DIR (mode 0700, one level)
 * if missing; the file is mode 0600. Returns 0 once the new file and its
 * name are on disk, or -1 with one line in err (the old file, if any, is
 * then intact).
 */
int state_save(
    const char *dir, const struct elect_persist *p, char *err, size_t errlen);

/*
 * Writes len bytes of buf to DIR/name as state_save() does (temp file,
 * fsync, rename, fsync of the dir): 0, or -1 with one line in err.
 */
int state_save_file(const char *dir, const char *name, const void *buf,
    size_t len, char *err, size_t errlen);

/*
 * Reads DIR/name (at most max bytes) into a new *buf (free() it) and
 * *len: 0 (a missing file: *buf NULL, *len 0), or -1 with one line in
 * err (unreadable, or longer than max).
 */
int state_load_file(const char *dir, const char *name, size_t max,
    uint8_t **buf, size_t *len, char *err, size_t errlen);

#endif
