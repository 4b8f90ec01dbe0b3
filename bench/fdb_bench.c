/* SPDX-License-Identifier: BSD-3-Clause */
/* FDB micro-benchmark: learn rate, bulk lookup rate and flush rate of the
 * real FDB code (pipelines/l2/fdb_ctl.c) at a given table size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_hash.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "dataplane/rcu.h"
#include "dataplane/worker.h"
#include "drivers/port.h"
#include "pipelines/l2/l2.h"
#include "pipelines/l2/l2_dp.h"

RTE_LOG_REGISTER_DEFAULT(sl_logtype, INFO);

static uint64_t
mac_key(uint32_t i)
{
	struct rte_ether_addr mac = { .addr_bytes = { 0x02, 0, (uint8_t)(i >> 24),
		(uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i } };

	return sl_fdb_key(10, &mac);
}

int
main(int argc, char **argv)
{
	uint32_t n = 1u << 20, lookups = 1u << 24;
	uint64_t *keys, t0, hz, hits = 0;
	struct rte_malloc_socket_stats st0, st1;
	const void *kp[64];
	void *data[64];
	int rc = rte_eal_init(argc, argv);

	if (rc < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	argc -= rc;
	argv += rc;
	if (argc > 1)
		n = strtoul(argv[1], NULL, 0);
	hz = rte_get_tsc_hz();
	rte_malloc_get_socket_stats(0, &st0);
	sl_fdb_max_entries = n + n / 8;	/* headroom: cuckoo tables refuse near 100% */
	if (sl_rcu_init(1) < 0 || sl_l2_init() < 0) {
		fprintf(stderr, "FDB init failed (memory?)\n");
		return 1;
	}
	rte_malloc_get_socket_stats(0, &st1);
	/* One fake port so learn events are accepted. */
	sl_ports[0].used = true;
	sl_ports[0].port_id = 0;
	sl_l2_port_added(0);		/* access VLAN 1 ... */
	sl_l2_ports[0].pvid = 10;	/* ... moved to the VLAN of the keys */

	keys = malloc(sizeof(*keys) * n);
	for (uint32_t i = 0; i < n; i++)
		keys[i] = mac_key(i);

	t0 = rte_rdtsc();
	for (uint32_t i = 0; i < n; i++)
		sl_fdb_learn(keys[i], 0);
	double learn_s = (double)(rte_rdtsc() - t0) / hz;

	/* Random keys over the whole table (cache-cold), then over a working
	 * set of 1024 keys (what a 1,024-flow benchmark touches). */
	double rate[2], cyc[2];

	for (int ws = 0; ws < 2; ws++) {
		uint32_t span = ws ? RTE_MIN(n, 1024u) : n;

		t0 = rte_rdtsc();
		for (uint32_t i = 0; i < lookups; i += 32) {
			uint64_t hm = 0, k[32];

			for (int j = 0; j < 32; j++) {
				k[j] = keys[rte_rand() % span];
				kp[j] = &k[j];
			}
			rte_hash_lookup_bulk_data(sl_fdb_hash, kp, 32, &hm, data);
			hits += __builtin_popcountll(hm);
		}
		cyc[ws] = (double)(rte_rdtsc() - t0) / lookups;
		rate[ws] = hz / cyc[ws] / 1e6;
	}
	t0 = rte_rdtsc();
	unsigned int flushed = sl_fdb_flush(0, SL_PORT_NONE, true);
	double flush_s = (double)(rte_rdtsc() - t0) / hz;

	printf("fdb entries:        %u (capacity %u)\n", n, sl_fdb_max_entries);
	printf("memory:             %.1f MiB (%.1f bytes/entry of capacity)\n",
		(st1.heap_allocsz_bytes - st0.heap_allocsz_bytes) / 1048576.0,
		(double)(st1.heap_allocsz_bytes - st0.heap_allocsz_bytes) / sl_fdb_max_entries);
	printf("learn:              %.2f M events/s (control thread)\n", n / learn_s / 1e6);
	printf("bulk lookup (32), random over all: %.1f M lookups/s, %.1f cycles/lookup\n",
		rate[0], cyc[0]);
	printf("bulk lookup (32), 1024-key set:    %.1f M lookups/s, %.1f cycles/lookup\n",
		rate[1], cyc[1]);
	printf("hits:               %.4f\n", (double)hits / (2.0 * lookups));
	printf("flush:              %u entries in %.3f s\n", flushed, flush_s);
	free(keys);
	sl_l2_fini();
	rte_eal_cleanup();
	return hits == 2ull * lookups ? 0 : 2;
}
