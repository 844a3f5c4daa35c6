/*
 * tests/fuzz/fuzz_dd_answer.c — libFuzzer target of the check of a DNS
 * server's answer to our RFC 2136 UPDATE (dns/dd_core.c,
 * dd_answer_check), the bytes a UDP socket or a TCP stream brings back.
 * The input's first two bytes are replaced by the update's id so that the
 * fuzzer reaches the parser; whatever comes, the result is one of the
 * four and never OK: the answer cannot carry a valid TSIG made with a
 * secret the fuzzer does not know.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dd_core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dd_update *u;
	static uint8_t buf[65536];
	char err[DD_ERR_LEN * 2];
	enum dd_answer r;

	if (u == NULL) {
		struct dd_update_req req = {
		    .name = "site1.cloud.example.test",
		    .zone = "cloud.example.test",
		    .ttl = 60,
		    .key_name = "site1-key",
		    .secret = "c2VjcmV0IHNlY3JldCBzZWNyZXQgc2VjcmV0IQ==",
		    .id = 0x5151,
		};
		uint8_t *wire;
		size_t len;

		req.addr.has4 = true;
		inet_pton(AF_INET, "203.0.113.5", &req.addr.a4);
		u = dd_update_new(&req, &wire, &len, err, sizeof(err));
		if (u == NULL)
			abort();
		free(wire);
	}
	if (size > sizeof(buf))
		return 0;
	memcpy(buf, data, size);
	if (size >= 2) {
		buf[0] = 0x51;
		buf[1] = 0x51;
	}
	r = dd_answer_check(u, buf, size, err, sizeof(err));
	if (r == DD_ANS_OK || (r != DD_ANS_TRUNCATED && r != DD_ANS_REFUSED &&
				  r != DD_ANS_NOT_OURS))
		abort();
	if (r == DD_ANS_REFUSED && err[0] == '\0')
		abort();
	return 0;
}
