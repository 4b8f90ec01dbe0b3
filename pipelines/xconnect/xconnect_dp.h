/* SPDX-License-Identifier: BSD-3-Clause */
/* Cross-connect stage: every frame received on a port leaves through its
 * configured peer. The patch-panel mode NFV users and benchmarks rely on. */
#ifndef SL_XCONNECT_DP_H
#define SL_XCONNECT_DP_H

#include <rte_mbuf.h>

#include "dataplane/drop_reasons.h"
#include "dataplane/snapshot.h"
#include "dataplane/worker.h"

/* worker, RCU reader: fill next[]/drop[] for a burst received on in_port. */
static inline void
sl_xconnect_burst(const struct sl_snapshot *s, uint16_t in_port, uint16_t n, uint16_t *next,
	uint8_t *drop)
{
	uint16_t out = s->ports[in_port].out_port;

	if (out != SL_PORT_NONE && !s->ports[out].active)
		out = SL_PORT_NONE;
	for (uint16_t i = 0; i < n; i++) {
		next[i] = out;
		drop[i] = SL_DROP_NO_OUTPUT;
	}
}

#endif
