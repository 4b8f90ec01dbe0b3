/* SPDX-License-Identifier: BSD-3-Clause */
/* Neighbours and the router's own packets (control thread): the ARP/ND
 * table and its resolution state machine, the drain of the workers' punt
 * queues (ARP, ND, ICMP echo, ICMP errors, packets held while a next hop
 * resolves), and the frames the router sends, handed to worker 0. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_jhash.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_ring.h>

#include "ctrl/cli/cli.h"
#include "ctrl/config/config.h"
#include "ctrl/loop/loop.h"
#include "dataplane/snapshot.h"
#include "dataplane/worker.h"
#include "drivers/port.h"
#include "pipelines/l2/l2_dp.h"
#include "pipelines/l3/fib_dp.h"
#include "pipelines/l3/l3.h"
#include "pipelines/l3/l3_dp.h"

#define NEIGH_MAX 65536
#define NEIGH_HELD 4		/* packets held per resolving neighbour */
#define REACHABLE_S 30		/* confirmed -> stale */
#define STALE_S 5		/* stale -> probe (unicast) */
#define PROBES 3		/* solicitations, one a second, before failed */
#define FAILED_KEEP_S 3		/* a failed entry answers "unreachable" this long */
/* Bounds on what hosts can make the router create (spoofed ARP, scans of a
 * connected network): learned and resolving neighbours in all, resolving
 * ones, and solicitations sent a second. Static and kernel ones are not
 * counted. */
#define NEIGH_DYN_MAX 16384
#define NEIGH_UNRES_MAX 1024
#define SOLICIT_PER_S 512
#define INJECT_RING_SIZE 4096
#define DRAIN_MAX 32		/* punted packets per worker per 1 ms tick */
#define ICMP_RATE 1000		/* ICMP errors per second ... */
#define ICMP_BURST 50		/* ... with bursts of this many (as Linux) */
#define ICMP4_QUOTE_MAX 548	/* error + quote within 576 bytes (RFC 1812) */
#define ICMP6_QUOTE_MAX 1232	/* error within the IPv6 minimum MTU, 1280 */

/* ICMPv4 types rte_icmp.h (22.11) lacks. */
#define ICMP4_DEST_UNREACH 3
#define ICMP4_TIME_EXCEEDED 11

enum neigh_state {
	N_INCOMPLETE = 1,	/* solicited, no answer yet */
	N_REACHABLE,		/* answered recently */
	N_STALE,		/* usable, not confirmed for REACHABLE_S */
	N_PROBE,		/* usable, unicast solicitations sent */
	N_FAILED,		/* no answer: packets get ICMP unreachable */
	N_PERMANENT,		/* static (`neigh add`) */
	N_KERNEL,		/* mirrored from the kernel (netlink), not config */
};

static const char *const state_names[] = {
	[N_INCOMPLETE] = "incomplete", [N_REACHABLE] = "reachable", [N_STALE] = "stale",
	[N_PROBE] = "probe", [N_FAILED] = "failed", [N_PERMANENT] = "permanent",
	[N_KERNEL] = "kernel",
};

/* 4-byte aligned: rte_jhash reads it as 32-bit words. */
struct neigh_key {
	uint16_t iface;
	uint8_t family;
	uint8_t pad;
	uint8_t a[16];
} __rte_aligned(4);

struct neigh {
	bool used;
	uint8_t state;
	uint8_t probes;
	uint8_t n_held;
	bool dyn;		/* learned/resolving (counted against the limits) */
	bool routed;		/* has its host route (only while it has a MAC) */
	struct neigh_key key;
	struct rte_ether_addr mac;
	uint32_t since;		/* sl_now_s at the last change or solicitation */
	struct rte_mbuf *held[NEIGH_HELD];	/* IP packets (no L2 header) */
};

/* What the control thread did with the packets it got; `show l3 stats`. */
#define L3_STATS(X) \
	X(arp_in) X(arp_invalid) X(arp_requests_sent) X(arp_replies_sent) \
	X(nd_in) X(nd_invalid) X(nd_ignored) X(ns_sent) X(na_sent) \
	X(echo_replies_sent) X(icmp_errors_sent) X(icmp_rate_limited) X(icmp_not_allowed) \
	X(held) X(held_sent) X(held_dropped_queue_full) X(held_dropped_failed) \
	X(to_host) X(to_host_unhandled) X(ctrl_no_route) X(no_mbuf) X(inject_full) \
	X(neigh_table_full) X(neigh_limit) X(solicit_deferred) X(no_egress_member) \
	X(stale_iface)

static struct {
#define X(n) uint64_t n;
	L3_STATS(X)
#undef X
} st;

void (*sl_l3_host_rx)(int iface, struct rte_mbuf *m, uint8_t l2_len);

static struct rte_hash *neigh_hash;
static struct neigh *neighs;
static int32_t *walk;		/* positions of a table walk, before changing it */
static uint32_t n_dyn, n_unres, solicit_budget = SOLICIT_PER_S;
static struct rte_mempool *pool;
static double icmp_tokens = ICMP_BURST;
static uint64_t icmp_last;

static uint32_t
now_s(void)
{
	return __atomic_load_n(&sl_now_s, __ATOMIC_RELAXED);
}

static bool
has_mac(const struct neigh *n)
{
	return n->state == N_REACHABLE || n->state == N_STALE || n->state == N_PROBE ||
		n->state == N_PERMANENT || n->state == N_KERNEL;
}

static void
key_make(struct neigh_key *k, int iface, const struct sl_ip *ip)
{
	memset(k, 0, sizeof(*k));
	k->iface = iface;
	k->family = ip->family;
	memcpy(k->a, ip->a, ip->family == AF_INET ? 4 : 16);
}

static void
key_ip(const struct neigh_key *k, struct sl_ip *ip)
{
	memset(ip, 0, sizeof(*ip));
	ip->family = k->family;
	memcpy(ip->a, k->a, sizeof(k->a));
}

static struct neigh *
neigh_find(int iface, const struct sl_ip *ip)
{
	struct neigh_key k;
	int pos;

	key_make(&k, iface, ip);
	pos = rte_hash_lookup(neigh_hash, &k);
	return pos >= 0 ? &neighs[pos] : NULL;
}

/* ---- addresses of an interface ------------------------------------------- */

static bool
in_prefix(const struct sl_ip *ip, const struct sl_ip_prefix *p)
{
	unsigned int full = p->len / 8, rest = p->len % 8;

	if (ip->family != p->ip.family || memcmp(ip->a, p->ip.a, full) != 0)
		return false;
	return rest == 0 || ((ip->a[full] ^ p->ip.a[full]) & (0xff << (8 - rest))) == 0;
}

static bool
link_local6(const uint8_t *a)
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

/* fe80::/64 with the EUI-64 of the router MAC: the interface's IPv6
 * link-local address, answered in ND and usable as a gateway by hosts. */
static void
iface_ll6(int iface, struct sl_ip *ip)
{
	const struct rte_ether_addr *mac = &sl_snapshot_cur->ifaces[iface].mac;

	/* Before the interface is published (config replay) its MAC is not
	 * known here: callers check iface_live() first. */
	memset(ip, 0, sizeof(*ip));
	ip->family = AF_INET6;
	ip->a[0] = 0xfe;
	ip->a[1] = 0x80;
	ip->a[8] = mac->addr_bytes[0] ^ 0x02;
	ip->a[9] = mac->addr_bytes[1];
	ip->a[10] = mac->addr_bytes[2];
	ip->a[11] = 0xff;
	ip->a[12] = 0xfe;
	ip->a[13] = mac->addr_bytes[3];
	ip->a[14] = mac->addr_bytes[4];
	ip->a[15] = mac->addr_bytes[5];
}

/* The interface is in the published snapshot (its MAC is known there). */
static bool
iface_live(int iface)
{
	return sl_snapshot_cur != NULL && iface < SL_IFACE_MAX &&
		sl_snapshot_cur->ifaces[iface].used;
}

static bool
is_our_addr(int iface, const struct sl_ip *ip)
{
	struct sl_ip ll;

	if (sl_l3_iface_addr_is(iface, ip))
		return true;
	if (ip->family != AF_INET6 || !iface_live(iface))
		return false;
	iface_ll6(iface, &ll);
	return memcmp(&ll, ip, sizeof(ll)) == 0;
}

/* The interface's address to speak from toward dst: one on dst's subnet,
 * else the first of the family (IPv6: the link-local). -ENOENT if none. */
static int
src_addr(int iface, const struct sl_ip *dst, struct sl_ip *src)
{
	const struct sl_iface *ifc = &sl_ifaces[iface];
	int first = -1;

	for (unsigned int i = 0; i < ifc->n_addrs; i++) {
		if (ifc->addrs[i].ip.family != dst->family)
			continue;
		if (in_prefix(dst, &ifc->addrs[i])) {
			*src = ifc->addrs[i].ip;
			return 0;
		}
		if (first < 0)
			first = i;
	}
	if (dst->family == AF_INET6 && (first < 0 || link_local6(dst->a))) {
		if (!iface_live(iface))
			return -ENOENT;
		iface_ll6(iface, src);
		return 0;
	}
	if (first < 0)
		return -ENOENT;
	*src = ifc->addrs[first].ip;
	return 0;
}

/* ip is the broadcast address of one of the interface's IPv4 subnets. */
static bool
subnet_broadcast(int iface, const struct sl_ip *ip)
{
	const struct sl_iface *ifc = &sl_ifaces[iface];

	for (unsigned int i = 0; i < ifc->n_addrs; i++) {
		const struct sl_ip_prefix *p = &ifc->addrs[i];
		uint32_t a, net, mask;

		if (p->ip.family != AF_INET || ip->family != AF_INET || p->len >= 31)
			continue;
		memcpy(&a, ip->a, 4);
		memcpy(&net, p->ip.a, 4);
		mask = htonl(~0u << (32 - p->len));
		if ((a & mask) == (net & mask) && (a | mask) == UINT32_MAX)
			return true;
	}
	return false;
}

static bool
on_link(int iface, const struct sl_ip *ip)
{
	const struct sl_iface *ifc = &sl_ifaces[iface];

	if (ip->family == AF_INET6 && link_local6(ip->a))
		return true;
	for (unsigned int i = 0; i < ifc->n_addrs; i++)
		if (in_prefix(ip, &ifc->addrs[i]))
			return true;
	return false;
}

/* ---- sending --------------------------------------------------------------- */

static struct rte_mbuf *
alloc_pkt(void)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	if (m == NULL) {
		st.no_mbuf++;
		return NULL;
	}
	/* Our own packet: no ingress interface to answer errors through. */
	sl_punt_meta(m)->iface = SL_IFACE_MAX;
	return m;
}

/* Queue a complete frame for egress port `port` (worker 0 sends it). */
static void
inject(struct rte_mbuf *m, uint16_t port)
{
	m->port = port;
	if (rte_ring_sp_enqueue(sl_inject_ring, m) != 0) {
		st.inject_full++;
		rte_pktmbuf_free(m);
	}
}

/* Untagged frame m into bridge VLAN vid out of port: tagged if the port
 * carries the VLAN tagged. */
static void
send_vlan(const struct sl_snapshot *s, struct rte_mbuf *m, uint16_t port, uint16_t vid)
{
	if ((s->vlans[vid].tagged >> port) & 1) {
		struct rte_ether_hdr *eth;
		struct rte_vlan_hdr *vh;

		eth = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, sizeof(*vh));
		if (eth == NULL) {
			st.no_mbuf++;
			rte_pktmbuf_free(m);
			return;
		}
		memmove(eth, (char *)eth + sizeof(*vh), 2 * RTE_ETHER_ADDR_LEN);
		/* The frame's EtherType is already where the tag's goes. */
		vh = (struct rte_vlan_hdr *)(eth + 1);
		vh->vlan_tci = rte_cpu_to_be_16(vid);
		eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_VLAN);
	}
	inject(m, port);
}

/* A complete untagged frame out of interface iface: a routed port takes it
 * as it is; a VLAN interface finds the port in the FDB (tagging it as the
 * port wants the VLAN) or floods the VLAN. */
void
sl_l3_iface_output(int iface, struct rte_mbuf *m)
{
	const struct sl_snapshot *s = sl_snapshot_cur;	/* ctrl: the writer */
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct sl_dp_iface *di;
	uint64_t out, key;
	void *data;

	if (!iface_live(iface) || m->data_len < sizeof(*eth)) {
		st.stale_iface++;
		rte_pktmbuf_free(m);
		return;
	}
	di = &s->ifaces[iface];
	if (di->port != SL_PORT_NONE) {
		inject(m, di->port);
		return;
	}
	out = s->vlans[di->vlan].members & s->active_mask;
	key = sl_fdb_key(di->vlan, &eth->dst_addr);
	if (!rte_is_multicast_ether_addr(&eth->dst_addr) &&
			rte_hash_lookup_data(sl_fdb_hash, &key, &data) >= 0) {
		uint16_t port = sl_fdb_entries[(uintptr_t)data].port;

		if ((out >> port) & 1) {
			send_vlan(s, m, port, di->vlan);
			return;
		}
	}
	if (out == 0) {
		st.no_egress_member++;
		rte_pktmbuf_free(m);
		return;
	}
	while (out) {
		uint16_t port = __builtin_ctzll(out);
		struct rte_mbuf *c = m;

		out &= out - 1;
		if (out) {	/* copies for all but the last port */
			c = rte_pktmbuf_copy(m, pool, 0, UINT32_MAX);
			if (c == NULL) {
				st.no_mbuf++;
				continue;
			}
		}
		send_vlan(s, c, port, di->vlan);
	}
}

/* Send m (data at the L3 header) out of interface iface to dmac. */
static void
iface_send(int iface, const struct rte_ether_addr *dmac, uint16_t type, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth;

	eth = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, sizeof(*eth));
	if (!iface_live(iface) || eth == NULL) {
		if (eth == NULL)
			st.no_mbuf++;
		else
			st.stale_iface++;
		rte_pktmbuf_free(m);
		return;
	}
	eth->dst_addr = *dmac;
	eth->src_addr = sl_snapshot_cur->ifaces[iface].mac;
	eth->ether_type = rte_cpu_to_be_16(type);
	sl_l3_iface_output(iface, m);
}

static uint16_t
ip_ethertype(const struct rte_mbuf *m)
{
	return (*rte_pktmbuf_mtod(m, const uint8_t *) >> 4) == 4 ? RTE_ETHER_TYPE_IPV4 :
		RTE_ETHER_TYPE_IPV6;
}

static void solicit(struct neigh *n, bool unicast);

static void
sl_host_rx(int iface, struct rte_mbuf *m, uint8_t l2_len)
{
	st.to_host++;
	sl_l3_host_rx(iface, m, l2_len);
}

/* m (data at L3, its L2 header of l2_len bytes still in front, as the punt
 * left it) is for the host side: the host interface, else counted. */
static void
to_host(struct rte_mbuf *m, int iface)
{
	uint8_t l2_len = sl_punt_meta(m)->l2_len;

	if (sl_l3_host_rx != NULL && iface < SL_IFACE_MAX &&
			rte_pktmbuf_prepend(m, l2_len) != NULL) {
		sl_host_rx(iface, m, l2_len);
		return;
	}
	st.to_host_unhandled++;
	rte_pktmbuf_free(m);
}

/* A copy of an ARP/ND frame for the host interface, so the host's own
 * neighbour table works too (it resolves its peers, e.g. for BGP). */
static void
copy_to_host(struct rte_mbuf *m, int iface)
{
	uint8_t l2_len = sl_punt_meta(m)->l2_len;
	struct rte_mbuf *c;

	if (sl_l3_host_rx == NULL || rte_pktmbuf_prepend(m, l2_len) == NULL)
		return;
	c = rte_pktmbuf_copy(m, pool, 0, UINT32_MAX);
	rte_pktmbuf_adj(m, l2_len);
	if (c == NULL) {
		st.no_mbuf++;
		return;
	}
	sl_host_rx(iface, c, l2_len);
}
static void icmp_error(struct rte_mbuf *m, int in_iface, uint8_t t4, uint8_t c4, uint8_t t6,
	uint8_t c6, uint32_t mtu);

/* ---- the table ------------------------------------------------------------- */

static void
held_flush(struct neigh *n)
{
	for (unsigned int i = 0; i < n->n_held; i++) {
		struct rte_mbuf *m = n->held[i];

		if (has_mac(n)) {
			st.held_sent++;
			iface_send(n->key.iface, &n->mac, ip_ethertype(m), m);
		} else {
			/* Failed: tell the sender (RFC 1812 host unreachable). */
			st.held_dropped_failed++;
			icmp_error(m, sl_punt_meta(m)->iface, ICMP4_DEST_UNREACH, 1, 1, 3, 0);
		}
	}
	n->n_held = 0;
}

/* dyn: learned or resolving (limited); else about to become static or
 * kernel. No host route yet: it comes with a MAC (neigh_set). */
static struct neigh *
neigh_create(int iface, const struct sl_ip *ip, uint8_t state, bool dyn)
{
	struct neigh_key k;
	struct neigh *n;
	int pos;

	if (dyn && (n_dyn >= NEIGH_DYN_MAX || (state == N_INCOMPLETE && n_unres >= NEIGH_UNRES_MAX))) {
		st.neigh_limit++;
		return NULL;
	}
	key_make(&k, iface, ip);
	pos = rte_hash_add_key(neigh_hash, &k);
	if (pos < 0) {
		st.neigh_table_full++;
		return NULL;
	}
	n = &neighs[pos];
	memset(n, 0, sizeof(*n));
	n->used = true;
	n->key = k;
	n->state = state;
	n->since = now_s();
	n->dyn = dyn;
	n_dyn += dyn;
	n_unres += dyn && state == N_INCOMPLETE;
	return n;
}

/* quiet: the interface goes, held packets are freed without ICMP. */
static void
neigh_destroy(struct neigh *n, bool quiet)
{
	struct sl_ip ip;

	key_ip(&n->key, &ip);
	n_unres -= n->dyn && n->state == N_INCOMPLETE;
	n_dyn -= n->dyn;
	n->state = N_FAILED;
	if (quiet) {
		for (unsigned int i = 0; i < n->n_held; i++)
			rte_pktmbuf_free(n->held[i]);
		st.held_dropped_failed += n->n_held;
		n->n_held = 0;
	}
	held_flush(n);
	sl_l3_neigh_changed(n->key.iface, &ip, NULL);
	if (n->routed)
		sl_l3_neigh_route_del(n->key.iface, &ip);
	rte_hash_del_key(neigh_hash, &n->key);
	n->used = false;
}

/* New state (and MAC, for states that have one); next hops follow. */
static void
neigh_set(struct neigh *n, uint8_t state, const struct rte_ether_addr *mac)
{
	bool had = has_mac(n), changed;
	struct sl_ip ip;

	changed = mac != NULL && (!had || !rte_is_same_ether_addr(&n->mac, mac));
	if (mac != NULL)
		n->mac = *mac;
	n_unres -= n->dyn && n->state == N_INCOMPLETE && state != N_INCOMPLETE;
	if (state == N_PERMANENT || state == N_KERNEL) {
		n_dyn -= n->dyn;	/* configured/mirrored now: not limited */
		n->dyn = false;
	}
	n->state = state;
	n->since = now_s();
	n->probes = 0;
	key_ip(&n->key, &ip);
	if (changed)
		sl_l3_neigh_changed(n->key.iface, &ip, &n->mac);
	else if (had && !has_mac(n))
		sl_l3_neigh_changed(n->key.iface, &ip, NULL);
	/* The host route exists while there is a MAC to route to: resolving
	 * or failed neighbours cost no route and no next hop. */
	if (has_mac(n) && !n->routed) {
		n->routed = true;
		sl_l3_neigh_route_add(n->key.iface, &ip);
	} else if (!has_mac(n) && n->routed) {
		n->routed = false;
		sl_l3_neigh_route_del(n->key.iface, &ip);
	}
	held_flush(n);
}

/* What ARP/ND tells about a sender: update a known entry (gratuitous ARP,
 * unsolicited NA included); create one only when the message was for us
 * (create), as Linux does. confirmed: a reply to us. */
static void
neigh_learn(int iface, const struct sl_ip *ip, const struct rte_ether_addr *mac, bool create,
	bool confirmed)
{
	struct neigh *n = neigh_find(iface, ip);

	if (!rte_is_valid_assigned_ether_addr(mac))
		return;
	if (n == NULL) {
		if (!create || !on_link(iface, ip))
			return;
		n = neigh_create(iface, ip, N_STALE, true);
		if (n == NULL)
			return;
	}
	if (n->state == N_PERMANENT || n->state == N_KERNEL)
		return;
	if (confirmed)
		neigh_set(n, N_REACHABLE, mac);
	else if (!has_mac(n) || !rte_is_same_ether_addr(&n->mac, mac))
		neigh_set(n, N_STALE, mac);
}

/* A neighbour advertisement for a known entry (RFC 4861 7.2.5): an entry
 * still resolving takes the MAC; a known one changes MAC only with the
 * Override flag (else it just turns stale); Solicited confirms it. */
static void
neigh_learn_na(int iface, const struct sl_ip *ip, const struct rte_ether_addr *mac,
	bool solicited, bool override)
{
	struct neigh *n = neigh_find(iface, ip);
	bool same;

	if (n == NULL || n->state == N_PERMANENT || n->state == N_KERNEL ||
			!rte_is_valid_assigned_ether_addr(mac))
		return;
	same = has_mac(n) && rte_is_same_ether_addr(&n->mac, mac);
	if (has_mac(n) && !same && !override) {
		if (n->state == N_REACHABLE) {
			n->state = N_STALE;
			n->since = now_s();
		}
		return;
	}
	if (solicited)
		neigh_set(n, N_REACHABLE, mac);
	else if (!same)
		neigh_set(n, N_STALE, mac);
}

int
sl_neigh_lookup(int iface, const struct sl_ip *ip, struct rte_ether_addr *mac)
{
	const struct neigh *n = neigh_find(iface, ip);

	if (n == NULL || !has_mac(n))
		return -ENOENT;
	*mac = n->mac;
	return 0;
}

void
sl_neigh_resolve(int iface, const struct sl_ip *ip)
{
	struct neigh *n;

	if (neigh_find(iface, ip) != NULL || !sl_ifaces[iface].used)
		return;
	n = neigh_create(iface, ip, N_INCOMPLETE, true);
	if (n != NULL)
		solicit(n, false);
}

/* Send m (data at the IP header) to ip, a neighbour on iface: now if its
 * MAC is known, else held while it resolves. */
static void
neigh_output(int iface, const struct sl_ip *ip, struct rte_mbuf *m)
{
	struct neigh *n = neigh_find(iface, ip);

	if (n == NULL) {
		n = neigh_create(iface, ip, N_INCOMPLETE, true);
		if (n == NULL) {
			rte_pktmbuf_free(m);
			return;
		}
		solicit(n, false);
	}
	if (has_mac(n)) {
		iface_send(iface, &n->mac, ip_ethertype(m), m);
		return;
	}
	if (n->state == N_FAILED) {
		st.held_dropped_failed++;
		icmp_error(m, sl_punt_meta(m)->iface, ICMP4_DEST_UNREACH, 1, 1, 3, 0);
		return;
	}
	if (n->n_held == NEIGH_HELD) {
		/* Keep the newest, as Linux's unres_qlen does. */
		st.held_dropped_queue_full++;
		rte_pktmbuf_free(n->held[0]);
		memmove(n->held, n->held + 1, (NEIGH_HELD - 1) * sizeof(n->held[0]));
		n->n_held--;
	}
	st.held++;
	n->held[n->n_held++] = m;
}

static void ip_send(uint16_t vrf, struct rte_mbuf *m);

/* Our own packet (reply, error) to dst: a link-local destination is on the
 * ingress interface itself (no route names it), else it is routed. */
static void
reply_send(int iface, const struct sl_ip *dst, struct rte_mbuf *m)
{
	if (dst->family == AF_INET6 && link_local6(dst->a)) {
		neigh_output(iface, dst, m);
		return;
	}
	ip_send(sl_ifaces[iface].vrf, m);
}

/* Route m (data at the IP header; TTL already handled) in vrf, as the
 * router: FIB, next hop, neighbour. */
static void
ip_send(uint16_t vrf, struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	struct sl_ip dst = { 0 };
	const struct sl_nh_dp *d;
	uint32_t nh;
	int oif;
	struct sl_ip gw;

	if ((p[0] >> 4) == 4) {
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)p;

		dst.family = AF_INET;
		memcpy(dst.a, &ip->dst_addr, 4);
		nh = sl_fib4_lookup(vrf, rte_be_to_cpu_32(ip->dst_addr));
	} else {
		const struct rte_ipv6_hdr *ip = (const struct rte_ipv6_hdr *)p;

		dst.family = AF_INET6;
		memcpy(dst.a, ip->dst_addr, 16);
		nh = sl_fib6_lookup(vrf, ip->dst_addr);
	}
	if (nh == SL_FIB_MISS)
		goto drop;
	d = &sl_nh_dp[nh];
	if (d->type == SL_NH_ECMP) {
		uint32_t w[4];

		/* An aligned copy: rte_jhash reads 32-bit words. */
		memcpy(w, dst.a, sizeof(w));
		nh = d->bucket[rte_jhash_32b(w, RTE_DIM(w), 0) & (SL_ECMP_BUCKETS - 1)];
		d = &sl_nh_dp[nh];
	}
	if (sl_l3_nh_target(nh, &oif, &gw) < 0)
		goto drop;
	neigh_output(oif, d->type == SL_NH_CONNECTED ? &dst : &gw, m);
	return;
drop:
	st.ctrl_no_route++;
	rte_pktmbuf_free(m);
}

/* ---- ARP ------------------------------------------------------------------- */

static void
arp_send(int iface, uint16_t op, const struct rte_ether_addr *dmac,
	const struct rte_ether_addr *tha, const struct sl_ip *sip, const struct sl_ip *tip)
{
	struct rte_mbuf *m = alloc_pkt();
	struct rte_arp_hdr *a;

	if (m == NULL)
		return;
	a = (struct rte_arp_hdr *)rte_pktmbuf_append(m, sizeof(*a));
	a->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = RTE_ETHER_ADDR_LEN;
	a->arp_plen = 4;
	a->arp_opcode = rte_cpu_to_be_16(op);
	a->arp_data.arp_sha = sl_snapshot_cur->ifaces[iface].mac;
	memcpy(&a->arp_data.arp_sip, sip->a, 4);
	a->arp_data.arp_tha = *tha;
	memcpy(&a->arp_data.arp_tip, tip->a, 4);
	if (op == RTE_ARP_OP_REQUEST)
		st.arp_requests_sent++;
	else
		st.arp_replies_sent++;
	iface_send(iface, dmac, RTE_ETHER_TYPE_ARP, m);
}

static void
arp_input(struct rte_mbuf *m, int iface)
{
	const struct rte_arp_hdr *a = rte_pktmbuf_mtod(m, const struct rte_arp_hdr *);
	struct sl_ip sip = { .family = AF_INET }, tip = { .family = AF_INET };
	struct rte_ether_addr sha;
	bool for_us;
	uint16_t op;

	st.arp_in++;
	if (m->data_len < sizeof(*a) || a->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
			a->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
			a->arp_hlen != RTE_ETHER_ADDR_LEN || a->arp_plen != 4) {
		st.arp_invalid++;
		goto out;
	}
	op = rte_be_to_cpu_16(a->arp_opcode);
	if (op != RTE_ARP_OP_REQUEST && op != RTE_ARP_OP_REPLY) {
		st.arp_invalid++;
		goto out;
	}
	memcpy(sip.a, &a->arp_data.arp_sip, 4);
	memcpy(tip.a, &a->arp_data.arp_tip, 4);
	sha = a->arp_data.arp_sha;
	for_us = sl_l3_iface_addr_is(iface, &tip);
	if (!rte_is_valid_assigned_ether_addr(&sha)) {
		st.arp_invalid++;	/* no reply to, nothing to learn from */
		goto out;
	}
	/* A probe (sender 0.0.0.0) teaches nothing, nor does a sender
	 * claiming our address or its subnet's broadcast. */
	if (a->arp_data.arp_sip != 0 && !sl_l3_iface_addr_is(iface, &sip) &&
			!subnet_broadcast(iface, &sip))
		neigh_learn(iface, &sip, &sha, for_us, for_us && op == RTE_ARP_OP_REPLY);
	if (op == RTE_ARP_OP_REQUEST && for_us)
		arp_send(iface, RTE_ARP_OP_REPLY, &sha, &sha, &tip, &sip);
out:
	rte_pktmbuf_free(m);
}

/* ---- IPv6: ND and ICMPv6 ---------------------------------------------------- */

#define ND_NS 135
#define ND_NA 136
#define ND_OPT_SLLA 1
#define ND_OPT_TLLA 2
#define ND_NA_ROUTER 0x80
#define ND_NA_SOLICITED 0x40
#define ND_NA_OVERRIDE 0x20
#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129

static const uint8_t zero16[16];

static void
ip6_fill(struct rte_ipv6_hdr *ip, const struct sl_ip *src, const struct sl_ip *dst,
	uint16_t plen, uint8_t hops)
{
	ip->vtc_flow = RTE_BE32(0x60000000);
	ip->payload_len = rte_cpu_to_be_16(plen);
	ip->proto = IPPROTO_ICMPV6;
	ip->hop_limits = hops;
	memcpy(ip->src_addr, src->a, 16);
	memcpy(ip->dst_addr, dst->a, 16);
}

static void
icmp6_cksum(struct rte_ipv6_hdr *ip)
{
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)(ip + 1);

	ic->icmp_cksum = 0;
	ic->icmp_cksum = rte_ipv6_udptcp_cksum(ip, ic);
}

/* Neighbour solicitation (NS) or advertisement (NA) with our link-layer
 * address option: 24 bytes of ICMPv6 + 8 of option. */
static void
nd_send(int iface, uint8_t type, uint8_t flags, const struct sl_ip *src, const struct sl_ip *dst,
	const struct rte_ether_addr *dmac, const uint8_t target[16])
{
	struct rte_mbuf *m = alloc_pkt();
	struct rte_ipv6_hdr *ip;
	uint8_t *b;

	if (m == NULL)
		return;
	ip = (struct rte_ipv6_hdr *)rte_pktmbuf_append(m, sizeof(*ip) + 32);
	ip6_fill(ip, src, dst, 32, 255);
	b = (uint8_t *)(ip + 1);
	memset(b, 0, 32);
	b[0] = type;
	b[4] = flags;
	memcpy(b + 8, target, 16);
	b[24] = type == ND_NS ? ND_OPT_SLLA : ND_OPT_TLLA;
	b[25] = 1;		/* 8 bytes */
	memcpy(b + 26, &sl_snapshot_cur->ifaces[iface].mac, RTE_ETHER_ADDR_LEN);
	icmp6_cksum(ip);
	if (type == ND_NS)
		st.ns_sent++;
	else
		st.na_sent++;
	iface_send(iface, dmac, RTE_ETHER_TYPE_IPV6, m);
}

/* Solicit n: broadcast ARP / multicast NS, or unicast to its known MAC. */
static void
solicit(struct neigh *n, bool unicast)
{
	static const struct rte_ether_addr bcast = { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
	static const struct rte_ether_addr zero;
	struct sl_ip ip, src;

	/* Over this second's budget: the timer tries again next second. */
	if (solicit_budget == 0) {
		st.solicit_deferred++;
		return;
	}
	solicit_budget--;
	key_ip(&n->key, &ip);
	n->probes++;
	n->since = now_s();
	/* Not published yet (config replay): the timer solicits again. */
	if (!iface_live(n->key.iface) || src_addr(n->key.iface, &ip, &src) < 0)
		return;
	if (ip.family == AF_INET) {
		arp_send(n->key.iface, RTE_ARP_OP_REQUEST, unicast ? &n->mac : &bcast, &zero, &src,
			&ip);
		return;
	}
	if (unicast) {
		nd_send(n->key.iface, ND_NS, 0, &src, &ip, &n->mac, ip.a);
	} else {
		/* Solicited-node multicast ff02::1:ffXX:XXXX, MAC 33:33:ff:XX:XX:XX. */
		struct sl_ip snm = { .family = AF_INET6,
			.a = { 0xff, 0x02, [11] = 0x01, [12] = 0xff,
				[13] = ip.a[13], [14] = ip.a[14], [15] = ip.a[15] } };
		struct rte_ether_addr mc = { { 0x33, 0x33, 0xff, ip.a[13], ip.a[14], ip.a[15] } };

		nd_send(n->key.iface, ND_NS, 0, &src, &snm, &mc, ip.a);
	}
}

/* The link-layer address option of an NS/NA (opt_type), or NULL; *bad set
 * for an option of length 0 or past the end (RFC 4861 7.1.1: discard). */
static const struct rte_ether_addr *
nd_lladdr(const uint8_t *opt, size_t len, uint8_t opt_type, bool *bad)
{
	*bad = false;
	while (len > 0) {
		size_t olen = len >= 2 ? opt[1] * 8u : 0;

		if (olen == 0 || olen > len) {
			*bad = true;
			return NULL;
		}
		if (opt[0] == opt_type && olen >= 8)
			return (const struct rte_ether_addr *)(opt + 2);
		opt += olen;
		len -= olen;
	}
	return NULL;
}

static void
echo6_reply(struct rte_mbuf *m, int iface, struct rte_ipv6_hdr *ip, const struct sl_ip *dst)
{
	struct sl_ip sender = { .family = AF_INET6 }, from = *dst;
	uint8_t *b = (uint8_t *)(ip + 1);

	memcpy(sender.a, ip->src_addr, 16);
	/* Multicast echo: answer from our address toward the sender. */
	if (dst->a[0] == 0xff && src_addr(iface, &sender, &from) < 0) {
		st.to_host_unhandled++;
		rte_pktmbuf_free(m);
		return;
	}
	memcpy(ip->src_addr, from.a, 16);
	memcpy(ip->dst_addr, sender.a, 16);
	ip->hop_limits = 64;
	b[0] = ICMP6_ECHO_REPLY;
	rte_pktmbuf_trim(m, m->pkt_len - sizeof(*ip) - rte_be_to_cpu_16(ip->payload_len));
	icmp6_cksum(ip);
	st.echo_replies_sent++;
	reply_send(iface, &sender, m);
}

/* IPv6 for the router (m at the IPv6 header): NS, NA, echo; the rest goes
 * to the host hook. local: the FIB found a local route for the destination
 * (an address of any interface of the VRF, not only the ingress one). */
static void
ip6_local(struct rte_mbuf *m, int iface, const struct rte_ether_addr *eth_src, bool local)
{
	struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv6_hdr *);
	size_t plen = rte_be_to_cpu_16(ip->payload_len);
	struct sl_ip src = { .family = AF_INET6 }, dst = { .family = AF_INET6 }, tgt;
	const struct rte_ether_addr *ll;
	uint8_t *b = (uint8_t *)(ip + 1);
	bool bad;

	memcpy(src.a, ip->src_addr, 16);
	memcpy(dst.a, ip->dst_addr, 16);
	if (m->data_len < sizeof(*ip) + plen) {
		st.nd_invalid++;
		goto drop;
	}
	if (ip->proto != IPPROTO_ICMPV6 || plen < 8) {
		/* Multicast we do not join (MLD reports, mDNS...) is not the host's. */
		if (dst.a[0] == 0xff) {
			st.nd_ignored++;
			goto drop;
		}
		to_host(m, iface);
		return;
	}
	/* Router/neighbour solicitations and advertisements, redirects: the
	 * host keeps its own neighbour table (a BGP peer's MAC). */
	if (b[0] >= 133 && b[0] <= 137)
		copy_to_host(m, iface);
	st.nd_in++;
	if (rte_ipv6_udptcp_cksum_verify(ip, b) != 0) {
		st.nd_invalid++;
		goto drop;
	}
	switch (b[0]) {
	case ND_NS:
		if (ip->hop_limits != 255 || plen < 24 || b[1] != 0) {
			st.nd_invalid++;
			goto drop;
		}
		memset(&tgt, 0, sizeof(tgt));
		tgt.family = AF_INET6;
		memcpy(tgt.a, b + 8, 16);
		if (!is_our_addr(iface, &tgt)) {
			st.nd_ignored++;
			goto drop;
		}
		ll = nd_lladdr(b + 24, plen - 24, ND_OPT_SLLA, &bad);
		if (bad) {
			st.nd_invalid++;
			goto drop;
		}
		if (memcmp(src.a, zero16, 16) == 0) {
			/* DAD from ::: answer to all nodes, learn nothing. */
			static const struct sl_ip all = { .family = AF_INET6,
				.a = { 0xff, 0x02, [15] = 0x01 } };
			static const struct rte_ether_addr all_mac = { { 0x33, 0x33, 0, 0, 0, 1 } };

			nd_send(iface, ND_NA, ND_NA_ROUTER | ND_NA_OVERRIDE, &tgt, &all, &all_mac,
				tgt.a);
			goto drop;
		}
		if (ll != NULL)
			neigh_learn(iface, &src, ll, true, false);
		nd_send(iface, ND_NA, ND_NA_ROUTER | ND_NA_SOLICITED | ND_NA_OVERRIDE, &tgt, &src,
			ll != NULL ? ll : eth_src, tgt.a);
		goto drop;
	case ND_NA:
		if (ip->hop_limits != 255 || plen < 24 || b[1] != 0) {
			st.nd_invalid++;
			goto drop;
		}
		memset(&tgt, 0, sizeof(tgt));
		tgt.family = AF_INET6;
		memcpy(tgt.a, b + 8, 16);
		ll = nd_lladdr(b + 24, plen - 24, ND_OPT_TLLA, &bad);
		if (bad) {
			st.nd_invalid++;
			goto drop;
		}
		/* RFC 4861 7.2.5: without a target link-layer address there is
		 * no MAC to learn; without Override a known, different MAC stays. */
		if (ll != NULL)
			neigh_learn_na(iface, &tgt, ll, (b[4] & ND_NA_SOLICITED) != 0,
				(b[4] & ND_NA_OVERRIDE) != 0);
		goto drop;
	case ICMP6_ECHO_REQUEST:
		if (!local && !is_our_addr(iface, &dst) && dst.a[0] != 0xff) {
			st.to_host_unhandled++;
			goto drop;
		}
		echo6_reply(m, iface, ip, &dst);
		return;
	default:
		st.nd_ignored++;
		goto drop;
	}
drop:
	rte_pktmbuf_free(m);
}

/* ---- IPv4 for the router ---------------------------------------------------- */

static void
ip4_local(struct rte_mbuf *m, int iface)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	size_t hlen = (ip->version_ihl & 0xf) * 4u, tl = rte_be_to_cpu_16(ip->total_length);
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)((char *)ip + hlen);
	uint32_t a;

	/* The worker checked the header; echo needs a whole ICMP header. */
	if (hlen < sizeof(*ip) || ip->next_proto_id != IPPROTO_ICMP || tl < hlen + sizeof(*ic) || m->data_len < tl ||
			ic->icmp_type != RTE_IP_ICMP_ECHO_REQUEST ||
			(ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_MF_FLAG |
				RTE_IPV4_HDR_OFFSET_MASK))) {
		to_host(m, iface);
		return;
	}
	rte_pktmbuf_trim(m, m->pkt_len - tl);
	a = ip->src_addr;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = a;
	ip->time_to_live = 64;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	ic->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	ic->icmp_cksum = 0;
	ic->icmp_cksum = ~rte_raw_cksum(ic, tl - hlen);
	st.echo_replies_sent++;
	ip_send(sl_ifaces[iface].vrf, m);
}

/* ---- ICMP errors ------------------------------------------------------------ */

static bool
icmp_rate_ok(void)
{
	uint64_t now = rte_get_tsc_cycles();

	icmp_tokens += (double)(now - icmp_last) * ICMP_RATE / rte_get_tsc_hz();
	icmp_last = now;
	if (icmp_tokens > ICMP_BURST)
		icmp_tokens = ICMP_BURST;
	if (icmp_tokens < 1) {
		st.icmp_rate_limited++;
		return false;
	}
	icmp_tokens -= 1;
	return true;
}

/* May this IPv4 packet get an ICMP error (RFC 1812 4.3.2.7)? Not about an
 * ICMP error, a non-first fragment, or a packet from/to no single host. */
static bool
icmp4_allowed(const struct rte_ipv4_hdr *ip, size_t len)
{
	size_t hlen = (ip->version_ihl & 0xf) * 4u;
	uint32_t src = rte_be_to_cpu_32(ip->src_addr), dst = rte_be_to_cpu_32(ip->dst_addr);

	if (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK))
		return false;
	if (src == 0 || (src >> 28) >= 0xe || (src >> 24) == 127 || dst == UINT32_MAX ||
			(dst >> 28) == 0xe)
		return false;
	if (ip->next_proto_id == IPPROTO_ICMP) {
		uint8_t t;

		if (len < hlen + 1)
			return false;	/* cannot tell it is not an error */
		t = ((const uint8_t *)ip)[hlen];

		return t == RTE_IP_ICMP_ECHO_REQUEST || t == RTE_IP_ICMP_ECHO_REPLY ||
			t == 13 || t == 14;	/* timestamp */
	}
	return true;
}

static bool
icmp6_allowed(const struct rte_ipv6_hdr *ip, size_t len)
{
	const uint8_t *q = (const uint8_t *)(ip + 1), *end = (const uint8_t *)ip + len;
	uint8_t nh = ip->proto;

	if (ip->dst_addr[0] == 0xff || ip->src_addr[0] == 0xff ||
			memcmp(ip->src_addr, zero16, 16) == 0)
		return false;
	/* Past extension headers (a few; a chain we cannot follow: no error). */
	for (int i = 0; i < 8; i++) {
		if (nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_DSTOPTS) {
			if (q + 2 > end)
				return false;
			nh = q[0];
			q += (q[1] + 1) * 8u;
		} else if (nh == IPPROTO_FRAGMENT) {
			if (q + 8 > end)
				return false;
			/* Not about a non-first fragment (RFC 4443 2.4 e). */
			if ((q[2] << 8 | q[3]) & 0xfff8)
				return false;
			nh = q[0];
			q += 8;
		} else {
			break;
		}
	}
	/* Never about an ICMPv6 error (types 0-127). */
	if (nh == IPPROTO_ICMPV6)
		return q < end && q[0] >= 128;
	return true;
}

/* Answer m (data at its IP header, as received) with an ICMP error from an
 * address of in_iface; m is consumed. mtu: for "too big". */
static void
icmp_error(struct rte_mbuf *m, int in_iface, uint8_t t4, uint8_t c4, uint8_t t6, uint8_t c6,
	uint32_t mtu)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	size_t len = m->data_len;
	struct rte_mbuf *e = NULL;
	struct sl_ip src, dst = { 0 };

	if (in_iface >= SL_IFACE_MAX || !sl_ifaces[in_iface].used)
		goto out;
	if ((p[0] >> 4) == 4) {
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)p;
		size_t q = RTE_MIN(len, (size_t)RTE_MIN(rte_be_to_cpu_16(ip->total_length),
			ICMP4_QUOTE_MAX));
		struct rte_ipv4_hdr *eip;
		struct rte_icmp_hdr *ic;

		if (len < sizeof(*ip) || !icmp4_allowed(ip, len)) {
			st.icmp_not_allowed++;
			goto out;
		}
		dst.family = AF_INET;
		memcpy(dst.a, &ip->src_addr, 4);
		if (src_addr(in_iface, &dst, &src) < 0 || !icmp_rate_ok() ||
				(e = alloc_pkt()) == NULL)
			goto out;
		eip = (struct rte_ipv4_hdr *)rte_pktmbuf_append(e, sizeof(*eip) + sizeof(*ic) + q);
		if (eip == NULL)
			goto out;
		memset(eip, 0, sizeof(*eip) + sizeof(*ic));
		eip->version_ihl = 0x45;
		eip->total_length = rte_cpu_to_be_16(sizeof(*eip) + sizeof(*ic) + q);
		eip->time_to_live = 64;
		eip->next_proto_id = IPPROTO_ICMP;
		memcpy(&eip->src_addr, src.a, 4);
		eip->dst_addr = ip->src_addr;
		eip->hdr_checksum = rte_ipv4_cksum(eip);
		ic = (struct rte_icmp_hdr *)(eip + 1);
		ic->icmp_type = t4;
		ic->icmp_code = c4;
		if (mtu)	/* RFC 1191: next-hop MTU in the low 16 bits */
			ic->icmp_seq_nb = rte_cpu_to_be_16(mtu);
		memcpy(ic + 1, p, q);
		ic->icmp_cksum = ~rte_raw_cksum(ic, sizeof(*ic) + q);
	} else {
		const struct rte_ipv6_hdr *ip = (const struct rte_ipv6_hdr *)p;
		size_t q = RTE_MIN(len, (size_t)ICMP6_QUOTE_MAX);
		struct rte_ipv6_hdr *eip;
		uint8_t *b;

		if (len < sizeof(*ip) || !icmp6_allowed(ip, len)) {
			st.icmp_not_allowed++;
			goto out;
		}
		dst.family = AF_INET6;
		memcpy(dst.a, ip->src_addr, 16);
		if (src_addr(in_iface, &dst, &src) < 0 || !icmp_rate_ok() ||
				(e = alloc_pkt()) == NULL)
			goto out;
		eip = (struct rte_ipv6_hdr *)rte_pktmbuf_append(e, sizeof(*eip) + 8 + q);
		if (eip == NULL)
			goto out;
		ip6_fill(eip, &src, &dst, 8 + q, 64);
		b = (uint8_t *)(eip + 1);
		memset(b, 0, 8);
		b[0] = t6;
		b[1] = c6;
		if (mtu) {
			/* IPv6 links carry at least 1280 (RFC 8200 5). */
			uint32_t be = rte_cpu_to_be_32(RTE_MAX(mtu, 1280u));

			memcpy(b + 4, &be, 4);
		}
		memcpy(b + 8, p, q);
		icmp6_cksum(eip);
	}
	st.icmp_errors_sent++;
	reply_send(in_iface, &dst, e);
	e = NULL;
out:
	rte_pktmbuf_free(e);
	rte_pktmbuf_free(m);
}

/* ---- the punt queues ---------------------------------------------------------- */

/* A packet the worker could not forward for want of a MAC: TTL/hop limit
 * as the worker would have done it, then out through the neighbour path.
 * nh: the next hop the worker chose (RESOLVE), 0 or a connected one (GLEAN). */
static void
forward_held(struct rte_mbuf *m, int iface, uint32_t nh)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	struct sl_ip gw;
	int oif;

	if ((p[0] >> 4) == 4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)p;

		ip->time_to_live--;
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	} else {
		((struct rte_ipv6_hdr *)p)->hop_limits--;
	}
	/* The gateway the worker picked, by flow hash for an ECMP member: a new
	 * lookup (ip_send hashes the destination only) would send a flow's first
	 * packets to another gateway than the rest. A slot freed and reused in
	 * between stays within the VRF. */
	if (sl_l3_nh_target(nh, &oif, &gw) == 0 && gw.family != 0 &&
			sl_ifaces[oif].vrf == sl_ifaces[iface].vrf) {
		neigh_output(oif, &gw, m);
		return;
	}
	ip_send(sl_ifaces[iface].vrf, m);
}

static void
punt_one(struct rte_mbuf *m)
{
	const struct sl_punt_meta pm = *sl_punt_meta(m);
	struct rte_ether_addr eth_src = rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->src_addr;
	int iface = pm.iface;

	if (iface >= SL_IFACE_MAX || !sl_ifaces[iface].used || m->data_len < pm.l2_len) {
		st.stale_iface++;
		rte_pktmbuf_free(m);
		return;
	}
	rte_pktmbuf_adj(m, pm.l2_len);
	switch (pm.reason) {
	case SL_PUNT_ARP:
		copy_to_host(m, iface);
		arp_input(m, iface);
		return;
	case SL_PUNT_ND:
		/* Unchecked by the worker (multicast, link-local): IPv6 only, or
		 * IPv4 in an IPv6 frame would be answered as if for the router. */
		if (m->data_len >= sizeof(struct rte_ipv6_hdr) &&
				(*rte_pktmbuf_mtod(m, uint8_t *) >> 4) == 6) {
			ip6_local(m, iface, &eth_src, false);
		} else {
			st.nd_invalid++;
			rte_pktmbuf_free(m);
		}
		return;
	case SL_PUNT_LOCAL:
		/* The worker checked the header and found a local route. */
		if ((*rte_pktmbuf_mtod(m, uint8_t *) >> 4) == 4)
			ip4_local(m, iface);
		else
			ip6_local(m, iface, &eth_src, true);
		return;
	case SL_PUNT_RESOLVE:
	case SL_PUNT_GLEAN:
		forward_held(m, iface, pm.reason == SL_PUNT_RESOLVE ? pm.nh : 0);
		return;
	case SL_PUNT_ICMP_NO_ROUTE:
		icmp_error(m, iface, ICMP4_DEST_UNREACH, 0, 1, 0, 0);
		return;
	case SL_PUNT_ICMP_UNREACHABLE:
		icmp_error(m, iface, ICMP4_DEST_UNREACH, 1, 1, 3, 0);
		return;
	case SL_PUNT_ICMP_PROHIBIT:
		icmp_error(m, iface, ICMP4_DEST_UNREACH, 13, 1, 1, 0);
		return;
	case SL_PUNT_ICMP_TTL:
		icmp_error(m, iface, ICMP4_TIME_EXCEEDED, 0, 3, 0, 0);
		return;
	case SL_PUNT_ICMP_TOO_BIG:
		if (pm.nh < SL_IFACE_MAX && sl_snapshot_cur->ifaces[pm.nh].used)
			icmp_error(m, iface, ICMP4_DEST_UNREACH, 4, 2, 0,
				sl_snapshot_cur->ifaces[pm.nh].mtu);
		else
			rte_pktmbuf_free(m);
		return;
	default:
		rte_pktmbuf_free(m);
	}
}

static void
punt_drain(void)
{
	for (unsigned int w = 0; w < sl_n_workers; w++) {
		struct rte_mbuf *pkts[32];
		unsigned int n, total = 0;

		if (sl_workers[w]->punt_ring == NULL)
			continue;
		do {
			n = rte_ring_sc_dequeue_burst(sl_workers[w]->punt_ring, (void **)pkts,
				RTE_DIM(pkts), NULL);
			for (unsigned int i = 0; i < n; i++)
				punt_one(pkts[i]);
			total += n;
		} while (n == RTE_DIM(pkts) && total < DRAIN_MAX);
	}
}
SL_LOOP_FAST_POLLER("l3-punt", punt_drain)

/* ---- timers ------------------------------------------------------------------- */

/* Positions of every neighbour (of iface, or all for -1): the table is
 * changed only after the walk, so no cuckoo move can make it skip one. */
static uint32_t
walk_collect(int iface)
{
	uint32_t it = 0, n = 0;
	const void *key;
	void *data;
	int pos;

	while ((pos = rte_hash_iterate(neigh_hash, &key, &data, &it)) >= 0)
		if (iface < 0 || neighs[pos].key.iface == iface)
			walk[n++] = pos;
	return n;
}

static void
neigh_timer(void)
{
	uint32_t now = now_s(), cnt;

	if (neigh_hash == NULL)
		return;
	solicit_budget = SOLICIT_PER_S;
	cnt = walk_collect(-1);
	for (uint32_t k = 0; k < cnt; k++) {
		struct neigh *n = &neighs[walk[k]];
		uint32_t age = now - n->since;

		if (!n->used)
			continue;

		switch (n->state) {
		case N_INCOMPLETE:
			if (age < 1)
				break;
			if (n->probes >= PROBES)
				neigh_set(n, N_FAILED, NULL);
			else
				solicit(n, false);
			break;
		case N_REACHABLE:
			if (age >= REACHABLE_S) {
				n->state = N_STALE;
				n->since = now;
			}
			break;
		case N_STALE:
			if (age >= STALE_S) {
				n->state = N_PROBE;
				n->probes = 0;
				solicit(n, true);
			}
			break;
		case N_PROBE:
			if (age < 1)
				break;
			if (n->probes >= PROBES)
				neigh_set(n, N_FAILED, NULL);
			else
				solicit(n, true);
			break;
		case N_FAILED:
			if (age >= FAILED_KEEP_S)
				neigh_destroy(n, false);
			break;
		default:
			break;
		}
	}
}
SL_LOOP_TIMER("neigh", neigh_timer)

/* ---- commands, config, views -------------------------------------------------- */

int
sl_neigh_add_static(int iface, const struct sl_ip *ip, const struct rte_ether_addr *mac,
	char *err)
{
	struct neigh *n = neigh_find(iface, ip);
	char ipb[INET6_ADDRSTRLEN], macb[RTE_ETHER_ADDR_FMT_SIZE];
	struct neigh old;
	int rc;

	sl_ip_format(ip, ipb, sizeof(ipb));
	if (!rte_is_valid_assigned_ether_addr(mac)) {
		sl_mac_format(macb, sizeof(macb), mac);
		snprintf(err, SL_ERR_MAX, "neigh %s: MAC %s must be unicast and not zero", ipb,
			macb);
		return -EINVAL;
	}
	/* :: is no more a neighbour's address than 0.0.0.0 (it is a DAD probe's
	 * source). */
	if (ip->family == AF_INET6 ? ip->a[0] == 0xff || memcmp(ip->a, zero16, 16) == 0 :
			(ip->a[0] >= 224 || (ip->a[0] == 0 && ip->a[1] == 0 && ip->a[2] == 0 &&
				ip->a[3] == 0))) {
		snprintf(err, SL_ERR_MAX, "neigh %s: address must be unicast", ipb);
		return -EINVAL;
	}
	if (n == NULL) {
		n = neigh_create(iface, ip, N_INCOMPLETE, false);
		if (n == NULL) {
			snprintf(err, SL_ERR_MAX, "neigh: table full (%d entries)", NEIGH_MAX);
			return -ENOSPC;
		}
		old.used = false;
	} else {
		old = *n;
	}
	neigh_set(n, N_PERMANENT, mac);
	rc = sl_config_persist();
	if (rc < 0) {
		snprintf(err, SL_ERR_MAX, "cannot persist config to %s: %s", sl_config_path(),
			strerror(-rc));
		if (!old.used)
			neigh_destroy(n, false);
		else
			neigh_set(n, old.state, has_mac(&old) ? &old.mac : NULL);
	}
	return rc;
}

int
sl_neigh_del(int iface, const struct sl_ip *ip, char *err)
{
	struct neigh *n = neigh_find(iface, ip);
	int rc;

	if (n == NULL) {
		char ipb[INET6_ADDRSTRLEN];

		sl_ip_format(ip, ipb, sizeof(ipb));
		snprintf(err, SL_ERR_MAX, "neigh %s dev %s: no such neighbour", ipb,
			sl_ifaces[iface].name);
		return -ENOENT;
	}
	neigh_destroy(n, false);
	rc = sl_config_persist();
	if (rc < 0)
		snprintf(err, SL_ERR_MAX, "cannot persist config to %s: %s", sl_config_path(),
			strerror(-rc));
	return rc;
}

int
sl_neigh_kernel_set(int iface, const struct sl_ip *ip, const struct rte_ether_addr *mac)
{
	struct neigh *n = neigh_find(iface, ip);

	if (mac == NULL) {
		if (n == NULL || n->state != N_KERNEL)
			return -ENOENT;
		neigh_destroy(n, false);
		return 0;
	}
	if (!rte_is_valid_assigned_ether_addr(mac))
		return -EINVAL;
	if (n == NULL) {
		n = neigh_create(iface, ip, N_INCOMPLETE, false);
		if (n == NULL)
			return -ENOSPC;
	} else if (n->state == N_PERMANENT) {
		return -EEXIST;		/* configured wins */
	}
	neigh_set(n, N_KERNEL, mac);
	return 0;
}

void
sl_neigh_iface_removed(int iface)
{
	uint32_t cnt;

	if (neigh_hash == NULL)
		return;
	cnt = walk_collect(iface);
	for (uint32_t k = 0; k < cnt; k++)
		if (neighs[walk[k]].used)
			neigh_destroy(&neighs[walk[k]], true);
}

json_t *
sl_neigh_json(int iface)
{
	json_t *a = json_array();
	uint32_t it = 0, now = now_s();
	const void *key;
	void *data;
	int pos;

	while ((pos = rte_hash_iterate(neigh_hash, &key, &data, &it)) >= 0) {
		const struct neigh *n = &neighs[pos];
		char ipb[INET6_ADDRSTRLEN], mac[RTE_ETHER_ADDR_FMT_SIZE] = "";
		struct sl_ip ip;

		if (iface >= 0 && n->key.iface != iface)
			continue;
		key_ip(&n->key, &ip);
		sl_ip_format(&ip, ipb, sizeof(ipb));
		if (has_mac(n))
			sl_mac_format(mac, sizeof(mac), &n->mac);
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:I, s:i}", "ip", ipb,
			"mac", mac, "dev", sl_ifaces[n->key.iface].name, "state",
			state_names[n->state], "age", (json_int_t)(now - n->since),
			"held", n->n_held));
	}
	return a;
}

json_t *
sl_l3_stats_json(void)
{
	json_t *o = json_object();

#define X(n) json_object_set_new(o, #n, json_integer((json_int_t)st.n));
	L3_STATS(X)
#undef X
	json_object_set_new(o, "neighbours", json_integer(rte_hash_count(neigh_hash)));
	return o;
}

static void
render_neigh(json_t *lines)
{
	uint32_t it = 0;
	const void *key;
	void *data;
	int pos;

	if (neigh_hash == NULL)	/* not initialised (unit tests of other modules) */
		return;
	while ((pos = rte_hash_iterate(neigh_hash, &key, &data, &it)) >= 0) {
		const struct neigh *n = &neighs[pos];
		char ipb[INET6_ADDRSTRLEN], mac[RTE_ETHER_ADDR_FMT_SIZE], buf[160];
		struct sl_ip ip;

		if (n->state != N_PERMANENT)
			continue;
		key_ip(&n->key, &ip);
		sl_ip_format(&ip, ipb, sizeof(ipb));
		sl_mac_format(mac, sizeof(mac), &n->mac);
		snprintf(buf, sizeof(buf), "neigh add %s %s dev %s", ipb, mac,
			sl_ifaces[n->key.iface].name);
		json_array_append_new(lines, json_string(buf));
	}
}
SL_CONFIG_SECTION("neigh", 31, render_neigh)

static void
punt_meta_init(void)
{
	static const struct rte_mbuf_dynfield desc = {
		.name = "sluice_punt_meta",
		.size = sizeof(struct sl_punt_meta),
		.align = __alignof__(struct sl_punt_meta),
	};

	sl_punt_meta_off = rte_mbuf_dynfield_register(&desc);
}

int
sl_neigh_init(void)
{
	struct rte_hash_parameters hp = {
		.name = "sl_neigh",
		.entries = NEIGH_MAX,
		.key_len = sizeof(struct neigh_key),
		.hash_func = rte_jhash,
		.socket_id = (int)rte_socket_id(),
	};

	punt_meta_init();
	if (sl_punt_meta_off < 0)
		return -rte_errno;
	neigh_hash = rte_hash_create(&hp);
	neighs = rte_zmalloc("sl_neighs", NEIGH_MAX * sizeof(*neighs), RTE_CACHE_LINE_SIZE);
	walk = calloc(NEIGH_MAX, sizeof(*walk));
	pool = sl_port_pool((int)rte_socket_id());
	sl_inject_ring = rte_ring_create("sl_inject", INJECT_RING_SIZE, (int)rte_socket_id(),
		RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (neigh_hash == NULL || neighs == NULL || walk == NULL || pool == NULL ||
			sl_inject_ring == NULL)
		return -ENOMEM;
	for (unsigned int w = 0; w < sl_n_workers; w++) {
		char name[RTE_RING_NAMESIZE];

		snprintf(name, sizeof(name), "sl_punt_%u", w);
		sl_workers[w]->punt_ring = rte_ring_create(name, SL_PUNT_RING_SIZE,
			rte_lcore_to_socket_id(sl_workers[w]->lcore), RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (sl_workers[w]->punt_ring == NULL)
			return -ENOMEM;
	}
	icmp_last = rte_get_tsc_cycles();
	return 0;
}

void
sl_neigh_fini(void)
{
	struct rte_mbuf *m;

	if (neigh_hash != NULL) {
		uint32_t it = 0;
		const void *key;
		void *data;
		int pos;

		while ((pos = rte_hash_iterate(neigh_hash, &key, &data, &it)) >= 0)
			for (unsigned int i = 0; i < neighs[pos].n_held; i++)
				rte_pktmbuf_free(neighs[pos].held[i]);
	}
	for (unsigned int w = 0; w < sl_n_workers; w++) {
		while (sl_workers[w]->punt_ring != NULL &&
				rte_ring_dequeue(sl_workers[w]->punt_ring, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(sl_workers[w]->punt_ring);
		sl_workers[w]->punt_ring = NULL;
	}
	while (sl_inject_ring != NULL && rte_ring_dequeue(sl_inject_ring, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(sl_inject_ring);
	sl_inject_ring = NULL;
	rte_hash_free(neigh_hash);
	neigh_hash = NULL;
	rte_free(neighs);
	neighs = NULL;
	free(walk);
	walk = NULL;
}
