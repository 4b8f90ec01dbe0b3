/* SPDX-License-Identifier: BSD-3-Clause */
/* Daemon-wide commands: version, workers, stats, drops, busy-poll, config. */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_version.h>

#include "ctrl/cli/cli.h"
#include "ctrl/config/config.h"
#include "dataplane/rcu.h"
#include "dataplane/snapshot.h"
#include "dataplane/worker.h"
#include "drivers/port.h"

static time_t start_time;

RTE_INIT(core_start_time)
{
	start_time = time(NULL);
}

static int
no_args(struct sl_cli_ctx *c, int argc, int want, const char *usage)
{
	if (argc != want)
		return sl_cli_error(c, EINVAL, "usage: %s", usage);
	return 0;
}

static int
cmd_version(struct sl_cli_ctx *c, int argc, char **argv)
{
	RTE_SET_USED(argv);
	if (no_args(c, argc, 2, "show version"))
		return -EINVAL;
	c->result = json_pack("{s:s, s:s, s:i, s:I, s:i, s:I}", "version", SL_VERSION,
		"dpdk", rte_version(), "workers", sl_n_workers,
		"uptime_s", (json_int_t)(time(NULL) - start_time), "pid", (int)getpid(),
		"tsc_hz", (json_int_t)rte_get_tsc_hz());
	return 0;
}

static json_t *
drops_json(const struct sl_worker_stats *st)
{
	json_t *o = json_object();

	for (unsigned int r = 0; r < SL_DROP_MAX; r++)
		json_object_set_new(o, sl_drop_names[r], json_integer((json_int_t)st->drops[r]));
	return o;
}

static uint64_t
drops_total(const struct sl_worker_stats *st)
{
	uint64_t t = 0;

	for (unsigned int r = 0; r < SL_DROP_MAX; r++)
		t += st->drops[r];
	return t;
}

static int
cmd_workers(struct sl_cli_ctx *c, int argc, char **argv)
{
	const struct sl_snapshot *s = sl_snapshot_get();

	RTE_SET_USED(argv);
	if (no_args(c, argc, 2, "show workers"))
		return -EINVAL;
	c->result = json_array();
	for (unsigned int w = 0; w < sl_n_workers; w++) {
		struct sl_worker_stats st;
		json_t *rxqs = json_array();

		sl_worker_read(w, &st);
		/* The control thread is the only writer of snapshots: reading the
		 * current one here needs no grace period. */
		for (uint16_t i = 0; s != NULL && i < s->workers[w].n_rxq; i++) {
			const struct sl_dp_rxq *q = &s->workers[w].rxq[i];
			const char *name = "?";

			for (unsigned int p = 0; p < SL_MAX_PORTS; p++)
				if (sl_ports[p].used && sl_ports[p].port_id == q->port_id)
					name = sl_ports[p].name;
			json_array_append_new(rxqs, json_pack("{s:s, s:i}", "port", name,
				"queue", q->queue));
		}
		json_array_append_new(c->result, json_pack(
			"{s:i, s:i, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:b}",
			"worker", w, "lcore", sl_workers[w]->lcore, "rx_queues", rxqs,
			"rx_packets", (json_int_t)st.rx_packets,
			"tx_packets", (json_int_t)st.tx_packets,
			"drops", (json_int_t)drops_total(&st), "bursts", (json_int_t)st.bursts,
			"loops", (json_int_t)st.loops, "busy_cycles", (json_int_t)st.busy_cycles,
			"idle_cycles", (json_int_t)st.idle_cycles,
			"cycles_per_packet", st.rx_packets ?
				(double)st.busy_cycles / st.rx_packets : 0.0,
			"max_loop_us", st.loop_max_cycles * 1e6 / rte_get_tsc_hz(),
			"sleeping", __atomic_load_n(&sl_workers[w]->sleeping, __ATOMIC_RELAXED)));
	}
	return 0;
}

static int
cmd_stats(struct sl_cli_ctx *c, int argc, char **argv)
{
	const struct sl_rcu_stats *rs = sl_rcu_stats();
	double us_per_cycle = 1e6 / rte_get_tsc_hz();
	struct sl_worker_stats st;
	json_t *ports = json_array();

	RTE_SET_USED(argv);
	if (no_args(c, argc, 2, "show stats"))
		return -EINVAL;
	sl_workers_sum(&st);
	for (unsigned int i = 0; i < SL_MAX_PORTS; i++) {
		json_t *pj, *o;

		if (!sl_ports[i].used)
			continue;
		pj = sl_port_json(&sl_ports[i], false);
		o = json_pack("{s:s}", "name", sl_ports[i].name);
		json_object_update(o, json_object_get(pj, "stats"));
		json_decref(pj);
		json_array_append_new(ports, o);
	}
	c->result = json_pack("{s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:{s:I, s:I, s:f, s:f}}",
		"rx_packets", (json_int_t)st.rx_packets, "tx_packets", (json_int_t)st.tx_packets,
		"punted", (json_int_t)st.punted, "injected", (json_int_t)st.injected,
		"icmp_limited", (json_int_t)st.icmp_limited,
		"drops", drops_json(&st), "ports", ports,
		"rcu", "publishes", (json_int_t)rs->publishes,
		"grace_periods", (json_int_t)rs->grace_periods,
		"max_grace_us", rs->max_cycles * us_per_cycle,
		"avg_grace_us", rs->grace_periods ?
			rs->total_cycles * us_per_cycle / rs->grace_periods : 0.0);
	return 0;
}

static int
cmd_drops(struct sl_cli_ctx *c, int argc, char **argv)
{
	struct sl_worker_stats st;

	RTE_SET_USED(argv);
	if (no_args(c, argc, 2, "show drops"))
		return -EINVAL;
	sl_workers_sum(&st);
	c->result = drops_json(&st);
	return 0;
}

static int
cmd_stats_clear(struct sl_cli_ctx *c, int argc, char **argv)
{
	RTE_SET_USED(argv);
	if (no_args(c, argc, 2, "stats clear"))
		return -EINVAL;
	sl_workers_clear();
	for (unsigned int i = 0; i < SL_MAX_PORTS; i++)
		if (sl_ports[i].used) {
			rte_eth_stats_reset(sl_ports[i].port_id);
			rte_eth_xstats_reset(sl_ports[i].port_id);
		}
	return 0;
}

static int
cmd_busy_poll(struct sl_cli_ctx *c, int argc, char **argv)
{
	int8_t old = sl_dp_busy_poll;
	int rc;

	if (argc != 3 || (strcmp(argv[2], "on") && strcmp(argv[2], "off")))
		return sl_cli_error(c, EINVAL, "usage: set busy-poll on|off");
	sl_dp_busy_poll = strcmp(argv[2], "on") == 0;
	rc = sl_dp_commit(c->err);
	if (rc < 0)
		sl_dp_busy_poll = old;
	return rc;
}

static void
render_globals(json_t *lines)
{
	/* "off" is worth a line only against a start-up default of on. */
	if (sl_dp_busy_poll == 1)
		json_array_append_new(lines, json_string("set busy-poll on"));
	else if (sl_dp_busy_poll == 0 && sl_dp_busy_poll_default)
		json_array_append_new(lines, json_string("set busy-poll off"));
}
SL_CONFIG_SECTION("globals", 0, render_globals)

static int
cmd_config_show(struct sl_cli_ctx *c, int argc, char **argv)
{
	RTE_SET_USED(argv);
	if (no_args(c, argc, 2, "config show"))
		return -EINVAL;
	c->result = sl_config_lines();
	return 0;
}

static int
cmd_config_save(struct sl_cli_ctx *c, int argc, char **argv)
{
	json_t *lines;
	int rc;

	RTE_SET_USED(argv);
	if (no_args(c, argc, 2, "config save"))
		return -EINVAL;
	rc = sl_config_persist();
	if (rc < 0)
		return sl_cli_error(c, -rc, "cannot write %s: %s", sl_config_path(),
			strerror(-rc));
	lines = sl_config_lines();
	c->result = json_pack("{s:s, s:I}", "path", sl_config_path(),
		"lines", (json_int_t)json_array_size(lines));
	json_decref(lines);
	return 0;
}

static int
cmd_memory(struct sl_cli_ctx *c, int argc, char **argv)
{
	json_t *heaps = json_array();

	RTE_SET_USED(argv);
	if (no_args(c, argc, 2, "show memory"))
		return -EINVAL;
	for (unsigned int s = 0; s < rte_socket_count(); s++) {
		struct rte_malloc_socket_stats st;
		int sock = rte_socket_id_by_idx(s);

		if (rte_malloc_get_socket_stats(sock, &st) < 0)
			continue;
		json_array_append_new(heaps, json_pack("{s:i, s:I, s:I, s:I}", "socket", sock,
			"heap_bytes", (json_int_t)st.heap_totalsz_bytes,
			"allocated_bytes", (json_int_t)st.heap_allocsz_bytes,
			"free_bytes", (json_int_t)st.heap_freesz_bytes));
	}
	c->result = json_pack("{s:o}", "heaps", heaps);
	return 0;
}

static const struct sl_cli_cmd core_cmds[] = {
	{ "show memory", "show memory",
		"DPDK heap use per NUMA socket (hugepage memory: FDB, mbufs, rings, snapshots).",
		cmd_memory },
	{ "show version", "show version", "Sluice and DPDK versions, workers, uptime, pid, TSC rate.",
		cmd_version },
	{ "show workers", "show workers",
		"Per worker: lcore, rx queues polled, packets, bursts, busy/idle cycles, "
		"cycles per packet.", cmd_workers },
	{ "show stats", "show stats",
		"Totals, drops by reason, per-port counters, RCU grace-period times.", cmd_stats },
	{ "show drops", "show drops", "Dropped packets by reason, summed over workers.",
		cmd_drops },
	{ "stats clear", "stats clear", "Start counters again from zero.", cmd_stats_clear },
	{ "set busy-poll", "set busy-poll on|off",
		"on: workers never sleep when idle (benchmarks); off: back off when idle.",
		cmd_busy_poll },
	{ "config show", "config show", "The running config as command lines.",
		cmd_config_show },
	{ "config save", "config save",
		"Write the running config file again (it is also written after every change).",
		cmd_config_save },
};
SL_CLI_COMMANDS(core_cmds)
