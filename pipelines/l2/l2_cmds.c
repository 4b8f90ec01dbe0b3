/* SPDX-License-Identifier: BSD-3-Clause */
/* L2 bridge commands: port VLAN modes, VLAN settings, FDB, views. */
#include <errno.h>
#include <string.h>

#include "ctrl/cli/cli.h"
#include "ctrl/config/config.h"
#include "dataplane/worker.h"
#include "drivers/port.h"
#include "pipelines/l2/l2.h"

static int
port_idx_arg(struct sl_cli_ctx *c, const char *name)
{
	struct sl_port *p = sl_port_by_name(name);

	if (p == NULL)
		return sl_cli_error(c, ENOENT, "port %s: no such port", name);
	return p - sl_ports;
}

static int
vlan_arg(struct sl_cli_ctx *c, const char *what, const char *s, uint16_t *out)
{
	uint32_t v;
	int rc = sl_parse_u32(s, 1, 4094, &v);

	if (rc == -ERANGE)
		return sl_cli_error(c, ERANGE, "%s: vlan %s out of range 1-4094", what, s);
	if (rc < 0)
		return sl_cli_error(c, EINVAL, "%s: vlan '%s' is not a number (1-4094)", what, s);
	*out = v;
	return 0;
}

static int
mac_arg(struct sl_cli_ctx *c, const char *s, struct rte_ether_addr *mac)
{
	if (strlen(s) != 17 || rte_ether_unformat_addr(s, mac) < 0)
		return sl_cli_error(c, EINVAL, "fdb: bad MAC '%s' (xx:xx:xx:xx:xx:xx)", s);
	return 0;
}

/* port set NAME vlan access V | trunk LIST [native V] | none */
static int
cmd_port_vlan(struct sl_cli_ctx *c, int argc, char **argv)
{
	static const char usage[] =
		"usage: port set NAME vlan access V | trunk LIST|none [native V] | none";
	uint64_t allowed[SL_VLAN_COUNT / 64] = { 0 };
	char what[SL_NAME_MAX + 8];
	uint16_t vlan = 0, native = 0;
	int idx, rc;

	if (argc < 5)
		return sl_cli_error(c, EINVAL, usage);
	idx = port_idx_arg(c, argv[2]);
	if (idx < 0)
		return idx;
	if (strcmp(argv[4], "none") == 0 && argc == 5)
		return sl_l2_port_set_none(idx, c->err);
	snprintf(what, sizeof(what), "port %s", argv[2]);
	if (strcmp(argv[4], "access") == 0 && argc == 6) {
		rc = vlan_arg(c, what, argv[5], &vlan);
		return rc ? rc : sl_l2_port_set_access(idx, vlan, c->err);
	}
	if (strcmp(argv[4], "trunk") == 0 && (argc == 6 || argc == 8)) {
		if (strcmp(argv[5], "none") != 0) {
			char err[SL_ERR_MAX];

			rc = sl_vlan_list_parse(argv[5], allowed, err);
			if (rc < 0)
				return sl_cli_error(c, -rc, "%s: %s", what, err);
		}
		if (argc == 8) {
			if (strcmp(argv[6], "native") != 0)
				return sl_cli_error(c, EINVAL, usage);
			rc = vlan_arg(c, what, argv[7], &native);
			if (rc < 0)
				return rc;
		}
		return sl_l2_port_set_trunk(idx, allowed, native, c->err);
	}
	return sl_cli_error(c, EINVAL, usage);
}

static int
cmd_port_mac_limit(struct sl_cli_ctx *c, int argc, char **argv)
{
	uint32_t n;
	int idx;

	if (argc != 5)
		return sl_cli_error(c, EINVAL, "usage: port set NAME mac-limit N");
	idx = port_idx_arg(c, argv[2]);
	if (idx < 0)
		return idx;
	if (sl_parse_u32(argv[4], 0, 16777216, &n) < 0)
		return sl_cli_error(c, EINVAL, "port %s: mac-limit '%s' not a number in 0-16777216",
			argv[2], argv[4]);
	return sl_l2_port_set_mac_limit(idx, n, c->err);
}

static int
cmd_vlan_flood(struct sl_cli_ctx *c, int argc, char **argv)
{
	uint16_t vlan = 0;
	int rc;

	if (argc != 5 || strcmp(argv[3], "flood") != 0 ||
			(strcmp(argv[4], "on") && strcmp(argv[4], "off")))
		return sl_cli_error(c, EINVAL, "usage: vlan set V flood on|off");
	rc = vlan_arg(c, "vlan", argv[2], &vlan);
	return rc ? rc : sl_l2_vlan_set_flood(vlan, strcmp(argv[4], "on") == 0, c->err);
}

static int
cmd_bridge_set(struct sl_cli_ctx *c, int argc, char **argv)
{
	uint32_t v, old;
	bool ageing;
	int rc;

	if (argc != 4 || (strcmp(argv[2], "ageing") && strcmp(argv[2], "mac-limit")))
		return sl_cli_error(c, EINVAL, "usage: bridge set ageing S | mac-limit N");
	ageing = strcmp(argv[2], "ageing") == 0;
	if (sl_parse_u32(argv[3], 0, ageing ? 86400 * 365 : 16777216, &v) < 0)
		return sl_cli_error(c, EINVAL, "bridge: %s '%s' not a number in 0-%u", argv[2],
			argv[3], ageing ? 86400 * 365 : 16777216);
	old = ageing ? sl_l2_ageing() : sl_l2_global_mac_limit();
	rc = ageing ? sl_l2_set_ageing(v, c->err) : sl_l2_set_global_mac_limit(v, c->err);
	if (rc == 0)
		rc = sl_dp_commit(c->err);
	if (rc < 0) {
		if (ageing)
			sl_l2_set_ageing(old, c->err);
		else
			sl_l2_set_global_mac_limit(old, c->err);
	}
	return rc;
}

static int
cmd_fdb_add(struct sl_cli_ctx *c, int argc, char **argv)
{
	struct rte_ether_addr mac;
	uint16_t vlan = 0;
	int idx, rc;

	if (argc != 5)
		return sl_cli_error(c, EINVAL, "usage: fdb add VLAN MAC PORT");
	if (vlan_arg(c, "fdb", argv[2], &vlan) < 0 || mac_arg(c, argv[3], &mac) < 0)
		return -EINVAL;
	idx = port_idx_arg(c, argv[4]);
	if (idx < 0)
		return idx;
	if (!sl_l2_port_in_vlan(idx, vlan))
		return sl_cli_error(c, EINVAL, "fdb: port %s is not a member of vlan %u", argv[4],
			vlan);
	rc = sl_fdb_add_static(vlan, &mac, sl_ports[idx].port_id, c->err);
	if (rc == 0) {
		rc = sl_dp_commit(c->err);
		if (rc < 0) {
			char e2[SL_ERR_MAX];

			sl_fdb_del(vlan, &mac, e2);
		}
	}
	return rc;
}

static int
cmd_fdb_del(struct sl_cli_ctx *c, int argc, char **argv)
{
	struct rte_ether_addr mac;
	uint16_t vlan = 0;
	int rc;

	if (argc != 4)
		return sl_cli_error(c, EINVAL, "usage: fdb del VLAN MAC");
	if (vlan_arg(c, "fdb", argv[2], &vlan) < 0 || mac_arg(c, argv[3], &mac) < 0)
		return -EINVAL;
	rc = sl_fdb_del(vlan, &mac, c->err);
	return rc ? rc : sl_dp_commit(c->err);
}

/* Parses optional "vlan V" / "port P" / "limit N" pairs from argv[first]. */
static int
filter_args(struct sl_cli_ctx *c, int argc, char **argv, int first, uint16_t *vlan,
	uint16_t *port, uint32_t *limit, const char *usage)
{
	*vlan = 0;
	*port = SL_PORT_NONE;
	if ((argc - first) % 2)
		return sl_cli_error(c, EINVAL, "usage: %s", usage);
	for (int i = first; i < argc; i += 2) {
		if (strcmp(argv[i], "vlan") == 0) {
			if (vlan_arg(c, "fdb", argv[i + 1], vlan) < 0)
				return -EINVAL;
		} else if (strcmp(argv[i], "port") == 0) {
			int idx = port_idx_arg(c, argv[i + 1]);

			if (idx < 0)
				return idx;
			*port = sl_ports[idx].port_id;
		} else if (limit != NULL && strcmp(argv[i], "limit") == 0) {
			if (sl_parse_u32(argv[i + 1], 1, UINT32_MAX - 1, limit) < 0)
				return sl_cli_error(c, EINVAL, "fdb: limit '%s' not a number",
					argv[i + 1]);
		} else {
			return sl_cli_error(c, EINVAL, "usage: %s", usage);
		}
	}
	return 0;
}

static int
cmd_fdb_flush(struct sl_cli_ctx *c, int argc, char **argv)
{
	uint16_t vlan, port;
	unsigned int n;
	int rc;

	rc = filter_args(c, argc, argv, 2, &vlan, &port, NULL,
		"fdb flush [vlan V] [port P]");
	if (rc < 0)
		return rc;
	n = sl_fdb_flush(vlan, port, true);
	rc = sl_dp_commit(c->err);	/* static entries may be gone */
	if (rc == 0)
		c->result = json_pack("{s:i}", "flushed", n);
	return rc;
}

static int
cmd_show_fdb(struct sl_cli_ctx *c, int argc, char **argv)
{
	uint32_t limit = 100000;
	uint16_t vlan, port;
	int rc;

	rc = filter_args(c, argc, argv, 2, &vlan, &port, &limit,
		"show fdb [vlan V] [port P] [limit N]");
	if (rc < 0)
		return rc;
	c->result = sl_fdb_json(vlan, port, limit);
	return 0;
}

static int
cmd_show_bridge(struct sl_cli_ctx *c, int argc, char **argv)
{
	RTE_SET_USED(argv);
	if (argc != 2)
		return sl_cli_error(c, EINVAL, "usage: show bridge");
	c->result = sl_fdb_stats_json();
	return 0;
}

static json_t *
port_list(uint64_t mask)
{
	json_t *a = json_array();

	for (unsigned int i = 0; i < SL_MAX_PORTS; i++)
		if (sl_ports[i].used && ((mask >> sl_ports[i].port_id) & 1))
			json_array_append_new(a, json_string(sl_ports[i].name));
	return a;
}

static int
cmd_show_vlans(struct sl_cli_ctx *c, int argc, char **argv)
{
	const struct sl_snapshot *s = sl_snapshot_get();

	RTE_SET_USED(argv);
	if (argc != 2)
		return sl_cli_error(c, EINVAL, "usage: show vlans");
	c->result = json_array();
	for (unsigned int v = 1; v < SL_VLAN_COUNT - 1; v++) {
		const struct sl_dp_vlan *dv = &s->vlans[v];
		uint64_t rx = 0, fl = 0;

		if (dv->members == 0 && !sl_l2_vlans[v].flood_off)
			continue;
		for (unsigned int w = 0; w < sl_n_workers; w++) {
			rx += SL_STAT_READ(sl_workers[w]->vlan_rx[v]);
			fl += SL_STAT_READ(sl_workers[w]->vlan_flood[v]);
		}
		json_array_append_new(c->result, json_pack("{s:i, s:o, s:o, s:s, s:I, s:I}",
			"vlan", v, "tagged", port_list(dv->members & dv->tagged),
			"untagged", port_list(dv->members & ~dv->tagged),
			"flood", dv->flood_unknown ? "on" : "off",
			"rx_packets", (json_int_t)rx, "flooded", (json_int_t)fl));
	}
	return 0;
}

static const struct sl_cli_cmd l2_cmds[] = {
	{ "port set * vlan", "port set NAME vlan access V | trunk LIST|none [native V] | none",
		"VLAN mode of a port. access: untagged frames in VLAN V (default: access 1). "
		"trunk: tagged frames of the listed VLANs (e.g. 10,20,100-199), untagged ones "
		"in the native VLAN if given, else dropped. none: not switched.", cmd_port_vlan },
	{ "port set * mac-limit", "port set NAME mac-limit N",
		"Learn at most N MACs on the port (0: no limit); beyond it new sources are "
		"flooded to, not learned, and counted.", cmd_port_mac_limit },
	{ "vlan set", "vlan set V flood on|off",
		"Flood unknown unicast in VLAN V (default on); broadcast and multicast are "
		"always flooded.", cmd_vlan_flood },
	{ "bridge set", "bridge set ageing S | mac-limit N",
		"Ageing time of learned entries in seconds (default 300, 0: never); global limit "
		"of learned MACs (0: none).", cmd_bridge_set },
	{ "fdb add", "fdb add VLAN MAC PORT",
		"Static FDB entry: never ages, never overridden by learning.", cmd_fdb_add },
	{ "fdb del", "fdb del VLAN MAC", "Remove an FDB entry (static or learned).",
		cmd_fdb_del },
	{ "fdb flush", "fdb flush [vlan V] [port P]",
		"Remove FDB entries (static ones too), all or those of a VLAN and/or port.",
		cmd_fdb_flush },
	{ "show fdb", "show fdb [vlan V] [port P] [limit N]",
		"FDB entries: MAC, VLAN, port, type, age (first 100000 unless limit).",
		cmd_show_fdb },
	{ "show vlans", "show vlans",
		"VLANs with their tagged and untagged member ports, flooding, counters.",
		cmd_show_vlans },
	{ "show bridge", "show bridge",
		"Bridge settings and FDB counters: entries, learn events, moves, ageing, limits.",
		cmd_show_bridge },
};
SL_CLI_COMMANDS(l2_cmds)
