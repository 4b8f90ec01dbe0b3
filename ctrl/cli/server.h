/* SPDX-License-Identifier: BSD-3-Clause */
/* The CLI socket server (control thread). */
#ifndef SL_CLI_SERVER_H
#define SL_CLI_SERVER_H

/* ctrl thread: listen on path (mode 0660), serve clients from the loop. */
int sl_cli_server_init(const char *path);
void sl_cli_server_fini(void);

#endif
