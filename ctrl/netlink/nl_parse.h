/* SPDX-License-Identifier: BSD-3-Clause */
/* rtnetlink message parser of the netlink mirror (private to ctrl/netlink and
 * its unit test): one kernel message in, a checked plain struct out. Pure
 * functions, no state, no DPDK: anything the kernel (or a forged message) can
 * put in a buffer is bounds-checked here, so the mirror never reads raw bytes. */
#ifndef SL_NL_PARSE_H
#define SL_NL_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/netlink.h>

#define SL_NL_NH_MAX 16		/* next hops of one route (SL_ECMP_MAX) */
#define SL_NL_IFNAMSIZ 16

/* Why an object is not mirrored: `show netlink` counts each reason. The
 * parser returns the negated value; the mirror adds the others. */
#define SL_NL_REASONS(X) \
	X(MALFORMED, "malformed") \
	X(WRONG_FAMILY, "wrong_family") \
	X(UNSUPPORTED, "unsupported") \
	X(UNKNOWN_TABLE, "unknown_table") \
	X(NOT_HOST_IF, "not_host_if") \
	X(GATEWAY_UNREACHABLE, "gateway_unreachable") \
	X(INTERFACE_ROUTE, "interface_route") \
	X(CONFLICT, "conflict") \
	X(INSTALL_FAILED, "install_failed")

enum sl_nl_reason {
	SL_NL_OK = 0,
#define X(n, s) SL_NL_##n,
	SL_NL_REASONS(X)
#undef X
	SL_NL_REASON_MAX
};

const char *sl_nl_reason_name(int reason);

/* One next hop of a route: gateway (family AF_INET/AF_INET6, 0: none) and
 * device (0: none); weight 1-256 (rtnh_hops + 1). */
struct sl_nl_nh {
	uint8_t family;
	uint8_t gw[16];
	uint8_t flags;		/* RTNH_F_* */
	uint16_t weight;
	uint32_t ifindex;
};

struct sl_nl_route {
	uint16_t msg_type;	/* RTM_NEWROUTE / RTM_DELROUTE */
	uint16_t msg_flags;	/* NLM_F_* */
	uint8_t family;		/* AF_INET / AF_INET6 */
	uint8_t dst_len;
	uint8_t tos;
	uint8_t type;		/* RTN_* */
	uint8_t protocol;	/* RTPROT_* */
	uint8_t scope;
	uint32_t flags;		/* RTM_F_* */
	uint32_t table;		/* RTA_TABLE, else rtm_table */
	uint32_t priority;	/* RTA_PRIORITY (metric), 0 if absent */
	uint32_t nh_id;		/* RTA_NH_ID, 0 if absent */
	uint8_t dst[16];	/* RTA_DST (zero for the default route) */
	unsigned int n_nh;	/* from RTA_GATEWAY/RTA_VIA/RTA_OIF or RTA_MULTIPATH */
	struct sl_nl_nh nh[SL_NL_NH_MAX];
	/* Well formed, but not something Sluice can forward as the kernel
	 * would (encapsulation, a via of another family, a source prefix,
	 * more than SL_NL_NH_MAX hops): the key fields are valid, so a route
	 * replaced by such a one is withdrawn rather than kept stale. */
	bool unsupported;
	unsigned int unknown_attrs;
};

struct sl_nl_link {
	uint16_t msg_type;
	uint32_t ifindex;
	uint32_t flags;		/* IFF_* */
	uint32_t mtu;		/* 0 if absent */
	bool has_mac;
	uint8_t mac[6];
	char name[SL_NL_IFNAMSIZ];	/* "" if absent */
	unsigned int unknown_attrs;
};

struct sl_nl_addr {
	uint16_t msg_type;
	uint8_t family;
	uint8_t prefixlen;
	uint32_t flags;		/* IFA_F_* (IFA_FLAGS over ifa_flags) */
	uint32_t ifindex;
	uint8_t addr[16];	/* IFA_LOCAL, else IFA_ADDRESS */
	unsigned int unknown_attrs;
};

struct sl_nl_neigh {
	uint16_t msg_type;
	uint8_t family;
	uint8_t flags;		/* NTF_* */
	uint16_t state;		/* NUD_* */
	uint32_t ifindex;
	uint8_t dst[16];
	bool has_lladdr;
	uint8_t lladdr[6];
	unsigned int unknown_attrs;
};

struct sl_nl_nexthop {
	uint16_t msg_type;
	uint32_t id;
	uint8_t family;		/* of the gateway; AF_UNSPEC for groups and blackholes */
	bool blackhole;
	bool has_gw;
	uint8_t gw[16];
	uint32_t ifindex;
	unsigned int n_grp;	/* members of a group (0: a single next hop) */
	struct {
		uint32_t id;
		uint16_t weight;	/* 1-256 */
	} grp[SL_NL_NH_MAX];
	bool unsupported;	/* FDB or encap next hop, or a group too large */
	unsigned int unknown_attrs;
};

/* Each returns 0 or -SL_NL_<reason>; the struct is filled on 0 only. They
 * check that the message holds its fixed header, that every attribute lies
 * within the message with the length its type needs (a short or overlong one
 * is MALFORMED, never read past) and the family (WRONG_FAMILY). What the
 * mirror cannot express sets the unsupported flag of routes and next hops
 * instead, so that their keys still withdraw what they replace.
 * Attribute types the headers do not know are skipped and counted in
 * unknown_attrs: a newer kernel adds attributes all the time. */
int sl_nl_parse_route(const struct nlmsghdr *nlh, struct sl_nl_route *r);
int sl_nl_parse_link(const struct nlmsghdr *nlh, struct sl_nl_link *l);
int sl_nl_parse_addr(const struct nlmsghdr *nlh, struct sl_nl_addr *a);
int sl_nl_parse_neigh(const struct nlmsghdr *nlh, struct sl_nl_neigh *n);
int sl_nl_parse_nexthop(const struct nlmsghdr *nlh, struct sl_nl_nexthop *nh);

#endif
