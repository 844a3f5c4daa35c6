/*
 * src/state.c — load and save the persisted election state (state.h).
 *
 * The file is tiny and written only by us, so it is parsed strictly: every
 * key once, no unknown key, every line ended by a newline. A file that
 * breaks a rule was damaged or hand-edited; guessing could make the node
 * reuse sequence numbers (its peers would drop it as a replay) or let its
 * epoch go backwards, so the daemon stops and says how to recover.
 */
#include "config.h"

#include "src/state.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "election/election.h"

#define STATE_MAX_LEN 4096 /* a valid file is under 100 bytes */

enum { KEY_ID = 1u << 0, KEY_EPOCH = 1u << 1, KEY_SEQ = 1u << 2 };

static int
state_path(const char *dir, const char *name, char *buf, size_t len, char *err,
    size_t errlen)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= len) {
		snprintf(err, errlen, "state: %s: path too long", dir);
		return -1;
	}
	return 0;
}

/* "state: PATH:LINE: problem (what to do)"; line 0: no line number. */
static int corrupt(char *err, size_t errlen, const char *path, unsigned line,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
corrupt(char *err, size_t errlen, const char *path, unsigned line,
    const char *fmt, ...)
{
	char what[160], at[16] = "";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (line != 0)
		snprintf(at, sizeof(at), ":%u", line);
	snprintf(err, errlen,
	    "state: %s%s: %s (restore the file, or remove it to start "
	    "as a new node with a new id)",
	    path, at, what);
	return -1;
}

/* Decimal u64: digits only, no sign, no overflow. */
static int
parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

/* One "key=value" line (NUL-terminated, no newline) into p. */
static int
parse_line(char *line, unsigned lineno, const char *path, unsigned *seen,
    struct elect_persist *p, char *err, size_t errlen)
{
	char *val = strchr(line, '=');
	unsigned key;
	int rc;

	if (val == NULL)
		return corrupt(err, errlen, path, lineno, "not key=value");
	*val++ = '\0';
	if (strcmp(line, "id") == 0) {
		key = KEY_ID;
		rc = elect_id_parse(val, &p->id);
	} else if (strcmp(line, "epoch") == 0) {
		key = KEY_EPOCH;
		rc = parse_u64(val, &p->epoch);
	} else if (strcmp(line, "seq") == 0) {
		key = KEY_SEQ;
		rc = parse_u64(val, &p->seq_reserved);
	} else
		return corrupt(
		    err, errlen, path, lineno, "unknown key \"%.32s\"", line);
	if (*seen & key)
		return corrupt(
		    err, errlen, path, lineno, "%s: given twice", line);
	*seen |= key;
	if (rc == -1)
		return corrupt(err, errlen, path, lineno,
		    "%s: bad value \"%.40s\" (%s)", line, val,
		    key == KEY_ID ? "32 hex digits" : "a decimal number");
	return 0;
}

int
state_parse(char *buf, size_t len, const char *path, struct elect_persist *p,
    char *err, size_t errlen)
{
	unsigned seen = 0, lineno = 0;
	char *line = buf, *nl;

	if (len == 0)
		return corrupt(err, errlen, path, 0, "empty (truncated?)");
	if (memchr(buf, '\0', len) != NULL)
		return corrupt(
		    err, errlen, path, 0, "binary data in a text file");
	if (buf[len - 1] != '\n')
		return corrupt(err, errlen, path, 0,
		    "last line has no newline (truncated?)");
	buf[len - 1] = '\0';
	for (; line != NULL; line = nl) {
		lineno++;
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		if (*line == '\0' || *line == '#')
			continue;
		if (parse_line(line, lineno, path, &seen, p, err, errlen) == -1)
			return -1;
	}
	if (!(seen & KEY_ID))
		return corrupt(
		    err, errlen, path, 0, "no id= line (truncated?)");
	if (!(seen & KEY_EPOCH))
		return corrupt(
		    err, errlen, path, 0, "no epoch= line (truncated?)");
	if (!(seen & KEY_SEQ))
		return corrupt(
		    err, errlen, path, 0, "no seq= line (truncated?)");
	return 0;
}

/* Reads all of fd into buf (len bytes); returns bytes read or -1. */
static ssize_t
read_all(int fd, char *buf, size_t len)
{
	size_t off = 0;
	ssize_t n;

	while (off < len) {
		n = read(fd, buf + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		off += (size_t)n;
	}
	return (ssize_t)off;
}

int
state_load(const char *dir, struct elect_persist *out, char *err, size_t errlen)
{
	char path[4096], buf[STATE_MAX_LEN + 1];
	struct elect_persist p;
	ssize_t n;
	int fd;

	if (state_path(dir, STATE_FILE, path, sizeof(path), err, errlen) == -1)
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT) {
			/* First start: the core makes an id. */
			memset(out, 0, sizeof(*out));
			return 0;
		}
		snprintf(
		    err, errlen, "state: open %s: %s", path, strerror(errno));
		return -1;
	}
	n = read_all(fd, buf, sizeof(buf));
	if (n == -1) {
		snprintf(
		    err, errlen, "state: read %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	if ((size_t)n > STATE_MAX_LEN)
		return corrupt(
		    err, errlen, path, 0, "over %d bytes", STATE_MAX_LEN);
	memset(&p, 0, sizeof(p));
	if (state_parse(buf, (size_t)n, path, &p, err, errlen) == -1)
		return -1;
	*out = p;
	return 0;
}

static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Makes DIR/state's name durable: fsync the directory after rename. */
static int
sync_dir(const char *dir, char *err, size_t errlen)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd == -1 || fsync(fd) == -1) {
		snprintf(
		    err, errlen, "state: fsync %s: %s", dir, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* Writes len bytes to a new temp file in dir, fsynced; its name into
 * tmp ("." name ".XXXXXX"). */
static int
write_temp(const char *dir, const char *name, const void *buf, size_t len,
    char *tmp, size_t tmplen, char *err, size_t errlen)
{
	char pattern[64];
	int fd;

	snprintf(pattern, sizeof(pattern), ".%s.XXXXXX", name);
	if (state_path(dir, pattern, tmp, tmplen, err, errlen) == -1)
		return -1;
	/* mkostemp: a fresh name, O_EXCL, mode 0600. */
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "state: create a file in %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	if (write_all(fd, buf, len) == -1 || fsync(fd) == -1) {
		snprintf(
		    err, errlen, "state: write %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd) == -1) {
		snprintf(
		    err, errlen, "state: close %s: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

int
state_save_file(const char *dir, const char *name, const void *buf, size_t len,
    char *err, size_t errlen)
{
	char path[4096], tmp[4096];

	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		snprintf(
		    err, errlen, "state: mkdir %s: %s", dir, strerror(errno));
		return -1;
	}
	if (state_path(dir, name, path, sizeof(path), err, errlen) == -1)
		return -1;
	if (write_temp(dir, name, buf, len, tmp, sizeof(tmp), err, errlen) ==
	    -1)
		return -1;
	if (rename(tmp, path) == -1) {
		snprintf(err, errlen, "state: rename %s to %s: %s", tmp, path,
		    strerror(errno));
		unlink(tmp);
		return -1;
	}
	return sync_dir(dir, err, errlen);
}

int
state_save(
    const char *dir, const struct elect_persist *p, char *err, size_t errlen)
{
	char text[256], hex[33];

	snprintf(text, sizeof(text),
	    "# qured state: node id, highest epoch, sequence reserved\n"
	    "id=%s\nepoch=%" PRIu64 "\nseq=%" PRIu64 "\n",
	    elect_id_hex(&p->id, hex), p->epoch, p->seq_reserved);
	return state_save_file(
	    dir, STATE_FILE, text, strlen(text), err, errlen);
}

int
state_load_file(const char *dir, const char *name, size_t max, uint8_t **buf,
    size_t *len, char *err, size_t errlen)
{
	char path[4096];
	ssize_t n;
	int fd;

	*buf = NULL;
	*len = 0;
	if (state_path(dir, name, path, sizeof(path), err, errlen) == -1)
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;
		snprintf(
		    err, errlen, "state: open %s: %s", path, strerror(errno));
		return -1;
	}
	if ((*buf = malloc(max + 1)) == NULL) {
		snprintf(err, errlen, "state: read %s: out of memory", path);
		close(fd);
		return -1;
	}
	n = read_all(fd, (char *)*buf, max + 1);
	close(fd);
	if (n == -1 || (size_t)n > max) {
		if (n == -1)
			snprintf(err, errlen, "state: read %s: %s", path,
			    strerror(errno));
		else
			snprintf(err, errlen,
			    "state: %s is over %zu bytes: not ours, or "
			    "damaged; move it away",
			    path, max);
		free(*buf);
		*buf = NULL;
		return -1;
	}
	*len = (size_t)n;
	return 0;
}
