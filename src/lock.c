#include "config.h"

#include "src/lock.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
lock_note_pid(int fd)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());

	/* Only for the message of a second instance: failure is harmless. */
	if (ftruncate(fd, 0) == 0 && n > 0)
		(void)!pwrite(fd, buf, (size_t)n, 0);
}

/* The pid a holder wrote into the lock file; -1 if unreadable. */
static long
holder_pid(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 10) > 0 ? strtol(buf, NULL, 10) : -1;
}

int
lock_state_dir(const char *dir, char *err, size_t errlen)
{
	char path[4096];
	int fd, n;
	long pid;

	n = snprintf(path, sizeof(path), "%s/%s", dir, LOCK_FILE);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		snprintf(err, errlen, "lock: %s: path too long", dir);
		return -1;
	}
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		snprintf(
		    err, errlen, "lock: mkdir %s: %s", dir, strerror(errno));
		return -1;
	}
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1) {
		snprintf(err, errlen, "lock: %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK && (pid = holder_pid(fd)) != -1)
			snprintf(err, errlen,
			    "another qured (pid %ld) holds the lock %s; not "
			    "starting",
			    pid, path);
		else if (errno == EWOULDBLOCK)
			snprintf(err, errlen,
			    "another qured holds the lock %s; not starting",
			    path);
		else
			snprintf(err, errlen, "lock: flock %s: %s", path,
			    strerror(errno));
		close(fd);
		return -1;
	}
	lock_note_pid(fd);
	return fd;
}
