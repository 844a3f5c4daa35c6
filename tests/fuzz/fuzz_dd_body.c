/*
 * tests/fuzz/fuzz_dd_body.c — libFuzzer target of the parser of an HTTP
 * check's body (dns/dd_core.c, dd_body_parse), the text a check-ip
 * service sends back. An address found is written somewhere in the body,
 * and the classification of it never fails.
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
	struct dd_addr a;
	char text[96];
	const char *why;
	bool ok;

	if (dd_body_parse((const char *)data, size, &a) == -1) {
		if (a.has4 || a.has6)
			abort();
		return 0;
	}
	if (size > DD_BODY_MAX || a.has4 == a.has6)
		abort();
	ok = dd_addr_reachable(&a, &why);
	if (ok != (why == NULL))
		abort();
	dd_addr_text(&a, text, sizeof(text));
	if (text[0] == '\0')
		abort();
	return 0;
}
