/* SPDX-License-Identifier: BSD-3-Clause */
/* vhost-user ports over DPDK's net_vhost PMD (control thread). The PMD is
 * chosen over raw rte_vhost: it gives the same ethdev interface as every other
 * port (one datapath, xstats, LSC), reconnect in client mode, multiqueue, and
 * software checksum completion for guests' partial checksums; TSO stays off
 * (tso=0), so a guest never hands us a segment larger than the MTU. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_eth_vhost.h>
#include <rte_vhost.h>

#include "dataplane/worker.h"
#include "drivers/vhost.h"

#define ERR(fmt, ...) snprintf(err, SL_ERR_MAX, fmt, ##__VA_ARGS__)

/* Server mode: a socket file left by a killed sluiced makes the vhost
 * library's bind fail. Nobody listening: remove it. Somebody listening: it
 * is another backend's, refuse. */
static int
stale_socket(const struct sl_port *p, char *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, rc = 0;

	if (stat(p->opts.vhost_path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		ERR("port %s: %s exists and is not a socket", p->name, p->opts.vhost_path);
		return -EEXIST;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", p->opts.vhost_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		ERR("port %s: %s is in use by another vhost-user backend", p->name,
			p->opts.vhost_path);
		rc = -EADDRINUSE;
	} else if (errno == ECONNREFUSED) {
		unlink(p->opts.vhost_path);
	}
	close(fd);
	return rc;
}

int
sl_vhost_devargs(struct sl_port *p, char *err)
{
	const struct sl_port_opts *o = &p->opts;
	char vdev[64];
	int n;

	/* vdev names must be unique and free of devargs syntax: use the
	 * port name with anything but [A-Za-z0-9_] mapped to '_'. */
	n = snprintf(vdev, sizeof(vdev), "net_vhost_%s", p->name);
	for (int i = 10; i < n; i++)
		if (!(vdev[i] == '_' || (vdev[i] >= '0' && vdev[i] <= '9') ||
				(vdev[i] >= 'a' && vdev[i] <= 'z') ||
				(vdev[i] >= 'A' && vdev[i] <= 'Z')))
			vdev[i] = '_';
	if (o->vhost_path[0] != '/' || strchr(o->vhost_path, ',') != NULL) {
		ERR("port %s: vhost-user socket path '%s' must be absolute and without ','",
			p->name, o->vhost_path);
		return -EINVAL;
	}
	if (!o->vhost_client) {
		int rc = stale_socket(p, err);

		if (rc < 0)
			return rc;
	}
	/* Queues count as off until the guest enables them: a guest with one
	 * queue pair never sends "enable" for the others. */
	for (unsigned int q = 0; q < SL_MAX_RXQ; q++)
		p->rxq_off[q] = true;
	p->txq_off = UINT64_MAX;
	n = snprintf(p->devargs, sizeof(p->devargs), "%s,iface=%s,client=%d,queues=%u,tso=0",
		vdev, o->vhost_path, o->vhost_client,
		RTE_MAX(RTE_MAX(o->vhost_queues, o->rxq), (uint16_t)RTE_MAX(sl_n_workers, 1u)));
	return n < (int)sizeof(p->devargs) ? 0 : -ENAMETOOLONG;
}

bool
sl_vhost_queue_events(struct sl_port *p)
{
	struct rte_eth_vhost_queue_event ev;
	bool changed = false;

	while (rte_eth_vhost_get_queue_event(p->port_id, &ev) == 0) {
		if (ev.rx) {
			if (ev.queue_id < SL_MAX_RXQ && p->rxq_off[ev.queue_id] == ev.enable) {
				p->rxq_off[ev.queue_id] = !ev.enable;
				changed = true;
			}
		} else if (ev.queue_id < 64) {
			uint64_t bit = UINT64_C(1) << ev.queue_id;
			uint64_t off = ev.enable ? p->txq_off & ~bit : p->txq_off | bit;

			changed |= off != p->txq_off;
			p->txq_off = off;
		}
		SL_LOG(INFO, "port %s: guest %s %s queue %u", p->name,
			ev.enable ? "enabled" : "disabled", ev.rx ? "rx" : "tx", ev.queue_id);
	}
	return changed;
}

json_t *
sl_vhost_json(const struct sl_port *p)
{
	int vid = rte_eth_vhost_get_vid_from_port_id(p->port_id);
	uint64_t features = 0;
	unsigned int rx_on = 0, tx_on = 0;
	char hex[24];

	for (uint16_t q = 0; q < p->nb_rxq; q++)
		rx_on += !p->rxq_off[q];
	for (uint16_t q = 0; q < p->nb_txq && q < 64; q++)
		tx_on += !((p->txq_off >> q) & 1);
	if (vid >= 0)
		rte_vhost_get_negotiated_features(vid, &features);
	snprintf(hex, sizeof(hex), "0x%" PRIx64, features);
	return json_pack("{s:s, s:s, s:b, s:s, s:b, s:b, s:b, s:i, s:i}",
		"mode", p->opts.vhost_client ? "client" : "server", "path", p->opts.vhost_path,
		"connected", vid >= 0 && p->link_up, "features", hex,
		"mrg_rxbuf", !!(features & (UINT64_C(1) << VIRTIO_NET_F_MRG_RXBUF)),
		"guest_csum", !!(features & (UINT64_C(1) << VIRTIO_NET_F_GUEST_CSUM)),
		"mq", !!(features & (UINT64_C(1) << VIRTIO_NET_F_MQ)),
		"rx_queues_enabled", rx_on, "tx_queues_enabled", tx_on);
}
