/*
 * tests/unit/test_qure_slots.c — libqure's key slots (the Redis Cluster
 * specification's CRC16 and hash tags) and the CLUSTER SLOTS map, with
 * replies built from RESP text by hiredis's own reader.
 */
#include "config.h"

#include <hiredis/hiredis.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "libqure/slots.h"

static struct slots_map map;
static char err[256];

/* The reply that RESP text resp parses to (the test frees it). */
static redisReply *
reply_of(const char *resp)
{
	redisReader *rd = redisReaderCreate();
	void *r = NULL;

	assert_non_null(rd);
	assert_int_equal(redisReaderFeed(rd, resp, strlen(resp)), REDIS_OK);
	assert_int_equal(redisReaderGetReply(rd, &r), REDIS_OK);
	assert_non_null(r);
	redisReaderFree(rd);
	return r;
}

static int
read_map(const char *resp)
{
	redisReply *r = reply_of(resp);
	int rc;

	err[0] = '\0';
	rc = slots_map_read(&map, r, "10.0.0.99", err, sizeof(err));
	freeReplyObject(r);
	return rc;
}

static void
slots_follow_the_specification(void **state)
{
	(void)state;
	/* The specification's check value (0x31c3), and redis-server
	 * 7.0's CLUSTER KEYSLOT for the others. */
	assert_int_equal(slots_of_key("123456789", 9), 0x31c3);
	assert_int_equal(slots_of_key("foo", 3), 12182);
	assert_int_equal(slots_of_key("bar", 3), 5061);
	assert_int_equal(slots_of_key("", 0), 0);
}

static void
a_hash_tag_places_keys_together(void **state)
{
	(void)state;
	assert_int_equal(slots_of_key("{user1000}.following", 20), 3443);
	assert_int_equal(slots_of_key("user1000", 8), 3443);
	assert_int_equal(slots_of_key("a{b}c", 5), 3300);
	assert_int_equal(
	    slots_of_key("foo{user1000}{x}", 16), slots_of_key("user1000", 8));
	/* An empty tag is no tag: the whole key counts. */
	assert_int_equal(slots_of_key("foo{}{bar}", 10), 8363);
	/* No closing brace: the whole key. */
	assert_int_equal(slots_of_key("{foo", 4), 13308);
}

static const char three_masters[] =
    "*3\r\n"
    "*4\r\n:0\r\n:5460\r\n"
    "*3\r\n$9\r\n10.0.0.11\r\n:6379\r\n$2\r\nid\r\n"
    "*3\r\n$9\r\n10.0.0.12\r\n:6380\r\n$2\r\nid\r\n"
    "*3\r\n:10923\r\n:16383\r\n"
    "*3\r\n$9\r\n10.0.0.13\r\n:6379\r\n$2\r\nid\r\n"
    "*3\r\n:5461\r\n:10922\r\n"
    "*3\r\n$0\r\n\r\n:6379\r\n$2\r\nid\r\n";

static void
a_map_is_read_in_slot_order(void **state)
{
	const struct slots_range *r;

	(void)state;
	assert_int_equal(read_map(three_masters), 0);
	assert_int_equal(map.n_ranges, 3);
	assert_int_equal(map.n_nodes, 4);
	r = slots_map_find(&map, 0);
	assert_non_null(r);
	assert_int_equal(r->n_copies, 2);
	assert_string_equal(map.nodes[r->node[0]].host, "10.0.0.11");
	assert_int_equal(map.nodes[r->node[1]].port, 6380);
	r = slots_map_find(&map, 5461);
	assert_non_null(r);
	/* "" is the node we asked. */
	assert_string_equal(map.nodes[r->node[0]].host, "10.0.0.99");
	r = slots_map_find(&map, 16383);
	assert_string_equal(map.nodes[r->node[0]].host, "10.0.0.13");
	assert_ptr_equal(slots_map_find(&map, 10922), &map.ranges[1]);
}

static void
a_slot_without_a_range_has_no_node(void **state)
{
	(void)state;
	assert_int_equal(read_map("*1\r\n*3\r\n:100\r\n:200\r\n"
				  "*2\r\n$1\r\na\r\n:1\r\n"),
	    0);
	assert_null(slots_map_find(&map, 99));
	assert_null(slots_map_find(&map, 201));
	assert_non_null(slots_map_find(&map, 150));
	assert_int_equal(read_map("*0\r\n"), 0);
	assert_null(slots_map_find(&map, 0));
}

static void
malformed_maps_are_refused_with_the_range(void **state)
{
	static const char *bad[] = {
	    ":1\r\n",			/* not an array */
	    "*1\r\n:1\r\n",		/* a range not an array */
	    "*1\r\n*2\r\n:0\r\n:1\r\n", /* no node */
	    "*1\r\n*3\r\n:5\r\n:4\r\n*2\r\n$1\r\na\r\n:1\r\n", /* 5 > 4 */
	    "*1\r\n*3\r\n:0\r\n:16384\r\n*2\r\n$1\r\na\r\n:1\r\n",
	    "*1\r\n*3\r\n:-1\r\n:1\r\n*2\r\n$1\r\na\r\n:1\r\n",
	    "*1\r\n*3\r\n:0\r\n:1\r\n*2\r\n$1\r\na\r\n:0\r\n", /* port 0 */
	    "*1\r\n*3\r\n:0\r\n:1\r\n*2\r\n$1\r\na\r\n:65536\r\n",
	    "*1\r\n*3\r\n:0\r\n:1\r\n*2\r\n:1\r\n:1\r\n", /* host */
	    "*1\r\n*3\r\n:0\r\n:1\r\n*1\r\n$1\r\na\r\n",  /* no port */
	    "*1\r\n*3\r\n:0\r\n:1\r\n*2\r\n$3\r\na\0b\r\n:1\r\n",
	    "*1\r\n*3\r\n$1\r\n0\r\n:1\r\n*2\r\n$1\r\na\r\n:1\r\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		redisReply *r = NULL;
		redisReader *rd = redisReaderCreate();
		size_t len = strlen(bad[i]);

		if (i == 10)
			len = strlen("*1\r\n*3\r\n:0\r\n:1\r\n*2\r\n$3\r\na") +
			      strlen("b\r\n:1\r\n") + 1;
		assert_int_equal(redisReaderFeed(rd, bad[i], len), REDIS_OK);
		assert_int_equal(
		    redisReaderGetReply(rd, (void **)&r), REDIS_OK);
		assert_non_null(r);
		assert_int_equal(
		    slots_map_read(&map, r, "seed", err, sizeof(err)), -1);
		assert_int_equal(map.n_ranges, 0);
		assert_non_null(strstr(err, "CLUSTER SLOTS"));
		freeReplyObject(r);
		redisReaderFree(rd);
	}
}

static void
overlapping_ranges_are_refused(void **state)
{
	(void)state;
	assert_int_equal(
	    read_map("*2\r\n"
		     "*3\r\n:0\r\n:10\r\n*2\r\n$1\r\na\r\n:1\r\n"
		     "*3\r\n:10\r\n:20\r\n*2\r\n$1\r\nb\r\n:1\r\n"),
	    -1);
	assert_non_null(strstr(err, "range 2"));
	assert_non_null(strstr(err, "overlaps"));
	assert_int_equal(map.n_ranges, 0);
}

static void
a_long_host_is_refused(void **state)
{
	char resp[256];
	char host[SLOTS_HOST_MAX + 2];

	(void)state;
	memset(host, 'h', sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	snprintf(resp, sizeof(resp),
	    "*1\r\n*3\r\n:0\r\n:1\r\n*2\r\n$%zu\r\n%s\r\n:1\r\n", strlen(host),
	    host);
	assert_int_equal(read_map(resp), -1);
	host[SLOTS_HOST_MAX] = '\0';
	snprintf(resp, sizeof(resp),
	    "*1\r\n*3\r\n:0\r\n:1\r\n*2\r\n$%zu\r\n%s\r\n:1\r\n", strlen(host),
	    host);
	assert_int_equal(read_map(resp), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(slots_follow_the_specification),
	    cmocka_unit_test(a_hash_tag_places_keys_together),
	    cmocka_unit_test(a_map_is_read_in_slot_order),
	    cmocka_unit_test(a_slot_without_a_range_has_no_node),
	    cmocka_unit_test(malformed_maps_are_refused_with_the_range),
	    cmocka_unit_test(overlapping_ranges_are_refused),
	    cmocka_unit_test(a_long_host_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
