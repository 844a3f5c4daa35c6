/*
 * election/elect_rto.c — a learned timeout: RFC 6298's estimator (the
 * one TCP computes its retransmission timeout with), for the time a
 * client request or a PROBE takes to be answered on this LAN.
 *
 * Kept in eighths of a millisecond, as Linux keeps srtt: samples are
 * whole ms (the core's clock), and an estimate that rounded to whole ms
 * at every step would stick at 0 on a LAN that answers in 0.2 ms.
 */
#include "config.h"

#include "election/election.h"

/* A sample larger than this is taken as this: the estimator's state
 * stays small whatever the network makes of one answer. */
#define RTO_SAMPLE_CAP_MS 60000u

void
elect_rto_init(struct elect_rto *r)
{
	r->srtt8 = 0;
	r->rttvar8 = 0;
	r->samples = 0;
}

void
elect_rto_sample(struct elect_rto *r, uint64_t rtt_ms)
{
	uint32_t s8 = (uint32_t)(rtt_ms > RTO_SAMPLE_CAP_MS ? RTO_SAMPLE_CAP_MS
							    : rtt_ms) *
		      8u;
	uint32_t err;

	if (r->samples == 0) {
		/* RFC 6298 §2.2: SRTT = R, RTTVAR = R/2. */
		r->srtt8 = s8;
		r->rttvar8 = s8 / 2;
	} else {
		/* §2.3: RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R| (with the old
		 * SRTT), then SRTT = 7/8 SRTT + 1/8 R. */
		err = s8 > r->srtt8 ? s8 - r->srtt8 : r->srtt8 - s8;
		r->rttvar8 = r->rttvar8 - r->rttvar8 / 4 + err / 4;
		r->srtt8 = r->srtt8 - r->srtt8 / 8 + s8 / 8;
	}
	if (r->samples < UINT32_MAX)
		r->samples++;
}

uint32_t
elect_rto_timeout(const struct elect_rto *r, uint32_t min_ms, uint32_t max_ms,
    uint32_t min_samples)
{
	uint32_t var4, rto8, rto;

	if (r->samples < min_samples || r->samples == 0)
		return max_ms; /* too little known: the ceiling */
	/* RTO = SRTT + max(G, 4 RTTVAR), G one clock tick (1 ms). */
	var4 = 4 * r->rttvar8;
	rto8 = r->srtt8 + (var4 > 8 ? var4 : 8);
	rto = (rto8 + 7) / 8;
	if (rto < min_ms)
		return min_ms;
	return rto > max_ms ? max_ms : rto;
}
