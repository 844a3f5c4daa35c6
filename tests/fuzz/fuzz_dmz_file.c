/*
 * tests/fuzz/fuzz_dmz_file.c — the state dir's `dmz` file parser
 * ([dmz] address = auto, src/dmz_auto_core.c): what a crash, a full disk
 * or a hand edit leaves there. Accepted text must give a LAN host address
 * that formats and parses back to itself; errors are one line; nothing is
 * read past the buffer.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/dmz_auto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dmz_choice c, back;
	char err[160], text[256];
	char *buf;
	size_t n;

	if (size > DMZ_FILE_MAX)
		return 0;
	/* An exact-size copy, so ASan sees any read past the end. */
	buf = malloc(size ? size : 1);
	if (buf == NULL)
		abort();
	memcpy(buf, data, size);
	if (dmz_file_parse(buf, size, &c, err, sizeof(err)) == 0) {
		if (!dmz_on_lan(c.addr, c.addr, c.prefix) ||
		    c.source == DMZ_SRC_CONFIG)
			abort();
		n = dmz_file_format(&c, text, sizeof(text));
		if (n == 0 ||
		    dmz_file_parse(text, n, &back, err, sizeof(err)) != 0 ||
		    back.addr.s_addr != c.addr.s_addr ||
		    back.prefix != c.prefix || back.source != c.source)
			abort();
	} else if (strchr(err, '\n') != NULL) {
		abort(); /* errors are one line */
	}
	free(buf);
	return 0;
}
