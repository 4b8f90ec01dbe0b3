/* SPDX-License-Identifier: BSD-3-Clause */
/* L2 VLAN bridge stage (workers): classify each frame into a VLAN by the
 * ingress port mode, learn sources through a per-worker filter and the learn
 * ring, look destinations up in bulk, forward, flood or drop with a reason. */
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

struct meta {
	uint16_t vid;
	uint16_t pcp;		/* PCP and DEI bits, in place (mask 0xf000) */
	uint8_t tagged;		/* frame carries an 802.1Q header now */
	uint8_t l2_len;
	uint8_t prio;		/* priority-tagged (VID 0): the tag needs its VID */
};

/* Fibonacci hash of an FDB key: the top bits pick a set of the worker's
 * caches, bits 20-51 are the FDB cache's tag. */
static inline uint64_t
key_hash(uint64_t key)
{
	return key * UINT64_C(0x9E3779B97F4A7C15);
}

static inline uint32_t
learn_set(uint64_t h)
{
	return (h >> (64 - 12)) & ~1u;
}

/* ---- the FDB cache: (VLAN, MAC) -> entry index, for destinations and
 * sources. Entries are validated on every use: the index is trusted when the
 * entry is live (acquire on flags, paired with the control thread's
 * release) and still holds this key; one deleted or reused since is a miss,
 * a move needs nothing (the port is read live). A hit saves the rte_hash
 * lookup (~40 cycles with its memcmp). One cache for both roles keeps the
 * working set small: with a learn filter and a destination cache apart, the
 * L2 trunk->access benchmark touched twice the cache lines (measured). */

static inline struct sl_fdb_cache_slot *
fdb_set(struct sl_worker *w, uint64_t h)
{
	return &w->fdb_cache[(h >> (64 - SL_FDB_CACHE_SET_BITS)) * 2];
}

static inline uint32_t
fdb_tag(uint64_t h)
{
	return (uint32_t)(h >> 20) | 1;	/* never 0, the empty slot */
}

/* Candidate index for the key hashed to h, or UINT32_MAX. */
static inline uint32_t
fdb_set_find(const struct sl_fdb_cache_slot *c, uint64_t h)
{
	uint32_t tag = fdb_tag(h);

	if (c[0].tag == tag)
		return c[0].idx;
	if (c[1].tag == tag)
		return c[1].idx;
	return UINT32_MAX;
}

static inline bool
fdb_entry_valid(uint32_t idx, uint64_t key)
{
	const struct sl_fdb_entry *e;

	if (idx == UINT32_MAX)
		return false;
	e = &sl_fdb_entries[idx];
	return (__atomic_load_n(&e->flags, __ATOMIC_ACQUIRE) & (SL_FDB_F_USED | SL_FDB_F_DYING)) ==
		SL_FDB_F_USED && e->key == key;
}

/* Remember key -> idx: in the way that has the tag, else in way 0 with the
 * old way 0 moved to way 1 (the least recently filled goes). */
static inline void
fdb_cache_put(struct sl_worker *w, uint64_t h, uint32_t idx)
{
	struct sl_fdb_cache_slot *c = fdb_set(w, h);
	uint32_t tag = fdb_tag(h);

	if (c[0].tag == tag) {
		c[0].idx = idx;
		return;
	}
	if (c[1].tag != tag)
		c[1] = c[0];
	c[0].tag = tag;
	c[0].idx = idx;
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
			fdb_cache_put(w, h, (uintptr_t)data);
			return;
		}
	}
	struct sl_learn_ev ev = { .key = key, .port = in_port };

	if (rte_ring_sp_enqueue_elem(w->learn_ring, &ev, sizeof(ev)) == 0)
		SL_STAT_ADD(w->stats.learn_events, 1);
	else
		SL_STAT_ADD(w->stats.learn_ring_full, 1);
}

/* Sources the FDB cache does not vouch for: the filter is 2-way set
 * associative (direct-mapped, 9% of 2,048 active sources collided and paid
 * a hash lookup each, measured). */
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

/* Source check: a source the FDB already has on this port costs a look at
 * its entry (refreshing last_seen at most once a second); idx is the FDB
 * cache's candidate for it. */
static inline void
learn(struct sl_worker *w, uint64_t key, uint64_t h, uint32_t idx, uint16_t in_port,
	uint32_t now)
{
	if (likely(fdb_entry_valid(idx, key))) {
		struct sl_fdb_entry *e = &sl_fdb_entries[idx];

		if (likely(__atomic_load_n(&e->port, __ATOMIC_RELAXED) == in_port)) {
			if (unlikely(__atomic_load_n(&e->last_seen, __ATOMIC_RELAXED) != now))
				__atomic_store_n(&e->last_seen, now, __ATOMIC_RELAXED);
			return;
		}
	}
	learn_filtered(w, key, h, in_port, now);
}

/* Marks a source key that must not be learned (multicast source). */
#define NO_LEARN UINT64_MAX

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
	const struct meta *md, struct sl_tx_batch *b)
{
	bool want_tag = (s->vlans[md->vid].tagged >> out) & 1;
	struct rte_ether_hdr *eth;
	struct rte_vlan_hdr *vh;
	uint32_t len;

	if (want_tag) {
		if (!md->tagged) {
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
		vh->vlan_tci = rte_cpu_to_be_16(md->pcp | md->vid);
		len = m->pkt_len - sizeof(*vh);
	} else {
		if (md->tagged) {
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
	const struct meta *md)
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
	const struct meta *md)
{
	uint64_t out = s->vlans[md->vid].members & s->active_mask & ~exclude;
	uint64_t tagged, same;
	uint16_t last;

	if (unlikely(out == 0)) {
		sl_drop(w, m, SL_DROP_FLOOD_EMPTY);
		return;
	}
	SL_STAT_ADD(w->vlan_flood[md->vid], 1);
	/* Members that send the frame exactly as it is (untagged in, untagged
	 * out; tagged in, same tag out) share the original by reference count:
	 * no copy at all. The others get copies, made first while the
	 * original's header is intact; without sharers the original itself
	 * goes to the last member. */
	tagged = s->vlans[md->vid].tagged;
	same = !md->tagged ? out & ~tagged : md->prio ? 0 : out & tagged;
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
		c = flood_copy(w, m, md->l2_len, s->ports[p].tx_multiseg);
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

/* Classify one frame; returns false (and drops it) if it cannot be bridged. */
static inline bool
classify(struct sl_worker *w, const struct sl_snapshot *s, const struct sl_dp_port *ip,
	uint16_t in_port, struct rte_mbuf *m, struct meta *md)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	uint32_t len = m->pkt_len;

	if (unlikely(m->data_len < sizeof(*eth))) {
		sl_drop(w, m, SL_DROP_TRUNCATED);
		return false;
	}
	md->tagged = 0;
	md->prio = 0;
	md->pcp = 0;
	md->vid = 0;
	md->l2_len = sizeof(*eth);
	if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_VLAN)) {
		const struct rte_vlan_hdr *vh = (const struct rte_vlan_hdr *)(eth + 1);
		uint16_t tci;

		if (unlikely(m->data_len < sizeof(*eth) + sizeof(*vh))) {
			sl_drop(w, m, SL_DROP_TRUNCATED);
			return false;
		}
		tci = rte_be_to_cpu_16(vh->vlan_tci);
		md->tagged = 1;
		md->prio = (tci & 0x0fff) == 0;
		md->l2_len += sizeof(*vh);
		md->pcp = tci & 0xf000;	/* PCP and DEI travel with the frame */
		md->vid = tci & 0x0fff;
		len -= sizeof(*vh);
		if (md->vid != 0 && unlikely(ip->mode != SL_VLAN_MODE_TRUNK ||
				!((s->vlans[md->vid].members >> in_port) & 1))) {
			sl_drop(w, m, SL_DROP_VLAN_NOT_ALLOWED);
			return false;
		}
	}
	/* Untagged and priority-tagged (VID 0) frames take the port VLAN. */
	if (md->vid == 0) {
		md->vid = ip->pvid;
		if (unlikely(md->vid == 0)) {
			sl_drop(w, m, SL_DROP_UNTAGGED_NOT_ALLOWED);
			return false;
		}
	}
	if (unlikely(len > ip->max_len)) {
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
	const struct meta *md, uint16_t iface)
{
	const char *p = rte_pktmbuf_mtod(m, const char *);
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)p;
	struct rte_mbuf *c;
	uint16_t type;

	if (sl_mac_eq(&eth->dst_addr, &s->ifaces[iface].mac))
		return true;
	if (!rte_is_multicast_ether_addr(&eth->dst_addr))
		return false;
	memcpy(&type, p + md->l2_len - 2, sizeof(type));
	if (type != RTE_BE16(RTE_ETHER_TYPE_ARP) && (type != RTE_BE16(RTE_ETHER_TYPE_IPV6) ||
			!sl_ip6_for_router(m, md->l2_len)))
		return false;
	/* A copy, not a reference: flooding may rewrite the original's tag
	 * while the control thread reads it. */
	c = rte_pktmbuf_copy(m, w->pool, 0, UINT32_MAX);
	if (c == NULL) {
		SL_STAT_ADD(w->stats.drops[SL_DROP_NO_MBUF], 1);
		return false;
	}
	sl_punt(w, c, type == RTE_BE16(RTE_ETHER_TYPE_ARP) ? SL_PUNT_ARP : SL_PUNT_ND,
		md->l2_len, iface, 0);
	return false;
}

void
sl_l2_output(struct sl_worker *w, const struct sl_snapshot *s, struct rte_mbuf *m, uint16_t vid)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	struct meta md = { .vid = vid, .l2_len = sizeof(*eth) };
	uint64_t key = sl_fdb_key(vid, &eth->dst_addr), h = key_hash(key);
	uint32_t idx = fdb_set_find(fdb_set(w, h), h);
	void *data;

	if (!fdb_entry_valid(idx, key)) {
		if (rte_hash_lookup_data(sl_fdb_hash, &key, &data) < 0) {
			flood(w, s, m, 0, &md);
			return;
		}
		idx = (uintptr_t)data;
		fdb_cache_put(w, h, idx);
	}
	{
		uint16_t out = __atomic_load_n(&sl_fdb_entries[idx].port, __ATOMIC_RELAXED);

		if (((s->vlans[vid].members & s->active_mask) >> out) & 1) {
			egress(w, s, m, out, &md, NULL);
			return;
		}
	}
	flood(w, s, m, 0, &md);
}

void
sl_l2_burst(struct sl_worker *w, const struct sl_snapshot *s, uint16_t in_port,
	struct rte_mbuf **pkts, uint16_t n)
{
	const struct sl_dp_port *ip = &s->ports[in_port];
	uint32_t now = __atomic_load_n(&sl_now_s, __ATOMIC_RELAXED);
	struct rte_mbuf *fwd[SL_BURST_MAX];
	struct meta md[SL_BURST_MAX];
	uint64_t keys[SL_BURST_MAX], skeys[SL_BURST_MAX], dh[SL_BURST_MAX], sh[SL_BURST_MAX];
	uint32_t idx[SL_BURST_MAX], sidx[SL_BURST_MAX];
	const void *kp[SL_BURST_MAX];
	void *data[SL_BURST_MAX];
	uint16_t miss[SL_BURST_MAX];
	uint64_t hits = 0, lhits = 0;
	uint16_t nf = 0, nm = 0, vid_run = 0, vid_n = 0, n3 = 0;
	struct rte_mbuf *l3p[SL_BURST_MAX];
	uint16_t l3if[SL_BURST_MAX];
	uint8_t l3l2[SL_BURST_MAX];
	struct sl_tx_batch batch;

	for (uint16_t i = 0; i < n && i < PREFETCH_AHEAD; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct rte_ether_hdr *eth;

		if (i + PREFETCH_AHEAD < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + PREFETCH_AHEAD], void *));
		if (!classify(w, s, ip, in_port, m, &md[nf]))
			continue;
		eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
		/* per-VLAN rx counter: one update per run of a VLAN, not per packet */
		if (md[nf].vid != vid_run) {
			if (vid_n)
				SL_STAT_ADD(w->vlan_rx[vid_run], vid_n);
			vid_run = md[nf].vid;
			vid_n = 0;
		}
		vid_n++;
		if (unlikely(s->vlans[md[nf].vid].l3_iface != 0) &&
				to_router(w, s, m, &md[nf], s->vlans[md[nf].vid].l3_iface - 1)) {
			if (!rte_is_multicast_ether_addr(&eth->src_addr) &&
					!rte_is_zero_ether_addr(&eth->src_addr)) {
				uint64_t k = sl_fdb_key(md[nf].vid, &eth->src_addr);
				uint64_t h = key_hash(k);

				learn(w, k, h, fdb_set_find(fdb_set(w, h), h), in_port, now);
			}
			l3p[n3] = m;
			l3if[n3] = s->vlans[md[nf].vid].l3_iface - 1;
			l3l2[n3++] = md[nf].l2_len;
			continue;
		}
		skeys[nf] = NO_LEARN;
		if (!rte_is_multicast_ether_addr(&eth->src_addr) &&
				!rte_is_zero_ether_addr(&eth->src_addr)) {
			skeys[nf] = sl_fdb_key(md[nf].vid, &eth->src_addr);
			sh[nf] = key_hash(skeys[nf]);
			rte_prefetch0(fdb_set(w, sh[nf]));
		}
		/* An untagged frame into a VLAN with tagged members will likely
		 * get a tag pushed: the 4 bytes go into the headroom's last cache
		 * line, which no one has touched. Ask for it now. */
		if (!md[nf].tagged && s->vlans[md[nf].vid].tagged)
			rte_prefetch0_write(rte_pktmbuf_mtod_offset(m, char *,
				-(int)sizeof(struct rte_vlan_hdr)));
		keys[nf] = sl_fdb_key(md[nf].vid, &eth->dst_addr);
		dh[nf] = key_hash(keys[nf]);
		/* Cache sets and entries are L1 misses for a flow set larger
		 * than a few hundred: prefetch now, use in the next passes. */
		rte_prefetch0(fdb_set(w, dh[nf]));
		fwd[nf++] = m;
	}
	if (vid_n)
		SL_STAT_ADD(w->vlan_rx[vid_run], vid_n);
	if (n3)
		sl_l3_burst(w, s, l3p, l3if, l3l2, n3);
	if (nf == 0)
		return;
	sl_tx_batch_init(&batch);
	for (uint16_t i = 0; i < nf; i++) {
		idx[i] = fdb_set_find(fdb_set(w, dh[i]), dh[i]);
		if (idx[i] != UINT32_MAX)
			rte_prefetch0(&sl_fdb_entries[idx[i]]);
		sidx[i] = UINT32_MAX;
		if (skeys[i] != NO_LEARN) {
			sidx[i] = fdb_set_find(fdb_set(w, sh[i]), sh[i]);
			if (sidx[i] != UINT32_MAX)
				rte_prefetch0(&sl_fdb_entries[sidx[i]]);
		}
	}
	for (uint16_t i = 0; i < nf; i++) {
		if (fdb_entry_valid(idx[i], keys[i])) {
			hits |= UINT64_C(1) << i;
		} else if (!rte_is_multicast_ether_addr((const struct rte_ether_addr *)
				rte_pktmbuf_mtod(fwd[i], void *))) {
			kp[nm] = &keys[i];
			miss[nm++] = i;
		}
	}
	if (nm) {
		rte_hash_lookup_bulk_data(sl_fdb_hash, kp, nm, &lhits, data);
		for (uint16_t k = 0; k < nm; k++) {
			uint16_t i = miss[k];

			if (!((lhits >> k) & 1))
				continue;
			idx[i] = (uintptr_t)data[k];
			hits |= UINT64_C(1) << i;
			fdb_cache_put(w, dh[i], idx[i]);
		}
	}

	for (uint16_t i = 0; i < nf; i++) {
		struct rte_mbuf *m = fwd[i];
		uint16_t out;

		if (likely(skeys[i] != NO_LEARN))
			learn(w, skeys[i], sh[i], sidx[i], in_port, now);

		if (likely((hits >> i) & 1)) {
			const struct sl_fdb_entry *e = &sl_fdb_entries[idx[i]];

			out = __atomic_load_n(&e->port, __ATOMIC_RELAXED);
			if (unlikely(out == in_port)) {
				sl_drop(w, m, SL_DROP_SAME_PORT);
				continue;
			}
			/* Known unicast goes only to a member of the frame's VLAN:
			 * an entry can outlive a VLAN change of its port (static, or
			 * until the flush), and must never leak a frame across. */
			if (unlikely(!((s->vlans[md[i].vid].members >> out) & 1))) {
				sl_drop(w, m, SL_DROP_EGRESS_NOT_IN_VLAN);
				continue;
			}
			/* An entry of a port being removed: flood until flushed. */
			if (likely((s->active_mask >> out) & 1)) {
				egress(w, s, m, out, &md[i], &batch);
				continue;
			}
		} else if (unlikely(!s->vlans[md[i].vid].flood_unknown) &&
				!rte_is_multicast_ether_addr((const struct rte_ether_addr *)
					rte_pktmbuf_mtod(m, void *))) {
			sl_drop(w, m, SL_DROP_FLOOD_OFF);
			continue;
		}
		flood(w, s, m, UINT64_C(1) << in_port, &md[i]);
	}
	sl_tx_batch_send(w, s, &batch);
}
