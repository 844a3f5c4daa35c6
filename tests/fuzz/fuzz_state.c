/*
 * tests/fuzz/fuzz_state.c — the state file parser (src/state.c): what a
 * crash, a full disk or a hand edit leaves in /var/lib/qured/state.
 * Accepted text must give what it says: the id parses back to the same
 * hex, and nothing is read past the buffer.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "election/election.h"
#include "src/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elect_persist p;
	struct elect_id back;
	char err[256], hex[33];
	char *buf;

	if (size > 4096)
		return 0;
	/* An exact-size copy, so ASan sees any read past the end. */
	buf = malloc(size ? size : 1);
	if (buf == NULL)
		abort();
	memcpy(buf, data, size);
	memset(&p, 0, sizeof(p));
	if (state_parse(buf, size, "fuzz", &p, err, sizeof(err)) == 0) {
		if (elect_id_parse(elect_id_hex(&p.id, hex), &back) == -1 ||
		    memcmp(&back, &p.id, sizeof(back)) != 0)
			abort();
	} else if (strchr(err, '\n') != NULL) {
		abort(); /* errors are one line */
	}
	free(buf);
	return 0;
}
