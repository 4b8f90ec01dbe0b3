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
#define SL_FIB_CHUNK_SHIFT 12		/* 4096 groups (4 MiB) a chunk */
#define SL_FIB_CHUNK_GROUPS (1u << SL_FIB_CHUNK_SHIFT)
#define SL_FIB_CHUNKS_MAX 65536		/* 2^28 groups a family at most */

enum { SL_FIB_V4, SL_FIB_V6, SL_FIB_FAMILIES };

/* Per family. Written by the control thread only:
 * - root[vrf]: level-0 table of the VRF, NULL while it has no route of the
 *   family; stored with release once the table is complete, loaded with
 *   acquire. Freed only after a grace period once unpublished.
 * - chunk[i]: group storage; a slot is stored (release) once, before any
 *   entry names a group in it, and never changes until sl_fib_fini(). */
struct sl_fib_tables {
	uint32_t *root[SL_VRF_MAX];
	uint32_t *chunk[SL_FIB_CHUNKS_MAX];
};

extern struct sl_fib_tables sl_fib_tables[SL_FIB_FAMILIES];

/* Acquire: pairs with the writer's store-release of this entry, which comes
 * after it filled the group the entry may name (and stored its chunk). A
 * plain mov on x86. */
static inline uint32_t
sl_fib_entry_load(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* The group a child entry names. Relaxed: the caller's acquire load of the
 * entry already ordered the chunk pointer store before it. */
static inline const uint32_t *
sl_fib_group(const struct sl_fib_tables *t, uint32_t e)
{
	uint32_t gi = e & ~SL_FIB_F_CHILD;
	const uint32_t *c = __atomic_load_n(&t->chunk[gi >> SL_FIB_CHUNK_SHIFT], __ATOMIC_RELAXED);

	return c + ((size_t)(gi & (SL_FIB_CHUNK_GROUPS - 1)) << SL_FIB_GROUP_BITS);
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

/* worker, RCU reader: next-hop id for addr (host order) in vrf
 * (< SL_VRF_MAX), or SL_FIB_MISS. At most 3 dependent reads. */
static inline uint32_t
sl_fib4_lookup(uint16_t vrf, uint32_t addr)
{
	const struct sl_fib_tables *t = &sl_fib_tables[SL_FIB_V4];
	const uint32_t *root = sl_fib_root(SL_FIB_V4, vrf);
	uint32_t e;

	if (unlikely(root == NULL))
		return SL_FIB_MISS;
	e = sl_fib_entry_load(&root[addr >> 16]);
	if (e & SL_FIB_F_CHILD) {
		e = sl_fib_entry_load(&sl_fib_group(t, e)[(addr >> 8) & 0xff]);
		if (e & SL_FIB_F_CHILD)
			e = sl_fib_entry_load(&sl_fib_group(t, e)[addr & 0xff]);
	}
	return sl_fib_entry_nh(e);
}

/* worker, RCU reader: n lookups in one VRF. Level by level over the whole
 * burst: every first-level entry is prefetched before the first is read,
 * and each group entry a packet needs next is prefetched one pass before it
 * is read, so the burst's cache misses overlap instead of chaining.
 * nhs[] holds the entries between passes. */
static inline void
sl_fib4_lookup_bulk(uint16_t vrf, const uint32_t *addrs, uint32_t *nhs, unsigned int n)
{
	const struct sl_fib_tables *t = &sl_fib_tables[SL_FIB_V4];
	const uint32_t *root = sl_fib_root(SL_FIB_V4, vrf);
	unsigned int i, more = 0;

	if (unlikely(root == NULL)) {
		for (i = 0; i < n; i++)
			nhs[i] = SL_FIB_MISS;
		return;
	}
	for (i = 0; i < n; i++)
		rte_prefetch0(&root[addrs[i] >> 16]);
	for (i = 0; i < n; i++) {
		uint32_t e = sl_fib_entry_load(&root[addrs[i] >> 16]);

		if (e & SL_FIB_F_CHILD) {
			rte_prefetch0(&sl_fib_group(t, e)[(addrs[i] >> 8) & 0xff]);
			more = 1;
		}
		nhs[i] = e;
	}
	if (more) {
		more = 0;
		for (i = 0; i < n; i++) {
			uint32_t e = nhs[i];

			if (!(e & SL_FIB_F_CHILD))
				continue;
			e = sl_fib_entry_load(&sl_fib_group(t, e)[(addrs[i] >> 8) & 0xff]);
			if (e & SL_FIB_F_CHILD) {
				rte_prefetch0(&sl_fib_group(t, e)[addrs[i] & 0xff]);
				more = 1;
			}
			nhs[i] = e;
		}
	}
	if (more)
		for (i = 0; i < n; i++)
			if (nhs[i] & SL_FIB_F_CHILD)
				nhs[i] = sl_fib_entry_load(&sl_fib_group(t, nhs[i])[addrs[i] & 0xff]);
	for (i = 0; i < n; i++)
		nhs[i] = sl_fib_entry_nh(nhs[i]);
}

/* worker, RCU reader: as sl_fib4_lookup, addr in network order. At most 15
 * dependent reads (16 bits, then one byte a level). */
static inline uint32_t
sl_fib6_lookup(uint16_t vrf, const uint8_t addr[16])
{
	const struct sl_fib_tables *t = &sl_fib_tables[SL_FIB_V6];
	const uint32_t *root = sl_fib_root(SL_FIB_V6, vrf);
	uint32_t e;

	if (unlikely(root == NULL))
		return SL_FIB_MISS;
	e = sl_fib_entry_load(&root[(uint32_t)addr[0] << 8 | addr[1]]);
	for (unsigned int b = 2; (e & SL_FIB_F_CHILD) && b < 16; b++)
		e = sl_fib_entry_load(&sl_fib_group(t, e)[addr[b]]);
	return sl_fib_entry_nh(e);
}

/* worker, RCU reader: n IPv6 lookups in one VRF, level by level as in
 * sl_fib4_lookup_bulk; a pass runs only while some address still descends. */
static inline void
sl_fib6_lookup_bulk(uint16_t vrf, const uint8_t (*addrs)[16], uint32_t *nhs, unsigned int n)
{
	const struct sl_fib_tables *t = &sl_fib_tables[SL_FIB_V6];
	const uint32_t *root = sl_fib_root(SL_FIB_V6, vrf);
	unsigned int i, b, more = 0;

	if (unlikely(root == NULL)) {
		for (i = 0; i < n; i++)
			nhs[i] = SL_FIB_MISS;
		return;
	}
	for (i = 0; i < n; i++)
		rte_prefetch0(&root[(uint32_t)addrs[i][0] << 8 | addrs[i][1]]);
	for (i = 0; i < n; i++) {
		uint32_t e = sl_fib_entry_load(&root[(uint32_t)addrs[i][0] << 8 | addrs[i][1]]);

		if (e & SL_FIB_F_CHILD) {
			rte_prefetch0(&sl_fib_group(t, e)[addrs[i][2]]);
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
			e = sl_fib_entry_load(&sl_fib_group(t, e)[addrs[i][b]]);
			if ((e & SL_FIB_F_CHILD) && b < 15) {
				rte_prefetch0(&sl_fib_group(t, e)[addrs[i][b + 1]]);
				more = 1;
			}
			nhs[i] = e;
		}
	}
	for (i = 0; i < n; i++)
		nhs[i] = sl_fib_entry_nh(nhs[i]);
}

#endif
