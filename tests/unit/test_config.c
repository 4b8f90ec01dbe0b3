/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the crash-only config store (ctrl/config/config.c): atomic
 * persistence into a temp dir, failure paths that must leave the old file, and
 * replay through the CLI with FILE:LINE errors. EAL runs without hugepages
 * because debug builds assert that persist/replay run on the main lcore. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_eal.h>

#include "ctrl/cli/cli.h"
#include "ctrl/config/config.h"
#include "dataplane/sluice.h"

/* sluiced defines the log type in dataplane/main.c, outside libsluice; weak,
 * so a definition moved into the library takes over. */
__attribute__((weak)) int sl_logtype;

#define MAX_WORDS 16

static char tmpdir[256];
static char path[512];

/* Test state the "utest-early" section renders as "cfgtest add WORD" lines and
 * the cfgtest commands rebuild on replay. */
static struct {
	char words[MAX_WORDS][32];
	unsigned int n;
	bool late;		/* "utest-late" renders one line */
	unsigned int runs;	/* cfgtest handler calls */
	bool all_replay;	/* every call had c->replay and sl_config_replaying() */
	int persist_rc;		/* from "cfgtest persist" */
} st;

static void
render_early(json_t *lines)
{
	for (unsigned int i = 0; i < st.n; i++)
		json_array_append_new(lines, json_sprintf("cfgtest add %s", st.words[i]));
}
/* Lowest and highest order: first and last in the file. */
SL_CONFIG_SECTION("utest-early", -1000000, render_early)

static void
render_late(json_t *lines)
{
	if (st.late)
		json_array_append_new(lines, json_string("cfgtest late"));
}
SL_CONFIG_SECTION("utest-late", 1000000, render_late)

static void
seen_call(struct sl_cli_ctx *c)
{
	if (st.runs++ == 0)
		st.all_replay = true;
	st.all_replay = st.all_replay && c->replay && sl_config_replaying();
}

static int
h_add(struct sl_cli_ctx *c, int argc, char **argv)
{
	seen_call(c);
	if (argc != 3)
		return sl_cli_error(c, EINVAL, "usage: cfgtest add WORD");
	if (st.n == MAX_WORDS)
		return sl_cli_error(c, ENOSPC, "cfgtest: too many words");
	snprintf(st.words[st.n++], sizeof(st.words[0]), "%s", argv[2]);
	return 0;
}

static int
h_late(struct sl_cli_ctx *c, int argc, char **argv)
{
	RTE_SET_USED(argc);
	RTE_SET_USED(argv);
	seen_call(c);
	st.late = true;
	return 0;
}

static int
h_fail(struct sl_cli_ctx *c, int argc, char **argv)
{
	seen_call(c);
	return sl_cli_error(c, EPERM, "cfgtest: refused '%s'", argc > 2 ? argv[2] : "");
}

static int
h_persist(struct sl_cli_ctx *c, int argc, char **argv)
{
	RTE_SET_USED(argc);
	RTE_SET_USED(argv);
	seen_call(c);
	st.persist_rc = sl_config_persist();
	return 0;
}

static const struct sl_cli_cmd cfgtest_cmds[] = {
	{ "cfgtest add", "cfgtest add WORD", "Add a word to the test state.", h_add },
	{ "cfgtest late", "cfgtest late", "Turn the late section on.", h_late },
	{ "cfgtest fail", "cfgtest fail WHAT", "Always fails.", h_fail },
	{ "cfgtest persist", "cfgtest persist", "Calls sl_config_persist().", h_persist },
};
SL_CLI_COMMANDS(cfgtest_cmds)

/* ---- helpers ---- */

static char *
slurp(const char *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = fopen(p, "re"), *m;
	int ch;

	if (f == NULL)
		return NULL;
	m = open_memstream(&buf, &len);
	assert_non_null(m);
	while ((ch = fgetc(f)) != EOF)
		fputc(ch, m);
	fclose(m);
	fclose(f);
	return buf;
}

static void
spit(const char *p, const char *content)
{
	FILE *f = fopen(p, "we");

	assert_non_null(f);
	assert_int_equal(fputs(content, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void
spit_n(const char *p, const char *content, size_t len)
{
	FILE *f = fopen(p, "we");

	assert_non_null(f);
	assert_int_equal(fwrite(content, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Names in dir other than . and .., sorted, each followed by ",". */
static unsigned int
dir_entries(const char *dir, char *out, size_t outlen)
{
	struct dirent **list;
	unsigned int n = 0;
	int cnt;

	out[0] = '\0';
	cnt = scandir(dir, &list, NULL, alphasort);
	assert_true(cnt >= 0);
	for (int i = 0; i < cnt; i++) {
		if (strcmp(list[i]->d_name, ".") && strcmp(list[i]->d_name, "..")) {
			strncat(out, list[i]->d_name, outlen - strlen(out) - 1);
			strncat(out, ",", outlen - strlen(out) - 1);
			n++;
		}
		free(list[i]);
	}
	free(list);
	return n;
}

static void
state_set(unsigned int n, ...)
{
	va_list ap;

	memset(&st, 0, sizeof(st));
	va_start(ap, n);
	for (unsigned int i = 0; i < n; i++)
		snprintf(st.words[i], sizeof(st.words[0]), "%s", va_arg(ap, const char *));
	va_end(ap);
	st.n = n;
}

/* The file as persist must write it: a comment line, then sl_config_lines(). */
static char *
expected_file(void)
{
	json_t *lines = sl_config_lines(), *l;
	char *buf = NULL;
	size_t len = 0, i;
	FILE *m = open_memstream(&buf, &len);

	assert_non_null(m);
	json_array_foreach(lines, i, l)
		fprintf(m, "%s\n", json_string_value(l));
	fclose(m);
	json_decref(lines);
	return buf;
}

static void
assert_file_is_config(const char *p)
{
	char *got = slurp(p), *want = expected_file(), *body;

	assert_non_null(got);
	/* First line: a comment (replay skips it), then exactly the lines. */
	assert_true(got[0] == '#');
	body = strchr(got, '\n');
	assert_non_null(body);
	assert_string_equal(body + 1, want);
	free(got);
	free(want);
}

static int
rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	RTE_SET_USED(sb);
	RTE_SET_USED(flag);
	RTE_SET_USED(ftw);
	remove(p);
	return 0;
}

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sl_ut_config.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/sluice.conf", tmpdir);
	sl_config_set_path(path);
	memset(&st, 0, sizeof(st));
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	nftw(tmpdir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* ---- persist ---- */

static void
test_persist_writes_comment_then_every_section_in_order(void **state)
{
	json_t *lines;
	size_t n;

	(void)state;
	state_set(3, "one", "two", "three");
	st.late = true;
	lines = sl_config_lines();
	n = json_array_size(lines);
	assert_true(n >= 4);
	/* Lower order renders first: our lowest section opens, the highest closes. */
	assert_string_equal(json_string_value(json_array_get(lines, 0)), "cfgtest add one");
	assert_string_equal(json_string_value(json_array_get(lines, 1)), "cfgtest add two");
	assert_string_equal(json_string_value(json_array_get(lines, 2)), "cfgtest add three");
	assert_string_equal(json_string_value(json_array_get(lines, n - 1)), "cfgtest late");
	json_decref(lines);

	assert_int_equal(sl_config_persist(), 0);
	assert_file_is_config(path);
}

static void
test_persist_replaces_the_file_atomically(void **state)
{
	char names[256], *old_seen;
	struct stat before, after;
	int fd;

	(void)state;
	state_set(1, "first");
	assert_int_equal(sl_config_persist(), 0);
	assert_int_equal(stat(path, &before), 0);
	/* A reader that opened the old file keeps reading the old file whole. */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);

	state_set(2, "second", "third");
	assert_int_equal(sl_config_persist(), 0);
	assert_file_is_config(path);
	assert_int_equal(stat(path, &after), 0);
	/* rename(), not a rewrite in place: a new inode. */
	assert_true(before.st_ino != after.st_ino);

	old_seen = calloc(1, 4096);
	assert_non_null(old_seen);
	assert_true(read(fd, old_seen, 4095) > 0);
	close(fd);
	assert_non_null(strstr(old_seen, "cfgtest add first\n"));
	assert_null(strstr(old_seen, "second"));
	free(old_seen);

	/* Nothing left behind: no .tmp. */
	assert_int_equal(dir_entries(tmpdir, names, sizeof(names)), 1);
	assert_string_equal(names, "sluice.conf,");
}

static void
test_persist_creates_a_missing_parent_dir(void **state)
{
	char p[600];
	struct stat sb;

	(void)state;
	snprintf(p, sizeof(p), "%s/newdir/sluice.conf", tmpdir);
	sl_config_set_path(p);
	assert_string_equal(sl_config_path(), p);
	state_set(1, "x");
	assert_int_equal(sl_config_persist(), 0);
	assert_file_is_config(p);
	snprintf(p, sizeof(p), "%s/newdir", tmpdir);
	assert_int_equal(stat(p, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
}

static void
test_persist_fails_when_the_parent_is_a_regular_file(void **state)
{
	char file[600], p[700];
	char *content;

	(void)state;
	snprintf(file, sizeof(file), "%s/plainfile", tmpdir);
	spit(file, "not a directory\n");
	snprintf(p, sizeof(p), "%s/sluice.conf", file);
	sl_config_set_path(p);
	state_set(1, "x");
	assert_int_equal(sl_config_persist(), -ENOTDIR);
	content = slurp(file);
	assert_string_equal(content, "not a directory\n");
	free(content);
}

static void
test_persist_fails_in_a_missing_deep_dir(void **state)
{
	char p[600], names[256];

	(void)state;
	snprintf(p, sizeof(p), "%s/no/such/dir/sluice.conf", tmpdir);
	sl_config_set_path(p);
	state_set(1, "x");
	assert_int_equal(sl_config_persist(), -ENOENT);
	assert_int_equal(dir_entries(tmpdir, names, sizeof(names)), 0);
}

/* The temp file cannot take the data (ENOSPC): the old file is untouched and
 * the temp name is removed. /dev/full stands in for a full disk. */
static void
test_persist_write_error_keeps_the_old_file(void **state)
{
	char tmp[600], names[256], *old, *now;
	struct stat sb;

	(void)state;
	if (stat("/dev/full", &sb) < 0 || !S_ISCHR(sb.st_mode))
		skip();
	state_set(1, "old");
	assert_int_equal(sl_config_persist(), 0);
	old = slurp(path);
	assert_non_null(old);

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_int_equal(symlink("/dev/full", tmp), 0);
	state_set(2, "new", "newer");
	assert_int_equal(sl_config_persist(), -ENOSPC);

	now = slurp(path);
	assert_string_equal(now, old);
	assert_int_equal(dir_entries(tmpdir, names, sizeof(names)), 1);
	assert_string_equal(names, "sluice.conf,");
	assert_int_equal(stat("/dev/full", &sb), 0);
	free(old);
	free(now);
}

/* The rename fails (the config path is a directory): the temp file is removed
 * and what was at the path is untouched. */
static void
test_persist_rename_error_removes_the_temp_file(void **state)
{
	char keep[600], names[256], *content;

	(void)state;
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(keep, sizeof(keep), "%s/keep", path);
	spit(keep, "kept\n");
	state_set(1, "x");
	assert_int_equal(sl_config_persist(), -EISDIR);
	assert_int_equal(dir_entries(tmpdir, names, sizeof(names)), 1);
	assert_string_equal(names, "sluice.conf,");
	content = slurp(keep);
	assert_string_equal(content, "kept\n");
	free(content);
}

/* ---- replay ---- */

static void
test_replay_runs_every_line_through_the_cli(void **state)
{
	char err[512] = "untouched";

	(void)state;
	spit(path, "# written by hand\n"
		"\n"
		"cfgtest add alpha\n"
		"   \t\n"
		"  # indented comment\n"
		"cfgtest  add\tbeta\r\n"
		"cfgtest late\n");
	assert_false(sl_config_replaying());
	assert_int_equal(sl_config_replay(err, sizeof(err)), 0);
	assert_false(sl_config_replaying());
	assert_string_equal(err, "untouched");
	assert_int_equal(st.runs, 3);
	assert_true(st.all_replay);
	assert_int_equal(st.n, 2);
	assert_string_equal(st.words[0], "alpha");
	assert_string_equal(st.words[1], "beta");
	assert_true(st.late);
}

static void
test_persist_then_replay_restores_the_state(void **state)
{
	char err[512] = "";

	(void)state;
	state_set(3, "a", "b:c", "d-e.f");
	st.late = true;
	assert_int_equal(sl_config_persist(), 0);
	memset(&st, 0, sizeof(st));
	assert_int_equal(sl_config_replay(err, sizeof(err)), 0);
	assert_int_equal(st.n, 3);
	assert_string_equal(st.words[0], "a");
	assert_string_equal(st.words[1], "b:c");
	assert_string_equal(st.words[2], "d-e.f");
	assert_true(st.late);
}

static void
test_persist_during_replay_is_a_noop(void **state)
{
	char err[512] = "";
	struct stat before, after;
	char *content;

	(void)state;
	spit(path, "cfgtest add z\ncfgtest persist\n");
	assert_int_equal(stat(path, &before), 0);
	st.persist_rc = -12345;
	assert_int_equal(sl_config_replay(err, sizeof(err)), 0);
	assert_int_equal(st.persist_rc, 0);
	assert_true(st.all_replay);
	assert_int_equal(stat(path, &after), 0);
	assert_true(before.st_ino == after.st_ino);
	content = slurp(path);
	assert_string_equal(content, "cfgtest add z\ncfgtest persist\n");
	free(content);
}

static void
test_replay_reports_file_and_line_of_the_first_failure(void **state)
{
	char err[512] = "", want[700];

	(void)state;
	spit(path, "cfgtest add one\n"
		"# comment\n"
		"cfgtest fail here\n"
		"cfgtest add never\n"
		"cfgtest fail again\n");
	assert_int_equal(sl_config_replay(err, sizeof(err)), -EPERM);
	snprintf(want, sizeof(want), "%s:3: cfgtest fail here: cfgtest: refused 'here'", path);
	assert_string_equal(err, want);
	assert_false(sl_config_replaying());
	/* Replay stops at the first failure. */
	assert_int_equal(st.n, 1);
	assert_string_equal(st.words[0], "one");
	assert_int_equal(st.runs, 2);
}

static void
test_replay_unknown_command_names_line_and_command(void **state)
{
	char err[512] = "", want[600];

	(void)state;
	spit(path, "\nfrobnicate 1\n");
	assert_int_equal(sl_config_replay(err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:2: frobnicate 1: ", path);
	assert_memory_equal(err, want, strlen(want));
	assert_non_null(strstr(err, "unknown command 'frobnicate'"));
}

static void
test_replay_bad_bytes_name_the_line(void **state)
{
	char err[512] = "", want[600];

	(void)state;
	spit(path, "cfgtest add ok\ncfgtest add caf\xc3\xa9\n");
	assert_int_equal(sl_config_replay(err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:2: ", path);
	assert_memory_equal(err, want, strlen(want));
	assert_non_null(strstr(err, "invalid character"));
}

/* A NUL byte is a control character like any other: the line is refused,
 * not cut at the NUL and run (a line of NULs is not a blank line either). */
static void
test_replay_nul_byte_is_an_error_naming_the_line(void **state)
{
	static const char file[] = "cfgtest add ok\ncfgtest add ab\0cd\n";
	char err[512] = "", want[600];

	(void)state;
	spit_n(path, file, sizeof(file) - 1);
	assert_int_equal(sl_config_replay(err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:2: ", path);
	assert_memory_equal(err, want, strlen(want));
	assert_int_equal(st.n, 1);
	assert_string_equal(st.words[0], "ok");
}

static void
test_replay_truncated_last_line_is_an_error(void **state)
{
	char err[512] = "", want[600];

	(void)state;
	spit(path, "cfgtest add whole\ncfgtest add cut");
	assert_int_equal(sl_config_replay(err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:2: truncated line (no newline at end of file)", path);
	assert_string_equal(err, want);
	assert_false(sl_config_replaying());
	/* The cut line itself never runs. */
	for (unsigned int i = 0; i < st.n; i++)
		assert_string_not_equal(st.words[i], "cut");
}

static void
test_replay_missing_file_is_an_empty_config(void **state)
{
	char err[512] = "untouched";

	(void)state;
	assert_int_equal(sl_config_replay(err, sizeof(err)), 0);
	assert_string_equal(err, "untouched");
	assert_int_equal(st.runs, 0);
	assert_false(sl_config_replaying());
}

static void
test_replay_empty_file_is_an_empty_config(void **state)
{
	char err[512] = "untouched";

	(void)state;
	spit(path, "");
	assert_int_equal(sl_config_replay(err, sizeof(err)), 0);
	assert_int_equal(st.runs, 0);
}

/* A file that exists but cannot be read is not an empty config: starting
 * empty would let the next persist overwrite the operator's config. Here the
 * path is a directory: fopen() succeeds, the first read fails with EISDIR. */
static void
test_replay_read_error_is_an_error(void **state)
{
	char err[512] = "";

	(void)state;
	assert_int_equal(mkdir(path, 0700), 0);
	assert_true(sl_config_replay(err, sizeof(err)) < 0);
	assert_non_null(strstr(err, path));
	assert_false(sl_config_replaying());
}

int
main(int argc, char **argv)
{
	char *eal[] = {
		argv[0], "--no-huge", "--no-shconf", "--no-pci", "--no-telemetry", "-m", "128",
		"--file-prefix", "sl_ut_config", "-l", "0-1", "--log-level", "lib.eal:warning",
	};
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_persist_writes_comment_then_every_section_in_order),
		T(test_persist_replaces_the_file_atomically),
		T(test_persist_creates_a_missing_parent_dir),
		T(test_persist_fails_when_the_parent_is_a_regular_file),
		T(test_persist_fails_in_a_missing_deep_dir),
		T(test_persist_write_error_keeps_the_old_file),
		T(test_persist_rename_error_removes_the_temp_file),
		T(test_replay_runs_every_line_through_the_cli),
		T(test_persist_then_replay_restores_the_state),
		T(test_persist_during_replay_is_a_noop),
		T(test_replay_reports_file_and_line_of_the_first_failure),
		T(test_replay_unknown_command_names_line_and_command),
		T(test_replay_bad_bytes_name_the_line),
		T(test_replay_nul_byte_is_an_error_naming_the_line),
		T(test_replay_truncated_last_line_is_an_error),
		T(test_replay_missing_file_is_an_empty_config),
		T(test_replay_empty_file_is_an_empty_config),
		T(test_replay_read_error_is_an_error),
#undef T
	};
	int rc;

	RTE_SET_USED(argc);
	if (rte_eal_init(RTE_DIM(eal), eal) < 0) {
		fprintf(stderr, "test_config: EAL init failed\n");
		return 1;
	}
	rc = cmocka_run_group_tests_name("config", tests, NULL, NULL);
	rte_eal_cleanup();
	return rc;
}
