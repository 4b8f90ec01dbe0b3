/* SPDX-License-Identifier: BSD-3-Clause */
/* Port table of the control thread: hot-plug (rte_dev_probe / rte_dev_remove),
 * ethdev configuration, rx queue placement on workers, cross-connects. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "ctrl/cli/cli.h"
#include "ctrl/config/config.h"
#include "ctrl/loop/loop.h"
#include "dataplane/snapshot.h"
#include "dataplane/worker.h"
#include "drivers/port.h"
#include "drivers/vhost.h"
#include "pipelines/l2/l2.h"
#include "pipelines/l3/l3.h"

#define NB_RXD 1024
#define NB_TXD 1024
#define POOL_CACHE 256
#define MTU_MIN 68
#define MTU_MAX 9600

struct sl_port sl_ports[SL_MAX_PORTS];
unsigned int sl_mbufs_per_pool = 32767;
static struct rte_mempool *pools[RTE_MAX_NUMA_NODES];

#define ERR(fmt, ...) snprintf(err, SL_ERR_MAX, fmt, ##__VA_ARGS__)

static int on_eth_event(uint16_t port_id, enum rte_eth_event_type type, void *arg, void *ret);

struct sl_port *
sl_port_by_name(const char *name)
{
	for (unsigned int i = 0; i < SL_MAX_PORTS; i++)
		if (sl_ports[i].used && strcmp(sl_ports[i].name, name) == 0)
			return &sl_ports[i];
	return NULL;
}

int
sl_port_idx_by_id(uint16_t pid)
{
	for (unsigned int i = 0; i < SL_MAX_PORTS; i++)
		if (sl_ports[i].used && sl_ports[i].port_id == pid)
			return i;
	return -1;
}

struct rte_mempool *
sl_port_pool(int socket)
{
	char name[RTE_MEMPOOL_NAMESIZE];

	if (socket < 0 || socket >= RTE_MAX_NUMA_NODES)
		socket = 0;
	if (pools[socket] == NULL) {
		snprintf(name, sizeof(name), "sl_mbuf_s%d", socket);
		pools[socket] = rte_pktmbuf_pool_create(name, sl_mbufs_per_pool, POOL_CACHE, 0,
			RTE_MBUF_DEFAULT_BUF_SIZE, socket);
		if (pools[socket] == NULL)
			SL_LOG(ERR, "mbuf pool on socket %d: %s", socket, rte_strerror(rte_errno));
	}
	return pools[socket];
}

/* Least-loaded worker for a new automatically placed rx queue. */
static int
least_loaded_worker(void)
{
	unsigned int load[SL_MAX_WORKERS] = { 0 };
	unsigned int best = 0;

	for (unsigned int i = 0; i < SL_MAX_PORTS; i++) {
		const struct sl_port *p = &sl_ports[i];

		if (!p->used)
			continue;
		for (unsigned int q = 0; q < p->nb_rxq; q++)
			if (p->rxq_worker[q] >= 0)
				load[p->rxq_worker[q]]++;
	}
	for (unsigned int w = 1; w < sl_n_workers; w++)
		if (load[w] < load[best])
			best = w;
	return best;
}

/* Configure and start the ethdev behind p (queues, MTU, RSS). */
static int
port_setup(struct sl_port *p, char *err)
{
	uint16_t nb_rxd = NB_RXD, nb_txd = NB_TXD, pid = p->port_id;
	uint16_t mtu = p->opts.mtu;
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	struct rte_mempool *pool;
	int rc;

	rc = rte_eth_dev_info_get(pid, &info);
	if (rc < 0) {
		ERR("port %s: cannot get device info: %s", p->name, rte_strerror(-rc));
		return rc;
	}
	p->nb_rxq = p->opts.rxq ? p->opts.rxq : p->opts.vhost_queues ? p->opts.vhost_queues : 1;
	/* af_packet spreads received frames over all its qpairs' sockets by
	 * hash: a socket nobody polls loses frames silently. Poll them all. */
	if (!p->opts.rxq && strcmp(info.driver_name, "net_af_packet") == 0)
		p->nb_rxq = RTE_MIN(info.max_rx_queues, (uint16_t)SL_MAX_RXQ);
	p->nb_txq = p->opts.txq ? p->opts.txq : sl_n_workers;
	if (p->nb_txq < sl_n_workers) {
		ERR("port %s: txq %u is fewer than the %u workers (each worker needs its own tx queue)",
			p->name, p->nb_txq, sl_n_workers);
		return -EINVAL;
	}
	if (p->nb_rxq > info.max_rx_queues || p->nb_txq > info.max_tx_queues) {
		ERR("port %s: driver %s offers %u rx / %u tx queues, %u / %u needed "
			"(af_packet: qpairs=N, af_xdp: queue_count=N in devargs)",
			p->name, info.driver_name, info.max_rx_queues, info.max_tx_queues,
			p->nb_rxq, p->nb_txq);
		return -EINVAL;
	}

	memset(&conf, 0, sizeof(conf));
	/* Link changes as events where the driver raises them (vhost: guest
	 * connects and goes away); the 1 s link watch covers the rest. */
	if (*info.dev_flags & RTE_ETH_DEV_INTR_LSC)
		conf.intr_conf.lsc = 1;
	if (p->nb_rxq > 1 && info.flow_type_rss_offloads) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP |
			RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
	}
	if (mtu) {
		if (mtu < RTE_MAX(info.min_mtu, MTU_MIN) || mtu > RTE_MIN(info.max_mtu, MTU_MAX)) {
			ERR("port %s: mtu %u out of range %u-%u for driver %s", p->name, mtu,
				RTE_MAX(info.min_mtu, MTU_MIN), RTE_MIN(info.max_mtu, MTU_MAX),
				info.driver_name);
			return -ERANGE;
		}
		conf.rxmode.mtu = mtu;
		/* Frames larger than one mbuf need scattered rx. */
		if (mtu + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN + 8 >
				RTE_MBUF_DEFAULT_BUF_SIZE - RTE_PKTMBUF_HEADROOM) {
			/* net_vhost chains mbufs for large guest frames on its
			 * own, without advertising the offload. */
			if (!(info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER) &&
					!p->opts.vhost) {
				ERR("port %s: mtu %u needs scattered rx, which driver %s lacks",
					p->name, mtu, info.driver_name);
				return -ENOTSUP;
			}
			if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER)
				conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
			if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
				conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
		}
	}

	/* Flood copies of large frames are a private header segment chained
	 * to the shared payload: ask for multi-segment tx wherever offered. */
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	p->tx_multiseg = !!(info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS);
	rc = rte_eth_dev_configure(pid, p->nb_rxq, p->nb_txq, &conf);
	if (rc < 0) {
		ERR("port %s: configure (%u rxq, %u txq): %s", p->name, p->nb_rxq, p->nb_txq,
			rte_strerror(-rc));
		return rc;
	}
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nb_rxd, &nb_txd);
	if (rc < 0) {
		ERR("port %s: descriptors: %s", p->name, rte_strerror(-rc));
		return rc;
	}
	p->socket = rte_eth_dev_socket_id(pid);
	if (p->socket < 0)
		p->socket = (int)rte_socket_id();
	pool = sl_port_pool(p->socket);
	if (pool == NULL) {
		ERR("port %s: no mbuf pool on socket %d (hugepages?)", p->name, p->socket);
		return -ENOMEM;
	}
	for (uint16_t q = 0; q < p->nb_rxq; q++) {
		rc = rte_eth_rx_queue_setup(pid, q, nb_rxd, p->socket, NULL, pool);
		if (rc < 0) {
			ERR("port %s: rx queue %u: %s", p->name, q, rte_strerror(-rc));
			return rc;
		}
	}
	for (uint16_t q = 0; q < p->nb_txq; q++) {
		rc = rte_eth_tx_queue_setup(pid, q, nb_txd, p->socket, NULL);
		if (rc < 0) {
			ERR("port %s: tx queue %u: %s", p->name, q, rte_strerror(-rc));
			return rc;
		}
	}
	/* A switch port sees every frame; drivers without the knob are fine. */
	rc = rte_eth_promiscuous_enable(pid);
	if (rc < 0 && rc != -ENOTSUP)
		SL_LOG(WARNING, "port %s: promiscuous mode: %s", p->name, rte_strerror(-rc));
	rc = rte_eth_dev_start(pid);
	if (rc < 0) {
		ERR("port %s: start: %s", p->name, rte_strerror(-rc));
		return rc;
	}
	p->started = true;
	if (rte_eth_dev_get_mtu(pid, &p->mtu) < 0)
		p->mtu = mtu ? mtu : RTE_ETHER_MTU;
	return 0;
}

static void
port_stop(struct sl_port *p)
{
	int rc;

	if (!p->started)
		return;
	rc = rte_eth_dev_stop(p->port_id);
	if (rc < 0)
		SL_LOG(WARNING, "port %s: stop: %s", p->name, rte_strerror(-rc));
	p->started = false;
}

static void
port_teardown(struct sl_port *p)
{
	port_stop(p);
	/* rte_dev_remove closes every port of the device and detaches it, so
	 * the same devargs can be attached again later. */
	if (p->dev == NULL || rte_dev_remove(p->dev) < 0)
		rte_eth_dev_close(p->port_id);
}

/* The ethdev port a devargs string produced (first match not already ours). */
static int
find_port(const char *devargs, uint16_t *out)
{
	struct rte_dev_iterator it;
	uint16_t pid;
	int found = 0;

	RTE_ETH_FOREACH_MATCHING_DEV(pid, devargs, &it) {
		if (!found && sl_port_idx_by_id(pid) < 0) {
			*out = pid;
			found = 1;
		}
	}
	return found ? 0 : -ENODEV;
}

int
sl_port_add(const char *name, const char *devargs, const struct sl_port_opts *o, char *err)
{
	struct rte_eth_dev_info info;
	struct sl_port *p = NULL;
	int rc;

	SL_ASSERT_CTRL();
	if (!sl_name_valid(name)) {
		ERR("invalid port name '%s' (1-31 of A-Z a-z 0-9 _ . : -)", name);
		return -EINVAL;
	}
	/* "del" would make "port xconnect del X" ambiguous on replay. */
	if (strcmp(name, "del") == 0) {
		ERR("invalid port name '%s': reserved word", name);
		return -EINVAL;
	}
	if (sl_port_by_name(name) != NULL) {
		ERR("port %s: already exists", name);
		return -EEXIST;
	}
	if (!o->vhost && (devargs[0] == '\0' || strlen(devargs) >= SL_DEVARGS_MAX)) {
		ERR("port %s: devargs empty or longer than %d bytes", name, SL_DEVARGS_MAX - 1);
		return -EINVAL;
	}
	if (o->rxq > SL_MAX_RXQ) {
		ERR("port %s: rxq %u out of range 1-%d", name, o->rxq, SL_MAX_RXQ);
		return -ERANGE;
	}
	for (unsigned int i = 0; i < SL_MAX_PORTS; i++)
		if (!sl_ports[i].used) {
			p = &sl_ports[i];
			break;
		}
	if (p == NULL) {
		ERR("port %s: too many ports (max %d)", name, SL_MAX_PORTS);
		return -ENOSPC;
	}

	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->devargs, sizeof(p->devargs), "%s", devargs);
	p->opts = *o;
	p->xc = -1;
	if (o->vhost) {
		rc = sl_vhost_devargs(p, err);
		if (rc < 0)
			return rc;
		devargs = p->devargs;
	}

	rc = rte_dev_probe(devargs);
	if (rc < 0 && rc != -EEXIST) {
		/* EAL answers an unknown driver or a malformed devargs with
		 * EINVAL/ENODEV/EFAULT ("Bad address"): say what to check. */
		if (rc == -EINVAL || rc == -ENODEV || rc == -EFAULT || rc == -ENOTSUP)
			ERR("port %s: cannot attach '%.200s': no driver accepted it (check the "
				"devargs, the device, and that the PMD package is installed)",
				name, devargs);
		else
			ERR("port %s: cannot attach '%.200s': %s", name, devargs, rte_strerror(-rc));
		return rc;
	}
	/* -EEXIST: probed already (EAL --vdev/-a at start-up): adopt it if no
	 * port of ours uses it. */
	if (find_port(devargs, &p->port_id) < 0) {
		ERR("port %s: '%.200s' %s", name, devargs, rc == -EEXIST ?
			"is already in use by another port" :
			"created no free ethdev port (already used by another port?)");
		return -EEXIST;
	}
	if (rte_eth_dev_info_get(p->port_id, &info) == 0)
		p->dev = info.device;
	/* Per port, at every add: a port id released and allocated again
	 * (port del/add, reload) has lost the callbacks registered before. */
	rte_eth_dev_callback_register(p->port_id, RTE_ETH_EVENT_INTR_LSC, on_eth_event, NULL);
	rte_eth_dev_callback_register(p->port_id, RTE_ETH_EVENT_QUEUE_STATE, on_eth_event, NULL);

	rc = port_setup(p, err);
	if (rc < 0)
		goto err_remove;
	for (uint16_t q = 0; q < SL_MAX_RXQ; q++)
		p->rxq_worker[q] = p->rxq_pub[q] = -1;
	{
		struct rte_eth_link link;

		if (rte_eth_link_get_nowait(p->port_id, &link) == 0)
			p->link_up = link.link_status == RTE_ETH_LINK_UP;
	}
	p->used = true;	/* before placement: least_loaded_worker counts it */
	sl_l2_port_added(p - sl_ports);
	for (uint16_t q = 0; q < p->nb_rxq; q++)
		p->rxq_worker[q] = least_loaded_worker();
	rc = sl_dp_commit(err);
	if (rc < 0) {
		p->used = false;
		goto err_remove;
	}
	SL_LOG(INFO, "port %s: attached %s as ethdev %u (%u rxq, %u txq)", name, devargs,
		p->port_id, p->nb_rxq, p->nb_txq);
	return 0;

err_remove:
	port_teardown(p);
	return rc;
}

/* Take a port out of the datapath: after this no worker polls or sends
 * to it (a grace period has passed). */
static void
port_unpublish(struct sl_port *p)
{
	if (sl_config_replaying())
		return;		/* nothing of the replay is published yet */
	p->used = false;
	sl_dp_publish();
	p->used = true;
}

int
sl_port_del(struct sl_port *p, char *err)
{
	int peer = p->xc, rc, ifc;

	SL_ASSERT_CTRL();
	ifc = sl_l3_port_in_use(p - sl_ports);
	if (ifc >= 0) {
		ERR("port %s: interface %s uses it (interface del %s first)", p->name,
			sl_ifaces[ifc].name, sl_ifaces[ifc].name);
		return -EBUSY;
	}
	p->used = false;
	if (peer >= 0)
		sl_ports[peer].xc = -1;
	rc = sl_dp_commit(err);
	if (rc < 0) {
		p->used = true;
		if (peer >= 0)
			sl_ports[peer].xc = p - sl_ports;
		return rc;
	}
	sl_l2_port_removed(p - sl_ports, p->port_id);
	port_teardown(p);
	SL_LOG(INFO, "port %s: removed", p->name);
	return 0;
}

void
sl_ports_del_all(void)
{
	bool was_used[SL_MAX_PORTS];

	SL_ASSERT_CTRL();
	for (unsigned int i = 0; i < SL_MAX_PORTS; i++) {
		was_used[i] = sl_ports[i].used;
		sl_ports[i].used = false;
		sl_ports[i].xc = -1;
	}
	sl_dp_publish();
	for (unsigned int i = 0; i < SL_MAX_PORTS; i++)
		if (was_used[i]) {
			sl_l3_port_removed(i);
			sl_l2_port_removed(i, sl_ports[i].port_id);
			port_teardown(&sl_ports[i]);
		}
}

int
sl_port_set_mtu(struct sl_port *p, uint16_t mtu, char *err)
{
	struct sl_port_opts old = p->opts;
	int rc;

	SL_ASSERT_CTRL();
	/* Stop the port out of the datapath, reconfigure, put it back: works
	 * on every PMD (many refuse MTU changes while started), other ports
	 * keep forwarding. */
	port_unpublish(p);
	port_stop(p);
	p->opts.mtu = mtu;
	rc = port_setup(p, err);
	if (rc < 0) {
		char err2[SL_ERR_MAX];

		p->opts = old;
		port_stop(p);
		if (port_setup(p, err2) < 0)
			SL_LOG(ERR, "port %s: cannot restore config: %s", p->name, err2);
		sl_dp_publish();
		return rc;
	}
	rc = sl_dp_commit(err);
	if (rc < 0)
		p->opts = old;	/* running with the new MTU, config says old */
	return rc;
}

int
sl_port_pin_rxq(struct sl_port *p, uint16_t q, int worker, char *err)
{
	int16_t old_w = p->rxq_worker[q];
	bool old_pin = p->rxq_pinned[q];
	int rc;

	SL_ASSERT_CTRL();
	if (q >= p->nb_rxq) {
		ERR("port %s: rxq %u out of range 0-%u", p->name, q, p->nb_rxq - 1);
		return -ERANGE;
	}
	if (worker >= (int)sl_n_workers) {
		ERR("port %s: worker %d out of range 0-%u", p->name, worker, sl_n_workers - 1);
		return -ERANGE;
	}
	if (worker >= 0) {
		p->rxq_worker[q] = worker;
		p->rxq_pinned[q] = true;
	} else {
		p->rxq_pinned[q] = false;
		p->rxq_worker[q] = -1;
		p->rxq_worker[q] = least_loaded_worker();
	}
	rc = sl_dp_commit(err);
	if (rc < 0) {
		p->rxq_worker[q] = old_w;
		p->rxq_pinned[q] = old_pin;
	}
	return rc;
}

int
sl_port_xconnect(struct sl_port *a, struct sl_port *b, char *err)
{
	int rc;

	SL_ASSERT_CTRL();
	if (a == b) {
		ERR("port %s: cannot cross-connect a port to itself", a->name);
		return -EINVAL;
	}
	if (a->xc == b - sl_ports && b->xc == a - sl_ports)
		return 0;
	if (a->xc >= 0 || b->xc >= 0) {
		struct sl_port *busy = a->xc >= 0 ? a : b;

		ERR("port %s: already cross-connected to %s (port xconnect del %s first)",
			busy->name, sl_ports[busy->xc].name, busy->name);
		return -EBUSY;
	}
	a->xc = b - sl_ports;
	b->xc = a - sl_ports;
	rc = sl_dp_commit(err);
	if (rc < 0)
		a->xc = b->xc = -1;
	return rc;
}

int
sl_port_xconnect_del(struct sl_port *a, char *err)
{
	int peer = a->xc, rc;

	SL_ASSERT_CTRL();
	if (peer < 0) {
		ERR("port %s: not cross-connected", a->name);
		return -ENOENT;
	}
	a->xc = sl_ports[peer].xc = -1;
	rc = sl_dp_commit(err);
	if (rc < 0) {
		a->xc = peer;
		sl_ports[peer].xc = a - sl_ports;
	}
	return rc;
}

static json_t *
port_stats_json(uint16_t pid)
{
	struct rte_eth_stats st;

	if (rte_eth_stats_get(pid, &st) < 0)
		memset(&st, 0, sizeof(st));
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		"ipackets", (json_int_t)st.ipackets, "opackets", (json_int_t)st.opackets,
		"ibytes", (json_int_t)st.ibytes, "obytes", (json_int_t)st.obytes,
		"imissed", (json_int_t)st.imissed, "ierrors", (json_int_t)st.ierrors,
		"oerrors", (json_int_t)st.oerrors, "rx_nombuf", (json_int_t)st.rx_nombuf);
}

static json_t *
port_xstats_json(uint16_t pid)
{
	json_t *o = json_object();
	int n = rte_eth_xstats_get_names(pid, NULL, 0);
	struct rte_eth_xstat_name *names;
	struct rte_eth_xstat *vals;

	if (n <= 0)
		return o;
	names = calloc(n, sizeof(*names));
	vals = calloc(n, sizeof(*vals));
	if (names != NULL && vals != NULL && rte_eth_xstats_get_names(pid, names, n) == n &&
			rte_eth_xstats_get(pid, vals, n) == n)
		for (int i = 0; i < n; i++)
			json_object_set_new(o, names[vals[i].id].name,
				json_integer((json_int_t)vals[i].value));
	free(names);
	free(vals);
	return o;
}

json_t *
sl_port_json(const struct sl_port *p, bool detail)
{
	struct rte_eth_dev_info info;
	struct rte_eth_link link;
	struct rte_ether_addr mac;
	char macs[RTE_ETHER_ADDR_FMT_SIZE] = "";
	json_t *o, *rxqs = json_array();

	if (rte_eth_dev_info_get(p->port_id, &info) < 0)
		info.driver_name = "?";
	memset(&link, 0, sizeof(link));
	rte_eth_link_get_nowait(p->port_id, &link);
	if (rte_eth_macaddr_get(p->port_id, &mac) == 0)
		sl_mac_format(macs, sizeof(macs), &mac);
	for (uint16_t q = 0; q < p->nb_rxq; q++)
		json_array_append_new(rxqs, json_pack("{s:i, s:i, s:b}", "queue", q,
			"worker", p->rxq_worker[q], "pinned", p->rxq_pinned[q]));
	o = json_pack("{s:s, s:s, s:i, s:s, s:s, s:{s:b, s:I, s:s}, s:i, s:i, s:i, s:i, s:o, s:o, s:o}",
		"name", p->name, "devargs", p->devargs, "port_id", p->port_id,
		"driver", info.driver_name, "mac", macs,
		"link", "up", link.link_status == RTE_ETH_LINK_UP,
		"speed_mbps", (json_int_t)link.link_speed,
		"duplex", link.link_duplex == RTE_ETH_LINK_FULL_DUPLEX ? "full" : "half",
		"mtu", p->mtu, "rxq", p->nb_rxq, "txq", p->nb_txq, "socket", p->socket,
		"xconnect", p->xc >= 0 ? json_string(sl_ports[p->xc].name) : json_null(),
		"rx_queues", rxqs, "stats", port_stats_json(p->port_id));
	if (o != NULL && p->opts.vhost)
		json_object_set_new(o, "vhost", sl_vhost_json(p));
	if (detail && o != NULL) {
		const struct sl_snapshot *s = sl_snapshot_get();
		json_t *tq = json_array();

		/* What each worker sent on which tx queue: drops and retries. */
		for (unsigned int w = 0; w < sl_n_workers; w++)
			json_array_append_new(tq, json_pack("{s:i, s:i, s:I, s:I}", "worker", w,
				"queue", s->ports[p->port_id].txq[w],
				"drops", (json_int_t)SL_STAT_READ(sl_workers[w]->port_tx_drops[p->port_id]),
				"retries",
				(json_int_t)SL_STAT_READ(sl_workers[w]->port_tx_retries[p->port_id])));
		json_object_set_new(o, "tx_queues", tq);
		json_object_set_new(o, "xstats", port_xstats_json(p->port_id));
	}
	return o;
}

/* Running config of the port module. */
static void
render_ports(json_t *lines)
{
	char buf[SL_DEVARGS_MAX + 128];

	for (unsigned int i = 0; i < SL_MAX_PORTS; i++) {
		const struct sl_port *p = &sl_ports[i];
		int n;

		if (!p->used)
			continue;
		if (p->opts.vhost) {
			n = snprintf(buf, sizeof(buf), "port add %s vhost-user %s %s", p->name,
				p->opts.vhost_client ? "client" : "server", p->opts.vhost_path);
			if (p->opts.vhost_queues)
				n += snprintf(buf + n, sizeof(buf) - n, " queues %u",
					p->opts.vhost_queues);
		} else {
			n = snprintf(buf, sizeof(buf), "port add %s %s", p->name, p->devargs);
		}
		if (p->opts.rxq)
			n += snprintf(buf + n, sizeof(buf) - n, " rxq %u", p->opts.rxq);
		if (p->opts.txq)
			n += snprintf(buf + n, sizeof(buf) - n, " txq %u", p->opts.txq);
		if (p->opts.mtu)
			snprintf(buf + n, sizeof(buf) - n, " mtu %u", p->opts.mtu);
		json_array_append_new(lines, json_string(buf));
	}
	for (unsigned int i = 0; i < SL_MAX_PORTS; i++) {
		const struct sl_port *p = &sl_ports[i];

		if (!p->used)
			continue;
		for (uint16_t q = 0; q < p->nb_rxq; q++)
			if (p->rxq_pinned[q]) {
				snprintf(buf, sizeof(buf), "port set %s rxq %u worker %d", p->name,
					q, p->rxq_worker[q]);
				json_array_append_new(lines, json_string(buf));
			}
	}
	for (unsigned int i = 0; i < SL_MAX_PORTS; i++) {
		const struct sl_port *p = &sl_ports[i];

		if (p->used && p->xc > (int)i) {
			snprintf(buf, sizeof(buf), "port xconnect %s %s", p->name,
				sl_ports[p->xc].name);
			json_array_append_new(lines, json_string(buf));
		}
	}
}
SL_CONFIG_SECTION("ports", 10, render_ports)

/* Returns true if the link changed. A port whose link is down is not sent
 * to (left out of the snapshot's active mask) and loses its learned MACs. */
static bool
link_refresh(struct sl_port *p)
{
	struct rte_eth_link link;

	if (rte_eth_link_get_nowait(p->port_id, &link) < 0 ||
			(link.link_status == RTE_ETH_LINK_UP) == p->link_up)
		return false;
	p->link_up = link.link_status == RTE_ETH_LINK_UP;
	SL_LOG(INFO, "port %s: link %s", p->name, p->link_up ? "up" : "down");
	if (!p->link_up)
		sl_l2_port_link_down(p->port_id);
	return true;
}

/* The 1 s link watch, for drivers that raise no link events. */
static void
link_watch(void)
{
	bool changed = false;

	for (unsigned int i = 0; i < SL_MAX_PORTS; i++)
		if (sl_ports[i].used)
			changed |= link_refresh(&sl_ports[i]);
	if (changed)
		sl_dp_publish();
}
SL_LOOP_TIMER("link-watch", link_watch)

/* Events from the EAL interrupt thread: it only flags the port and wakes
 * the control loop, which owns the port table. */
static uint64_t event_ports;	/* bit per ethdev port; atomic */
static struct sl_loop_src event_src = { .fd = -1 };

static int
on_eth_event(uint16_t port_id, enum rte_eth_event_type type, void *arg, void *ret)
{
	RTE_SET_USED(type);
	RTE_SET_USED(arg);
	RTE_SET_USED(ret);
	if (port_id < 64)
		__atomic_fetch_or(&event_ports, UINT64_C(1) << port_id, __ATOMIC_RELEASE);
	if (event_src.fd >= 0 && eventfd_write(event_src.fd, 1) < 0)
		return 0;
	return 0;
}

static void
on_event_fd(struct sl_loop_src *src, uint32_t events)
{
	uint64_t n, ports;
	bool changed = false;

	RTE_SET_USED(events);
	if (eventfd_read(src->fd, &n) < 0)
		return;
	ports = __atomic_exchange_n(&event_ports, 0, __ATOMIC_ACQUIRE);
	while (ports) {
		int idx = sl_port_idx_by_id(__builtin_ctzll(ports));

		ports &= ports - 1;
		if (idx < 0)
			continue;
		changed |= link_refresh(&sl_ports[idx]);
		/* Queue state only from the PMD's own transitions: it knows
		 * what a reconnecting guest re-enabled; a port whose link is
		 * down is not sent to anyway. */
		if (sl_ports[idx].opts.vhost)
			changed |= sl_vhost_queue_events(&sl_ports[idx]);
	}
	if (changed)
		sl_dp_publish();
}

int
sl_port_events_init(void)
{
	event_src.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (event_src.fd < 0)
		return -errno;
	event_src.cb = on_event_fd;
	/* Callbacks are registered per port in sl_port_add. */
	return sl_loop_add(&event_src, EPOLLIN);
}
