/* SPDX-License-Identifier: BSD-3-Clause */
/* Netlink mirror (control thread): two rtnetlink sockets in the control loop,
 * one subscribed to notifications, one for dumps, and a shadow of the
 * kernel's routes (by table, prefix and metric) from which the best route of
 * each prefix is resolved onto Sluice interfaces and installed.
 *
 * Order of a resync: the notification socket is subscribed first and taken
 * out of the loop (its queue waits); the dump runs on the other socket; then
 * what the dump did not show is swept, and the queued notifications are
 * read. Every notification carries the full state of its object, so applying
 * the ones queued since before the dump, in order, ends in the kernel's state
 * whichever part of the dump they raced with. Only a dump the kernel marks
 * interrupted (NLM_F_DUMP_INTR: it may have skipped objects) is not swept,
 * and is done again. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/neighbour.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <rte_common.h>
#include <rte_jhash.h>

#include "ctrl/config/config.h"
#include "ctrl/loop/loop.h"
#include "ctrl/netlink/netlink.h"
#include "ctrl/netlink/nl_parse.h"
#include "dataplane/sluice.h"
#include "drivers/hostif.h"
#include "drivers/port.h"
#include "pipelines/l3/l3.h"

#define NL_BUF_SIZE (1 << 16)	/* dumps come in skbs of up to 32 KiB */
#define EV_BATCH 1024		/* notifications read per wake-up */
#define DUMP_BATCH 64		/* dump datagrams (about 200 routes each) per wake-up */
#define RECENT_MAX 16		/* ignored objects kept for `show netlink` */
#define RECENT_LEN 160
#define REOPEN_S 1		/* a failed socket is opened again this often */

#define ERR(fmt, ...) snprintf(err, SL_ERR_MAX, fmt, ##__VA_ARGS__)

/* ---- a small chained hash (control thread, malloc memory) ------------------ */

struct hnode {
	struct hnode *next;
	uint32_t hash;
};

struct htab {
	struct hnode **b;
	uint32_t mask;		/* buckets - 1 */
	uint32_t n;
};

typedef bool (*h_eq)(const struct hnode *n, const void *key);

static struct hnode *
ht_find(const struct htab *t, uint32_t hash, h_eq eq, const void *key)
{
	if (t->b == NULL)
		return NULL;
	for (struct hnode *n = t->b[hash & t->mask]; n != NULL; n = n->next)
		if (n->hash == hash && eq(n, key))
			return n;
	return NULL;
}

/* Grows at two entries a bucket; a failed grow keeps the old (longer) chains. */
static int
ht_insert(struct htab *t, struct hnode *n)
{
	if (t->b == NULL || t->n >= 2 * (t->mask + 1)) {
		uint32_t nb = t->b == NULL ? 1024 : 2 * (t->mask + 1);
		struct hnode **b = calloc(nb, sizeof(*b));

		if (b == NULL && t->b == NULL)
			return -ENOMEM;
		if (b != NULL) {
			for (uint32_t i = 0; t->b != NULL && i <= t->mask; i++)
				for (struct hnode *x = t->b[i], *next; x != NULL; x = next) {
					next = x->next;
					x->next = b[x->hash & (nb - 1)];
					b[x->hash & (nb - 1)] = x;
				}
			free(t->b);
			t->b = b;
			t->mask = nb - 1;
		}
	}
	n->next = t->b[n->hash & t->mask];
	t->b[n->hash & t->mask] = n;
	t->n++;
	return 0;
}

static void
ht_remove(struct htab *t, struct hnode *n)
{
	for (struct hnode **pp = &t->b[n->hash & t->mask]; *pp != NULL; pp = &(*pp)->next)
		if (*pp == n) {
			*pp = n->next;
			t->n--;
			return;
		}
}

/* Call fn on every node; fn may remove (and free) the node it is given. */
static void
ht_foreach(struct htab *t, void (*fn)(struct hnode *n, void *arg), void *arg)
{
	for (uint32_t i = 0; t->b != NULL && i <= t->mask; i++)
		for (struct hnode *n = t->b[i], *next; n != NULL; n = next) {
			next = n->next;
			fn(n, arg);
		}
}

static void
ht_free(struct htab *t, void (*free_node)(struct hnode *n))
{
	for (uint32_t i = 0; t->b != NULL && i <= t->mask; i++)
		for (struct hnode *n = t->b[i], *next; n != NULL; n = next) {
			next = n->next;
			free_node(n);
		}
	free(t->b);
	memset(t, 0, sizeof(*t));
}

/* ---- state ------------------------------------------------------------------- */

/* One kernel route: a (table, prefix) has one per metric, best first. */
struct kroute {
	struct kroute *next;
	uint32_t priority;
	uint32_t nh_id;
	uint32_t gen;		/* resync generation that last saw it */
	uint8_t type;		/* RTN_* */
	bool unsupported;
	uint8_t n_nh;
	struct sl_nl_nh nh[];
};

struct pfx_key {
	uint32_t table;
	uint8_t family;
	uint8_t len;
	uint8_t pad[2];
	uint8_t addr[16];
};

struct kpfx {
	struct hnode h;
	struct pfx_key key;
	bool installed;		/* Sluice has our route for it */
	uint8_t reason;		/* why the best route is not installed */
	uint32_t epoch;		/* mapping epoch of the last evaluation */
	struct kroute *routes;
};

/* A next-hop object (RTM_NEWNEXTHOP) routes may name by RTA_NH_ID. */
struct knh {
	struct hnode h;
	uint32_t gen;
	struct sl_nl_nexthop nh;
};

/* A neighbour we set in Sluice (for the sweep). */
struct neigh_key {
	int32_t iface;
	struct sl_ip ip;
};

struct kneigh {
	struct hnode h;
	struct neigh_key key;
	uint32_t gen;
	uint8_t mac[6];
};

enum phase {
	PH_IDLE,
	PH_LINK, PH_ADDR4, PH_ADDR6, PH_NEIGH4, PH_NEIGH6, PH_NEXTHOP, PH_ROUTE4, PH_ROUTE6,
	PH_END
};

static const struct {
	uint16_t type;
	uint8_t family;
	const char *name;
} phases[] = {
	[PH_LINK] = { RTM_GETLINK, AF_UNSPEC, "links" },
	[PH_ADDR4] = { RTM_GETADDR, AF_INET, "ipv4 addresses" },
	[PH_ADDR6] = { RTM_GETADDR, AF_INET6, "ipv6 addresses" },
	[PH_NEIGH4] = { RTM_GETNEIGH, AF_INET, "ipv4 neighbours" },
	[PH_NEIGH6] = { RTM_GETNEIGH, AF_INET6, "ipv6 neighbours" },
	[PH_NEXTHOP] = { RTM_GETNEXTHOP, AF_UNSPEC, "next hops" },
	[PH_ROUTE4] = { RTM_GETROUTE, AF_INET, "ipv4 routes" },
	[PH_ROUTE6] = { RTM_GETROUTE, AF_INET6, "ipv6 routes" },
};

static bool enabled;
static uint32_t rcvbuf = SL_NL_RCVBUF_DEFAULT;
static struct mnl_socket *ev_nl, *dump_nl;
static struct sl_loop_src ev_src = { .fd = -1 }, dump_src = { .fd = -1 };
static bool ev_in_loop, dump_in_loop;
static enum phase phase;
static uint32_t dump_seq, dump_portid;
static bool dump_intr;		/* this dump saw NLM_F_DUMP_INTR */
static bool resync_again;	/* another resync once this one ends */
static bool reopen_wanted;	/* a socket failed: reopen at the next watch */
static uint32_t gen;		/* resync generation: marks what a dump saw */
static uint32_t epoch;		/* bumped when VRF tables or host interfaces change */
static uint64_t mapping_sig;
static struct timespec resync_t0;
static uint8_t buf[NL_BUF_SIZE];

static struct htab pfxs, nhobjs, neighs;
static uint32_t n_installed, n_nhid_only;	/* routes resolved through objects only */

/* Addresses a dump saw, for the sweep. */
static struct {
	int iface;
	struct sl_ip_prefix p;
} seen_addr[SL_IFACE_MAX * SL_IFACE_ADDRS];
static unsigned int n_seen_addr;
static bool seen_addr_full;

/* Admin state of host TAPs, by interface: 0 unknown, 1 down, 2 up. */
static uint8_t tap_up[SL_IFACE_MAX];

/* Kernel table id -> VRF, rebuilt when the VRFs change. */
struct tmap_ent {
	uint32_t table;		/* first: the sort and search key */
	uint16_t vrf;
};
static struct tmap_ent tmap[SL_VRF_MAX];
static unsigned int n_tmap;

static struct {
	uint64_t messages, events, dump_messages, dumps, dumps_interrupted, dump_errors;
	uint64_t resyncs, enobufs, seq_gaps, socket_errors, reopens, unknown_attrs, truncated;
	uint64_t discarded;	/* notifications a resync's dump made moot */
	uint64_t links, routes_added, routes_removed, addrs_added, addrs_removed;
	uint64_t neigh_set, neigh_removed, nexthops;
	uint64_t swept_routes, swept_addrs, swept_neigh, swept_nexthops, swept_fib;
	uint64_t ignored[SL_NL_REASON_MAX];
	uint64_t last_resync_us;
} st;

static char recent[RECENT_MAX][RECENT_LEN];
static unsigned int recent_pos;

static void start_resync(void);
static void close_sockets(void);

/* ---- helpers ------------------------------------------------------------------ */

static bool quiet;	/* count, but keep out of the recent list */

static void __attribute__((format(printf, 2, 3)))
ignore(int reason, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (reason < 0)
		reason = -reason;
	if (reason <= SL_NL_OK || reason >= SL_NL_REASON_MAX)
		reason = SL_NL_MALFORMED;
	st.ignored[reason]++;
	if (quiet)
		return;
	n = snprintf(recent[recent_pos], RECENT_LEN, "%s: ", sl_nl_reason_name(reason));
	va_start(ap, fmt);
	vsnprintf(recent[recent_pos] + n, RECENT_LEN - n, fmt, ap);
	va_end(ap);
	recent_pos = (recent_pos + 1) % RECENT_MAX;
}

static unsigned int
addr_bytes(uint8_t family)
{
	return family == AF_INET ? 4 : 16;
}

static void
fmt_prefix(char *out, size_t len, uint8_t family, const uint8_t *a, unsigned int plen)
{
	char s[INET6_ADDRSTRLEN];

	if (inet_ntop(family, a, s, sizeof(s)) == NULL)
		snprintf(s, sizeof(s), "?");
	snprintf(out, len, "%s/%u", s, plen);
}

static int
tmap_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void
rebuild_tmap(void)
{
	n_tmap = 0;
	for (unsigned int v = 0; v < SL_VRF_MAX; v++)
		if (sl_vrfs[v].used) {
			tmap[n_tmap].table = sl_vrfs[v].table;
			tmap[n_tmap++].vrf = v;
		}
	/* Sorted: every route message looks its table up, among up to
	 * SL_VRF_MAX VRFs. Table ids are unique (sl_vrf_add refuses twins). */
	qsort(tmap, n_tmap, sizeof(tmap[0]), tmap_cmp);
}

/* VRF bound to a kernel table, -1 if none. The map is rebuilt when it names
 * a VRF that went or changed; a VRF added since is found by the watch,
 * which resyncs. */
static int
vrf_of_table(uint32_t table)
{
	const struct tmap_ent *e = bsearch(&table, tmap, n_tmap, sizeof(tmap[0]), tmap_cmp);
	uint16_t v;

	if (e == NULL)
		return -1;
	v = e->vrf;
	if (sl_vrfs[v].used && sl_vrfs[v].table == table)
		return v;
	rebuild_tmap();
	e = bsearch(&table, tmap, n_tmap, sizeof(tmap[0]), tmap_cmp);
	return e != NULL ? e->vrf : -1;
}

/* ---- next-hop objects --------------------------------------------------------- */

static bool
knh_eq(const struct hnode *n, const void *key)
{
	return ((const struct knh *)n)->nh.id == *(const uint32_t *)key;
}

static struct knh *
knh_find(uint32_t id)
{
	return (struct knh *)ht_find(&nhobjs, rte_jhash_1word(id, 0), knh_eq, &id);
}

/* ---- route resolution and installation --------------------------------------------- */

static uint32_t
pfx_hash(const struct pfx_key *k)
{
	return rte_jhash(k, sizeof(*k), 0);
}

static bool
pfx_eq(const struct hnode *n, const void *key)
{
	return memcmp(&((const struct kpfx *)n)->key, key, sizeof(struct pfx_key)) == 0;
}

static void
pfx_prefix(const struct kpfx *k, struct sl_ip_prefix *p)
{
	memset(p, 0, sizeof(*p));
	p->ip.family = k->key.family;
	memcpy(p->ip.a, k->key.addr, addr_bytes(k->key.family));
	p->len = k->key.len;
}

/* Next hops of r: its own (RTA_GATEWAY/RTA_OIF/RTA_MULTIPATH, which the
 * kernel adds in nexthop_compat_mode) or those of the object it names. */
static int
route_hops(const struct kroute *r, struct sl_nl_nh *out, unsigned int *n, bool *blackhole)
{
	const struct knh *o;

	*blackhole = false;
	if (r->n_nh > 0 || r->nh_id == 0) {
		memcpy(out, r->nh, r->n_nh * sizeof(*out));
		*n = r->n_nh;
		return 0;
	}
	o = knh_find(r->nh_id);
	if (o == NULL || o->nh.unsupported)
		return -SL_NL_UNSUPPORTED;
	if (o->nh.blackhole) {
		*blackhole = true;
		return 0;
	}
	if (o->nh.n_grp == 0) {
		memset(out, 0, sizeof(*out));
		out->family = o->nh.has_gw ? o->nh.family : 0;
		memcpy(out->gw, o->nh.gw, sizeof(out->gw));
		out->ifindex = o->nh.ifindex;
		out->weight = 1;
		*n = 1;
		return 0;
	}
	*n = 0;
	for (unsigned int i = 0; i < o->nh.n_grp; i++) {
		const struct knh *m = knh_find(o->nh.grp[i].id);

		if (m == NULL || m->nh.unsupported || m->nh.n_grp > 0)
			return -SL_NL_UNSUPPORTED;
		if (m->nh.blackhole)
			continue;
		memset(&out[*n], 0, sizeof(out[0]));
		out[*n].family = m->nh.has_gw ? m->nh.family : 0;
		memcpy(out[*n].gw, m->nh.gw, sizeof(out[0].gw));
		out[*n].ifindex = m->nh.ifindex;
		out[*n].weight = o->nh.grp[i].weight;
		(*n)++;
	}
	if (*n == 0)
		*blackhole = true;
	return 0;
}

/* What Sluice installs for r in vrf: 0 with type and vias, or -reason. A
 * multipath route keeps the hops Sluice can reach (the others lead to
 * devices that are not Sluice's). */
static int
route_resolve(const struct kpfx *k, const struct kroute *r, uint16_t vrf, enum sl_nh_type *type,
	struct sl_route_via *via, unsigned int *n_via)
{
	struct sl_nl_nh hops[SL_NL_NH_MAX];
	unsigned int n = 0;
	bool blackhole;
	int rc, first = 0;

	*n_via = 0;
	if (r->unsupported)
		return -SL_NL_UNSUPPORTED;
	switch (r->type) {
	case RTN_BLACKHOLE:
		*type = SL_NH_BLACKHOLE;
		return 0;
	case RTN_UNREACHABLE:
		*type = SL_NH_UNREACHABLE;
		return 0;
	case RTN_PROHIBIT:
		*type = SL_NH_PROHIBIT;
		return 0;
	case RTN_UNICAST:
		break;
	default:
		return -SL_NL_UNSUPPORTED;
	}
	rc = route_hops(r, hops, &n, &blackhole);
	if (rc < 0)
		return rc;
	if (blackhole) {
		*type = SL_NH_BLACKHOLE;
		return 0;
	}
	for (unsigned int i = 0; i < n; i++) {
		const struct sl_nl_nh *h = &hops[i];
		int iface;

		if (h->flags & RTNH_F_DEAD)
			continue;
		iface = h->ifindex ? sl_hostif_by_ifindex(h->ifindex) : -1;
		if (iface < 0) {
			first = first ? first : -SL_NL_NOT_HOST_IF;
			continue;
		}
		if (h->family == 0 || h->family != k->key.family) {
			/* A device route (no gateway), or an IPv6 gateway for
			 * an IPv4 route: Sluice's next hops cannot say it. */
			first = first ? first : -SL_NL_UNSUPPORTED;
			continue;
		}
		if (sl_ifaces[iface].vrf != vrf) {
			first = first ? first : -SL_NL_GATEWAY_UNREACHABLE;
			continue;
		}
		memset(&via[*n_via], 0, sizeof(via[0]));
		via[*n_via].gw.family = h->family;
		memcpy(via[*n_via].gw.a, h->gw, addr_bytes(h->family));
		via[*n_via].iface = iface;
		via[*n_via].weight = RTE_MIN(h->weight, 255);
		(*n_via)++;
	}
	if (*n_via == 0)
		return first ? first : -SL_NL_UNSUPPORTED;
	*type = *n_via > 1 ? SL_NH_ECMP : SL_NH_FWD;
	return 0;
}

static void
pfx_uninstall(struct kpfx *k)
{
	struct sl_ip_prefix p;
	int vrf;

	if (!k->installed)
		return;
	k->installed = false;
	n_installed--;
	vrf = vrf_of_table(k->key.table);
	if (vrf < 0)
		return;		/* the VRF went, and its routes with it */
	pfx_prefix(k, &p);
	if (sl_l3_kernel_route_del(vrf, &p) == 0)
		st.routes_removed++;
}

static void
kroute_free_list(struct kroute *r)
{
	while (r != NULL) {
		struct kroute *next = r->next;

		if (r->nh_id && r->n_nh == 0)
			n_nhid_only--;
		free(r);
		r = next;
	}
}

static void
pfx_free(struct kpfx *k)
{
	ht_remove(&pfxs, &k->h);
	kroute_free_list(k->routes);
	free(k);
}

/* Make Sluice hold what the kernel forwards with for k: its best (lowest
 * metric) route, if Sluice can express it; else nothing. A prefix with no
 * route left is freed. */
static void
pfx_eval(struct kpfx *k)
{
	struct sl_route_via via[SL_NL_NH_MAX];
	char err[SL_ERR_MAX], s[64];
	struct sl_ip_prefix p;
	enum sl_nh_type type = SL_NH_BLACKHOLE;
	unsigned int n_via = 0;
	int vrf, rc;

	if (k->routes == NULL) {
		pfx_uninstall(k);
		pfx_free(k);
		return;
	}
	k->epoch = epoch;
	vrf = vrf_of_table(k->key.table);
	if (vrf < 0) {
		rc = -SL_NL_UNKNOWN_TABLE;
	} else {
		rc = route_resolve(k, k->routes, vrf, &type, via, &n_via);
	}
	if (rc == 0) {
		pfx_prefix(k, &p);
		rc = sl_l3_kernel_route_add(vrf, &p, type, via, n_via, err);
		if (rc == 0) {
			if (!k->installed)
				n_installed++;
			k->installed = true;
			k->reason = SL_NL_OK;
			st.routes_added++;
			return;
		}
		rc = rc == -EEXIST ? -SL_NL_CONFLICT : rc == -EHOSTUNREACH ?
			-SL_NL_GATEWAY_UNREACHABLE : -SL_NL_INSTALL_FAILED;
		fmt_prefix(s, sizeof(s), k->key.family, k->key.addr, k->key.len);
		ignore(rc, "route %s table %u: %s", s, k->key.table, err);
	} else {
		fmt_prefix(s, sizeof(s), k->key.family, k->key.addr, k->key.len);
		ignore(rc, "route %s table %u", s, k->key.table);
	}
	k->reason = -rc;
	pfx_uninstall(k);
}

static bool
kroute_same(const struct kroute *r, const struct sl_nl_route *m)
{
	return r->type == m->type && r->nh_id == m->nh_id && r->unsupported == m->unsupported &&
		r->n_nh == m->n_nh && memcmp(r->nh, m->nh, m->n_nh * sizeof(m->nh[0])) == 0;
}

static struct kroute *
kroute_new(const struct sl_nl_route *m)
{
	struct kroute *r = malloc(sizeof(*r) + m->n_nh * sizeof(r->nh[0]));

	if (r == NULL)
		return NULL;
	r->next = NULL;
	r->priority = m->priority;
	r->nh_id = m->nh_id;
	r->gen = gen;
	r->type = m->type;
	r->unsupported = m->unsupported;
	r->n_nh = m->n_nh;
	memcpy(r->nh, m->nh, m->n_nh * sizeof(r->nh[0]));
	if (r->nh_id && r->n_nh == 0)
		n_nhid_only++;
	return r;
}

static bool
nh_same(const struct sl_nl_nh *a, const struct sl_nl_nh *b)
{
	return a->family == b->family && a->ifindex == b->ifindex &&
		memcmp(a->gw, b->gw, sizeof(a->gw)) == 0;
}

static void
route_msg(const struct nlmsghdr *nlh, bool dump)
{
	struct sl_nl_route m;
	struct pfx_key key;
	struct kroute **pp, *r;
	struct kpfx *k;
	char s[64];
	uint32_t h;
	int rc = sl_nl_parse_route(nlh, &m);

	st.unknown_attrs += m.unknown_attrs;
	if (rc < 0) {
		ignore(rc, "route message type %u", nlh->nlmsg_type);
		return;
	}
	fmt_prefix(s, sizeof(s), m.family, m.dst, m.dst_len);
	if (vrf_of_table(m.table) < 0) {
		/* The local table (addresses, broadcasts) is all noise here. */
		quiet = m.table == RT_TABLE_LOCAL;
		ignore(SL_NL_UNKNOWN_TABLE, "route %s table %u", s, m.table);
		quiet = false;
		return;
	}
	if (m.protocol == RTPROT_KERNEL) {
		/* Connected and local routes of addresses: the mirrored
		 * address made Sluice's own. */
		ignore(SL_NL_INTERFACE_ROUTE, "route %s table %u", s, m.table);
		return;
	}
	if ((m.flags & RTM_F_CLONED) || m.tos != 0 || (m.type != RTN_UNICAST &&
			m.type != RTN_BLACKHOLE && m.type != RTN_UNREACHABLE &&
			m.type != RTN_PROHIBIT)) {
		ignore(SL_NL_UNSUPPORTED, "route %s table %u type %u tos %u", s, m.table, m.type,
			m.tos);
		return;
	}
	memset(&key, 0, sizeof(key));
	key.table = m.table;
	key.family = m.family;
	key.len = m.dst_len;
	memcpy(key.addr, m.dst, addr_bytes(m.family));
	h = pfx_hash(&key);
	k = (struct kpfx *)ht_find(&pfxs, h, pfx_eq, &key);
	if (nlh->nlmsg_type == RTM_DELROUTE) {
		if (k == NULL)
			return;
		for (pp = &k->routes; *pp != NULL && (*pp)->priority != m.priority;
				pp = &(*pp)->next)
			;
		r = *pp;
		if (r == NULL)
			return;
		/* IPv6 withdraws one hop of a multipath route on its own:
		 * the rest of the route stays. */
		if (m.family == AF_INET6 && m.n_nh == 1 && r->n_nh > 1) {
			for (unsigned int i = 0; i < r->n_nh; i++)
				if (nh_same(&r->nh[i], &m.nh[0])) {
					memmove(&r->nh[i], &r->nh[i + 1],
						(r->n_nh - i - 1) * sizeof(r->nh[0]));
					r->n_nh--;
					break;
				}
		} else {
			*pp = r->next;
			r->next = NULL;
			kroute_free_list(r);
		}
		if (pp == &k->routes)	/* the best one changed */
			pfx_eval(k);
		return;
	}
	if (k == NULL) {
		k = calloc(1, sizeof(*k));
		if (k == NULL) {
			ignore(SL_NL_INSTALL_FAILED, "route %s: out of memory", s);
			return;
		}
		k->key = key;
		k->h.hash = h;
		if (ht_insert(&pfxs, &k->h) < 0) {
			free(k);
			ignore(SL_NL_INSTALL_FAILED, "route %s: out of memory", s);
			return;
		}
	}
	for (pp = &k->routes; *pp != NULL && (*pp)->priority < m.priority; pp = &(*pp)->next)
		;
	r = *pp;
	if (r != NULL && r->priority == m.priority) {
		/* IPv4 keeps same-metric routes in order and uses the first:
		 * a second one in the same dump, or an append, is not it. */
		if (m.family == AF_INET && ((dump && r->gen == gen) ||
				(!dump && (m.msg_flags & NLM_F_APPEND)))) {
			ignore(SL_NL_UNSUPPORTED, "route %s table %u: second route of metric %u",
				s, m.table, m.priority);
			return;
		}
		/* Unchanged (a resync, a repeated notification): no work,
		 * unless what it resolves to may have changed. */
		if (kroute_same(r, &m) && k->epoch == epoch && (k->installed ||
				pp != &k->routes)) {
			r->gen = gen;
			return;
		}
		*pp = r->next;
		r->next = NULL;
		kroute_free_list(r);
	}
	r = kroute_new(&m);
	if (r == NULL) {
		ignore(SL_NL_INSTALL_FAILED, "route %s: out of memory", s);
		if (k->routes == NULL)
			pfx_eval(k);
		return;
	}
	r->next = *pp;
	*pp = r;
	if (pp == &k->routes)
		pfx_eval(k);
}

/* Routes that name next-hop object id (or a group holding it) only. */
static void
reeval_nhid(struct hnode *n, void *arg)
{
	struct kpfx *k = (struct kpfx *)n;
	uint32_t id = *(uint32_t *)arg;
	const struct kroute *r = k->routes;
	const struct knh *o;

	if (r == NULL || r->nh_id == 0 || r->n_nh > 0)
		return;
	if (r->nh_id == id) {
		pfx_eval(k);
		return;
	}
	o = knh_find(r->nh_id);
	for (unsigned int i = 0; o != NULL && i < o->nh.n_grp; i++)
		if (o->nh.grp[i].id == id) {
			pfx_eval(k);
			return;
		}
}

static void
nexthop_changed(uint32_t id)
{
	if (n_nhid_only > 0)
		ht_foreach(&pfxs, reeval_nhid, &id);
}

static void
nexthop_msg(const struct nlmsghdr *nlh)
{
	struct sl_nl_nexthop m;
	struct knh *o;
	int rc = sl_nl_parse_nexthop(nlh, &m);

	st.unknown_attrs += m.unknown_attrs;
	if (rc < 0) {
		ignore(rc, "next-hop message type %u", nlh->nlmsg_type);
		return;
	}
	st.nexthops++;
	m.msg_type = 0;
	m.unknown_attrs = 0;
	o = knh_find(m.id);
	if (nlh->nlmsg_type == RTM_DELNEXTHOP) {
		if (o == NULL)
			return;
		ht_remove(&nhobjs, &o->h);
		free(o);
		nexthop_changed(m.id);
		return;
	}
	if (o != NULL) {
		o->gen = gen;
		if (memcmp(&o->nh, &m, sizeof(m)) == 0)
			return;
		memcpy(&o->nh, &m, sizeof(m));
	} else {
		o = calloc(1, sizeof(*o));
		if (o == NULL) {
			ignore(SL_NL_INSTALL_FAILED, "next hop %u: out of memory", m.id);
			return;
		}
		memcpy(&o->nh, &m, sizeof(m));
		o->gen = gen;
		o->h.hash = rte_jhash_1word(m.id, 0);
		if (ht_insert(&nhobjs, &o->h) < 0) {
			free(o);
			ignore(SL_NL_INSTALL_FAILED, "next hop %u: out of memory", m.id);
			return;
		}
	}
	nexthop_changed(m.id);
}

/* ---- links, addresses, neighbours ------------------------------------------------ */

static void
link_msg(const struct nlmsghdr *nlh, bool dump)
{
	struct sl_nl_link m;
	int rc = sl_nl_parse_link(nlh, &m), iface;

	st.unknown_attrs += m.unknown_attrs;
	if (rc < 0) {
		ignore(rc, "link message type %u", nlh->nlmsg_type);
		return;
	}
	st.links++;
	if (nlh->nlmsg_type == RTM_DELLINK) {
		iface = sl_hostif_by_ifindex(m.ifindex);
		if (iface < 0)
			return;
		/* The TAP went: the kernel dropped its routes without a word. */
		tap_up[iface] = 0;
		if (!dump)
			start_resync();
		return;
	}
	iface = sl_hostif_kernel_link(m.ifindex);
	if (iface < 0) {
		ignore(SL_NL_NOT_HOST_IF, "link %s (ifindex %u)", m.name, m.ifindex);
		return;
	}
	/* A TAP set down loses its IPv4 routes silently (no RTM_DELROUTE):
	 * only a dump tells what is left. */
	if (tap_up[iface] == 2 && !(m.flags & IFF_UP) && !dump)
		start_resync();
	tap_up[iface] = (m.flags & IFF_UP) ? 2 : 1;
}

static bool
addr_is_link_local(const struct sl_nl_addr *a)
{
	return a->family == AF_INET6 && a->addr[0] == 0xfe && (a->addr[1] & 0xc0) == 0x80;
}

static void
addr_msg(const struct nlmsghdr *nlh, bool dump)
{
	struct sl_nl_addr m;
	struct sl_ip_prefix p;
	char err[SL_ERR_MAX], s[64];
	int rc = sl_nl_parse_addr(nlh, &m), iface;

	st.unknown_attrs += m.unknown_attrs;
	if (rc < 0) {
		ignore(rc, "address message type %u", nlh->nlmsg_type);
		return;
	}
	fmt_prefix(s, sizeof(s), m.family, m.addr, m.prefixlen);
	iface = sl_hostif_by_ifindex(m.ifindex);
	if (iface < 0) {
		ignore(SL_NL_NOT_HOST_IF, "address %s ifindex %u", s, m.ifindex);
		return;
	}
	/* Sluice derives its own link-local address from the MAC (the TAP
	 * has the same one); a prefix of length 0 is no network. */
	if (addr_is_link_local(&m) || m.prefixlen == 0 || (m.flags & IFA_F_DADFAILED)) {
		ignore(SL_NL_UNSUPPORTED, "address %s on %s", s, sl_ifaces[iface].name);
		return;
	}
	memset(&p, 0, sizeof(p));
	p.ip.family = m.family;
	memcpy(p.ip.a, m.addr, addr_bytes(m.family));
	p.len = m.prefixlen;
	if (nlh->nlmsg_type == RTM_DELADDR) {
		if (sl_l3_kernel_addr(iface, &p, false, err) == 0)
			st.addrs_removed++;
		return;
	}
	rc = sl_l3_kernel_addr(iface, &p, true, err);
	if (rc < 0) {
		ignore(SL_NL_INSTALL_FAILED, "address %s on %s: %s", s, sl_ifaces[iface].name, err);
		return;
	}
	st.addrs_added++;
	if (dump) {
		if (n_seen_addr == RTE_DIM(seen_addr)) {
			seen_addr_full = true;
			return;
		}
		seen_addr[n_seen_addr].iface = iface;
		seen_addr[n_seen_addr++].p = p;
	}
}

static uint32_t
neigh_hash(const struct neigh_key *k)
{
	return rte_jhash(k, sizeof(*k), 0);
}

static bool
neigh_eq(const struct hnode *n, const void *key)
{
	return memcmp(&((const struct kneigh *)n)->key, key, sizeof(struct neigh_key)) == 0;
}

static void
neigh_forget(struct kneigh *n)
{
	ht_remove(&neighs, &n->h);
	free(n);
}

static void
neigh_msg(const struct nlmsghdr *nlh)
{
	const uint16_t usable = NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT;
	struct sl_nl_neigh m;
	struct rte_ether_addr mac;
	struct neigh_key key;
	struct kneigh *n;
	char s[INET6_ADDRSTRLEN];
	uint32_t h;
	int rc = sl_nl_parse_neigh(nlh, &m), iface;

	st.unknown_attrs += m.unknown_attrs;
	if (rc < 0) {
		ignore(rc, "neighbour message type %u", nlh->nlmsg_type);
		return;
	}
	if (inet_ntop(m.family, m.dst, s, sizeof(s)) == NULL)
		snprintf(s, sizeof(s), "?");
	iface = sl_hostif_by_ifindex(m.ifindex);
	if (iface < 0) {
		ignore(SL_NL_NOT_HOST_IF, "neighbour %s ifindex %u", s, m.ifindex);
		return;
	}
	if ((m.flags & NTF_PROXY) || (m.state & NUD_NOARP)) {
		/* Proxy entries, and the multicast/broadcast ones that need
		 * no resolution. */
		ignore(SL_NL_UNSUPPORTED, "neighbour %s on %s state %#x", s, sl_ifaces[iface].name,
			m.state);
		return;
	}
	memset(&key, 0, sizeof(key));
	key.iface = iface;
	key.ip.family = m.family;
	memcpy(key.ip.a, m.dst, addr_bytes(m.family));
	h = neigh_hash(&key);
	n = (struct kneigh *)ht_find(&neighs, h, neigh_eq, &key);
	if (nlh->nlmsg_type == RTM_DELNEIGH || !(m.state & usable) || !m.has_lladdr) {
		/* Deleted, failed, or still resolving: the kernel cannot reach
		 * it; Sluice resolves it itself if it needs it. */
		if (sl_neigh_kernel_set(iface, &key.ip, NULL) == 0)
			st.neigh_removed++;
		if (n != NULL)
			neigh_forget(n);
		return;
	}
	if (n != NULL && memcmp(n->mac, m.lladdr, 6) == 0) {
		n->gen = gen;
		return;
	}
	memcpy(&mac, m.lladdr, sizeof(mac));	/* rte_ether_addr is 2-byte aligned */
	rc = sl_neigh_kernel_set(iface, &key.ip, &mac);
	if (rc < 0) {
		ignore(rc == -EEXIST ? SL_NL_CONFLICT : rc == -EINVAL ? SL_NL_UNSUPPORTED :
			SL_NL_INSTALL_FAILED, "neighbour %s on %s: %s", s, sl_ifaces[iface].name,
			strerror(-rc));
		if (n != NULL)
			neigh_forget(n);
		return;
	}
	st.neigh_set++;
	if (n == NULL) {
		n = calloc(1, sizeof(*n));
		if (n == NULL)
			return;		/* set, but the sweep will not know it */
		n->key = key;
		n->h.hash = h;
		if (ht_insert(&neighs, &n->h) < 0) {
			free(n);
			return;
		}
	}
	n->gen = gen;
	memcpy(n->mac, m.lladdr, 6);
}

/* ---- messages ------------------------------------------------------------------- */

static void
handle_msg(const struct nlmsghdr *nlh, bool dump)
{
	st.messages++;
	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		link_msg(nlh, dump);
		break;
	case RTM_NEWADDR:
	case RTM_DELADDR:
		addr_msg(nlh, dump);
		break;
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		route_msg(nlh, dump);
		break;
	case RTM_NEWNEIGH:
	case RTM_DELNEIGH:
		neigh_msg(nlh);
		break;
	case RTM_NEWNEXTHOP:
	case RTM_DELNEXTHOP:
		nexthop_msg(nlh);
		break;
	default:
		ignore(SL_NL_UNSUPPORTED, "message type %u", nlh->nlmsg_type);
		break;
	}
}

/* ---- sweep --------------------------------------------------------------------- */

static void
sweep_pfx(struct hnode *hn, void *arg)
{
	struct kpfx *k = (struct kpfx *)hn;
	struct kroute **pp = &k->routes;
	bool best_changed = false;

	RTE_SET_USED(arg);
	while (*pp != NULL) {
		struct kroute *r = *pp;

		if (r->gen == gen) {
			pp = &r->next;
			continue;
		}
		best_changed |= pp == &k->routes;
		*pp = r->next;
		r->next = NULL;
		kroute_free_list(r);
		st.swept_routes++;
	}
	if (best_changed)
		pfx_eval(k);
}

static void
sweep_nh(struct hnode *hn, void *arg)
{
	struct knh *o = (struct knh *)hn;
	uint32_t id = o->nh.id;

	RTE_SET_USED(arg);
	if (o->gen == gen)
		return;
	ht_remove(&nhobjs, &o->h);
	free(o);
	st.swept_nexthops++;
	nexthop_changed(id);
}

static void
sweep_neigh(struct hnode *hn, void *arg)
{
	struct kneigh *n = (struct kneigh *)hn;

	RTE_SET_USED(arg);
	if (n->gen == gen)
		return;
	if (sl_neigh_kernel_set(n->key.iface, &n->key.ip, NULL) == 0)
		st.swept_neigh++;
	neigh_forget(n);
}

static void
sweep_addrs(void)
{
	char err[SL_ERR_MAX];

	if (seen_addr_full)
		return;		/* the dump did not fit: keep rather than guess */
	for (int i = 0; i < SL_IFACE_MAX; i++) {
		struct sl_iface *ifc = &sl_ifaces[i];

		for (unsigned int a = 0; ifc->used && a < ifc->n_addrs;) {
			struct sl_ip_prefix p = ifc->addrs[a];
			bool seen = !((ifc->addr_kernel >> a) & 1);

			for (unsigned int s = 0; !seen && s < n_seen_addr; s++)
				seen = seen_addr[s].iface == i &&
					memcmp(&seen_addr[s].p, &p, sizeof(p)) == 0;
			if (seen) {
				a++;
				continue;
			}
			/* Removal moves the last address into slot a. */
			if (sl_l3_kernel_addr(i, &p, false, err) < 0) {
				a++;
				continue;
			}
			st.swept_addrs++;
		}
	}
}

struct fib_sweep {
	uint32_t table;
	struct sl_ip_prefix *stale;
	size_t n, cap;
};

/* Kernel routes in the FIB that the shadow does not hold as installed (left
 * from an earlier session, or a bookkeeping slip): they go too. */
static int
fib_sweep_cb(const struct sl_ip_prefix *p, bool kernel, void *arg)
{
	struct fib_sweep *f = arg;
	struct pfx_key key;
	const struct kpfx *k;

	if (!kernel)
		return 0;
	memset(&key, 0, sizeof(key));
	key.table = f->table;
	key.family = p->ip.family;
	key.len = p->len;
	memcpy(key.addr, p->ip.a, addr_bytes(p->ip.family));
	k = (const struct kpfx *)ht_find(&pfxs, pfx_hash(&key), pfx_eq, &key);
	if (k != NULL && k->installed)
		return 0;
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;
		struct sl_ip_prefix *s = realloc(f->stale, cap * sizeof(*s));

		if (s == NULL)
			return -ENOMEM;
		f->stale = s;
		f->cap = cap;
	}
	f->stale[f->n++] = *p;
	return 0;
}

static void
sweep_fib(void)
{
	for (unsigned int v = 0; v < SL_VRF_MAX; v++) {
		struct fib_sweep f = { .table = sl_vrfs[v].table };

		if (!sl_vrfs[v].used)
			continue;
		sl_l3_route_walk(v, fib_sweep_cb, &f);
		for (size_t i = 0; i < f.n; i++)
			if (sl_l3_kernel_route_del(v, &f.stale[i]) == 0)
				st.swept_fib++;
		free(f.stale);
	}
}

static void
sweep(void)
{
	/* Next-hop objects first: routes re-evaluated by their sweep then
	 * see the objects as the dump left them. */
	ht_foreach(&nhobjs, sweep_nh, NULL);
	ht_foreach(&pfxs, sweep_pfx, NULL);
	ht_foreach(&neighs, sweep_neigh, NULL);
	sweep_addrs();
	sweep_fib();
}

/* ---- sockets ---------------------------------------------------------------------- */

static int
sock_rcvbuf(struct mnl_socket *nl, uint32_t bytes)
{
	int fd = mnl_socket_get_fd(nl), v = (int)bytes;

	/* FORCE goes past net.core.rmem_max (CAP_NET_ADMIN); else the
	 * sysctl caps what we get. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) == 0)
		return 0;
	return setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)) < 0 ? -errno : 0;
}

static struct mnl_socket *
sock_open(uint32_t bytes, bool events)
{
	static const unsigned int groups[] = {
		RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, RTNLGRP_IPV4_ROUTE,
		RTNLGRP_IPV6_ROUTE, RTNLGRP_NEIGH, RTNLGRP_NEXTHOP,
	};
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (nl == NULL)
		return NULL;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto err;
	sock_rcvbuf(nl, bytes);
	for (unsigned int i = 0; events && i < RTE_DIM(groups); i++) {
		int g = groups[i];

		/* Next-hop objects are newer (Linux 5.3): without them,
		 * routes carry their hops themselves. */
		if (mnl_socket_setsockopt(nl, NETLINK_ADD_MEMBERSHIP, &g, sizeof(g)) < 0 &&
				g != RTNLGRP_NEXTHOP)
			goto err;
	}
	return nl;
err:
	mnl_socket_close(nl);
	return NULL;
}

static void
ev_loop_set(bool in)
{
	if (ev_nl == NULL || in == ev_in_loop)
		return;
	if (in) {
		if (sl_loop_add(&ev_src, EPOLLIN) == 0)
			ev_in_loop = true;
	} else {
		sl_loop_del(&ev_src);
		ev_in_loop = false;
	}
}

static void
close_sockets(void)
{
	ev_loop_set(false);
	if (dump_in_loop)
		sl_loop_del(&dump_src);
	dump_in_loop = false;
	if (ev_nl != NULL)
		mnl_socket_close(ev_nl);
	if (dump_nl != NULL)
		mnl_socket_close(dump_nl);
	ev_nl = dump_nl = NULL;
	ev_src.fd = dump_src.fd = -1;
	phase = PH_IDLE;
}

/* A socket failed: close both; the watch opens them again and resyncs. */
static void
sockets_failed(const char *what, int err)
{
	st.socket_errors++;
	SL_LOG(WARNING, "netlink: %s: %s; reopening", what, strerror(err));
	close_sockets();
	reopen_wanted = true;
}

static int
dump_request(enum phase ph)
{
	char req[256];		/* a header and a family header */
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	size_t hdr;

	nlh->nlmsg_type = phases[ph].type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++dump_seq;
	switch (phases[ph].type) {
	case RTM_GETLINK:
		hdr = sizeof(struct ifinfomsg);
		break;
	case RTM_GETADDR:
		hdr = sizeof(struct ifaddrmsg);
		break;
	case RTM_GETROUTE:
		hdr = sizeof(struct rtmsg);
		break;
	case RTM_GETNEIGH:
		hdr = sizeof(struct ndmsg);
		break;
	default:
		hdr = sizeof(struct nhmsg);
		break;
	}
	/* Every one of these headers starts with its family byte. */
	*(uint8_t *)mnl_nlmsg_put_extra_header(nlh, hdr) = phases[ph].family;
	if (mnl_socket_sendto(dump_nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return 0;
}

static void
finish_resync(void)
{
	struct timespec t1;

	phase = PH_IDLE;
	st.dumps++;
	if (dump_intr) {
		/* The kernel says the dump may have skipped objects: sweep
		 * nothing on its word, do it again. */
		st.dumps_interrupted++;
		resync_again = true;
	} else {
		sweep();
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	st.last_resync_us = (t1.tv_sec - resync_t0.tv_sec) * 1000000ull +
		(t1.tv_nsec - resync_t0.tv_nsec) / 1000;
	ev_loop_set(true);
	if (resync_again)
		start_resync();
}

static void
next_phase(void)
{
	int rc;

	phase++;
	if (phase == PH_END) {
		finish_resync();
		return;
	}
	rc = dump_request(phase);
	if (rc < 0)
		sockets_failed("dump request", -rc);
}

/* Done, error or data of the current dump, from the dump socket only. */
static void
dump_msgs(const void *data, size_t len)
{
	const struct nlmsghdr *nlh = data;
	int left = (int)len;

	while (mnl_nlmsg_ok(nlh, left)) {
		if (nlh->nlmsg_seq != dump_seq || nlh->nlmsg_pid != dump_portid) {
			/* Not the reply to our request: something was lost or
			 * is stale; start over on fresh sockets. */
			st.seq_gaps++;
			sockets_failed("dump sequence gap", EPROTO);
			return;
		}
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			dump_intr = true;
		if (nlh->nlmsg_type == NLMSG_DONE) {
			next_phase();
			return;
		}
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
			int code = nlh->nlmsg_len >= MNL_NLMSG_HDRLEN + sizeof(*e) ? -e->error : EPROTO;

			st.dump_errors++;
			/* A kernel without next-hop objects refuses that dump. */
			if (phase == PH_NEXTHOP && (code == EINVAL || code == EOPNOTSUPP ||
					code == EAFNOSUPPORT)) {
				next_phase();
				return;
			}
			sockets_failed(phases[phase].name, code);
			return;
		}
		if (nlh->nlmsg_type >= NLMSG_MIN_TYPE) {
			st.dump_messages++;
			handle_msg(nlh, true);
		}
		nlh = mnl_nlmsg_next(nlh, &left);
	}
	if (left > 0) {
		st.truncated++;
		ignore(SL_NL_MALFORMED, "%d bytes of a truncated message", left);
	}
}

static void
on_dump(struct sl_loop_src *src, uint32_t events)
{
	RTE_SET_USED(src);
	RTE_SET_USED(events);
	for (unsigned int i = 0; i < DUMP_BATCH && phase != PH_IDLE && dump_nl != NULL; i++) {
		ssize_t n = mnl_socket_recvfrom(dump_nl, buf, sizeof(buf));

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			sockets_failed("dump recv", errno);
			return;
		}
		dump_msgs(buf, n);
	}
}

static void
on_event(struct sl_loop_src *src, uint32_t events)
{
	RTE_SET_USED(src);
	RTE_SET_USED(events);
	/* ev_in_loop: a message can start a resync, which takes the socket
	 * out of the loop until the dump is done. */
	for (unsigned int i = 0; i < EV_BATCH && ev_in_loop; i++) {
		ssize_t n = mnl_socket_recvfrom(ev_nl, buf, sizeof(buf));
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		int left;

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			if (errno == ENOBUFS) {
				/* Notifications were dropped: only a dump says
				 * what the kernel has now. */
				st.enobufs++;
				start_resync();
				return;
			}
			sockets_failed("notification recv", errno);
			return;
		}
		left = (int)n;
		while (mnl_nlmsg_ok(nlh, left)) {
			st.events++;
			if (nlh->nlmsg_type >= NLMSG_MIN_TYPE)
				handle_msg(nlh, false);
			else	/* no request of ours is answered here */
				ignore(SL_NL_UNSUPPORTED, "control message type %u",
					nlh->nlmsg_type);
			nlh = mnl_nlmsg_next(nlh, &left);
		}
		if (left > 0) {
			st.truncated++;
			ignore(SL_NL_MALFORMED, "%d bytes of a truncated notification", left);
		}
	}
}

static int
open_sockets(void)
{
	ev_nl = sock_open(rcvbuf, true);
	dump_nl = sock_open(1u << 20, false);
	if (ev_nl == NULL || dump_nl == NULL) {
		int rc = -errno;

		close_sockets();
		return rc ? rc : -EIO;
	}
	ev_src.fd = mnl_socket_get_fd(ev_nl);
	ev_src.cb = on_event;
	dump_src.fd = mnl_socket_get_fd(dump_nl);
	dump_src.cb = on_dump;
	dump_portid = mnl_socket_get_portid(dump_nl);
	if (sl_loop_add(&dump_src, EPOLLIN) < 0) {
		close_sockets();
		return -EIO;
	}
	dump_in_loop = true;
	return 0;
}

/* Drop the notifications queued before a dump: the dump shows what they
 * did. It matters beyond the saved work: the kernel reports an overflow
 * (ENOBUFS) once and then not again until the queue has been emptied, so a
 * queue left full across the dump would lose what changes during the dump
 * without a word. Emptied, a new overflow is reported after the dump. */
static void
drain_events(void)
{
	/* Not buf: a resync can start while on_event walks a datagram in it. */
	char scratch[64];

	for (;;) {
		/* MSG_TRUNC: each datagram goes whole, whatever its size. */
		ssize_t n = recv(ev_src.fd, scratch, sizeof(scratch), MSG_DONTWAIT | MSG_TRUNC);

		if (n > 0) {
			st.discarded++;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS) {
			st.enobufs++;
			continue;
		}
		return;		/* EAGAIN: empty */
	}
}

static void
start_resync(void)
{
	int rc;

	if (!enabled || ev_nl == NULL || dump_nl == NULL)
		return;
	if (phase != PH_IDLE) {
		resync_again = true;
		return;
	}
	resync_again = false;
	st.resyncs++;
	clock_gettime(CLOCK_MONOTONIC, &resync_t0);
	drain_events();
	/* Notifications wait in their socket until the dump is applied. */
	ev_loop_set(false);
	gen++;
	dump_intr = false;
	n_seen_addr = 0;
	seen_addr_full = false;
	phase = PH_LINK;
	rc = dump_request(phase);
	if (rc < 0)
		sockets_failed("dump request", -rc);
}

/* ---- the module's API ------------------------------------------------------------- */

static void
free_pfx(struct hnode *n)
{
	struct kpfx *k = (struct kpfx *)n;

	kroute_free_list(k->routes);
	free(k);
}

static void
free_node(struct hnode *n)
{
	free(n);
}

static void
forget_all(void)
{
	ht_free(&pfxs, free_pfx);
	ht_free(&nhobjs, free_node);
	ht_free(&neighs, free_node);
	n_installed = 0;
	n_nhid_only = 0;
	memset(tap_up, 0, sizeof(tap_up));
}

static void
withdraw_pfx(struct hnode *n, void *arg)
{
	RTE_SET_USED(arg);
	pfx_uninstall((struct kpfx *)n);
}

static void
withdraw_neigh(struct hnode *hn, void *arg)
{
	struct kneigh *n = (struct kneigh *)hn;

	RTE_SET_USED(arg);
	sl_neigh_kernel_set(n->key.iface, &n->key.ip, NULL);
}

/* Everything mirrored leaves Sluice's tables (netlink off). */
static void
withdraw_all(void)
{
	char err[SL_ERR_MAX];

	ht_foreach(&pfxs, withdraw_pfx, NULL);
	ht_foreach(&neighs, withdraw_neigh, NULL);
	for (int i = 0; i < SL_IFACE_MAX; i++)
		while (sl_ifaces[i].used && sl_ifaces[i].addr_kernel) {
			unsigned int a = __builtin_ctz(sl_ifaces[i].addr_kernel);
			struct sl_ip_prefix p = sl_ifaces[i].addrs[a];

			if (sl_l3_kernel_addr(i, &p, false, err) < 0)
				break;
		}
	forget_all();
	sweep_fib();
}

/* FNV-1a: names are not 4-byte aligned, as rte_jhash wants its keys. */
static uint32_t
name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

static uint64_t
mapping_signature(void)
{
	uint64_t h = sl_hostif_generation;

	for (unsigned int v = 0; v < SL_VRF_MAX; v++)
		if (sl_vrfs[v].used)
			h = rte_jhash_2words(v, sl_vrfs[v].table, (uint32_t)h) ^ (h << 7);
	for (unsigned int i = 0; i < SL_IFACE_MAX; i++)
		if (sl_ifaces[i].used)
			h = rte_jhash_3words(i, sl_ifaces[i].vrf, name_hash(sl_ifaces[i].name),
				(uint32_t)h) ^ (h << 7);
	return h;
}

int
sl_nl_enable(bool on, char *err)
{
	int rc;

	SL_ASSERT_CTRL();
	if (on == enabled)
		return 0;
	if (on) {
		rc = open_sockets();
		if (rc < 0) {
			ERR("netlink: cannot open rtnetlink sockets: %s", strerror(-rc));
			return rc;
		}
		enabled = true;
		rc = sl_config_persist();
		if (rc < 0) {
			ERR("cannot persist config to %s: %s", sl_config_path(), strerror(-rc));
			enabled = false;
			close_sockets();
			return rc;
		}
		rebuild_tmap();
		mapping_sig = mapping_signature();
		epoch++;
		start_resync();
		SL_LOG(NOTICE, "netlink: mirroring on");
		return 0;
	}
	enabled = false;
	rc = sl_config_persist();
	if (rc < 0) {
		ERR("cannot persist config to %s: %s", sl_config_path(), strerror(-rc));
		enabled = true;
		return rc;
	}
	close_sockets();
	reopen_wanted = false;
	withdraw_all();
	SL_LOG(NOTICE, "netlink: mirroring off");
	return 0;
}

bool
sl_nl_enabled(void)
{
	return enabled;
}

int
sl_nl_set_rcvbuf(uint32_t bytes, char *err)
{
	uint32_t old = rcvbuf;
	int rc;

	if (bytes < SL_NL_RCVBUF_MIN || bytes > SL_NL_RCVBUF_MAX) {
		ERR("netlink: rcvbuf %u out of range %u-%u", bytes, SL_NL_RCVBUF_MIN,
			SL_NL_RCVBUF_MAX);
		return -ERANGE;
	}
	rcvbuf = bytes;
	rc = sl_config_persist();
	if (rc < 0) {
		rcvbuf = old;
		ERR("cannot persist config to %s: %s", sl_config_path(), strerror(-rc));
		return rc;
	}
	if (ev_nl != NULL)
		sock_rcvbuf(ev_nl, bytes);
	return 0;
}

uint32_t
sl_nl_rcvbuf(void)
{
	return rcvbuf;
}

int
sl_nl_resync(char *err)
{
	if (!enabled) {
		ERR("netlink: mirroring is off");
		return -ENOTCONN;
	}
	if (ev_nl == NULL) {
		reopen_wanted = true;
		return 0;	/* the watch reopens and resyncs */
	}
	start_resync();
	return 0;
}

void
sl_nl_reset(void)
{
	close_sockets();
	forget_all();
	enabled = false;
	reopen_wanted = false;
	rcvbuf = SL_NL_RCVBUF_DEFAULT;
}

/* Once a second: VRFs bound to tables or host interfaces changed (what a
 * route resolves to may have), or a socket failed: dump again. */
static void
nl_watch(void)
{
	static uint32_t last_try;
	uint32_t now = (uint32_t)time(NULL);
	uint64_t sig;

	if (!enabled)
		return;
	if (ev_nl == NULL) {
		if (!reopen_wanted && now - last_try < REOPEN_S)
			return;
		last_try = now;
		if (open_sockets() < 0)
			return;
		reopen_wanted = false;
		st.reopens++;
		epoch++;
		start_resync();
		return;
	}
	sig = mapping_signature();
	if (sig != mapping_sig) {
		mapping_sig = sig;
		rebuild_tmap();
		epoch++;
		start_resync();
	}
}
SL_LOOP_TIMER("netlink", nl_watch)

static unsigned int
kernel_addrs(void)
{
	unsigned int n = 0;

	for (int i = 0; i < SL_IFACE_MAX; i++)
		if (sl_ifaces[i].used)
			n += __builtin_popcount(sl_ifaces[i].addr_kernel);
	return n;
}

json_t *
sl_nl_json(void)
{
	json_t *ign = json_object(), *rec = json_array(), *o;
	int got = 0;
	socklen_t sl = sizeof(got);

	for (int r = SL_NL_OK + 1; r < SL_NL_REASON_MAX; r++)
		json_object_set_new(ign, sl_nl_reason_name(r), json_integer(st.ignored[r]));
	for (unsigned int i = 0; i < RECENT_MAX; i++) {
		const char *s = recent[(recent_pos + i) % RECENT_MAX];

		if (s[0])
			json_array_append_new(rec, json_string(s));
	}
	if (ev_nl != NULL)
		getsockopt(mnl_socket_get_fd(ev_nl), SOL_SOCKET, SO_RCVBUF, &got, &sl);
	o = json_pack("{s:b, s:s, s:s, s:I, s:I}", "enabled", enabled,
		"state", !enabled ? "off" : ev_nl == NULL ? "reopening" : phase != PH_IDLE ?
			"dumping" : "synced",
		"dumping", phase != PH_IDLE ? phases[phase].name : "",
		"rcvbuf", (json_int_t)rcvbuf, "rcvbuf_effective", (json_int_t)got);
#define C(name, v) json_object_set_new(o, name, json_integer((json_int_t)(v)))
	C("messages", st.messages);
	C("events", st.events);
	C("dump_messages", st.dump_messages);
	C("dumps", st.dumps);
	C("dumps_interrupted", st.dumps_interrupted);
	C("dump_errors", st.dump_errors);
	C("resyncs", st.resyncs);
	C("enobufs", st.enobufs);
	C("sequence_gaps", st.seq_gaps);
	C("socket_errors", st.socket_errors);
	C("reopens", st.reopens);
	C("unknown_attributes", st.unknown_attrs);
	C("truncated", st.truncated);
	C("discarded", st.discarded);
	C("routes_not_installed", pfxs.n - n_installed);
#undef C
	json_object_set_new(o, "last_resync_ms", json_real(st.last_resync_us / 1000.0));
	json_object_set_new(o, "installed", json_pack("{s:I, s:I, s:I, s:I}",
		"routes", (json_int_t)n_installed, "addresses", (json_int_t)kernel_addrs(),
		"neighbours", (json_int_t)neighs.n, "nexthop_objects", (json_int_t)nhobjs.n));
	json_object_set_new(o, "changes", json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		"links", (json_int_t)st.links, "routes_added", (json_int_t)st.routes_added,
		"routes_removed", (json_int_t)st.routes_removed,
		"addresses_added", (json_int_t)st.addrs_added,
		"addresses_removed", (json_int_t)st.addrs_removed,
		"neighbours_set", (json_int_t)st.neigh_set,
		"neighbours_removed", (json_int_t)st.neigh_removed));
	json_object_set_new(o, "swept", json_pack("{s:I, s:I, s:I, s:I, s:I}",
		"routes", (json_int_t)st.swept_routes, "fib_routes", (json_int_t)st.swept_fib,
		"addresses", (json_int_t)st.swept_addrs, "neighbours", (json_int_t)st.swept_neigh,
		"nexthops", (json_int_t)st.swept_nexthops));
	json_object_set_new(o, "ignored", ign);
	json_object_set_new(o, "recent_ignored", rec);
	return o;
}

/* ---- config --------------------------------------------------------------------- */

static void
render_netlink(json_t *lines)
{
	char line[64];

	if (rcvbuf != SL_NL_RCVBUF_DEFAULT) {
		snprintf(line, sizeof(line), "netlink set rcvbuf %u", rcvbuf);
		json_array_append_new(lines, json_string(line));
	}
	if (enabled)
		json_array_append_new(lines, json_string("netlink on"));
}
/* After the host interfaces (40): the first dump finds their TAPs. */
SL_CONFIG_SECTION("netlink", 41, render_netlink)
