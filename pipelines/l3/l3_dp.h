/* SPDX-License-Identifier: BSD-3-Clause */
/* Routed datapath, shared between the worker stage (l3_dp.c) and the control
 * thread (l3_ctl.c, neigh.c): the next-hop table workers read after a FIB
 * lookup, and the punt path that hands packets to the control thread (ARP,
 * ND, packets to the router, ICMP errors, next hops still resolving). */
#ifndef SL_L3_DP_H
#define SL_L3_DP_H

#include <stdbool.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_ring.h>

#include "dataplane/snapshot.h"
#include "dataplane/worker.h"

#define SL_NH_MAX 65536		/* next-hop ids 1 .. SL_NH_MAX - 1 */
#define SL_ECMP_BUCKETS 16	/* an ECMP group spreads flows over 16 buckets */

/* mac word: the neighbour's MAC in bytes 0-5 (memcpy order), this bit when
 * it is resolved. One 64-bit store: a reader never sees half a MAC. */
#define SL_NH_MAC_VALID (UINT64_C(1) << 63)

/* One next hop as workers see it (type values: enum sl_nh_type, l3.h).
 * Written by the control thread only. type, iface and the buckets are set
 * before any FIB entry names the slot (the FIB's store-release orders them)
 * and a slot is reused only after a grace period; mac changes at any time
 * (neighbour resolved, moved, failed) with one atomic store. */
struct sl_nh_dp {
	uint64_t mac;
	uint8_t type;
	uint8_t n_buckets;	/* ECMP: buckets in use */
	uint16_t iface;		/* FWD / CONNECTED / LOCAL: the interface */
	uint32_t pad;
	uint32_t bucket[SL_ECMP_BUCKETS];	/* ECMP: member (FWD) next hops */
} __rte_aligned(16);

extern struct sl_nh_dp *sl_nh_dp;

/* Why a packet went to the control thread. */
enum sl_punt_reason {
	SL_PUNT_ARP = 1,	/* ARP on a router interface */
	SL_PUNT_ND,		/* IPv6 link-local/multicast to the router (ND, MLD...) */
	SL_PUNT_LOCAL,		/* to an address of the router */
	SL_PUNT_RESOLVE,	/* next hop (nh) has no MAC yet: hold it, resolve */
	SL_PUNT_GLEAN,		/* destination on a connected network, no neighbour */
	/* Dropped by the worker (counted there); the control thread only
	 * answers with an ICMP error, rate-limited. */
	SL_PUNT_ICMP_NO_ROUTE,
	SL_PUNT_ICMP_UNREACHABLE,
	SL_PUNT_ICMP_PROHIBIT,
	SL_PUNT_ICMP_TTL,
	SL_PUNT_ICMP_TOO_BIG,	/* nh: the egress interface */
	SL_PUNT_MAX
};

/* Punt metadata, in an mbuf dynamic field. The frame keeps its L2 header as
 * received (tag included), so the control thread sees what the host sent. */
struct sl_punt_meta {
	uint8_t reason;
	uint8_t l2_len;		/* bytes before the IP/ARP header */
	uint16_t iface;		/* ingress router interface */
	uint32_t nh;		/* RESOLVE: next hop; ICMP_TOO_BIG: egress interface */
};

extern int sl_punt_meta_off;

static inline struct sl_punt_meta *
sl_punt_meta(struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, sl_punt_meta_off, struct sl_punt_meta *);
}

/* Frames the control thread sends go through worker 0 (its tx queues: no
 * extra queue per port, nothing shared): the egress ethdev port is in
 * m->port, the frame complete (tag included). */
extern struct rte_ring *sl_inject_ring;

/* Reasons whose packet the worker already counted as a drop. */
static inline bool
sl_punt_is_icmp(uint8_t reason)
{
	return reason >= SL_PUNT_ICMP_NO_ROUTE;
}

/* ARP and ND (and packets for the router) may use the whole punt ring; ICMP
 * errors and packets waiting for a neighbour only while a quarter of it is
 * free, so a flood of those never crowds out address resolution. */
#define SL_PUNT_RING_SIZE 1024
#define SL_PUNT_RESERVE (SL_PUNT_RING_SIZE / 4)
/* ICMP-error and resolve punts a worker may make per second. */
#define SL_PUNT_RATE 10000

static inline bool
sl_punt_is_bulk(uint8_t reason)
{
	return reason >= SL_PUNT_RESOLVE;
}

/* worker: queue the staged punts. What does not fit is freed: counted as
 * punt-queue-full, except ICMP-only punts (their drop is counted already;
 * the ICMP error is just not sent: icmp_limited). */
static inline void
sl_punt_flush(struct sl_worker *w)
{
	unsigned int n = w->n_punt, room;

	if (n == 0)
		return;
	w->n_punt = 0;
	room = rte_ring_free_count(w->punt_ring);
	for (unsigned int i = 0; i < n; i++) {
		struct rte_mbuf *m = w->punt[i];
		uint8_t reason = sl_punt_meta(m)->reason;
		bool icmp = sl_punt_is_icmp(reason);

		if ((room > SL_PUNT_RESERVE || (room > 0 && !sl_punt_is_bulk(reason))) &&
				rte_ring_sp_enqueue(w->punt_ring, m) == 0) {
			room--;
			if (!icmp)
				SL_STAT_ADD(w->stats.punted, 1);
			continue;
		}
		if (icmp)
			SL_STAT_ADD(w->stats.icmp_limited, 1);
		else
			SL_STAT_ADD(w->stats.drops[SL_DROP_PUNT_FULL], 1);
		rte_pktmbuf_free(m);
	}
}

/* worker, slow path: may this worker punt one more ICMP-error or resolve
 * packet now? A budget of SL_PUNT_RATE a second, in 10 ms windows. */
static inline bool
sl_punt_budget(struct sl_worker *w)
{
	uint64_t now = rte_rdtsc();

	if (now - w->punt_window > rte_get_tsc_hz() / 100) {
		w->punt_window = now;
		w->punt_credit = SL_PUNT_RATE / 100;
	}
	if (w->punt_credit == 0)
		return false;
	w->punt_credit--;
	return true;
}

/* worker: hand m to the control thread (queued, sent by sl_punt_flush). */
static inline void
sl_punt(struct sl_worker *w, struct rte_mbuf *m, uint8_t reason, uint8_t l2_len,
	uint16_t iface, uint32_t nh)
{
	struct sl_punt_meta *pm = sl_punt_meta(m);

	pm->reason = reason;
	pm->l2_len = l2_len;
	pm->iface = iface;
	pm->nh = nh;
	if (unlikely(w->n_punt == SL_TXBUF_SIZE))
		sl_punt_flush(w);
	w->punt[w->n_punt++] = m;
}

/* Two MACs equal: one 32-bit and one 16-bit compare. */
static inline bool
sl_mac_eq(const struct rte_ether_addr *a, const struct rte_ether_addr *b)
{
	uint32_t a0, b0;
	uint16_t a1, b1;

	memcpy(&a0, a->addr_bytes, 4);
	memcpy(&b0, b->addr_bytes, 4);
	memcpy(&a1, a->addr_bytes + 4, 2);
	memcpy(&b1, b->addr_bytes + 4, 2);
	return ((a0 ^ b0) | (uint32_t)(a1 ^ b1)) == 0;
}

/* worker, slow path: is an IPv6 multicast frame (L2 header l2_len bytes)
 * something the router answers: ICMPv6 echo, router/neighbour solicitation
 * or advertisement, redirect? mDNS, MLD and the like are not punted. */
static inline bool
sl_ip6_for_router(const struct rte_mbuf *m, uint8_t l2_len)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *) + l2_len;
	uint8_t type;

	if (m->data_len < l2_len + 40 + 1 || (p[0] >> 4) != 6 || p[6] != IPPROTO_ICMPV6)
		return false;
	type = p[40];
	return type == 128 || (type >= 133 && type <= 137);
}

/* worker, RCU reader: route a burst. Every packet is addressed to the router
 * MAC of interface ifaces[i] (an index into s->ifaces) and has an L2 header
 * of l2_len[i] bytes (14, or 18 with an 802.1Q tag). IPv4 and IPv6 are
 * checked, looked up in bulk, rewritten and staged for tx; ARP and packets
 * for the router are punted; the rest is dropped under a reason. */
void sl_l3_burst(struct sl_worker *w, const struct sl_snapshot *s, struct rte_mbuf **pkts,
	const uint16_t *ifaces, const uint8_t *l2_len, uint16_t n);

/* worker, RCU reader: a burst received on a routed port. */
void sl_l3_port_burst(struct sl_worker *w, const struct sl_snapshot *s, uint16_t in_port,
	struct rte_mbuf **pkts, uint16_t n);

/* worker 0: send what the control thread queued. */
void sl_inject_drain(struct sl_worker *w, const struct sl_snapshot *s);

#endif
