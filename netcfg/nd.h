/*
 * netcfg/nd.h — IPv6 neighbour discovery frames for the IPv6 DMZ address
 * (RFC 4861, RFC 4862 DAD): the pure codec (nd_frame.c), the counterpart
 * of the ARP codec in netcfg_int.h. Frames are whole Ethernet frames, as
 * an AF_PACKET socket reads and writes them.
 */
#ifndef QURE_NETCFG_ND_H
#define QURE_NETCFG_ND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NETCFG_ND_NS 135 /* neighbour solicitation */
#define NETCFG_ND_NA 136 /* neighbour advertisement */
/* Ethernet 14 + IPv6 40 + NS/NA 24 + one link-layer address option 8. */
#define NETCFG_ND_FRAME_MAX 86
#define NETCFG_ND_ROUTER 0x80000000u
#define NETCFG_ND_SOLICITED 0x40000000u
#define NETCFG_ND_OVERRIDE 0x20000000u

struct netcfg_nd {
	uint8_t type;	    /* NETCFG_ND_NS or NETCFG_ND_NA */
	uint8_t eth_src[6]; /* the frame's sender */
	uint8_t src[16];    /* IPv6 source (:: for a DAD probe) */
	uint8_t dst[16];
	uint8_t target[16];
	uint32_t flags; /* NA: NETCFG_ND_ROUTER, _SOLICITED, _OVERRIDE */
	bool has_lla;	/* a source (NS) or target (NA) link-layer option */
	uint8_t lla[6];
};

enum netcfg_nd_err {
	NETCFG_ND_OK = 0,
	NETCFG_ND_TRUNCATED, /* shorter than its headers say */
	NETCFG_ND_NOT_IPV6,  /* ethertype not 0x86dd, or version not 6 */
	NETCFG_ND_NOT_ICMP,  /* next header not ICMPv6 (58) */
	NETCFG_ND_HOPLIMIT,  /* not 255: not from the link (RFC 4861 7.1) */
	NETCFG_ND_TYPE,	     /* neither NS nor NA, or code not 0 */
	NETCFG_ND_CHECKSUM,  /* ICMPv6 checksum wrong */
	NETCFG_ND_OPTION,    /* an option of length 0 or past the end */
};

/*
 * Decodes an Ethernet frame carrying an NS or NA; never reads past
 * frame + len; bytes after the IPv6 payload (padding) are ignored.
 * out is unspecified unless NETCFG_ND_OK.
 */
enum netcfg_nd_err netcfg_nd_decode(
    const uint8_t *frame, size_t len, struct netcfg_nd *out);

/*
 * A DAD probe (RFC 4862 5.4.2): NS from ::, to the target's
 * solicited-node group, no source link-layer option. Returns the frame
 * length, or 0 if len is less than NETCFG_ND_FRAME_MAX.
 */
size_t netcfg_nd_encode_probe(
    const uint8_t mac[6], const uint8_t target[16], uint8_t *buf, size_t len);
/*
 * An unsolicited NA (RFC 4861 7.2.6): from target, to all nodes
 * (ff02::1), override flag set, target link-layer option mac: every
 * neighbour that knows the address moves it to mac at once.
 */
size_t netcfg_nd_encode_announce(
    const uint8_t mac[6], const uint8_t target[16], uint8_t *buf, size_t len);

/*
 * A conflict for a probe of target: an NA for it, or another host's DAD
 * probe of it (NS from ::), whose sender (the link-layer option, else the
 * Ethernet source) is neither mac nor one of the members.
 */
bool netcfg_nd_is_conflict(const struct netcfg_nd *, const uint8_t target[16],
    const uint8_t mac[6], const uint8_t (*members)[6], size_t n_members);
/* The sender a conflict names: the link-layer option, else eth_src. */
const uint8_t *netcfg_nd_sender(const struct netcfg_nd *);

#endif
