/* SPDX-License-Identifier: BSD-3-Clause */
/* vhost-user specifics of ports (control thread): devargs for the net_vhost
 * PMD from `port add NAME vhost-user client|server PATH`, the guest's vring
 * state, and what `show ports` says about the guest. */
#ifndef SL_VHOST_H
#define SL_VHOST_H

#include <jansson.h>

#include "drivers/port.h"

/* Build net_vhost devargs for p (p->name, p->opts) into p->devargs. */
int sl_vhost_devargs(struct sl_port *p, char *err);
/* Drain the PMD's queue enable/disable events into p->rxq_off/txq_off;
 * returns true if anything changed. */
bool sl_vhost_queue_events(struct sl_port *p);
/* Guest view for show ports: connected, features, queues enabled. */
json_t *sl_vhost_json(const struct sl_port *p);

#endif
