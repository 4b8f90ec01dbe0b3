/* SPDX-License-Identifier: BSD-3-Clause */
/* Every reason a worker drops a packet, as one X-macro list: it generates the
 * enum and the names `show drops` prints. Adding a reason is one line. */
#ifndef SL_DROP_REASONS_H
#define SL_DROP_REASONS_H

#define SL_DROP_REASONS(X) \
	X(NO_OUTPUT, "no-output")		/* port neither switched nor cross-connected */ \
	X(TX_FULL, "tx-full")			/* egress queue full */ \
	X(TRUNCATED, "truncated")		/* shorter than its Ethernet/802.1Q header */ \
	X(MTU_EXCEEDED, "mtu-exceeded")		/* larger than the ingress or egress MTU */ \
	X(VLAN_NOT_ALLOWED, "vlan-not-allowed")	/* tagged VLAN not a member of the port */ \
	X(UNTAGGED_NOT_ALLOWED, "untagged-no-native")	/* untagged on a trunk without native VLAN */ \
	X(SAME_PORT, "ingress-port-is-egress")	/* FDB says the destination is behind the ingress port */ \
	X(EGRESS_NOT_IN_VLAN, "egress-not-in-vlan")	/* FDB entry on a port outside the VLAN */ \
	X(FLOOD_OFF, "unknown-unicast-flood-off")	/* unknown unicast in a VLAN with flooding off */ \
	X(FLOOD_EMPTY, "flood-no-members")	/* no other member port in the VLAN */ \
	X(NO_MBUF, "no-mbuf")			/* no buffer for a flood copy */ \
	X(LINK_DOWN, "link-down")		/* egress port down (guest gone) */ \
	X(TXQ_DISABLED, "txq-disabled")		/* worker's tx queue disabled by the guest */ \
	X(IP_TRUNCATED, "ip-truncated")		/* shorter than its IPv4/IPv6 header */ \
	X(IP_BAD_VERSION, "ip-bad-version")	/* IP version does not match the ethertype */ \
	X(IP_BAD_IHL, "ip-bad-ihl")		/* IPv4 header length < 20 or past the frame */ \
	X(IP_BAD_LENGTH, "ip-bad-length")	/* IP total/payload length past the frame */ \
	X(IP_BAD_CHECKSUM, "ip-bad-checksum")	/* IPv4 header checksum wrong */ \
	X(L3_UNSUPPORTED, "l3-unsupported")	/* to the router MAC, not IPv4/IPv6/ARP */ \
	X(NOT_ROUTER_MAC, "not-router-mac")	/* unicast on a routed port, not to its MAC */ \
	X(NO_ROUTE, "no-route")			/* no route (ICMP unreachable sent, rate-limited) */ \
	X(ROUTE_BLACKHOLE, "route-blackhole")	/* blackhole route */ \
	X(ROUTE_UNREACHABLE, "route-unreachable")	/* unreachable route (ICMP sent) */ \
	X(ROUTE_PROHIBIT, "route-prohibit")	/* prohibit route (ICMP sent) */ \
	X(TTL_EXCEEDED, "ttl-exceeded")		/* TTL/hop limit expired (ICMP sent) */ \
	X(FRAG_NEEDED, "fragmentation-needed")	/* larger than the egress MTU (ICMP sent; no fragmentation) */ \
	X(PUNT_FULL, "punt-queue-full")		/* control thread's queue full (ARP, ND, to the router) */ \
	X(PUNT_LIMITED, "punt-rate-limited")	/* next hop resolving: over the worker's punt budget */ \
	X(MARTIAN, "martian")			/* source/destination no router forwards (RFC 1812 5.3.7, RFC 4291) */

enum sl_drop {
#define X(e, s) SL_DROP_##e,
	SL_DROP_REASONS(X)
#undef X
	SL_DROP_MAX
};

extern const char *const sl_drop_names[SL_DROP_MAX];

#endif
