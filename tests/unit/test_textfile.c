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

static void
write_file(const char *path, const char *data, size_t len)
{
	FILE *fp = fopen(path, "we");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static void
a_file_comes_back_whole(void **state)
{
	char path[] = "/tmp/qure-textfile.XXXXXX", err[128];
	char *text;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	write_file(path, "[cluster]\nkey-file = k\n", 23);
	text = textfile_read(path, err, sizeof(err));
	assert_non_null(text);
	assert_string_equal(text, "[cluster]\nkey-file = k\n");
	free(text);
	unlink(path);
}

static void
a_nul_ends_the_text(void **state)
{
	char path[] = "/tmp/qure-textfile.XXXXXX", err[128];
	char *text;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	write_file(path, "a = 1\n\0b = 2\n", 13);
	text = textfile_read(path, err, sizeof(err));
	assert_non_null(text);
	assert_string_equal(text, "a = 1\n");
	free(text);
	unlink(path);
}

static void
an_empty_file_is_an_empty_text(void **state)
{
	char path[] = "/tmp/qure-textfile.XXXXXX", err[128];
	char *text;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	text = textfile_read(path, err, sizeof(err));
	assert_non_null(text);
	assert_string_equal(text, "");
	free(text);
	unlink(path);
}

static void
errors_name_the_file_and_why(void **state)
{
	char path[] = "/tmp/qure-textfile.XXXXXX", err[128];
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	assert_null(textfile_read(path, err, sizeof(err)));
	assert_non_null(strstr(err, "No such file or directory"));
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
