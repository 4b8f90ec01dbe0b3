/* SPDX-License-Identifier: BSD-3-Clause */
/* L3 control plane (control thread): VRFs bound to Linux table ids, router
 * interfaces on ports or VLANs with their addresses, next hops (ECMP groups)
 * and routes, kept in the per-VRF FIB (fib.h). */
#ifndef SL_L3_H
#define SL_L3_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "dataplane/sluice.h"
#include "dataplane/snapshot.h"
#include "pipelines/l3/fib.h"

#define SL_VRF_DEFAULT 0
#define SL_VRF_DEFAULT_TABLE 254	/* Linux "main" */
#define SL_IFACE_MAX SL_DP_IFACE_MAX
#define SL_IFACE_ADDRS 8
#define SL_ECMP_MAX 16

/* An IPv4 or IPv6 address; IPv4 in the first 4 bytes, network order. */
struct sl_ip {
	uint8_t family;		/* AF_INET / AF_INET6 */
	uint8_t a[16];
};

struct sl_ip_prefix {
	struct sl_ip ip;
	uint8_t len;
};

enum sl_nh_type {
	SL_NH_FWD = 1,		/* via a gateway on an interface */
	SL_NH_CONNECTED,	/* destination on the interface's subnet (glean) */
	SL_NH_LOCAL,		/* an address of the router itself */
	SL_NH_BLACKHOLE,	/* drop silently */
	SL_NH_UNREACHABLE,	/* drop, ICMP unreachable */
	SL_NH_PROHIBIT,		/* drop, ICMP administratively prohibited */
	SL_NH_ECMP,		/* group of FWD next hops, flow-hash spread */
};

struct sl_vrf {
	bool used;
	char name[SL_NAME_MAX];
	uint32_t table;		/* Linux routing table id it mirrors */
};

struct sl_iface {
	bool used;
	char name[SL_NAME_MAX];
	int port;		/* index in sl_ports[] */
	uint16_t vlan;		/* 0: routed port (untagged frames) */
	uint16_t vrf;
	uint16_t mtu;		/* 0: the port's MTU */
	bool mac_set;
	struct rte_ether_addr mac;	/* router MAC; default: the port's MAC */
	unsigned int n_addrs;
	struct sl_ip_prefix addrs[SL_IFACE_ADDRS];
	uint8_t addr_kernel;	/* bit per addrs[]: mirrored by netlink, not config */
};

extern struct sl_vrf sl_vrfs[];
extern struct sl_iface sl_ifaces[SL_IFACE_MAX];

/* All ctrl thread; 0 or -errno with a message in err (SL_ERR_MAX bytes). */
int sl_l3_init(void);
void sl_l3_fini(void);
/* Back to an empty default VRF (config reload). */
void sl_l3_reset(void);
int sl_vrf_by_name(const char *name);		/* id or -ENOENT */
int sl_vrf_add(const char *name, uint32_t table, char *err);
int sl_vrf_del(const char *name, char *err);
int sl_iface_by_name(const char *name);		/* index or -ENOENT */
int sl_iface_add(const char *name, int port, uint16_t vlan, uint16_t vrf, char *err);
int sl_iface_del(int idx, char *err);
int sl_iface_addr_add(int idx, const struct sl_ip_prefix *p, char *err);
int sl_iface_addr_del(int idx, const struct sl_ip_prefix *p, char *err);
int sl_iface_set_mtu(int idx, uint16_t mtu, char *err);
int sl_iface_set_mac(int idx, const struct rte_ether_addr *mac, char *err);
/* Index of an interface on the port, -1 if none (a port in use by an
 * interface cannot be deleted). */
int sl_l3_port_in_use(int port);
/* Port torn down (shutdown, reload): its interfaces go too, not persisted. */
void sl_l3_port_removed(int port);
/* Drop the routes of a VRF / through an interface, releasing next hops. */
void sl_routes_release_vrf(uint16_t vrf);
void sl_routes_release_iface(int iface);

struct sl_route_via {
	struct sl_ip gw;
	int iface;		/* -1: resolve through a connected route */
	uint16_t weight;	/* 0: 1 */
};

int sl_route_add_via(uint16_t vrf, const struct sl_ip_prefix *p, const struct sl_route_via *via,
	unsigned int n_via, char *err);
int sl_route_add_special(uint16_t vrf, const struct sl_ip_prefix *p, enum sl_nh_type type,
	char *err);
int sl_route_del(uint16_t vrf, const struct sl_ip_prefix *p, char *err);

/* Parsing and formatting helpers (also used by the commands). */
int sl_ip_parse(const char *s, struct sl_ip *ip);
int sl_prefix_parse(const char *s, struct sl_ip_prefix *p, bool host_bits_ok);
void sl_ip_format(const struct sl_ip *ip, char *buf, size_t len);

/* Kernel mirror (netlink), ctrl thread: routes, addresses and neighbours
 * that come from the kernel are installed like configured ones but never
 * persisted, and never replace configured ones. type: SL_NH_FWD/ECMP (with
 * via), BLACKHOLE, UNREACHABLE, PROHIBIT. Adding an existing prefix
 * replaces it (same next hops: no change a worker could see). */
int sl_l3_kernel_route_add(uint16_t vrf, const struct sl_ip_prefix *p, enum sl_nh_type type,
	const struct sl_route_via *via, unsigned int n_via, char *err);
/* -ENOENT unless the route exists and came from the kernel. */
int sl_l3_kernel_route_del(uint16_t vrf, const struct sl_ip_prefix *p);
/* Every route of the VRF but neighbours' host routes (interface routes
 * included), with its origin; a nonzero return of cb stops the walk. */
int sl_l3_route_walk(uint16_t vrf, int (*cb)(const struct sl_ip_prefix *p, bool kernel,
	void *arg), void *arg);
int sl_l3_kernel_addr(int iface, const struct sl_ip_prefix *p, bool add, char *err);
/* mac NULL: remove (only a kernel-state neighbour). */
int sl_neigh_kernel_set(int iface, const struct sl_ip *ip, const struct rte_ether_addr *mac);

/* Host interface hooks (a TAP paired with a router interface). When set,
 * the frames for the router that Sluice does not handle itself, and a copy
 * of ARP and ND, go to it (as received: l2_len bytes of L2 header, maybe a
 * tag); NULL: they are counted (to_host_unhandled) and freed. */
extern void (*sl_l3_host_rx)(int iface, struct rte_mbuf *m, uint8_t l2_len);
/* A complete untagged frame (from the host) out of interface iface: a VLAN
 * interface finds the port in the FDB or floods, and tags as the port needs. */
void sl_l3_iface_output(int iface, struct rte_mbuf *m);

/* Neighbour hooks (neigh.c <-> l3_ctl.c), ctrl thread. */
void sl_l3_neigh_changed(int iface, const struct sl_ip *ip, const struct rte_ether_addr *mac);
int sl_l3_neigh_route_add(int iface, const struct sl_ip *ip);
void sl_l3_neigh_route_del(int iface, const struct sl_ip *ip);
/* Interface and gateway of a FWD next hop (gw zero for CONNECTED). */
int sl_l3_nh_target(uint32_t nh, int *iface, struct sl_ip *gw);
bool sl_l3_iface_addr_is(int iface, const struct sl_ip *ip);
void sl_l3_snapshot_fill(struct sl_snapshot *s);

/* Neighbours (neigh.c), ctrl thread. */
int sl_neigh_init(void);
void sl_neigh_fini(void);
/* MAC of a resolved neighbour: 0 or -ENOENT. */
int sl_neigh_lookup(int iface, const struct sl_ip *ip, struct rte_ether_addr *mac);
/* Start resolving ip on iface (no-op if known or in progress). */
void sl_neigh_resolve(int iface, const struct sl_ip *ip);
void sl_neigh_iface_removed(int iface);
int sl_neigh_add_static(int iface, const struct sl_ip *ip, const struct rte_ether_addr *mac,
	char *err);
int sl_neigh_del(int iface, const struct sl_ip *ip, char *err);
json_t *sl_neigh_json(int iface);	/* -1: all */
json_t *sl_l3_stats_json(void);

json_t *sl_vrfs_json(void);
json_t *sl_ifaces_json(void);
json_t *sl_routes_json(int vrf);	/* -1: all VRFs */
json_t *sl_route_lookup_json(uint16_t vrf, const struct sl_ip *addr);

#endif
