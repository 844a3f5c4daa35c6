/*
 * tests/unit/test_textfile.c — base/textfile.c: a file read whole, and
 * the one-line errors.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/textfile.h"

#define PATH_TEMPLATE "/tmp/qure-textfile.XXXXXX"

/* A new temporary file holding len bytes of data, its name in path
 * (PATH_TEMPLATE's size); the test unlinks it. */
static void
temp_file(char *path, const char *data, size_t len)
{
	int fd;
	FILE *fp;

	memcpy(path, PATH_TEMPLATE, sizeof(PATH_TEMPLATE));
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_non_null(fp = fdopen(fd, "w"));
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

/* Reads path and checks its text is want. */
static void
assert_reads(const char *path, const char *want)
{
	char err[128], *text = textfile_read(path, err, sizeof(err));

	assert_non_null(text);
	assert_string_equal(text, want);
	free(text);
}

static void
a_file_comes_back_whole(void **state)
{
	char path[sizeof(PATH_TEMPLATE)];

	(void)state;
	temp_file(path, "[cluster]\nkey-file = k\n", 23);
	assert_reads(path, "[cluster]\nkey-file = k\n");
	unlink(path);
}

static void
a_nul_ends_the_text(void **state)
{
	char path[sizeof(PATH_TEMPLATE)];

	(void)state;
	temp_file(path, "a = 1\n\0b = 2\n", 13);
	assert_reads(path, "a = 1\n");
	unlink(path);
}

static void
an_empty_file_is_an_empty_text(void **state)
{
	char path[sizeof(PATH_TEMPLATE)];

	(void)state;
	temp_file(path, "", 0);
	assert_reads(path, "");
	unlink(path);
}

static void
errors_name_the_file_and_why(void **state)
{
	char path[sizeof(PATH_TEMPLATE)], err[128];

	(void)state;
	temp_file(path, "", 0);
	unlink(path);
	assert_null(textfile_read(path, err, sizeof(err)));
	assert_non_null(strstr(err, "No such file or directory"));
	assert_non_null(strstr(err, path));
	/* A directory opens but does not read. */
	assert_null(textfile_read("/", err, sizeof(err)));
	assert_string_equal(err, "/: cannot read it");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_file_comes_back_whole),
	    cmocka_unit_test(a_nul_ends_the_text),
	    cmocka_unit_test(an_empty_file_is_an_empty_text),
	    cmocka_unit_test(errors_name_the_file_and_why),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
