/* SPDX-License-Identifier: BSD-3-Clause */
/* Crash-only config store: the running config as command lines, rendered by
 * the modules, written atomically after every accepted change, replayed at
 * start-up. */
#ifndef SL_CONFIG_H
#define SL_CONFIG_H

#include <stdbool.h>

#include <jansson.h>
#include <rte_common.h>

/* A module appends its command lines to `lines` (a JSON array of strings).
 * Lower order renders first (ports before what refers to them). */
struct sl_config_section {
	const char *name;
	int order;
	void (*render)(json_t *lines);
	struct sl_config_section *next;
};

void sl_config_register(struct sl_config_section *s);
#define SL_CONFIG_SECTION(nm, ord, fn) \
	static struct sl_config_section cfg_##fn = { .name = nm, .order = ord, .render = fn }; \
	RTE_INIT(cfg_reg_##fn) { sl_config_register(&cfg_##fn); }

/* ctrl thread. */
void sl_config_set_path(const char *path);
const char *sl_config_path(void);
json_t *sl_config_lines(void);
/* Write the running config: temp file, fsync, rename, fsync dir. 0/-errno.
 * A no-op while the config is being replayed. */
int sl_config_persist(void);
/* Replay the file through the CLI. Missing file: 0. Any failing line: -errno
 * and err names FILE:LINE and the reason. */
int sl_config_replay(char *err, size_t errlen);
bool sl_config_replaying(void);
/* Run config lines (a JSON array of strings) as a replay: nothing persisted
 * or published per line. Returns the number of lines that failed. */
unsigned int sl_config_apply_lines(json_t *lines);

#endif
