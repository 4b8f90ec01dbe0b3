/* SPDX-License-Identifier: BSD-3-Clause */
/* Netlink mirror commands: on/off, receive buffer, forced resync and the
 * view of its state and counters. */
#include <errno.h>
#include <string.h>

#include "ctrl/cli/cli.h"
#include "ctrl/netlink/netlink.h"

/* netlink on|off */
static int
cmd_netlink(struct sl_cli_ctx *c, int argc, char **argv)
{
	if (argc != 2 || (strcmp(argv[1], "on") != 0 && strcmp(argv[1], "off") != 0))
		return sl_cli_error(c, EINVAL, "usage: netlink on|off");
	return sl_nl_enable(strcmp(argv[1], "on") == 0, c->err);
}

static int
cmd_netlink_rcvbuf(struct sl_cli_ctx *c, int argc, char **argv)
{
	uint32_t bytes;

	if (argc != 4 || strcmp(argv[2], "rcvbuf") != 0)
		return sl_cli_error(c, EINVAL, "usage: netlink set rcvbuf BYTES");
	if (sl_parse_u32(argv[3], 0, UINT32_MAX, &bytes) < 0)
		return sl_cli_error(c, EINVAL, "netlink: rcvbuf '%s' not a number", argv[3]);
	return sl_nl_set_rcvbuf(bytes, c->err);	/* checks the range */
}

static int
cmd_netlink_resync(struct sl_cli_ctx *c, int argc, char **argv)
{
	RTE_SET_USED(argv);
	if (argc != 2)
		return sl_cli_error(c, EINVAL, "usage: netlink resync");
	return sl_nl_resync(c->err);
}

static int
cmd_show_netlink(struct sl_cli_ctx *c, int argc, char **argv)
{
	RTE_SET_USED(argv);
	if (argc != 2)
		return sl_cli_error(c, EINVAL, "usage: show netlink");
	c->result = sl_nl_json();
	return 0;
}

static const struct sl_cli_cmd nl_cmds[] = {
	{ "netlink", "netlink on|off",
		"Mirror the kernel through rtnetlink: addresses and neighbours of host "
		"interfaces, and routes in the tables VRFs are bound to (vrf add NAME table ID). "
		"on: full dump, then notifications; off: everything mirrored is withdrawn.",
		cmd_netlink },
	{ "netlink set", "netlink set rcvbuf BYTES",
		"Receive buffer of the notification socket (default 32 MiB): a burst beyond it "
		"overflows (ENOBUFS) and costs a resync.", cmd_netlink_rcvbuf },
	{ "netlink resync", "netlink resync",
		"Dump the kernel again and diff: unchanged routes are not touched.",
		cmd_netlink_resync },
	{ "show netlink", "show netlink",
		"Mirror state: sockets, messages, dumps, resyncs, ENOBUFS, what is installed, "
		"and the objects ignored by reason (unknown table, not a host interface, gateway "
		"unreachable, unsupported, malformed...) with the latest ones.",
		cmd_show_netlink },
};
SL_CLI_COMMANDS(nl_cmds)
