/* SPDX-License-Identifier: BSD-3-Clause */
/* Running-config persistence and replay (control thread). The file is the
 * same command lines `config show` prints; it is replaced atomically so a
 * crash at any point leaves either the old or the new file. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctrl/cli/cli.h"
#include "ctrl/config/config.h"
#include "dataplane/sluice.h"

static struct sl_config_section *sections;
static char cfg_path[4096] = "/var/lib/sluice/sluice.conf";
static bool replaying;

void
sl_config_register(struct sl_config_section *s)
{
	struct sl_config_section **pp = &sections;

	while (*pp != NULL && (*pp)->order <= s->order)
		pp = &(*pp)->next;
	s->next = *pp;
	*pp = s;
}

void
sl_config_set_path(const char *path)
{
	snprintf(cfg_path, sizeof(cfg_path), "%s", path);
}

const char *
sl_config_path(void)
{
	return cfg_path;
}

bool
sl_config_replaying(void)
{
	return replaying;
}

json_t *
sl_config_lines(void)
{
	json_t *lines = json_array();

	for (struct sl_config_section *s = sections; s != NULL; s = s->next)
		s->render(lines);
	return lines;
}

static int
mkdir_parent(const char *path)
{
	char tmp[sizeof(cfg_path)];
	char *dir;

	snprintf(tmp, sizeof(tmp), "%s", path);
	dir = dirname(tmp);
	if (mkdir(dir, 0750) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int
fsync_dir(const char *path)
{
	char tmp[sizeof(cfg_path)];
	int fd, rc = 0;

	snprintf(tmp, sizeof(tmp), "%s", path);
	fd = open(dirname(tmp), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

int
sl_config_persist(void)
{
	char tmp[sizeof(cfg_path) + 16];
	json_t *lines, *l;
	size_t i;
	FILE *f;
	int rc = 0, fd;

	SL_ASSERT_CTRL();
	if (replaying)
		return 0;
	rc = mkdir_parent(cfg_path);
	if (rc < 0)
		return rc;
	snprintf(tmp, sizeof(tmp), "%s.tmp", cfg_path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (f == NULL) {
		rc = -errno;
		close(fd);
		goto err_unlink;
	}
	lines = sl_config_lines();
	fprintf(f, "# sluice running config: written by sluiced after every change\n");
	json_array_foreach(lines, i, l)
		fprintf(f, "%s\n", json_string_value(l));
	json_decref(lines);
	if (fflush(f) != 0 || fsync(fd) != 0) {
		rc = -errno;
		fclose(f);
		goto err_unlink;
	}
	if (fclose(f) != 0) {
		rc = -errno;
		goto err_unlink;
	}
	if (rename(tmp, cfg_path) < 0) {
		rc = -errno;
		goto err_unlink;
	}
	return fsync_dir(cfg_path);

err_unlink:
	unlink(tmp);
	SL_LOG(ERR, "cannot write %s: %s", cfg_path, strerror(-rc));
	return rc;
}

unsigned int
sl_config_apply_lines(json_t *lines)
{
	unsigned int failed = 0;
	json_t *l;
	size_t i;

	replaying = true;
	json_array_foreach(lines, i, l) {
		struct sl_cli_ctx c = { .replay = true };

		if (sl_cli_exec(&c, json_string_value(l)) < 0 && c.err[0]) {
			SL_LOG(ERR, "config line '%s': %s", json_string_value(l), c.err);
			failed++;
		}
		json_decref(c.result);
	}
	replaying = false;
	return failed;
}

int
sl_config_replay(char *err, size_t errlen)
{
	size_t cap = 0, lineno = 0;
	char *line = NULL;
	ssize_t len;
	FILE *f;
	int rc = 0;

	SL_ASSERT_CTRL();
	f = fopen(cfg_path, "re");
	if (f == NULL) {
		if (errno == ENOENT)
			return 0;
		rc = -errno;
		snprintf(err, errlen, "%s: %s", cfg_path, strerror(errno));
		return rc;
	}
	replaying = true;
	while ((len = getline(&line, &cap, f)) >= 0) {
		struct sl_cli_ctx c = { .replay = true };

		lineno++;
		if (len == 0 || line[len - 1] != '\n') {
			/* The writer always ends lines; a partial last line means
			 * the file was cut: refuse rather than guess. */
			snprintf(err, errlen, "%s:%zu: truncated line (no newline at end of file)",
				cfg_path, lineno);
			rc = -EINVAL;
			break;
		}
		line[len - 1] = '\0';
		if (strlen(line) != (size_t)len - 1) {
			snprintf(err, errlen, "%s:%zu: NUL byte in line", cfg_path, lineno);
			rc = -EINVAL;
			break;
		}
		rc = sl_cli_exec(&c, line);
		json_decref(c.result);
		if (rc == -ENODATA) {
			rc = 0;
			continue;
		}
		if (rc < 0) {
			snprintf(err, errlen, "%s:%zu: %s: %s", cfg_path, lineno, line,
				c.err[0] ? c.err : strerror(-rc));
			break;
		}
	}
	if (rc == 0 && ferror(f)) {
		/* A read error is not an end of file: replaying half a config
		 * and persisting it later would lose the rest. */
		rc = -EIO;
		snprintf(err, errlen, "%s:%zu: read error", cfg_path, lineno + 1);
	}
	replaying = false;
	free(line);
	fclose(f);
	return rc;
}
