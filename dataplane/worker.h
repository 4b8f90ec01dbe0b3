/* SPDX-License-Identifier: BSD-3-Clause */
/* Worker lcores: per-worker context and counters, launch and stop. The loop
 * itself is in worker_dp.c; everything else here runs on the control thread. */
#ifndef SL_WORKER_H
#define SL_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_config.h>

#include "dataplane/drop_reasons.h"
#include "dataplane/sluice.h"

/* Single writer (its worker), read by the control thread with SL_STAT_READ. */
struct sl_worker_stats {
	uint64_t rx_packets;
	uint64_t tx_packets;
	uint64_t bursts;	/* rx bursts that returned packets */
	uint64_t loops;		/* poll-loop iterations, idle ones included */
	uint64_t busy_cycles;
	uint64_t idle_cycles;
	uint64_t learn_events;	/* learn/move events posted */
	uint64_t learn_ring_full;	/* events lost to a full ring (not packet drops) */
	uint64_t punted;	/* handed to the control thread (ARP, ND, local, resolving) */
	uint64_t injected;	/* sent for the control thread (worker 0) */
	uint64_t loop_max_cycles;	/* longest busy poll loop since `stats clear` */
	uint64_t icmp_limited;	/* ICMP errors not asked for: over the punt budget */
	uint64_t drops[SL_DROP_MAX];
};

#define SL_TXBUF_SIZE 64

struct rte_mbuf;
struct rte_mempool;
struct rte_ring;

struct sl_txbuf {
	uint16_t n;
	struct rte_mbuf *pkts[SL_TXBUF_SIZE];
};

/* Per-worker filter in front of the learn ring, for sources the FDB cache
 * below does not vouch for (unknown, moved): a source seen on the same port
 * this second needs neither an FDB lookup nor an event. */
#define SL_LEARN_CACHE_SIZE 4096
struct sl_learn_slot {
	uint64_t key;
	uint16_t port;
	uint16_t pad;
	uint32_t stamp;		/* sl_now_s when last checked */
};

/* Per-worker cache of FDB lookups, used for destinations and sources alike
 * (a MAC that sends on one port is looked up as a destination by the
 * others): 2-way sets of one 64-bit word each, (VLAN, MAC) key hash -> port,
 * valid for one cache epoch (l2_dp.h, l2_dp.c). */
#define SL_FDB_CACHE_SET_BITS 12
#define SL_FDB_CACHE_SIZE (2u << SL_FDB_CACHE_SET_BITS)	/* slots */

/* Per-worker cache of FIB results (destination, VRF) -> next hop, IPv4 and
 * IPv6, valid for one FIB generation (fib_dp.h): with 100,000s of routes a
 * walk's levels miss the CPU caches (an IPv6 /64 is 7 levels deep); a hit
 * is one load. Direct-mapped, 4096 slots (128 KiB): 1,024 flows cost ~91
 * -> ~73 cycles a packet for IPv6, ~75 -> ~73 for IPv4 (bench ipv*-100k).
 * Any route change empties it (for that worker, at its next burst). */
#define SL_RT_CACHE_BITS 12
struct sl_rt_cache_slot {
	uint64_t a[2];
	uint64_t gen;		/* sl_fib_gen it was filled under; 0: empty */
	uint32_t nh;
	uint16_t vrf;
	uint16_t pad;
};

struct sl_worker {
	unsigned int id;	/* 0..n-1: RCU thread id and tx queue on every port */
	unsigned int lcore;
	uint8_t sleeping;	/* relaxed; informational */
	struct rte_mempool *pool;	/* for flood copies */
	struct rte_ring *learn_ring;	/* learn/move events to the control thread */
	struct rte_ring *punt_ring;	/* packets for the control thread (l3_dp.h) */
	struct sl_worker_stats stats __rte_cache_aligned;
	uint64_t tx_pending __rte_cache_aligned;	/* ports with staged packets */
	uint16_t n_dropped;
	struct rte_mbuf *dropped[SL_TXBUF_SIZE];
	uint16_t n_punt;
	struct rte_mbuf *punt[SL_TXBUF_SIZE];
	uint64_t punt_window;	/* tsc: start of the current punt budget window */
	uint32_t punt_credit;	/* ICMP/resolve punts left in the window */
	struct sl_txbuf tx[RTE_MAX_ETHPORTS];
	struct sl_learn_slot learn_cache[SL_LEARN_CACHE_SIZE] __rte_aligned(32);
	uint32_t fdb_gen;	/* sl_fdb_gen of the FDB cache's epoch */
	uint32_t fdb_now;	/* sl_now_s of the FDB cache's epoch */
	uint16_t fdb_epoch;	/* valid slots carry it; never 0 once running */
	uint64_t fdb_cache[SL_FDB_CACHE_SIZE] __rte_aligned(64);
	struct sl_rt_cache_slot rt_cache[1u << SL_RT_CACHE_BITS] __rte_aligned(32);
	uint64_t port_tx_drops[RTE_MAX_ETHPORTS];	/* tx-full per egress port */
	uint64_t port_tx_retries[RTE_MAX_ETHPORTS];	/* tx retry bursts per port */
	uint64_t vlan_rx[4096];		/* packets per ingress VLAN (single writer) */
	uint64_t vlan_flood[4096];	/* flooded packets per VLAN */
} __rte_cache_aligned;

/* Coarse clock in seconds, written by the control thread each tick, read
 * relaxed by workers for FDB last-seen stamps. */
extern uint32_t sl_now_s;

/* Each in hugepage memory on its lcore's NUMA node (sl_workers_start). */
extern struct sl_worker *sl_workers[SL_MAX_WORKERS];
extern unsigned int sl_n_workers;
extern volatile int sl_dp_stop;
/* Bumped by `stats clear`: each worker then restarts its loop_max_cycles
 * (a maximum cannot be rebased like a counter; the control thread never
 * writes worker memory). */
extern uint32_t sl_stats_gen;

/* ctrl thread: bind one worker per non-main lcore. */
int sl_workers_start(void);
/* ctrl thread: start every worker loop (after the first snapshot). */
int sl_workers_launch(void);
/* ctrl thread: ask workers to leave their loop and wait for them. */
void sl_workers_stop(void);

/* worker lcore entry point (rte_eal_remote_launch). */
int sl_worker_main(void *arg);

/* ctrl thread: sum of every worker's counters. */
void sl_workers_sum(struct sl_worker_stats *sum);
/* ctrl thread: counters of one worker minus the `stats clear` baseline. */
void sl_worker_read(unsigned int id, struct sl_worker_stats *out);
/* ctrl thread: remember current values as the zero point. */
void sl_workers_clear(void);

#endif
