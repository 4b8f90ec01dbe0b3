/* SPDX-License-Identifier: BSD-3-Clause */
/* FIB, control-thread side: the route store (RIB), the single writer of the
 * multibit tries workers read (fib_dp.h), the group pool and its RCU-deferred
 * reclamation. Layout and reasons: fib.h and docs/fib.md. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <rte_common.h>

#include "ctrl/loop/loop.h"
#include "dataplane/rcu.h"
#include "dataplane/sluice.h"
#include "pipelines/l3/fib.h"
#include "pipelines/l3/fib_dp.h"

#define ROOT_BYTES ((size_t)SL_FIB_ROOT_SIZE * sizeof(uint32_t))
#define GROUP_BYTES ((size_t)SL_FIB_GROUP_SIZE * sizeof(uint32_t))
#define CHUNK_GROUPS 4096u		/* the pool grows 4 MiB at a time */
#define CHUNK_BYTES ((size_t)CHUNK_GROUPS * GROUP_BYTES)
#define POOL_GROUPS_MAX (1u << 26)	/* address space reserved: 64 GiB a family */
#define POOL_GROUPS_MIN (1u << 16)	/* ... or down to 64 MiB where that fails */
#define HUGE_ALIGN ((size_t)2 << 20)	/* so THP can back each chunk with huge pages */
#define PEND_ROOTS_MAX 64		/* 16 MiB of roots waiting: reclaim then */

struct sl_fib_tables sl_fib_tables[SL_FIB_FAMILIES];

/* RIB keys: 128 bits, bit 0 the most significant; IPv4 uses bits 0-31. */
__extension__ typedef unsigned __int128 u128;

/* RIB node: a route (valid) or a glue node where two branches part. Nodes
 * live in one array per family and link by index (0 = none), so the array
 * can grow by realloc; only the control thread ever reads it. */
struct rnode {
	uint64_t key_hi, key_lo;
	uint32_t child[2];	/* free list: child[0] is the next free node */
	uint32_t parent;
	uint32_t nh;
	uint8_t len;
	uint8_t valid;
};

struct fam {
	unsigned int max_len;	/* 32 or 128 */
	uint32_t n_routes;
	uint32_t n_roots;	/* published */
	/* Group pool. free[] and pend[] are sized for every group the chunks
	 * hold, so retiring or freeing a group never allocates. */
	uint32_t n_chunks;
	uint32_t groups_max;	/* the reserved range */
	void *map;		/* as mmap gave it, for munmap */
	size_t map_len;
	uint32_t bump;		/* groups never handed out start here */
	uint32_t *free, n_free;
	uint32_t *pend, n_pend;
	uint32_t *pend_roots[PEND_ROOTS_MAX];
	uint32_t n_pend_roots;
	/* RIB nodes */
	struct rnode *nodes;
	uint32_t nodes_cap, nodes_free_head, n_nodes_free;
};

struct vrf {
	bool used;
	uint32_t rib[SL_FIB_FAMILIES];	/* RIB root node */
	uint32_t routes[SL_FIB_FAMILIES];
};

static struct fam fams[SL_FIB_FAMILIES] = {
	[SL_FIB_V4] = { .max_len = 32 },
	[SL_FIB_V6] = { .max_len = 128 },
};
static struct vrf vrfs[SL_VRF_MAX];
static uint32_t n_vrfs;
static uint64_t n_commits, n_chunk_fail;

/* ---- keys ---- */

static u128
key_from_bytes(const uint8_t *b, unsigned int n)
{
	u128 k = 0;

	for (unsigned int i = 0; i < 16; i++)
		k = k << 8 | (i < n ? b[i] : 0);
	return k;
}

static void
key_to_bytes(u128 k, uint8_t b[16])
{
	for (int i = 15; i >= 0; i--, k >>= 8)
		b[i] = (uint8_t)k;
}

static u128
key_mask(unsigned int len)
{
	return len == 0 ? 0 : ~(u128)0 << (128 - len);
}

static unsigned int
key_bit(u128 k, unsigned int pos)
{
	return (unsigned int)(k >> (127 - pos)) & 1;
}

static unsigned int
key_clz(u128 k)
{
	uint64_t hi = (uint64_t)(k >> 64), lo = (uint64_t)k;

	if (hi != 0)
		return (unsigned int)__builtin_clzll(hi);
	return lo != 0 ? 64 + (unsigned int)__builtin_clzll(lo) : 128;
}

static bool
key_covered(u128 k, u128 prefix, unsigned int len)
{
	return ((k ^ prefix) & key_mask(len)) == 0;
}

static void
v4_bytes(uint32_t a, uint8_t b[16])
{
	memset(b, 0, 16);
	b[0] = a >> 24;
	b[1] = a >> 16;
	b[2] = a >> 8;
	b[3] = a;
}

static int
family_idx(int family)
{
	if (family == AF_INET)
		return SL_FIB_V4;
	if (family == AF_INET6)
		return SL_FIB_V6;
	return -EAFNOSUPPORT;
}

/* ---- RIB: path-compressed binary trie (as rte_rib, in plain memory) ---- */

static struct rnode *
N(struct fam *f, uint32_t i)
{
	return &f->nodes[i];
}

static u128
nkey(const struct rnode *n)
{
	return (u128)n->key_hi << 64 | n->key_lo;
}

/* Make sure `want` nodes can be taken without failing: an insert needs at
 * most 2 (the route and a glue node), and must not fail half way. */
static int
rib_reserve(struct fam *f, uint32_t want)
{
	uint32_t cap, i;
	struct rnode *nn;

	if (f->n_nodes_free >= want)
		return 0;
	cap = f->nodes_cap ? f->nodes_cap * 2 : 1024;
	nn = realloc(f->nodes, (size_t)cap * sizeof(*nn));
	if (nn == NULL)
		return -ENOMEM;
	f->nodes = nn;
	/* Node 0 is "none" and never handed out. */
	for (i = cap - 1; i >= RTE_MAX(f->nodes_cap, 1u); i--) {
		nn[i].child[0] = f->nodes_free_head;
		f->nodes_free_head = i;
		f->n_nodes_free++;
	}
	f->nodes_cap = cap;
	return 0;
}

static uint32_t
rnode_alloc(struct fam *f, u128 key, unsigned int len, uint32_t nh, bool valid)
{
	uint32_t i = f->nodes_free_head;
	struct rnode *n = N(f, i);

	RTE_VERIFY(i != 0);	/* rib_reserve() came first */
	f->nodes_free_head = n->child[0];
	f->n_nodes_free--;
	memset(n, 0, sizeof(*n));
	n->key_hi = (uint64_t)(key >> 64);
	n->key_lo = (uint64_t)key;
	n->len = len;
	n->nh = nh;
	n->valid = valid;
	return i;
}

static void
rnode_free(struct fam *f, uint32_t i)
{
	N(f, i)->child[0] = f->nodes_free_head;
	f->nodes_free_head = i;
	f->n_nodes_free++;
}

static uint32_t
rib_find(struct fam *f, uint32_t cur, u128 key, unsigned int len)
{
	while (cur != 0) {
		struct rnode *n = N(f, cur);

		if (n->len > len || !key_covered(key, nkey(n), n->len))
			return 0;
		if (n->len == len)
			return n->valid ? cur : 0;
		cur = n->child[key_bit(key, n->len)];
	}
	return 0;
}

static void
rib_link(struct fam *f, uint32_t *rootp, uint32_t parent, u128 key, uint32_t node)
{
	if (parent == 0)
		*rootp = node;
	else
		N(f, parent)->child[key_bit(key, N(f, parent)->len)] = node;
}

/* Insert key/len, or find it: *existed says which. One walk either way
 * (the walk is most of an insert's cost: a cache miss a node). 2 nodes must
 * be reserved. */
static uint32_t
rib_insert(struct fam *f, uint32_t *rootp, u128 key, unsigned int len, uint32_t nh,
	bool *existed)
{
	uint32_t parent = 0, cur = *rootp, nw, glue;
	unsigned int common;
	u128 ck;

	*existed = false;
	while (cur != 0) {
		struct rnode *n = N(f, cur);

		if (n->len == len && nkey(n) == key) {
			if (n->valid) {
				*existed = true;
				return cur;
			}
			/* A glue node at exactly this prefix becomes the route. */
			n->valid = 1;
			n->nh = nh;
			return cur;
		}
		if (n->len >= len || !key_covered(key, nkey(n), n->len))
			break;
		parent = cur;
		cur = n->child[key_bit(key, n->len)];
	}
	nw = rnode_alloc(f, key, len, nh, true);
	if (cur == 0) {
		N(f, nw)->parent = parent;
		rib_link(f, rootp, parent, key, nw);
		return nw;
	}
	/* cur hangs where the new node goes: the new node covers it, or a
	 * glue node at their common prefix takes both. */
	ck = nkey(N(f, cur));
	common = RTE_MIN(key_clz(key ^ ck), RTE_MIN(len, (unsigned int)N(f, cur)->len));
	if (common == len) {
		N(f, nw)->child[key_bit(ck, len)] = cur;
		N(f, nw)->parent = parent;
		N(f, cur)->parent = nw;
		rib_link(f, rootp, parent, key, nw);
		return nw;
	}
	glue = rnode_alloc(f, key & key_mask(common), common, 0, false);
	N(f, glue)->parent = parent;
	N(f, glue)->child[key_bit(key, common)] = nw;
	N(f, glue)->child[key_bit(ck, common)] = cur;
	N(f, nw)->parent = glue;
	N(f, cur)->parent = glue;
	rib_link(f, rootp, parent, key, glue);
	return nw;
}

/* Unmark the route; drop the node and any glue left with fewer than 2
 * children on the way up. */
static void
rib_remove(struct fam *f, uint32_t *rootp, uint32_t cur)
{
	N(f, cur)->valid = 0;
	while (cur != 0 && !N(f, cur)->valid) {
		struct rnode *n = N(f, cur);
		uint32_t child, p = n->parent;

		if (n->child[0] != 0 && n->child[1] != 0)
			return;
		child = n->child[0] != 0 ? n->child[0] : n->child[1];
		if (child != 0)
			N(f, child)->parent = p;
		if (p == 0)
			*rootp = child;
		else
			N(f, p)->child[N(f, p)->child[1] == cur] = child;
		rnode_free(f, cur);
		cur = p;
	}
}

/* The closest route covering node i (shorter prefix), or 0. */
static uint32_t
rib_parent(struct fam *f, uint32_t i)
{
	uint32_t p = N(f, i)->parent;

	while (p != 0 && !N(f, p)->valid)
		p = N(f, p)->parent;
	return p;
}

static uint32_t
rib_lookup(struct fam *f, uint32_t cur, u128 key)
{
	uint32_t best = 0;

	while (cur != 0) {
		struct rnode *n = N(f, cur);

		if (!key_covered(key, nkey(n), n->len))
			break;
		if (n->valid)
			best = cur;
		if (n->len >= 128)
			break;
		cur = n->child[key_bit(key, n->len)];
	}
	return best;
}

/* Depth is at most 129 (lengths strictly grow downwards). */
static void
rib_free_tree(struct fam *f, uint32_t i)
{
	if (i == 0)
		return;
	rib_free_tree(f, N(f, i)->child[0]);
	rib_free_tree(f, N(f, i)->child[1]);
	rnode_free(f, i);
}

/* ---- group pool ---- */

static uint32_t *
group_ptr(unsigned int fam, uint32_t gi)
{
	return sl_fib_tables[fam].groups + ((size_t)gi << SL_FIB_GROUP_BITS);
}

static uint32_t
groups_cap(const struct fam *f)
{
	return f->n_chunks * CHUNK_GROUPS;
}

/* Address space for the whole pool, reserved at init (PROT_NONE costs no
 * memory and no commit charge), so the pool never moves and a group index
 * is an offset from one base that workers may read as a plain constant.
 * 64 GiB where the process may map that much. */
static int
pool_reserve_range(unsigned int fam)
{
	struct fam *f = &fams[fam];
	void *map = MAP_FAILED;
	uintptr_t base;
	size_t len = 0;
	uint32_t n;

	for (n = POOL_GROUPS_MAX; n >= POOL_GROUPS_MIN; n /= 2) {
		len = (size_t)n * GROUP_BYTES + HUGE_ALIGN;
		map = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			-1, 0);
		if (map != MAP_FAILED)
			break;
	}
	if (map == MAP_FAILED)
		return -ENOMEM;
	base = RTE_ALIGN_CEIL((uintptr_t)map, HUGE_ALIGN);
	f->map = map;
	f->map_len = len;
	f->groups_max = n;
	sl_fib_tables[fam].groups = (uint32_t *)base;
	return 0;
}

/* Commit the next 4 MiB of the range: plain memory, not DPDK hugepages, so
 * the pool is bounded by RAM, not by the hugepage reservation. */
static int
chunk_add(unsigned int fam)
{
	struct fam *f = &fams[fam];
	size_t cap = (size_t)(f->n_chunks + 1) * CHUNK_GROUPS;
	uint32_t *c, *fr, *pe;

	if (cap > f->groups_max)
		return -ENOSPC;
	c = group_ptr(fam, f->n_chunks * CHUNK_GROUPS);
	if (mprotect(c, CHUNK_BYTES, PROT_READ | PROT_WRITE) < 0)
		goto err_nomem;
	/* Fewer TLB misses on lookups; THP in "madvise" mode needs the hint.
	 * Best effort: a kernel without THP just says no. */
	madvise(c, CHUNK_BYTES, MADV_HUGEPAGE);
	fr = realloc(f->free, cap * sizeof(*fr));
	if (fr == NULL)
		goto err_chunk;
	f->free = fr;
	pe = realloc(f->pend, cap * sizeof(*pe));
	if (pe == NULL)
		goto err_chunk;
	f->pend = pe;
	f->n_chunks++;
	return 0;

err_chunk:
	mprotect(c, CHUNK_BYTES, PROT_NONE);
err_nomem:
	n_chunk_fail++;
	SL_LOG(ERR, "fib: %s group pool: no memory for chunk %u (%zu MiB)",
		fam == SL_FIB_V4 ? "ipv4" : "ipv6", f->n_chunks, CHUNK_BYTES >> 20);
	return -ENOMEM;
}

/* Make sure `want` groups can be taken without failing. */
static int
pool_reserve(unsigned int fam, uint32_t want)
{
	struct fam *f = &fams[fam];
	int rc;

	while (f->n_free + (groups_cap(f) - f->bump) < want)
		if ((rc = chunk_add(fam)) < 0)
			return rc;
	return 0;
}

static uint32_t
group_alloc(unsigned int fam)
{
	struct fam *f = &fams[fam];

	if (f->n_free > 0)
		return f->free[--f->n_free];
	RTE_VERIFY(f->bump < groups_cap(f));	/* pool_reserve() came first */
	return f->bump++;
}

/* A reader may still be inside the group: reuse it after a grace period. */
static void
group_retire(unsigned int fam, uint32_t gi)
{
	struct fam *f = &fams[fam];

	f->pend[f->n_pend++] = gi;
}

static void
group_retire_tree(unsigned int fam, uint32_t gi)
{
	uint32_t *g = group_ptr(fam, gi);

	for (unsigned int i = 0; i < SL_FIB_GROUP_SIZE; i++)
		if (g[i] & SL_FIB_F_CHILD)
			group_retire_tree(fam, g[i] & ~SL_FIB_F_CHILD);
	group_retire(fam, gi);
}

/* A root of its own mapping, read once per page: every page maps the
 * kernel's shared zero page (no memory, and no page fault for a worker
 * later); only pages that routes write get memory. A VRF whose routes sit
 * in a few /16s pays a few 4 KiB pages, not 256 KiB; a default route
 * touches them all. */
static uint32_t *
root_alloc(void)
{
	void *r = mmap(NULL, ROOT_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		-1, 0);

	if (r == MAP_FAILED)
		return NULL;
	for (size_t o = 0; o < ROOT_BYTES; o += 4096)
		(void)((volatile const uint8_t *)r)[o];
	return r;
}

static void
root_free(uint32_t *r)
{
	if (r != NULL)
		munmap(r, ROOT_BYTES);
}

static void
root_retire(unsigned int fam, uint32_t *root)
{
	struct fam *f = &fams[fam];

	if (f->n_pend_roots == PEND_ROOTS_MAX)
		sl_fib_commit();
	f->pend_roots[f->n_pend_roots++] = root;
}

void
sl_fib_commit(void)
{
	bool any = false;

	SL_ASSERT_CTRL();
	for (unsigned int fam = 0; fam < SL_FIB_FAMILIES; fam++)
		any |= fams[fam].n_pend > 0 || fams[fam].n_pend_roots > 0;
	if (!any)
		return;
	/* One grace period for the whole batch: after it, no worker holds an
	 * entry read before the groups and roots were unlinked. */
	if (sl_rcu != NULL)
		sl_rcu_synchronize();
	n_commits++;
	for (unsigned int fam = 0; fam < SL_FIB_FAMILIES; fam++) {
		struct fam *f = &fams[fam];

		if (f->n_pend > 0)
			memcpy(&f->free[f->n_free], f->pend, f->n_pend * sizeof(*f->pend));
		f->n_free += f->n_pend;
		f->n_pend = 0;
		for (uint32_t i = 0; i < f->n_pend_roots; i++)
			root_free(f->pend_roots[i]);
		f->n_pend_roots = 0;
	}
}

static void
fib_reclaim_tick(void)
{
	sl_fib_commit();
}
SL_LOOP_POLLER("fib-reclaim", fib_reclaim_tick)

/* ---- trie updates ---- */

/* One update: the prefix (key bytes, network order, bits past len zero). */
struct upd {
	unsigned int fam;
	const uint8_t *key;
	unsigned int len;
	uint32_t leaf;		/* insert: the new leaf; delete: what replaces it */
};

static uint32_t
leaf_make(unsigned int len, uint32_t nh)
{
	return (uint32_t)len << SL_FIB_DEPTH_SHIFT | (nh + 1);
}

static unsigned int
leaf_len(uint32_t e)
{
	return (e >> SL_FIB_DEPTH_SHIFT) & 0xff;
}

/* release: a reader that sees the value also sees the group it may name
 * fully filled. One aligned 32-bit store: old or new, never torn. */
static void
entry_store(uint32_t *p, uint32_t v)
{
	if (*p != v)
		__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static unsigned int
lvl_start(unsigned int lvl)
{
	return lvl == 0 ? 0 : SL_FIB_ROOT_BITS + (lvl - 1) * SL_FIB_GROUP_BITS;
}

static unsigned int
lvl_bits(unsigned int lvl)
{
	return lvl == 0 ? SL_FIB_ROOT_BITS : SL_FIB_GROUP_BITS;
}

static uint32_t
lvl_index(const uint8_t *key, unsigned int lvl)
{
	return lvl == 0 ? (uint32_t)key[0] << 8 | key[1] : key[lvl + 1];
}

/* Groups an insert of this length may have to create. */
static uint32_t
groups_needed(unsigned int len)
{
	return len > SL_FIB_ROOT_BITS ?
		(len - SL_FIB_ROOT_BITS + SL_FIB_GROUP_BITS - 1) / SL_FIB_GROUP_BITS : 0;
}

/* The entries of table t (level lvl) the prefix covers: [*first, +*n). */
static void
covered_range(const struct upd *u, unsigned int lvl, uint32_t *first, uint32_t *n)
{
	unsigned int end = lvl_start(lvl) + lvl_bits(lvl);

	*n = 1u << (end - RTE_MAX(u->len, lvl_start(lvl)));
	*first = u->len > lvl_start(lvl) ? lvl_index(u->key, lvl) & ~(*n - 1) : 0;
}

/* Entry *p lies inside the new prefix: it takes the leaf unless it holds a
 * more specific route; groups below take it likewise, entry by entry. */
static void
install_cover(const struct upd *u, uint32_t *p)
{
	uint32_t e = *p;

	if (e & SL_FIB_F_CHILD) {
		uint32_t *g = group_ptr(u->fam, e & ~SL_FIB_F_CHILD);

		for (unsigned int i = 0; i < SL_FIB_GROUP_SIZE; i++)
			install_cover(u, &g[i]);
	} else if (e == 0 || leaf_len(e) <= u->len) {
		entry_store(p, u->leaf);
	}
}

static void
install(const struct upd *u, uint32_t *t, unsigned int lvl)
{
	uint32_t first, n, *p, e, gi, *g;

	if (u->len <= lvl_start(lvl) + lvl_bits(lvl)) {
		covered_range(u, lvl, &first, &n);
		for (uint32_t i = first; i < first + n; i++)
			install_cover(u, &t[i]);
		return;
	}
	p = &t[lvl_index(u->key, lvl)];
	e = *p;
	if (e & SL_FIB_F_CHILD) {
		install(u, group_ptr(u->fam, e & ~SL_FIB_F_CHILD), lvl + 1);
		return;
	}
	/* A new group inherits the entry it replaces and gets the route
	 * before anyone can see it; then one store-release links it. */
	gi = group_alloc(u->fam);
	g = group_ptr(u->fam, gi);
	for (unsigned int i = 0; i < SL_FIB_GROUP_SIZE; i++)
		g[i] = e;
	install(u, g, lvl + 1);
	entry_store(p, SL_FIB_F_CHILD | gi);
}

/* *p names a group of level glvl: if its 256 entries are now one leaf (or
 * all empty), the parent entry takes that value and the group waits for a
 * grace period. Not a leaf of a route longer than the parent entry's span
 * (256 /24s through one gateway fill a /16's group with one value): its
 * delete walks down to its own level, and would find nothing to change
 * in the parent. */
static void
try_collapse(unsigned int fam, uint32_t *p, unsigned int glvl)
{
	uint32_t gi = *p & ~SL_FIB_F_CHILD, *g = group_ptr(fam, gi), v = g[0];

	if (v & SL_FIB_F_CHILD)
		return;
	if (v != 0 && leaf_len(v) > lvl_start(glvl))
		return;
	for (unsigned int i = 1; i < SL_FIB_GROUP_SIZE; i++)
		if (g[i] != v)
			return;
	entry_store(p, v);
	group_retire(fam, gi);
}

/* Entry *p lies inside the deleted prefix: the entries the route owns
 * (same length) fall back to the covering route's leaf (u->leaf, or 0). */
static void
remove_cover(const struct upd *u, uint32_t *p, unsigned int lvl)
{
	uint32_t e = *p;

	if (e & SL_FIB_F_CHILD) {
		uint32_t *g = group_ptr(u->fam, e & ~SL_FIB_F_CHILD);

		for (unsigned int i = 0; i < SL_FIB_GROUP_SIZE; i++)
			remove_cover(u, &g[i], lvl + 1);
		try_collapse(u->fam, p, lvl + 1);
	} else if (e != 0 && leaf_len(e) == u->len) {
		entry_store(p, u->leaf);
	}
}

static void
remove_route(const struct upd *u, uint32_t *t, unsigned int lvl)
{
	uint32_t first, n, *p;

	if (u->len <= lvl_start(lvl) + lvl_bits(lvl)) {
		covered_range(u, lvl, &first, &n);
		for (uint32_t i = first; i < first + n; i++)
			remove_cover(u, &t[i], lvl);
		return;
	}
	p = &t[lvl_index(u->key, lvl)];
	if (*p & SL_FIB_F_CHILD) {
		remove_route(u, group_ptr(u->fam, *p & ~SL_FIB_F_CHILD), lvl + 1);
		try_collapse(u->fam, p, lvl + 1);
	}
}

/* ---- routes ---- */

uint64_t sl_fib_gen = 1;	/* 0 marks an empty cache slot */

/* After the entries changed: cached lookup results are stale now. */
static void
gen_bump(void)
{
	__atomic_store_n(&sl_fib_gen, sl_fib_gen + 1, __ATOMIC_RELEASE);
}

static int
route_add(unsigned int fam, uint16_t vrf, const uint8_t *kb, unsigned int len, uint32_t nh)
{
	struct fam *f = &fams[fam];
	struct sl_fib_tables *t = &sl_fib_tables[fam];
	struct upd u = { .fam = fam, .len = len };
	uint8_t key[16];
	uint32_t i, *root;
	struct vrf *v;
	bool existed;
	u128 k;
	int rc;

	SL_ASSERT_CTRL();
	if (vrf >= SL_VRF_MAX || len > f->max_len || nh >= SL_FIB_NH_MAX)
		return -EINVAL;
	v = &vrfs[vrf];
	if (!v->used)
		return -ENOENT;
	k = key_from_bytes(kb, f->max_len / 8) & key_mask(len);
	key_to_bytes(k, key);
	u.key = key;
	u.leaf = leaf_make(len, nh);

	/* Take everything that can fail first, so a failure changes nothing.
	 * A replace needs none of it, but finding out costs a walk. */
	if ((rc = rib_reserve(f, 2)) < 0 || (rc = pool_reserve(fam, groups_needed(len))) < 0)
		return rc;
	root = t->root[vrf];
	if (len > 0 && root == NULL && (root = root_alloc()) == NULL)
		return -ENOMEM;
	i = rib_insert(f, &v->rib[fam], k, len, nh, &existed);
	if (existed && N(f, i)->nh == nh)
		return 0;
	N(f, i)->nh = nh;
	if (len == 0) {
		/* The default route stays out of the trie: see dflt in fib_dp.h.
		 * release: as an entry store. */
		__atomic_store_n(&t->dflt[vrf], u.leaf, __ATOMIC_RELEASE);
	} else {
		/* On a replace the route's entries and groups exist already (a
		 * group holding a route's entries never collapses while it is
		 * there), so nothing is allocated. */
		install(&u, root, 0);
		if (t->root[vrf] == NULL) {
			/* release: the table and its groups are complete first. */
			__atomic_store_n(&t->root[vrf], root, __ATOMIC_RELEASE);
			f->n_roots++;
		}
	}
	if (!existed) {
		v->routes[fam]++;
		f->n_routes++;
	}
	gen_bump();
	return 0;
}

static int
route_del(unsigned int fam, uint16_t vrf, const uint8_t *kb, unsigned int len)
{
	struct fam *f = &fams[fam];
	struct sl_fib_tables *t = &sl_fib_tables[fam];
	struct upd u = { .fam = fam, .len = len };
	uint8_t key[16];
	uint32_t i, p, *root;
	struct vrf *v;
	u128 k;

	SL_ASSERT_CTRL();
	if (vrf >= SL_VRF_MAX || len > f->max_len)
		return -EINVAL;
	v = &vrfs[vrf];
	if (!v->used)
		return -ENOENT;
	k = key_from_bytes(kb, f->max_len / 8) & key_mask(len);
	key_to_bytes(k, key);
	i = rib_find(f, v->rib[fam], k, len);
	if (i == 0)
		return -ENOENT;
	p = rib_parent(f, i);
	u.key = key;
	/* Entries fall back to the covering route; to 0 where that is the
	 * default route, which lookups apply to empty entries themselves. */
	u.leaf = p != 0 && N(f, p)->len > 0 ? leaf_make(N(f, p)->len, N(f, p)->nh) : 0;
	root = t->root[vrf];
	if (len == 0)
		__atomic_store_n(&t->dflt[vrf], 0, __ATOMIC_RELEASE);
	else
		remove_route(&u, root, 0);
	rib_remove(f, &v->rib[fam], i);
	v->routes[fam]--;
	f->n_routes--;
	if (root != NULL && v->routes[fam] == (t->dflt[vrf] != 0)) {
		/* No route but the default left: every group collapsed to 0 on
		 * the way, the root is empty. */
		__atomic_store_n(&t->root[vrf], NULL, __ATOMIC_RELEASE);
		f->n_roots--;
		root_retire(fam, root);
	}
	gen_bump();
	if (f->n_pend >= SL_FIB_PENDING_MAX)
		sl_fib_commit();
	return 0;
}

int
sl_fib4_add(uint16_t vrf, uint32_t prefix, uint8_t len, uint32_t nh)
{
	uint8_t kb[16];

	v4_bytes(prefix, kb);
	return route_add(SL_FIB_V4, vrf, kb, len, nh);
}

int
sl_fib4_del(uint16_t vrf, uint32_t prefix, uint8_t len)
{
	uint8_t kb[16];

	v4_bytes(prefix, kb);
	return route_del(SL_FIB_V4, vrf, kb, len);
}

int
sl_fib6_add(uint16_t vrf, const uint8_t prefix[16], uint8_t len, uint32_t nh)
{
	return route_add(SL_FIB_V6, vrf, prefix, len, nh);
}

int
sl_fib6_del(uint16_t vrf, const uint8_t prefix[16], uint8_t len)
{
	return route_del(SL_FIB_V6, vrf, prefix, len);
}

/* ---- VRFs ---- */

int
sl_fib_vrf_create(uint16_t vrf)
{
	SL_ASSERT_CTRL();
	if (vrf >= SL_VRF_MAX)
		return -EINVAL;
	if (vrfs[vrf].used)
		return -EEXIST;
	memset(&vrfs[vrf], 0, sizeof(vrfs[vrf]));
	vrfs[vrf].used = true;
	n_vrfs++;
	return 0;
}

int
sl_fib_vrf_destroy(uint16_t vrf)
{
	struct vrf *v;

	SL_ASSERT_CTRL();
	if (vrf >= SL_VRF_MAX)
		return -EINVAL;
	v = &vrfs[vrf];
	if (!v->used)
		return -ENOENT;
	for (unsigned int fam = 0; fam < SL_FIB_FAMILIES; fam++) {
		struct fam *f = &fams[fam];
		uint32_t *root = sl_fib_tables[fam].root[vrf];

		if (root != NULL) {
			/* Readers that loaded the root keep a consistent table
			 * until their next quiescent state. */
			__atomic_store_n(&sl_fib_tables[fam].root[vrf], NULL, __ATOMIC_RELEASE);
			for (uint32_t i = 0; i < SL_FIB_ROOT_SIZE; i++)
				if (root[i] & SL_FIB_F_CHILD)
					group_retire_tree(fam, root[i] & ~SL_FIB_F_CHILD);
			f->n_roots--;
			root_retire(fam, root);
		}
		__atomic_store_n(&sl_fib_tables[fam].dflt[vrf], 0, __ATOMIC_RELEASE);
		rib_free_tree(f, v->rib[fam]);
		f->n_routes -= v->routes[fam];
	}
	memset(v, 0, sizeof(*v));
	n_vrfs--;
	gen_bump();
	sl_fib_commit();
	return 0;
}

int
sl_fib_vrf_exists(uint16_t vrf)
{
	return vrf < SL_VRF_MAX && vrfs[vrf].used;
}

uint32_t
sl_fib_route_count(uint16_t vrf, int family)
{
	int fam = family_idx(family);

	if (fam < 0 || vrf >= SL_VRF_MAX || !vrfs[vrf].used)
		return 0;
	return vrfs[vrf].routes[fam];
}

/* ---- queries ---- */

static int
lookup_route(unsigned int fam, uint16_t vrf, const uint8_t *addr, uint8_t prefix[16],
	uint8_t *len, uint32_t *nh)
{
	struct fam *f = &fams[fam];
	uint32_t i;

	SL_ASSERT_CTRL();
	if (vrf >= SL_VRF_MAX)
		return -EINVAL;
	if (!vrfs[vrf].used)
		return -ENOENT;
	i = rib_lookup(f, vrfs[vrf].rib[fam], key_from_bytes(addr, f->max_len / 8));
	if (i == 0)
		return -ENOENT;
	key_to_bytes(nkey(N(f, i)), prefix);
	*len = N(f, i)->len;
	*nh = N(f, i)->nh;
	return 0;
}

int
sl_fib4_lookup_route(uint16_t vrf, uint32_t addr, uint32_t *prefix, uint8_t *len, uint32_t *nh)
{
	uint8_t kb[16], pb[16];
	int rc;

	v4_bytes(addr, kb);
	rc = lookup_route(SL_FIB_V4, vrf, kb, pb, len, nh);
	if (rc == 0)
		*prefix = (uint32_t)pb[0] << 24 | pb[1] << 16 | pb[2] << 8 | pb[3];
	return rc;
}

int
sl_fib6_lookup_route(uint16_t vrf, const uint8_t addr[16], uint8_t prefix[16], uint8_t *len,
	uint32_t *nh)
{
	return lookup_route(SL_FIB_V6, vrf, addr, prefix, len, nh);
}

static int
get_route(unsigned int fam, uint16_t vrf, const uint8_t *kb, unsigned int len, uint32_t *nh)
{
	struct fam *f = &fams[fam];
	uint32_t i;

	SL_ASSERT_CTRL();
	if (vrf >= SL_VRF_MAX || len > f->max_len)
		return -EINVAL;
	if (!vrfs[vrf].used)
		return -ENOENT;
	i = rib_find(f, vrfs[vrf].rib[fam],
		key_from_bytes(kb, f->max_len / 8) & key_mask(len), len);
	if (i == 0)
		return -ENOENT;
	*nh = N(f, i)->nh;
	return 0;
}

int
sl_fib4_get(uint16_t vrf, uint32_t prefix, uint8_t len, uint32_t *nh)
{
	uint8_t kb[16];

	v4_bytes(prefix, kb);
	return get_route(SL_FIB_V4, vrf, kb, len, nh);
}

int
sl_fib6_get(uint16_t vrf, const uint8_t prefix[16], uint8_t len, uint32_t *nh)
{
	return get_route(SL_FIB_V6, vrf, prefix, len, nh);
}

int
sl_fib_walk(uint16_t vrf, int family, int (*cb)(const struct sl_fib_route *r, void *arg),
	void *arg)
{
	int fam = family_idx(family), rc;
	struct sl_fib_route r;
	struct fam *f;
	uint32_t cur;

	SL_ASSERT_CTRL();
	if (fam < 0)
		return fam;
	if (vrf >= SL_VRF_MAX)
		return -EINVAL;
	if (!vrfs[vrf].used)
		return -ENOENT;
	f = &fams[fam];
	cur = vrfs[vrf].rib[fam];
	/* Pre-order: a prefix before the prefixes it covers, 0-branch first. */
	while (cur != 0) {
		struct rnode *n = N(f, cur);

		if (n->valid) {
			memset(&r, 0, sizeof(r));
			r.vrf = vrf;
			r.family = family;
			r.len = n->len;
			r.nh = n->nh;
			if (fam == SL_FIB_V4)
				r.prefix.v4 = (uint32_t)(n->key_hi >> 32);
			else
				key_to_bytes(nkey(n), r.prefix.v6);
			if ((rc = cb(&r, arg)) != 0)
				return rc;
		}
		if (n->child[0] != 0 || n->child[1] != 0) {
			cur = n->child[0] != 0 ? n->child[0] : n->child[1];
			continue;
		}
		/* Up to the first ancestor whose 1-branch is still to do. */
		for (;;) {
			uint32_t p = N(f, cur)->parent;

			if (p == 0) {
				cur = 0;
				break;
			}
			if (N(f, p)->child[0] == cur && N(f, p)->child[1] != 0) {
				cur = N(f, p)->child[1];
				break;
			}
			cur = p;
		}
	}
	return 0;
}

static json_t *
fam_json(const struct fam *f)
{
	size_t bytes = (size_t)f->n_chunks * CHUNK_BYTES +
		(size_t)(f->n_roots + f->n_pend_roots) * ROOT_BYTES +
		(size_t)groups_cap(f) * 2 * sizeof(uint32_t) +
		(size_t)f->nodes_cap * sizeof(struct rnode);
	uint32_t nfree = f->n_free + (groups_cap(f) - f->bump);

	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		"routes", (json_int_t)f->n_routes, "roots", (json_int_t)f->n_roots,
		"roots_pending", (json_int_t)f->n_pend_roots,
		"groups_used", (json_int_t)(groups_cap(f) - nfree - f->n_pend),
		"groups_free", (json_int_t)nfree, "groups_pending", (json_int_t)f->n_pend,
		"groups_max", (json_int_t)f->groups_max, "chunks", (json_int_t)f->n_chunks,
		"rib_nodes", (json_int_t)(f->nodes_cap ? f->nodes_cap - 1 - f->n_nodes_free : 0),
		"rib_nodes_cap", (json_int_t)f->nodes_cap, "bytes", (json_int_t)bytes);
}

json_t *
sl_fib_memory_json(void)
{
	json_t *v4 = fam_json(&fams[SL_FIB_V4]), *v6 = fam_json(&fams[SL_FIB_V6]);
	json_int_t bytes = json_integer_value(json_object_get(v4, "bytes")) +
		json_integer_value(json_object_get(v6, "bytes"));

	SL_ASSERT_CTRL();
	return json_pack("{s:I, s:o, s:o, s:I, s:I, s:I}", "vrfs", (json_int_t)n_vrfs,
		"ipv4", v4, "ipv6", v6, "bytes", bytes, "commits", (json_int_t)n_commits,
		"chunk_alloc_failures", (json_int_t)n_chunk_fail);
}

/* ---- life cycle ---- */

int
sl_fib_init(void)
{
	SL_ASSERT_CTRL();
	n_commits = 0;
	n_chunk_fail = 0;
	for (unsigned int fam = 0; fam < SL_FIB_FAMILIES; fam++) {
		if (sl_fib_tables[fam].groups != NULL)
			continue;
		if (pool_reserve_range(fam) < 0) {
			SL_LOG(ERR, "fib: cannot reserve address space for the group pool");
			sl_fib_fini();
			return -ENOMEM;
		}
	}
	return 0;
}

void
sl_fib_fini(void)
{
	SL_ASSERT_CTRL();
	for (unsigned int fam = 0; fam < SL_FIB_FAMILIES; fam++) {
		struct sl_fib_tables *t = &sl_fib_tables[fam];
		struct fam *f = &fams[fam];
		unsigned int max_len = f->max_len;

		for (unsigned int v = 0; v < SL_VRF_MAX; v++)
			root_free(t->root[v]);
		for (uint32_t i = 0; i < f->n_pend_roots; i++)
			root_free(f->pend_roots[i]);
		if (f->map != NULL)
			munmap(f->map, f->map_len);
		free(f->free);
		free(f->pend);
		free(f->nodes);
		memset(t, 0, sizeof(*t));
		memset(f, 0, sizeof(*f));
		f->max_len = max_len;
	}
	memset(vrfs, 0, sizeof(vrfs));
	n_vrfs = 0;
}
