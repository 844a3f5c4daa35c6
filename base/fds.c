/*
 * base/fds.c — closing a child's inherited descriptors (base/fds.h).
 */
#include "config.h"

#include <assert.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fds.h"

/* Without close_range (a kernel before 5.9): a loop, bounded. */
#define FDS_LOOP_MAX 65536

static void
close_span(unsigned int lo, unsigned int hi)
{
	unsigned int fd;

	if (lo > hi)
		return;
	if (close_range(lo, hi, 0) == 0)
		return;
	for (fd = lo; fd <= hi && fd < FDS_LOOP_MAX; fd++)
		(void)close((int)fd);
}

static int
cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

void
fds_close_except(const int *keep, size_t n)
{
	int sorted[FDS_KEEP_MAX];
	unsigned int lo = 3;
	size_t i, m = 0;

	/* More would be closed without a word: a caller's bug. */
	assert(n <= FDS_KEEP_MAX);
	for (i = 0; i < n; i++)
		if (keep[i] >= 3)
			sorted[m++] = keep[i];
	qsort(sorted, m, sizeof(sorted[0]), cmp_int);
	for (i = 0; i < m; i++) {
		if ((unsigned int)sorted[i] < lo)
			continue; /* a duplicate */
		if ((unsigned int)sorted[i] > lo)
			close_span(lo, (unsigned int)sorted[i] - 1);
		lo = (unsigned int)sorted[i] + 1;
	}
	close_span(lo, ~0U);
}

int
fds_find_path(const char *path)
{
	char link[64], target[PATH_MAX];
	struct dirent *e;
	int found = -1, fd;
	DIR *d;
	ssize_t len;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return -1;
	while (found == -1 && (e = readdir(d)) != NULL) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		fd = atoi(e->d_name);
		if (fd == dirfd(d))
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		len = readlink(link, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		if (strcmp(target, path) == 0)
			found = fd;
	}
	closedir(d);
	return found;
}
