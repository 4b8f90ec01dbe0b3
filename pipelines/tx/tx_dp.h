/* SPDX-License-Identifier: BSD-3-Clause */
/* Transmit stage: packets are staged per egress port in the worker's own
 * buffers and sent with one tx_burst per port on the worker's own tx queue
 * (no tx locks). Whatever a queue does not take is counted and freed. */
#ifndef SL_TX_DP_H
#define SL_TX_DP_H

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "dataplane/snapshot.h"
#include "dataplane/worker.h"

/* worker, RCU reader: send n packets on the worker's tx queue of port and
 * free what the queue does not take (counted as tx-full, per port too).
 * Ports that ask for it (vhost: a guest briefly slow to refill its ring)
 * get a few immediate retries first, as OVS does for vhost ports. */
static inline void
sl_tx_send(struct sl_worker *w, const struct sl_snapshot *s, uint16_t port,
	struct rte_mbuf **pkts, uint16_t n)
{
	const struct sl_dp_port *dp = &s->ports[port];
	uint16_t q = dp->txq[w->id], sent;
	bool locked = (dp->txq_locked >> w->id) & 1;

	/* A peer with no tx queue enabled takes nothing. */
	if (unlikely(dp->txq_none)) {
		SL_STAT_ADD(w->stats.drops[SL_DROP_TXQ_DISABLED], n);
		rte_pktmbuf_free_bulk(pkts, n);
		return;
	}
	if (unlikely(locked))
		rte_spinlock_lock(&sl_txq_locks[port][q]);	/* lint: shared-txq */
	sent = rte_eth_tx_burst(port, q, pkts, n);
	for (unsigned int r = 0; unlikely(sent < n) && r < dp->tx_retries; r++) {
		SL_STAT_ADD(w->port_tx_retries[port], 1);
		sent += rte_eth_tx_burst(port, q, pkts + sent, n - sent);
	}
	if (unlikely(locked))
		rte_spinlock_unlock(&sl_txq_locks[port][q]);
	SL_STAT_ADD(w->stats.tx_packets, sent);
	if (unlikely(sent < n)) {
		SL_STAT_ADD(w->stats.drops[SL_DROP_TX_FULL], n - sent);
		SL_STAT_ADD(w->port_tx_drops[port], n - sent);
		rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
	}
}

static inline void
sl_tx_flush_port(struct sl_worker *w, const struct sl_snapshot *s, uint16_t port)
{
	struct sl_txbuf *b = &w->tx[port];

	sl_tx_send(w, s, port, b->pkts, b->n);
	b->n = 0;
}

/* worker: stage m for port; sends at once when the buffer fills. */
static inline void
sl_tx_enqueue(struct sl_worker *w, const struct sl_snapshot *s, uint16_t port,
	struct rte_mbuf *m)
{
	struct sl_txbuf *b = &w->tx[port];

	b->pkts[b->n++] = m;
	w->tx_pending |= UINT64_C(1) << port;
	if (unlikely(b->n == SL_TXBUF_SIZE))
		sl_tx_flush_port(w, s, port);
}

/* worker: send everything staged. */
static inline void
sl_tx_flush(struct sl_worker *w, const struct sl_snapshot *s)
{
	uint64_t pending = w->tx_pending;

	while (pending) {
		uint16_t port = (uint16_t)__builtin_ctzll(pending);

		pending &= pending - 1;
		if (w->tx[port].n)
			sl_tx_flush_port(w, s, port);
	}
	w->tx_pending = 0;
}

/* Packets of one rx burst bound for known ports, sent at the end of the
 * burst: when they all leave by one port (the common case) in one tx_burst
 * straight from this array, else through the per-port staging buffers.
 * Staging each packet as it is decided costs a store-to-load dependency on
 * the buffer's count per packet (~5 cycles a packet, measured). The arrays
 * are the caller's: only they reach tx_burst, so the struct's address is
 * never taken and its count stays in a register (inside a struct with the
 * arrays it was loaded and stored per packet, ~0.5 cycles a packet on the
 * L2 trunk->access bench). */
struct sl_tx_batch {
	uint16_t n;
	uint16_t port0;
	bool mixed;
	struct rte_mbuf **pkts;	/* SL_BURST_MAX */
	uint16_t *port;		/* SL_BURST_MAX */
};

static inline void
sl_tx_batch_init(struct sl_tx_batch *b, struct rte_mbuf **pkts, uint16_t *port)
{
	b->n = 0;
	b->port0 = 0;
	b->mixed = false;
	b->pkts = pkts;
	b->port = port;
}

static __rte_always_inline void
sl_tx_batch_add(struct sl_tx_batch *b, struct rte_mbuf *m, uint16_t port)
{
	if (b->n == 0)
		b->port0 = port;
	b->mixed |= port != b->port0;
	b->port[b->n] = port;
	b->pkts[b->n++] = m;
}

/* worker: send the batch; ports whose link went down drop (counted). */
static inline void
sl_tx_batch_send(struct sl_worker *w, const struct sl_snapshot *s, struct sl_tx_batch *b)
{
	if (b->n == 0)
		return;
	if (likely(!b->mixed)) {
		if (likely((s->active_mask >> b->port0) & 1)) {
			sl_tx_send(w, s, b->port0, b->pkts, b->n);
		} else {
			SL_STAT_ADD(w->stats.drops[SL_DROP_LINK_DOWN], b->n);
			rte_pktmbuf_free_bulk(b->pkts, b->n);
		}
		return;
	}
	for (uint16_t i = 0; i < b->n; i++) {
		if ((s->active_mask >> b->port[i]) & 1) {
			sl_tx_enqueue(w, s, b->port[i], b->pkts[i]);
		} else {
			SL_STAT_ADD(w->stats.drops[SL_DROP_LINK_DOWN], 1);
			rte_pktmbuf_free(b->pkts[i]);
		}
	}
}

/* worker: drop a packet under a reason; freed in bulk by sl_drop_flush. */
static inline void
sl_drop(struct sl_worker *w, struct rte_mbuf *m, enum sl_drop reason)
{
	SL_STAT_ADD(w->stats.drops[reason], 1);
	w->dropped[w->n_dropped++] = m;
	if (unlikely(w->n_dropped == SL_TXBUF_SIZE)) {
		rte_pktmbuf_free_bulk(w->dropped, w->n_dropped);
		w->n_dropped = 0;
	}
}

static inline void
sl_drop_flush(struct sl_worker *w)
{
	if (w->n_dropped) {
		rte_pktmbuf_free_bulk(w->dropped, w->n_dropped);
		w->n_dropped = 0;
	}
}

#endif
