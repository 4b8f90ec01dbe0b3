/* SPDX-License-Identifier: BSD-3-Clause */
/* QSBR set-up and the one publish path for the datapath snapshot. Runs on the
 * control thread only; workers see nothing here but the snapshot pointer. */
#include <errno.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "dataplane/rcu.h"
#include "dataplane/snapshot.h"
#include "dataplane/sluice.h"

struct rte_rcu_qsbr *sl_rcu;
struct sl_snapshot *sl_snapshot_cur;
static struct sl_rcu_stats rcu_stats;
static uint64_t snapshot_gen;

int
sl_rcu_init(unsigned int n_workers)
{
	size_t sz = rte_rcu_qsbr_get_memsize(RTE_MAX(n_workers, 1u));

	sl_rcu = rte_zmalloc("sl_rcu", sz, RTE_CACHE_LINE_SIZE);
	if (sl_rcu == NULL)
		return -ENOMEM;
	if (rte_rcu_qsbr_init(sl_rcu, RTE_MAX(n_workers, 1u)) != 0) {
		rte_free(sl_rcu);
		sl_rcu = NULL;
		return -EINVAL;
	}
	return 0;
}

void
sl_rcu_fini(void)
{
	rte_free(sl_snapshot_cur);
	sl_snapshot_cur = NULL;
	rte_free(sl_rcu);
	sl_rcu = NULL;
}

void
sl_rcu_synchronize(void)
{
	uint64_t t0 = rte_rdtsc(), dt;

	SL_ASSERT_CTRL();
	rte_rcu_qsbr_synchronize(sl_rcu, RTE_QSBR_THRID_INVALID);
	dt = rte_rdtsc() - t0;
	rcu_stats.grace_periods++;
	rcu_stats.total_cycles += dt;
	if (dt > rcu_stats.max_cycles)
		rcu_stats.max_cycles = dt;
}

const struct sl_rcu_stats *
sl_rcu_stats(void)
{
	return &rcu_stats;
}

struct sl_snapshot *
sl_snapshot_alloc(unsigned int n_workers)
{
	struct sl_snapshot *s;

	s = rte_zmalloc("sl_snapshot",
		sizeof(*s) + n_workers * sizeof(s->workers[0]), RTE_CACHE_LINE_SIZE);
	if (s == NULL)
		return NULL;
	s->n_workers = n_workers;
	s->burst = SL_BURST_DEFAULT;
	for (unsigned int i = 0; i < RTE_DIM(s->ports); i++)
		s->ports[i].out_port = SL_PORT_NONE;
	return s;
}

void
sl_snapshot_publish(struct sl_snapshot *s)
{
	struct sl_snapshot *old;

	SL_ASSERT_CTRL();
	s->gen = ++snapshot_gen;
	rcu_stats.publishes++;
	/* release: every store that built *s happens-before a worker's acquire
	 * load of the new pointer. */
	old = __atomic_exchange_n(&sl_snapshot_cur, s, __ATOMIC_RELEASE);
	if (old == NULL)
		return;
	/* A worker may still hold `old` until its next quiescent report. */
	sl_rcu_synchronize();
	rte_free(old);
}
