/* SPDX-License-Identifier: BSD-3-Clause */
/* L3 commands: VRFs, router interfaces, routes and their views. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "ctrl/cli/cli.h"
#include "drivers/port.h"
#include "pipelines/l3/fib.h"
#include "pipelines/l3/l3.h"

static int
vrf_arg(struct sl_cli_ctx *c, const char *name)
{
	int id = sl_vrf_by_name(name);

	if (id < 0)
		return sl_cli_error(c, ENOENT, "vrf %s: no such vrf", name);
	return id;
}

static int
iface_arg(struct sl_cli_ctx *c, const char *name)
{
	int idx = sl_iface_by_name(name);

	if (idx < 0)
		return sl_cli_error(c, ENOENT, "interface %s: no such interface", name);
	return idx;
}

static int
prefix_arg(struct sl_cli_ctx *c, const char *what, const char *s, struct sl_ip_prefix *p,
	bool host_bits_ok)
{
	int rc = sl_prefix_parse(s, p, host_bits_ok);

	if (rc == -EDOM)
		return sl_cli_error(c, EINVAL, "%s: prefix %s has host bits set", what, s);
	if (rc < 0)
		return sl_cli_error(c, EINVAL, "%s: bad prefix '%s' (A.B.C.D/L or X:X::X/L)",
			what, s);
	return 0;
}

static int
cmd_vrf_add(struct sl_cli_ctx *c, int argc, char **argv)
{
	uint32_t table;

	if (argc != 5 || strcmp(argv[3], "table") != 0)
		return sl_cli_error(c, EINVAL, "usage: vrf add NAME table ID");
	if (sl_parse_u32(argv[4], 1, UINT32_MAX - 1, &table) < 0)
		return sl_cli_error(c, EINVAL, "vrf %s: table '%s' not a number in 1-%u", argv[2],
			argv[4], UINT32_MAX - 1);
	return sl_vrf_add(argv[2], table, c->err);
}

static int
cmd_vrf_del(struct sl_cli_ctx *c, int argc, char **argv)
{
	if (argc != 3)
		return sl_cli_error(c, EINVAL, "usage: vrf del NAME");
	return sl_vrf_del(argv[2], c->err);
}

static int
cmd_show_vrfs(struct sl_cli_ctx *c, int argc, char **argv)
{
	RTE_SET_USED(argv);
	if (argc != 2)
		return sl_cli_error(c, EINVAL, "usage: show vrfs");
	c->result = sl_vrfs_json();
	return 0;
}

/* interface add NAME port P [vlan V] vrf VRF */
static int
cmd_iface_add(struct sl_cli_ctx *c, int argc, char **argv)
{
	static const char usage[] = "usage: interface add NAME port P [vlan V] vrf VRF";
	struct sl_port *p;
	uint32_t vlan = 0;
	int vrf, i = 5;

	if ((argc != 7 && argc != 9) || strcmp(argv[3], "port") != 0)
		return sl_cli_error(c, EINVAL, usage);
	p = sl_port_by_name(argv[4]);
	if (p == NULL)
		return sl_cli_error(c, ENOENT, "interface %s: port %s: no such port", argv[2],
			argv[4]);
	if (argc == 9) {
		if (strcmp(argv[5], "vlan") != 0)
			return sl_cli_error(c, EINVAL, usage);
		if (sl_parse_u32(argv[6], 1, 4094, &vlan) < 0)
			return sl_cli_error(c, EINVAL, "interface %s: vlan %s out of range 1-4094",
				argv[2], argv[6]);
		i = 7;
	}
	if (strcmp(argv[i], "vrf") != 0)
		return sl_cli_error(c, EINVAL, usage);
	vrf = vrf_arg(c, argv[i + 1]);
	if (vrf < 0)
		return vrf;
	return sl_iface_add(argv[2], p - sl_ports, vlan, vrf, c->err);
}

static int
cmd_iface_del(struct sl_cli_ctx *c, int argc, char **argv)
{
	int idx;

	if (argc != 3)
		return sl_cli_error(c, EINVAL, "usage: interface del NAME");
	idx = iface_arg(c, argv[2]);
	return idx < 0 ? idx : sl_iface_del(idx, c->err);
}

/* interface set NAME address [del] PREFIX | mtu N | mac M */
static int
cmd_iface_set(struct sl_cli_ctx *c, int argc, char **argv)
{
	static const char usage[] =
		"usage: interface set NAME address [del] A/L | mtu N | mac xx:xx:xx:xx:xx:xx";
	struct sl_ip_prefix pfx;
	int idx;

	if (argc < 5)
		return sl_cli_error(c, EINVAL, usage);
	idx = iface_arg(c, argv[2]);
	if (idx < 0)
		return idx;
	if (strcmp(argv[3], "address") == 0) {
		bool del = argc == 6 && strcmp(argv[4], "del") == 0;

		if (argc != 5 && !del)
			return sl_cli_error(c, EINVAL, usage);
		if (prefix_arg(c, argv[2], argv[argc - 1], &pfx, true) < 0)
			return -EINVAL;
		return del ? sl_iface_addr_del(idx, &pfx, c->err) :
			sl_iface_addr_add(idx, &pfx, c->err);
	}
	if (argc == 5 && strcmp(argv[3], "mtu") == 0) {
		uint32_t mtu;

		if (sl_parse_u32(argv[4], 68, 9600, &mtu) < 0)
			return sl_cli_error(c, EINVAL, "interface %s: mtu %s out of range 68-9600",
				argv[2], argv[4]);
		return sl_iface_set_mtu(idx, mtu, c->err);
	}
	if (argc == 5 && strcmp(argv[3], "mac") == 0) {
		struct rte_ether_addr mac;

		if (strlen(argv[4]) != 17 || rte_ether_unformat_addr(argv[4], &mac) < 0)
			return sl_cli_error(c, EINVAL, "interface %s: bad MAC '%s'", argv[2], argv[4]);
		return sl_iface_set_mac(idx, &mac, c->err);
	}
	return sl_cli_error(c, EINVAL, usage);
}

static int
cmd_show_ifaces(struct sl_cli_ctx *c, int argc, char **argv)
{
	RTE_SET_USED(argv);
	if (argc != 2)
		return sl_cli_error(c, EINVAL, "usage: show interfaces");
	c->result = sl_ifaces_json();
	return 0;
}

/* Leading "vrf V" of route commands; returns the index after it. */
static int
route_vrf(struct sl_cli_ctx *c, int argc, char **argv, int i, int *vrf)
{
	*vrf = SL_VRF_DEFAULT;
	if (i + 1 < argc && strcmp(argv[i], "vrf") == 0) {
		*vrf = vrf_arg(c, argv[i + 1]);
		if (*vrf < 0)
			return *vrf;
		i += 2;
	}
	return i;
}

/* route add [vrf V] PREFIX (via GW [dev IF] [weight W])+ | blackhole|unreachable|prohibit */
static int
cmd_route_add(struct sl_cli_ctx *c, int argc, char **argv)
{
	static const char usage[] = "usage: route add [vrf V] PREFIX via GW [dev IF] [weight W] "
		"[via ...] | route add [vrf V] PREFIX blackhole|unreachable|prohibit";
	static const struct { const char *w; enum sl_nh_type t; } special[] = {
		{ "blackhole", SL_NH_BLACKHOLE }, { "unreachable", SL_NH_UNREACHABLE },
		{ "prohibit", SL_NH_PROHIBIT },
	};
	struct sl_route_via via[SL_ECMP_MAX];
	struct sl_ip_prefix pfx;
	unsigned int n = 0;
	int vrf, i;

	i = route_vrf(c, argc, argv, 2, &vrf);
	if (i < 0)
		return i;
	if (i + 2 > argc)
		return sl_cli_error(c, EINVAL, usage);
	if (prefix_arg(c, "route", argv[i], &pfx, false) < 0)
		return -EINVAL;
	i++;
	if (argc == i + 1)
		for (unsigned int k = 0; k < RTE_DIM(special); k++)
			if (strcmp(argv[i], special[k].w) == 0)
				return sl_route_add_special(vrf, &pfx, special[k].t, c->err);
	while (i < argc) {
		if (strcmp(argv[i], "via") != 0 || i + 1 >= argc || n == SL_ECMP_MAX)
			return sl_cli_error(c, EINVAL, usage);
		memset(&via[n], 0, sizeof(via[n]));
		via[n].iface = -1;
		if (sl_ip_parse(argv[i + 1], &via[n].gw) < 0)
			return sl_cli_error(c, EINVAL, "route: bad gateway '%s'", argv[i + 1]);
		i += 2;
		while (i + 1 < argc && strcmp(argv[i], "via") != 0) {
			uint32_t w;

			if (strcmp(argv[i], "dev") == 0) {
				via[n].iface = iface_arg(c, argv[i + 1]);
				if (via[n].iface < 0)
					return via[n].iface;
			} else if (strcmp(argv[i], "weight") == 0) {
				if (sl_parse_u32(argv[i + 1], 1, 255, &w) < 0)
					return sl_cli_error(c, EINVAL,
						"route: weight %s out of range 1-255", argv[i + 1]);
				via[n].weight = w;
			} else {
				return sl_cli_error(c, EINVAL, usage);
			}
			i += 2;
		}
		if (i < argc && strcmp(argv[i], "via") != 0)
			return sl_cli_error(c, EINVAL, usage);
		n++;
	}
	if (n == 0)
		return sl_cli_error(c, EINVAL, usage);
	return sl_route_add_via(vrf, &pfx, via, n, c->err);
}

static int
cmd_route_del(struct sl_cli_ctx *c, int argc, char **argv)
{
	struct sl_ip_prefix pfx;
	int vrf, i;

	i = route_vrf(c, argc, argv, 2, &vrf);
	if (i < 0)
		return i;
	if (i + 1 != argc)
		return sl_cli_error(c, EINVAL, "usage: route del [vrf V] PREFIX");
	if (prefix_arg(c, "route", argv[i], &pfx, false) < 0)
		return -EINVAL;
	return sl_route_del(vrf, &pfx, c->err);
}

static int
cmd_show_routes(struct sl_cli_ctx *c, int argc, char **argv)
{
	int vrf = -1;

	if (argc == 4 && strcmp(argv[2], "vrf") == 0) {
		vrf = vrf_arg(c, argv[3]);
		if (vrf < 0)
			return vrf;
	} else if (argc != 2) {
		return sl_cli_error(c, EINVAL, "usage: show routes [vrf V]");
	}
	c->result = sl_routes_json(vrf);
	return 0;
}

static int
cmd_route_lookup(struct sl_cli_ctx *c, int argc, char **argv)
{
	struct sl_ip ip;
	int vrf;

	if (argc != 5)
		return sl_cli_error(c, EINVAL, "usage: show route lookup VRF ADDR");
	vrf = vrf_arg(c, argv[3]);
	if (vrf < 0)
		return vrf;
	if (sl_ip_parse(argv[4], &ip) < 0)
		return sl_cli_error(c, EINVAL, "route lookup: bad address '%s'", argv[4]);
	c->result = sl_route_lookup_json(vrf, &ip);
	return 0;
}

static int
cmd_show_fib(struct sl_cli_ctx *c, int argc, char **argv)
{
	RTE_SET_USED(argv);
	if (argc != 2)
		return sl_cli_error(c, EINVAL, "usage: show fib");
	c->result = sl_fib_memory_json();
	return 0;
}

/* neigh add IP MAC dev IF | neigh del IP dev IF */
static int
cmd_neigh(struct sl_cli_ctx *c, int argc, char **argv)
{
	bool add = strcmp(argv[1], "add") == 0;
	struct rte_ether_addr mac;
	struct sl_ip ip;
	int idx, i = add ? 4 : 3;

	if (argc != i + 2 || strcmp(argv[i], "dev") != 0)
		return sl_cli_error(c, EINVAL, add ? "usage: neigh add IP MAC dev IF" :
			"usage: neigh del IP dev IF");
	if (sl_ip_parse(argv[2], &ip) < 0)
		return sl_cli_error(c, EINVAL, "neigh: bad address '%s'", argv[2]);
	if (add && rte_ether_unformat_addr(argv[3], &mac) < 0)
		return sl_cli_error(c, EINVAL, "neigh: bad MAC '%s'", argv[3]);
	idx = iface_arg(c, argv[i + 1]);
	if (idx < 0)
		return idx;
	return add ? sl_neigh_add_static(idx, &ip, &mac, c->err) :
		sl_neigh_del(idx, &ip, c->err);
}

static int
cmd_show_neigh(struct sl_cli_ctx *c, int argc, char **argv)
{
	int idx = -1;

	if (argc != 2 && (argc != 4 || strcmp(argv[2], "dev") != 0))
		return sl_cli_error(c, EINVAL, "usage: show neigh [dev IF]");
	if (argc == 4) {
		idx = iface_arg(c, argv[3]);
		if (idx < 0)
			return idx;
	}
	c->result = sl_neigh_json(idx);
	return 0;
}

static int
cmd_show_l3_stats(struct sl_cli_ctx *c, int argc, char **argv)
{
	RTE_SET_USED(argv);
	if (argc != 3)
		return sl_cli_error(c, EINVAL, "usage: show l3 stats");
	c->result = sl_l3_stats_json();
	return 0;
}

static const struct sl_cli_cmd l3_cmds[] = {
	{ "vrf add", "vrf add NAME table ID",
		"A VRF bound to Linux routing table ID (the default VRF is table 254, main).",
		cmd_vrf_add },
	{ "vrf del", "vrf del NAME", "Remove a VRF and its routes (no interface may be in it).",
		cmd_vrf_del },
	{ "show vrfs", "show vrfs", "VRFs with their table ids and route counts.", cmd_show_vrfs },
	{ "interface add", "interface add NAME port P [vlan V] vrf VRF",
		"A router interface: a routed port, or a VLAN interface on the bridge.",
		cmd_iface_add },
	{ "interface del", "interface del NAME",
		"Remove a router interface, its addresses and the routes through it.",
		cmd_iface_del },
	{ "interface set", "interface set NAME address [del] A/L | mtu N | mac M",
		"Add (or del) an IPv4/IPv6 address (adds its connected and local routes); "
		"set the interface MTU or router MAC (default: the port's MAC).", cmd_iface_set },
	{ "show interfaces", "show interfaces", "Router interfaces with VRF, MAC, MTU, addresses.",
		cmd_show_ifaces },
	{ "route add", "route add [vrf V] PREFIX via GW [dev IF] [weight W] [via ...] | "
		"route add [vrf V] PREFIX blackhole|unreachable|prohibit",
		"Static route (several via: ECMP, flow-hash spread); replaces an existing route "
		"for PREFIX.", cmd_route_add },
	{ "route del", "route del [vrf V] PREFIX", "Remove a static route.", cmd_route_del },
	{ "show routes", "show routes [vrf V]",
		"Routes: connected, local, static (via, ECMP, blackhole, ...).", cmd_show_routes },
	{ "show route lookup", "show route lookup VRF ADDR",
		"Which route matches ADDR in VRF (longest prefix) and where it leads.",
		cmd_route_lookup },
	{ "show fib", "show fib", "FIB memory: groups, chunks, roots, bytes, routes.",
		cmd_show_fib },
	{ "neigh add", "neigh add IP MAC dev IF",
		"Static neighbour (ARP/ND entry) on a router interface: never ages, replaces a "
		"learned one.", cmd_neigh },
	{ "neigh del", "neigh del IP dev IF", "Remove a neighbour (static or learned).",
		cmd_neigh },
	{ "show neigh", "show neigh [dev IF]",
		"Neighbours: IP, MAC, interface, state (incomplete, reachable, stale, probe, "
		"failed, permanent), age in seconds, packets held while resolving.",
		cmd_show_neigh },
	{ "show l3 stats", "show l3 stats",
		"What the control thread did with packets for the router: ARP/ND in and out, "
		"echo replies, ICMP errors sent and rate-limited, packets held for resolution.",
		cmd_show_l3_stats },
};
SL_CLI_COMMANDS(l3_cmds)
