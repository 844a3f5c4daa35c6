/*
 * tests/fuzz/fuzz_conf.c — libFuzzer target of the config parser.
 *
 * Any bytes given to conf_load_string() must give either a config or one
 * line of error, never a crash, a hang or a read out of bounds. A config
 * that loads must also survive the round trip: conf_print(), and
 * conf_print_origin() (qured -t -v), then conf_load_string() give an
 * equal struct (abort otherwise).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Config files are small; longer inputs only slow the fuzzer down. */
#define FUZZ_CONF_MAX 16384

/* origin NULL: conf_print(), else conf_print_origin(). */
static void
check_round_trip(const struct conf *c, const struct conf_origin *origin)
{
	static char printed[16384];
	struct conf back;
	char err[512];
	FILE *fp;

	memset(printed, 0, sizeof(printed));
	fp = fmemopen(printed, sizeof(printed) - 1, "w");
	if (fp == NULL)
		abort();
	if (origin != NULL)
		conf_print_origin(c, origin, "fuzz", fp);
	else
		conf_print(c, fp);
	if (fclose(fp) != 0)
		abort();
	if (conf_load_string(printed, "printed", &back, err, sizeof(err)) !=
	    0) {
		fprintf(stderr, "fuzz_conf: printed config fails: %s\n%s", err,
		    printed);
		abort();
	}
	if (!conf_equal(c, &back)) {
		fprintf(stderr, "fuzz_conf: round trip differs\n%s", printed);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[FUZZ_CONF_MAX + 1];
	struct conf_origin origin;
	struct conf c;
	char err[512];

	if (size > FUZZ_CONF_MAX)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	err[0] = '\0';
	if (conf_load_string_origin(
		text, "fuzz", &c, &origin, err, sizeof(err)) == 0) {
		check_round_trip(&c, NULL);
		check_round_trip(&c, &origin);
	} else if (strchr(err, '\n') != NULL || strncmp(err, "fuzz", 4) != 0)
		abort(); /* errors are one line that names the file */
	return 0;
}
