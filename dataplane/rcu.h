/* SPDX-License-Identifier: BSD-3-Clause */
/* RCU (rte_rcu_qsbr) shared by every table: workers report quiescent states,
 * the control thread waits for grace periods before freeing. */
#ifndef SL_RCU_H
#define SL_RCU_H

#include <stdint.h>

#include <rte_rcu_qsbr.h>

extern struct rte_rcu_qsbr *sl_rcu;

struct sl_rcu_stats {
	uint64_t publishes;	/* datapath snapshots published */
	uint64_t grace_periods;
	uint64_t total_cycles;
	uint64_t max_cycles;
};

/* ctrl thread, at start-up. */
int sl_rcu_init(unsigned int n_workers);
void sl_rcu_fini(void);

/* ctrl thread: block until every online worker passed a quiescent state.
 * Workers report once per poll loop, so this waits at most one loop. */
void sl_rcu_synchronize(void);

/* ctrl thread. */
const struct sl_rcu_stats *sl_rcu_stats(void);

#endif
