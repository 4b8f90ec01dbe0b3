/* SPDX-License-Identifier: BSD-3-Clause */
/* Ports: any DPDK device by devargs, hot-plugged at run time, configured with
 * one tx queue per worker. The control thread owns this table; workers only
 * see what the published snapshot says about a port. */
#ifndef SL_PORT_H
#define SL_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "dataplane/sluice.h"

#define SL_DEVARGS_MAX 1024
#define SL_ERR_MAX 512

struct rte_device;

struct sl_port_opts {
	uint16_t rxq;		/* 0: default (1) */
	uint16_t txq;		/* 0: default (one per worker) */
	uint16_t mtu;		/* 0: driver default */
	/* vhost-user ports (port add NAME vhost-user client|server PATH) */
	bool vhost;
	bool vhost_client;	/* Sluice connects to PATH (QEMU serves it) */
	uint16_t vhost_queues;	/* queue pairs offered to the guest (0: 1) */
	char vhost_path[108];
};

struct sl_port {
	bool used;
	char name[SL_NAME_MAX];
	char devargs[SL_DEVARGS_MAX];
	struct sl_port_opts opts;	/* as the user gave them (persisted) */
	uint16_t port_id;
	uint16_t nb_rxq, nb_txq;
	uint16_t mtu;
	int socket;
	bool link_up;
	bool started;
	bool tx_multiseg;	/* driver takes chained mbufs */
	int xc;				/* cross-connect peer index, -1 none */
	bool rxq_off[SL_MAX_RXQ];	/* disabled by the peer (vhost vring state) */
	uint64_t txq_off;		/* bit per tx queue disabled by the peer */
	int16_t rxq_worker[SL_MAX_RXQ];	/* assignment wanted */
	int16_t rxq_pub[SL_MAX_RXQ];	/* assignment published, -1 none */
	bool rxq_pinned[SL_MAX_RXQ];
	struct rte_device *dev;
};

extern struct sl_port sl_ports[SL_MAX_PORTS];

/* All ctrl thread. Functions return 0 or -errno and, on error, write a
 * message naming the object and the bad value into err (SL_ERR_MAX bytes). */
extern unsigned int sl_mbufs_per_pool;
struct sl_port *sl_port_by_name(const char *name);
/* Index in sl_ports[] of the port on an ethdev id, -1 if none. */
int sl_port_idx_by_id(uint16_t port_id);
/* The mbuf pool of a NUMA socket (created on first use). */
struct rte_mempool *sl_port_pool(int socket);
int sl_port_add(const char *name, const char *devargs, const struct sl_port_opts *o, char *err);
int sl_port_del(struct sl_port *p, char *err);
int sl_port_set_mtu(struct sl_port *p, uint16_t mtu, char *err);
/* worker < 0: unpin (automatic placement). */
int sl_port_pin_rxq(struct sl_port *p, uint16_t q, int worker, char *err);
int sl_port_xconnect(struct sl_port *a, struct sl_port *b, char *err);
int sl_port_xconnect_del(struct sl_port *a, char *err);
/* ctrl thread: port events (link, vhost queue state) flagged by the EAL
 * interrupt thread are handled on the loop; set up once at start. */
int sl_port_events_init(void);
/* Tear every port down (shutdown, reload). */
void sl_ports_del_all(void);
json_t *sl_port_json(const struct sl_port *p, bool detail);

/* Persist the running config, then publish a datapath snapshot built from the
 * port table (two-phase when an rx queue changes worker, so that no queue is
 * ever polled by two workers). */
int sl_dp_commit(char *err);
int sl_dp_publish(void);

/* Datapath knobs: `set busy-poll` (-1: not set, 0 off, 1 on; persisted)
 * over the start-up default (--busy-poll; not persisted). */
extern int8_t sl_dp_busy_poll;
extern bool sl_dp_busy_poll_default;

#endif
