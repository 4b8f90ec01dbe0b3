/* SPDX-License-Identifier: BSD-3-Clause */
/* Datapath unit tests without hugepages: the xconnect and tx stages fed with
 * built bursts on net_ring ports, the RCU publish path with a reader on a
 * second lcore, and the worker loop itself between two ports. */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_pause.h>
#include <rte_rcu_qsbr.h>

#include "ctrl/config/config.h"
#include "dataplane/rcu.h"
#include "dataplane/snapshot.h"
#include "dataplane/worker.h"
#include "drivers/port.h"
#include "pipelines/tx/tx_dp.h"
#include "pipelines/xconnect/xconnect_dp.h"

/* sluiced defines the log type in dataplane/main.c, outside libsluice; weak,
 * so a definition moved into the library takes over. */
__attribute__((weak)) int sl_logtype;

#define BIT(p) (UINT64_C(1) << (p))
#define SEQ_OFF 14		/* after a (fake) Ethernet header */
#define POOL_SIZE 4095
#define MARK_OLD 0xBEEF
#define MARK_NEW 0xCAFE
#define MARK_PORT 7

static char tmpdir[256];
static struct rte_mempool *pool;	/* every test packet; no per-lcore cache */
static uint16_t pa, pb, pc;		/* ethdev ids of ports a, b, c (net_ring) */
static struct sl_snapshot *ts;		/* unpublished snapshot for stage tests */
static unsigned int base_avail;
static bool worker_running;

/* The worker struct a stage test drives; id 0 sends on tx queue 0. */
static struct sl_worker tw;

/* ---- helpers ---- */

static void
mk_burst(struct rte_mbuf **pkts, unsigned int n, uint32_t seq0)
{
	for (unsigned int i = 0; i < n; i++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		char *d;

		assert_non_null(m);
		d = rte_pktmbuf_append(m, 64);
		assert_non_null(d);
		memset(d, 0, 64);
		memcpy(d + SEQ_OFF, &(uint32_t){ seq0 + i }, sizeof(uint32_t));
		pkts[i] = m;
	}
}

static uint32_t
seq_of(const struct rte_mbuf *m)
{
	uint32_t v;

	memcpy(&v, rte_pktmbuf_mtod_offset(m, const char *, SEQ_OFF), sizeof(v));
	return v;
}

/* Receive what a (loopback) net_ring port holds: what was sent to it. When
 * seq0 >= 0, the packets must carry seq0, seq0+1, ... in order. Frees them. */
static unsigned int
drain(uint16_t port, int64_t seq0)
{
	struct rte_mbuf *pkts[SL_BURST_MAX];
	unsigned int total = 0;
	uint16_t n;

	while ((n = rte_eth_rx_burst(port, 0, pkts, RTE_DIM(pkts))) > 0) {
		for (uint16_t i = 0; i < n; i++) {
			if (seq0 >= 0)
				assert_int_equal(seq_of(pkts[i]), (uint32_t)seq0 + total + i);
			rte_pktmbuf_free(pkts[i]);
		}
		total += n;
	}
	return total;
}

/* Fill port's ring until it takes no more, then free `room` slots again.
 * Returns the number of packets left in it. */
static unsigned int
fill_leaving(uint16_t port, unsigned int room)
{
	struct rte_mbuf *m, *pkts[SL_BURST_MAX];
	unsigned int held = 0;

	for (;;) {
		mk_burst(&m, 1, 0x7fffffff);
		if (rte_eth_tx_burst(port, 0, &m, 1) == 0) {
			rte_pktmbuf_free(m);
			break;
		}
		held++;
		assert_true(held < POOL_SIZE / 2);
	}
	assert_true(held > room);
	while (room > 0) {
		uint16_t n = rte_eth_rx_burst(port, 0, pkts, RTE_MIN(room, RTE_DIM(pkts)));

		assert_true(n > 0);
		rte_pktmbuf_free_bulk(pkts, n);
		room -= n;
		held -= n;
	}
	return held;
}

static bool
wait_for(const uint64_t *field, uint64_t want)
{
	uint64_t deadline = rte_rdtsc() + 5 * rte_get_tsc_hz();

	while (__atomic_load_n(field, __ATOMIC_RELAXED) != want) {
		if (rte_rdtsc() > deadline)
			return false;
		rte_delay_us_sleep(100);
	}
	return true;
}

static bool
wait_avail(unsigned int want)
{
	uint64_t deadline = rte_rdtsc() + 5 * rte_get_tsc_hz();

	while (rte_mempool_avail_count(pool) != want) {
		if (rte_rdtsc() > deadline)
			return false;
		rte_delay_us_sleep(100);
	}
	return true;
}

static void
assert_no_drops_but(const struct sl_worker_stats *st, int reason, uint64_t n)
{
	for (int r = 0; r < SL_DROP_MAX; r++)
		assert_int_equal(st->drops[r], r == reason ? n : 0);
}

/* ---- fixtures ---- */

static int
rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	RTE_SET_USED(sb);
	RTE_SET_USED(flag);
	RTE_SET_USED(ftw);
	remove(p);
	return 0;
}

static int
group_setup(void **state)
{
	const struct sl_port_opts o = { 0 };
	static const char *const names[] = { "a", "b", "c" };
	char err[SL_ERR_MAX], cfg[512];

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sl_ut_dp.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(cfg, sizeof(cfg), "%s/sluice.conf", tmpdir);
	sl_config_set_path(cfg);
	/* A small port pool: the default (32767 mbufs) is most of -m 128. */
	sl_mbufs_per_pool = 1023;

	if (sl_workers_start() < 0 || sl_n_workers != 1) {
		fprintf(stderr, "test_datapath: need exactly one worker lcore (-l 0-1)\n");
		return -1;
	}
	if (sl_rcu_init(sl_n_workers) < 0 || sl_dp_publish() < 0)
		return -1;
	for (unsigned int i = 0; i < RTE_DIM(names); i++) {
		char devargs[32];

		snprintf(devargs, sizeof(devargs), "net_ring_%s", names[i]);
		if (sl_port_add(names[i], devargs, &o, err) < 0) {
			fprintf(stderr, "test_datapath: %s\n", err);
			return -1;
		}
	}
	pa = sl_port_by_name("a")->port_id;
	pb = sl_port_by_name("b")->port_id;
	pc = sl_port_by_name("c")->port_id;

	pool = rte_pktmbuf_pool_create("ut_pool", POOL_SIZE, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
		SOCKET_ID_ANY);
	ts = sl_snapshot_alloc(1);
	return pool != NULL && ts != NULL ? 0 : -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	if (worker_running)
		sl_workers_stop();
	sl_ports_del_all();
	rte_free(ts);
	rte_mempool_free(pool);
	sl_rcu_fini();
	nftw(tmpdir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static int
setup(void **state)
{
	(void)state;
	drain(pa, -1);
	drain(pb, -1);
	drain(pc, -1);
	memset(&tw, 0, sizeof(tw));
	tw.id = 0;
	ts->active_mask = BIT(pa) | BIT(pb) | BIT(pc);
	base_avail = rte_mempool_avail_count(pool);
	return 0;
}

/* Every test ends with every mbuf back in the pool. */
static int
teardown(void **state)
{
	(void)state;
	drain(pa, -1);
	drain(pb, -1);
	drain(pc, -1);
	if (!wait_avail(base_avail)) {
		fprintf(stderr, "mbuf leak: %u available, %u at start\n",
			rte_mempool_avail_count(pool), base_avail);
		return -1;
	}
	return 0;
}

/* ---- publish path, through the port module ---- */

static void
test_port_add_publishes_ports_and_rx_queues(void **state)
{
	const struct sl_snapshot *s = sl_snapshot_get();
	unsigned int seen = 0;

	(void)state;
	assert_non_null(s);
	assert_int_equal(s->n_workers, 1);
	assert_int_equal(s->active_mask, BIT(pa) | BIT(pb) | BIT(pc));
	assert_true(s->ports[pa].active && s->ports[pb].active && s->ports[pc].active);
	assert_int_equal(s->ports[pa].out_port, SL_PORT_NONE);
	assert_int_equal(s->ports[pb].out_port, SL_PORT_NONE);
	/* One rx queue per port, all on the only worker. */
	assert_int_equal(s->workers[0].n_rxq, 3);
	for (unsigned int i = 0; i < s->workers[0].n_rxq; i++) {
		const struct sl_dp_rxq *q = &s->workers[0].rxq[i];

		assert_int_equal(q->queue, 0);
		seen |= (q->port_id == pa) << 0 | (q->port_id == pb) << 1 | (q->port_id == pc) << 2;
	}
	assert_int_equal(seen, 7);
}

static void
test_port_xconnect_publishes_out_ports_both_ways(void **state)
{
	char err[SL_ERR_MAX];
	const struct sl_snapshot *s;
	uint64_t gen0 = sl_snapshot_get()->gen;

	(void)state;
	assert_int_equal(sl_port_xconnect(sl_port_by_name("a"), sl_port_by_name("b"), err), 0);
	s = sl_snapshot_get();
	assert_true(s->gen > gen0);
	assert_int_equal(s->ports[pa].out_port, pb);
	assert_int_equal(s->ports[pb].out_port, pa);
	assert_int_equal(s->ports[pc].out_port, SL_PORT_NONE);

	assert_int_equal(sl_port_xconnect_del(sl_port_by_name("b"), err), 0);
	s = sl_snapshot_get();
	assert_int_equal(s->ports[pa].out_port, SL_PORT_NONE);
	assert_int_equal(s->ports[pb].out_port, SL_PORT_NONE);
}

/* ---- xconnect stage ---- */

static void
test_xconnect_burst_sends_to_peer(void **state)
{
	struct rte_mbuf *pkts[8];

	(void)state;
	mk_burst(pkts, 8, 100);
	sl_xconnect_burst(&tw, ts, pb, pkts, 8);
	assert_int_equal(tw.stats.tx_packets, 8);
	assert_no_drops_but(&tw.stats, -1, 0);
	assert_int_equal(drain(pb, 100), 8);
	assert_int_equal(drain(pa, -1), 0);
}

static void
test_xconnect_burst_to_inactive_peer_drops_no_output(void **state)
{
	struct rte_mbuf *pkts[8];

	(void)state;
	ts->active_mask = BIT(pa) | BIT(pc);
	mk_burst(pkts, 8, 0);
	sl_xconnect_burst(&tw, ts, pb, pkts, 8);
	assert_int_equal(tw.stats.tx_packets, 0);
	assert_no_drops_but(&tw.stats, SL_DROP_NO_OUTPUT, 8);
	assert_int_equal(drain(pb, -1), 0);
	/* Freed at once, not held. */
	assert_int_equal(rte_mempool_avail_count(pool), base_avail);
}

static void
test_xconnect_burst_full_queue_drops_tx_full_and_frees(void **state)
{
	struct rte_mbuf *pkts[8];
	unsigned int held;

	(void)state;
	held = fill_leaving(pb, 3);
	mk_burst(pkts, 8, 0);
	sl_xconnect_burst(&tw, ts, pb, pkts, 8);
	assert_int_equal(tw.stats.tx_packets, 3);
	assert_no_drops_but(&tw.stats, SL_DROP_TX_FULL, 5);
	/* What the queue holds plus what it took; the 5 others are back. */
	assert_int_equal(rte_mempool_avail_count(pool), base_avail - held - 3);
}

/* ---- tx stage ---- */

static void
test_tx_enqueue_stages_until_flush_one_burst_per_port(void **state)
{
	struct rte_mbuf *b[5], *c[3];

	(void)state;
	mk_burst(b, 5, 10);
	mk_burst(c, 3, 20);
	for (unsigned int i = 0; i < 5; i++) {
		sl_tx_enqueue(&tw, ts, pb, b[i]);
		if (i < 3)
			sl_tx_enqueue(&tw, ts, pc, c[i]);
	}
	/* Staged, not sent. */
	assert_int_equal(tw.tx[pb].n, 5);
	assert_int_equal(tw.tx[pc].n, 3);
	assert_int_equal(tw.tx_pending, BIT(pb) | BIT(pc));
	assert_int_equal(tw.stats.tx_packets, 0);

	sl_tx_flush(&tw, ts);
	assert_int_equal(tw.tx_pending, 0);
	assert_int_equal(tw.tx[pb].n, 0);
	assert_int_equal(tw.tx[pc].n, 0);
	assert_int_equal(tw.stats.tx_packets, 8);
	assert_no_drops_but(&tw.stats, -1, 0);
	assert_int_equal(drain(pb, 10), 5);
	assert_int_equal(drain(pc, 20), 3);
	assert_int_equal(drain(pa, -1), 0);

	/* Nothing staged: a flush sends nothing. */
	sl_tx_flush(&tw, ts);
	assert_int_equal(tw.stats.tx_packets, 8);
}

static void
test_tx_enqueue_sends_a_full_buffer_at_once(void **state)
{
	struct rte_mbuf *pkts[SL_TXBUF_SIZE + 1];

	(void)state;
	mk_burst(pkts, SL_TXBUF_SIZE + 1, 0);
	for (unsigned int i = 0; i < SL_TXBUF_SIZE; i++)
		sl_tx_enqueue(&tw, ts, pb, pkts[i]);
	assert_int_equal(tw.tx[pb].n, 0);
	assert_int_equal(tw.stats.tx_packets, SL_TXBUF_SIZE);
	sl_tx_enqueue(&tw, ts, pb, pkts[SL_TXBUF_SIZE]);
	assert_int_equal(tw.tx[pb].n, 1);
	sl_tx_flush(&tw, ts);
	assert_int_equal(tw.stats.tx_packets, SL_TXBUF_SIZE + 1);
	assert_int_equal(drain(pb, 0), SL_TXBUF_SIZE + 1);
}

static void
test_tx_flush_full_queue_counts_tx_full_and_frees(void **state)
{
	struct rte_mbuf *pkts[30];
	unsigned int held;

	(void)state;
	held = fill_leaving(pb, 10);
	mk_burst(pkts, 30, 0);
	for (unsigned int i = 0; i < 30; i++)
		sl_tx_enqueue(&tw, ts, pb, pkts[i]);
	sl_tx_flush(&tw, ts);
	assert_int_equal(tw.stats.tx_packets, 10);
	assert_no_drops_but(&tw.stats, SL_DROP_TX_FULL, 20);
	assert_int_equal(tw.tx[pb].n, 0);
	assert_int_equal(rte_mempool_avail_count(pool), base_avail - held - 10);
}

static void
test_drop_counts_reason_and_frees_in_bulk_at_flush(void **state)
{
	struct rte_mbuf *pkts[3];

	(void)state;
	mk_burst(pkts, 3, 0);
	for (unsigned int i = 0; i < 3; i++)
		sl_drop(&tw, pkts[i], SL_DROP_TRUNCATED);
	assert_no_drops_but(&tw.stats, SL_DROP_TRUNCATED, 3);
	/* Held until the end of the burst... */
	assert_int_equal(tw.n_dropped, 3);
	assert_int_equal(rte_mempool_avail_count(pool), base_avail - 3);
	/* ...then freed together. */
	sl_drop_flush(&tw);
	assert_int_equal(tw.n_dropped, 0);
	assert_int_equal(rte_mempool_avail_count(pool), base_avail);
	sl_drop_flush(&tw);
	assert_int_equal(rte_mempool_avail_count(pool), base_avail);
}

static void
test_drop_frees_when_its_buffer_fills(void **state)
{
	struct rte_mbuf *pkts[SL_TXBUF_SIZE + 1];

	(void)state;
	mk_burst(pkts, SL_TXBUF_SIZE + 1, 0);
	for (unsigned int i = 0; i < SL_TXBUF_SIZE; i++)
		sl_drop(&tw, pkts[i], SL_DROP_NO_OUTPUT);
	assert_int_equal(tw.n_dropped, 0);
	assert_int_equal(rte_mempool_avail_count(pool), base_avail - 1);
	sl_drop(&tw, pkts[SL_TXBUF_SIZE], SL_DROP_MTU_EXCEEDED);
	assert_int_equal(tw.n_dropped, 1);
	sl_drop_flush(&tw);
	assert_int_equal(tw.stats.drops[SL_DROP_NO_OUTPUT], SL_TXBUF_SIZE);
	assert_int_equal(tw.stats.drops[SL_DROP_MTU_EXCEEDED], 1);
}

/* ---- RCU: publish frees the old snapshot only after a grace period ---- */

static struct {
	int phase;		/* 1: holding the old one, 2: done with it, 3: exit */
	uint64_t old_gen, new_gen;
	uint16_t new_mark;
	unsigned int corrupt;
	uint64_t checks_after_swap;
} rd;

static void
check_held(const struct sl_snapshot *s)
{
	if (s->gen != rd.old_gen || s->ports[MARK_PORT].out_port != MARK_OLD ||
			s->n_workers != 1)
		rd.corrupt++;
}

/* On lcore 1, as worker 0 would: take the snapshot, keep using it for 50 ms
 * after the control thread swapped the pointer, then report quiescent. */
static int
reader(void *arg)
{
	const struct sl_snapshot *s, *now;
	uint64_t end;

	RTE_SET_USED(arg);
	rte_rcu_qsbr_thread_register(sl_rcu, 0);
	rte_rcu_qsbr_thread_online(sl_rcu, 0);
	s = sl_snapshot_get();
	rd.old_gen = s->gen;
	check_held(s);
	__atomic_store_n(&rd.phase, 1, __ATOMIC_RELEASE);

	end = rte_rdtsc() + 5 * rte_get_tsc_hz();
	while (sl_snapshot_get() == s && rte_rdtsc() < end)
		check_held(s);
	end = rte_rdtsc() + rte_get_tsc_hz() / 20;
	while (rte_rdtsc() < end) {
		check_held(s);
		rd.checks_after_swap++;
	}
	/* Last use of s, then the quiescent report that lets it go. */
	check_held(s);
	__atomic_store_n(&rd.phase, 2, __ATOMIC_RELEASE);
	rte_rcu_qsbr_quiescent(sl_rcu, 0);

	now = sl_snapshot_get();
	rd.new_gen = now->gen;
	rd.new_mark = now->ports[MARK_PORT].out_port;
	rte_rcu_qsbr_thread_offline(sl_rcu, 0);
	rte_rcu_qsbr_thread_unregister(sl_rcu, 0);
	__atomic_store_n(&rd.phase, 3, __ATOMIC_RELEASE);
	return 0;
}

static void
test_publish_frees_old_snapshot_only_after_reader_quiescent(void **state)
{
	struct sl_snapshot *s1 = sl_snapshot_alloc(1), *s2 = sl_snapshot_alloc(1);
	uint64_t gp0, t0, dt, deadline;
	int phase_at_return;

	(void)state;
	assert_non_null(s1);
	assert_non_null(s2);
	s1->ports[MARK_PORT].out_port = MARK_OLD;
	s2->ports[MARK_PORT].out_port = MARK_NEW;
	memset(&rd, 0, sizeof(rd));
	/* Nobody is registered: this grace period ends at once. */
	sl_snapshot_publish(s1);
	assert_ptr_equal(sl_snapshot_get(), s1);
	gp0 = sl_rcu_stats()->grace_periods;

	assert_int_equal(rte_eal_remote_launch(reader, NULL, sl_workers[0]->lcore), 0);
	deadline = rte_rdtsc() + 5 * rte_get_tsc_hz();
	while (__atomic_load_n(&rd.phase, __ATOMIC_ACQUIRE) < 1 && rte_rdtsc() < deadline)
		rte_pause();
	assert_int_equal(__atomic_load_n(&rd.phase, __ATOMIC_ACQUIRE), 1);

	t0 = rte_rdtsc();
	sl_snapshot_publish(s2);	/* waits for the reader, then frees s1 */
	dt = rte_rdtsc() - t0;
	phase_at_return = __atomic_load_n(&rd.phase, __ATOMIC_ACQUIRE);
	assert_int_equal(rte_eal_wait_lcore(sl_workers[0]->lcore), 0);

	assert_true(phase_at_return >= 2);
	assert_int_equal(rd.corrupt, 0);
	assert_true(rd.checks_after_swap > 0);
	assert_true(dt >= rte_get_tsc_hz() / 40);
	assert_int_equal(sl_rcu_stats()->grace_periods, gp0 + 1);
	assert_ptr_equal(sl_snapshot_get(), s2);
	assert_int_equal(s2->gen, rd.old_gen + 1);
	assert_int_equal(rd.new_gen, s2->gen);
	assert_int_equal(rd.new_mark, MARK_NEW);
}

/* ---- the worker loop between two ports ---- */

static void
publish_loop_conf(uint16_t out, uint64_t active, uint8_t busy_poll)
{
	struct sl_snapshot *s = sl_snapshot_alloc(sl_n_workers);

	assert_non_null(s);
	s->workers[0].n_rxq = 1;
	s->workers[0].rxq[0].port_id = pa;
	s->workers[0].rxq[0].queue = 0;
	s->ports[pa].out_port = out;
	for (uint16_t p = 0; p < RTE_MAX_ETHPORTS; p++)
		s->ports[p].active = (active >> p) & 1;
	s->active_mask = active;
	s->busy_poll = busy_poll;
	sl_snapshot_publish(s);
}

/* Frames go into a's ring (its tx side); only the worker reads it. */
static void
inject(unsigned int n, uint32_t seq0)
{
	struct rte_mbuf *pkts[SL_BURST_MAX];

	assert_true(n <= RTE_DIM(pkts));
	mk_burst(pkts, n, seq0);
	assert_int_equal(rte_eth_tx_burst(pa, 0, pkts, n), n);
}

static void
test_worker_loop_forwards_xconnect_and_drops_no_output(void **state)
{
	const struct sl_worker_stats *st = &sl_workers[0]->stats;
	uint64_t rx0 = st->rx_packets, tx0 = st->tx_packets;
	uint64_t nout0 = st->drops[SL_DROP_NO_OUTPUT], deadline;
	unsigned int got = 0;

	(void)state;
	/* a -> b; the worker sleeps when idle (offline from RCU meanwhile). */
	publish_loop_conf(pb, BIT(pa) | BIT(pb), 0);
	assert_int_equal(sl_workers_launch(), 0);
	worker_running = true;

	inject(16, 1000);
	deadline = rte_rdtsc() + 5 * rte_get_tsc_hz();
	while (got < 16 && rte_rdtsc() < deadline) {
		struct rte_mbuf *pkts[SL_BURST_MAX];
		uint16_t n = rte_eth_rx_burst(pb, 0, pkts, RTE_DIM(pkts));

		for (uint16_t i = 0; i < n; i++) {
			assert_int_equal(seq_of(pkts[i]), 1000 + got + i);
			rte_pktmbuf_free(pkts[i]);
		}
		got += n;
	}
	assert_int_equal(got, 16);
	assert_true(wait_for(&st->tx_packets, tx0 + 16));
	assert_true(wait_for(&st->rx_packets, rx0 + 16));

	/* a neither cross-connected nor switched: every frame is no-output.
	 * Busy-poll this time: publish must wait on quiescent reports. */
	publish_loop_conf(SL_PORT_NONE, BIT(pa) | BIT(pb), 1);
	inject(8, 0);
	assert_true(wait_for(&st->drops[SL_DROP_NO_OUTPUT], nout0 + 8));
	assert_true(wait_for(&st->rx_packets, rx0 + 24));

	/* Cross-connected to a port that may not be sent to: no-output too. */
	publish_loop_conf(pc, BIT(pa), 1);
	inject(4, 0);
	assert_true(wait_for(&st->drops[SL_DROP_NO_OUTPUT], nout0 + 12));
	assert_int_equal(SL_STAT_READ(st->drops[SL_DROP_TX_FULL]), 0);
	assert_int_equal(SL_STAT_READ(st->tx_packets), tx0 + 16);

	sl_workers_stop();
	worker_running = false;
	assert_true(st->loops > 0);
	assert_int_equal(drain(pb, -1), 0);
	assert_int_equal(drain(pc, -1), 0);
	assert_true(wait_avail(base_avail));
}

int
main(int argc, char **argv)
{
	char *eal[] = {
		argv[0], "--no-huge", "--no-shconf", "--no-pci", "--no-telemetry", "-m", "128",
		"--file-prefix", "sl_ut_datapath", "-l", "0-1", "--log-level", "lib.eal:warning",
	};
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_port_add_publishes_ports_and_rx_queues),
		T(test_port_xconnect_publishes_out_ports_both_ways),
		T(test_xconnect_burst_sends_to_peer),
		T(test_xconnect_burst_to_inactive_peer_drops_no_output),
		T(test_xconnect_burst_full_queue_drops_tx_full_and_frees),
		T(test_tx_enqueue_stages_until_flush_one_burst_per_port),
		T(test_tx_enqueue_sends_a_full_buffer_at_once),
		T(test_tx_flush_full_queue_counts_tx_full_and_frees),
		T(test_drop_counts_reason_and_frees_in_bulk_at_flush),
		T(test_drop_frees_when_its_buffer_fills),
		T(test_publish_frees_old_snapshot_only_after_reader_quiescent),
		/* Last: it leaves the worker stopped for good (sl_dp_stop). */
		T(test_worker_loop_forwards_xconnect_and_drops_no_output),
#undef T
	};
	int rc;

	RTE_SET_USED(argc);
	if (rte_eal_init(RTE_DIM(eal), eal) < 0) {
		fprintf(stderr, "test_datapath: EAL init failed\n");
		return 1;
	}
	rc = cmocka_run_group_tests_name("datapath", tests, group_setup, group_teardown);
	rte_eal_cleanup();
	return rc;
}
