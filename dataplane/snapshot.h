/* SPDX-License-Identifier: BSD-3-Clause */
/* The immutable datapath snapshot: ports, their forwarding config and the rx
 * queue assignment. Built by the control thread, replaced whole through RCU. */
#ifndef SL_SNAPSHOT_H
#define SL_SNAPSHOT_H

#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_spinlock.h>

#include "dataplane/sluice.h"

_Static_assert(RTE_MAX_ETHPORTS <= 64, "VLAN member masks are 64-bit");

enum sl_vlan_mode {
	SL_VLAN_MODE_NONE = 0,	/* not switched */
	SL_VLAN_MODE_ACCESS,	/* untagged (or priority-tagged) frames, one VLAN */
	SL_VLAN_MODE_TRUNK,	/* tagged frames of allowed VLANs, optional native */
};

struct sl_dp_port {
	uint16_t out_port;	/* cross-connect peer (ethdev id) or SL_PORT_NONE */
	uint8_t active;		/* port may be transmitted to (in use, link up) */
	uint8_t mode;		/* enum sl_vlan_mode */
	uint16_t pvid;		/* access VLAN or trunk native VLAN; 0: none */
	uint16_t max_len;	/* largest untagged frame: MTU + Ethernet header */
	uint8_t tx_multiseg;	/* takes chained mbufs (header-only flood copies) */
	uint64_t txq_locked;	/* bit per worker whose tx queue is shared: lock it */
	uint8_t txq_none;	/* no tx queue enabled by the peer */
	uint8_t tx_retries;	/* immediate tx retries when the queue is full */
	uint8_t txq[SL_MAX_WORKERS];	/* tx queue each worker sends on */
	uint16_t l3_iface;	/* routed port: its router interface + 1; 0: none */
};

/* Locks of tx queues that several workers share (only when a peer, e.g. a
 * guest, enabled fewer queues than there are workers). */
extern rte_spinlock_t sl_txq_locks[RTE_MAX_ETHPORTS][SL_MAX_WORKERS];

/* Bit i of members/tagged is ethdev port i (RTE_MAX_ETHPORTS <= 64). */
struct sl_dp_vlan {
	uint64_t members;
	uint64_t tagged;	/* members that send this VLAN tagged */
	uint8_t flood_unknown;	/* flood unknown unicast (default on) */
	uint16_t l3_iface;	/* VLAN interface (frames to its MAC are routed) + 1 */
};

#define SL_DP_IFACE_MAX 256	/* router interfaces */

/* A router interface as the datapath sees it. */
struct sl_dp_iface {
	struct rte_ether_addr mac;	/* router MAC: destination of routed frames */
	uint16_t vrf;
	uint16_t port;		/* routed port (ethdev id); SL_PORT_NONE: VLAN interface */
	uint16_t vlan;		/* VLAN interface: its bridge VLAN; 0: routed port */
	uint16_t mtu;		/* largest IP packet sent out of it */
	uint8_t used;
};

#define SL_VLAN_COUNT 4096

struct sl_dp_rxq {
	uint16_t port_id;
	uint16_t queue;
};

struct sl_dp_wconf {
	uint16_t n_rxq;
	struct sl_dp_rxq rxq[SL_MAX_RXQ_PER_WORKER];
};

struct sl_snapshot {
	uint64_t gen;
	uint16_t burst;
	uint8_t busy_poll;
	unsigned int n_workers;
	uint64_t active_mask;	/* bit per ethdev port that may be sent to */
	struct sl_dp_port ports[RTE_MAX_ETHPORTS];
	struct sl_dp_vlan vlans[SL_VLAN_COUNT];
	struct sl_dp_iface ifaces[SL_DP_IFACE_MAX];
	struct sl_dp_wconf workers[];	/* n_workers entries */
};

/* The snapshot in force. Workers load it with acquire once per poll loop and
 * drop the reference at their quiescent-state report. */
extern struct sl_snapshot *sl_snapshot_cur;

static inline const struct sl_snapshot *
sl_snapshot_get(void)
{
	/* acquire: pairs with the release in sl_snapshot_publish() so the
	 * snapshot's contents are visible before its pointer. */
	return __atomic_load_n(&sl_snapshot_cur, __ATOMIC_ACQUIRE);
}

/* ctrl thread: allocate a zeroed snapshot for n_workers workers. */
struct sl_snapshot *sl_snapshot_alloc(unsigned int n_workers);

/* ctrl thread: make s current, wait a grace period, free the previous one. */
void sl_snapshot_publish(struct sl_snapshot *s);

#endif
