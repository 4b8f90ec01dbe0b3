/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the rtnetlink parser of the netlink mirror (ctrl/netlink/
 * nl_parse.c) on crafted messages: what the kernel sends, then truncated
 * headers and attributes, attributes of the wrong length, unknown attribute
 * types, wrong families, and random corruption (each message in a buffer of
 * exactly its length, so a sanitizer build catches any read past it). */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/neighbour.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>

#include "ctrl/netlink/nl_parse.h"

/* sluiced defines the log type in dataplane/main.c, outside libsluice. */
__attribute__((weak)) int sl_logtype;

static char buf[32768];

static struct nlmsghdr *
msg(uint16_t type, const void *hdr, size_t hdr_len)
{
	struct nlmsghdr *nlh;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	memcpy(mnl_nlmsg_put_extra_header(nlh, hdr_len), hdr, hdr_len);
	return nlh;
}

static struct nlmsghdr *
route_msg(uint8_t family, uint8_t dst_len)
{
	struct rtmsg rtm = { .rtm_family = family, .rtm_dst_len = dst_len,
		.rtm_table = RT_TABLE_MAIN, .rtm_protocol = RTPROT_STATIC,
		.rtm_type = RTN_UNICAST };

	return msg(RTM_NEWROUTE, &rtm, sizeof(rtm));
}

/* Parse a copy of nlh in a heap buffer of exactly nlmsg_len bytes. */
static int
parse_exact(int (*fn)(const struct nlmsghdr *, void *), const struct nlmsghdr *nlh, void *out)
{
	struct nlmsghdr *c = malloc(nlh->nlmsg_len);
	int rc;

	assert_non_null(c);
	memcpy(c, nlh, nlh->nlmsg_len);
	rc = fn(c, out);
	free(c);
	return rc;
}

#define PARSE(fn, nlh, out) \
	parse_exact((int (*)(const struct nlmsghdr *, void *))(fn), (nlh), (out))

/* ---- routes ----------------------------------------------------------------- */

static void
test_route_v4_single_hop(void **state)
{
	struct nlmsghdr *nlh = route_msg(AF_INET, 24);
	uint32_t dst = htonl(0x0a090000), gw = htonl(0x0a000202);
	struct sl_nl_route r;

	(void)state;
	mnl_attr_put(nlh, RTA_DST, 4, &dst);
	mnl_attr_put_u32(nlh, RTA_TABLE, 100);
	mnl_attr_put_u32(nlh, RTA_PRIORITY, 20);
	mnl_attr_put(nlh, RTA_GATEWAY, 4, &gw);
	mnl_attr_put_u32(nlh, RTA_OIF, 7);
	assert_int_equal(PARSE(sl_nl_parse_route, nlh, &r), 0);
	assert_int_equal(r.family, AF_INET);
	assert_int_equal(r.dst_len, 24);
	assert_int_equal(r.table, 100);		/* RTA_TABLE over rtm_table */
	assert_int_equal(r.priority, 20);
	assert_int_equal(r.type, RTN_UNICAST);
	assert_memory_equal(r.dst, &dst, 4);
	assert_int_equal(r.n_nh, 1);
	assert_int_equal(r.nh[0].family, AF_INET);
	assert_memory_equal(r.nh[0].gw, &gw, 4);
	assert_int_equal(r.nh[0].ifindex, 7);
	assert_int_equal(r.nh[0].weight, 1);
	assert_false(r.unsupported);
	assert_int_equal(r.unknown_attrs, 0);
}

static void
put_rtnh(struct nlmsghdr *nlh, uint8_t family, const uint8_t *gw, int ifindex, uint8_t hops)
{
	struct rtnexthop *rtnh = (struct rtnexthop *)((char *)nlh + nlh->nlmsg_len);
	size_t alen = family == AF_INET ? 4 : 16;

	memset(rtnh, 0, sizeof(*rtnh));
	rtnh->rtnh_ifindex = ifindex;
	rtnh->rtnh_hops = hops;
	nlh->nlmsg_len += RTNH_ALIGN(sizeof(*rtnh));
	if (gw != NULL)
		mnl_attr_put(nlh, RTA_GATEWAY, alen, gw);
	rtnh->rtnh_len = (char *)nlh + nlh->nlmsg_len - (char *)rtnh;
}

static void
test_route_v6_multipath(void **state)
{
	struct nlmsghdr *nlh = route_msg(AF_INET6, 64);
	uint8_t dst[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 9 }, g1[16] = { 0x20, 0x01, [15] = 1 },
		g2[16] = { 0x20, 0x01, [15] = 2 };
	struct nlattr *mp;
	struct sl_nl_route r;

	(void)state;
	mnl_attr_put(nlh, RTA_DST, 16, dst);
	mp = mnl_attr_nest_start(nlh, RTA_MULTIPATH);
	put_rtnh(nlh, AF_INET6, g1, 3, 0);
	put_rtnh(nlh, AF_INET6, g2, 4, 2);
	mnl_attr_nest_end(nlh, mp);
	assert_int_equal(PARSE(sl_nl_parse_route, nlh, &r), 0);
	assert_int_equal(r.table, RT_TABLE_MAIN);
	assert_int_equal(r.n_nh, 2);
	assert_memory_equal(r.nh[0].gw, g1, 16);
	assert_int_equal(r.nh[0].ifindex, 3);
	assert_int_equal(r.nh[0].weight, 1);
	assert_memory_equal(r.nh[1].gw, g2, 16);
	assert_int_equal(r.nh[1].ifindex, 4);
	assert_int_equal(r.nh[1].weight, 3);
}

static void
test_route_too_many_hops_is_unsupported_not_overflowed(void **state)
{
	struct nlmsghdr *nlh = route_msg(AF_INET, 8);
	uint8_t gw[4] = { 10, 0, 0, 1 };
	struct nlattr *mp;
	struct sl_nl_route r;

	(void)state;
	mp = mnl_attr_nest_start(nlh, RTA_MULTIPATH);
	for (int i = 0; i < SL_NL_NH_MAX + 5; i++) {
		gw[3] = i;
		put_rtnh(nlh, AF_INET, gw, i + 1, 0);
	}
	mnl_attr_nest_end(nlh, mp);
	assert_int_equal(PARSE(sl_nl_parse_route, nlh, &r), 0);
	assert_true(r.unsupported);
	assert_int_equal(r.n_nh, SL_NL_NH_MAX);
}

static void
test_route_truncated_header_and_attributes(void **state)
{
	struct nlmsghdr *nlh = route_msg(AF_INET, 24);
	uint32_t dst = htonl(0x0a090000);
	struct sl_nl_route r;

	(void)state;
	mnl_attr_put(nlh, RTA_DST, 4, &dst);
	/* the message ends inside the attribute */
	nlh->nlmsg_len -= 2;
	assert_int_equal(PARSE(sl_nl_parse_route, nlh, &r), -SL_NL_MALFORMED);
	/* an attribute that claims more than the message holds */
	nlh = route_msg(AF_INET, 24);
	mnl_attr_put(nlh, RTA_DST, 4, &dst);
	((struct nlattr *)((char *)nlh + MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct rtmsg))))
		->nla_len = 200;
	assert_int_equal(PARSE(sl_nl_parse_route, nlh, &r), -SL_NL_MALFORMED);
	/* an attribute shorter than its own header */
	((struct nlattr *)((char *)nlh + MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct rtmsg))))
		->nla_len = 2;
	assert_int_equal(PARSE(sl_nl_parse_route, nlh, &r), -SL_NL_MALFORMED);
	/* no room for struct rtmsg */
	nlh = route_msg(AF_INET, 24);
	nlh->nlmsg_len = MNL_NLMSG_HDRLEN + 4;
	assert_int_equal(PARSE(sl_nl_parse_route, nlh, &r), -SL_NL_MALFORMED);
	/* three stray bytes after the last attribute */
	nlh = route_msg(AF_INET, 24);
	mnl_attr_put(nlh, RTA_DST, 4, &dst);
	nlh->nlmsg_len += 3;
	assert_int_equal(PARSE(sl_nl_parse_route, nlh, &r), -SL_NL_MALFORMED);
}

static void
test_route_wrong_lengths_and_values(void **state)
{
	uint8_t six[6] = { 10, 0, 0, 1, 0, 0 };
	struct nlmsghdr *nlh;
	struct sl_nl_route r;
	uint16_t u16 = 100;

	(void)state;
	nlh = route_msg(AF_INET, 24);
	mnl_attr_put(nlh, RTA_GATEWAY, 6, six);		/* IPv4 gateway of 6 bytes */
	assert_int_equal(PARSE(sl_nl_parse_route, nlh, &r), -SL_NL_MALFORMED);
	nlh = route_msg(AF_INET, 24);
	mnl_attr_put(nlh, RTA_TABLE, 2, &u16);		/* u32 of 2 bytes */
	assert_int_equal(PARSE(sl_nl_parse_route, nlh, &r), -SL_NL_MALFORMED);
	nlh = route_msg(AF_INET, 33);			/* /33 */
	assert_int_equal(PARSE(sl_nl_parse_route, nlh, &r), -SL_NL_MALFORMED);
	nlh = route_msg(AF_INET6, 129);
	assert_int_equal(PARSE(sl_nl_parse_route, nlh, &r), -SL_NL_MALFORMED);
	/* a multipath hop whose length runs past the attribute */
	nlh = route_msg(AF_INET, 8);
	{
		struct nlattr *mp = mnl_attr_nest_start(nlh, RTA_MULTIPATH);
		struct rtnexthop *rtnh = (struct rtnexthop *)((char *)nlh + nlh->nlmsg_len);

		put_rtnh(nlh, AF_INET, six, 1, 0);
		rtnh->rtnh_len += 64;
		mnl_attr_nest_end(nlh, mp);
	}
	assert_int_equal(PARSE(sl_nl_parse_route, nlh, &r), -SL_NL_MALFORMED);
}

static void
test_route_unknown_attributes_skipped_and_counted(void **state)
{
	struct nlmsghdr *nlh = route_msg(AF_INET, 0);
	uint32_t gw = htonl(0x0a000202), junk = 0xdeadbeef;
	struct sl_nl_route r;

	(void)state;
	mnl_attr_put(nlh, RTA_MAX + 1, 4, &junk);
	mnl_attr_put(nlh, 200, 0, NULL);
	mnl_attr_put(nlh, RTA_GATEWAY, 4, &gw);
	mnl_attr_put(nlh, 0x3fff, 4, &junk);
	assert_int_equal(PARSE(sl_nl_parse_route, nlh, &r), 0);
	assert_int_equal(r.unknown_attrs, 3);
	assert_int_equal(r.n_nh, 1);
	assert_memory_equal(r.nh[0].gw, &gw, 4);
	assert_int_equal(r.dst_len, 0);		/* default route: no RTA_DST */
}

static void
test_route_wrong_family_and_unsupported(void **state)
{
	struct nlmsghdr *nlh;
	struct sl_nl_route r;
	uint8_t via[2 + 16] = { AF_INET6, 0, 0x20, 0x01 };
	uint16_t encap = 1;

	(void)state;
	for (unsigned int i = 0; i < 3; i++) {
		static const uint8_t fams[] = { AF_BRIDGE, AF_MPLS, 128 /* RTNL_FAMILY_IPMR */ };

		nlh = route_msg(fams[i], 0);
		assert_int_equal(PARSE(sl_nl_parse_route, nlh, &r), -SL_NL_WRONG_FAMILY);
	}
	/* an IPv6 gateway for an IPv4 route (RFC 5549): parsed, the mirror decides */
	nlh = route_msg(AF_INET, 24);
	mnl_attr_put(nlh, RTA_VIA, sizeof(via), via);
	assert_int_equal(PARSE(sl_nl_parse_route, nlh, &r), 0);
	assert_int_equal(r.nh[0].family, AF_INET6);
	assert_false(r.unsupported);
	/* a via of an unknown family */
	via[0] = AF_PACKET;
	nlh = route_msg(AF_INET, 24);
	mnl_attr_put(nlh, RTA_VIA, sizeof(via), via);
	assert_int_equal(PARSE(sl_nl_parse_route, nlh, &r), 0);
	assert_true(r.unsupported);
	/* encapsulation */
	nlh = route_msg(AF_INET, 24);
	mnl_attr_put(nlh, RTA_ENCAP_TYPE, 2, &encap);
	assert_int_equal(PARSE(sl_nl_parse_route, nlh, &r), 0);
	assert_true(r.unsupported);
}

/* ---- links, addresses, neighbours, next hops ------------------------------------ */

static void
test_link(void **state)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = 9, .ifi_flags = IFF_UP };
	uint8_t mac[6] = { 2, 0, 0, 0, 0, 9 };
	struct nlmsghdr *nlh = msg(RTM_NEWLINK, &ifi, sizeof(ifi));
	struct sl_nl_link l;
	char name[20];

	(void)state;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "sl-r1");
	mnl_attr_put_u32(nlh, IFLA_MTU, 1400);
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
	assert_int_equal(PARSE(sl_nl_parse_link, nlh, &l), 0);
	assert_string_equal(l.name, "sl-r1");
	assert_int_equal(l.mtu, 1400);
	assert_true(l.has_mac);
	assert_memory_equal(l.mac, mac, 6);
	assert_int_equal(l.ifindex, 9);
	/* a name without its NUL, and one longer than IFNAMSIZ */
	nlh = msg(RTM_NEWLINK, &ifi, sizeof(ifi));
	mnl_attr_put(nlh, IFLA_IFNAME, 5, "sl-r1");
	assert_int_equal(PARSE(sl_nl_parse_link, nlh, &l), -SL_NL_MALFORMED);
	memset(name, 'x', sizeof(name));
	name[sizeof(name) - 1] = '\0';
	nlh = msg(RTM_NEWLINK, &ifi, sizeof(ifi));
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	assert_int_equal(PARSE(sl_nl_parse_link, nlh, &l), -SL_NL_MALFORMED);
	/* a 4-byte link address (a tunnel) is no MAC, and no error */
	nlh = msg(RTM_NEWLINK, &ifi, sizeof(ifi));
	mnl_attr_put(nlh, IFLA_ADDRESS, 4, mac);
	assert_int_equal(PARSE(sl_nl_parse_link, nlh, &l), 0);
	assert_false(l.has_mac);
	ifi.ifi_family = AF_BRIDGE;
	nlh = msg(RTM_NEWLINK, &ifi, sizeof(ifi));
	assert_int_equal(PARSE(sl_nl_parse_link, nlh, &l), -SL_NL_WRONG_FAMILY);
}

static void
test_addr(void **state)
{
	struct ifaddrmsg ifa = { .ifa_family = AF_INET, .ifa_prefixlen = 24, .ifa_index = 6 };
	uint32_t local = htonl(0x0a000101), peer = htonl(0x0a000102);
	struct nlmsghdr *nlh = msg(RTM_NEWADDR, &ifa, sizeof(ifa));
	struct sl_nl_addr a;

	(void)state;
	mnl_attr_put(nlh, IFA_ADDRESS, 4, &peer);
	mnl_attr_put(nlh, IFA_LOCAL, 4, &local);
	mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_PERMANENT);
	assert_int_equal(PARSE(sl_nl_parse_addr, nlh, &a), 0);
	assert_memory_equal(a.addr, &local, 4);		/* IFA_LOCAL wins */
	assert_int_equal(a.prefixlen, 24);
	assert_int_equal(a.ifindex, 6);
	assert_int_equal(a.flags, IFA_F_PERMANENT);
	/* no address at all */
	nlh = msg(RTM_NEWADDR, &ifa, sizeof(ifa));
	assert_int_equal(PARSE(sl_nl_parse_addr, nlh, &a), -SL_NL_MALFORMED);
	/* an IPv6 address of 4 bytes */
	ifa.ifa_family = AF_INET6;
	nlh = msg(RTM_NEWADDR, &ifa, sizeof(ifa));
	mnl_attr_put(nlh, IFA_ADDRESS, 4, &local);
	assert_int_equal(PARSE(sl_nl_parse_addr, nlh, &a), -SL_NL_MALFORMED);
	ifa.ifa_prefixlen = 129;
	nlh = msg(RTM_NEWADDR, &ifa, sizeof(ifa));
	assert_int_equal(PARSE(sl_nl_parse_addr, nlh, &a), -SL_NL_MALFORMED);
	ifa.ifa_family = AF_PACKET;
	nlh = msg(RTM_NEWADDR, &ifa, sizeof(ifa));
	assert_int_equal(PARSE(sl_nl_parse_addr, nlh, &a), -SL_NL_WRONG_FAMILY);
}

static void
test_neigh(void **state)
{
	struct ndmsg ndm = { .ndm_family = AF_INET, .ndm_ifindex = 6, .ndm_state = NUD_REACHABLE };
	uint32_t dst = htonl(0x0a000102);
	uint8_t mac[6] = { 2, 0, 0, 0, 1, 2 };
	struct nlmsghdr *nlh = msg(RTM_NEWNEIGH, &ndm, sizeof(ndm));
	struct sl_nl_neigh n;

	(void)state;
	mnl_attr_put(nlh, NDA_DST, 4, &dst);
	mnl_attr_put(nlh, NDA_LLADDR, 6, mac);
	assert_int_equal(PARSE(sl_nl_parse_neigh, nlh, &n), 0);
	assert_true(n.has_lladdr);
	assert_memory_equal(n.lladdr, mac, 6);
	assert_memory_equal(n.dst, &dst, 4);
	assert_int_equal(n.state, NUD_REACHABLE);
	nlh = msg(RTM_NEWNEIGH, &ndm, sizeof(ndm));		/* no NDA_DST */
	mnl_attr_put(nlh, NDA_LLADDR, 6, mac);
	assert_int_equal(PARSE(sl_nl_parse_neigh, nlh, &n), -SL_NL_MALFORMED);
	ndm.ndm_family = AF_BRIDGE;				/* an FDB entry */
	nlh = msg(RTM_NEWNEIGH, &ndm, sizeof(ndm));
	mnl_attr_put(nlh, NDA_LLADDR, 6, mac);
	assert_int_equal(PARSE(sl_nl_parse_neigh, nlh, &n), -SL_NL_WRONG_FAMILY);
	ndm.ndm_family = AF_INET;
	ndm.ndm_ifindex = -1;
	nlh = msg(RTM_NEWNEIGH, &ndm, sizeof(ndm));
	mnl_attr_put(nlh, NDA_DST, 4, &dst);
	assert_int_equal(PARSE(sl_nl_parse_neigh, nlh, &n), -SL_NL_MALFORMED);
}

static void
test_nexthop(void **state)
{
	struct nhmsg nhm = { .nh_family = AF_UNSPEC };
	struct nexthop_grp g[3] = { { .id = 11, .weight = 0 }, { .id = 12, .weight = 2 },
		{ .id = 13 } };
	uint32_t gw = htonl(0x0a000202);
	struct nlmsghdr *nlh = msg(RTM_NEWNEXTHOP, &nhm, sizeof(nhm));
	struct sl_nl_nexthop nh;

	(void)state;
	mnl_attr_put_u32(nlh, NHA_ID, 20);
	mnl_attr_put(nlh, NHA_GROUP, 2 * sizeof(g[0]), g);
	assert_int_equal(PARSE(sl_nl_parse_nexthop, nlh, &nh), 0);
	assert_int_equal(nh.id, 20);
	assert_int_equal(nh.n_grp, 2);
	assert_int_equal(nh.grp[0].id, 11);
	assert_int_equal(nh.grp[0].weight, 1);
	assert_int_equal(nh.grp[1].weight, 3);
	/* a group of 1.5 members */
	nlh = msg(RTM_NEWNEXTHOP, &nhm, sizeof(nhm));
	mnl_attr_put_u32(nlh, NHA_ID, 20);
	mnl_attr_put(nlh, NHA_GROUP, sizeof(g[0]) + 4, g);
	assert_int_equal(PARSE(sl_nl_parse_nexthop, nlh, &nh), -SL_NL_MALFORMED);
	/* no id */
	nlh = msg(RTM_NEWNEXTHOP, &nhm, sizeof(nhm));
	mnl_attr_put(nlh, NHA_BLACKHOLE, 0, NULL);
	assert_int_equal(PARSE(sl_nl_parse_nexthop, nlh, &nh), -SL_NL_MALFORMED);
	/* a blackhole flag with a payload */
	nlh = msg(RTM_NEWNEXTHOP, &nhm, sizeof(nhm));
	mnl_attr_put_u32(nlh, NHA_ID, 5);
	mnl_attr_put_u32(nlh, NHA_BLACKHOLE, 1);
	assert_int_equal(PARSE(sl_nl_parse_nexthop, nlh, &nh), -SL_NL_MALFORMED);
	/* a single IPv4 next hop; an FDB one is unsupported */
	nhm.nh_family = AF_INET;
	nlh = msg(RTM_NEWNEXTHOP, &nhm, sizeof(nhm));
	mnl_attr_put_u32(nlh, NHA_ID, 7);
	mnl_attr_put(nlh, NHA_GATEWAY, 4, &gw);
	mnl_attr_put_u32(nlh, NHA_OIF, 3);
	assert_int_equal(PARSE(sl_nl_parse_nexthop, nlh, &nh), 0);
	assert_true(nh.has_gw);
	assert_memory_equal(nh.gw, &gw, 4);
	assert_int_equal(nh.ifindex, 3);
	mnl_attr_put(nlh, NHA_FDB, 0, NULL);
	assert_int_equal(PARSE(sl_nl_parse_nexthop, nlh, &nh), 0);
	assert_true(nh.unsupported);
	nhm.nh_family = AF_BRIDGE;
	nlh = msg(RTM_NEWNEXTHOP, &nhm, sizeof(nhm));
	mnl_attr_put_u32(nlh, NHA_ID, 7);
	assert_int_equal(PARSE(sl_nl_parse_nexthop, nlh, &nh), -SL_NL_WRONG_FAMILY);
}

/* ---- corruption --------------------------------------------------------------------- */

/* Random bytes over valid messages of each kind: every outcome is a return
 * code, never a read past the message (ASan builds) or a crash. */
static void
test_random_corruption_never_reads_past_the_message(void **state)
{
	union {
		struct sl_nl_route r;
		struct sl_nl_link l;
		struct sl_nl_addr a;
		struct sl_nl_neigh n;
		struct sl_nl_nexthop h;
	} out;
	int (*const fns[])(const struct nlmsghdr *, void *) = {
		(int (*)(const struct nlmsghdr *, void *))sl_nl_parse_route,
		(int (*)(const struct nlmsghdr *, void *))sl_nl_parse_link,
		(int (*)(const struct nlmsghdr *, void *))sl_nl_parse_addr,
		(int (*)(const struct nlmsghdr *, void *))sl_nl_parse_neigh,
		(int (*)(const struct nlmsghdr *, void *))sl_nl_parse_nexthop,
	};
	unsigned int counts[SL_NL_REASON_MAX] = { 0 };
	uint32_t seed = 12345;

	(void)state;
	for (unsigned int it = 0; it < 200000; it++) {
		struct nlmsghdr *nlh = route_msg(AF_INET, 24);
		uint32_t gw = htonl(0x0a000202), len;
		struct nlattr *mp;
		int rc;

		mnl_attr_put_u32(nlh, RTA_TABLE, 100);
		mnl_attr_put(nlh, RTA_GATEWAY, 4, &gw);
		mp = mnl_attr_nest_start(nlh, RTA_MULTIPATH);
		put_rtnh(nlh, AF_INET, (uint8_t *)&gw, 2, 1);
		put_rtnh(nlh, AF_INET, (uint8_t *)&gw, 3, 0);
		mnl_attr_nest_end(nlh, mp);
		len = nlh->nlmsg_len;
		for (int k = 0; k < 1 + (int)(seed % 4); k++) {
			seed = seed * 1103515245 + 12345;
			((uint8_t *)nlh)[MNL_NLMSG_HDRLEN + (seed >> 8) % (len - MNL_NLMSG_HDRLEN)] =
				(uint8_t)(seed >> 16);
		}
		seed = seed * 1103515245 + 12345;
		if (seed % 3 == 0)	/* and sometimes a shorter message */
			nlh->nlmsg_len = MNL_NLMSG_HDRLEN + (seed >> 8) % (len - MNL_NLMSG_HDRLEN);
		rc = parse_exact(fns[it % (sizeof(fns) / sizeof(fns[0]))], nlh, &out);
		assert_true(rc <= 0 && -rc < SL_NL_REASON_MAX);
		counts[-rc]++;
	}
	/* Both outcomes happen: the test does reach the checks. */
	assert_true(counts[SL_NL_OK] > 0);
	assert_true(counts[SL_NL_MALFORMED] > 0);
}

static void
test_reason_names(void **state)
{
	(void)state;
	assert_string_equal(sl_nl_reason_name(-SL_NL_MALFORMED), "malformed");
	assert_string_equal(sl_nl_reason_name(SL_NL_NOT_HOST_IF), "not_host_if");
	assert_string_equal(sl_nl_reason_name(SL_NL_REASON_MAX + 3), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route_v4_single_hop),
		cmocka_unit_test(test_route_v6_multipath),
		cmocka_unit_test(test_route_too_many_hops_is_unsupported_not_overflowed),
		cmocka_unit_test(test_route_truncated_header_and_attributes),
		cmocka_unit_test(test_route_wrong_lengths_and_values),
		cmocka_unit_test(test_route_unknown_attributes_skipped_and_counted),
		cmocka_unit_test(test_route_wrong_family_and_unsupported),
		cmocka_unit_test(test_link),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_neigh),
		cmocka_unit_test(test_nexthop),
		cmocka_unit_test(test_random_corruption_never_reads_past_the_message),
		cmocka_unit_test(test_reason_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
