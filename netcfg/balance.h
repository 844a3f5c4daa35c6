/*
 * netcfg/balance.h — load sharing in the kernel (issue 11 item 4): the
 * nftables ruleset with which the holder spreads new connections to the
 * DMZ address's ports over the fit members. Pure: it writes the script
 * text; netcfg runs it (netcfg_nft_run()).
 *
 *   table ip NAME {
 *    chain pre  { type nat hook prerouting priority dstnat;
 *      ip daddr DMZ tcp dport { PORTS } ct state new
 *        dnat to jhash ip saddr mod 256 seed S map { 0 : A, 1 : B, ... } }
 *    chain post { type nat hook postrouting priority srcnat;
 *      ct status dnat ip daddr { MEMBERS } snat to SELF }
 *   }
 *
 * A bucket is a value of the hash of the client's key (its address, or
 * address and port: [dmz] balance-key); the holder's own buckets are
 * DNATed to its own LAN address (delivered locally, not SNATed). The
 * answers of the others come back through the holder (SNAT), so the
 * client sees the DMZ address. conntrack keeps an established
 * connection where it is: only new ones follow a changed table.
 */
#ifndef QURE_NETCFG_BALANCE_H
#define QURE_NETCFG_BALANCE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BALANCE_BUCKETS 256
#define BALANCE_MAX_PORTS 16

struct balance_port {
	uint8_t proto; /* 6 (TCP) or 17 (UDP) */
	uint16_t port;
};

struct balance_conf {
	char table[64];	     /* an nft identifier */
	struct in_addr dmz;  /* where clients connect */
	struct in_addr self; /* the holder's LAN address */
	bool key_port;	     /* hash the client's port too */
	uint32_t seed;	     /* jhash's: the cluster's, the same on all */
	struct balance_port ports[BALANCE_MAX_PORTS];
	size_t n_ports;
	/* bucket b -> the LAN address of its member (self for ours) */
	struct in_addr bucket[BALANCE_BUCKETS];
};

/*
 * The script that replaces the table with c's (a transaction: the old
 * table goes in the same commit), into out; returns its length, or 0 if
 * out is too short or c has no port. 48 KiB always suffice.
 */
#define BALANCE_SCRIPT_MAX (48 * 1024)
size_t balance_script(const struct balance_conf *c, char *out, size_t len);

/* The script that removes the table (nothing if there is none). */
size_t balance_script_remove(const char *table, char *out, size_t len);

#endif
