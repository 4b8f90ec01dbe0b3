/* SPDX-License-Identifier: BSD-3-Clause */
/* Worker lcores: per-worker context and counters, launch and stop. The loop
 * itself is in worker_dp.c; everything else here runs on the control thread. */
#ifndef SL_WORKER_H
#define SL_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>

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
	uint64_t drops[SL_DROP_MAX];
};

struct sl_worker {
	unsigned int id;	/* 0..n-1: RCU thread id and tx queue on every port */
	unsigned int lcore;
	uint8_t sleeping;	/* relaxed; informational */
	struct sl_worker_stats stats __rte_cache_aligned;
} __rte_cache_aligned;

extern struct sl_worker sl_workers[SL_MAX_WORKERS];
extern unsigned int sl_n_workers;
extern volatile int sl_dp_stop;

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
