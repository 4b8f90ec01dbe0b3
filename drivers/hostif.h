/* SPDX-License-Identifier: BSD-3-Clause */
/* Host interfaces: a Linux TAP paired with a Sluice router interface, so the
 * host's own stack (FRR, SSH, BGP) talks through Sluice. The control thread
 * owns them: frames for the router that Sluice does not answer itself go to
 * the TAP, frames Linux sends on the TAP go out of the interface. */
#ifndef SL_HOSTIF_H
#define SL_HOSTIF_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <rte_ether.h>

#define SL_HOSTIF_NAME_MAX 16	/* IFNAMSIZ, NUL included */

/* All ctrl thread; 0 or -errno with a message in err (SL_ERR_MAX bytes).
 * tap NULL: "sl-" + the interface name. Persisted (config section). The TAP
 * is persistent in the kernel: created, or attached to if an earlier run
 * left it; del removes it. */
int sl_hostif_add(int iface, const char *tap, char *err);
int sl_hostif_del(int iface, char *err);
/* Let go of every TAP (config reload, shutdown): they stay in the kernel,
 * carrier off, with what Linux holds on them, for the next attach. */
void sl_hostif_reset(void);
/* Sluice interface paired with the TAP of kernel ifindex, or -ENOENT. */
int sl_hostif_by_ifindex(uint32_t ifindex);
/* Kernel ifindex of the TAP of a Sluice interface, 0 if none. */
uint32_t sl_hostif_ifindex(int iface);
/* The netlink mirror saw a link change (RTM_NEWLINK) of ifindex: if it is
 * a TAP, an MTU or MAC the host set on it goes to the paired interface (and
 * so into the config). Returns the paired interface or -ENOENT. */
int sl_hostif_kernel_link(uint32_t ifindex);
/* Bumped whenever a TAP comes or goes: the netlink mirror resyncs. */
extern uint32_t sl_hostif_generation;
/* {"host_ifs": [...], "unpaired_frames": N} */
json_t *sl_hostif_json(void);

#endif
