/* SPDX-License-Identifier: BSD-3-Clause */
/* Port commands: thin handlers that parse words and call the port module. */
#include <errno.h>
#include <string.h>

#include "ctrl/cli/cli.h"
#include "drivers/port.h"
#include "dataplane/worker.h"

static struct sl_port *
port_arg(struct sl_cli_ctx *c, const char *name)
{
	struct sl_port *p = sl_port_by_name(name);

	if (p == NULL)
		sl_cli_error(c, ENOENT, "port %s: no such port", name);
	return p;
}

static int
cmd_port_add(struct sl_cli_ctx *c, int argc, char **argv)
{
	struct sl_port_opts o = { 0 };
	int first = 4, rc;

	/* port add NAME vhost-user client|server PATH [queues N] ... */
	if (argc >= 3 && argc >= 4 && strcmp(argv[3], "vhost-user") == 0) {
		if (argc < 6 || (strcmp(argv[4], "client") && strcmp(argv[4], "server")))
			return sl_cli_error(c, EINVAL, "usage: port add NAME vhost-user "
				"client|server PATH [queues N] [mtu N]");
		if (strlen(argv[5]) >= sizeof(o.vhost_path))
			return sl_cli_error(c, ENAMETOOLONG, "port %s: socket path longer than %zu",
				argv[2], sizeof(o.vhost_path) - 1);
		o.vhost = true;
		o.vhost_client = strcmp(argv[4], "client") == 0;
		strcpy(o.vhost_path, argv[5]);
		first = 6;
	}
	if (argc < 4 || (argc - first) % 2)
		return sl_cli_error(c, EINVAL, "usage: port add NAME DEVARGS [rxq N] [txq N] [mtu N]"
			" | port add NAME vhost-user client|server PATH [queues N] [mtu N]");
	for (int i = first; i < argc; i += 2) {
		uint32_t v;
		uint16_t *dst;
		uint32_t min = 1, max;

		if (o.vhost && strcmp(argv[i], "queues") == 0) {
			dst = &o.vhost_queues;
			max = SL_MAX_RXQ;
		} else if (strcmp(argv[i], "rxq") == 0) {
			dst = &o.rxq;
			max = SL_MAX_RXQ;
		} else if (strcmp(argv[i], "txq") == 0) {
			dst = &o.txq;
			max = 1024;
		} else if (strcmp(argv[i], "mtu") == 0) {
			dst = &o.mtu;
			min = 68;
			max = 9600;
		} else {
			return sl_cli_error(c, EINVAL, "port %s: unknown option '%s' (%srxq, txq, mtu)",
				argv[2], argv[i], o.vhost ? "queues, " : "");
		}
		if (sl_parse_u32(argv[i + 1], min, max, &v) < 0)
			return sl_cli_error(c, EINVAL, "port %s: %s '%s' not a number in %u-%u",
				argv[2], argv[i], argv[i + 1], min, max);
		*dst = v;
	}
	rc = sl_port_add(argv[2], argv[3], &o, c->err);
	if (rc == 0 && !c->replay)
		c->result = sl_port_json(sl_port_by_name(argv[2]), false);
	return rc;
}

static int
cmd_port_del(struct sl_cli_ctx *c, int argc, char **argv)
{
	struct sl_port *p;

	if (argc != 3)
		return sl_cli_error(c, EINVAL, "usage: port del NAME");
	p = port_arg(c, argv[2]);
	return p ? sl_port_del(p, c->err) : -ENOENT;
}

static int
cmd_port_mtu(struct sl_cli_ctx *c, int argc, char **argv)
{
	struct sl_port *p;
	uint32_t mtu;

	if (argc != 5)
		return sl_cli_error(c, EINVAL, "usage: port set NAME mtu N");
	p = port_arg(c, argv[2]);
	if (p == NULL)
		return -ENOENT;
	if (sl_parse_u32(argv[4], 68, 9600, &mtu) < 0)
		return sl_cli_error(c, EINVAL, "port %s: mtu '%s' not a number in 68-9600",
			argv[2], argv[4]);
	return sl_port_set_mtu(p, mtu, c->err);
}

static int
cmd_port_rxq(struct sl_cli_ctx *c, int argc, char **argv)
{
	struct sl_port *p;
	uint32_t q, w;

	if (argc != 7 || strcmp(argv[5], "worker") != 0)
		return sl_cli_error(c, EINVAL, "usage: port set NAME rxq Q worker W|auto");
	p = port_arg(c, argv[2]);
	if (p == NULL)
		return -ENOENT;
	if (sl_parse_u32(argv[4], 0, SL_MAX_RXQ - 1, &q) < 0)
		return sl_cli_error(c, EINVAL, "port %s: rxq '%s' not a queue number", argv[2],
			argv[4]);
	if (strcmp(argv[6], "auto") == 0)
		return sl_port_pin_rxq(p, q, -1, c->err);
	if (sl_parse_u32(argv[6], 0, SL_MAX_WORKERS - 1, &w) < 0)
		return sl_cli_error(c, EINVAL, "port %s: worker '%s' not a number or 'auto'",
			argv[2], argv[6]);
	return sl_port_pin_rxq(p, q, w, c->err);
}

static int
cmd_port_xconnect(struct sl_cli_ctx *c, int argc, char **argv)
{
	struct sl_port *a, *b;

	if (argc != 4)
		return sl_cli_error(c, EINVAL, "usage: port xconnect A B");
	a = port_arg(c, argv[2]);
	if (a == NULL)
		return -ENOENT;
	b = port_arg(c, argv[3]);
	if (b == NULL)
		return -ENOENT;
	return sl_port_xconnect(a, b, c->err);
}

static int
cmd_port_xconnect_del(struct sl_cli_ctx *c, int argc, char **argv)
{
	struct sl_port *a;

	if (argc != 4)
		return sl_cli_error(c, EINVAL, "usage: port xconnect del A");
	a = port_arg(c, argv[3]);
	return a ? sl_port_xconnect_del(a, c->err) : -ENOENT;
}

static int
cmd_port_show(struct sl_cli_ctx *c, int argc, char **argv)
{
	bool is_port_show = strcmp(argv[0], "port") == 0;
	struct sl_port *p;

	if (is_port_show && argc == 3) {
		p = port_arg(c, argv[2]);
		if (p == NULL)
			return -ENOENT;
		c->result = sl_port_json(p, true);
		return 0;
	}
	if (argc != 2)
		return sl_cli_error(c, EINVAL, "usage: %s", is_port_show ? "port show [NAME]" :
			"show ports");
	c->result = json_array();
	for (unsigned int i = 0; i < SL_MAX_PORTS; i++)
		if (sl_ports[i].used)
			json_array_append_new(c->result, sl_port_json(&sl_ports[i], false));
	return 0;
}

static const struct sl_cli_cmd port_cmds[] = {
	{ "port add", "port add NAME DEVARGS [rxq N] [txq N] [mtu N]",
		"Attach a DPDK device (any devargs: PCI address, net_af_packet0,iface=X, "
		"net_vhost0,iface=PATH, ...) at run time, configure it with N rx queues "
		"(RSS where the driver has it), one tx queue per worker, and start it.",
		cmd_port_add },
	{ "port add * vhost-user", "port add NAME vhost-user client|server PATH [queues N] [mtu N]",
		"A VM port. client: Sluice connects to the vhost-user socket QEMU serves at PATH "
		"(recommended: either side may restart; Sluice reconnects every second). server: "
		"Sluice creates PATH and QEMU connects (QEMU needs reconnect=N). N queue pairs "
		"(multiqueue); queues the guest disables are not polled.", cmd_port_add },
	{ "port del", "port del NAME",
		"Take the port out of the datapath, stop it and detach the device.",
		cmd_port_del },
	{ "port set * mtu", "port set NAME mtu N",
		"Set the port MTU (68-9600); the port is briefly stopped, others keep forwarding.",
		cmd_port_mtu },
	{ "port set * rxq", "port set NAME rxq Q worker W|auto",
		"Pin rx queue Q of the port to worker W, or give it back to automatic placement.",
		cmd_port_rxq },
	{ "port xconnect", "port xconnect A B",
		"Cross-connect two ports: every frame received on one is sent out the other.",
		cmd_port_xconnect },
	{ "port xconnect del", "port xconnect del A",
		"Remove the cross-connect of port A (both directions).", cmd_port_xconnect_del },
	{ "port show", "port show [NAME]",
		"Ports with driver, MAC, link, queues, assignment and counters; with NAME also "
		"the driver's extended stats.", cmd_port_show },
	{ "show ports", "show ports", "Same as 'port show'.", cmd_port_show },
};
SL_CLI_COMMANDS(port_cmds)
