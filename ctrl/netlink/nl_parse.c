/* SPDX-License-Identifier: BSD-3-Clause */
/* rtnetlink parser of the netlink mirror (control thread, no state): routes,
 * links, addresses, neighbours and next-hop objects into plain structs, every
 * length checked with libmnl's validators before a byte is read. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>

#include "ctrl/netlink/nl_parse.h"

static const char *const reason_names[] = {
	[SL_NL_OK] = "ok",
#define X(n, s) [SL_NL_##n] = s,
	SL_NL_REASONS(X)
#undef X
};

const char *
sl_nl_reason_name(int reason)
{
	if (reason < 0)
		reason = -reason;
	return reason < SL_NL_REASON_MAX ? reason_names[reason] : "?";
}

static size_t
addr_len(uint8_t family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

/* The fixed header of type hdr_len after the netlink header, or NULL if the
 * message is too short to hold it. */
static const void *
fixed_hdr(const struct nlmsghdr *nlh, size_t hdr_len)
{
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + MNL_ALIGN(hdr_len))
		return NULL;
	return mnl_nlmsg_get_payload(nlh);
}

typedef int (*attr_cb)(const struct nlattr *a, uint16_t type, void *arg);

/* Walk the attributes in [buf, buf + len). Unlike mnl_attr_parse, which
 * stops quietly at the first attribute that does not fit, a truncated or
 * overlong attribute makes the whole message MALFORMED: a half-read route
 * would be installed wrong. Types above max are counted and skipped. */
static int
attrs_walk(const void *buf, size_t len, uint16_t max, unsigned int *unknown, attr_cb cb,
	void *arg)
{
	const struct nlattr *a = buf;

	while (len > 0) {
		uint16_t type;
		size_t step;
		int rc;

		if (!mnl_attr_ok(a, (int)len))
			return -SL_NL_MALFORMED;
		type = mnl_attr_get_type(a);
		if (type > max) {
			(*unknown)++;
		} else {
			rc = cb(a, type, arg);
			if (rc < 0)
				return rc;
		}
		step = MNL_ALIGN(a->nla_len);
		if (step >= len)
			break;
		len -= step;
		a = (const struct nlattr *)((const char *)a + step);
	}
	return 0;
}

static int
msg_attrs(const struct nlmsghdr *nlh, size_t hdr_len, uint16_t max, unsigned int *unknown,
	attr_cb cb, void *arg)
{
	size_t off = MNL_NLMSG_HDRLEN + MNL_ALIGN(hdr_len);

	return attrs_walk((const char *)nlh + off, nlh->nlmsg_len - off, max, unknown, cb, arg);
}

static bool
valid_u32(const struct nlattr *a)
{
	return mnl_attr_validate(a, MNL_TYPE_U32) == 0;
}

/* An address attribute of the family's exact length. */
static int
get_addr(const struct nlattr *a, uint8_t family, uint8_t out[16])
{
	size_t n = addr_len(family);

	if (n == 0 || mnl_attr_validate2(a, MNL_TYPE_BINARY, n) < 0)
		return -SL_NL_MALFORMED;
	memcpy(out, mnl_attr_get_payload(a), n);
	return 0;
}

/* ---- routes ---------------------------------------------------------------- */

struct route_ctx {
	struct sl_nl_route *r;
	struct sl_nl_nh single;		/* RTA_GATEWAY / RTA_VIA / RTA_OIF */
	bool has_single;
	bool multipath;
};

/* RTA_VIA: struct rtvia, a family then its address. */
static int
get_via(const struct nlattr *a, struct sl_nl_nh *nh, struct sl_nl_route *r)
{
	const struct rtvia *v;
	size_t n;

	if (mnl_attr_get_payload_len(a) < sizeof(*v))
		return -SL_NL_MALFORMED;
	v = mnl_attr_get_payload(a);
	n = addr_len(v->rtvia_family);
	if (n == 0) {
		r->unsupported = true;	/* e.g. an MPLS or AF_PACKET via */
		return 0;
	}
	if (mnl_attr_get_payload_len(a) != sizeof(*v) + n)
		return -SL_NL_MALFORMED;
	nh->family = v->rtvia_family;
	memcpy(nh->gw, v->rtvia_addr, n);
	return 0;
}

struct rtnh_ctx {
	struct sl_nl_nh *nh;
	struct sl_nl_route *r;
};

static int
rtnh_attr(const struct nlattr *a, uint16_t type, void *arg)
{
	struct rtnh_ctx *c = arg;
	int rc;

	switch (type) {
	case RTA_GATEWAY:
		rc = get_addr(a, c->r->family, c->nh->gw);
		if (rc == 0)
			c->nh->family = c->r->family;
		return rc;
	case RTA_VIA:
		return get_via(a, c->nh, c->r);
	case RTA_ENCAP:
	case RTA_ENCAP_TYPE:
		c->r->unsupported = true;	/* MPLS, seg6... push: not ours */
		return 0;
	default:
		return 0;			/* RTA_FLOW, ... */
	}
}

/* RTA_MULTIPATH: a packed list of struct rtnexthop, each followed by its own
 * attributes, rtnh_len covering both. */
static int
parse_multipath(const struct nlattr *a, struct route_ctx *c)
{
	const char *p = mnl_attr_get_payload(a);
	size_t left = mnl_attr_get_payload_len(a);
	struct sl_nl_route *r = c->r;

	c->multipath = true;
	r->n_nh = 0;
	while (left > 0) {
		const struct rtnexthop *rtnh = (const struct rtnexthop *)p;
		struct sl_nl_nh spare;
		struct rtnh_ctx nc = { .r = r };
		size_t step;
		int rc;

		if (left < sizeof(*rtnh) || rtnh->rtnh_len < sizeof(*rtnh) ||
				rtnh->rtnh_len > left)
			return -SL_NL_MALFORMED;
		/* More hops than Sluice's ECMP takes: still checked, not kept. */
		if (r->n_nh == SL_NL_NH_MAX)
			r->unsupported = true;
		nc.nh = r->n_nh < SL_NL_NH_MAX ? &r->nh[r->n_nh] : &spare;
		memset(nc.nh, 0, sizeof(*nc.nh));
		nc.nh->flags = rtnh->rtnh_flags;
		nc.nh->weight = rtnh->rtnh_hops + 1u;
		nc.nh->ifindex = rtnh->rtnh_ifindex > 0 ? (uint32_t)rtnh->rtnh_ifindex : 0;
		rc = attrs_walk(p + RTNH_ALIGN(sizeof(*rtnh)), rtnh->rtnh_len -
			RTNH_ALIGN(sizeof(*rtnh)), RTA_MAX, &r->unknown_attrs, rtnh_attr, &nc);
		if (rc < 0)
			return rc;
		if (r->n_nh < SL_NL_NH_MAX)
			r->n_nh++;
		step = RTNH_ALIGN(rtnh->rtnh_len);
		if (step >= left)
			break;
		left -= step;
		p += step;
	}
	return 0;
}

static int
route_attr(const struct nlattr *a, uint16_t type, void *arg)
{
	struct route_ctx *c = arg;
	struct sl_nl_route *r = c->r;
	int rc;

	switch (type) {
	case RTA_DST:
		return get_addr(a, r->family, r->dst);
	case RTA_TABLE:
		if (!valid_u32(a))
			return -SL_NL_MALFORMED;
		r->table = mnl_attr_get_u32(a);
		return 0;
	case RTA_PRIORITY:
		if (!valid_u32(a))
			return -SL_NL_MALFORMED;
		r->priority = mnl_attr_get_u32(a);
		return 0;
	case RTA_OIF:
		if (!valid_u32(a))
			return -SL_NL_MALFORMED;
		c->single.ifindex = mnl_attr_get_u32(a);
		c->has_single = true;
		return 0;
	case RTA_GATEWAY:
		rc = get_addr(a, r->family, c->single.gw);
		if (rc == 0) {
			c->single.family = r->family;
			c->has_single = true;
		}
		return rc;
	case RTA_VIA:
		rc = get_via(a, &c->single, r);
		if (rc == 0)
			c->has_single = true;
		return rc;
	case RTA_NH_ID:
		if (!valid_u32(a))
			return -SL_NL_MALFORMED;
		r->nh_id = mnl_attr_get_u32(a);
		return 0;
	case RTA_MULTIPATH:
		return parse_multipath(a, c);
	case RTA_ENCAP:
	case RTA_ENCAP_TYPE:
		r->unsupported = true;
		return 0;
	case RTA_SRC:
		/* Source-specific (IPv6 subtree) routes: Sluice has none. */
		if (mnl_attr_get_payload_len(a) != 0)
			r->unsupported = true;
		return 0;
	default:
		return 0;
	}
}

int
sl_nl_parse_route(const struct nlmsghdr *nlh, struct sl_nl_route *r)
{
	const struct rtmsg *rtm = fixed_hdr(nlh, sizeof(*rtm));
	struct route_ctx c = { .r = r };
	int rc;

	if (rtm == NULL)
		return -SL_NL_MALFORMED;
	memset(r, 0, sizeof(*r));
	r->msg_type = nlh->nlmsg_type;
	r->msg_flags = nlh->nlmsg_flags;
	r->family = rtm->rtm_family;
	if (r->family != AF_INET && r->family != AF_INET6)
		return -SL_NL_WRONG_FAMILY;	/* MPLS, IPMR, bridge... */
	r->dst_len = rtm->rtm_dst_len;
	if (r->dst_len > addr_len(r->family) * 8)
		return -SL_NL_MALFORMED;
	r->tos = rtm->rtm_tos;
	r->type = rtm->rtm_type;
	r->protocol = rtm->rtm_protocol;
	r->scope = rtm->rtm_scope;
	r->flags = rtm->rtm_flags;
	r->table = rtm->rtm_table;
	rc = msg_attrs(nlh, sizeof(*rtm), RTA_MAX, &r->unknown_attrs, route_attr, &c);
	if (rc < 0)
		return rc;
	if (!c.multipath && c.has_single) {
		c.single.weight = 1;
		r->nh[0] = c.single;
		r->n_nh = 1;
	}
	return 0;
}

/* ---- links ------------------------------------------------------------------ */

static int
link_attr(const struct nlattr *a, uint16_t type, void *arg)
{
	struct sl_nl_link *l = arg;
	size_t n;

	switch (type) {
	case IFLA_IFNAME:
		n = mnl_attr_get_payload_len(a);
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0 || n > sizeof(l->name))
			return -SL_NL_MALFORMED;
		memcpy(l->name, mnl_attr_get_payload(a), n);
		return 0;
	case IFLA_MTU:
		if (!valid_u32(a))
			return -SL_NL_MALFORMED;
		l->mtu = mnl_attr_get_u32(a);
		return 0;
	case IFLA_ADDRESS:
		n = mnl_attr_get_payload_len(a);
		if (n > 32)		/* MAX_ADDR_LEN */
			return -SL_NL_MALFORMED;
		/* Other link types have other address lengths: not a MAC. */
		if (n == 6) {
			memcpy(l->mac, mnl_attr_get_payload(a), 6);
			l->has_mac = true;
		}
		return 0;
	default:
		return 0;
	}
}

int
sl_nl_parse_link(const struct nlmsghdr *nlh, struct sl_nl_link *l)
{
	const struct ifinfomsg *ifi = fixed_hdr(nlh, sizeof(*ifi));

	if (ifi == NULL)
		return -SL_NL_MALFORMED;
	memset(l, 0, sizeof(*l));
	l->msg_type = nlh->nlmsg_type;
	/* AF_BRIDGE: bridge port state, not the link itself. */
	if (ifi->ifi_family != AF_UNSPEC)
		return -SL_NL_WRONG_FAMILY;
	if (ifi->ifi_index <= 0)
		return -SL_NL_MALFORMED;
	l->ifindex = ifi->ifi_index;
	l->flags = ifi->ifi_flags;
	return msg_attrs(nlh, sizeof(*ifi), IFLA_MAX, &l->unknown_attrs, link_attr, l);
}

/* ---- addresses ---------------------------------------------------------------- */

struct addr_ctx {
	struct sl_nl_addr *a;
	bool has_local, has_address;
	uint8_t local[16], address[16];
};

static int
addr_attr(const struct nlattr *at, uint16_t type, void *arg)
{
	struct addr_ctx *c = arg;
	int rc;

	switch (type) {
	case IFA_LOCAL:
		rc = get_addr(at, c->a->family, c->local);
		c->has_local = rc == 0;
		return rc;
	case IFA_ADDRESS:
		rc = get_addr(at, c->a->family, c->address);
		c->has_address = rc == 0;
		return rc;
	case IFA_FLAGS:
		if (!valid_u32(at))
			return -SL_NL_MALFORMED;
		c->a->flags = mnl_attr_get_u32(at);
		return 0;
	default:
		return 0;
	}
}

int
sl_nl_parse_addr(const struct nlmsghdr *nlh, struct sl_nl_addr *a)
{
	const struct ifaddrmsg *ifa = fixed_hdr(nlh, sizeof(*ifa));
	struct addr_ctx c = { .a = a };
	int rc;

	if (ifa == NULL)
		return -SL_NL_MALFORMED;
	memset(a, 0, sizeof(*a));
	a->msg_type = nlh->nlmsg_type;
	a->family = ifa->ifa_family;
	if (a->family != AF_INET && a->family != AF_INET6)
		return -SL_NL_WRONG_FAMILY;
	a->prefixlen = ifa->ifa_prefixlen;
	if (a->prefixlen > addr_len(a->family) * 8)
		return -SL_NL_MALFORMED;
	a->flags = ifa->ifa_flags;
	a->ifindex = ifa->ifa_index;
	rc = msg_attrs(nlh, sizeof(*ifa), IFA_MAX, &a->unknown_attrs, addr_attr, &c);
	if (rc < 0)
		return rc;
	/* IPv4: IFA_LOCAL is the address, IFA_ADDRESS the peer of a
	 * point-to-point link; IPv6 has only IFA_ADDRESS unless it is one. */
	if (c.has_local)
		memcpy(a->addr, c.local, sizeof(a->addr));
	else if (c.has_address)
		memcpy(a->addr, c.address, sizeof(a->addr));
	else
		return -SL_NL_MALFORMED;
	if (a->ifindex == 0)
		return -SL_NL_MALFORMED;
	return 0;
}

/* ---- neighbours ------------------------------------------------------------------- */

struct neigh_ctx {
	struct sl_nl_neigh *n;
	bool has_dst;
};

static int
neigh_attr(const struct nlattr *a, uint16_t type, void *arg)
{
	struct neigh_ctx *c = arg;
	size_t len;
	int rc;

	switch (type) {
	case NDA_DST:
		rc = get_addr(a, c->n->family, c->n->dst);
		c->has_dst = rc == 0;
		return rc;
	case NDA_LLADDR:
		len = mnl_attr_get_payload_len(a);
		if (len > 32)
			return -SL_NL_MALFORMED;
		if (len == 6) {
			memcpy(c->n->lladdr, mnl_attr_get_payload(a), 6);
			c->n->has_lladdr = true;
		}
		return 0;
	default:
		return 0;
	}
}

int
sl_nl_parse_neigh(const struct nlmsghdr *nlh, struct sl_nl_neigh *n)
{
	const struct ndmsg *ndm = fixed_hdr(nlh, sizeof(*ndm));
	struct neigh_ctx c = { .n = n };
	int rc;

	if (ndm == NULL)
		return -SL_NL_MALFORMED;
	memset(n, 0, sizeof(*n));
	n->msg_type = nlh->nlmsg_type;
	n->family = ndm->ndm_family;
	/* AF_BRIDGE: forwarding database entries, not neighbours. */
	if (n->family != AF_INET && n->family != AF_INET6)
		return -SL_NL_WRONG_FAMILY;
	if (ndm->ndm_ifindex <= 0)
		return -SL_NL_MALFORMED;
	n->ifindex = ndm->ndm_ifindex;
	n->state = ndm->ndm_state;
	n->flags = ndm->ndm_flags;
	rc = msg_attrs(nlh, sizeof(*ndm), NDA_MAX, &n->unknown_attrs, neigh_attr, &c);
	if (rc < 0)
		return rc;
	return c.has_dst ? 0 : -SL_NL_MALFORMED;
}

/* ---- next-hop objects ---------------------------------------------------------------- */

struct nh_ctx {
	struct sl_nl_nexthop *nh;
	uint8_t family;
	bool has_id;
};

static int
nh_attr(const struct nlattr *a, uint16_t type, void *arg)
{
	struct nh_ctx *c = arg;
	struct sl_nl_nexthop *nh = c->nh;
	const struct nexthop_grp *g;
	size_t len;
	int rc;

	switch (type) {
	case NHA_ID:
		if (!valid_u32(a))
			return -SL_NL_MALFORMED;
		nh->id = mnl_attr_get_u32(a);
		c->has_id = true;
		return 0;
	case NHA_GROUP:
		len = mnl_attr_get_payload_len(a);
		if (len == 0 || len % sizeof(*g) != 0)
			return -SL_NL_MALFORMED;
		g = mnl_attr_get_payload(a);
		nh->n_grp = len / sizeof(*g);
		if (nh->n_grp > SL_NL_NH_MAX) {
			nh->unsupported = true;
			nh->n_grp = SL_NL_NH_MAX;
		}
		for (unsigned int i = 0; i < nh->n_grp; i++) {
			nh->grp[i].id = g[i].id;
			/* Since Linux 6.12 the byte after weight is its high byte. */
			nh->grp[i].weight = (uint16_t)((g[i].resvd1 << 8 | g[i].weight) + 1u);
		}
		return 0;
	case NHA_BLACKHOLE:
		if (mnl_attr_validate(a, MNL_TYPE_FLAG) < 0)
			return -SL_NL_MALFORMED;
		nh->blackhole = true;
		return 0;
	case NHA_OIF:
		if (!valid_u32(a))
			return -SL_NL_MALFORMED;
		nh->ifindex = mnl_attr_get_u32(a);
		return 0;
	case NHA_GATEWAY:
		rc = get_addr(a, c->family, nh->gw);
		if (rc == 0) {
			nh->has_gw = true;
			nh->family = c->family;
		}
		return rc;
	case NHA_FDB:
	case NHA_ENCAP:
	case NHA_ENCAP_TYPE:
		nh->unsupported = true;
		return 0;
	default:
		return 0;
	}
}

int
sl_nl_parse_nexthop(const struct nlmsghdr *nlh, struct sl_nl_nexthop *nh)
{
	const struct nhmsg *nhm = fixed_hdr(nlh, sizeof(*nhm));
	struct nh_ctx c = { .nh = nh };
	int rc;

	if (nhm == NULL)
		return -SL_NL_MALFORMED;
	memset(nh, 0, sizeof(*nh));
	nh->msg_type = nlh->nlmsg_type;
	c.family = nhm->nh_family;
	if (c.family != AF_UNSPEC && c.family != AF_INET && c.family != AF_INET6)
		return -SL_NL_WRONG_FAMILY;
	rc = msg_attrs(nlh, sizeof(*nhm), NHA_MAX, &nh->unknown_attrs, nh_attr, &c);
	if (rc < 0)
		return rc;
	return c.has_id && nh->id != 0 ? 0 : -SL_NL_MALFORMED;
}
