/* SPDX-License-Identifier: BSD-3-Clause */
/* rte_telemetry endpoints, so DPDK's own tools (dpdk-telemetry.py) read
 * Sluice's counters. They run on the telemetry thread: they only read
 * worker counters (single writer, relaxed loads), never control-thread tables. */
#include <stdio.h>
#include <string.h>

#include <rte_telemetry.h>

#include "dataplane/worker.h"

static int
tel_drops(const char *cmd, const char *params, struct rte_tel_data *d)
{
	uint64_t sum[SL_DROP_MAX] = { 0 };

	RTE_SET_USED(cmd);
	RTE_SET_USED(params);
	for (unsigned int w = 0; w < sl_n_workers; w++)
		for (unsigned int r = 0; r < SL_DROP_MAX; r++)
			sum[r] += SL_STAT_READ(sl_workers[w]->stats.drops[r]);
	rte_tel_data_start_dict(d);
	for (unsigned int r = 0; r < SL_DROP_MAX; r++) {
		char key[64];

		/* Telemetry names take [A-Za-z0-9_.]: "no-output" -> "no_output". */
		snprintf(key, sizeof(key), "%s", sl_drop_names[r]);
		for (char *p = key; *p; p++)
			if (*p == '-')
				*p = '_';
		rte_tel_data_add_dict_u64(d, key, sum[r]);
	}
	return 0;
}

static int
tel_workers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	RTE_SET_USED(cmd);
	RTE_SET_USED(params);
	rte_tel_data_start_dict(d);
	for (unsigned int w = 0; w < sl_n_workers; w++) {
		const struct sl_worker_stats *s = &sl_workers[w]->stats;
		char key[64];

#define ADD(field) do { \
	snprintf(key, sizeof(key), "w%u_" #field, w); \
	rte_tel_data_add_dict_u64(d, key, SL_STAT_READ(s->field)); \
} while (0)
		ADD(rx_packets);
		ADD(tx_packets);
		ADD(bursts);
		ADD(loops);
		ADD(busy_cycles);
		ADD(idle_cycles);
#undef ADD
	}
	return 0;
}

RTE_INIT(sl_telemetry_register)
{
	rte_telemetry_register_cmd("/sluice/drops", tel_drops,
		"Packets dropped by reason, summed over workers. No parameters");
	rte_telemetry_register_cmd("/sluice/workers", tel_workers,
		"Per-worker packet and cycle counters (raw, since start). No parameters");
}
