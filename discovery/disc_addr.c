/*
 * discovery/disc_addr.c — which of a member's addresses we send to, and
 * which addresses are worth advertising (doc/protocol.md, ADDR4). Pure:
 * no sockets, no clock (disc_own_nets(), in disc_if.c, reads ours).
 */
#include "config.h"

#include "discovery/discovery.h"

#include <string.h>

static const uint8_t zero16[16];

static bool
v4_is_usable(const uint8_t *b)
{
	if (b[0] == 0 || b[0] == 127 || b[0] >= 224)
		return false; /* this network, loopback, multicast, 240/4 */
	return !(b[0] == 169 && b[1] == 254); /* link-local: no scope */
}

static bool
v6_is_usable(const uint8_t *b)
{
	static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};

	if (memcmp(b, zero16, 15) == 0)
		return false; /* :: and ::1 */
	if (b[0] == 0xff || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80))
		return false; /* multicast, link-local (no scope on the wire) */
	return memcmp(b, mapped, sizeof(mapped)) != 0;
}

bool
disc_addr_is_usable(const struct disc_addr *a)
{
	if (a->family == 4)
		return v4_is_usable(a->b);
	if (a->family == 6)
		return v6_is_usable(a->b);
	return false;
}

static bool
same_prefix(const uint8_t *x, const uint8_t *y, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;
	uint8_t mask;

	if (memcmp(x, y, full) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (uint8_t)(0xff << (8 - rest));
	return (x[full] & mask) == (y[full] & mask);
}

bool
disc_addr_in_nets(
    const struct disc_addr *a, const struct disc_net *nets, size_t n)
{
	size_t i;
	unsigned max = a->family == 4 ? 32 : 128;

	if (a->family != 4 && a->family != 6)
		return false;
	for (i = 0; i < n; i++)
		if (nets[i].addr.family == a->family && nets[i].prefix <= max &&
		    same_prefix(nets[i].addr.b, a->b, nets[i].prefix))
			return true;
	return false;
}

static bool
addr_eq(const struct disc_addr *x, const struct disc_addr *y)
{
	size_t len = x->family == 4 ? 4 : 16;

	return x->family == y->family && x->family != 0 &&
	       memcmp(x->b, y->b, len) == 0;
}

bool
disc_addr_in_list(
    const struct disc_addr *a, const struct disc_addr *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (addr_eq(a, &list[i]))
			return true;
	return false;
}

/*
 * The source comes first when it is on-link: the member's own stack
 * picked it to reach this link, and our replies to it already work. A
 * multi-homed member may send with an address of a network we do not
 * share (its primary, the default route's); then one it advertised in
 * our subnet is the one a unicast reaches without a router.
 */
enum disc_addr_why
disc_addr_choose(const struct disc_net *own, size_t n_own,
    const struct disc_addr *adv, size_t n_adv, const struct disc_addr *src,
    struct disc_addr *out)
{
	size_t i, usable = 0;

	for (i = 0; i < n_adv; i++)
		usable += disc_addr_is_usable(&adv[i]);
	*out = *src;
	if (usable == 0)
		return DISC_ADDR_SRC_UNUSABLE;
	if (disc_addr_in_nets(src, own, n_own))
		return DISC_ADDR_SRC_ON_LINK;
	for (i = 0; i < n_adv; i++)
		if (disc_addr_is_usable(&adv[i]) &&
		    disc_addr_in_nets(&adv[i], own, n_own)) {
			*out = adv[i];
			return DISC_ADDR_ADVERTISED;
		}
	return DISC_ADDR_SRC;
}
