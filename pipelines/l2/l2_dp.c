/* SPDX-License-Identifier: BSD-3-Clause */
/* L2 VLAN bridge stage (workers): classify each frame into a VLAN by the
 * ingress port mode, learn sources through a per-worker filter and the learn
 * ring, look destinations up in bulk, forward, flood or drop with a reason. */
#include <assert.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_hash.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_ring_elem.h>

#include "pipelines/l2/l2_dp.h"
#include "pipelines/l3/l3_dp.h"
#include "pipelines/tx/tx_dp.h"

#define PREFETCH_AHEAD 4
/* Frames up to this size are copied whole when flooded; larger ones get a
 * private header mbuf chained to a clone of the payload (no payload copy). */
#define FLOOD_COPY_MAX 256

/* Per-frame classification, one word built in a register and stored once:
 * the 802.1Q TCI the frame leaves with (PCP and DEI as received, the VLAN it
 * was classified into), whether it carries a tag now, and whether that tag
 * was priority-only (VID 0: flooding must not share it unchanged). */
typedef uint32_t meta_t;
#define MD_TAGGED (UINT32_C(1) << 16)
#define MD_PRIO (UINT32_C(1) << 17)

static inline uint16_t md_vid(meta_t md) { return md & 0x0fff; }
static inline uint16_t md_tci(meta_t md) { return (uint16_t)md; }
static inline bool md_tagged(meta_t md) { return md & MD_TAGGED; }
static inline bool md_prio(meta_t md) { return md & MD_PRIO; }
static inline uint8_t
md_l2_len(meta_t md)
{
	return md_tagged(md) ? RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN : RTE_ETHER_HDR_LEN;
}

/* Fibonacci hash of an FDB key (60 bits: VLAN, MAC). Multiplying by an odd
 * constant is a bijection of 64-bit words: the top 12 bits pick a set of
 * the worker's caches (the top bits mix best: with the product's bits 48-59
 * instead, 14% of the benchmark's sequential MACs overflowed their sets),
 * the others are the FDB cache's tag, and set + tag are the key itself, so
 * a tag match needs no key compare. */
#define TAG_BITS (64 - SL_FDB_CACHE_SET_BITS)
#define TAG_MASK ((UINT64_C(1) << TAG_BITS) - 1)
#define LEARN_SET_BITS 12	/* log2(SL_LEARN_CACHE_SIZE) */
static_assert(SL_LEARN_CACHE_SIZE == 1u << LEARN_SET_BITS, "learn_set() indexes the filter");

static inline uint64_t
key_hash(uint64_t key)
{
	return key * UINT64_C(0x9E3779B97F4A7C15);
}

/* The key back from its hash (the multiplier's inverse modulo 2^64): the
 * burst keeps hashes only. */
static inline uint64_t
key_unhash(uint64_t h)
{
	return h * UINT64_C(0xF1DE83E19937733D);
}

static inline uint32_t
learn_set(uint64_t h)
{
	return (h >> (64 - LEARN_SET_BITS)) & ~1u;	/* way 0 of a 2-way set */
}

/* ---- the FDB cache: (VLAN, MAC) -> port, for destinations and sources
 * (worker.h). A slot is one word: tag | epoch | refreshed | port. It is
 * current while its epoch is the worker's: an FDB delete or move and every
 * new second start a new epoch (sl_fdb_cache_sync), adds need nothing
 * (misses go to the FDB). `refreshed`: the key was checked as a source on
 * `port` this epoch, so its entry's last_seen is this second's. A hit is
 * one 8-byte load and no FDB entry: the rte_hash lookup it saves costs ~40
 * cycles with its memcmp, and an entry check one more cache line per key
 * (~8 cycles a packet in the trunk->access benchmark, measured). */
#define SLOT_EPOCH_SHIFT TAG_BITS
#define SLOT_REFRESHED (UINT64_C(1) << (SLOT_EPOCH_SHIFT + SL_FDB_EPOCH_BITS))
#define SLOT_PORT_SHIFT (SLOT_EPOCH_SHIFT + SL_FDB_EPOCH_BITS + 1)
#define SLOT_ID_MASK (SLOT_REFRESHED - 1)	/* tag and epoch */
static_assert(SLOT_PORT_SHIFT + 6 == 64 && RTE_MAX_ETHPORTS <= 64,
	"FDB cache slot: 6 bits of port");

static inline uint64_t *
fdb_set(struct sl_worker *w, uint64_t h)
{
	return &w->fdb_cache[(h >> TAG_BITS) * 2];
}

/* The current epoch as a slot field. */
static inline uint64_t
slot_epoch(const struct sl_worker *w)
{
	return (uint64_t)w->fdb_epoch << SLOT_EPOCH_SHIFT;
}

/* Tag and epoch a current slot for the key hashed to h has. */
static inline uint64_t
slot_id(uint64_t epoch, uint64_t h)
{
	return (h & TAG_MASK) | epoch;
}

/* Port of the current slot for the key hashed to h, or -1 (epoch: the
 * caller's slot_epoch(), kept in a register across a burst). */
static inline int
fdb_find(struct sl_worker *w, uint64_t h, uint64_t epoch)
{
	const uint64_t *c = fdb_set(w, h);
	uint64_t id = slot_id(epoch, h);

	if ((c[0] & SLOT_ID_MASK) == id)
		return (int)(c[0] >> SLOT_PORT_SHIFT);
	if ((c[1] & SLOT_ID_MASK) == id)
		return (int)(c[1] >> SLOT_PORT_SHIFT);
	return -1;
}

/* What a slot holds for a source refreshed this second on in_port, but
 * its tag. */
static inline uint64_t
src_want(uint64_t epoch, uint16_t in_port)
{
	return epoch | SLOT_REFRESHED | (uint64_t)in_port << SLOT_PORT_SHIFT;
}

/* The source hashed to h is known on in_port and refreshed this second
 * (want: src_want()). */
static inline bool
src_current(struct sl_worker *w, uint64_t h, uint64_t want)
{
	const uint64_t *c = fdb_set(w, h);

	want |= h & TAG_MASK;
	return c[0] == want || c[1] == want;
}

/* Remember key -> port in way 0, the old way 0 moving to way 1 unless it
 * is the key's own (the least recently filled goes). */
static inline void
fdb_cache_put(struct sl_worker *w, uint64_t h, uint16_t port, bool refreshed)
{
	uint64_t *c = fdb_set(w, h);
	uint64_t id = slot_id(slot_epoch(w), h);

	if ((c[0] ^ id) & TAG_MASK)
		c[1] = c[0];
	c[0] = id | (refreshed ? SLOT_REFRESHED : 0) | (uint64_t)port << SLOT_PORT_SHIFT;
}

/* Source check behind the filter: at most once a second per (MAC, port)
 * per worker. Refreshes last_seen (and the FDB cache) or posts a learn/move
 * event. */
static void
learn_slow(struct sl_worker *w, struct sl_learn_slot *c, uint64_t key, uint64_t h,
	uint16_t in_port, uint32_t now)
{
	void *data;

	c->key = key;
	c->port = in_port;
	c->stamp = now;
	if (rte_hash_lookup_data(sl_fdb_hash, &key, &data) >= 0) {
		struct sl_fdb_entry *e = &sl_fdb_entries[(uintptr_t)data];

		if (__atomic_load_n(&e->port, __ATOMIC_RELAXED) == in_port) {
			/* One store per entry per second at most (style rule 9). */
			if (__atomic_load_n(&e->last_seen, __ATOMIC_RELAXED) != now)
				__atomic_store_n(&e->last_seen, now, __ATOMIC_RELAXED);
			fdb_cache_put(w, h, in_port, true);
			return;
		}
	}
	struct sl_learn_ev ev = { .key = key, .port = in_port };

	if (rte_ring_sp_enqueue_elem(w->learn_ring, &ev, sizeof(ev)) == 0)
		SL_STAT_ADD(w->stats.learn_events, 1);
	else
		SL_STAT_ADD(w->stats.learn_ring_full, 1);
}

/* Sources the FDB cache does not vouch for (unknown, moved, not refreshed
 * this second): the filter is 2-way set associative (direct-mapped, 9% of
 * 2,048 active sources collided and paid a hash lookup each, measured). */
static __rte_noinline void
learn_filtered(struct sl_worker *w, uint64_t key, uint64_t h, uint16_t in_port, uint32_t now)
{
	struct sl_learn_slot *c = &w->learn_cache[learn_set(h)];

	if (c[0].key == key && c[0].port == in_port && c[0].stamp == now)
		return;
	if (c[1].key == key && c[1].port == in_port && c[1].stamp == now)
		return;
	/* Victim: the way already holding the key, else the older one. */
	if (c[1].key == key || (c[0].key != key && c[1].stamp < c[0].stamp))
		c++;
	learn_slow(w, c, key, h, in_port, now);
}

/* Move the 12 MAC bytes by a tag's length (overlapping): both loads come
 * before both stores; a libc memmove call cost ~10 cycles a packet here. */
static inline void
move_macs(void *dst, const void *src)
{
	uint64_t a;
	uint32_t b;

	memcpy(&a, src, sizeof(a));
	memcpy(&b, (const char *)src + sizeof(a), sizeof(b));
	memcpy(dst, &a, sizeof(a));
	memcpy((char *)dst + sizeof(a), &b, sizeof(b));
}

/* Make the frame's tagging right for egress port `out` and queue it: in the
 * burst's batch b (known unicast), else staged (floods).
 * Inlined into the unicast path (a call cost ~5 cycles a packet). */
static __rte_always_inline void
egress(struct sl_worker *w, const struct sl_snapshot *s, struct rte_mbuf *m, uint16_t out,
	meta_t md, struct sl_tx_batch *b)
{
	bool want_tag = (s->vlans[md_vid(md)].tagged >> out) & 1;
	struct rte_ether_hdr *eth;
	struct rte_vlan_hdr *vh;
	uint32_t len;

	if (want_tag) {
		if (!md_tagged(md)) {
			eth = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, sizeof(*vh));
			if (unlikely(eth == NULL)) {
				sl_drop(w, m, SL_DROP_NO_MBUF);
				return;
			}
			move_macs(eth, (char *)eth + sizeof(*vh));
			eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_VLAN);
		} else {
			eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
		}
		vh = (struct rte_vlan_hdr *)(eth + 1);
		vh->vlan_tci = rte_cpu_to_be_16(md_tci(md));
		len = m->pkt_len - sizeof(*vh);
	} else {
		if (md_tagged(md)) {
			eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
			move_macs((char *)eth + sizeof(*vh), eth);
			rte_pktmbuf_adj(m, sizeof(*vh));
		}
		len = m->pkt_len;
	}
	if (unlikely(len > s->ports[out].max_len)) {
		sl_drop(w, m, SL_DROP_MTU_EXCEEDED);
		return;
	}
	if (b != NULL)
		sl_tx_batch_add(b, m, out);
	else
		sl_tx_enqueue(w, s, out, m);
}

static __rte_noinline void
egress_flood(struct sl_worker *w, const struct sl_snapshot *s, struct rte_mbuf *m, uint16_t out,
	meta_t md)
{
	egress(w, s, m, out, md, NULL);
}

static struct rte_mbuf *
flood_copy(struct sl_worker *w, struct rte_mbuf *m, uint8_t l2_len, bool multiseg)
{
	struct rte_mbuf *hdr, *body;
	char *p;

	if (m->pkt_len <= FLOOD_COPY_MAX || !multiseg)
		return rte_pktmbuf_copy(m, w->pool, 0, UINT32_MAX);
	hdr = rte_pktmbuf_alloc(w->pool);
	if (hdr == NULL)
		return NULL;
	body = rte_pktmbuf_clone(m, w->pool);
	if (body == NULL)
		goto err_hdr;
	rte_pktmbuf_adj(body, l2_len);
	p = rte_pktmbuf_append(hdr, l2_len);
	memcpy(p, rte_pktmbuf_mtod(m, char *), l2_len);
	if (rte_pktmbuf_chain(hdr, body) < 0) {
		rte_pktmbuf_free(body);
		goto err_hdr;
	}
	return hdr;
err_hdr:
	rte_pktmbuf_free(hdr);
	return NULL;
}

/* Flood m to the active members of its VLAN, but those in `exclude` (the
 * ingress port). */
static void
flood(struct sl_worker *w, const struct sl_snapshot *s, struct rte_mbuf *m, uint64_t exclude,
	meta_t md)
{
	uint64_t out = s->vlans[md_vid(md)].members & s->active_mask & ~exclude;
	uint64_t tagged, same;
	uint16_t last;

	if (unlikely(out == 0)) {
		sl_drop(w, m, SL_DROP_FLOOD_EMPTY);
		return;
	}
	SL_STAT_ADD(w->vlan_flood[md_vid(md)], 1);
	/* Members that send the frame exactly as it is (untagged in, untagged
	 * out; tagged in, same tag out) share the original by reference count:
	 * no copy at all. The others get copies, made first while the
	 * original's header is intact; without sharers the original itself
	 * goes to the last member. */
	tagged = s->vlans[md_vid(md)].tagged;
	same = !md_tagged(md) ? out & ~tagged : md_prio(md) ? 0 : out & tagged;
	out &= ~same;
	if (same == 0) {
		last = 63 - __builtin_clzll(out);
		out &= ~(UINT64_C(1) << last);
		same = UINT64_C(1) << last;
	}
	while (out) {
		uint16_t p = __builtin_ctzll(out);
		struct rte_mbuf *c;

		out &= out - 1;
		c = flood_copy(w, m, md_l2_len(md), s->ports[p].tx_multiseg);
		if (unlikely(c == NULL)) {
			SL_STAT_ADD(w->stats.drops[SL_DROP_NO_MBUF], 1);
			continue;
		}
		egress_flood(w, s, c, p, md);
	}
	if (same & (same - 1))
		rte_mbuf_refcnt_update(m, __builtin_popcountll(same) - 1);
	while (same) {
		uint16_t p = __builtin_ctzll(same);

		same &= same - 1;
		egress_flood(w, s, m, p, md);
	}
}

/* What classification needs of the ingress port, copied once a burst (as
 * locals the compiler need not reload after every store). */
struct ingress {
	uint16_t port;
	uint16_t pvid;
	uint16_t max_len;
	bool trunk;
};

/* Classify one frame; returns false (and drops it) if it cannot be bridged. */
static inline bool
classify(struct sl_worker *w, const struct sl_snapshot *s, struct ingress ip,
	struct rte_mbuf *m, meta_t *mdp)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	uint32_t len = m->pkt_len;

	if (unlikely(m->data_len < sizeof(*eth))) {
		sl_drop(w, m, SL_DROP_TRUNCATED);
		return false;
	}
	if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_VLAN)) {
		const struct rte_vlan_hdr *vh = (const struct rte_vlan_hdr *)(eth + 1);
		uint16_t tci;

		if (unlikely(m->data_len < sizeof(*eth) + sizeof(*vh))) {
			sl_drop(w, m, SL_DROP_TRUNCATED);
			return false;
		}
		tci = rte_be_to_cpu_16(vh->vlan_tci);
		len -= sizeof(*vh);
		if (likely((tci & 0x0fff) != 0)) {
			if (unlikely(!ip.trunk ||
					!((s->vlans[tci & 0x0fff].members >> ip.port) & 1))) {
				sl_drop(w, m, SL_DROP_VLAN_NOT_ALLOWED);
				return false;
			}
			*mdp = tci | MD_TAGGED;
		} else {
			/* Priority-tagged: the port VLAN, the PCP kept. */
			if (unlikely(ip.pvid == 0)) {
				sl_drop(w, m, SL_DROP_UNTAGGED_NOT_ALLOWED);
				return false;
			}
			*mdp = (tci & 0xf000) | ip.pvid | MD_TAGGED | MD_PRIO;
		}
	} else {
		/* Untagged frames take the port VLAN. */
		if (unlikely(ip.pvid == 0)) {
			sl_drop(w, m, SL_DROP_UNTAGGED_NOT_ALLOWED);
			return false;
		}
		*mdp = ip.pvid;
	}
	if (unlikely(len > ip.max_len)) {
		sl_drop(w, m, SL_DROP_MTU_EXCEEDED);
		return false;
	}
	return true;
}

/* A frame of a VLAN with a router interface. To the router MAC: routed
 * (true). ARP broadcasts and IPv6 multicast (ND) are bridged as usual and a
 * copy goes to the control thread. */
static __rte_noinline bool
to_router(struct sl_worker *w, const struct sl_snapshot *s, struct rte_mbuf *m,
	meta_t md, uint16_t iface)
{
	const char *p = rte_pktmbuf_mtod(m, const char *);
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)p;
	struct rte_mbuf *c;
	uint16_t type;

	if (sl_mac_eq(&eth->dst_addr, &s->ifaces[iface].mac))
		return true;
	if (!rte_is_multicast_ether_addr(&eth->dst_addr))
		return false;
	memcpy(&type, p + md_l2_len(md) - 2, sizeof(type));
	if (type != RTE_BE16(RTE_ETHER_TYPE_ARP) && (type != RTE_BE16(RTE_ETHER_TYPE_IPV6) ||
			!sl_ip6_for_router(m, md_l2_len(md))))
		return false;
	/* A copy, not a reference: flooding may rewrite the original's tag
	 * while the control thread reads it. */
	c = rte_pktmbuf_copy(m, w->pool, 0, UINT32_MAX);
	if (c == NULL) {
		SL_STAT_ADD(w->stats.drops[SL_DROP_NO_MBUF], 1);
		return false;
	}
	sl_punt(w, c, type == RTE_BE16(RTE_ETHER_TYPE_ARP) ? SL_PUNT_ARP : SL_PUNT_ND,
		md_l2_len(md), iface, 0);
	return false;
}

void
sl_l2_output(struct sl_worker *w, const struct sl_snapshot *s, struct rte_mbuf *m, uint16_t vid)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	meta_t md = vid;
	uint64_t key = sl_fdb_key(vid, &eth->dst_addr), h = key_hash(key);
	int found = fdb_find(w, h, slot_epoch(w));
	uint16_t out;
	void *data;

	if (found >= 0) {
		out = (uint16_t)found;
	} else {
		if (rte_hash_lookup_data(sl_fdb_hash, &key, &data) < 0) {
			flood(w, s, m, 0, md);
			return;
		}
		out = __atomic_load_n(&sl_fdb_entries[(uintptr_t)data].port, __ATOMIC_RELAXED);
		fdb_cache_put(w, h, out, false);
	}
	if (((s->vlans[vid].members & s->active_mask) >> out) & 1)
		egress(w, s, m, out, md, NULL);
	else
		flood(w, s, m, 0, md);
}

/* Per-VLAN rx counters of the n bridged frames of a burst: one add when they
 * are all of one VLAN (vid_mixed == 0), else one per run of a VLAN. (Frames
 * to the router are counted one by one.) */
static inline void
vlan_rx_count(struct sl_worker *w, const meta_t *md, uint16_t n, uint32_t vid_mixed)
{
	uint16_t run = 0;

	if (n == 0)
		return;
	if (likely(vid_mixed == 0)) {
		SL_STAT_ADD(w->vlan_rx[md_vid(md[0])], n);
		return;
	}
	for (uint16_t i = 1; i <= n; i++) {
		if (i == n || md_vid(md[i]) != md_vid(md[run])) {
			SL_STAT_ADD(w->vlan_rx[md_vid(md[run])], i - run);
			run = i;
		}
	}
}

void
sl_l2_burst(struct sl_worker *w, const struct sl_snapshot *s, uint16_t in_port,
	struct rte_mbuf **pkts, uint16_t n)
{
	const struct sl_dp_port *dp = &s->ports[in_port];
	const struct ingress ip = {
		.port = in_port, .pvid = dp->pvid, .max_len = dp->max_len,
		.trunk = dp->mode == SL_VLAN_MODE_TRUNK,
	};
	uint32_t now = __atomic_load_n(&sl_now_s, __ATOMIC_RELAXED);
	struct rte_mbuf *fwd[SL_BURST_MAX];
	meta_t md[SL_BURST_MAX];
	uint64_t dh[SL_BURST_MAX], sh[SL_BURST_MAX], keys[SL_BURST_MAX];
	uint16_t outp[SL_BURST_MAX];
	const void *kp[SL_BURST_MAX];
	void *data[SL_BURST_MAX];
	uint16_t miss[SL_BURST_MAX];
	uint64_t hits = 0, lhits = 0, src_ok = 0, epoch, swant;
	uint16_t nf = 0, nm = 0, n3 = 0;
	uint32_t vid_mixed = 0;
	struct rte_mbuf *l3p[SL_BURST_MAX];
	uint16_t l3if[SL_BURST_MAX];
	uint8_t l3l2[SL_BURST_MAX];
	struct rte_mbuf *batch_pkts[SL_BURST_MAX];
	uint16_t batch_port[SL_BURST_MAX];
	struct sl_tx_batch batch;

	for (uint16_t i = 0; i < n && i < PREFETCH_AHEAD; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct rte_ether_hdr *eth;

		if (i + PREFETCH_AHEAD < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + PREFETCH_AHEAD], void *));
		if (!classify(w, s, ip, m, &md[nf]))
			continue;
		eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
		if (unlikely(s->vlans[md_vid(md[nf])].l3_iface != 0) &&
				to_router(w, s, m, md[nf], s->vlans[md_vid(md[nf])].l3_iface - 1)) {
			SL_STAT_ADD(w->vlan_rx[md_vid(md[nf])], 1);
			if (!rte_is_multicast_ether_addr(&eth->src_addr) &&
					!rte_is_zero_ether_addr(&eth->src_addr)) {
				uint64_t k = sl_fdb_key(md_vid(md[nf]), &eth->src_addr);
				uint64_t h = key_hash(k);

				if (!src_current(w, h, src_want(slot_epoch(w), in_port)))
					learn_filtered(w, k, h, in_port, now);
			}
			l3p[n3] = m;
			l3if[n3] = s->vlans[md_vid(md[nf])].l3_iface - 1;
			l3l2[n3++] = md_l2_len(md[nf]);
			continue;
		}
		/* Multicast and all-zero sources are never learned: their hash
		 * is 0, which no learnable key has (the hash is a bijection and
		 * key 0 is VLAN 0's zero MAC). */
		sh[nf] = 0;
		if (!rte_is_multicast_ether_addr(&eth->src_addr) &&
				!rte_is_zero_ether_addr(&eth->src_addr))
			sh[nf] = key_hash(sl_fdb_key(md_vid(md[nf]), &eth->src_addr));
		dh[nf] = key_hash(sl_fdb_key(md_vid(md[nf]), &eth->dst_addr));
		vid_mixed |= (md[nf] ^ md[0]) & 0x0fff;
		fwd[nf++] = m;
	}
	vlan_rx_count(w, md, nf, vid_mixed);
	if (n3)
		sl_l3_burst(w, s, l3p, l3if, l3l2, n3);
	if (nf == 0)
		return;
	epoch = slot_epoch(w);
	swant = src_want(epoch, in_port);
	for (uint16_t i = 0; i < nf; i++) {
		int found = fdb_find(w, dh[i], epoch);

		if (found >= 0) {
			outp[i] = (uint16_t)found;
			hits |= UINT64_C(1) << i;
		} else if (!rte_is_multicast_ether_addr((const struct rte_ether_addr *)
				rte_pktmbuf_mtod(fwd[i], void *))) {
			keys[nm] = key_unhash(dh[i]);
			kp[nm] = &keys[nm];
			miss[nm++] = i;
		}
		if (sh[i] == 0 ||
				src_current(w, sh[i], swant))
			src_ok |= UINT64_C(1) << i;
	}
	if (unlikely(nm != 0)) {
		rte_hash_lookup_bulk_data(sl_fdb_hash, kp, nm, &lhits, data);
		for (uint16_t k = 0; k < nm; k++) {
			uint16_t i = miss[k];

			if (!((lhits >> k) & 1))
				continue;
			outp[i] = __atomic_load_n(&sl_fdb_entries[(uintptr_t)data[k]].port,
				__ATOMIC_RELAXED);
			hits |= UINT64_C(1) << i;
			fdb_cache_put(w, dh[i], outp[i], false);
		}
	}

	sl_tx_batch_init(&batch, batch_pkts, batch_port);
	for (uint16_t i = 0; i < nf; i++) {
		struct rte_mbuf *m = fwd[i];
		uint16_t out;

		if (unlikely(!((src_ok >> i) & 1)))
			learn_filtered(w, key_unhash(sh[i]), sh[i], in_port, now);

		if (likely((hits >> i) & 1)) {
			out = outp[i];
			if (unlikely(out == in_port)) {
				sl_drop(w, m, SL_DROP_SAME_PORT);
				continue;
			}
			/* Known unicast goes only to a member of the frame's VLAN:
			 * an entry can outlive a VLAN change of its port (static, or
			 * until the flush), and must never leak a frame across. */
			if (unlikely(!((s->vlans[md_vid(md[i])].members >> out) & 1))) {
				sl_drop(w, m, SL_DROP_EGRESS_NOT_IN_VLAN);
				continue;
			}
			/* An entry of a port being removed: flood until flushed. */
			if (likely((s->active_mask >> out) & 1)) {
				egress(w, s, m, out, md[i], &batch);
				continue;
			}
		} else if (unlikely(!s->vlans[md_vid(md[i])].flood_unknown) &&
				!rte_is_multicast_ether_addr((const struct rte_ether_addr *)
					rte_pktmbuf_mtod(m, void *))) {
			sl_drop(w, m, SL_DROP_FLOOD_OFF);
			continue;
		}
		flood(w, s, m, UINT64_C(1) << in_port, md[i]);
	}
	sl_tx_batch_send(w, s, &batch);
}
