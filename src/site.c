/*
 * src/site.c — the site settings in qured (src/site.h).
 */
#include "config.h"

#include "src/site.h"

#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "base/fds.h"
#include "base/forked.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "election/election.h"
#include "src/state.h"

#define SITE_FILE "site"
#define SITE_MAGIC "QURESITE1\n" /* then the entries, packed */
#define SITE_MAGIC_LEN 10
#define SITE_FILE_MAX (SITE_MAGIC_LEN + SETTINGS_MAX * SETTINGS_WIRE_MAX)
#define PULL_EVERY_MS 200 /* per member: a heartbeat at the defaults */
#define SITE_PEERS ELECT_MAX_MEMBERS

_Static_assert(ELECT_ENTRIES_MAX >= SETTINGS_WIRE_MAX,
    "a STATE must hold the largest settings entry");

/* What we remember per member: when we last pulled it, and where our
 * answers to its pulls stopped. */
struct site_peer {
	struct elect_id id;
	uint64_t pulled_ms;
	struct settings_cursor cur;
};

struct site {
	struct event_base *base;
	char dir[4096];
	uint64_t origin;
	struct settings *set;
	site_send_cb *send;
	site_changed_cb *changed;
	void *arg;
	struct site_peer peers[SITE_PEERS];
	size_t npeers;
	struct site_counters ctr;
	/* The writer: one child at a time; dirty: write again after it. */
	pid_t writer;
	int writer_fd;
	struct event *writer_ev;
	bool dirty, write_failing;
};

static uint64_t
origin_of(const struct elect_id *id)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | id->b[i];
	return v;
}

/* DIR/site into set; quiet: say nothing of a damaged file. */
static int
load(
    const char *dir, struct settings *set, bool quiet, char *err, size_t errlen)
{
	uint8_t *buf;
	size_t len, bad;

	if (state_load_file(
		dir, SITE_FILE, SITE_FILE_MAX, &buf, &len, err, errlen) == -1)
		return -1;
	if (buf == NULL)
		return 0;
	if (len < SITE_MAGIC_LEN || memcmp(buf, SITE_MAGIC, SITE_MAGIC_LEN)) {
		if (!quiet)
			log_warnx("site: %s/%s is not a settings file; "
				  "starting without it (the members' settings "
				  "come back)",
			    dir, SITE_FILE);
	} else {
		(void)settings_unpack(
		    set, buf + SITE_MAGIC_LEN, len - SITE_MAGIC_LEN, &bad);
		if (bad > 0 && !quiet)
			log_warnx("site: %s/%s is damaged: the entries from "
				  "the first bad one on are left out (the "
				  "members' copies come back)",
			    dir, SITE_FILE);
	}
	free(buf);
	return 0;
}

struct settings *
site_peek(const char *dir)
{
	struct settings *set = settings_new();
	char err[256];

	if (set == NULL)
		abort();
	if (load(dir, set, true, err, sizeof(err)) == -1) {
		settings_free(set);
		return NULL;
	}
	return set;
}

struct site *
site_new(struct event_base *base, const char *dir,
    const struct elect_id *origin, site_send_cb *send, site_changed_cb *changed,
    void *arg, char *err, size_t errlen)
{
	struct site *s;

	s = xcalloc(1, sizeof(*s));
	s->base = base;
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	s->origin = origin_of(origin);
	s->set = settings_new();
	if (s->set == NULL)
		abort();
	s->send = send;
	s->changed = changed;
	s->arg = arg;
	s->writer_fd = -1;
	if (load(dir, s->set, false, err, errlen) == -1) {
		settings_free(s->set);
		free(s);
		return NULL;
	}
	return s;
}

static void
reap_writer(struct site *s, int flags)
{
	if (s->writer > 0 && waitpid(s->writer, NULL, flags) != 0)
		s->writer = 0;
}

static uint8_t *pack_all(const struct site *s, size_t *len);

/*
 * At the end: the writer finishes its rename, then what changed since
 * is written here, in the loop's last moments (a stop must not lose a
 * set that came just before it).
 */
void
site_free(struct site *s)
{
	char err[300];
	uint8_t *buf;
	size_t len;

	if (s == NULL)
		return;
	if (s->writer_ev != NULL) {
		event_free(s->writer_ev);
		s->dirty = true; /* its answer will not be read */
	}
	if (s->writer_fd != -1)
		close(s->writer_fd);
	reap_writer(s, 0);
	if (s->dirty) {
		buf = pack_all(s, &len);
		if (state_save_file(
			s->dir, SITE_FILE, buf, len, err, sizeof(err)) == -1)
			log_warnx(
			    "site: the last changes are not kept: %s", err);
		free(buf);
	}
	settings_free(s->set);
	free(s);
}

const struct settings *
site_settings(const struct site *s)
{
	return s->set;
}

void
site_get_counters(const struct site *s, struct site_counters *out)
{
	*out = s->ctr;
}

/* ---- DIR/site, written by a child ---- */

static void write_file(struct site *);

static void __attribute__((__noreturn__))
writer_main(int fd, const char *dir, const uint8_t *buf, size_t len)
{
	char msg[300];

	forked_reset_signals();
	fds_close_except(&fd, 1);
	msg[0] = '1';
	if (state_save_file(
		dir, SITE_FILE, buf, len, msg + 1, sizeof(msg) - 1) == -1)
		msg[0] = '0';
	else
		msg[1] = '\0';
	(void)!write(fd, msg, strlen(msg));
	_exit(0);
}

static void
writer_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct site *s = arg;
	char msg[300] = "";
	ssize_t n;

	(void)what;
	n = read(fd, msg, sizeof(msg) - 1);
	msg[n > 0 ? n : 0] = '\0';
	event_free(s->writer_ev);
	s->writer_ev = NULL;
	close(s->writer_fd);
	s->writer_fd = -1;
	reap_writer(s, WNOHANG);
	if (msg[0] == '1') {
		if (s->write_failing)
			log_info(
			    "site: %s/%s written again", s->dir, SITE_FILE);
		s->write_failing = false;
	} else {
		s->ctr.write_failed++;
		if (!s->write_failing) /* once until it works again */
			log_warnx("site: the settings live on in memory and "
				  "at the members, but %s",
			    msg[0] == '0' ? msg + 1 : "the writer died");
		s->write_failing = true;
	}
	if (s->dirty)
		write_file(s);
}

/* The packed settings: magic, then every entry. */
static uint8_t *
pack_all(const struct site *s, size_t *len)
{
	uint8_t *buf = xcalloc(1, SITE_FILE_MAX);
	size_t i, n;

	memcpy(buf, SITE_MAGIC, SITE_MAGIC_LEN);
	*len = SITE_MAGIC_LEN;
	for (i = 0; i < settings_count(s->set); i++) {
		n = settings_entry_encode(
		    settings_at(s->set, i), buf + *len, SITE_FILE_MAX - *len);
		*len += n;
	}
	return buf;
}

static void
write_file(struct site *s)
{
	int p[2];
	uint8_t *buf;
	size_t len;
	pid_t pid;

	if (s->writer_ev != NULL) { /* one at a time; again after it */
		s->dirty = true;
		return;
	}
	s->dirty = false;
	reap_writer(s, WNOHANG);
	if (pipe2(p, O_CLOEXEC) == -1) {
		log_warn("site: cannot write %s/%s: pipe", s->dir, SITE_FILE);
		s->ctr.write_failed++;
		return;
	}
	buf = pack_all(s, &len);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		writer_main(p[1], s->dir, buf, len);
	}
	free(buf);
	close(p[1]);
	if (pid == -1) {
		log_warn("site: cannot write %s/%s: fork", s->dir, SITE_FILE);
		close(p[0]);
		s->ctr.write_failed++;
		return;
	}
	s->writer = pid;
	s->writer_fd = p[0];
	s->writer_ev = event_new(s->base, p[0], EV_READ, writer_done_cb, s);
	event_add(s->writer_ev, NULL);
}

/* ---- in step with the members ---- */

static void
changed(struct site *s)
{
	write_file(s);
	s->changed(
	    s->arg, settings_digest(s->set), (uint16_t)settings_count(s->set));
}

enum settings_err
site_set(struct site *s, const char *key, const char *value, uint64_t epoch)
{
	const struct settings_entry *e;
	uint8_t buf[SETTINGS_WIRE_MAX];
	enum settings_err err;
	struct elect_addr group = {.family = 0};
	size_t n;

	/* Unsetting what is not set changes nothing, and takes no slot. */
	e = settings_find(s->set, key);
	if (value == NULL && (e == NULL || e->value == NULL))
		return settings_check_key(key);
	err = settings_set(s->set, key, value, value ? strlen(value) : 0,
	    s->origin, epoch, NULL);
	if (err != SETTINGS_OK)
		return err;
	e = settings_find(s->set, key);
	n = settings_entry_encode(e, buf, sizeof(buf));
	s->send(s->arg, &group, buf, n, NULL);
	changed(s);
	return SETTINGS_OK;
}

/* The member's slot (a new one, or the oldest pulled, when full). */
static struct site_peer *
peer_of(struct site *s, const struct elect_id *id)
{
	struct site_peer *p, *oldest = NULL;
	size_t i;

	for (i = 0; i < s->npeers; i++) {
		p = &s->peers[i];
		if (memcmp(p->id.b, id->b, sizeof(id->b)) == 0)
			return p;
		if (oldest == NULL || p->pulled_ms < oldest->pulled_ms)
			oldest = p;
	}
	p = s->npeers < SITE_PEERS ? &s->peers[s->npeers++] : oldest;
	memset(p, 0, sizeof(*p));
	p->id = *id;
	return p;
}

/* A pull: our digest per range (the STATE carries our whole digest
 * too, so the member pulls us in turn if it lacks something of ours). */
void
site_on_differs(struct site *s, const struct elect_id *peer,
    const struct elect_addr *src, uint64_t now_ms)
{
	struct site_peer *p = peer_of(s, peer);
	uint64_t ranges[SETTINGS_RANGES];

	if (p->pulled_ms != 0 && now_ms < p->pulled_ms + PULL_EVERY_MS)
		return;
	p->pulled_ms = now_ms; /* first: the send may come back to us */
	settings_range_digests(s->set, ranges);
	s->send(s->arg, src, NULL, 0, ranges);
}

void
site_on_state(struct site *s, const struct elect_id *peer,
    const struct elect_addr *src, const uint8_t *entries, size_t len,
    const uint64_t *ranges, uint64_t now_ms)
{
	struct site_peer *p = peer_of(s, peer);
	uint8_t buf[ELECT_ENTRIES_MAX];
	size_t bad, n;

	if (len > 0) {
		if (settings_unpack(s->set, entries, len, &bad) > 0)
			changed(s);
		s->ctr.rx_bad += bad;
	}
	if (ranges == NULL)
		return;
	/* An answer is entries alone: what the puller holds that we lack
	 * comes from our own pull, which its digest (ELECT_ACT_SITE_DIFFERS,
	 * before this) set off. */
	(void)now_ms;
	n = settings_pack(s->set, ranges, &p->cur, buf, sizeof(buf));
	if (n > 0)
		s->send(s->arg, src, buf, n, NULL);
}
