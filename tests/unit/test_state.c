/*
 * tests/unit/test_state.c — the state dir: round trip, first start,
 * corrupt and truncated files, a dir that cannot be written. Each test
 * works in its own fresh directory under /tmp.
 */
#include "config.h"

#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "base/clock.h"
#include "election/election.h"
#include "src/lock.h"
#include "src/state.h"
#include "src/state_writer.h"

struct fx {
	char top[64];	/* mkdtemp'd, removed by teardown */
	char dir[128];	/* top/qured: the state dir, absent at start */
	char path[160]; /* dir/state */
	char err[512];
};

static int
setup(void **state)
{
	static struct fx fx;
	struct fx *f = &fx;

	memset(f, 0, sizeof(*f));
	snprintf(f->top, sizeof(f->top), "/tmp/qure-test-state.XXXXXX");
	assert_non_null(mkdtemp(f->top));
	assert_true(snprintf(f->dir, sizeof(f->dir), "%s/qured", f->top) <
		    (int)sizeof(f->dir));
	assert_true(snprintf(f->path, sizeof(f->path), "%s/%s", f->dir,
			STATE_FILE) < (int)sizeof(f->path));
	*state = f;
	return 0;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	chmod(f->dir, 0700);
	return nftw(f->top, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static struct elect_persist
sample(void)
{
	struct elect_persist p;

	assert_int_equal(
	    elect_id_parse("00112233445566778899aabbccddeeff", &p.id), 0);
	p.epoch = 12;
	p.seq_reserved = 4096;
	return p;
}

/* Writes text as the state file (making the dir). */
static void
put_file(struct fx *f, const char *text, size_t len)
{
	FILE *fp;

	mkdir(f->dir, 0700);
	fp = fopen(f->path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

/* Loads a file holding text; expects a failure whose message has want. */
static void
load_fails(struct fx *f, const char *text, size_t len, const char *want)
{
	struct elect_persist p = sample(), before = p;

	put_file(f, text, len);
	f->err[0] = '\0';
	assert_int_equal(state_load(f->dir, &p, f->err, sizeof(f->err)), -1);
	if (strstr(f->err, want) == NULL || strstr(f->err, f->path) == NULL ||
	    strstr(f->err, "remove it to start as a new node") == NULL)
		fail_msg("wanted \"%s\" and the path in: %s", want, f->err);
	assert_memory_equal(&p, &before, sizeof(p));
}

/* Entries of dir but . and .. */
static size_t
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n +=
		    strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void
saved_state_loads_back_identical(void **state)
{
	struct fx *f = *state;
	struct elect_persist p = sample(), q;

	p.epoch = UINT64_MAX;
	p.seq_reserved = UINT64_MAX - 1;
	assert_int_equal(state_save(f->dir, &p, f->err, sizeof(f->err)), 0);
	memset(&q, 0xa5, sizeof(q));
	assert_int_equal(state_load(f->dir, &q, f->err, sizeof(f->err)), 0);
	assert_memory_equal(&q.id, &p.id, sizeof(p.id));
	assert_true(q.epoch == p.epoch);
	assert_true(q.seq_reserved == p.seq_reserved);
}

static void
saved_file_is_the_documented_text(void **state)
{
	struct fx *f = *state;
	struct elect_persist p = sample();
	char buf[512] = "";
	FILE *fp;

	assert_int_equal(state_save(f->dir, &p, f->err, sizeof(f->err)), 0);
	fp = fopen(f->path, "r");
	assert_non_null(fp);
	assert_true(fread(buf, 1, sizeof(buf) - 1, fp) > 0);
	fclose(fp);
	assert_string_equal(buf,
	    "# qured state: node id, highest epoch, sequence reserved\n"
	    "id=00112233445566778899aabbccddeeff\n"
	    "epoch=12\n"
	    "seq=4096\n");
}

static void
save_creates_a_private_dir_and_file_and_leaves_no_temp(void **state)
{
	struct fx *f = *state;
	struct elect_persist p = sample();
	struct stat st;

	assert_int_equal(state_save(f->dir, &p, f->err, sizeof(f->err)), 0);
	assert_int_equal(stat(f->dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	p.epoch++;
	assert_int_equal(state_save(f->dir, &p, f->err, sizeof(f->err)), 0);
	assert_int_equal(count_entries(f->dir), 1);
}

static void
a_second_save_replaces_the_first(void **state)
{
	struct fx *f = *state;
	struct elect_persist p = sample(), q;

	assert_int_equal(state_save(f->dir, &p, f->err, sizeof(f->err)), 0);
	p.epoch = 13;
	p.seq_reserved = 5120;
	assert_int_equal(state_save(f->dir, &p, f->err, sizeof(f->err)), 0);
	assert_int_equal(state_load(f->dir, &q, f->err, sizeof(f->err)), 0);
	assert_true(q.epoch == 13);
	assert_true(q.seq_reserved == 5120);
}

static void
absent_file_or_dir_is_a_first_start_with_zeroed_state(void **state)
{
	struct fx *f = *state;
	struct elect_persist p;

	memset(&p, 0xa5, sizeof(p));
	assert_int_equal(state_load(f->dir, &p, f->err, sizeof(f->err)), 0);
	assert_true(elect_id_is_zero(&p.id));
	assert_true(p.epoch == 0);
	assert_true(p.seq_reserved == 0);
	assert_int_equal(mkdir(f->dir, 0700), 0);
	memset(&p, 0xa5, sizeof(p));
	assert_int_equal(state_load(f->dir, &p, f->err, sizeof(f->err)), 0);
	assert_true(elect_id_is_zero(&p.id) && p.epoch == 0);
}

static void
comments_and_blank_lines_are_allowed_in_any_order(void **state)
{
	struct fx *f = *state;
	const char text[] = "\n# hand-restored\nseq=7\n\nepoch=3\n"
			    "id=ffeeddccbbaa99887766554433221100\n";
	struct elect_persist p;

	put_file(f, text, strlen(text));
	assert_int_equal(state_load(f->dir, &p, f->err, sizeof(f->err)), 0);
	assert_true(p.epoch == 3 && p.seq_reserved == 7);
	assert_int_equal(p.id.b[0], 0xff);
}

#define ID "id=00112233445566778899aabbccddeeff\n"
#define T(s) s, sizeof(s) - 1

static void
corrupt_files_are_refused_naming_the_file_line_and_fix(void **state)
{
	struct fx *f = *state;

	load_fails(f, T(ID "epoch=12x\nseq=1\n"), ":2: epoch: bad value");
	load_fails(f, T(ID "epoch=-1\nseq=1\n"), "epoch: bad value");
	load_fails(
	    f, T(ID "epoch=18446744073709551616\nseq=1\n"), "epoch: bad value");
	load_fails(f, T(ID "epoch=1\nseq=\n"), ":3: seq: bad value");
	load_fails(f, T("id=0011zz\nepoch=1\nseq=1\n"),
	    ":1: id: bad value \"0011zz\" (32 hex digits)");
	load_fails(f, T(ID "epoch=1\nseq=1\ncolour=blue\n"),
	    ":4: unknown key \"colour\"");
	load_fails(
	    f, T(ID "epoch=1\nepoch=2\nseq=1\n"), ":3: epoch: given twice");
	load_fails(f, T(ID "epoch 1\nseq=1\n"), ":2: not key=value");
	load_fails(f, T(ID "epoch=1\0\nseq=1\n"), "binary data");
}

static void
oversized_file_is_refused(void **state)
{
	struct fx *f = *state;
	char big[8192];

	memset(big, '#', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	load_fails(f, big, sizeof(big), "over 4096 bytes");
}

static void
truncated_files_are_refused(void **state)
{
	struct fx *f = *state;

	load_fails(f, "", 0, "empty (truncated?)");
	load_fails(f, T(ID "epoch=1\nseq=1"), "last line has no newline");
	load_fails(f, T(ID "epoch=1\n"), "no seq= line (truncated?)");
	load_fails(f, T(ID), "no epoch= line");
	load_fails(f, T("epoch=1\nseq=1\n"), "no id= line");
	load_fails(f, T("id=0011223344\n"), ":1: id: bad value");
}

static void
a_dir_that_is_a_file_cannot_be_written_and_says_why(void **state)
{
	struct fx *f = *state;
	struct elect_persist p = sample();
	FILE *fp = fopen(f->dir, "w");

	assert_non_null(fp);
	fclose(fp);
	assert_int_equal(state_save(f->dir, &p, f->err, sizeof(f->err)), -1);
	if (strstr(f->err, f->dir) == NULL ||
	    strstr(f->err, "Not a directory") == NULL)
		fail_msg("unexpected error: %s", f->err);
}

static void
a_dir_under_a_missing_parent_is_not_created(void **state)
{
	struct fx *f = *state;
	struct elect_persist p = sample();
	char dir[256];

	snprintf(dir, sizeof(dir), "%s/no/such", f->top);
	assert_int_equal(state_save(dir, &p, f->err, sizeof(f->err)), -1);
	if (strstr(f->err, "state: mkdir ") == NULL ||
	    strstr(f->err, "No such file or directory") == NULL)
		fail_msg("unexpected error: %s", f->err);
}

static void
a_read_only_dir_keeps_the_old_file(void **state)
{
	struct fx *f = *state;
	struct elect_persist p = sample(), q;

	if (geteuid() == 0)
		skip(); /* root writes through mode bits */
	assert_int_equal(state_save(f->dir, &p, f->err, sizeof(f->err)), 0);
	assert_int_equal(chmod(f->dir, 0500), 0);
	p.epoch = 99;
	assert_int_equal(state_save(f->dir, &p, f->err, sizeof(f->err)), -1);
	assert_non_null(strstr(f->err, "Permission denied"));
	assert_int_equal(state_load(f->dir, &q, f->err, sizeof(f->err)), 0);
	assert_true(q.epoch == 12);
}

static void
an_unreadable_file_is_an_error_not_a_first_start(void **state)
{
	struct fx *f = *state;
	struct elect_persist p;

	/* A directory where the file should be: open works, read fails. */
	assert_int_equal(mkdir(f->dir, 0700), 0);
	assert_int_equal(mkdir(f->path, 0700), 0);
	assert_int_equal(state_load(f->dir, &p, f->err, sizeof(f->err)), -1);
	if (strstr(f->err, f->path) == NULL ||
	    strstr(f->err, "Is a directory") == NULL)
		fail_msg("unexpected error: %s", f->err);
}

/* ---- the writer child (D4) ---- */

struct answer {
	int n;
	bool ok;
	char err[512];
};

static void
answered(void *arg, bool ok, const char *err)
{
	struct answer *a = arg;

	a->n++;
	a->ok = ok;
	snprintf(a->err, sizeof(a->err), "%s", err);
}

/* Runs base until a is answered, 5 s at most. */
static void
pump(struct event_base *base, struct answer *a)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (a->n == 0) {
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec > t0.tv_sec + 5)
			fail_msg("the writer did not answer within 5 s");
		usleep(1000);
	}
}

static void
writer_saves_off_the_loop_and_answers(void **state)
{
	struct fx *f = *state;
	struct event_base *base = event_base_new();
	struct answer a = {0};
	struct state_writer *w = state_writer_new(base, f->dir, answered, &a);
	struct elect_persist p = sample(), q;

	assert_non_null(w);
	assert_int_equal(state_writer_save(w, &p, f->err, sizeof(f->err)), 0);
	assert_true(state_writer_busy(w));
	/* One at a time: a second save is refused until the answer. */
	assert_int_equal(state_writer_save(w, &p, f->err, sizeof(f->err)), -1);
	pump(base, &a);
	assert_int_equal(a.n, 1);
	assert_true(a.ok);
	assert_false(state_writer_busy(w));
	assert_int_equal(state_load(f->dir, &q, f->err, sizeof(f->err)), 0);
	assert_memory_equal(&p, &q, sizeof(p));
	/* The same child takes the next one. */
	p.epoch = 77;
	a.n = 0;
	assert_int_equal(state_writer_save(w, &p, f->err, sizeof(f->err)), 0);
	pump(base, &a);
	assert_true(a.ok);
	assert_int_equal(state_load(f->dir, &q, f->err, sizeof(f->err)), 0);
	assert_true(q.epoch == 77);
	state_writer_free(w);
	event_base_free(base);
}

static void
writer_reports_a_refused_write_with_path_and_errno(void **state)
{
	struct fx *f = *state;
	struct event_base *base = event_base_new();
	struct answer a = {0};
	struct state_writer *w = state_writer_new(base, f->dir, answered, &a);
	struct elect_persist p = sample();
	FILE *fp = fopen(f->dir, "w"); /* the dir is a file: ENOTDIR */

	assert_non_null(fp);
	fclose(fp);
	assert_int_equal(state_writer_save(w, &p, f->err, sizeof(f->err)), 0);
	pump(base, &a);
	assert_false(a.ok);
	if (strstr(a.err, f->dir) == NULL ||
	    strstr(a.err, "Not a directory") == NULL)
		fail_msg("unexpected error: %s", a.err);
	state_writer_free(w);
	event_base_free(base);
}

/* The one live child of this process (the writer; earlier tests' ended
 * writers may linger as zombies), from /proc. */
static pid_t
only_child(void)
{
	char path[64], st;
	long pid, found = 0;
	FILE *fp, *sp;

	snprintf(
	    path, sizeof(path), "/proc/self/task/%ld/children", (long)getpid());
	fp = fopen(path, "r");
	assert_non_null(fp);
	while (fscanf(fp, "%ld", &pid) == 1) {
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		if ((sp = fopen(path, "r")) == NULL)
			continue;
		if (fscanf(sp, "%*d %*s %c", &st) == 1 && st != 'Z') {
			assert_int_equal(found, 0);
			found = pid;
		}
		fclose(sp);
	}
	fclose(fp);
	assert_true(found > 0);
	return (pid_t)found;
}

static void
ticked(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(*(int *)arg)++;
}

static void
a_hung_write_never_blocks_the_loop(void **state)
{
	struct fx *f = *state;
	struct event_base *base = event_base_new();
	struct answer a = {0};
	struct state_writer *w = state_writer_new(base, f->dir, answered, &a);
	struct elect_persist p = sample();
	struct timeval every = {0, 10000};
	struct event *tick;
	struct timespec t0, t;
	int ticks = 0;
	pid_t child;

	assert_int_equal(state_writer_save(w, &p, f->err, sizeof(f->err)), 0);
	pump(base, &a);
	/* The writer hangs (an fsync on a dead disk, here SIGSTOP). */
	child = only_child();
	assert_int_equal(kill(child, SIGSTOP), 0);
	a.n = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(state_writer_save(w, &p, f->err, sizeof(f->err)), 0);
	clock_gettime(CLOCK_MONOTONIC, &t);
	assert_true(t.tv_sec - t0.tv_sec <= 1); /* returned at once */
	tick = event_new(base, -1, EV_PERSIST, ticked, &ticks);
	event_add(tick, &every);
	while (ticks < 20) /* 200 ms of a loop that keeps running */
		event_base_loop(base, EVLOOP_ONCE);
	assert_int_equal(a.n, 0);
	assert_true(state_writer_busy(w));
	assert_int_equal(kill(child, SIGCONT), 0);
	pump(base, &a);
	assert_true(a.ok);
	event_free(tick);
	state_writer_free(w);
	event_base_free(base);
}

static void
writer_keeps_the_state_dir_lock_while_it_lives(void **state)
{
	struct fx *f = *state;
	struct event_base *base = event_base_new();
	struct answer a = {0};
	struct state_writer *w = state_writer_new(base, f->dir, answered, &a);
	struct elect_persist p = sample();
	struct timespec t0, t;
	int fd, again = -1;

	fd = lock_state_dir(f->dir, f->err, sizeof(f->err));
	assert_true(fd >= 0);
	assert_int_equal(state_writer_save(w, &p, f->err, sizeof(f->err)), 0);
	pump(base, &a);
	assert_true(a.ok);
	/* The daemon dies (its descriptor goes): the writer child still
	 * holds the lock, so no new qured rewrites the state under it. */
	close(fd);
	assert_int_equal(lock_state_dir(f->dir, f->err, sizeof(f->err)), -1);
	/* The writer ends (EOF): the lock is free again. */
	state_writer_free(w);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((again = lock_state_dir(f->dir, f->err, sizeof(f->err))) == -1) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec > t0.tv_sec + 5)
			fail_msg("the lock stayed taken: %s", f->err);
		usleep(5000);
	}
	close(again);
	event_base_free(base);
}

/*
 * The clock (base/clock.c) has no binary of its own; it is checked here.
 * It must be CLOCK_BOOTTIME (counts suspended time), read in ms.
 */
static uint64_t
boottime_ms(void)
{
	struct timespec ts;

	assert_int_equal(clock_gettime(CLOCK_BOOTTIME, &ts), 0);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
clock_reads_boottime_in_ms_and_never_goes_backwards(void **state)
{
	struct timespec pause = {0, 30 * 1000000};
	uint64_t lo, now, hi, prev;
	int i;

	(void)state;
	lo = boottime_ms();
	now = clock_now_ms();
	hi = boottime_ms();
	assert_true(lo <= now && now <= hi);
	prev = now;
	nanosleep(&pause, NULL);
	now = clock_now_ms();
	assert_true(now >= prev + 30);
	for (i = 0; i < 100000; i++, prev = now)
		assert_true((now = clock_now_ms()) >= prev);
}

#define U(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    U(saved_state_loads_back_identical),
	    U(saved_file_is_the_documented_text),
	    U(save_creates_a_private_dir_and_file_and_leaves_no_temp),
	    U(a_second_save_replaces_the_first),
	    U(absent_file_or_dir_is_a_first_start_with_zeroed_state),
	    U(comments_and_blank_lines_are_allowed_in_any_order),
	    U(corrupt_files_are_refused_naming_the_file_line_and_fix),
	    U(oversized_file_is_refused),
	    U(truncated_files_are_refused),
	    U(a_dir_that_is_a_file_cannot_be_written_and_says_why),
	    U(a_dir_under_a_missing_parent_is_not_created),
	    U(a_read_only_dir_keeps_the_old_file),
	    U(an_unreadable_file_is_an_error_not_a_first_start),
	    U(writer_saves_off_the_loop_and_answers),
	    U(writer_reports_a_refused_write_with_path_and_errno),
	    U(writer_keeps_the_state_dir_lock_while_it_lives),
	    U(a_hung_write_never_blocks_the_loop),
	    cmocka_unit_test(
		clock_reads_boottime_in_ms_and_never_goes_backwards),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
