/* SPDX-License-Identifier: BSD-3-Clause */
/* FIB: per-VRF IPv4 and IPv6 longest-prefix match -> next-hop id. The control
 * thread is the single writer (this header); workers read lock-free (fib_dp.h).
 *
 * Why not DPDK's tables (22.11): rte_lpm costs a 2^24-entry first level per
 * table (64 MiB a VRF); rte_fib/rte_fib6 and rte_lpm6 have no RCU hook; and
 * rte_rib/rte_rib6, meant as the control-plane store, pre-allocate max_nodes
 * in a mempool and use 3 memzones each, so at most ~850 of them fit under
 * RTE_MAX_MEMZONE (2560) -- measured, see docs/fib.md. So both halves are ours:
 *
 * - Lookup structure: a multibit trie per (VRF, family). Level 0 has stride
 *   16 (65,536 uint32_t = 256 KiB, allocated when the VRF gets its first route
 *   of the family, freed with its last); every deeper level is a group of 256
 *   uint32_t (1 KiB, stride 8) from one growable pool per family. IPv4 takes
 *   at most 3 dependent reads, IPv6 at most 15 (16 + 14 x 8 bits).
 *   Entry (uint32_t): 0 = no route; bit 31 set = child group index (31 bits);
 *   otherwise a leaf: bits 23-30 = prefix length (0-128), bits 0-22 = next-hop
 *   id + 1. So next-hop ids are 0 .. SL_FIB_NH_MAX - 1 (2^23 - 1 of them), and
 *   (leaf & 0x7fffff) - 1 is the next hop, or SL_FIB_MISS for the empty entry.
 *   Routes are expanded into entries as DIR-24-8 does (controlled prefix
 *   expansion): an entry holds the longest route covering it, its length
 *   tells an insert what it may overwrite and a delete what it owns. The
 *   default route (/0) is kept beside the trie, one leaf per VRF, and taken
 *   by lookups that end on an empty entry: expanded, it would write every
 *   root entry and make each VRF cost its full 256 KiB (measured: 267 vs 15
 *   KiB resident for a VRF of 10 routes in 10/8).
 * - Group pool: plain memory, not DPDK hugepages, so capacity is bounded by
 *   RAM, not by the hugepage reservation. One range of address space is
 *   reserved (64 GiB, PROT_NONE: no memory, no commit charge) and committed
 *   4 MiB (4096 groups) at a time with MADV_HUGEPAGE. It never moves, so a
 *   group is base + 1 KiB x index: one dependent load a level. (A table of
 *   chunk pointers costs a second load a level: 15-20% more cycles for a
 *   lookup in cache, measured; docs/fib.md.)
 * - Route store (RIB): a path-compressed binary trie per (VRF, family), nodes
 *   in one growable array per family (40 bytes a node, at most 2 per route),
 *   control thread only. It answers exact match, the covering route (what a
 *   delete falls back to), longest match for `show route lookup`, and walks.
 *
 * Memory: per (VRF, family) with routes other than the default, a 256 KiB
 * root of which only the 4 KiB pages its routes write are resident (an own
 * mapping whose untouched pages are the kernel's zero page); 1 KiB per group;
 * 40 B per RIB node. A VRF without routes costs nothing but its slots in
 * fixed arrays. Group pool and RIB array keep their high-water mark.
 *
 * Updates and RCU: every entry write is one aligned 32-bit store-release, so
 * a reader sees the old or the new route for each address, never a mix. A new
 * group is filled completely before its parent entry points to it. A delete
 * that leaves a group whose 256 entries are one leaf (or all empty) collapses
 * it: the parent entry takes the leaf and the group waits on a pending list
 * until a grace period has passed. Pending groups and roots are reclaimed in
 * batches by sl_fib_commit(): one grace period per batch, never per route. */
#ifndef SL_FIB_H
#define SL_FIB_H

#include <stdint.h>

#include <jansson.h>

#define SL_VRF_MAX 4096			/* VRF ids 0 .. SL_VRF_MAX - 1 */
#define SL_FIB_NH_MAX ((1u << 23) - 1)	/* next-hop ids 0 .. SL_FIB_NH_MAX - 1 */
#define SL_FIB_MISS UINT32_MAX		/* lookup result: no route */

/* Pending groups that trigger a reclaim from inside a route op (4 MiB). */
#define SL_FIB_PENDING_MAX 4096

/* One route, as walks hand it to their callback. */
struct sl_fib_route {
	uint16_t vrf;
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t len;
	uint32_t nh;
	union {
		uint32_t v4;		/* host order */
		uint8_t v6[16];		/* network order */
	} prefix;
};

/* ctrl thread, at start-up before any worker runs / after all stopped.
 * sl_fib_init creates no VRF; sl_fib_fini frees everything at once. */
int sl_fib_init(void);
void sl_fib_fini(void);

/* ctrl thread. -EINVAL out of range, -EEXIST / -ENOENT. Destroy removes every
 * route of the VRF, unpublishes its roots and waits one grace period before
 * it frees their memory (and whatever else was pending). */
int sl_fib_vrf_create(uint16_t vrf);
int sl_fib_vrf_destroy(uint16_t vrf);
int sl_fib_vrf_exists(uint16_t vrf);

/* ctrl thread. Prefixes are host order (IPv4) / network order (IPv6); bits
 * past len are ignored. Adding an existing prefix replaces its next hop.
 * Return 0, -EINVAL (vrf, len or nh out of range), -ENOENT (no such VRF, or
 * no such route on delete), -ENOMEM / -ENOSPC (nothing changed then).
 * Workers see a change as soon as the call returns; memory freed by a delete
 * is reclaimed by the next sl_fib_commit(). */
int sl_fib4_add(uint16_t vrf, uint32_t prefix, uint8_t len, uint32_t nh);
int sl_fib4_del(uint16_t vrf, uint32_t prefix, uint8_t len);
int sl_fib6_add(uint16_t vrf, const uint8_t prefix[16], uint8_t len, uint32_t nh);
int sl_fib6_del(uint16_t vrf, const uint8_t prefix[16], uint8_t len);

/* ctrl thread: wait one grace period (sl_rcu_synchronize) if anything is
 * pending, then return the collapsed groups and dropped roots to the pools.
 * Call it at the end of a batch (a command, a netlink burst); a 10 ms loop
 * poller calls it too, and route ops call it when SL_FIB_PENDING_MAX groups
 * are pending. Without sl_rcu (tools, no workers) memory is freed at once. */
void sl_fib_commit(void);

/* ctrl thread: the route that matches addr (longest prefix), from the RIB:
 * for `show route lookup`. 0, -ENOENT (no route) or -EINVAL. */
int sl_fib4_lookup_route(uint16_t vrf, uint32_t addr, uint32_t *prefix, uint8_t *len,
	uint32_t *nh);
int sl_fib6_lookup_route(uint16_t vrf, const uint8_t addr[16], uint8_t prefix[16],
	uint8_t *len, uint32_t *nh);

/* ctrl thread: the route for exactly prefix/len (bits past len ignored):
 * 0 with its next hop, -ENOENT or -EINVAL. A longest match of the prefix's
 * first address would find a more specific route starting there instead. */
int sl_fib4_get(uint16_t vrf, uint32_t prefix, uint8_t len, uint32_t *nh);
int sl_fib6_get(uint16_t vrf, const uint8_t prefix[16], uint8_t len, uint32_t *nh);

/* ctrl thread: call cb for each route of the VRF and family (AF_INET,
 * AF_INET6), in prefix order (address, then length). A nonzero return from
 * cb stops the walk and is returned. cb must not change the FIB. */
int sl_fib_walk(uint16_t vrf, int family, int (*cb)(const struct sl_fib_route *r, void *arg),
	void *arg);

/* ctrl thread: number of routes of the VRF and family (0 for no VRF). */
uint32_t sl_fib_route_count(uint16_t vrf, int family);

/* ctrl thread: memory and counts, per family:
 * {"vrfs", "ipv4": {routes, roots, roots_pending, groups_used, groups_free,
 *  groups_pending, groups_max, chunks, rib_nodes, rib_nodes_cap, bytes},
 *  "ipv6": {...}, "bytes", "commits", "chunk_alloc_failures"}; bytes counts
 *  what is allocated (committed chunks, roots, RIB array, free lists). */
json_t *sl_fib_memory_json(void);

#endif
