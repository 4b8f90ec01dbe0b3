/* SPDX-License-Identifier: BSD-3-Clause */
/* The one commit path of the control thread: persist the running config, then
 * build and publish the datapath snapshot. A failure leaves the old state. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctrl/config/config.h"
#include "dataplane/snapshot.h"
#include "dataplane/worker.h"
#include "drivers/port.h"
#include "pipelines/l2/l2.h"
#include "pipelines/l3/l3.h"

int8_t sl_dp_busy_poll = -1;
bool sl_dp_busy_poll_default;

rte_spinlock_t sl_txq_locks[RTE_MAX_ETHPORTS][SL_MAX_WORKERS];

/* Worker -> tx queue of a port. Normally worker w sends on its own queue w.
 * When the peer disabled some (a guest with fewer queue pairs than there are
 * workers), a worker without a queue borrows enabled queue w mod n, and every
 * worker on a shared queue takes its lock (as OVS does with fewer tx queues
 * than PMD threads). */
static void
txq_map(const struct sl_port *p, struct sl_dp_port *dp)
{
	uint8_t on[SL_MAX_WORKERS], users[SL_MAX_WORKERS] = { 0 };
	unsigned int n = 0;

	for (unsigned int q = 0; q < p->nb_txq && q < SL_MAX_WORKERS; q++)
		if (!((p->txq_off >> q) & 1))
			on[n++] = q;
	dp->txq_none = n == 0;
	dp->txq_locked = 0;
	if (n == 0)
		return;
	for (unsigned int w = 0; w < sl_n_workers; w++) {
		bool own = w < p->nb_txq && !((p->txq_off >> w) & 1);

		dp->txq[w] = own ? w : on[w % n];
		users[dp->txq[w]]++;
	}
	for (unsigned int w = 0; w < sl_n_workers; w++)
		if (users[dp->txq[w]] > 1)
			dp->txq_locked |= UINT64_C(1) << w;
}

/* Build a snapshot from the port table. With hold_moved, rx queues whose
 * worker changes since the last publish are left out, and *moved says if
 * there were any. */
static struct sl_snapshot *
build(bool hold_moved, bool *moved)
{
	struct sl_snapshot *s = sl_snapshot_alloc(sl_n_workers);

	if (s == NULL)
		return NULL;
	s->busy_poll = sl_dp_busy_poll >= 0 ? sl_dp_busy_poll : sl_dp_busy_poll_default;
	sl_l2_snapshot_fill(s);
	sl_l3_snapshot_fill(s);
	for (unsigned int i = 0; i < SL_MAX_PORTS; i++) {
		const struct sl_port *p = &sl_ports[i];

		if (!p->used)
			continue;
		s->ports[p->port_id].active = p->link_up;
		s->ports[p->port_id].tx_multiseg = p->tx_multiseg;
		txq_map(p, &s->ports[p->port_id]);
		/* A guest refills its rx ring in bursts; OVS retries vhost tx 8x. */
		s->ports[p->port_id].tx_retries = p->opts.vhost ? 8 : 0;
		if (p->link_up)
			s->active_mask |= UINT64_C(1) << p->port_id;
		/* Set even while the peer is out of the datapath (MTU change):
		 * the xconnect stage then drops, it never falls back to bridging. */
		if (p->xc >= 0)
			s->ports[p->port_id].out_port = sl_ports[p->xc].port_id;
		for (uint16_t q = 0; q < p->nb_rxq; q++) {
			int w = p->rxq_worker[q];
			struct sl_dp_wconf *wc;

			/* Disabled by the peer (vhost vring): not polled. */
			if (w < 0 || (unsigned int)w >= sl_n_workers || p->rxq_off[q])
				continue;
			if (hold_moved && p->rxq_pub[q] >= 0 && p->rxq_pub[q] != w) {
				*moved = true;
				continue;
			}
			wc = &s->workers[w];
			if (wc->n_rxq == SL_MAX_RXQ_PER_WORKER)
				continue;
			wc->rxq[wc->n_rxq].port_id = p->port_id;
			wc->rxq[wc->n_rxq].queue = q;
			wc->n_rxq++;
		}
	}
	return s;
}

int
sl_dp_publish(void)
{
	struct sl_snapshot *s;
	bool moved = false;

	SL_ASSERT_CTRL();
	/* Phase 1: a queue moving from worker A to B is first taken from A;
	 * once a grace period proves A stopped polling it, phase 2 gives it to
	 * B. rx_burst on one queue from two lcores at once is undefined. */
	s = build(true, &moved);
	if (s == NULL)
		return -ENOMEM;
	if (moved) {
		sl_snapshot_publish(s);
		s = build(false, &moved);
		if (s == NULL)
			return -ENOMEM;
	}
	sl_snapshot_publish(s);
	for (unsigned int i = 0; i < SL_MAX_PORTS; i++) {
		struct sl_port *p = &sl_ports[i];

		for (uint16_t q = 0; q < SL_MAX_RXQ; q++)
			p->rxq_pub[q] = p->used && q < p->nb_rxq ? p->rxq_worker[q] : -1;
	}
	return 0;
}

int
sl_dp_commit(char *err)
{
	int rc;

	SL_ASSERT_CTRL();
	rc = sl_config_persist();
	if (rc < 0) {
		snprintf(err, SL_ERR_MAX, "cannot persist config to %s: %s", sl_config_path(),
			strerror(-rc));
		return rc;
	}
	/* While replaying the config, nothing is published line by line: a port
	 * must not forward with half its config (e.g. in the default VLAN before
	 * its own VLAN line). The caller publishes once at the end. */
	if (sl_config_replaying())
		return 0;
	rc = sl_dp_publish();
	if (rc < 0)
		snprintf(err, SL_ERR_MAX, "cannot publish datapath snapshot: %s", strerror(-rc));
	return rc;
}
