/* SPDX-License-Identifier: BSD-3-Clause */
/* Routed stage (workers): IPv4/IPv6 header checks, FIB lookups in bulk per
 * VRF, next hop (ECMP bucket, neighbour MAC), TTL/hop limit, MAC rewrite and
 * egress: straight to a routed port, or into the bridge for a VLAN
 * interface. ARP, ND and packets for the router go to the control thread;
 * so do packets whose next hop is still resolving, and those that earn an
 * ICMP error (dropped here, counted; the control thread only answers). */
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "pipelines/l2/l2_dp.h"
#include "pipelines/l3/fib_dp.h"
#include "pipelines/l3/l3.h"
#include "pipelines/l3/l3_dp.h"
#include "pipelines/tx/tx_dp.h"

struct sl_nh_dp *sl_nh_dp;
int sl_punt_meta_off = -1;
struct rte_ring *sl_inject_ring;

#define IP4_DF RTE_BE16(RTE_IPV4_HDR_DF_FLAG)

/* Big-endian 16-bit field to host order: rte_be_to_cpu_16 is an xchgb
 * (a partial-register write) in 22.11; the builtin is one rol. */
static inline uint16_t
be16(rte_be16_t x)
{
	return __builtin_bswap16(x);
}

/* Ones'-complement sum of a 20-byte IPv4 header: 0xffff when its checksum is
 * right. Five 32-bit loads; rte_raw_cksum's 16-bit loop cost twice as much. */
static inline uint32_t
ip4_sum20(const void *p)
{
	const char *c = p;
	uint32_t w0, w1, w2, w3, w4;
	uint64_t s;

	/* Five loads straight from the packet: a memcpy into a stack array
	 * compiled to a 16-byte store and 4-byte reloads (store-forwarding
	 * stalls, measured). */
	memcpy(&w0, c, 4);
	memcpy(&w1, c + 4, 4);
	memcpy(&w2, c + 8, 4);
	memcpy(&w3, c + 12, 4);
	memcpy(&w4, c + 16, 4);
	s = (uint64_t)w0 + w1 + w2 + w3 + w4;
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint32_t)((s & 0xffff) + (s >> 16));
}

/* IPv4 header checks (RFC 1812 5.2.2). 0 or the drop reason. */
static __rte_always_inline int
ip4_check(const struct rte_mbuf *m, uint8_t l2, const struct rte_ipv4_hdr *ip)
{
	uint32_t hlen = 20, tl;
	uint64_t ck;

	if (unlikely(m->data_len < l2 + sizeof(*ip)))
		return SL_DROP_IP_TRUNCATED;
	if (unlikely(ip->version_ihl != 0x45)) {
		if ((ip->version_ihl >> 4) != 4)
			return SL_DROP_IP_BAD_VERSION;
		hlen = (ip->version_ihl & 0xf) * 4u;
		if (hlen < sizeof(*ip) || hlen > (uint32_t)m->data_len - l2)
			return SL_DROP_IP_BAD_IHL;
	}
	tl = be16(ip->total_length);
	if (unlikely(tl < hlen || tl > m->pkt_len - l2))
		return SL_DROP_IP_BAD_LENGTH;
	ck = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
	if (likely(ck == RTE_MBUF_F_RX_IP_CKSUM_GOOD))
		return 0;
	if (unlikely(ck == RTE_MBUF_F_RX_IP_CKSUM_BAD))
		return SL_DROP_IP_BAD_CHECKSUM;
	if (likely(hlen == 20)) {
		if (unlikely(ip4_sum20(ip) != 0xffff))
			return SL_DROP_IP_BAD_CHECKSUM;
	} else if (rte_raw_cksum(ip, hlen) != 0xffff) {
		return SL_DROP_IP_BAD_CHECKSUM;
	}
	return 0;
}

static __rte_always_inline int
ip6_check(const struct rte_mbuf *m, uint8_t l2, const struct rte_ipv6_hdr *ip)
{
	if (unlikely(m->data_len < l2 + sizeof(*ip)))
		return SL_DROP_IP_TRUNCATED;
	if (unlikely((ip->vtc_flow & RTE_BE32(0xf0000000)) != RTE_BE32(0x60000000)))
		return SL_DROP_IP_BAD_VERSION;
	if (unlikely(be16(ip->payload_len) + sizeof(*ip) > m->pkt_len - l2))
		return SL_DROP_IP_BAD_LENGTH;
	return 0;
}

/* Flow hash for ECMP: addresses, protocol and, for TCP/UDP (first
 * fragments), the ports. Stable per flow; computed only for ECMP routes. */
static inline uint32_t
l4_ports(const void *l4, uint8_t proto, const struct rte_mbuf *m)
{
	const char *end = rte_pktmbuf_mtod(m, const char *) + m->data_len;
	uint32_t ports = 0;

	if ((proto == IPPROTO_TCP || proto == IPPROTO_UDP) && (const char *)l4 + 4 <= end)
		memcpy(&ports, l4, sizeof(ports));
	return ports;
}

static inline uint32_t
mix32(uint64_t h)
{
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	return (uint32_t)h;
}

static uint32_t
hash4(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip)
{
	uint32_t ports = 0;

	if (!(ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK)))
		ports = l4_ports((const char *)ip + (ip->version_ihl & 0xf) * 4,
			ip->next_proto_id, m);
	return mix32(((uint64_t)ip->src_addr << 32 | ip->dst_addr) ^ ports ^
		((uint64_t)ip->next_proto_id << 40));
}

static uint32_t
hash6(const struct rte_mbuf *m, const struct rte_ipv6_hdr *ip)
{
	uint64_t a[4];

	memcpy(a, ip->src_addr, 16);
	memcpy(a + 2, ip->dst_addr, 16);
	return mix32(a[0] ^ a[1] ^ a[2] ^ a[3] ^ ip->proto ^
		((uint64_t)l4_ports(ip + 1, ip->proto, m) << 16));
}

/* Count a drop that earns an ICMP error and hand the packet over for it. */
static inline void
drop_icmp(struct sl_worker *w, struct rte_mbuf *m, enum sl_drop reason, uint8_t punt,
	uint8_t l2, uint16_t iface, uint32_t aux)
{
	if (unlikely(!sl_punt_budget(w))) {
		SL_STAT_ADD(w->stats.icmp_limited, 1);
		sl_drop(w, m, reason);
		return;
	}
	SL_STAT_ADD(w->stats.drops[reason], 1);
	sl_punt(w, m, punt, l2, iface, aux);
}

/* Rewrite the L2 header for egress interface oe (the IP header is done) and
 * send: out of a routed port (collected in o), or into the bridge for a VLAN
 * interface. A tag the frame came with is removed first. */
static __rte_always_inline void
output(struct sl_worker *w, const struct sl_snapshot *s, struct sl_tx_batch *o, struct rte_mbuf *m,
	uint8_t l2, const struct sl_dp_iface *oe, uint64_t dmac)
{
	struct rte_ether_hdr *eth;

	if (unlikely(l2 != sizeof(*eth))) {
		/* Tagged in (VLAN interface on a trunk): keep the inner type. */
		uint16_t type = *(uint16_t *)(rte_pktmbuf_mtod(m, char *) + l2 - 2);

		eth = (struct rte_ether_hdr *)rte_pktmbuf_adj(m, l2 - sizeof(*eth));
		eth->ether_type = type;
	} else {
		eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	}
	memcpy(&eth->dst_addr, &dmac, RTE_ETHER_ADDR_LEN);
	eth->src_addr = oe->mac;
	if (oe->port != SL_PORT_NONE) {
		sl_tx_batch_add(o, m, oe->port);	/* link state: checked per burst */
		return;
	}
	sl_l2_output(w, s, m, oe->vlan);
}

/* A packet for a next hop still resolving is held, and sent later as it is
 * by the control thread: it meets the egress MTU check of the fast path
 * here. True if it was too big (dropped; ICMP queued when DF / IPv6). */
static bool
held_too_big(struct sl_worker *w, const struct sl_snapshot *s, struct rte_mbuf *m,
	const struct sl_nh_dp *d, uint8_t l2, uint16_t iface)
{
	const char *l3 = rte_pktmbuf_mtod(m, const char *) + l2;
	const struct sl_dp_iface *oe = &s->ifaces[d->iface];

	if (!oe->used)
		return false;
	if ((l3[0] >> 4) == 4) {
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)l3;

		if (rte_be_to_cpu_16(ip->total_length) <= oe->mtu)
			return false;
		if (!(ip->fragment_offset & IP4_DF)) {
			sl_drop(w, m, SL_DROP_MTU_EXCEEDED);
			return true;
		}
	} else if (rte_be_to_cpu_16(((const struct rte_ipv6_hdr *)l3)->payload_len) +
			sizeof(struct rte_ipv6_hdr) <= oe->mtu) {
		return false;
	}
	drop_icmp(w, m, SL_DROP_FRAG_NEEDED, SL_PUNT_ICMP_TOO_BIG, l2, iface, d->iface);
	return true;
}

/* Everything but a resolved next hop: local, glean, special routes, or a
 * slot being recycled (type 0). ttl_ok: the packet could be forwarded. */
static void
nh_slow(struct sl_worker *w, const struct sl_snapshot *s, struct rte_mbuf *m,
	const struct sl_nh_dp *d, uint32_t nh, uint8_t l2, uint16_t iface, bool ttl_ok)
{
	switch (d->type) {
	case SL_NH_LOCAL:
		sl_punt(w, m, SL_PUNT_LOCAL, l2, iface, 0);
		return;
	case SL_NH_FWD:
	case SL_NH_CONNECTED:
		if (!ttl_ok) {
			drop_icmp(w, m, SL_DROP_TTL_EXCEEDED, SL_PUNT_ICMP_TTL, l2, iface, 0);
			return;
		}
		if (held_too_big(w, s, m, d, l2, iface))
			return;
		if (unlikely(!sl_punt_budget(w))) {
			sl_drop(w, m, SL_DROP_PUNT_LIMITED);
			return;
		}
		sl_punt(w, m, d->type == SL_NH_FWD ? SL_PUNT_RESOLVE : SL_PUNT_GLEAN, l2, iface,
			nh);
		return;
	case SL_NH_BLACKHOLE:
		sl_drop(w, m, SL_DROP_ROUTE_BLACKHOLE);
		return;
	case SL_NH_UNREACHABLE:
		drop_icmp(w, m, SL_DROP_ROUTE_UNREACHABLE, SL_PUNT_ICMP_UNREACHABLE, l2, iface, 0);
		return;
	case SL_NH_PROHIBIT:
		drop_icmp(w, m, SL_DROP_ROUTE_PROHIBIT, SL_PUNT_ICMP_PROHIBIT, l2, iface, 0);
		return;
	default:
		drop_icmp(w, m, SL_DROP_NO_ROUTE, SL_PUNT_ICMP_NO_ROUTE, l2, iface, 0);
		return;
	}
}

/* Addresses a router never forwards (RFC 1812 5.3.7): from 0/8, 127/8,
 * multicast or class E; to 0/8, 127/8, multicast (not routed here), class E
 * or the limited broadcast. One byte of each: a few compares a packet. */
static __rte_always_inline bool
ip4_martian(const struct rte_ipv4_hdr *ip)
{
	uint8_t s0 = ((const uint8_t *)&ip->src_addr)[0];
	uint8_t d0 = ((const uint8_t *)&ip->dst_addr)[0];

	return s0 == 0 || s0 == 127 || s0 >= 224 || d0 == 0 || d0 == 127 || d0 >= 224;
}

/* IPv6 sources never forwarded: multicast, link-local (RFC 4291 2.5.6),
 * loopback and unspecified. */
static __rte_always_inline bool
ip6_martian(const uint8_t *src)
{
	static const uint8_t zero[15];

	if (likely(src[0] != 0 && src[0] < 0xfe))
		return false;
	if (src[0] == 0xff || (src[0] == 0xfe && (src[1] & 0xc0) == 0x80))
		return true;
	return src[0] == 0 && memcmp(src + 1, zero, 14) == 0 && src[15] <= 1;
}

static __rte_always_inline void
forward4(struct sl_worker *w, const struct sl_snapshot *s, struct sl_tx_batch *o, struct rte_mbuf *m,
	uint8_t l2, uint16_t iface, uint32_t nh)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(rte_pktmbuf_mtod(m, char *) + l2);
	const struct sl_nh_dp *d;
	const struct sl_dp_iface *oe;
	uint64_t mac;
	uint32_t ck;

	if (unlikely(nh == SL_FIB_MISS)) {
		drop_icmp(w, m, SL_DROP_NO_ROUTE, SL_PUNT_ICMP_NO_ROUTE, l2, iface, 0);
		return;
	}
	d = &sl_nh_dp[nh];
	if (unlikely(d->type == SL_NH_ECMP)) {
		nh = d->bucket[hash4(m, ip) & (SL_ECMP_BUCKETS - 1)];
		d = &sl_nh_dp[nh];
	}
	mac = __atomic_load_n(&d->mac, __ATOMIC_RELAXED);
	if (unlikely(d->type != SL_NH_FWD || !(mac & SL_NH_MAC_VALID) || ip->time_to_live <= 1)) {
		nh_slow(w, s, m, d, nh, l2, iface, ip->time_to_live > 1);
		return;
	}
	oe = &s->ifaces[d->iface];
	if (unlikely(be16(ip->total_length) > oe->mtu)) {
		if (ip->fragment_offset & IP4_DF)
			drop_icmp(w, m, SL_DROP_FRAG_NEEDED, SL_PUNT_ICMP_TOO_BIG, l2, iface,
				d->iface);
		else
			sl_drop(w, m, SL_DROP_MTU_EXCEEDED);
		return;
	}
	/* TTL - 1 and the checksum by RFC 1624: + 0x0100, end-around carry. */
	ip->time_to_live--;
	ck = ip->hdr_checksum + (uint32_t)RTE_BE16(0x0100);
	ip->hdr_checksum = (uint16_t)(ck + (ck >> 16));
	output(w, s, o, m, l2, oe, mac);
}

static __rte_always_inline void
forward6(struct sl_worker *w, const struct sl_snapshot *s, struct sl_tx_batch *o, struct rte_mbuf *m,
	uint8_t l2, uint16_t iface, uint32_t nh)
{
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(rte_pktmbuf_mtod(m, char *) + l2);
	const struct sl_nh_dp *d;
	const struct sl_dp_iface *oe;
	uint64_t mac;

	if (unlikely(nh == SL_FIB_MISS)) {
		drop_icmp(w, m, SL_DROP_NO_ROUTE, SL_PUNT_ICMP_NO_ROUTE, l2, iface, 0);
		return;
	}
	d = &sl_nh_dp[nh];
	if (unlikely(d->type == SL_NH_ECMP)) {
		nh = d->bucket[hash6(m, ip) & (SL_ECMP_BUCKETS - 1)];
		d = &sl_nh_dp[nh];
	}
	mac = __atomic_load_n(&d->mac, __ATOMIC_RELAXED);
	if (unlikely(d->type != SL_NH_FWD || !(mac & SL_NH_MAC_VALID) || ip->hop_limits <= 1)) {
		nh_slow(w, s, m, d, nh, l2, iface, ip->hop_limits > 1);
		return;
	}
	/* Only now: to the router itself a link-local source is fine (NUD). */
	if (unlikely(ip6_martian(ip->src_addr))) {
		sl_drop(w, m, SL_DROP_MARTIAN);
		return;
	}
	oe = &s->ifaces[d->iface];
	if (unlikely(be16(ip->payload_len) + sizeof(*ip) > oe->mtu)) {
		drop_icmp(w, m, SL_DROP_FRAG_NEEDED, SL_PUNT_ICMP_TOO_BIG, l2, iface, d->iface);
		return;
	}
	ip->hop_limits--;
	output(w, s, o, m, l2, oe, mac);
}

/* IPv6 destinations the router takes itself before any lookup: multicast
 * (ND solicitations, MLD...) and link-local. */
static inline bool
ip6_to_router(const uint8_t *dst)
{
	return dst[0] == 0xff || (dst[0] == 0xfe && (dst[1] & 0xc0) == 0x80);
}

/* A frame on a routed port that is not to its router MAC (or a runt):
 * broadcast ARP and IPv6 multicast (ND) go to the control thread; nothing
 * else is for a routed port. */
static __rte_noinline void
not_to_router(struct sl_worker *w, struct rte_mbuf *m, uint16_t iface)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

	if (m->data_len < sizeof(*eth)) {
		sl_drop(w, m, SL_DROP_TRUNCATED);
		return;
	}
	if (rte_is_multicast_ether_addr(&eth->dst_addr)) {
		if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP)) {
			sl_punt(w, m, SL_PUNT_ARP, sizeof(*eth), iface, 0);
			return;
		}
		if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV6) &&
				sl_ip6_for_router(m, sizeof(*eth))) {
			sl_punt(w, m, SL_PUNT_ND, sizeof(*eth), iface, 0);
			return;
		}
	}
	sl_drop(w, m, SL_DROP_NOT_ROUTER_MAC);
}

static inline struct sl_rt_cache_slot *
rt6_slot(struct sl_worker *w, const uint8_t *a, uint16_t vrf, uint64_t *a0, uint64_t *a1)
{
	uint64_t h;

	memcpy(a0, a, 8);
	memcpy(a1, a + 8, 8);
	h = (*a0 ^ (*a1 * UINT64_C(0x9E3779B97F4A7C15)) ^ vrf) * UINT64_C(0xff51afd7ed558ccd);
	return &w->rt_cache[h >> (64 - SL_RT_CACHE_BITS)];
}

/* IPv6 FIB lookups of a burst: from the worker's cache where it holds the
 * destination for this FIB generation, the rest walked in bulk (or one by
 * one when the burst spans VRFs) and cached. */
static __rte_noinline void
l3_lookup6(struct sl_worker *w, const struct sl_snapshot *s, const uint16_t *ifaces,
	const uint16_t *i6, uint8_t (*a6)[16], uint32_t *nh6, uint16_t n6, bool mixed, uint16_t vrf)
{
	uint64_t gen = sl_fib_gen_load();
	struct sl_rt_cache_slot *slot[SL_BURST_MAX];
	uint8_t ma[SL_BURST_MAX][16];
	uint32_t mnh[SL_BURST_MAX];
	uint16_t mk[SL_BURST_MAX], nm = 0;

	for (uint16_t k = 0; k < n6; k++) {
		uint16_t v = mixed ? s->ifaces[ifaces[i6[k]]].vrf : vrf;
		uint64_t a0, a1;
		struct sl_rt_cache_slot *c = rt6_slot(w, a6[k], v, &a0, &a1);

		if (c->gen == gen && c->a[0] == a0 && c->a[1] == a1 && c->vrf == v) {
			nh6[k] = c->nh;
			continue;
		}
		slot[nm] = c;
		memcpy(ma[nm], a6[k], 16);
		mk[nm++] = k;
	}
	if (nm == 0)
		return;
	if (likely(!mixed)) {
		sl_fib6_lookup_bulk(vrf, (const uint8_t (*)[16])ma, mnh, nm);
	} else {
		for (uint16_t j = 0; j < nm; j++)
			mnh[j] = sl_fib6_lookup(s->ifaces[ifaces[i6[mk[j]]]].vrf, ma[j]);
	}
	for (uint16_t j = 0; j < nm; j++) {
		struct sl_rt_cache_slot *c = slot[j];

		nh6[mk[j]] = mnh[j];
		memcpy(c->a, ma[j], 16);
		c->vrf = mixed ? s->ifaces[ifaces[i6[mk[j]]]].vrf : vrf;
		c->nh = mnh[j];
		c->gen = gen;	/* read before the walk: a change since makes it stale */
	}
}

/* IPv4 likewise: with a FIB of 100,000s of prefixes the walk's levels miss
 * the CPU caches, a hit of the (smaller) result cache mostly does not. The
 * slot's vrf field carries RT4_MARK, so IPv4 and IPv6 keys never meet. */
#define RT4_MARK 0x8000

static __rte_noinline void
l3_lookup4(struct sl_worker *w, const struct sl_snapshot *s, const uint16_t *ifaces,
	const uint16_t *i4, const uint32_t *a4, uint32_t *nh4, uint16_t n4, bool mixed,
	uint16_t vrf)
{
	uint64_t gen = sl_fib_gen_load();
	struct sl_rt_cache_slot *slot[SL_BURST_MAX];
	uint32_t ma[SL_BURST_MAX], mnh[SL_BURST_MAX];
	uint16_t mk[SL_BURST_MAX], nm = 0;

	for (uint16_t k = 0; k < n4; k++) {
		uint16_t v = (mixed ? s->ifaces[ifaces[i4[k]]].vrf : vrf) | RT4_MARK;
		uint64_t h = ((uint64_t)a4[k] << 16 | v) * UINT64_C(0xff51afd7ed558ccd);
		struct sl_rt_cache_slot *c = &w->rt_cache[h >> (64 - SL_RT_CACHE_BITS)];

		if (c->gen == gen && c->a[0] == a4[k] && c->vrf == v) {
			nh4[k] = c->nh;
			continue;
		}
		slot[nm] = c;
		ma[nm] = a4[k];
		mk[nm++] = k;
	}
	if (nm == 0)
		return;
	if (likely(!mixed)) {
		sl_fib4_lookup_bulk(vrf, ma, mnh, nm);
	} else {
		for (uint16_t j = 0; j < nm; j++)
			mnh[j] = sl_fib4_lookup(s->ifaces[ifaces[i4[mk[j]]]].vrf, ma[j]);
	}
	for (uint16_t j = 0; j < nm; j++) {
		struct sl_rt_cache_slot *c = slot[j];

		nh4[mk[j]] = mnh[j];
		c->a[0] = ma[j];
		c->a[1] = 0;
		c->vrf = (mixed ? s->ifaces[ifaces[i4[mk[j]]]].vrf : vrf) | RT4_MARK;
		c->nh = mnh[j];
		c->gen = gen;
	}
}

/* The burst loop, specialised twice: uniform (a routed port: one interface,
 * untagged, so one VRF and no per-packet interface lookups) and per packet
 * (frames of VLAN interfaces, handed over by the bridge). */
static __rte_always_inline void
l3_burst(struct sl_worker *w, const struct sl_snapshot *s, struct rte_mbuf **pkts,
	const uint16_t *ifaces, const uint8_t *l2_len, uint16_t n, bool uniform, uint16_t uiface)
{
	uint32_t a4[SL_BURST_MAX], nh4[SL_BURST_MAX], nh6[SL_BURST_MAX];
	uint8_t a6[SL_BURST_MAX][16];
	uint16_t i4[SL_BURST_MAX], i6[SL_BURST_MAX];
	uint16_t vrf4 = 0, vrf6 = 0, n4 = 0, n6 = 0;
	bool mixed4 = false, mixed6 = false;
	struct rte_mbuf *o_pkts[SL_BURST_MAX];
	uint16_t o_port[SL_BURST_MAX];
	struct sl_tx_batch o;

	sl_tx_batch_init(&o, o_pkts, o_port);
	if (uniform)
		vrf4 = vrf6 = s->ifaces[uiface].vrf;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint8_t l2 = uniform ? RTE_ETHER_HDR_LEN : l2_len[i];
		uint16_t iface = uniform ? uiface : ifaces[i];
		const char *l3 = rte_pktmbuf_mtod(m, const char *) + l2;
		uint16_t type;
		int bad;

		/* A routed port: the bridge did not look at the frame yet. */
		if (uniform) {
			const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)(l3 - l2);

			if (i + 4 < n)
				rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 4], void *));
			if (unlikely(m->data_len < sizeof(*eth) ||
					!sl_mac_eq(&eth->dst_addr, &s->ifaces[uiface].mac))) {
				not_to_router(w, m, uiface);
				continue;
			}
		}
		memcpy(&type, l3 - 2, sizeof(type));
		if (likely(type == RTE_BE16(RTE_ETHER_TYPE_IPV4))) {
			const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)l3;

			bad = ip4_check(m, l2, ip);
			if (unlikely(bad)) {
				sl_drop(w, m, bad);
				continue;
			}
			if (unlikely(ip4_martian(ip))) {
				sl_drop(w, m, SL_DROP_MARTIAN);
				continue;
			}
			if (!uniform) {
				uint16_t vrf = s->ifaces[iface].vrf;

				mixed4 |= n4 && vrf != vrf4;
				vrf4 = vrf;
			}
			a4[n4] = rte_be_to_cpu_32(ip->dst_addr);
			i4[n4++] = i;
		} else if (type == RTE_BE16(RTE_ETHER_TYPE_IPV6)) {
			const struct rte_ipv6_hdr *ip = (const struct rte_ipv6_hdr *)l3;

			bad = ip6_check(m, l2, ip);
			if (unlikely(bad)) {
				sl_drop(w, m, bad);
				continue;
			}
			if (unlikely(ip6_to_router(ip->dst_addr))) {
				sl_punt(w, m, SL_PUNT_ND, l2, iface, 0);
				continue;
			}
			if (!uniform) {
				uint16_t vrf = s->ifaces[iface].vrf;

				mixed6 |= n6 && vrf != vrf6;
				vrf6 = vrf;
			}
			memcpy(a6[n6], ip->dst_addr, 16);
			i6[n6++] = i;
		} else if (type == RTE_BE16(RTE_ETHER_TYPE_ARP)) {
			sl_punt(w, m, SL_PUNT_ARP, l2, iface, 0);
		} else if (uniform && type == RTE_BE16(RTE_ETHER_TYPE_VLAN)) {
			sl_drop(w, m, SL_DROP_VLAN_NOT_ALLOWED);	/* routed ports: untagged */
		} else {
			sl_drop(w, m, SL_DROP_L3_UNSUPPORTED);
		}
	}

	if (n4) {
		l3_lookup4(w, s, ifaces, i4, a4, nh4, n4, mixed4, vrf4);
		for (uint16_t k = 0; k < n4; k++) {
			uint16_t i = i4[k];

			forward4(w, s, &o, pkts[i], uniform ? RTE_ETHER_HDR_LEN : l2_len[i],
				uniform ? uiface : ifaces[i], nh4[k]);
		}
	}
	if (n6) {
		l3_lookup6(w, s, ifaces, i6, a6, nh6, n6, mixed6, vrf6);
		for (uint16_t k = 0; k < n6; k++) {
			uint16_t i = i6[k];

			forward6(w, s, &o, pkts[i], uniform ? RTE_ETHER_HDR_LEN : l2_len[i],
				uniform ? uiface : ifaces[i], nh6[k]);
		}
	}
	sl_tx_batch_send(w, s, &o);
}

void
sl_l3_burst(struct sl_worker *w, const struct sl_snapshot *s, struct rte_mbuf **pkts,
	const uint16_t *ifaces, const uint8_t *l2_len, uint16_t n)
{
	l3_burst(w, s, pkts, ifaces, l2_len, n, false, 0);
}

void
sl_l3_port_burst(struct sl_worker *w, const struct sl_snapshot *s, uint16_t in_port,
	struct rte_mbuf **pkts, uint16_t n)
{
	l3_burst(w, s, pkts, NULL, NULL, n, true, s->ports[in_port].l3_iface - 1);
}

void
sl_inject_drain(struct sl_worker *w, const struct sl_snapshot *s)
{
	struct rte_mbuf *pkts[SL_BURST_DEFAULT];
	unsigned int n;

	n = rte_ring_sc_dequeue_burst(sl_inject_ring, (void **)pkts, RTE_DIM(pkts), NULL);
	SL_STAT_ADD(w->stats.injected, n);
	for (unsigned int i = 0; i < n; i++) {
		uint16_t port = pkts[i]->port;

		if (port < RTE_MAX_ETHPORTS && ((s->active_mask >> port) & 1))
			sl_tx_enqueue(w, s, port, pkts[i]);
		else
			sl_drop(w, pkts[i], SL_DROP_LINK_DOWN);
	}
}
