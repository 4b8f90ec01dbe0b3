/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the CLI core (ctrl/cli/cli.c): tokenizer, number and name
 * parsing, the command registry and dispatch. No EAL: the registry is filled
 * by constructors and dispatch touches no DPDK state. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctrl/cli/cli.h"
#include "dataplane/sluice.h"

/* sluiced defines the log type in dataplane/main.c, outside libsluice; weak,
 * so a definition moved into the library takes over. */
__attribute__((weak)) int sl_logtype;

/* What the last test handler saw: its name and a copy of argv. */
static struct {
	const char *handler;
	int argc;
	char argv[SL_CLI_ARGS_MAX][64];
	size_t last_len;	/* strlen(argv[argc - 1]): the long-line test */
	bool replay;
} seen;

static void
record(const char *handler, struct sl_cli_ctx *c, int argc, char **argv)
{
	memset(&seen, 0, sizeof(seen));
	seen.handler = handler;
	seen.argc = argc;
	seen.replay = c->replay;
	for (int i = 0; i < argc && i < SL_CLI_ARGS_MAX; i++)
		snprintf(seen.argv[i], sizeof(seen.argv[i]), "%s", argv[i]);
	if (argc > 0)
		seen.last_len = strlen(argv[argc - 1]);
}

static int
h_echo(struct sl_cli_ctx *c, int argc, char **argv)
{
	record("echo", c, argc, argv);
	c->result = json_array();
	for (int i = 2; i < argc; i++)
		json_array_append_new(c->result, json_string(argv[i]));
	return 0;
}

static int
h_bare(struct sl_cli_ctx *c, int argc, char **argv)
{
	record("bare", c, argc, argv);
	return 0;
}

static int
h_mtu(struct sl_cli_ctx *c, int argc, char **argv)
{
	record("mtu", c, argc, argv);
	return 0;
}

static int
h_fail(struct sl_cli_ctx *c, int argc, char **argv)
{
	record("fail", c, argc, argv);
	return sl_cli_error(c, ERANGE, "utest: value %s out of range 1-9",
		argc > 2 ? argv[2] : "?");
}

static int
h_fail_silent(struct sl_cli_ctx *c, int argc, char **argv)
{
	record("fail-silent", c, argc, argv);
	return -EIO;
}

static int
h_mode(struct sl_cli_ctx *c, int argc, char **argv)
{
	record("mode", c, argc, argv);
	return 0;
}

static int
h_hint(struct sl_cli_ctx *c, int argc, char **argv)
{
	record("hint", c, argc, argv);
	return 0;
}

static const struct sl_cli_cmd utest_cmds[] = {
	{ "utest", "utest [ANY...]", "Bare word: the shortest match.", h_bare },
	{ "utest echo", "utest echo [WORD...]", "Reply with the words after 'echo'.", h_echo },
	{ "utest set * mtu", "utest set NAME mtu N", "A wildcard word in the middle.", h_mtu },
	{ "utest fail", "utest fail N", "Always fails with a message.", h_fail },
	{ "utest fail-silent", "utest fail-silent", "Fails without a message.", h_fail_silent },
	{ "utest mode", "utest mode on|off", "Syntax whose first argument is lower case.", h_mode },
};
SL_CLI_COMMANDS(utest_cmds)

/* A second table: the unknown-command hint lists rows sharing a first word. */
static const struct sl_cli_cmd uhint_cmds[] = {
	{ "uhint alpha", "uhint alpha N", "First of two.", h_hint },
	{ "uhint beta", "uhint beta", "Second of two.", h_hint },
};
SL_CLI_COMMANDS(uhint_cmds)

static int
reset(void **state)
{
	(void)state;
	memset(&seen, 0, sizeof(seen));
	return 0;
}

/* ---- tokenizer ---- */

static void
test_tokenize_splits_on_blanks_and_tabs(void **state)
{
	char line[] = "  port \t add\tvm1   net_null0  \r";
	char *argv[8];

	(void)state;
	assert_int_equal(sl_cli_tokenize(line, argv, 8), 4);
	assert_string_equal(argv[0], "port");
	assert_string_equal(argv[1], "add");
	assert_string_equal(argv[2], "vm1");
	assert_string_equal(argv[3], "net_null0");
}

static void
test_tokenize_empty_and_blank_lines_have_no_words(void **state)
{
	char empty[] = "", blank[] = " \t \t  ";
	char *argv[4];

	(void)state;
	assert_int_equal(sl_cli_tokenize(empty, argv, 4), 0);
	assert_int_equal(sl_cli_tokenize(blank, argv, 4), 0);
}

static void
test_tokenize_too_many_words_is_e2big(void **state)
{
	char exact[] = "a b c d", trailing[] = "a b c d   \t", over[] = "a b c d e";
	char *argv[4];

	(void)state;
	assert_int_equal(sl_cli_tokenize(exact, argv, 4), 4);
	assert_string_equal(argv[3], "d");
	/* Trailing blanks after the last allowed word are not a word. */
	assert_int_equal(sl_cli_tokenize(trailing, argv, 4), 4);
	assert_string_equal(argv[3], "d");
	assert_int_equal(sl_cli_tokenize(over, argv, 4), -E2BIG);
}

static void
test_tokenize_control_and_high_bytes_are_einval(void **state)
{
	static const char *const bad[] = {
		"port add\x01 x", "port\nadd", "esc\x1b[0m", "del\x7f", "caf\xc3\xa9",
		"\x80", "x \xff",
	};
	char *argv[8];

	(void)state;
	for (size_t i = 0; i < RTE_DIM(bad); i++) {
		char line[64];

		snprintf(line, sizeof(line), "%s", bad[i]);
		assert_int_equal(sl_cli_tokenize(line, argv, 8), -EINVAL);
	}
}

/* ---- sl_parse_u32 ---- */

static void
test_parse_u32_accepts_decimal_in_range(void **state)
{
	uint32_t v = 12345;

	(void)state;
	assert_int_equal(sl_parse_u32("0", 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(sl_parse_u32("10", 0, 10, &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(sl_parse_u32("68", 68, 9600, &v), 0);
	assert_int_equal(v, 68);
	assert_int_equal(sl_parse_u32("4294967295", 0, UINT32_MAX, &v), 0);
	assert_int_equal(v, UINT32_MAX);
}

static void
test_parse_u32_range_is_erange_and_out_untouched(void **state)
{
	uint32_t v = 777;

	(void)state;
	assert_int_equal(sl_parse_u32("11", 0, 10, &v), -ERANGE);
	assert_int_equal(sl_parse_u32("0", 1, 10, &v), -ERANGE);
	assert_int_equal(sl_parse_u32("67", 68, 9600, &v), -ERANGE);
	assert_int_equal(sl_parse_u32("9601", 68, 9600, &v), -ERANGE);
	assert_int_equal(v, 777);
}

static void
test_parse_u32_overflow_is_refused(void **state)
{
	static const char *const big[] = {
		"4294967296", "9999999999", "99999999999", "18446744073709551616",
		"340282366920938463463374607431768211456",
	};
	uint32_t v = 777;

	(void)state;
	for (size_t i = 0; i < RTE_DIM(big); i++) {
		int rc = sl_parse_u32(big[i], 0, UINT32_MAX, &v);

		assert_true(rc == -ERANGE || rc == -EINVAL);
		assert_int_equal(v, 777);
	}
	/* Fits in a uint64 but not in 32 bits: a range error, not a wrap. */
	assert_int_equal(sl_parse_u32("4294967296", 0, UINT32_MAX, &v), -ERANGE);
	assert_int_equal(v, 777);
}

static void
test_parse_u32_rejects_signs_blanks_hex_and_junk(void **state)
{
	static const char *const bad[] = {
		"", "+5", "-1", "-0", " 5", "5 ", "\t5", "0x10", "0X1f", "1e3", "5.0",
		"12a", "a12", "1_000", "١",
	};
	uint32_t v = 777;

	(void)state;
	for (size_t i = 0; i < RTE_DIM(bad); i++)
		assert_int_equal(sl_parse_u32(bad[i], 0, UINT32_MAX, &v), -EINVAL);
	assert_int_equal(sl_parse_u32(NULL, 0, UINT32_MAX, &v), -EINVAL);
	assert_int_equal(v, 777);
}

/* ---- names ---- */

static void
test_name_valid(void **state)
{
	char longest[32], too_long[33];

	(void)state;
	memset(longest, 'a', 31);
	longest[31] = '\0';
	memset(too_long, 'b', 32);
	too_long[32] = '\0';
	assert_true(sl_name_valid("vm1"));
	assert_true(sl_name_valid("a"));
	assert_true(sl_name_valid("A_b.c:d-E9"));
	assert_true(sl_name_valid(longest));
	assert_false(sl_name_valid(too_long));
	assert_false(sl_name_valid(""));
	assert_false(sl_name_valid("a b"));
	assert_false(sl_name_valid("a/b"));
	assert_false(sl_name_valid("a\tb"));
	assert_false(sl_name_valid("a,b"));
	assert_false(sl_name_valid("a=b"));
	assert_false(sl_name_valid("caf\xc3\xa9"));
	assert_false(sl_name_valid("#x"));
}

/* ---- dispatch ---- */

static void
test_exec_dispatches_longest_match_with_whole_argv(void **state)
{
	struct sl_cli_ctx c = { 0 };

	(void)state;
	assert_int_equal(sl_cli_exec(&c, "utest echo one two"), 0);
	assert_string_equal(seen.handler, "echo");
	assert_int_equal(seen.argc, 4);
	assert_string_equal(seen.argv[0], "utest");
	assert_string_equal(seen.argv[1], "echo");
	assert_string_equal(seen.argv[3], "two");
	json_decref(c.result);

	memset(&c, 0, sizeof(c));
	assert_int_equal(sl_cli_exec(&c, "utest something else"), 0);
	assert_string_equal(seen.handler, "bare");
	assert_int_equal(seen.argc, 3);
	assert_null(c.result);
}

static void
test_exec_wildcard_word_gets_whole_argv(void **state)
{
	struct sl_cli_ctx c = { 0 };

	(void)state;
	assert_int_equal(sl_cli_exec(&c, "\tutest  set vm-1:0 mtu 9000 "), 0);
	assert_string_equal(seen.handler, "mtu");
	assert_int_equal(seen.argc, 5);
	assert_string_equal(seen.argv[0], "utest");
	assert_string_equal(seen.argv[1], "set");
	assert_string_equal(seen.argv[2], "vm-1:0");
	assert_string_equal(seen.argv[3], "mtu");
	assert_string_equal(seen.argv[4], "9000");
	assert_false(seen.replay);

	/* The word after the wildcard must still match: falls back to "utest". */
	assert_int_equal(sl_cli_exec(&c, "utest set vm1 speed 10"), 0);
	assert_string_equal(seen.handler, "bare");
	/* A command shorter than its row's words does not match that row. */
	assert_int_equal(sl_cli_exec(&c, "utest set vm1"), 0);
	assert_string_equal(seen.handler, "bare");
}

static void
test_exec_words_match_whole_words_only(void **state)
{
	struct sl_cli_ctx c = { 0 };

	(void)state;
	/* "utestx" is not "utest" and "echoes" is not "echo". */
	assert_int_equal(sl_cli_exec(&c, "utestx echo"), -EINVAL);
	assert_null(seen.handler);
	assert_int_equal(sl_cli_exec(&c, "utest echoes"), 0);
	assert_string_equal(seen.handler, "bare");
	assert_int_equal(sl_cli_exec(&c, "UTEST echo"), -EINVAL);
}

static void
test_exec_unknown_command_is_an_error_naming_it(void **state)
{
	struct sl_cli_ctx c = { 0 };

	(void)state;
	assert_int_equal(sl_cli_exec(&c, "frobnicate now"), -EINVAL);
	assert_non_null(strstr(c.err, "unknown command 'frobnicate'"));
	assert_null(seen.handler);

	/* Rows sharing the first word are offered. */
	memset(&c, 0, sizeof(c));
	assert_int_equal(sl_cli_exec(&c, "uhint gamma"), -EINVAL);
	assert_non_null(strstr(c.err, "unknown command 'uhint'"));
	assert_non_null(strstr(c.err, "'uhint alpha N'"));
	assert_non_null(strstr(c.err, "'uhint beta'"));
	assert_null(seen.handler);
}

static void
test_exec_handler_error_is_returned_with_message(void **state)
{
	struct sl_cli_ctx c = { 0 };
	json_t *r;

	(void)state;
	assert_int_equal(sl_cli_exec(&c, "utest fail 42"), -ERANGE);
	assert_string_equal(c.err, "utest: value 42 out of range 1-9");

	r = sl_cli_reply("utest fail 42");
	assert_non_null(r);
	assert_true(json_is_false(json_object_get(r, "ok")));
	assert_string_equal(json_string_value(json_object_get(r, "error")),
		"utest: value 42 out of range 1-9");
	assert_null(json_object_get(r, "result"));
	json_decref(r);

	/* No message from the handler: the reply falls back to strerror. */
	r = sl_cli_reply("utest fail-silent");
	assert_non_null(r);
	assert_true(json_is_false(json_object_get(r, "ok")));
	assert_string_equal(json_string_value(json_object_get(r, "error")), strerror(EIO));
	json_decref(r);
}

static void
test_reply_ok_carries_result_or_null(void **state)
{
	json_t *r, *res;

	(void)state;
	r = sl_cli_reply("utest echo x y");
	assert_non_null(r);
	assert_true(json_is_true(json_object_get(r, "ok")));
	res = json_object_get(r, "result");
	assert_true(json_is_array(res));
	assert_int_equal(json_array_size(res), 2);
	assert_string_equal(json_string_value(json_array_get(res, 0)), "x");
	assert_string_equal(json_string_value(json_array_get(res, 1)), "y");
	assert_null(json_object_get(r, "error"));
	json_decref(r);

	r = sl_cli_reply("utest set p mtu 1500");
	assert_non_null(r);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_true(json_is_null(json_object_get(r, "result")));
	json_decref(r);
}

static void
test_reply_unknown_command(void **state)
{
	json_t *r;

	(void)state;
	r = sl_cli_reply("no-such-command");
	assert_non_null(r);
	assert_true(json_is_false(json_object_get(r, "ok")));
	assert_non_null(strstr(json_string_value(json_object_get(r, "error")),
		"unknown command 'no-such-command'"));
	json_decref(r);
}

static void
test_comments_and_blank_lines_are_enodata_and_get_no_reply(void **state)
{
	static const char *const quiet[] = {
		"", " ", "\t \t", "\r", "#", "# a comment", "   # indented comment",
		"#utest echo x",
	};
	struct sl_cli_ctx c = { 0 };

	(void)state;
	for (size_t i = 0; i < RTE_DIM(quiet); i++) {
		memset(&c, 0, sizeof(c));
		assert_int_equal(sl_cli_exec(&c, quiet[i]), -ENODATA);
		assert_null(c.result);
		assert_null(sl_cli_reply(quiet[i]));
	}
	assert_null(seen.handler);
}

static void
test_invalid_bytes_are_an_error_reply(void **state)
{
	struct sl_cli_ctx c = { 0 };
	json_t *r;

	(void)state;
	assert_int_equal(sl_cli_exec(&c, "utest echo \x01"), -EINVAL);
	assert_non_null(strstr(c.err, "invalid character"));
	assert_null(seen.handler);
	r = sl_cli_reply("utest echo \xff");
	assert_non_null(r);
	assert_true(json_is_false(json_object_get(r, "ok")));
	json_decref(r);
	assert_null(seen.handler);
}

static void
test_too_many_words_is_an_error(void **state)
{
	char line[SL_CLI_ARGS_MAX * 3 + 32];
	struct sl_cli_ctx c = { 0 };
	size_t len;

	(void)state;
	/* Exactly SL_CLI_ARGS_MAX words is fine. */
	len = snprintf(line, sizeof(line), "utest echo");
	for (int i = 2; i < SL_CLI_ARGS_MAX; i++)
		len += snprintf(line + len, sizeof(line) - len, " w");
	assert_int_equal(sl_cli_exec(&c, line), 0);
	assert_string_equal(seen.handler, "echo");
	assert_int_equal(seen.argc, SL_CLI_ARGS_MAX);
	json_decref(c.result);

	memset(&seen, 0, sizeof(seen));
	memset(&c, 0, sizeof(c));
	snprintf(line + len, sizeof(line) - len, " w");
	assert_int_equal(sl_cli_exec(&c, line), -E2BIG);
	assert_non_null(strstr(c.err, "too many words"));
	assert_null(seen.handler);
}

static void
test_over_long_line_is_an_error(void **state)
{
	char *line = malloc(SL_CLI_LINE_MAX + 2);
	struct sl_cli_ctx c = { 0 };
	size_t hdr = strlen("utest echo ");
	json_t *r;

	(void)state;
	assert_non_null(line);
	/* SL_CLI_LINE_MAX bytes exactly: accepted, the last word arrives whole. */
	memcpy(line, "utest echo ", hdr);
	memset(line + hdr, 'a', SL_CLI_LINE_MAX - hdr);
	line[SL_CLI_LINE_MAX] = '\0';
	assert_int_equal(sl_cli_exec(&c, line), 0);
	assert_string_equal(seen.handler, "echo");
	assert_int_equal(seen.last_len, SL_CLI_LINE_MAX - hdr);
	json_decref(c.result);

	/* One byte more: refused before any parsing. */
	memset(&seen, 0, sizeof(seen));
	memset(&c, 0, sizeof(c));
	line[SL_CLI_LINE_MAX] = 'a';
	line[SL_CLI_LINE_MAX + 1] = '\0';
	assert_int_equal(sl_cli_exec(&c, line), -E2BIG);
	assert_non_null(strstr(c.err, "line too long"));
	assert_null(seen.handler);

	r = sl_cli_reply(line);
	assert_non_null(r);
	assert_true(json_is_false(json_object_get(r, "ok")));
	assert_non_null(strstr(json_string_value(json_object_get(r, "error")), "line too long"));
	json_decref(r);
	free(line);
}

/* ---- help ---- */

static const json_t *
help_find(const json_t *a, const char *syntax)
{
	const json_t *found = NULL;
	size_t i;
	json_t *e;

	json_array_foreach(a, i, e)
		if (strcmp(json_string_value(json_object_get(e, "syntax")), syntax) == 0) {
			assert_null(found);	/* listed once */
			found = e;
		}
	return found;
}

static void
test_help_lists_every_command_sorted(void **state)
{
	static const struct sl_cli_cmd *const mine[] = {
		&utest_cmds[0], &utest_cmds[1], &utest_cmds[2], &utest_cmds[3],
		&utest_cmds[4], &utest_cmds[5], &uhint_cmds[0], &uhint_cmds[1],
	};
	char *md = NULL;
	size_t md_len = 0, n_md = 0;
	json_t *r, *a, *e;
	FILE *f;
	size_t i;

	(void)state;
	r = sl_cli_reply("help");
	assert_non_null(r);
	assert_true(json_is_true(json_object_get(r, "ok")));
	a = json_object_get(r, "result");
	assert_true(json_is_array(a));

	/* Every row of this test's tables, and help itself, once each. */
	for (i = 0; i < RTE_DIM(mine); i++) {
		const json_t *h = help_find(a, mine[i]->syntax);

		assert_non_null(h);
		assert_string_equal(json_string_value(json_object_get(h, "help")), mine[i]->help);
	}
	assert_non_null(help_find(a, "help"));

	/* Sorted by command (protocol.md), each entry complete. */
	json_array_foreach(a, i, e) {
		assert_true(json_is_string(json_object_get(e, "command")));
		assert_true(json_is_string(json_object_get(e, "syntax")));
		assert_true(json_is_string(json_object_get(e, "help")));
		if (i > 0)
			assert_true(strcmp(json_string_value(json_object_get(
				json_array_get(a, i - 1), "command")),
				json_string_value(json_object_get(e, "command"))) <= 0);
	}

	/* The markdown reference comes from the same table: same number of rows. */
	f = open_memstream(&md, &md_len);
	assert_non_null(f);
	sl_cli_print_markdown(f);
	fclose(f);
	for (const char *p = md; (p = strstr(p, "\n### `")) != NULL; p++)
		n_md++;
	free(md);
	assert_int_equal(n_md, json_array_size(a));
	json_decref(r);
}

static void
test_help_command_is_the_leading_words(void **state)
{
	json_t *a = sl_cli_help_json();

	(void)state;
	assert_string_equal(json_string_value(json_object_get(help_find(a, "utest set NAME mtu N"),
		"command")), "utest set");
	assert_string_equal(json_string_value(json_object_get(help_find(a, "uhint alpha N"),
		"command")), "uhint alpha");
	assert_string_equal(json_string_value(json_object_get(help_find(a, "help"),
		"command")), "help");
	json_decref(a);
}

/* A row's "command" is its command words: a lower-case argument placeholder
 * such as "on|off" in "set busy-poll on|off" is syntax, not command. */
static void
test_help_command_excludes_lowercase_placeholders(void **state)
{
	json_t *a = sl_cli_help_json();
	char cmd[64];

	(void)state;
	snprintf(cmd, sizeof(cmd), "%s", json_string_value(json_object_get(
		help_find(a, "utest mode on|off"), "command")));
	json_decref(a);
	assert_string_equal(cmd, "utest mode");
}

static void
test_help_takes_no_arguments(void **state)
{
	struct sl_cli_ctx c = { 0 };

	(void)state;
	assert_int_equal(sl_cli_exec(&c, "help me"), -EINVAL);
	assert_non_null(strstr(c.err, "usage: help"));
	assert_null(c.result);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_tokenize_splits_on_blanks_and_tabs, reset),
		cmocka_unit_test_setup(test_tokenize_empty_and_blank_lines_have_no_words, reset),
		cmocka_unit_test_setup(test_tokenize_too_many_words_is_e2big, reset),
		cmocka_unit_test_setup(test_tokenize_control_and_high_bytes_are_einval, reset),
		cmocka_unit_test_setup(test_parse_u32_accepts_decimal_in_range, reset),
		cmocka_unit_test_setup(test_parse_u32_range_is_erange_and_out_untouched, reset),
		cmocka_unit_test_setup(test_parse_u32_overflow_is_refused, reset),
		cmocka_unit_test_setup(test_parse_u32_rejects_signs_blanks_hex_and_junk, reset),
		cmocka_unit_test_setup(test_name_valid, reset),
		cmocka_unit_test_setup(test_exec_dispatches_longest_match_with_whole_argv, reset),
		cmocka_unit_test_setup(test_exec_wildcard_word_gets_whole_argv, reset),
		cmocka_unit_test_setup(test_exec_words_match_whole_words_only, reset),
		cmocka_unit_test_setup(test_exec_unknown_command_is_an_error_naming_it, reset),
		cmocka_unit_test_setup(test_exec_handler_error_is_returned_with_message, reset),
		cmocka_unit_test_setup(test_reply_ok_carries_result_or_null, reset),
		cmocka_unit_test_setup(test_reply_unknown_command, reset),
		cmocka_unit_test_setup(test_comments_and_blank_lines_are_enodata_and_get_no_reply,
			reset),
		cmocka_unit_test_setup(test_invalid_bytes_are_an_error_reply, reset),
		cmocka_unit_test_setup(test_too_many_words_is_an_error, reset),
		cmocka_unit_test_setup(test_over_long_line_is_an_error, reset),
		cmocka_unit_test_setup(test_help_lists_every_command_sorted, reset),
		cmocka_unit_test_setup(test_help_command_is_the_leading_words, reset),
		cmocka_unit_test_setup(test_help_command_excludes_lowercase_placeholders, reset),
		cmocka_unit_test_setup(test_help_takes_no_arguments, reset),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
