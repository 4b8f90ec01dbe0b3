/* SPDX-License-Identifier: BSD-3-Clause */
/* The worker poll loop: runs on every worker lcore. No allocation, lock,
 * syscall or log per packet; only the idle back-off sleeps. */
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_pause.h>
#include <rte_rcu_qsbr.h>

#include "dataplane/rcu.h"
#include "dataplane/snapshot.h"
#include "dataplane/worker.h"
#include "pipelines/tx/tx_dp.h"
#include "pipelines/l2/l2_dp.h"
#include "pipelines/l3/l3_dp.h"
#include "pipelines/xconnect/xconnect_dp.h"

/* Idle back-off: spin for a while (latency), then pause, then sleep in short
 * steps while offline from RCU so grace periods never wait on a sleeper. */
#define IDLE_SPIN_LOOPS 256
#define IDLE_PAUSE_LOOPS 4096
#define IDLE_SLEEP_MIN_US 10u
#define IDLE_SLEEP_MAX_US 200u

static void
idle_backoff(struct sl_worker *w, unsigned int *idle, unsigned int *sleep_us)
{
	unsigned int n = ++*idle;

	if (n < IDLE_SPIN_LOOPS)
		return;
	if (n < IDLE_PAUSE_LOOPS) {
		rte_pause();
		return;
	}
	rte_rcu_qsbr_thread_offline(sl_rcu, w->id);
	__atomic_store_n(&w->sleeping, 1, __ATOMIC_RELAXED);
	usleep(*sleep_us);	/* lint: idle-only */
	__atomic_store_n(&w->sleeping, 0, __ATOMIC_RELAXED);
	rte_rcu_qsbr_thread_online(sl_rcu, w->id);
	*sleep_us = RTE_MIN(*sleep_us * 2, IDLE_SLEEP_MAX_US);
}

static inline unsigned int
poll_rxq(struct sl_worker *w, const struct sl_snapshot *s, const struct sl_dp_rxq *q)
{
	const struct sl_dp_port *ip = &s->ports[q->port_id];
	struct rte_mbuf *pkts[SL_BURST_MAX];
	uint16_t n;

	n = rte_eth_rx_burst(q->port_id, q->queue, pkts, s->burst);
	if (n == 0)
		return 0;
	if (ip->out_port != SL_PORT_NONE) {
		sl_xconnect_burst(w, s, ip->out_port, pkts, n);
		return n;
	}
	if (likely(ip->mode != SL_VLAN_MODE_NONE)) {
		sl_l2_burst(w, s, q->port_id, pkts, n);
	} else if (ip->l3_iface) {
		sl_l3_port_burst(w, s, q->port_id, pkts, n);
	} else {
		SL_STAT_ADD(w->stats.drops[SL_DROP_NO_OUTPUT], n);
		rte_pktmbuf_free_bulk(pkts, n);
	}
	sl_tx_flush(w, s);
	sl_drop_flush(w);
	sl_punt_flush(w);
	return n;
}

int
sl_worker_main(void *arg)
{
	struct sl_worker *w = arg;
	unsigned int idle = 0, sleep_us = IDLE_SLEEP_MIN_US;
	uint32_t gen = __atomic_load_n(&sl_stats_gen, __ATOMIC_RELAXED);
	uint64_t t0 = rte_rdtsc();

	rte_rcu_qsbr_thread_register(sl_rcu, w->id);
	rte_rcu_qsbr_thread_online(sl_rcu, w->id);

	while (!__atomic_load_n(&sl_dp_stop, __ATOMIC_RELAXED)) {
		const struct sl_snapshot *s = sl_snapshot_get();
		const struct sl_dp_wconf *wc = &s->workers[w->id];
		unsigned int got = 0, bursts = 0, busy_poll = s->busy_poll;
		uint64_t t1;

		sl_fdb_cache_sync(w);
		/* Frames the control thread sends (ARP, ICMP, held packets). */
		if (w->id == 0 && sl_inject_ring != NULL &&
				unlikely(!rte_ring_empty(sl_inject_ring))) {
			sl_inject_drain(w, s);
			sl_tx_flush(w, s);
			sl_drop_flush(w);
		}
		for (uint16_t i = 0; i < wc->n_rxq; i++) {
			unsigned int n = poll_rxq(w, s, &wc->rxq[i]);

			got += n;
			bursts += n != 0;
		}

		/* s must not be used past this point: the control thread may
		 * free it as soon as every worker reported. */
		rte_rcu_qsbr_quiescent(sl_rcu, w->id);

		t1 = rte_rdtsc();
		SL_STAT_ADD(w->stats.loops, 1);
		if (got) {
			SL_STAT_ADD(w->stats.rx_packets, got);
			SL_STAT_ADD(w->stats.bursts, bursts);
			SL_STAT_ADD(w->stats.busy_cycles, t1 - t0);
			/* The longest busy loop: what a stall (a lock, a slow table
			 * update seen by the reader, a preempted core) would show. */
			if (unlikely(__atomic_load_n(&sl_stats_gen, __ATOMIC_RELAXED) != gen)) {
				gen = __atomic_load_n(&sl_stats_gen, __ATOMIC_RELAXED);
				__atomic_store_n(&w->stats.loop_max_cycles, 0, __ATOMIC_RELAXED);
			}
			if (t1 - t0 > w->stats.loop_max_cycles)
				__atomic_store_n(&w->stats.loop_max_cycles, t1 - t0,
					__ATOMIC_RELAXED);
			idle = 0;
			sleep_us = IDLE_SLEEP_MIN_US;
		} else {
			if (!busy_poll) {
				idle_backoff(w, &idle, &sleep_us);
				t1 = rte_rdtsc();	/* time asleep is idle time */
			}
			SL_STAT_ADD(w->stats.idle_cycles, t1 - t0);
		}
		t0 = t1;
	}

	rte_rcu_qsbr_thread_offline(sl_rcu, w->id);
	rte_rcu_qsbr_thread_unregister(sl_rcu, w->id);
	return 0;
}
