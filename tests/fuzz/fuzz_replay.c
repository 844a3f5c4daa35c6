/*
 * tests/fuzz/fuzz_replay.c — runs a libFuzzer target without libFuzzer.
 *
 * Linked with a target's LLVMFuzzerTestOneInput, it feeds it every file
 * named on the command line and every regular file of every directory
 * named there (not recursive, in name order), so `make check` replays the
 * seed corpus and every past crash with any compiler. Without arguments
 * it replays FUZZ_CORPUS, the directory the build compiled in.
 *
 * Each input is copied into a buffer of exactly its size, so that a read
 * past its end is caught by AddressSanitizer as it would be under
 * libFuzzer. Exits 0 after at least one input, 1 on an unreadable file or
 * an empty corpus (a missing corpus must not pass for a clean one); a
 * broken promise inside the target aborts.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Larger files are not inputs a target could have been given. */
#define REPLAY_MAX (1u << 20)

static int
replay_file(const char *path, size_t *n)
{
	uint8_t *data = NULL;
	size_t size;
	struct stat st;
	FILE *f;
	int ret = -1;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) == -1 || st.st_size < 0 ||
	    (uintmax_t)st.st_size > REPLAY_MAX) {
		fprintf(stderr, "replay: %s: unreadable or over %u bytes\n",
		    path, REPLAY_MAX);
		goto done;
	}
	size = (size_t)st.st_size;
	/* malloc(0) may return NULL: one byte more, never read. */
	if ((data = malloc(size ? size : 1)) == NULL ||
	    fread(data, 1, size, f) != size) {
		fprintf(stderr, "replay: %s: short read\n", path);
		goto done;
	}
	LLVMFuzzerTestOneInput(data, size);
	(*n)++;
	ret = 0;
done:
	free(data);
	fclose(f);
	return ret;
}

static int
is_visible(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static int
replay_dir(const char *dir, size_t *n)
{
	struct dirent **ents;
	char path[4096];
	struct stat st;
	int i, count, ret = 0;

	if ((count = scandir(dir, &ents, is_visible, alphasort)) == -1) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < count; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
			ents[i]->d_name) >= sizeof(path)) {
			fprintf(stderr, "replay: %s/%s: path too long\n", dir,
			    ents[i]->d_name);
			ret = -1;
		} else if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
			   replay_file(path, n) == -1)
			ret = -1;
		free(ents[i]);
	}
	free(ents);
	return ret;
}

static int
replay_path(const char *path, size_t *n)
{
	struct stat st;

	if (stat(path, &st) == -1) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return S_ISDIR(st.st_mode) ? replay_dir(path, n) : replay_file(path, n);
}

int
main(int argc, char **argv)
{
	size_t n = 0;
	int i, ret = 0;

#ifdef FUZZ_CORPUS
	static char corpus[] = FUZZ_CORPUS;
	char *def[] = {argv[0], corpus, NULL};

	if (argc < 2) {
		argv = def;
		argc = 2;
	}
#endif
	if (argc < 2) {
		fprintf(stderr, "usage: %s file-or-dir...\n", argv[0]);
		return 1;
	}
	for (i = 1; i < argc; i++)
		if (replay_path(argv[i], &n) == -1)
			ret = 1;
	printf("replay: %zu inputs\n", n);
	if (n == 0) {
		fprintf(stderr, "replay: no input found\n");
		return 1;
	}
	return ret;
}
