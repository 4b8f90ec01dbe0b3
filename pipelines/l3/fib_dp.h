/* SPDX-License-Identifier: BSD-3-Clause */
/* FIB, datapath side: the lock-free longest-prefix-match lookups workers run
 * per burst, and the table layout they share with fib.c (the only writer). */
#ifndef SL_FIB_DP_H
#define SL_FIB_DP_H

#include <stddef.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_prefetch.h>

#include "pipelines/l3/fib.h"

/* Entry encoding: see fib.h. */
#define SL_FIB_F_CHILD 0x80000000u	/* bits 0-30: group index */
#define SL_FIB_NH_MASK 0x007fffffu	/* leaf bits 0-22: next hop + 1 */
#define SL_FIB_DEPTH_SHIFT 23		/* leaf bits 23-30: prefix length */
#define SL_FIB_ROOT_BITS 16		/* level 0 stride */
#define SL_FIB_ROOT_SIZE (1u << SL_FIB_ROOT_BITS)
#define SL_FIB_GROUP_BITS 8		/* stride of every deeper level */
#define SL_FIB_GROUP_SIZE (1u << SL_FIB_GROUP_BITS)

enum { SL_FIB_V4, SL_FIB_V6, SL_FIB_FAMILIES };

/* Per family. Written by the control thread only:
 * - root[vrf]: level-0 table of the VRF, NULL while it has no route of the
 *   family but the default; stored with release once the table is complete,
 *   loaded with acquire. Freed only after a grace period once unpublished.
 * - dflt[vrf]: the leaf of the VRF's default route (/0), or 0. It is never
 *   expanded into the trie, where it would write all 65,536 root entries and
 *   make every VRF's root resident (256 KiB, measured: docs/fib.md); a
 *   lookup that ends on an empty entry (or finds no root) takes it instead.
 *   Stored with release, loaded with acquire after the entry that was empty.
 * - groups: the group pool, one range of address space reserved by
 *   sl_fib_init() before any worker starts, committed 4 MiB at a time and
 *   never moved until sl_fib_fini(): a constant to workers. Group i is at
 *   groups + 256 i. */
struct sl_fib_tables {
	uint32_t *root[SL_VRF_MAX];
	uint32_t dflt[SL_VRF_MAX];
	uint32_t *groups;
};

extern struct sl_fib_tables sl_fib_tables[SL_FIB_FAMILIES];

/* Generation of the FIB: the control thread bumps it (store-release) after
 * every change that can alter a lookup's result. A per-worker cache of
 * lookup results is valid while it holds the generation read (acquire)
 * before the lookups that filled it: a change during or after them makes
 * the entry stale at once. */
extern uint64_t sl_fib_gen;

static inline uint64_t
sl_fib_gen_load(void)
{
	return __atomic_load_n(&sl_fib_gen, __ATOMIC_ACQUIRE);
}

/* Acquire: pairs with the writer's store-release of this entry, which comes
 * after it filled the group the entry may name. A plain mov on x86. */
static inline uint32_t
sl_fib_entry_load(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* The group a child entry names, from the pool base (read once a lookup:
 * it is constant, and a load after an acquire cannot be merged with one
 * before it). No table of chunk pointers to read first: one dependent load
 * a level, not two. */
static inline const uint32_t *
sl_fib_group(const uint32_t *groups, uint32_t e)
{
	return groups + ((size_t)(e & ~SL_FIB_F_CHILD) << SL_FIB_GROUP_BITS);
}

/* Leaf -> next hop; the empty entry (0) gives SL_FIB_MISS without a branch. */
static inline uint32_t
sl_fib_entry_nh(uint32_t e)
{
	return (e & SL_FIB_NH_MASK) - 1;
}

static inline const uint32_t *
sl_fib_root(unsigned int fam, uint16_t vrf)
{
	return __atomic_load_n(&sl_fib_tables[fam].root[vrf], __ATOMIC_ACQUIRE);
}

/* The final entry of a walk -> next hop; an empty entry takes the default
 * route. Loaded after the entry: a delete that empties entries under a
 * default route stored the default before, so this sees it. */
static inline uint32_t
sl_fib_result(unsigned int fam, uint16_t vrf, uint32_t e)
{
	if (e == 0)
		e = __atomic_load_n(&sl_fib_tables[fam].dflt[vrf], __ATOMIC_ACQUIRE);
	return sl_fib_entry_nh(e);
}

/* worker, RCU reader: next-hop id for addr (host order) in vrf
 * (< SL_VRF_MAX), or SL_FIB_MISS. At most 3 dependent reads (a 4th, of the
 * default route, where the walk ends on an empty entry). */
static inline uint32_t
sl_fib4_lookup(uint16_t vrf, uint32_t addr)
{
	const uint32_t *g = sl_fib_tables[SL_FIB_V4].groups;
	const uint32_t *root = sl_fib_root(SL_FIB_V4, vrf);
	uint32_t e;

	if (unlikely(root == NULL))
		return sl_fib_result(SL_FIB_V4, vrf, 0);
	e = sl_fib_entry_load(&root[addr >> 16]);
	if (e & SL_FIB_F_CHILD) {
		e = sl_fib_entry_load(&sl_fib_group(g, e)[(addr >> 8) & 0xff]);
		if (e & SL_FIB_F_CHILD)
			e = sl_fib_entry_load(&sl_fib_group(g, e)[addr & 0xff]);
	}
	return sl_fib_result(SL_FIB_V4, vrf, e);
}

/* worker, RCU reader: n lookups in one VRF. Every first-level entry of the
 * burst is prefetched before the first is read; the second pass reads them
 * and prefetches the group entry each address needs next, so the burst's
 * cache misses overlap instead of chaining; the last pass finishes each walk
 * (level 3 is rare: /25-/32). nhs[] holds the entries between passes.
 * Measured against a pass per level and a plain loop of single lookups:
 * docs/fib.md. */
static inline void
sl_fib4_lookup_bulk(uint16_t vrf, const uint32_t *addrs, uint32_t *nhs, unsigned int n)
{
	const uint32_t *g = sl_fib_tables[SL_FIB_V4].groups;
	const uint32_t *root = sl_fib_root(SL_FIB_V4, vrf);
	unsigned int i;

	if (unlikely(root == NULL)) {
		for (i = 0; i < n; i++)
			nhs[i] = sl_fib_result(SL_FIB_V4, vrf, 0);
		return;
	}
	for (i = 0; i < n; i++)
		rte_prefetch0(&root[addrs[i] >> 16]);
	for (i = 0; i < n; i++) {
		uint32_t e = sl_fib_entry_load(&root[addrs[i] >> 16]);

		if (e & SL_FIB_F_CHILD)
			rte_prefetch0(&sl_fib_group(g, e)[(addrs[i] >> 8) & 0xff]);
		nhs[i] = e;
	}
	for (i = 0; i < n; i++) {
		uint32_t e = nhs[i];

		if (e & SL_FIB_F_CHILD) {
			e = sl_fib_entry_load(&sl_fib_group(g, e)[(addrs[i] >> 8) & 0xff]);
			if (e & SL_FIB_F_CHILD)
				e = sl_fib_entry_load(&sl_fib_group(g, e)[addrs[i] & 0xff]);
		}
		nhs[i] = sl_fib_result(SL_FIB_V4, vrf, e);
	}
}

/* worker, RCU reader: as sl_fib4_lookup, addr in network order. At most 15
 * dependent reads (16 bits, then one byte a level). */
static inline uint32_t
sl_fib6_lookup(uint16_t vrf, const uint8_t addr[16])
{
	const uint32_t *g = sl_fib_tables[SL_FIB_V6].groups;
	const uint32_t *root = sl_fib_root(SL_FIB_V6, vrf);
	uint32_t e;

	if (unlikely(root == NULL))
		return sl_fib_result(SL_FIB_V6, vrf, 0);
	e = sl_fib_entry_load(&root[(uint32_t)addr[0] << 8 | addr[1]]);
	for (unsigned int b = 2; (e & SL_FIB_F_CHILD) && b < 16; b++)
		e = sl_fib_entry_load(&sl_fib_group(g, e)[addr[b]]);
	return sl_fib_result(SL_FIB_V6, vrf, e);
}

/* worker, RCU reader: n IPv6 lookups in one VRF, one pass per level over
 * the burst, each pass prefetching what the next reads: /48s and /64s are
 * 5 and 7 levels deep, and overlapping those misses across the burst is what
 * pays (docs/fib.md). A pass runs only while some address still descends. */
static inline void
sl_fib6_lookup_bulk(uint16_t vrf, const uint8_t (*addrs)[16], uint32_t *nhs, unsigned int n)
{
	const uint32_t *g = sl_fib_tables[SL_FIB_V6].groups;
	const uint32_t *root = sl_fib_root(SL_FIB_V6, vrf);
	unsigned int i, b, more = 0;

	if (unlikely(root == NULL)) {
		for (i = 0; i < n; i++)
			nhs[i] = sl_fib_result(SL_FIB_V6, vrf, 0);
		return;
	}
	for (i = 0; i < n; i++)
		rte_prefetch0(&root[(uint32_t)addrs[i][0] << 8 | addrs[i][1]]);
	for (i = 0; i < n; i++) {
		uint32_t e = sl_fib_entry_load(&root[(uint32_t)addrs[i][0] << 8 | addrs[i][1]]);

		if (e & SL_FIB_F_CHILD) {
			rte_prefetch0(&sl_fib_group(g, e)[addrs[i][2]]);
			more = 1;
		}
		nhs[i] = e;
	}
	for (b = 2; more && b < 16; b++) {
		more = 0;
		for (i = 0; i < n; i++) {
			uint32_t e = nhs[i];

			if (!(e & SL_FIB_F_CHILD))
				continue;
			e = sl_fib_entry_load(&sl_fib_group(g, e)[addrs[i][b]]);
			if ((e & SL_FIB_F_CHILD) && b < 15) {
				rte_prefetch0(&sl_fib_group(g, e)[addrs[i][b + 1]]);
				more = 1;
			}
			nhs[i] = e;
		}
	}
	for (i = 0; i < n; i++)
		nhs[i] = sl_fib_result(SL_FIB_V6, vrf, nhs[i]);
}

#endif
