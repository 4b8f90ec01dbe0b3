/* SPDX-License-Identifier: BSD-3-Clause */
/* Command registry, tokenizer and dispatcher of the control thread. Every
 * input line is hostile until parsed: bad bytes, too many words and unknown
 * commands get an explicit error. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrl/cli/cli.h"

static struct sl_cli_table *tables;

void
sl_cli_register(struct sl_cli_table *t)
{
	t->next = tables;
	tables = t;
}

int
sl_cli_error(struct sl_cli_ctx *c, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return -err;
}

int
sl_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (s == NULL || !isdigit((unsigned char)s[0]) || strlen(s) > 10)
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

bool
sl_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= 32)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = s[i];

		if (!isalnum(ch) && ch != '_' && ch != '.' && ch != ':' && ch != '-')
			return false;
	}
	return true;
}

int
sl_cli_tokenize(char *line, char **argv, int max)
{
	int argc = 0;
	char *p = line;

	for (char *q = line; *q; q++) {
		unsigned char ch = *q;

		if (ch == '\t' || ch == '\r')
			*q = ' ';
		else if (ch < 0x20 || ch >= 0x7f)
			return -EINVAL;
	}
	while (*p) {
		while (*p == ' ')
			*p++ = '\0';
		if (*p == '\0')
			break;
		if (argc == max)
			return -E2BIG;
		argv[argc++] = p;
		while (*p && *p != ' ')
			p++;
	}
	return argc;
}

/* Number of leading argv words matching cmd->words ("*" matches any one
 * word, e.g. "port set * mtu"), or 0 if not all match. */
static int
match_words(const struct sl_cli_cmd *cmd, int argc, char **argv)
{
	const char *w = cmd->words;
	int i = 0;

	while (*w) {
		size_t len = strcspn(w, " ");

		if (i >= argc)
			return 0;
		if (!(len == 1 && w[0] == '*') &&
				(strlen(argv[i]) != len || strncmp(argv[i], w, len) != 0))
			return 0;
		i++;
		w += len;
		while (*w == ' ')
			w++;
	}
	return i;
}

static const struct sl_cli_cmd *
lookup(int argc, char **argv, int *nwords)
{
	const struct sl_cli_cmd *best = NULL;
	int best_n = 0;

	for (const struct sl_cli_table *t = tables; t != NULL; t = t->next) {
		for (unsigned int i = 0; i < t->n; i++) {
			int n = match_words(&t->cmds[i], argc, argv);

			if (n > best_n) {
				best = &t->cmds[i];
				best_n = n;
			}
		}
	}
	*nwords = best_n;
	return best;
}

/* For an unknown command, list the commands sharing its first word. */
static int
unknown(struct sl_cli_ctx *c, int argc, char **argv)
{
	char hint[256] = "";
	size_t len = 0, first = strlen(argv[0]);

	for (const struct sl_cli_table *t = tables; t != NULL; t = t->next)
		for (unsigned int i = 0; i < t->n; i++) {
			const char *w = t->cmds[i].syntax;

			if (strncmp(w, argv[0], first) == 0 && (w[first] == ' ' || !w[first]) &&
					len + strlen(w) + 3 < sizeof(hint))
				len += snprintf(hint + len, sizeof(hint) - len, "%s'%s'",
					len ? ", " : "", w);
		}
	RTE_SET_USED(argc);
	if (len)
		return sl_cli_error(c, EINVAL, "unknown command '%s'; did you mean %s?",
			argv[0], hint);
	return sl_cli_error(c, EINVAL, "unknown command '%s' (try 'help')", argv[0]);
}

int
sl_cli_exec(struct sl_cli_ctx *c, const char *line)
{
	char buf[SL_CLI_LINE_MAX + 1];
	char *argv[SL_CLI_ARGS_MAX];
	const struct sl_cli_cmd *cmd;
	int argc, nwords;

	if (strlen(line) > SL_CLI_LINE_MAX)
		return sl_cli_error(c, E2BIG, "line too long (max %d bytes)", SL_CLI_LINE_MAX);
	strcpy(buf, line);
	argc = sl_cli_tokenize(buf, argv, SL_CLI_ARGS_MAX);
	if (argc == -E2BIG)
		return sl_cli_error(c, E2BIG, "too many words (max %d)", SL_CLI_ARGS_MAX);
	if (argc < 0)
		return sl_cli_error(c, EINVAL, "invalid character in command line");
	if (argc == 0 || argv[0][0] == '#')
		return -ENODATA;
	cmd = lookup(argc, argv, &nwords);
	if (cmd == NULL)
		return unknown(c, argc, argv);
	RTE_SET_USED(nwords);
	return cmd->handler(c, argc, argv);
}

json_t *
sl_cli_reply(const char *line)
{
	struct sl_cli_ctx c = { 0 };
	json_t *reply;
	int rc;

	rc = sl_cli_exec(&c, line);
	if (rc == -ENODATA) {
		json_decref(c.result);
		return NULL;
	}
	if (rc < 0) {
		json_decref(c.result);
		if (c.err[0] == '\0')
			snprintf(c.err, sizeof(c.err), "%s", strerror(-rc));
		return json_pack("{s:b, s:s}", "ok", 0, "error", c.err);
	}
	reply = json_pack("{s:b, s:o}", "ok", 1, "result", c.result ? c.result : json_null());
	return reply;
}

static int
cmd_cmp(const void *a, const void *b)
{
	const struct sl_cli_cmd *const *x = a, *const *y = b;

	return strcmp((*x)->syntax, (*y)->syntax);
}

/* Sorted view of every registered command (the tables are static). */
static unsigned int
sorted_cmds(const struct sl_cli_cmd **out, unsigned int max)
{
	unsigned int n = 0;

	for (const struct sl_cli_table *t = tables; t != NULL; t = t->next)
		for (unsigned int i = 0; i < t->n && n < max; i++)
			out[n++] = &t->cmds[i];
	qsort(out, n, sizeof(out[0]), cmd_cmp);
	return n;
}

json_t *
sl_cli_help_json(void)
{
	const struct sl_cli_cmd *cmds[256];
	unsigned int n = sorted_cmds(cmds, RTE_DIM(cmds));
	json_t *a = json_array();

	for (unsigned int i = 0; i < n; i++) {
		/* "command": the syntax's leading lower-case words ("port set"). */
		char cmd[64];
		size_t len = 0;

		for (const char *w = cmds[i]->syntax; *w && len < sizeof(cmd) - 1;) {
			size_t wl = strcspn(w, " ");

			/* placeholders: NAME, [opt], on|off */
			if (!islower((unsigned char)w[0]) || memchr(w, '|', wl) != NULL ||
					len + wl + 1 >= sizeof(cmd))
				break;
			len += snprintf(cmd + len, sizeof(cmd) - len, "%s%.*s", len ? " " : "",
				(int)wl, w);
			w += wl;
			while (*w == ' ')
				w++;
		}
		json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "command", cmd,
			"syntax", cmds[i]->syntax, "help", cmds[i]->help));
	}
	return a;
}

void
sl_cli_print_markdown(FILE *f)
{
	const struct sl_cli_cmd *cmds[256];
	unsigned int n = sorted_cmds(cmds, RTE_DIM(cmds));

	fprintf(f, "# sluicectl command reference\n\n"
		"Generated by `sluiced --commands-md` from the daemon's command table; "
		"`sluicectl help` prints the same list.\n"
		"Replies are JSON (see protocol.md); sluicectl renders them as tables "
		"unless `--json` is given.\n\n");
	for (unsigned int i = 0; i < n; i++)
		fprintf(f, "### `%s`\n\n%s\n\n", cmds[i]->syntax, cmds[i]->help);
}

static int
cmd_help(struct sl_cli_ctx *c, int argc, char **argv)
{
	RTE_SET_USED(argv);
	if (argc != 1)
		return sl_cli_error(c, EINVAL, "usage: help");
	c->result = sl_cli_help_json();
	return 0;
}

static const struct sl_cli_cmd help_cmds[] = {
	{ "help", "help", "List every command with its syntax.", cmd_help },
};
SL_CLI_COMMANDS(help_cmds)
