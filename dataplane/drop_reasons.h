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
	X(TXQ_DISABLED, "txq-disabled")		/* worker's tx queue disabled by the guest */

enum sl_drop {
#define X(e, s) SL_DROP_##e,
	SL_DROP_REASONS(X)
#undef X
	SL_DROP_MAX
};

extern const char *const sl_drop_names[SL_DROP_MAX];

#endif
