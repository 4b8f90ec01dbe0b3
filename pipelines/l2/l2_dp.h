/* SPDX-License-Identifier: BSD-3-Clause */
/* L2 bridge, datapath side: FDB entry layout and key helpers shared by the
 * worker stage (l2_dp.c) and the control thread (fdb_ctl.c). */
#ifndef SL_L2_DP_H
#define SL_L2_DP_H

#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_hash.h>

#include "dataplane/snapshot.h"
#include "dataplane/worker.h"

#define SL_FDB_F_USED 0x1
#define SL_FDB_F_STATIC 0x2
#define SL_FDB_F_DYING 0x4	/* deleted, index waits for a grace period */

/* One FDB entry. Stable storage: the hash maps a key to an index here, so a
 * move rewrites `port` in place (relaxed) without touching the hash. */
struct sl_fdb_entry {
	uint64_t key;
	uint16_t port;		/* ethdev port; written by ctrl, read relaxed */
	uint8_t flags;		/* ctrl only */
	uint8_t pad;
	uint32_t last_seen;	/* sl_now_s; workers refresh at most once a second */
};

/* Learn/move event, worker -> control thread. */
struct sl_learn_ev {
	uint64_t key;
	uint16_t port;
	uint16_t pad[3];
};

extern struct rte_hash *sl_fdb_hash;
extern struct sl_fdb_entry *sl_fdb_entries;
/* FDB generation: the control thread bumps it (release) after every delete
 * and every move, so workers' FDB caches (worker.h) drop what they knew.
 * Adds need no bump: caches hold no negative results. */
extern uint32_t sl_fdb_gen;

#define SL_FDB_EPOCH_BITS 5

/* worker, once per loop iteration before any FDB lookup: a new FDB
 * generation or a new second starts a new cache epoch (slots of older
 * epochs are misses; a source's first packet in a second refreshes its
 * entry's last_seen). The cache is wiped when the epoch wraps, so an old
 * slot never looks current. A slot filled after this read but before a
 * concurrent bump is dropped by the next iteration's read; RCU's quiescent
 * report orders that before any grace period the control thread waits for. */
static inline void
sl_fdb_cache_sync(struct sl_worker *w)
{
	uint32_t gen = __atomic_load_n(&sl_fdb_gen, __ATOMIC_ACQUIRE);
	uint32_t now = __atomic_load_n(&sl_now_s, __ATOMIC_RELAXED);

	if (likely(gen == w->fdb_gen && now == w->fdb_now))
		return;
	w->fdb_gen = gen;
	w->fdb_now = now;
	w->fdb_epoch = (w->fdb_epoch + 1) & ((1u << SL_FDB_EPOCH_BITS) - 1);
	if (unlikely(w->fdb_epoch == 0)) {
		memset(w->fdb_cache, 0, sizeof(w->fdb_cache));
		w->fdb_epoch = 1;
	}
}

/* Key: VLAN in the top 16 bits, the MAC's 6 bytes (wire order) below. */
static inline uint64_t
sl_fdb_key(uint16_t vlan, const struct rte_ether_addr *mac)
{
	uint32_t lo;
	uint16_t hi;

	/* Two loads straight into registers: assembling the key in a stack
	 * slot cost a store-forwarding stall per packet (measured). */
	memcpy(&lo, mac->addr_bytes, sizeof(lo));
	memcpy(&hi, mac->addr_bytes + sizeof(lo), sizeof(hi));
	return lo | (uint64_t)hi << 32 | (uint64_t)vlan << 48;
}

static inline void
sl_fdb_key_mac(uint64_t key, struct rte_ether_addr *mac)
{
	memcpy(mac->addr_bytes, &key, RTE_ETHER_ADDR_LEN);
}

static inline uint16_t
sl_fdb_key_vlan(uint64_t key)
{
	return key >> 48;
}

/* worker, RCU reader: bridge a burst received on in_port (not cross-
 * connected): VLAN classification, learning, lookup, flooding, tagging.
 * Packets end up staged for tx or dropped under a reason. */
void sl_l2_burst(struct sl_worker *w, const struct sl_snapshot *s, uint16_t in_port,
	struct rte_mbuf **pkts, uint16_t n);

/* worker, RCU reader: bridge one untagged frame (MACs final) into VLAN vid:
 * the FDB names the port, else it is flooded. Routed packets leaving by a
 * VLAN interface take this way. */
void sl_l2_output(struct sl_worker *w, const struct sl_snapshot *s, struct rte_mbuf *m,
	uint16_t vid);

#endif
