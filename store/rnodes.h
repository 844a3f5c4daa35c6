/*
 * store/rnodes.h — the text of Redis's CLUSTER NODES reply, parsed into
 * a bounded view (issue 11 item 2: what the site cache's planner,
 * store/rplan.h, reads). A pure core: no I/O, no clock, no allocation;
 * the caller owns the view (about 50 KiB: keep it off the stack).
 *
 * One line per node, fields separated by one space:
 *
 *   <id> <ip:port@cport[,hostname]> <flags> <master> <ping-sent>
 *   <pong-recv> <config-epoch> <link-state> <slot> <slot> ... <slot>
 *
 * id: 40 lower-case hex digits; ip: empty (a fresh node that does not
 * know its own address yet), a dotted quad or an IPv6 address (port after
 * the last colon); flags: comma-separated, of myself, master, slave,
 * fail?, fail, handshake, noaddr, nofailover, noflags; master: an id or
 * "-"; link-state: connected or disconnected; a slot: "N", "N-M", or, on
 * the myself line only, an open migration "[N->-id]" (migrating to id)
 * or "[N-<-id]" (importing from id). Lines end in "\n" ("\r\n" taken).
 * Anything else is refused with where it failed (line, field).
 */
#ifndef QURE_STORE_RNODES_H
#define QURE_STORE_RNODES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RNODES_MAX 128	   /* nodes in a view: 20 members x 6 ports */
#define RNODES_ID_LEN 40   /* hex digits of a node id */
#define RNODES_SLOTS 16384 /* Redis Cluster's hash slots */
#define RNODES_MIG_MAX 64  /* open migrations kept of the myself line */
#define RNODES_IP_MAX 46   /* INET6_ADDRSTRLEN - 1 */
/* Bytes of one line: every slot listed alone ("16383 ", 6 bytes each)
 * fits, however fragmented; and of the whole reply. */
#define RNODES_LINE_MAX 131072
#define RNODES_TEXT_MAX (1u << 20)

/* Flags of a node (the flags field). */
enum rnodes_flag {
	RNODE_MYSELF = 1u << 0,
	RNODE_MASTER = 1u << 1,
	RNODE_SLAVE = 1u << 2,
	RNODE_PFAIL = 1u << 3, /* "fail?" */
	RNODE_FAIL = 1u << 4,
	RNODE_HANDSHAKE = 1u << 5,
	RNODE_NOADDR = 1u << 6,
	RNODE_NOFAILOVER = 1u << 7,
};

struct rnode {
	char id[RNODES_ID_LEN + 1];
	char ip[RNODES_IP_MAX + 1]; /* "" when the node does not know it */
	uint32_t addr;		    /* the IPv4 address, host order; 0: none */
	uint16_t port, cport;
	unsigned flags;			   /* enum rnodes_flag */
	char master_id[RNODES_ID_LEN + 1]; /* "" for "-" */
	int master; /* index of master_id in the view, -1 if none */
	uint64_t config_epoch;
	bool connected;
	uint16_t nslots; /* slots it serves */
};

/* An open migration of one slot on one node (SETSLOT MIGRATING or
 * IMPORTING left set). */
struct rnodes_mig {
	uint16_t slot;
	bool importing;			 /* else migrating */
	char node_id[RNODES_ID_LEN + 1]; /* the node that has it open */
	char peer_id[RNODES_ID_LEN + 1]; /* to (migrating), from (importing) */
};

enum rnodes_err {
	RNODES_OK = 0,
	RNODES_E_SIZE,	  /* the text or a line over its bound */
	RNODES_E_NUL,	  /* a NUL or control byte */
	RNODES_E_FIELDS,  /* fewer than 8 fields, or an empty one */
	RNODES_E_ID,	  /* not 40 lower-case hex digits */
	RNODES_E_ADDR,	  /* not ip:port@cport[,hostname] */
	RNODES_E_FLAGS,	  /* an unknown flag, or master and slave */
	RNODES_E_NUMBER,  /* ping-sent, pong-recv or epoch not a number */
	RNODES_E_LINK,	  /* neither connected nor disconnected */
	RNODES_E_SLOT,	  /* a slot or range that does not parse */
	RNODES_E_RANGE,	  /* a slot over 16383, or a range backwards */
	RNODES_E_TWICE,	  /* a slot served by two nodes, or by one twice */
	RNODES_E_DUP,	  /* two lines with one id */
	RNODES_E_TOOMANY, /* more than RNODES_MAX nodes */
	RNODES_E_MYSELF,  /* not exactly one line with myself */
	RNODES_E_MIG,	  /* a migration on a line other than myself's */
};

struct rnodes_view {
	size_t n;
	struct rnode node[RNODES_MAX]; /* in the order of the text */
	int self;		       /* index of the myself line */
	/* owner[s]: index of the node serving slot s, -1 if none. */
	int16_t owner[RNODES_SLOTS];
	size_t nmig; /* of myself's; node_id is myself's id */
	struct rnodes_mig mig[RNODES_MIG_MAX];
	bool mig_more; /* more open than RNODES_MIG_MAX: the rest later */
	/* Where parsing stopped, when it failed: line from 1, field from 1
	 * (0: the line as a whole). */
	size_t err_line;
	unsigned err_field;
};

/*
 * Parses len bytes of text (the reply as it came, not terminated) into
 * *v. Returns RNODES_OK, or why it was refused with v->err_line and
 * v->err_field set; *v is then unspecified.
 */
enum rnodes_err rnodes_parse(
    const char *text, size_t len, struct rnodes_view *v);

/* What an error means, in a few words. */
const char *rnodes_strerror(enum rnodes_err);

/*
 * One line for a log: "line 3, field 9 (slot): a slot over 16383". Writes
 * at most len bytes, always terminated when len > 0; returns buf.
 */
char *rnodes_explain(
    const struct rnodes_view *v, enum rnodes_err e, char *buf, size_t len);

/* Index of the node with id (40 hex digits, terminated), or -1. */
int rnodes_find(const struct rnodes_view *v, const char *id);

/* Whether s is a slot served by node i. */
bool rnodes_serves(const struct rnodes_view *v, int i, unsigned s);

#endif
