/* SPDX-License-Identifier: BSD-3-Clause */
/* Transmit stage: sends runs of consecutive packets that share an egress port
 * with one tx_burst each, on the worker's own tx queue (no tx locks). */
#ifndef SL_TX_DP_H
#define SL_TX_DP_H

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "dataplane/worker.h"

/* worker, RCU reader: next[i] is the egress ethdev port of pkts[i], or
 * SL_PORT_NONE with drop[i] holding the reason. Frees what is not sent. */
static inline void
sl_tx_burst(struct sl_worker *w, struct rte_mbuf **pkts, uint16_t n, const uint16_t *next,
	const uint8_t *drop)
{
	struct rte_mbuf *dropped[SL_BURST_MAX];
	uint16_t nd = 0, i = 0, sent_total = 0;

	while (i < n) {
		uint16_t port = next[i], j = i + 1, sent;

		if (unlikely(port == SL_PORT_NONE)) {
			SL_STAT_ADD(w->stats.drops[drop[i]], 1);
			dropped[nd++] = pkts[i];
			i++;
			continue;
		}
		while (j < n && next[j] == port)
			j++;
		sent = rte_eth_tx_burst(port, w->id, &pkts[i], j - i);
		sent_total += sent;
		if (unlikely(sent < j - i)) {
			SL_STAT_ADD(w->stats.drops[SL_DROP_TX_FULL], j - i - sent);
			for (uint16_t k = i + sent; k < j; k++)
				dropped[nd++] = pkts[k];
		}
		i = j;
	}
	SL_STAT_ADD(w->stats.tx_packets, sent_total);
	if (nd)
		rte_pktmbuf_free_bulk(dropped, nd);
}

#endif
