/* SPDX-License-Identifier: BSD-3-Clause */
/* Host interface commands: pair a router interface with a Linux TAP, and the
 * view of the pairs. */
#include <errno.h>
#include <string.h>

#include "ctrl/cli/cli.h"
#include "drivers/hostif.h"
#include "pipelines/l3/l3.h"

/* interface set NAME host-if on [name TAP] | off */
static int
cmd_hostif(struct sl_cli_ctx *c, int argc, char **argv)
{
	static const char usage[] = "usage: interface set NAME host-if on [name TAP] | off";
	int idx;

	if (argc != 5 && argc != 7)
		return sl_cli_error(c, EINVAL, usage);
	idx = sl_iface_by_name(argv[2]);
	if (idx < 0)
		return sl_cli_error(c, ENOENT, "interface %s: no such interface", argv[2]);
	if (argc == 5 && strcmp(argv[4], "off") == 0)
		return sl_hostif_del(idx, c->err);
	if (strcmp(argv[4], "on") != 0 || (argc == 7 && strcmp(argv[5], "name") != 0))
		return sl_cli_error(c, EINVAL, usage);
	return sl_hostif_add(idx, argc == 7 ? argv[6] : NULL, c->err);
}

static int
cmd_show_hostifs(struct sl_cli_ctx *c, int argc, char **argv)
{
	RTE_SET_USED(argv);
	if (argc != 2)
		return sl_cli_error(c, EINVAL, "usage: show host-ifs");
	c->result = sl_hostif_json();
	return 0;
}

static const struct sl_cli_cmd hostif_cmds[] = {
	{ "interface set * host-if", "interface set NAME host-if on [name TAP] | off",
		"Pair the router interface with a Linux TAP (default name sl-NAME) with its MAC, "
		"MTU and link state: frames for the router that Sluice does not answer itself go "
		"to the TAP, frames Linux sends on it go out of the interface. Lets FRR, SSH or "
		"BGP run on the host (docs/netlink.md).", cmd_hostif },
	{ "show host-ifs", "show host-ifs",
		"Host interfaces: TAP, ifindex, carrier, MTU, MAC, frames and errors each way.",
		cmd_show_hostifs },
};
SL_CLI_COMMANDS(hostif_cmds)
