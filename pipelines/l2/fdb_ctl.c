/* SPDX-License-Identifier: BSD-3-Clause */
/* FDB, control-thread side: the single writer of the lock-free rte_hash
 * workers read. Learn/move events come from per-worker rings; deleted slots
 * and entry indices are reused only after an RCU grace period. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_ring_elem.h>

#include "ctrl/loop/loop.h"
#include "dataplane/rcu.h"
#include "dataplane/worker.h"
#include "drivers/port.h"
#include "pipelines/l2/l2.h"
#include "pipelines/l2/l2_dp.h"

#define LEARN_RING_SIZE 4096
#define DRAIN_BURST 256
#define DRAIN_MAX_PER_TICK 65536

struct rte_hash *sl_fdb_hash;
struct sl_fdb_entry *sl_fdb_entries;
uint32_t sl_fdb_max_entries = SL_FDB_DEFAULT_ENTRIES;
uint32_t sl_now_s;
uint32_t sl_fdb_gen = 1;	/* workers start at 0: their first sync opens epoch 1 */

static void learn_one(const struct sl_learn_ev *ev);

struct pending {
	int32_t pos;	/* hash key slot, freed after the grace period */
	uint32_t idx;	/* entry index, likewise */
};

static uint32_t *free_stack, free_top;
static struct pending *pend;
static uint32_t n_pend, high_water;
static uint32_t ageing_s = SL_AGEING_DEFAULT_S, global_limit;
static uint32_t n_learned, n_static;
static struct {
	uint64_t learned, moved, aged, refreshed, limit_hits, table_full, events, stale;
} st;

#define ERR(fmt, ...) snprintf(err, SL_ERR_MAX, fmt, ##__VA_ARGS__)

static uint32_t
hash_key(const void *key, uint32_t len, uint32_t init)
{
	RTE_SET_USED(len);
	return rte_hash_crc_8byte(*(const uint64_t *)key, init);
}

int
sl_l2_init(void)
{
	char name[RTE_RING_NAMESIZE];
	struct rte_hash_parameters hp = {
		.name = "sl_fdb",
		.entries = RTE_MAX(sl_fdb_max_entries, 64u),
		.key_len = sizeof(uint64_t),
		.hash_func = hash_key,
		.socket_id = (int)rte_socket_id(),
		/* LF: workers look up while the control thread adds and
		 * deletes; implies NO_FREE_ON_DEL, slots are freed by us after
		 * a grace period. */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	uint32_t n = hp.entries;

	sl_fdb_hash = rte_hash_create(&hp);
	sl_fdb_entries = rte_zmalloc("sl_fdb_entries", (size_t)n * sizeof(*sl_fdb_entries),
		RTE_CACHE_LINE_SIZE);
	free_stack = rte_malloc("sl_fdb_free", (size_t)n * sizeof(*free_stack), 0);
	pend = rte_malloc("sl_fdb_pend", (size_t)n * sizeof(*pend), 0);
	if (sl_fdb_hash == NULL || sl_fdb_entries == NULL || free_stack == NULL || pend == NULL) {
		SL_LOG(ERR, "FDB of %u entries: out of memory (hugepages? -m?)", n);
		return -ENOMEM;
	}
	sl_fdb_max_entries = n;
	for (uint32_t i = 0; i < n; i++)
		free_stack[i] = n - 1 - i;
	free_top = n;
	for (unsigned int w = 0; w < sl_n_workers; w++) {
		snprintf(name, sizeof(name), "sl_learn_%u", w);
		sl_workers[w]->learn_ring = rte_ring_create_elem(name, sizeof(struct sl_learn_ev),
			LEARN_RING_SIZE, rte_lcore_to_socket_id(sl_workers[w]->lcore),
			RING_F_SP_ENQ | RING_F_SC_DEQ);
		sl_workers[w]->pool = sl_port_pool(rte_lcore_to_socket_id(sl_workers[w]->lcore));
		if (sl_workers[w]->learn_ring == NULL || sl_workers[w]->pool == NULL)
			return -ENOMEM;
	}
	return 0;
}

void
sl_l2_fini(void)
{
	for (unsigned int w = 0; w < sl_n_workers; w++)
		rte_ring_free(sl_workers[w]->learn_ring);
	rte_hash_free(sl_fdb_hash);
	rte_free(sl_fdb_entries);
	rte_free(free_stack);
	rte_free(pend);
	sl_fdb_hash = NULL;
}

/* After a grace period no worker holds a lookup result from before the
 * deletes: key slots and entry indices can be reused. One wait per batch. */
static void
reclaim(void)
{
	if (n_pend == 0)
		return;
	sl_rcu_synchronize();
	for (uint32_t i = 0; i < n_pend; i++) {
		rte_hash_free_key_with_position(sl_fdb_hash, pend[i].pos);
		__atomic_store_n(&sl_fdb_entries[pend[i].idx].flags, 0, __ATOMIC_RELEASE);
		free_stack[free_top++] = pend[i].idx;
	}
	n_pend = 0;
}

/* After a delete or a move is visible: workers' FDB caches forget. */
static void
fdb_changed(void)
{
	__atomic_store_n(&sl_fdb_gen, sl_fdb_gen + 1, __ATOMIC_RELEASE);
}

static void
entry_del(uint32_t idx)
{
	struct sl_fdb_entry *e = &sl_fdb_entries[idx];
	int32_t pos = rte_hash_del_key(sl_fdb_hash, &e->key);
	int pi;

	if (pos < 0)
		return;
	if (e->flags & SL_FDB_F_STATIC) {
		n_static--;
	} else {
		n_learned--;
		pi = sl_port_idx_by_id(e->port);
		if (pi >= 0 && sl_l2_ports[pi].learned)
			sl_l2_ports[pi].learned--;
	}
	__atomic_store_n(&e->flags, e->flags | SL_FDB_F_DYING, __ATOMIC_RELEASE);
	fdb_changed();
	pend[n_pend].pos = pos;
	pend[n_pend].idx = idx;
	n_pend++;
}

static int
entry_add(uint64_t key, uint16_t port, uint8_t flags)
{
	struct sl_fdb_entry *e;
	uint32_t idx;
	int rc;

	if (free_top == 0)
		reclaim();
	if (free_top == 0)
		return -ENOSPC;
	idx = free_stack[--free_top];
	e = &sl_fdb_entries[idx];
	e->key = key;
	e->port = port;
	e->last_seen = sl_now_s;
	e->flags = SL_FDB_F_USED | flags;
	/* The entry is complete before the key becomes visible: the LF hash
	 * publishes the key/data with release semantics. */
	rc = rte_hash_add_key_data(sl_fdb_hash, &key, (void *)(uintptr_t)idx);
	if (rc < 0) {
		e->flags = 0;
		free_stack[free_top++] = idx;
		return rc;
	}
	if (idx >= high_water)
		high_water = idx + 1;
	return 0;
}

static struct sl_fdb_entry *
entry_find(uint64_t key)
{
	void *data;

	if (rte_hash_lookup_data(sl_fdb_hash, &key, &data) < 0)
		return NULL;
	return &sl_fdb_entries[(uintptr_t)data];
}

void
sl_fdb_learn(uint64_t key, uint16_t port_id)
{
	struct sl_learn_ev ev = { .key = key, .port = port_id };

	learn_one(&ev);
}

static void
learn_one(const struct sl_learn_ev *ev)
{
	struct sl_fdb_entry *e = entry_find(ev->key);
	int pi = sl_port_idx_by_id(ev->port);
	struct sl_l2_port *lp;

	if (pi < 0)
		return;		/* port removed since the event was posted */
	lp = &sl_l2_ports[pi];
	/* Events posted before a VLAN change of the port arrive after its
	 * flush: learn only what the port's current VLANs allow. */
	if (!sl_l2_port_in_vlan(pi, sl_fdb_key_vlan(ev->key))) {
		st.stale++;
		return;
	}
	if (e != NULL) {
		int old;

		if (e->flags & SL_FDB_F_STATIC)
			return;	/* static entries are never overridden */
		if (e->port == ev->port) {
			e->last_seen = sl_now_s;
			st.refreshed++;
			return;
		}
		if (lp->mac_limit && lp->learned >= lp->mac_limit) {
			lp->mac_limit_hits++;
			st.limit_hits++;
			return;
		}
		old = sl_port_idx_by_id(e->port);
		if (old >= 0 && sl_l2_ports[old].learned)
			sl_l2_ports[old].learned--;
		lp->learned++;
		e->last_seen = sl_now_s;
		/* Relaxed: a worker sees the old or the new port, both valid. */
		__atomic_store_n(&e->port, ev->port, __ATOMIC_RELAXED);
		fdb_changed();
		st.moved++;
		return;
	}
	if ((global_limit && n_learned >= global_limit) ||
			(lp->mac_limit && lp->learned >= lp->mac_limit)) {
		if (lp->mac_limit && lp->learned >= lp->mac_limit)
			lp->mac_limit_hits++;
		st.limit_hits++;
		return;
	}
	if (entry_add(ev->key, ev->port, 0) < 0) {
		st.table_full++;
		return;
	}
	n_learned++;
	lp->learned++;
	st.learned++;
}

void
sl_fdb_learn_drain(void)
{
	struct sl_learn_ev evs[DRAIN_BURST];
	unsigned int total = 0;
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	__atomic_store_n(&sl_now_s, (uint32_t)ts.tv_sec, __ATOMIC_RELAXED);
	for (unsigned int w = 0; w < sl_n_workers; w++) {
		unsigned int n;

		if (sl_workers[w]->learn_ring == NULL)
			continue;
		do {
			n = rte_ring_sc_dequeue_burst_elem(sl_workers[w]->learn_ring, evs,
				sizeof(evs[0]), DRAIN_BURST, NULL);
			for (unsigned int i = 0; i < n; i++)
				learn_one(&evs[i]);
			total += n;
		} while (n == DRAIN_BURST && total < DRAIN_MAX_PER_TICK);
	}
	st.events += total;
	reclaim();
}
SL_LOOP_POLLER("fdb-learn", sl_fdb_learn_drain)

static void
ageing(void)
{
	uint32_t now = sl_now_s;

	if (ageing_s == 0 || n_learned == 0)
		return;
	for (uint32_t i = 0; i < high_water; i++) {
		struct sl_fdb_entry *e = &sl_fdb_entries[i];

		if ((e->flags & (SL_FDB_F_USED | SL_FDB_F_STATIC | SL_FDB_F_DYING)) !=
				SL_FDB_F_USED)
			continue;
		/* ">": last_seen has 1 s resolution, so an entry lives at least
		 * ageing_s (never aged within the second it was learned). */
		if (now - __atomic_load_n(&e->last_seen, __ATOMIC_RELAXED) > ageing_s) {
			entry_del(i);
			st.aged++;
		}
	}
	reclaim();
}
SL_LOOP_TIMER("fdb-ageing", ageing)

unsigned int
sl_fdb_flush(uint16_t vlan, uint16_t port_id, bool include_static)
{
	unsigned int n = 0;

	SL_ASSERT_CTRL();
	for (uint32_t i = 0; i < high_water; i++) {
		struct sl_fdb_entry *e = &sl_fdb_entries[i];

		if (!(e->flags & SL_FDB_F_USED) || (e->flags & SL_FDB_F_DYING))
			continue;
		if (!include_static && (e->flags & SL_FDB_F_STATIC))
			continue;
		if (vlan && sl_fdb_key_vlan(e->key) != vlan)
			continue;
		if (port_id != SL_PORT_NONE && e->port != port_id)
			continue;
		entry_del(i);
		n++;
	}
	reclaim();
	return n;
}

int
sl_fdb_add_static(uint16_t vlan, const struct rte_ether_addr *mac, uint16_t port_id, char *err)
{
	uint64_t key = sl_fdb_key(vlan, mac);
	struct sl_fdb_entry *e;
	int rc;

	SL_ASSERT_CTRL();
	if (!rte_is_unicast_ether_addr(mac) || rte_is_zero_ether_addr(mac)) {
		char macs[RTE_ETHER_ADDR_FMT_SIZE];

		sl_mac_format(macs, sizeof(macs), mac);
		ERR("fdb: static entries take a unicast MAC, not %s", macs);
		return -EINVAL;
	}
	e = entry_find(key);
	if (e != NULL) {
		if ((e->flags & SL_FDB_F_STATIC) && e->port == port_id)
			return 0;
		entry_del(e - sl_fdb_entries);
		reclaim();
	}
	rc = entry_add(key, port_id, SL_FDB_F_STATIC);
	if (rc < 0) {
		ERR("fdb: table full (%u entries)", sl_fdb_max_entries);
		return rc;
	}
	n_static++;
	return 0;
}

int
sl_fdb_del(uint16_t vlan, const struct rte_ether_addr *mac, char *err)
{
	struct sl_fdb_entry *e;

	SL_ASSERT_CTRL();
	e = entry_find(sl_fdb_key(vlan, mac));
	if (e == NULL) {
		char macs[RTE_ETHER_ADDR_FMT_SIZE];

		sl_mac_format(macs, sizeof(macs), mac);
		ERR("fdb: no entry for vlan %u mac %s", vlan, macs);
		return -ENOENT;
	}
	entry_del(e - sl_fdb_entries);
	reclaim();
	return 0;
}

int
sl_l2_set_ageing(uint32_t seconds, char *err)
{
	RTE_SET_USED(err);
	ageing_s = seconds;
	return 0;
}

int
sl_l2_set_global_mac_limit(uint32_t limit, char *err)
{
	RTE_SET_USED(err);
	global_limit = limit;
	return 0;
}

uint32_t
sl_l2_ageing(void)
{
	return ageing_s;
}

uint32_t
sl_l2_global_mac_limit(void)
{
	return global_limit;
}

json_t *
sl_fdb_json(uint16_t vlan, uint16_t port_id, size_t limit)
{
	json_t *a = json_array();

	for (uint32_t i = 0; i < high_water && json_array_size(a) < limit; i++) {
		const struct sl_fdb_entry *e = &sl_fdb_entries[i];
		struct rte_ether_addr mac;
		char macs[RTE_ETHER_ADDR_FMT_SIZE];
		int pi;

		if (!(e->flags & SL_FDB_F_USED) || (e->flags & SL_FDB_F_DYING))
			continue;
		if ((vlan && sl_fdb_key_vlan(e->key) != vlan) ||
				(port_id != SL_PORT_NONE && e->port != port_id))
			continue;
		sl_fdb_key_mac(e->key, &mac);
		sl_mac_format(macs, sizeof(macs), &mac);
		pi = sl_port_idx_by_id(e->port);
		json_array_append_new(a, json_pack("{s:s, s:i, s:s, s:s, s:I}", "mac", macs,
			"vlan", sl_fdb_key_vlan(e->key), "port", pi >= 0 ? sl_ports[pi].name : "?",
			"type", e->flags & SL_FDB_F_STATIC ? "static" : "learned",
			"age_s", (json_int_t)(e->flags & SL_FDB_F_STATIC ? 0 :
				sl_now_s - __atomic_load_n(&e->last_seen, __ATOMIC_RELAXED))));
	}
	return a;
}

json_t *
sl_fdb_stats_json(void)
{
	uint64_t posted = 0, ring_full = 0;
	json_t *ports = json_array();

	for (unsigned int i = 0; i < SL_MAX_PORTS; i++)
		if (sl_ports[i].used)
			json_array_append_new(ports, json_pack("{s:s, s:I, s:I, s:I}",
				"port", sl_ports[i].name,
				"learned", (json_int_t)sl_l2_ports[i].learned,
				"mac_limit", (json_int_t)sl_l2_ports[i].mac_limit,
				"mac_limit_hits", (json_int_t)sl_l2_ports[i].mac_limit_hits));

	for (unsigned int w = 0; w < sl_n_workers; w++) {
		posted += SL_STAT_READ(sl_workers[w]->stats.learn_events);
		ring_full += SL_STAT_READ(sl_workers[w]->stats.learn_ring_full);
	}
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}",
		"ageing_s", (json_int_t)ageing_s, "mac_limit", (json_int_t)global_limit,
		"capacity", (json_int_t)sl_fdb_max_entries,
		"entries", (json_int_t)(n_learned + n_static),
		"learned", (json_int_t)n_learned, "static", (json_int_t)n_static,
		"learn_events_posted", (json_int_t)posted,
		"learn_ring_full", (json_int_t)ring_full,
		"learn_events", (json_int_t)st.events,
		"moves", (json_int_t)st.moved, "aged", (json_int_t)st.aged,
		"mac_limit_hits", (json_int_t)st.limit_hits,
		"table_full", (json_int_t)st.table_full, "stale_events", (json_int_t)st.stale,
		"ports", ports);
}

uint32_t
sl_fdb_scan_limit(void)
{
	return high_water;
}
