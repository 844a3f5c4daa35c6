/*
 * tests/fuzz/fuzz_ctl.c — libFuzzer target of the control socket's
 * request parser (src/ctl.c) and of the status reader qurectl uses
 * (src/status.c).
 *
 * Each input is one request line: ctl_req_parse() must accept it as a
 * known command with a bounded, clean name, or reject it with a one-line
 * reason; never both, never a crash. The same bytes, if they are a JSON
 * object, are read as a status reply: whatever status_from_json() accepts
 * must survive status_to_json() and a second read unchanged (as JSON),
 * and render as text. The same bytes are read as an event line of
 * `qurectl watch` (src/events.c): one accepted must read back the same
 * after its own JSON, and render as one line of text. Any broken promise
 * aborts, which the fuzzer reports as a crash.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "src/ctl.h"
#include "src/events.h"
#include "src/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond))                                                   \
			abort();                                               \
	} while (0)

static void
check_request(const uint8_t *data, size_t size)
{
	struct ctl_req req;
	char err[256];
	size_t i, n;

	memset(err, 0, sizeof(err));
	if (ctl_req_parse((const char *)data, size, &req, err, sizeof(err)) ==
	    0) {
		CHECK(req.cmd >= CTL_CMD_STATUS && req.cmd <= CTL_CMD_KEY);
		CHECK(!req.has_name || req.cmd == CTL_CMD_HANDOVER);
		CHECK(!req.force || req.cmd == CTL_CMD_KEY); /* key rotate */
		/* config: a key but for list, a value only with set; none of
		 * them for another command. */
		CHECK(req.op >= CTL_CONFIG_LIST && req.op <= CTL_CONFIG_UNSET);
		CHECK(strnlen(req.key, sizeof(req.key)) < sizeof(req.key));
		CHECK(
		    strnlen(req.value, sizeof(req.value)) < sizeof(req.value));
		CHECK(req.key[0] == '\0' ||
		      (req.cmd == CTL_CMD_CONFIG && req.op != CTL_CONFIG_LIST));
		CHECK(req.value[0] == '\0' ||
		      (req.cmd == CTL_CMD_CONFIG && req.op == CTL_CONFIG_SET));
		n = strnlen(req.name, sizeof(req.name));
		CHECK(n < sizeof(req.name));
		CHECK(req.has_name == (n > 0));
		for (i = 0; i < n; i++)
			CHECK((unsigned char)req.name[i] >= 0x20 &&
			      req.name[i] != 0x7f);
		return;
	}
	n = strnlen(err, sizeof(err));
	CHECK(n > 0 && n < sizeof(err));
	CHECK(memchr(err, '\n', n) == NULL);
}

static void
check_status(const uint8_t *data, size_t size)
{
	struct status *a = malloc(2 * sizeof(*a)), *b;
	json_t *obj, *again, *third;
	char err[256];
	FILE *fp;

	CHECK(a != NULL);
	b = a + 1;
	obj = json_loadb((const char *)data, size, 0, NULL);
	if (obj == NULL || status_from_json(obj, a, err, sizeof(err)) == -1)
		goto out;
	/* Reading truncates long strings, maybe inside a UTF-8 sequence,
	 * which writing then replaces: compare what is written. */
	again = status_to_json(a);
	CHECK(status_from_json(again, b, err, sizeof(err)) == 0);
	third = status_to_json(b);
	CHECK(json_equal(again, third));
	json_decref(again);
	json_decref(third);
	if ((fp = fopen("/dev/null", "w")) != NULL) {
		status_print(a, fp);
		status_print_members(a, fp);
		fclose(fp);
	}
out:
	json_decref(obj);
	free(a);
}

static void
check_event(const uint8_t *data, size_t size)
{
	struct events_event a, b;
	char err[256], text[512];
	char *s;

	if (events_from_json((const char *)data, size, &a, err, sizeof(err)) ==
	    -1) {
		CHECK(err[0] != '\0' && strchr(err, '\n') == NULL);
		return;
	}
	s = events_to_json(&a);
	CHECK(strchr(s, '\n') == NULL);
	CHECK(events_from_json(s, strlen(s), &b, err, sizeof(err)) == 0);
	/* Bytes that are not UTF-8 go out as '?': compare the second. */
	free(s);
	s = events_to_json(&b);
	CHECK(events_from_json(s, strlen(s), &a, err, sizeof(err)) == 0);
	CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	free(s);
	events_to_text(&a, text, sizeof(text));
	CHECK(strchr(text, '\n') == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_request(data, size);
	check_status(data, size);
	check_event(data, size);
	return 0;
}
