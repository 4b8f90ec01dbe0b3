/* SPDX-License-Identifier: BSD-3-Clause */
/* L3 control plane (control thread): VRFs, router interfaces and their
 * addresses (connected and local routes), next hops shared by routes, and
 * static routes. Routes live in the per-VRF FIB; this file owns the rest. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_ethdev.h>
#include <rte_malloc.h>

#include "ctrl/cli/cli.h"
#include "ctrl/config/config.h"
#include "drivers/port.h"
#include "dataplane/rcu.h"
#include "pipelines/l2/l2.h"
#include "pipelines/l3/fib.h"
#include "pipelines/l3/l3.h"
#include "pipelines/l3/l3_dp.h"
#include "ctrl/loop/loop.h"

#define NH_MAX SL_NH_MAX

struct sl_nh {
	uint32_t refcnt;	/* routes using it (groups count as one each) */
	uint8_t type;		/* enum sl_nh_type; 0: free slot */
	uint8_t neigh;		/* host route of a neighbour (not config) */
	uint8_t kernel;		/* mirrored from the kernel by netlink (not config) */
	uint8_t dying;		/* freed, reusable after a grace period */
	uint16_t vrf;
	int16_t iface;
	uint16_t weight;
	struct sl_ip gw;
	uint8_t n_members;
	uint32_t members[SL_ECMP_MAX];	/* SL_NH_ECMP: FWD next hops */
};

struct sl_vrf sl_vrfs[SL_VRF_MAX];
struct sl_iface sl_ifaces[SL_IFACE_MAX];
static struct sl_nh *nhs;
static uint32_t nh_high;

#define ERR(fmt, ...) snprintf(err, SL_ERR_MAX, fmt, ##__VA_ARGS__)

static int routes_persist(char *err);

/* ---- addresses ---------------------------------------------------------- */

int
sl_ip_parse(const char *s, struct sl_ip *ip)
{
	memset(ip, 0, sizeof(*ip));
	if (inet_pton(AF_INET, s, ip->a) == 1) {
		ip->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, ip->a) == 1) {
		ip->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

void
sl_ip_format(const struct sl_ip *ip, char *buf, size_t len)
{
	if (inet_ntop(ip->family, ip->a, buf, len) == NULL)
		snprintf(buf, len, "?");
}

static unsigned int
ip_bits(const struct sl_ip *ip)
{
	return ip->family == AF_INET ? 32 : 128;
}

/* Clear the bits past len; returns true if any was set. */
static bool
ip_mask(struct sl_ip *ip, unsigned int len)
{
	bool host = false;

	for (unsigned int i = 0; i < ip_bits(ip) / 8; i++) {
		unsigned int keep = len > i * 8 ? RTE_MIN(len - i * 8, 8u) : 0;
		uint8_t m = keep ? (uint8_t)(0xff << (8 - keep)) : 0;

		host |= (ip->a[i] & ~m) != 0;
		ip->a[i] &= m;
	}
	return host;
}

int
sl_prefix_parse(const char *s, struct sl_ip_prefix *p, bool host_bits_ok)
{
	char buf[64], *slash;
	uint32_t len;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash == NULL)
		return -EINVAL;
	*slash++ = '\0';
	if (sl_ip_parse(buf, &p->ip) < 0 || sl_parse_u32(slash, 0, ip_bits(&p->ip), &len) < 0)
		return -EINVAL;
	p->len = len;
	if (!host_bits_ok) {
		struct sl_ip m = p->ip;

		if (ip_mask(&m, len))
			return -EDOM;	/* 10.0.0.1/24 as a route: refuse, say why */
	}
	return 0;
}

static uint32_t
ip4_host(const struct sl_ip *ip)
{
	uint32_t v;

	memcpy(&v, ip->a, 4);
	return ntohl(v);
}

static int
fib_add(uint16_t vrf, const struct sl_ip_prefix *p, uint32_t nh)
{
	if (p->ip.family == AF_INET)
		return sl_fib4_add(vrf, ip4_host(&p->ip), p->len, nh);
	return sl_fib6_add(vrf, p->ip.a, p->len, nh);
}

static int
fib_del(uint16_t vrf, const struct sl_ip_prefix *p)
{
	if (p->ip.family == AF_INET)
		return sl_fib4_del(vrf, ip4_host(&p->ip), p->len);
	return sl_fib6_del(vrf, p->ip.a, p->len);
}

/* Route matching addr in vrf: 0 and its prefix/nh, or -ENOENT. */
static int
fib_match(uint16_t vrf, const struct sl_ip *addr, struct sl_ip_prefix *p, uint32_t *nh)
{
	int rc;

	memset(p, 0, sizeof(*p));
	p->ip.family = addr->family;
	if (addr->family == AF_INET) {
		uint32_t pfx;

		rc = sl_fib4_lookup_route(vrf, ip4_host(addr), &pfx, &p->len, nh);
		pfx = htonl(pfx);
		memcpy(p->ip.a, &pfx, 4);
	} else {
		rc = sl_fib6_lookup_route(vrf, addr->a, p->ip.a, &p->len, nh);
	}
	return rc;
}

/* ---- next hops ------------------------------------------------------------ */

static bool
nh_equal(const struct sl_nh *a, const struct sl_nh *b)
{
	return a->type == b->type && a->neigh == b->neigh && a->kernel == b->kernel &&
		a->vrf == b->vrf &&
		a->iface == b->iface &&
		a->weight == b->weight && memcmp(&a->gw, &b->gw, sizeof(a->gw)) == 0 &&
		a->n_members == b->n_members &&
		memcmp(a->members, b->members, a->n_members * sizeof(a->members[0])) == 0;
}

/* ECMP: spread the members over the buckets by weight, each at least one. */
static void
ecmp_buckets(const struct sl_nh *g, struct sl_nh_dp *d)
{
	unsigned int cnt[SL_ECMP_MAX], total = 0, sum = 0, n = g->n_members, k = 0;

	for (unsigned int i = 0; i < n; i++)
		total += nhs[g->members[i]].weight;
	for (unsigned int i = 0; i < n; i++) {
		cnt[i] = RTE_MAX(1u, nhs[g->members[i]].weight * SL_ECMP_BUCKETS / total);
		sum += cnt[i];
	}
	/* Rounding: take from / give to the heaviest member. */
	while (sum != SL_ECMP_BUCKETS) {
		unsigned int big = 0;

		for (unsigned int i = 1; i < n; i++)
			if (cnt[i] > cnt[big] || (sum < SL_ECMP_BUCKETS &&
					nhs[g->members[i]].weight > nhs[g->members[big]].weight))
				big = i;
		if (sum > SL_ECMP_BUCKETS) {
			cnt[big]--;
			sum--;
		} else {
			cnt[big]++;
			sum++;
		}
	}
	/* Interleaved, so a member's buckets are spread over the hash space. */
	for (unsigned int b = 0; k < SL_ECMP_BUCKETS; b++)
		for (unsigned int i = 0; i < n && k < SL_ECMP_BUCKETS; i++)
			if (b < cnt[i])
				d->bucket[k++] = g->members[i];
	d->n_buckets = SL_ECMP_BUCKETS;
}

/* Fill the datapath copy of a new next hop before any FIB entry names it
 * (the FIB's store-release publishes it). A gateway gets its neighbour's
 * MAC if known, else resolution starts. */
static void
nh_dp_init(uint32_t id)
{
	const struct sl_nh *nh = &nhs[id];
	struct sl_nh_dp *d = &sl_nh_dp[id];
	struct rte_ether_addr mac;
	uint64_t word = 0;

	memset(d->bucket, 0, sizeof(d->bucket));
	d->n_buckets = 0;
	d->iface = nh->iface >= 0 ? nh->iface : 0;
	if (nh->type == SL_NH_ECMP)
		ecmp_buckets(nh, d);
	if (nh->type == SL_NH_FWD) {
		if (sl_neigh_lookup(nh->iface, &nh->gw, &mac) == 0) {
			memcpy(&word, &mac, RTE_ETHER_ADDR_LEN);
			word |= SL_NH_MAC_VALID;
		}
	}
	__atomic_store_n(&d->mac, word, __ATOMIC_RELAXED);
	/* Last, with release: besides the FIB entry's own store-release, a
	 * reader that sees the type sees everything above. */
	__atomic_store_n(&d->type, nh->type, __ATOMIC_RELEASE);
	if (nh->type == SL_NH_FWD && !(word & SL_NH_MAC_VALID))
		sl_neigh_resolve(nh->iface, &nh->gw);
}

static uint32_t nh_pending[NH_MAX];
static uint32_t n_nh_pending;

/* Next hops freed since the last grace period become reusable. */
static void
nh_reclaim(void)
{
	if (n_nh_pending == 0)
		return;
	sl_rcu_synchronize();
	for (uint32_t i = 0; i < n_nh_pending; i++) {
		uint32_t id = nh_pending[i];

		sl_nh_dp[id].type = 0;
		__atomic_store_n(&sl_nh_dp[id].mac, 0, __ATOMIC_RELAXED);
		nhs[id].dying = 0;
	}
	n_nh_pending = 0;
}
SL_LOOP_POLLER("nh-reclaim", nh_reclaim)

/* Find or create a next hop equal to *tmpl; takes a reference. Routes to
 * the same gateway share one entry, so an ARP change touches one slot. */
static int
nh_get(const struct sl_nh *tmpl, uint32_t *id)
{
	uint32_t free_id = UINT32_MAX;

	for (uint32_t i = 1; i < nh_high; i++) {
		if (nhs[i].type == 0) {
			if (free_id == UINT32_MAX && !nhs[i].dying)
				free_id = i;
			continue;
		}
		if (nh_equal(&nhs[i], tmpl)) {
			nhs[i].refcnt++;
			*id = i;
			return 0;
		}
	}
	if (free_id == UINT32_MAX) {
		if (nh_high == NH_MAX && n_nh_pending) {
			nh_reclaim();
			return nh_get(tmpl, id);
		}
		if (nh_high == NH_MAX)
			return -ENOSPC;
		free_id = nh_high++;	/* id 0 is never used: FIB leaves store nh+1 */
	}
	nhs[free_id] = *tmpl;
	nhs[free_id].refcnt = 1;
	for (unsigned int i = 0; i < tmpl->n_members; i++)
		nhs[tmpl->members[i]].refcnt++;
	nh_dp_init(free_id);
	*id = free_id;
	return 0;
}

static void
nh_put(uint32_t id)
{
	struct sl_nh *nh = &nhs[id];

	if (id == 0 || id >= nh_high || nh->type == 0 || --nh->refcnt)
		return;
	for (unsigned int i = 0; i < nh->n_members; i++)
		nh_put(nh->members[i]);
	/* Workers may still hold the id from a FIB lookup: the datapath copy
	 * stays as it is and the slot is not reused until a grace period. */
	memset(nh, 0, sizeof(*nh));
	nh->dying = 1;
	nh_pending[n_nh_pending++] = id;
}

/* ---- VRFs ----------------------------------------------------------------- */

int
sl_vrf_by_name(const char *name)
{
	for (unsigned int i = 0; i < SL_VRF_MAX; i++)
		if (sl_vrfs[i].used && strcmp(sl_vrfs[i].name, name) == 0)
			return i;
	return -ENOENT;
}

int
sl_vrf_add(const char *name, uint32_t table, char *err)
{
	int id = sl_vrf_by_name(name), rc;

	if (!sl_name_valid(name)) {
		ERR("invalid vrf name '%s'", name);
		return -EINVAL;
	}
	if (id >= 0) {
		if (sl_vrfs[id].table == table)
			return 0;
		ERR("vrf %s: exists with table %u", name, sl_vrfs[id].table);
		return -EEXIST;
	}
	for (unsigned int i = 0; i < SL_VRF_MAX; i++)
		if (sl_vrfs[i].used && sl_vrfs[i].table == table) {
			ERR("vrf %s: table %u already belongs to vrf %s", name, table,
				sl_vrfs[i].name);
			return -EEXIST;
		}
	for (id = 0; id < SL_VRF_MAX && sl_vrfs[id].used; id++)
		;
	if (id == SL_VRF_MAX) {
		ERR("vrf %s: too many VRFs (max %d)", name, SL_VRF_MAX);
		return -ENOSPC;
	}
	rc = sl_fib_vrf_create(id);
	if (rc < 0) {
		ERR("vrf %s: %s", name, strerror(-rc));
		return rc;
	}
	sl_vrfs[id].used = true;
	sl_vrfs[id].table = table;
	snprintf(sl_vrfs[id].name, sizeof(sl_vrfs[id].name), "%s", name);
	rc = sl_dp_commit(err);
	if (rc < 0) {
		sl_vrfs[id].used = false;
		sl_fib_vrf_destroy(id);
	}
	return rc;
}

int
sl_vrf_del(const char *name, char *err)
{
	int id = sl_vrf_by_name(name), rc;

	if (id < 0) {
		ERR("vrf %s: no such vrf", name);
		return -ENOENT;
	}
	if (id == SL_VRF_DEFAULT) {
		ERR("vrf %s: the default VRF cannot be deleted", name);
		return -EPERM;
	}
	for (unsigned int i = 0; i < SL_IFACE_MAX; i++)
		if (sl_ifaces[i].used && sl_ifaces[i].vrf == id) {
			ERR("vrf %s: interface %s is in it (interface del %s first)", name,
				sl_ifaces[i].name, sl_ifaces[i].name);
			return -EBUSY;
		}
	sl_vrfs[id].used = false;
	rc = sl_dp_commit(err);
	if (rc < 0) {
		sl_vrfs[id].used = true;
		return rc;
	}
	/* Its routes' next hops are released with the routes. */
	sl_routes_release_vrf(id);
	sl_fib_vrf_destroy(id);
	return 0;
}

json_t *
sl_vrfs_json(void)
{
	json_t *a = json_array();

	for (unsigned int i = 0; i < SL_VRF_MAX; i++)
		if (sl_vrfs[i].used)
			json_array_append_new(a, json_pack("{s:s, s:i, s:I, s:I}", "name",
				sl_vrfs[i].name, "id", i, "table", (json_int_t)sl_vrfs[i].table,
				"routes", (json_int_t)(sl_fib_route_count(i, AF_INET) +
					sl_fib_route_count(i, AF_INET6))));
	return a;
}

/* ---- interfaces ----------------------------------------------------------- */

int
sl_iface_by_name(const char *name)
{
	for (unsigned int i = 0; i < SL_IFACE_MAX; i++)
		if (sl_ifaces[i].used && strcmp(sl_ifaces[i].name, name) == 0)
			return i;
	return -ENOENT;
}

int
sl_iface_add(const char *name, int port, uint16_t vlan, uint16_t vrf, char *err)
{
	int idx, rc;

	if (!sl_name_valid(name)) {
		ERR("invalid interface name '%s'", name);
		return -EINVAL;
	}
	if (sl_iface_by_name(name) >= 0) {
		ERR("interface %s: already exists", name);
		return -EEXIST;
	}
	for (unsigned int i = 0; i < SL_IFACE_MAX; i++)
		if (sl_ifaces[i].used && sl_ifaces[i].port == port && sl_ifaces[i].vlan == vlan) {
			ERR("interface %s: port %s vlan %u already has interface %s", name,
				sl_ports[port].name, vlan, sl_ifaces[i].name);
			return -EEXIST;
		}
	for (unsigned int i = 0; i < SL_IFACE_MAX; i++)
		if (vlan && sl_ifaces[i].used && sl_ifaces[i].vlan == vlan) {
			ERR("interface %s: vlan %u already has interface %s", name, vlan,
				sl_ifaces[i].name);
			return -EEXIST;
		}
	for (idx = 0; idx < SL_IFACE_MAX && sl_ifaces[idx].used; idx++)
		;
	if (idx == SL_IFACE_MAX) {
		ERR("interface %s: too many interfaces (max %d)", name, SL_IFACE_MAX);
		return -ENOSPC;
	}
	memset(&sl_ifaces[idx], 0, sizeof(sl_ifaces[idx]));
	snprintf(sl_ifaces[idx].name, sizeof(sl_ifaces[idx].name), "%s", name);
	sl_ifaces[idx].port = port;
	sl_ifaces[idx].vlan = vlan;
	sl_ifaces[idx].vrf = vrf;
	sl_ifaces[idx].used = true;
	rc = sl_dp_commit(err);
	if (rc < 0) {
		sl_ifaces[idx].used = false;
		return rc;
	}
	/* A routed port left the bridge: what was learned on it goes. */
	if (vlan == 0)
		sl_fdb_flush(0, sl_ports[port].port_id, false);
	return 0;
}

static struct sl_ip_prefix
host_prefix(const struct sl_ip *ip)
{
	struct sl_ip_prefix h = { .ip = *ip, .len = ip_bits(ip) };

	return h;
}

/* The route for exactly p: 0 with its next hop, or -ENOENT. */
static int
route_exact(uint16_t vrf, const struct sl_ip_prefix *p, uint32_t *nh)
{
	if (p->ip.family == AF_INET)
		return sl_fib4_get(vrf, ip4_host(&p->ip), p->len, nh) < 0 ? -ENOENT : 0;
	return sl_fib6_get(vrf, p->ip.a, p->len, nh) < 0 ? -ENOENT : 0;
}

static bool
is_iface_route(uint32_t nh, int idx)
{
	return (nhs[nh].type == SL_NH_CONNECTED || nhs[nh].type == SL_NH_LOCAL) &&
		nhs[nh].iface == idx;
}

/* Remove p if it is a connected/local route of interface idx. */
static void
iface_route_del(int idx, const struct sl_ip_prefix *p)
{
	uint16_t vrf = sl_ifaces[idx].vrf;
	uint32_t nh;

	if (route_exact(vrf, p, &nh) == 0 && is_iface_route(nh, idx) && fib_del(vrf, p) == 0)
		nh_put(nh);
}

/* Put p -> nh (a reference handed over) in the FIB in place of the route
 * there, if any (*had, *old: still referenced, the caller releases it).
 * Never over an interface route (-EEXIST), nor a kernel route over a
 * configured one (-EBUSY). On an error nh is released and nothing changed. */
static int
route_replace(uint16_t vrf, const struct sl_ip_prefix *p, uint32_t nh, bool *had, uint32_t *old)
{
	int rc = 0;

	*had = route_exact(vrf, p, old) == 0;
	if (*had && (nhs[*old].type == SL_NH_CONNECTED || nhs[*old].type == SL_NH_LOCAL))
		rc = -EEXIST;
	else if (*had && nhs[nh].kernel && !nhs[*old].kernel && !nhs[*old].neigh)
		rc = -EBUSY;
	else
		rc = fib_add(vrf, p, nh);
	if (rc < 0)
		nh_put(nh);
	return rc;
}

/* Set p -> nh (a reference handed over) where no interface route is:
 * a static, kernel or neighbour route there is replaced (the address's
 * routes win; the replaced one is not restored when the address goes). */
static int
iface_route_add(uint16_t vrf, const struct sl_ip_prefix *p, uint32_t nh)
{
	uint32_t old;
	bool had;
	int rc = route_replace(vrf, p, nh, &had, &old);

	if (rc == 0 && had)
		nh_put(old);
	return rc;
}

/* Install (or remove) the connected and local routes of one address. An
 * address whose subnet another interface of the VRF already has is refused
 * (-EEXIST). */
static int
addr_routes(int idx, const struct sl_ip_prefix *a, bool add)
{
	struct sl_iface *ifc = &sl_ifaces[idx];
	struct sl_nh conn = { .type = SL_NH_CONNECTED, .vrf = ifc->vrf, .iface = idx };
	struct sl_nh local = { .type = SL_NH_LOCAL, .vrf = ifc->vrf, .iface = idx };
	struct sl_ip_prefix net = *a, host = host_prefix(&a->ip);
	uint32_t nc, nl;
	int rc;

	ip_mask(&net.ip, net.len);
	if (!add) {
		iface_route_del(idx, &net);
		if (net.len != host.len)
			iface_route_del(idx, &host);
		return 0;
	}
	rc = nh_get(&conn, &nc);
	if (rc < 0)
		return rc;
	rc = iface_route_add(ifc->vrf, &net, nc);
	if (rc < 0)
		return rc;
	if (net.len == host.len)
		return 0;
	rc = nh_get(&local, &nl);
	if (rc == 0)
		rc = iface_route_add(ifc->vrf, &host, nl);
	if (rc < 0)
		iface_route_del(idx, &net);
	return rc;
}

/* Add an address; kernel: mirrored by netlink, not persisted. A configured
 * address the kernel also has stays configured. */
static int
addr_add(int idx, const struct sl_ip_prefix *p, bool kernel, char *err)
{
	struct sl_iface *ifc = &sl_ifaces[idx];
	char s[INET6_ADDRSTRLEN];
	int rc;

	sl_ip_format(&p->ip, s, sizeof(s));
	for (unsigned int i = 0; i < ifc->n_addrs; i++)
		if (memcmp(&ifc->addrs[i], p, sizeof(*p)) == 0) {
			if (kernel || !((ifc->addr_kernel >> i) & 1))
				return 0;
			/* Configured now too: it becomes part of the config. */
			ifc->addr_kernel &= ~(1u << i);
			rc = sl_config_persist();
			if (rc < 0) {
				ifc->addr_kernel |= 1u << i;
				ERR("cannot persist config to %s: %s", sl_config_path(),
					strerror(-rc));
			}
			return rc;
		}
	if (ifc->n_addrs == SL_IFACE_ADDRS) {
		ERR("interface %s: too many addresses (max %d)", ifc->name, SL_IFACE_ADDRS);
		return -ENOSPC;
	}
	if (p->len == 0 || (p->ip.family == AF_INET && p->len > 32)) {
		ERR("interface %s: address %s/%u: bad prefix length", ifc->name, s, p->len);
		return -EINVAL;
	}
	rc = addr_routes(idx, p, true);
	if (rc < 0) {
		ERR("interface %s: address %s/%u: %s", ifc->name, s, p->len, strerror(-rc));
		return rc;
	}
	if (kernel)
		ifc->addr_kernel |= 1u << ifc->n_addrs;
	else
		ifc->addr_kernel &= ~(1u << ifc->n_addrs);
	ifc->addrs[ifc->n_addrs++] = *p;
	rc = kernel ? 0 : sl_config_persist();
	if (rc < 0) {
		ERR("cannot persist config to %s: %s", sl_config_path(), strerror(-rc));
		ifc->n_addrs--;
		addr_routes(idx, p, false);
	}
	return rc;
}

static void
addr_remove_at(int idx, unsigned int i)
{
	struct sl_iface *ifc = &sl_ifaces[idx];
	struct sl_ip_prefix a = ifc->addrs[i];
	unsigned int last = --ifc->n_addrs;

	ifc->addrs[i] = ifc->addrs[last];
	ifc->addr_kernel = (ifc->addr_kernel & ~(1u << i)) |
		(((ifc->addr_kernel >> last) & 1u) << i);
	ifc->addr_kernel &= ~(1u << last);
	addr_routes(idx, &a, false);
}

int
sl_iface_addr_add(int idx, const struct sl_ip_prefix *p, char *err)
{
	return addr_add(idx, p, false, err);
}

int
sl_iface_addr_del(int idx, const struct sl_ip_prefix *p, char *err)
{
	struct sl_iface *ifc = &sl_ifaces[idx];

	for (unsigned int i = 0; i < ifc->n_addrs; i++)
		if (memcmp(&ifc->addrs[i], p, sizeof(*p)) == 0) {
			addr_remove_at(idx, i);
			return routes_persist(err);
		}
	ERR("interface %s: no such address", ifc->name);
	return -ENOENT;
}

int
sl_l3_kernel_addr(int idx, const struct sl_ip_prefix *p, bool add, char *err)
{
	struct sl_iface *ifc = &sl_ifaces[idx];

	if (add)
		return addr_add(idx, p, true, err);
	for (unsigned int i = 0; i < ifc->n_addrs; i++)
		if (memcmp(&ifc->addrs[i], p, sizeof(*p)) == 0) {
			if (!((ifc->addr_kernel >> i) & 1))
				return 0;	/* configured: the config keeps it */
			addr_remove_at(idx, i);
			return 0;
		}
	return -ENOENT;
}

/* Remove an interface, its addresses' routes and the static routes through
 * it, without persisting (callers decide). */
static void
iface_remove(int idx)
{
	struct sl_iface *ifc = &sl_ifaces[idx];

	sl_neigh_iface_removed(idx);
	while (ifc->n_addrs) {
		struct sl_ip_prefix a = ifc->addrs[--ifc->n_addrs];

		addr_routes(idx, &a, false);
	}
	sl_routes_release_iface(idx);
	ifc->used = false;
	sl_fib_commit();
}

int
sl_iface_del(int idx, char *err)
{
	iface_remove(idx);
	return sl_dp_commit(err);
}

int
sl_l3_port_in_use(int port)
{
	for (unsigned int i = 0; i < SL_IFACE_MAX; i++)
		if (sl_ifaces[i].used && sl_ifaces[i].port == port)
			return i;
	return -1;
}

void
sl_l3_port_removed(int port)
{
	for (unsigned int i = 0; i < SL_IFACE_MAX; i++)
		if (sl_ifaces[i].used && sl_ifaces[i].port == port)
			iface_remove(i);
}

int
sl_iface_set_mtu(int idx, uint16_t mtu, char *err)
{
	uint16_t old = sl_ifaces[idx].mtu;
	int rc;

	sl_ifaces[idx].mtu = mtu;
	rc = sl_dp_commit(err);
	if (rc < 0)
		sl_ifaces[idx].mtu = old;
	return rc;
}

int
sl_iface_set_mac(int idx, const struct rte_ether_addr *mac, char *err)
{
	struct sl_iface old = sl_ifaces[idx];
	int rc;

	if (!rte_is_valid_assigned_ether_addr(mac)) {
		ERR("interface %s: router MAC must be unicast and not zero", old.name);
		return -EINVAL;
	}
	sl_ifaces[idx].mac = *mac;
	sl_ifaces[idx].mac_set = true;
	rc = sl_dp_commit(err);
	if (rc < 0)
		sl_ifaces[idx] = old;
	return rc;
}

/* ---- routes --------------------------------------------------------------- */

struct route_rec {
	struct sl_ip_prefix p;
	uint32_t nh;
};

struct route_list {
	struct route_rec *r;
	size_t n, cap;
	int iface;		/* filter: routes whose next hop uses it; -1 all */
};

static bool
nh_uses_iface(uint32_t id, int iface)
{
	const struct sl_nh *nh = &nhs[id];

	if (nh->type == SL_NH_ECMP) {
		for (unsigned int i = 0; i < nh->n_members; i++)
			if (nhs[nh->members[i]].iface == iface)
				return true;
		return false;
	}
	return (nh->type == SL_NH_FWD) && nh->iface == iface;
}

static int
collect(const struct sl_fib_route *r, void *arg)
{
	struct route_list *l = arg;

	if (l->iface >= 0 && !nh_uses_iface(r->nh, l->iface))
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct route_rec *r = realloc(l->r, cap * sizeof(*r));

		if (r == NULL)
			return -ENOMEM;
		l->r = r;
		l->cap = cap;
	}
	memset(&l->r[l->n], 0, sizeof(l->r[l->n]));
	l->r[l->n].p.ip.family = r->family;
	if (r->family == AF_INET) {
		uint32_t v = htonl(r->prefix.v4);

		memcpy(l->r[l->n].p.ip.a, &v, 4);
	} else {
		memcpy(l->r[l->n].p.ip.a, r->prefix.v6, 16);
	}
	l->r[l->n].p.len = r->len;
	l->r[l->n].nh = r->nh;
	l->n++;
	return 0;
}

static void
routes_collect(uint16_t vrf, struct route_list *l)
{
	sl_fib_walk(vrf, AF_INET, collect, l);
	sl_fib_walk(vrf, AF_INET6, collect, l);
}

/* Remove the routes of a VRF (or those through an interface) and release
 * their next hops. */
static void
routes_release(uint16_t vrf, int iface)
{
	struct route_list l = { .iface = iface };

	routes_collect(vrf, &l);
	for (size_t i = 0; i < l.n; i++)
		if (fib_del(vrf, &l.r[i].p) == 0)
			nh_put(l.r[i].nh);
	free(l.r);
}

void
sl_routes_release_vrf(uint16_t vrf)
{
	routes_release(vrf, -1);
}

void
sl_routes_release_iface(int iface)
{
	/* Every VRF: a route may leak into another VRF through the interface. */
	for (unsigned int v = 0; v < SL_VRF_MAX; v++)
		if (sl_vrfs[v].used && sl_fib_route_count(v, AF_INET) +
				sl_fib_route_count(v, AF_INET6) > 0)
			routes_release(v, iface);
}

/* Persist a route change. Routes are not in the datapath snapshot (the FIB
 * is published entry by entry), so there is nothing to publish. */
static int
routes_persist(char *err)
{
	int rc = sl_config_persist();

	if (rc < 0)
		ERR("cannot persist config to %s: %s", sl_config_path(), strerror(-rc));
	return rc;
}

/* Replace or create the route p -> nh (a reference the caller hands over).
 * A kernel route (nh's kernel flag) is not persisted and never replaces a
 * configured route; a configured one replaces a kernel one. */
static int
route_set(uint16_t vrf, const struct sl_ip_prefix *p, uint32_t nh, char *err)
{
	bool kernel = nhs[nh].kernel;
	char s[INET6_ADDRSTRLEN];
	uint32_t old;
	bool had;
	int rc;

	sl_ip_format(&p->ip, s, sizeof(s));
	rc = route_replace(vrf, p, nh, &had, &old);
	if (rc == -EEXIST) {
		ERR("route %s/%u: is a connected route of an interface address", s, p->len);
		return rc;
	}
	if (rc == -EBUSY) {
		ERR("route %s/%u: a configured route has the prefix", s, p->len);
		return -EEXIST;
	}
	if (rc < 0) {
		ERR("route %s/%u: %s", s, p->len, strerror(-rc));
		return rc;
	}
	rc = kernel ? 0 : routes_persist(err);
	if (rc < 0) {
		/* Persist failed: put the old route back. */
		if (had) {
			fib_add(vrf, p, old);
		} else {
			fib_del(vrf, p);
		}
		nh_put(nh);
		return rc;
	}
	if (had)
		nh_put(old);
	return 0;
}

static int
via_nh(uint16_t vrf, const struct sl_route_via *v, bool kernel, uint32_t *id, char *err)
{
	struct sl_nh t = { .type = SL_NH_FWD, .vrf = vrf, .gw = v->gw,
		.weight = v->weight ? v->weight : 1, .iface = v->iface, .kernel = kernel };
	char s[INET6_ADDRSTRLEN];
	int rc;

	sl_ip_format(&v->gw, s, sizeof(s));
	if (t.iface < 0) {
		struct sl_ip_prefix m;
		uint32_t cnh;

		/* No dev: the gateway must be on a connected network. */
		/* A neighbour's host route says the same: it is on that network. */
		if (fib_match(vrf, &v->gw, &m, &cnh) < 0 || (nhs[cnh].type != SL_NH_CONNECTED &&
				!nhs[cnh].neigh)) {
			ERR("gateway %s is not on a connected network of vrf %s (give dev IF)", s,
				sl_vrfs[vrf].name);
			return -EHOSTUNREACH;
		}
		t.iface = nhs[cnh].iface;
	}
	/* dev IF of another VRF is allowed: that is how a route leaks from one
	 * VRF into another, only where configured. The gateway is resolved on
	 * that interface. */
	rc = nh_get(&t, id);
	if (rc < 0)
		ERR("gateway %s: next-hop table full", s);
	return rc;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int
route_add_via(uint16_t vrf, const struct sl_ip_prefix *p, const struct sl_route_via *via,
	unsigned int n_via, bool kernel, char *err)
{
	struct sl_nh grp = { .type = SL_NH_ECMP, .vrf = vrf, .iface = -1, .kernel = kernel };
	uint32_t id;
	int rc;

	if (n_via == 0 || n_via > SL_ECMP_MAX) {
		ERR("route: 1 to %d next hops", SL_ECMP_MAX);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < n_via; i++) {
		if (via[i].gw.family != p->ip.family) {
			ERR("route: gateway family differs from the prefix's");
			rc = -EINVAL;
			goto err_members;
		}
		rc = via_nh(vrf, &via[i], kernel, &grp.members[i], err);
		if (rc < 0)
			goto err_members;
		grp.n_members++;
	}
	if (n_via == 1)
		return route_set(vrf, p, grp.members[0], err);
	/* Sorted members: the same set of next hops is the same group. */
	qsort(grp.members, grp.n_members, sizeof(grp.members[0]), cmp_u32);
	rc = nh_get(&grp, &id);
	for (unsigned int i = 0; i < grp.n_members; i++)
		nh_put(grp.members[i]);	/* the group holds its own references */
	if (rc < 0) {
		ERR("route: next-hop table full");
		return rc;
	}
	return route_set(vrf, p, id, err);

err_members:
	for (unsigned int i = 0; i < grp.n_members; i++)
		nh_put(grp.members[i]);
	return rc;
}

int
sl_route_add_via(uint16_t vrf, const struct sl_ip_prefix *p, const struct sl_route_via *via,
	unsigned int n_via, char *err)
{
	return route_add_via(vrf, p, via, n_via, false, err);
}

static int
route_add_special(uint16_t vrf, const struct sl_ip_prefix *p, enum sl_nh_type type, bool kernel,
	char *err)
{
	struct sl_nh t = { .type = type, .vrf = vrf, .iface = -1, .kernel = kernel };
	uint32_t id;
	int rc = nh_get(&t, &id);

	if (rc < 0) {
		ERR("route: next-hop table full");
		return rc;
	}
	return route_set(vrf, p, id, err);
}

int
sl_route_add_special(uint16_t vrf, const struct sl_ip_prefix *p, enum sl_nh_type type, char *err)
{
	return route_add_special(vrf, p, type, false, err);
}

int
sl_l3_kernel_route_add(uint16_t vrf, const struct sl_ip_prefix *p, enum sl_nh_type type,
	const struct sl_route_via *via, unsigned int n_via, char *err)
{
	if (type == SL_NH_FWD || type == SL_NH_ECMP)
		return route_add_via(vrf, p, via, n_via, true, err);
	if (type != SL_NH_BLACKHOLE && type != SL_NH_UNREACHABLE && type != SL_NH_PROHIBIT) {
		ERR("route: type %d cannot come from the kernel", type);
		return -EINVAL;
	}
	return route_add_special(vrf, p, type, true, err);
}

int
sl_l3_kernel_route_del(uint16_t vrf, const struct sl_ip_prefix *p)
{
	uint32_t nh;

	if (route_exact(vrf, p, &nh) < 0 || !nhs[nh].kernel)
		return -ENOENT;
	if (fib_del(vrf, p) == 0)
		nh_put(nh);
	return 0;
}

int
sl_l3_route_walk(uint16_t vrf, int (*cb)(const struct sl_ip_prefix *p, bool kernel, void *arg),
	void *arg)
{
	struct route_list l = { .iface = -1 };
	int rc = 0;

	routes_collect(vrf, &l);
	for (size_t i = 0; i < l.n && rc == 0; i++)
		if (!nhs[l.r[i].nh].neigh)
			rc = cb(&l.r[i].p, nhs[l.r[i].nh].kernel, arg);
	free(l.r);
	return rc;
}

int
sl_route_del(uint16_t vrf, const struct sl_ip_prefix *p, char *err)
{
	char s[INET6_ADDRSTRLEN];
	uint32_t nh;
	int rc;

	sl_ip_format(&p->ip, s, sizeof(s));
	if (route_exact(vrf, p, &nh) < 0) {
		ERR("route %s/%u: no such route in vrf %s", s, p->len, sl_vrfs[vrf].name);
		return -ENOENT;
	}
	if (nhs[nh].type == SL_NH_CONNECTED || nhs[nh].type == SL_NH_LOCAL) {
		ERR("route %s/%u: connected route (remove the interface address instead)", s,
			p->len);
		return -EPERM;
	}
	rc = fib_del(vrf, p);
	if (rc == 0)
		rc = routes_persist(err);
	if (rc < 0) {
		fib_add(vrf, p, nh);
		return rc;
	}
	nh_put(nh);
	return 0;
}

static const char *const nh_type_names[] = {
	[SL_NH_FWD] = "via", [SL_NH_CONNECTED] = "connected", [SL_NH_LOCAL] = "local",
	[SL_NH_BLACKHOLE] = "blackhole", [SL_NH_UNREACHABLE] = "unreachable",
	[SL_NH_PROHIBIT] = "prohibit", [SL_NH_ECMP] = "via",
};

static json_t *
via_json(uint32_t id)
{
	const struct sl_nh *nh = &nhs[id];
	char s[INET6_ADDRSTRLEN];

	sl_ip_format(&nh->gw, s, sizeof(s));
	return json_pack("{s:s, s:s, s:i}", "gw", s,
		"dev", nh->iface >= 0 ? sl_ifaces[nh->iface].name : "?", "weight", nh->weight);
}

static json_t *
route_json(uint16_t vrf, const struct sl_ip_prefix *p, uint32_t id)
{
	const struct sl_nh *nh = &nhs[id];
	char s[INET6_ADDRSTRLEN + 8];
	json_t *vias = json_array();
	size_t n;

	sl_ip_format(&p->ip, s, sizeof(s));
	n = strlen(s);
	snprintf(s + n, sizeof(s) - n, "/%u", p->len);
	if (nh->type == SL_NH_FWD)
		json_array_append_new(vias, via_json(id));
	for (unsigned int i = 0; nh->type == SL_NH_ECMP && i < nh->n_members; i++)
		json_array_append_new(vias, via_json(nh->members[i]));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "vrf", sl_vrfs[vrf].name, "prefix", s,
		"origin", nh->kernel ? "kernel" : nh->neigh ? "neighbour" :
			nh->type == SL_NH_CONNECTED || nh->type == SL_NH_LOCAL ? "interface" :
			"static",
		"type", nh->neigh ? "neighbour" : nh->type < RTE_DIM(nh_type_names) &&
			nh_type_names[nh->type] ? nh_type_names[nh->type] : "?",
		"dev", (nh->type == SL_NH_CONNECTED || nh->type == SL_NH_LOCAL) &&
			nh->iface >= 0 ? sl_ifaces[nh->iface].name : "",
		"via", vias);
}

json_t *
sl_routes_json(int vrf)
{
	json_t *a = json_array();

	for (int v = 0; v < SL_VRF_MAX; v++) {
		struct route_list l = { .iface = -1 };

		if (!sl_vrfs[v].used || (vrf >= 0 && v != vrf))
			continue;
		routes_collect(v, &l);
		for (size_t i = 0; i < l.n; i++)
			if (!nhs[l.r[i].nh].neigh)	/* neighbours: show neigh */
				json_array_append_new(a, route_json(v, &l.r[i].p, l.r[i].nh));
		free(l.r);
	}
	return a;
}

json_t *
sl_route_lookup_json(uint16_t vrf, const struct sl_ip *addr)
{
	struct sl_ip_prefix m;
	uint32_t nh;

	if (fib_match(vrf, addr, &m, &nh) < 0)
		return json_pack("{s:s, s:b}", "vrf", sl_vrfs[vrf].name, "match", 0);
	return json_pack("{s:s, s:b, s:o}", "vrf", sl_vrfs[vrf].name, "match", 1,
		"route", route_json(vrf, &m, nh));
}

json_t *
sl_ifaces_json(void)
{
	json_t *a = json_array();

	for (unsigned int i = 0; i < SL_IFACE_MAX; i++) {
		const struct sl_iface *ifc = &sl_ifaces[i];
		char mac[RTE_ETHER_ADDR_FMT_SIZE] = "", s[INET6_ADDRSTRLEN + 8];
		struct rte_ether_addr pm;
		json_t *addrs = json_array();

		if (!ifc->used)
			continue;
		if (ifc->mac_set)
			sl_mac_format(mac, sizeof(mac), &ifc->mac);
		else if (rte_eth_macaddr_get(sl_ports[ifc->port].port_id, &pm) == 0)
			sl_mac_format(mac, sizeof(mac), &pm);
		for (unsigned int k = 0; k < ifc->n_addrs; k++) {
			size_t n;

			sl_ip_format(&ifc->addrs[k].ip, s, sizeof(s));
			n = strlen(s);
			snprintf(s + n, sizeof(s) - n, "/%u", ifc->addrs[k].len);
			json_array_append_new(addrs, json_string(s));
		}
		json_array_append_new(a, json_pack("{s:s, s:s, s:i, s:s, s:s, s:i, s:o}",
			"name", ifc->name, "port", sl_ports[ifc->port].name, "vlan", ifc->vlan,
			"vrf", sl_vrfs[ifc->vrf].name, "mac", mac,
			"mtu", ifc->mtu ? ifc->mtu : sl_ports[ifc->port].mtu, "addresses", addrs));
	}
	return a;
}

/* ---- neighbours (called by neigh.c) ----------------------------------------- */

void
sl_l3_neigh_changed(int iface, const struct sl_ip *ip, const struct rte_ether_addr *mac)
{
	uint64_t word = 0;

	if (mac != NULL) {
		memcpy(&word, mac, RTE_ETHER_ADDR_LEN);
		word |= SL_NH_MAC_VALID;
	}
	for (uint32_t i = 1; i < nh_high; i++)
		if (nhs[i].type == SL_NH_FWD && nhs[i].iface == iface &&
				memcmp(&nhs[i].gw, ip, sizeof(*ip)) == 0)
			__atomic_store_n(&sl_nh_dp[i].mac, word, __ATOMIC_RELAXED);
}

/* A neighbour gets a host route (/32, /128) to itself, so packets to it
 * find its MAC straight from the FIB, unless a route for exactly that
 * prefix exists (a local address, a static route). Not persisted. */
int
sl_l3_neigh_route_add(int iface, const struct sl_ip *ip)
{
	struct sl_nh t = { .type = SL_NH_FWD, .neigh = 1, .vrf = sl_ifaces[iface].vrf,
		.iface = iface, .gw = *ip, .weight = 1 };
	struct sl_ip_prefix h = host_prefix(ip);
	uint32_t old, id;
	int rc;

	if (route_exact(t.vrf, &h, &old) == 0)
		return 0;
	rc = nh_get(&t, &id);
	if (rc < 0)
		return rc;
	rc = fib_add(t.vrf, &h, id);
	if (rc < 0)
		nh_put(id);
	return rc;
}

void
sl_l3_neigh_route_del(int iface, const struct sl_ip *ip)
{
	uint16_t vrf = sl_ifaces[iface].vrf;
	struct sl_ip_prefix h = host_prefix(ip);
	uint32_t nh;

	if (route_exact(vrf, &h, &nh) == 0 && nhs[nh].neigh && nhs[nh].iface == iface &&
			fib_del(vrf, &h) == 0)
		nh_put(nh);
}

int
sl_l3_nh_target(uint32_t id, int *iface, struct sl_ip *gw)
{
	if (id == 0 || id >= nh_high || (nhs[id].type != SL_NH_FWD &&
			nhs[id].type != SL_NH_CONNECTED))
		return -ENOENT;
	*iface = nhs[id].iface;
	if (nhs[id].type == SL_NH_FWD)
		*gw = nhs[id].gw;
	else
		memset(gw, 0, sizeof(*gw));
	return 0;
}

/* ---- datapath snapshot ------------------------------------------------------ */

void
sl_l3_snapshot_fill(struct sl_snapshot *s)
{
	for (unsigned int i = 0; i < SL_IFACE_MAX; i++) {
		const struct sl_iface *ifc = &sl_ifaces[i];
		const struct sl_port *p;
		struct sl_dp_iface *d = &s->ifaces[i];

		if (!ifc->used)
			continue;
		p = &sl_ports[ifc->port];
		d->used = 1;
		d->vrf = ifc->vrf;
		d->mtu = ifc->mtu ? ifc->mtu : p->mtu;
		if (ifc->mac_set)
			d->mac = ifc->mac;
		else
			rte_eth_macaddr_get(p->port_id, &d->mac);
		if (ifc->vlan) {
			d->port = SL_PORT_NONE;
			d->vlan = ifc->vlan;
			s->vlans[ifc->vlan].l3_iface = i + 1;
			continue;
		}
		/* A routed port leaves the bridge. */
		d->port = p->port_id;
		d->vlan = 0;
		s->ports[p->port_id].l3_iface = i + 1;
		s->ports[p->port_id].mode = SL_VLAN_MODE_NONE;
		s->ports[p->port_id].pvid = 0;
		for (unsigned int v = 0; v < SL_VLAN_COUNT; v++) {
			s->vlans[v].members &= ~(UINT64_C(1) << p->port_id);
			s->vlans[v].tagged &= ~(UINT64_C(1) << p->port_id);
		}
	}
}

bool
sl_l3_iface_addr_is(int iface, const struct sl_ip *ip)
{
	const struct sl_iface *ifc = &sl_ifaces[iface];

	for (unsigned int i = 0; i < ifc->n_addrs; i++)
		if (memcmp(&ifc->addrs[i].ip, ip, sizeof(*ip)) == 0)
			return true;
	return false;
}

/* ---- running config --------------------------------------------------------- */

static void
render_l3(json_t *lines)
{
	char buf[512], s[INET6_ADDRSTRLEN];

	for (unsigned int v = 1; v < SL_VRF_MAX; v++)
		if (sl_vrfs[v].used) {
			snprintf(buf, sizeof(buf), "vrf add %s table %u", sl_vrfs[v].name,
				sl_vrfs[v].table);
			json_array_append_new(lines, json_string(buf));
		}
	for (unsigned int i = 0; i < SL_IFACE_MAX; i++) {
		const struct sl_iface *ifc = &sl_ifaces[i];
		int n;

		if (!ifc->used)
			continue;
		n = snprintf(buf, sizeof(buf), "interface add %s port %s", ifc->name,
			sl_ports[ifc->port].name);
		if (ifc->vlan)
			n += snprintf(buf + n, sizeof(buf) - n, " vlan %u", ifc->vlan);
		snprintf(buf + n, sizeof(buf) - n, " vrf %s", sl_vrfs[ifc->vrf].name);
		json_array_append_new(lines, json_string(buf));
		for (unsigned int k = 0; k < ifc->n_addrs; k++) {
			if ((ifc->addr_kernel >> k) & 1)
				continue;
			sl_ip_format(&ifc->addrs[k].ip, s, sizeof(s));
			snprintf(buf, sizeof(buf), "interface set %s address %s/%u", ifc->name, s,
				ifc->addrs[k].len);
			json_array_append_new(lines, json_string(buf));
		}
		if (ifc->mtu) {
			snprintf(buf, sizeof(buf), "interface set %s mtu %u", ifc->name, ifc->mtu);
			json_array_append_new(lines, json_string(buf));
		}
		if (ifc->mac_set) {
			char mac[RTE_ETHER_ADDR_FMT_SIZE];

			sl_mac_format(mac, sizeof(mac), &ifc->mac);
			snprintf(buf, sizeof(buf), "interface set %s mac %s", ifc->name, mac);
			json_array_append_new(lines, json_string(buf));
		}
	}
	/* Static routes (connected and local ones follow from the addresses). */
	for (unsigned int v = 0; v < SL_VRF_MAX; v++) {
		struct route_list l = { .iface = -1 };

		if (!sl_vrfs[v].used)
			continue;
		routes_collect(v, &l);
		for (size_t i = 0; i < l.n; i++) {
			const struct sl_nh *nh = &nhs[l.r[i].nh];
			int n;

			if (nh->type == SL_NH_CONNECTED || nh->type == SL_NH_LOCAL || nh->neigh ||
					nh->kernel)
				continue;
			sl_ip_format(&l.r[i].p.ip, s, sizeof(s));
			n = snprintf(buf, sizeof(buf), "route add vrf %s %s/%u", sl_vrfs[v].name, s,
				l.r[i].p.len);
			if (nh->type != SL_NH_FWD && nh->type != SL_NH_ECMP) {
				snprintf(buf + n, sizeof(buf) - n, " %s", nh_type_names[nh->type]);
			} else {
				unsigned int nm = nh->type == SL_NH_ECMP ? nh->n_members : 1;

				for (unsigned int k = 0; k < nm && n < (int)sizeof(buf); k++) {
					const struct sl_nh *m = nh->type == SL_NH_ECMP ?
						&nhs[nh->members[k]] : nh;

					sl_ip_format(&m->gw, s, sizeof(s));
					n += snprintf(buf + n, sizeof(buf) - n, " via %s dev %s", s,
						sl_ifaces[m->iface].name);
					if (m->weight != 1)
						n += snprintf(buf + n, sizeof(buf) - n, " weight %u",
							m->weight);
				}
			}
			json_array_append_new(lines, json_string(buf));
		}
		free(l.r);
	}
}
SL_CONFIG_SECTION("l3", 30, render_l3)

int
sl_l3_init(void)
{
	int rc;

	nhs = calloc(NH_MAX, sizeof(*nhs));
	sl_nh_dp = rte_zmalloc("sl_nh_dp", NH_MAX * sizeof(*sl_nh_dp), RTE_CACHE_LINE_SIZE);
	if (nhs == NULL || sl_nh_dp == NULL)
		return -ENOMEM;
	rc = sl_neigh_init();
	if (rc < 0)
		return rc;
	nh_high = 1;
	rc = sl_fib_init();
	if (rc < 0)
		return rc;
	rc = sl_fib_vrf_create(SL_VRF_DEFAULT);
	if (rc < 0)
		return rc;
	sl_vrfs[SL_VRF_DEFAULT].used = true;
	sl_vrfs[SL_VRF_DEFAULT].table = SL_VRF_DEFAULT_TABLE;
	snprintf(sl_vrfs[SL_VRF_DEFAULT].name, sizeof(sl_vrfs[0].name), "default");
	return 0;
}

void
sl_l3_reset(void)
{
	for (unsigned int i = 0; i < SL_IFACE_MAX; i++)
		if (sl_ifaces[i].used)
			iface_remove(i);
	for (unsigned int v = 0; v < SL_VRF_MAX; v++) {
		if (!sl_vrfs[v].used)
			continue;
		sl_routes_release_vrf(v);
		if (v != SL_VRF_DEFAULT) {
			sl_vrfs[v].used = false;
			sl_fib_vrf_destroy(v);
		}
	}
	sl_fib_commit();
}

void
sl_l3_fini(void)
{
	sl_neigh_fini();
	sl_fib_fini();
	free(nhs);
	nhs = NULL;
	rte_free(sl_nh_dp);
	sl_nh_dp = NULL;
}
