/*
 * libqure/slots.h — where a key lives in a Redis Cluster: its hash slot
 * (CRC16 of the key or of its {hash tag}, modulo 16384: the Redis
 * Cluster specification) and the slot map that CLUSTER SLOTS describes.
 * Pure: no I/O; the map is read from a reply hiredis has parsed.
 */
#ifndef QURE_LIBQURE_SLOTS_H
#define QURE_LIBQURE_SLOTS_H

#include <stddef.h>
#include <stdint.h>

#define SLOTS_COUNT 16384
#define SLOTS_MAX_NODES 256 /* instances of one cluster */
#define SLOTS_MAX_COPIES 8  /* a master and up to 7 replicas */
#define SLOTS_HOST_MAX 63   /* an IPv6 address, a short name */

struct redisReply;

/* The slot of key (len bytes): CRC16-CCITT (XMODEM) of the part between
 * the first '{' and the next '}' when that part is not empty, else of
 * the whole key, modulo 16384. */
uint16_t slots_of_key(const char *key, size_t len);

struct slots_node {
	char host[SLOTS_HOST_MAX + 1];
	uint16_t port;
};

struct slots_range {
	uint16_t first, last;
	uint8_t n_copies;		 /* node[0] the master */
	uint16_t node[SLOTS_MAX_COPIES]; /* indexes in nodes[] */
};

struct slots_map {
	struct slots_node nodes[SLOTS_MAX_NODES];
	size_t n_nodes;
	struct slots_range ranges[SLOTS_COUNT]; /* one per slot at worst */
	size_t n_ranges;
};

/*
 * Reads a CLUSTER SLOTS reply into m: [[first, last, [host, port, id,
 * ...], replicas...], ...]. A node's empty host is seed_host (Redis says
 * "" for the one the client asked). Returns 0, or -1 with what is wrong
 * and where in err (the reply is not of that shape, a slot out of range,
 * overlapping ranges, too many nodes), m then empty.
 */
int slots_map_read(struct slots_map *m, const struct redisReply *r,
    const char *seed_host, char *err, size_t errlen);

/* The range that holds slot, or NULL: no node serves it now. */
const struct slots_range *slots_map_find(
    const struct slots_map *m, uint16_t slot);

#endif
