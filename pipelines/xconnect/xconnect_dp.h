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

/* worker, RCU reader: send a burst received on in_port to its peer. */
static inline void
sl_xconnect_burst(struct sl_worker *w, const struct sl_snapshot *s, uint16_t out,
	struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t sent = 0;

	const struct sl_dp_port *dp = &s->ports[out];

	if (unlikely(!((s->active_mask >> out) & 1))) {
		SL_STAT_ADD(w->stats.drops[SL_DROP_NO_OUTPUT], n);
	} else if (unlikely(dp->txq_none)) {
		SL_STAT_ADD(w->stats.drops[SL_DROP_TXQ_DISABLED], n);
	} else if (likely(!((dp->txq_locked >> w->id) & 1))) {
		sent = rte_eth_tx_burst(out, dp->txq[w->id], pkts, n);
	} else {
		rte_spinlock_lock(&sl_txq_locks[out][dp->txq[w->id]]);	/* lint: shared-txq */
		sent = rte_eth_tx_burst(out, dp->txq[w->id], pkts, n);
		rte_spinlock_unlock(&sl_txq_locks[out][dp->txq[w->id]]);
	}
	SL_STAT_ADD(w->stats.tx_packets, sent);
	if (unlikely(sent < n)) {
		if (((s->active_mask >> out) & 1) && !dp->txq_none)
			SL_STAT_ADD(w->stats.drops[SL_DROP_TX_FULL], n - sent);
		rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
	}
}

#endif
