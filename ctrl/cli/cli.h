/* SPDX-License-Identifier: BSD-3-Clause */
/* Declarative CLI: every module registers rows (words, syntax, help, handler);
 * the socket server, the config replay and `help`/docs all use this one table. */
#ifndef SL_CLI_H
#define SL_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <rte_common.h>

#define SL_CLI_LINE_MAX 4096
#define SL_CLI_ARGS_MAX 64
#define SL_CLI_ERR_MAX 512

struct sl_cli_ctx {
	json_t *result;		/* handler's reply value; NULL prints null */
	char err[SL_CLI_ERR_MAX];
	bool replay;		/* running from the config file: no persist per line */
};

struct sl_cli_cmd {
	const char *words;	/* leading words, e.g. "port add"; "*" matches any word */
	const char *syntax;	/* full syntax shown by help */
	const char *help;
	/* argv is the whole line, command words included. */
	int (*handler)(struct sl_cli_ctx *c, int argc, char **argv);
};

struct sl_cli_table {
	const struct sl_cli_cmd *cmds;
	unsigned int n;
	struct sl_cli_table *next;
};

void sl_cli_register(struct sl_cli_table *t);

/* One row per command; the table registers itself before main(). */
#define SL_CLI_COMMANDS(tbl) \
	static struct sl_cli_table tbl##_reg = { .cmds = tbl, .n = RTE_DIM(tbl) }; \
	RTE_INIT(tbl##_register) { sl_cli_register(&tbl##_reg); }

/* ctrl thread: run one command line. Returns 0, or -errno with c->err set.
 * Blank lines and comments return -ENODATA. */
int sl_cli_exec(struct sl_cli_ctx *c, const char *line);

/* ctrl thread: run a line and build the reply object ({"ok":..}); NULL for a
 * line that gets no reply (blank). */
json_t *sl_cli_reply(const char *line);

/* Handler helpers: set c->err and return -err. */
int sl_cli_error(struct sl_cli_ctx *c, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Strict decimal parse within [min, max]; 0 or -EINVAL/-ERANGE. */
int sl_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);
/* Object names: [A-Za-z0-9_.:-]{1,31}. */
bool sl_name_valid(const char *s);

/* Split line into argv in place; returns argc or -E2BIG/-EINVAL. */
int sl_cli_tokenize(char *line, char **argv, int max);

/* Command reference (help and docs/cli.md). */
json_t *sl_cli_help_json(void);
void sl_cli_print_markdown(FILE *f);

#endif
