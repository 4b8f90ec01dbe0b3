/* SPDX-License-Identifier: BSD-3-Clause */
/* L2 VLAN bridge, control-thread API: port VLAN modes, per-VLAN settings,
 * the FDB (static and learned entries, ageing, MAC limits). */
#ifndef SL_L2_H
#define SL_L2_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <rte_ether.h>

#include "dataplane/snapshot.h"

#define SL_FDB_DEFAULT_ENTRIES (1u << 20)
#define SL_AGEING_DEFAULT_S 300

struct sl_l2_port {
	uint8_t mode;			/* enum sl_vlan_mode */
	uint16_t pvid;			/* access VLAN / native VLAN (0: none) */
	uint64_t allowed[SL_VLAN_COUNT / 64];	/* trunk: allowed VLANs */
	uint32_t mac_limit;		/* 0: unlimited */
	uint32_t learned;		/* learned entries on this port */
	uint64_t mac_limit_hits;	/* learn refused by a limit */
};

struct sl_l2_vlan {
	bool flood_off;
};

/* Indexed like sl_ports[]. ctrl thread only. */
extern struct sl_l2_port sl_l2_ports[SL_MAX_PORTS];
extern struct sl_l2_vlan sl_l2_vlans[SL_VLAN_COUNT];

/* ctrl thread, at start-up (after EAL and RCU). */
extern uint32_t sl_fdb_max_entries;
int sl_l2_init(void);
void sl_l2_fini(void);

/* ctrl thread: back to defaults (VLAN settings, ageing, limits, empty FDB),
 * for a config reload. Call with every port removed. */
void sl_l2_reset(void);

/* ctrl thread: port life cycle hooks called by the port module. */
void sl_l2_port_added(unsigned int idx);
void sl_l2_port_removed(unsigned int idx, uint16_t port_id);
void sl_l2_port_link_down(uint16_t port_id);

/* ctrl thread: is port idx a member of the VLAN (per its current mode)? */
bool sl_l2_port_in_vlan(unsigned int idx, uint16_t vlan);

/* ctrl thread: contribute the L2 view of the ports to a snapshot. */
void sl_l2_snapshot_fill(struct sl_snapshot *s);

/* All ctrl thread; 0 or -errno with a message in err (SL_ERR_MAX). */
int sl_l2_port_set_access(unsigned int idx, uint16_t vlan, char *err);
int sl_l2_port_set_trunk(unsigned int idx, const uint64_t *allowed, uint16_t native, char *err);
int sl_l2_port_set_none(unsigned int idx, char *err);
int sl_l2_port_set_mac_limit(unsigned int idx, uint32_t limit, char *err);
int sl_l2_vlan_set_flood(uint16_t vlan, bool on, char *err);
int sl_l2_set_ageing(uint32_t seconds, char *err);
int sl_l2_set_global_mac_limit(uint32_t limit, char *err);

int sl_fdb_add_static(uint16_t vlan, const struct rte_ether_addr *mac, uint16_t port_id,
	char *err);
int sl_fdb_del(uint16_t vlan, const struct rte_ether_addr *mac, char *err);
/* vlan 0 / port SL_PORT_NONE: any. Returns the number of entries removed. */
unsigned int sl_fdb_flush(uint16_t vlan, uint16_t port_id, bool include_static);
/* Apply one learn/move event (what draining a learn ring does per event);
 * key as built by sl_fdb_key(). */
void sl_fdb_learn(uint64_t key, uint16_t port_id);
/* Drain workers' learn rings (fast ctrl tick). */
void sl_fdb_learn_drain(void);
json_t *sl_fdb_json(uint16_t vlan, uint16_t port_id, size_t limit);
json_t *sl_fdb_stats_json(void);
/* Entries at or past this index were never used. */
uint32_t sl_fdb_scan_limit(void);
uint32_t sl_l2_ageing(void);
uint32_t sl_l2_global_mac_limit(void);

/* Parse "1,2,10-20" into a VLAN bitmap (VLANs 1-4094). */
int sl_vlan_list_parse(const char *s, uint64_t *bitmap, char *err);
/* Render a bitmap as "1,2,10-20". */
void sl_vlan_list_format(const uint64_t *bitmap, char *buf, size_t len);

#endif
