/*
 * tests/fuzz/fuzz_store_rnodes.c — libFuzzer target of the CLUSTER NODES
 * parser (store/rnodes.c): a reply comes from a Redis node on the LAN, a
 * node that may be of another cluster or broken. Whatever it says, the
 * parser answers in bounds: a refused reply names a line and a field;
 * a parsed one has one myself, ids of 40 hex digits, slot owners that add
 * up to each node's count, masters that point inside the view, and the
 * open migrations of the myself line only. The parsed view is then fed to
 * the planner (store/rplan.c), which must plan within its bounds.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/rnodes.h"
#include "store/rplan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_view(const struct rnodes_view *v)
{
	unsigned count[RNODES_MAX] = {0};
	size_t i, s;

	if (v->n == 0 || v->n > RNODES_MAX || v->self < 0 ||
	    (size_t)v->self >= v->n || v->nmig > RNODES_MIG_MAX)
		abort();
	for (s = 0; s < RNODES_SLOTS; s++) {
		if (v->owner[s] < -1 || v->owner[s] >= (int)v->n)
			abort();
		if (v->owner[s] >= 0)
			count[v->owner[s]]++;
	}
	for (i = 0; i < v->n; i++) {
		const struct rnode *n = &v->node[i];

		if (strlen(n->id) != RNODES_ID_LEN || count[i] != n->nslots ||
		    n->master < -1 || n->master >= (int)v->n ||
		    ((n->flags & RNODE_MYSELF) != 0) != ((int)i == v->self) ||
		    rnodes_find(v, n->id) != (int)i)
			abort();
	}
	for (i = 0; i < v->nmig; i++)
		if (strcmp(v->mig[i].node_id, v->node[v->self].id) != 0 ||
		    v->mig[i].slot >= RNODES_SLOTS)
			abort();
}

/* The view's nodes as members (by address, every other one dead), so
 * that arbitrary views reach the planner's every rule. */
static void
check_plan(const struct rnodes_view *v)
{
	static struct rplan_out out;
	struct rplan_member m[RPLAN_MEMBERS_MAX];
	struct rplan_in in = {{6379, 1}, m, 0, v, v->mig, v->nmig};
	size_t i, k;

	for (i = 0; i < v->n && in.nmembers < RPLAN_MEMBERS_MAX; i++) {
		for (k = 0; k < in.nmembers; k++)
			if (m[k].addr == v->node[i].addr)
				break;
		if (k < in.nmembers || v->node[i].addr == 0)
			continue;
		m[k].addr = v->node[i].addr;
		m[k].weight = (uint32_t)(i % 3);
		m[k].alive = (int)i == v->self || i % 2 == 0;
		in.nmembers++;
	}
	if (rplan_step(&in, &out) == -1)
		return;
	if (out.nact > RPLAN_ACT_MAX)
		abort();
	for (i = 0; i < out.nact; i++)
		if (out.act[i].slot > out.act[i].slot_hi ||
		    out.act[i].slot_hi >= RNODES_SLOTS)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rnodes_view v;
	char why[160];
	enum rnodes_err e = rnodes_parse((const char *)data, size, &v);

	if (e != RNODES_OK) {
		if (v.err_line == 0 && e != RNODES_E_SIZE &&
		    e != RNODES_E_MYSELF)
			abort();
		if (strlen(rnodes_explain(&v, e, why, sizeof(why))) >=
		    sizeof(why))
			abort();
		return 0;
	}
	check_view(&v);
	check_plan(&v);
	return 0;
}
