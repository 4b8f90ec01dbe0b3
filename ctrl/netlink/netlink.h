/* SPDX-License-Identifier: BSD-3-Clause */
/* Netlink mirror (control thread): the kernel's addresses, routes, next-hop
 * objects and neighbours on host interfaces (drivers/hostif.h), and routes in
 * the tables VRFs are bound to, kept in Sluice through rtnetlink (libmnl): a
 * full dump, then notifications, and a dump-and-diff resync after a lost
 * notification (ENOBUFS), an interrupted dump or a socket error. */
#ifndef SL_NETLINK_H
#define SL_NETLINK_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

/* Default receive buffer of the notification socket: a burst the control
 * thread has not read yet waits there; past it, a resync. */
#define SL_NL_RCVBUF_DEFAULT (32u << 20)
#define SL_NL_RCVBUF_MIN 4096u
#define SL_NL_RCVBUF_MAX (1u << 30)

/* All ctrl thread; 0 or -errno with a message in err (SL_ERR_MAX bytes).
 * on: open the sockets, dump, then follow notifications. off: close them and
 * withdraw everything mirrored. Persisted. */
int sl_nl_enable(bool on, char *err);
bool sl_nl_enabled(void);
/* Receive buffer of the notification socket (bytes, persisted); applied at
 * once if the socket is open. */
int sl_nl_set_rcvbuf(uint32_t bytes, char *err);
uint32_t sl_nl_rcvbuf(void);
/* Dump and diff now (what ENOBUFS triggers): no change a worker could see
 * for what did not change in the kernel. -ENOTCONN when off. */
int sl_nl_resync(char *err);
/* Forget everything mirrored and close the sockets without touching the
 * tables (config reload and shutdown, which rebuild or drop them anyway). */
void sl_nl_reset(void);
json_t *sl_nl_json(void);

#endif
