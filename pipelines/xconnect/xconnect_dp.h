/* SPDX-License-Identifier: BSD-3-Clause */
/* Cross-connect stage: every frame received on a port leaves through its
 * configured peer, one tx_burst per rx burst. The patch-panel mode NFV users
 * and benchmarks rely on. */
#ifndef SL_XCONNECT_DP_H
#define SL_XCONNECT_DP_H

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "dataplane/drop_reasons.h"
#include "dataplane/snapshot.h"
#include "dataplane/worker.h"
#include "pipelines/tx/tx_dp.h"

/* worker, RCU reader: send a burst received on in_port to its peer. */
static inline void
sl_xconnect_burst(struct sl_worker *w, const struct sl_snapshot *s, uint16_t out,
	struct rte_mbuf **pkts, uint16_t n)
{
	if (unlikely(!((s->active_mask >> out) & 1))) {
		SL_STAT_ADD(w->stats.drops[SL_DROP_NO_OUTPUT], n);
		rte_pktmbuf_free_bulk(pkts, n);
		return;
	}
	sl_tx_send(w, s, out, pkts, n);
}

#endif
