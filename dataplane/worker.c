/* SPDX-License-Identifier: BSD-3-Clause */
/* Worker set-up and counters, control-thread side: binds a worker to every
 * non-main lcore, launches and stops them, sums and clears their counters. */
#include <errno.h>
#include <string.h>

#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "dataplane/worker.h"

struct sl_worker *sl_workers[SL_MAX_WORKERS];
unsigned int sl_n_workers;
volatile int sl_dp_stop;
uint32_t sl_stats_gen;

const char *const sl_drop_names[SL_DROP_MAX] = {
#define X(e, s) [SL_DROP_##e] = s,
	SL_DROP_REASONS(X)
#undef X
};

/* `stats clear` baseline: the control thread never writes worker memory. */
static struct sl_worker_stats baseline[SL_MAX_WORKERS];

int
sl_workers_start(void)
{
	unsigned int lcore, n = 0;

	SL_ASSERT_CTRL();
	RTE_LCORE_FOREACH_WORKER(lcore) {
		struct sl_worker *w;

		if (n == SL_MAX_WORKERS)
			break;
		/* Hugepage memory on the worker's own NUMA node, for its
		 * caches (~400 KiB) and counters. */
		w = rte_zmalloc_socket("sl_worker", sizeof(*w), RTE_CACHE_LINE_SIZE,
			(int)rte_lcore_to_socket_id(lcore));
		if (w == NULL) {
			SL_LOG(ERR, "worker %u: out of hugepage memory (%zu bytes)", n, sizeof(*w));
			return -ENOMEM;
		}
		w->id = n;
		w->lcore = lcore;
		sl_workers[n++] = w;
	}
	sl_n_workers = n;
	return n ? 0 : -ENODEV;
}

/* ctrl thread: launch after the first snapshot is published. */
int
sl_workers_launch(void)
{
	for (unsigned int i = 0; i < sl_n_workers; i++) {
		int rc = rte_eal_remote_launch(sl_worker_main, sl_workers[i],
			sl_workers[i]->lcore);
		if (rc != 0)
			return rc;
	}
	return 0;
}

void
sl_workers_stop(void)
{
	SL_ASSERT_CTRL();
	__atomic_store_n(&sl_dp_stop, 1, __ATOMIC_RELAXED);
	rte_eal_mp_wait_lcore();
}

static void
read_raw(unsigned int id, struct sl_worker_stats *o)
{
	const struct sl_worker_stats *s = &sl_workers[id]->stats;

	o->rx_packets = SL_STAT_READ(s->rx_packets);
	o->tx_packets = SL_STAT_READ(s->tx_packets);
	o->bursts = SL_STAT_READ(s->bursts);
	o->loops = SL_STAT_READ(s->loops);
	o->busy_cycles = SL_STAT_READ(s->busy_cycles);
	o->idle_cycles = SL_STAT_READ(s->idle_cycles);
	o->punted = SL_STAT_READ(s->punted);
	o->loop_max_cycles = SL_STAT_READ(s->loop_max_cycles);
	o->icmp_limited = SL_STAT_READ(s->icmp_limited);
	o->injected = SL_STAT_READ(s->injected);
	for (unsigned int r = 0; r < SL_DROP_MAX; r++)
		o->drops[r] = SL_STAT_READ(s->drops[r]);
}

void
sl_worker_read(unsigned int id, struct sl_worker_stats *o)
{
	const struct sl_worker_stats *b = &baseline[id];

	read_raw(id, o);
	o->rx_packets -= b->rx_packets;
	o->tx_packets -= b->tx_packets;
	o->bursts -= b->bursts;
	o->busy_cycles -= b->busy_cycles;
	o->idle_cycles -= b->idle_cycles;
	o->punted -= b->punted;
	o->icmp_limited -= b->icmp_limited;
	o->injected -= b->injected;
	for (unsigned int r = 0; r < SL_DROP_MAX; r++)
		o->drops[r] -= b->drops[r];
	/* loops is a liveness counter: never rebased. */
}

void
sl_workers_sum(struct sl_worker_stats *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (unsigned int i = 0; i < sl_n_workers; i++) {
		struct sl_worker_stats o;

		sl_worker_read(i, &o);
		sum->rx_packets += o.rx_packets;
		sum->tx_packets += o.tx_packets;
		sum->bursts += o.bursts;
		sum->loops += o.loops;
		sum->busy_cycles += o.busy_cycles;
		sum->idle_cycles += o.idle_cycles;
		sum->punted += o.punted;
		sum->icmp_limited += o.icmp_limited;
		sum->loop_max_cycles = RTE_MAX(sum->loop_max_cycles, o.loop_max_cycles);
		sum->injected += o.injected;
		for (unsigned int r = 0; r < SL_DROP_MAX; r++)
			sum->drops[r] += o.drops[r];
	}
}

void
sl_workers_clear(void)
{
	SL_ASSERT_CTRL();
	for (unsigned int i = 0; i < sl_n_workers; i++)
		read_raw(i, &baseline[i]);
	__atomic_fetch_add(&sl_stats_gen, 1, __ATOMIC_RELAXED);
}
