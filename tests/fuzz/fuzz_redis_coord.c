/*
 * tests/fuzz/fuzz_redis_coord.c — libFuzzer target of the coordinator's
 * message codec (src/redis_coord_core.c): bytes that cross the socketpair
 * between qured and its worker. Whatever they are, a decoder refuses them
 * or gives a message within bounds that encodes back to the same bytes.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/redis_coord.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct coord_conf c;
	static struct coord_report r;
	uint8_t out[COORD_MSG_MAX];
	int n;

	if (coord_conf_decode(data, size, &c) == 0) {
		if (c.n > COORD_MEMBERS_MAX || c.port == 0 ||
		    strlen(c.password) != COORD_PASSWORD_LEN)
			abort();
		n = coord_conf_encode(&c, out, sizeof(out));
		if (n != (int)size || memcmp(out, data, size) != 0)
			abort();
	}
	if (coord_report_decode(data, size, &r) == 0) {
		if (strlen(r.last_error) >= COORD_ERR_LEN)
			abort();
		n = coord_report_encode(&r, out, sizeof(out));
		if (n != (int)size || memcmp(out, data, size) != 0)
			abort();
	}
	return 0;
}
