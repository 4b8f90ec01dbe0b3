/* SPDX-License-Identifier: BSD-3-Clause */
/* sluicectl: sends command lines to sluiced over its UNIX control socket (docs/protocol.md) and
 * prints each one-line JSON reply, rendered for people or verbatim. Links libc and jansson only. */

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#define SL_CTL_DEFAULT_SOCK "/run/sluice/sluice.sock"
#define SL_CTL_DEFAULT_TIMEOUT_MS 10000
/* The longest -t accepted; keeps the millisecond arithmetic far from overflow. */
#define SL_CTL_MAX_TIMEOUT_S 1000000.0
/* Free space wanted before each recv(): big enough that a multi-megabyte reply takes few calls. */
#define SL_CTL_READ_CHUNK (64 * 1024)
/* The daemon queues at most 16 MiB per client, so a sane reply is far below this; the cap only
 * stops a runaway peer from making us allocate without bound. */
#define SL_CTL_MAX_REPLY ((size_t)1 << 30)

/* Process exit statuses, also returned by the request-level helpers below. */
enum sl_ctl_exit {
	SL_CTL_EXIT_OK = 0,
	SL_CTL_EXIT_REPLY_ERR = 1, /* sluiced answered {"ok":false} */
	SL_CTL_EXIT_FAIL = 2,	   /* usage, connection, timeout or protocol failure */
};

struct opts {
	const char *sock_path;
	int timeout_ms; /* -1: wait forever */
	bool json;
};

struct conn {
	int fd;
	const char *path;
	char *buf;	 /* bytes received and not yet consumed */
	size_t len;	 /* bytes held in buf */
	size_t cap;	 /* allocated size of buf */
	size_t scanned;	 /* prefix of buf already searched for '\n' */
	size_t consumed; /* bytes of the line handed out last, freed on the next read */
};

/* A growable string. Failure is sticky (oom) and checked once by the caller, which keeps the
 * many small appends of the renderers free of error plumbing. */
struct strbuf {
	char *s;
	size_t len;
	size_t cap;
	bool oom;
};

static void sb_reserve(struct strbuf *sb, size_t add)
{
	size_t want;
	char *s;

	if (sb->oom)
		return;
	if (add >= SIZE_MAX / 2 - sb->len) {
		sb->oom = true;
		return;
	}
	want = sb->len + add + 1;
	if (want <= sb->cap)
		return;
	if (want < sb->cap * 2)
		want = sb->cap * 2;
	if (want < 256)
		want = 256;
	s = realloc(sb->s, want);
	if (s == NULL) {
		sb->oom = true;
		return;
	}
	sb->s = s;
	sb->cap = want;
}

static void sb_add(struct strbuf *sb, const char *s, size_t n)
{
	sb_reserve(sb, n);
	if (sb->oom)
		return;
	memcpy(sb->s + sb->len, s, n);
	sb->len += n;
	sb->s[sb->len] = '\0';
}

static void sb_puts(struct strbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

static void sb_putc(struct strbuf *sb, char c)
{
	sb_add(sb, &c, 1);
}

__attribute__((format(printf, 2, 3))) static void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	/* Only numbers come through here, so the stack buffer suffices; the check is a guard. */
	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		sb->oom = true;
		return;
	}
	sb_add(sb, tmp, (size_t)n);
}

static void sb_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->s != NULL)
		sb->s[0] = '\0';
}

/* Columns a string takes on a terminal, counting UTF-8 code points (no wide-glyph tables). */
static size_t text_width(const char *s, size_t n)
{
	size_t w = 0;

	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			w++;
	return w;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t deadline_after(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

/* Waits until fd is ready for events or deadline (monotonic ms, -1 = never) passes.
 * Returns 0 also on POLLHUP/POLLERR so that the following send/recv reports the cause. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = {.fd = fd, .events = events};
	int64_t left;
	int ms, n;

	for (;;) {
		ms = -1;
		if (deadline >= 0) {
			left = deadline - now_ms();
			if (left <= 0)
				return -ETIMEDOUT;
			ms = left > INT_MAX ? INT_MAX : (int)left;
		}
		n = poll(&pfd, 1, ms);
		if (n > 0)
			return 0;
		/* n == 0 loops back: the deadline check above decides whether time is really up. */
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

static int conn_open(struct conn *c, int timeout_ms)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	size_t plen = strlen(c->path);
	struct timeval tv;

	if (plen == 0)
		return -ENOENT;
	if (plen >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, c->path, plen + 1);

	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	/* A blocking AF_UNIX connect() sleeps while the listener's backlog is full, and a
	 * non-blocking one just fails with EAGAIN and cannot be polled. SO_SNDTIMEO bounds that
	 * sleep, so a wedged daemon cannot hold us past -t. */
	if (timeout_ms >= 0) {
		tv.tv_sec = timeout_ms / 1000;
		tv.tv_usec = (timeout_ms % 1000) * 1000;
		if (setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
			return -errno;
	}
	while (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		/* An interrupted AF_UNIX connect leaves the socket unconnected: retry is safe. */
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			return -ETIMEDOUT;
		return -errno;
	}
	return 0;
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = c->scanned = c->consumed = 0;
}

static int conn_send(struct conn *c, const char *buf, size_t len, int64_t deadline)
{
	ssize_t n;
	int rc;

	while (len > 0) {
		/* MSG_NOSIGNAL on top of SIG_IGN: a closed peer is an error, never a signal. */
		n = send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n >= 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		rc = wait_fd(c->fd, POLLOUT, deadline);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int conn_grow(struct conn *c)
{
	size_t want;
	char *buf;

	if (c->cap - c->len >= SL_CTL_READ_CHUNK)
		return 0;
	if (c->len >= SL_CTL_MAX_REPLY)
		return -EMSGSIZE;
	/* Doubling keeps a large reply to a handful of reallocs and copies. */
	want = c->cap < SL_CTL_READ_CHUNK ? 4 * SL_CTL_READ_CHUNK : c->cap * 2;
	if (want > SL_CTL_MAX_REPLY + SL_CTL_READ_CHUNK)
		want = SL_CTL_MAX_REPLY + SL_CTL_READ_CHUNK;
	buf = realloc(c->buf, want);
	if (buf == NULL)
		return -ENOMEM;
	c->buf = buf;
	c->cap = want;
	return 0;
}

/* Reads one reply line. On success *line points into the connection's buffer, NUL-terminated in
 * place of its '\n', valid until the next call. EOF before a full line gives -ECONNRESET. */
static int conn_read_line(struct conn *c, int64_t deadline, char **line, size_t *llen)
{
	char *nl = NULL;
	ssize_t n;
	int rc;

	/* Bytes past the previous line belong to the next reply; keep them. */
	if (c->consumed > 0) {
		memmove(c->buf, c->buf + c->consumed, c->len - c->consumed);
		c->len -= c->consumed;
		c->consumed = 0;
		c->scanned = 0;
	}
	for (;;) {
		/* Only new bytes are searched, so a reply of N bytes costs O(N), not O(N^2). */
		if (c->len > c->scanned)
			nl = memchr(c->buf + c->scanned, '\n', c->len - c->scanned);
		if (nl != NULL)
			break;
		c->scanned = c->len;
		rc = conn_grow(c);
		if (rc < 0)
			return rc;
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, MSG_DONTWAIT);
		if (n > 0) {
			c->len += (size_t)n;
			continue;
		}
		if (n == 0)
			return -ECONNRESET;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		rc = wait_fd(c->fd, POLLIN, deadline);
		if (rc < 0)
			return rc;
	}
	*nl = '\0';
	*line = c->buf;
	*llen = (size_t)(nl - c->buf);
	c->consumed = *llen + 1;
	return 0;
}

static bool is_object_array(const json_t *v)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v) || json_array_size(v) == 0)
		return false;
	json_array_foreach(v, i, e)
		if (!json_is_object(e))
			return false;
	return true;
}

/* Reals are rates and ratios (cycles_per_packet, max_grace_us): two decimals are plenty and
 * trailing zeros only widen columns. */
static void fmt_real(struct strbuf *sb, double d)
{
	char tmp[64];
	int n = snprintf(tmp, sizeof(tmp), "%.2f", d);

	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		sb_printf(sb, "%g", d);
		return;
	}
	while (n > 0 && tmp[n - 1] == '0')
		n--;
	if (n > 0 && tmp[n - 1] == '.')
		n--;
	tmp[n] = '\0';
	sb_puts(sb, strcmp(tmp, "-0") == 0 ? "0" : tmp);
}

static void fmt_scalar(struct strbuf *sb, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		sb_add(sb, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		sb_printf(sb, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		fmt_real(sb, json_real_value(v));
		break;
	case JSON_TRUE:
		sb_puts(sb, "true");
		break;
	case JSON_FALSE:
		sb_puts(sb, "false");
		break;
	default:
		/* null: "-" reads as "nothing here" in a table, unlike an empty cell. */
		sb_puts(sb, "-");
		break;
	}
}

static void fmt_compact(struct strbuf *sb, const json_t *v, int depth);

static void fmt_members(struct strbuf *sb, const json_t *obj, const char *sep, int depth)
{
	const char *key;
	json_t *m;
	bool first = true;

	json_object_foreach((json_t *)obj, key, m) {
		if (!first)
			sb_puts(sb, sep);
		first = false;
		sb_puts(sb, key);
		sb_putc(sb, '=');
		fmt_compact(sb, m, depth + 1);
	}
}

/* One-line form of a value for a table cell or a "key: value" line. At depth 0 an object is
 * "k=v k=v" and an array "a,b" or "k=v/k=v,k=v/k=v"; deeper containers get {} and [] so that
 * nested separators cannot be confused with the outer ones. */
static void fmt_compact(struct strbuf *sb, const json_t *v, int depth)
{
	size_t i;
	json_t *e;

	if (json_is_object(v)) {
		if (json_object_size(v) == 0) {
			sb_puts(sb, depth > 0 ? "{}" : "-");
			return;
		}
		if (depth > 0)
			sb_putc(sb, '{');
		fmt_members(sb, v, " ", depth);
		if (depth > 0)
			sb_putc(sb, '}');
	} else if (json_is_array(v)) {
		if (json_array_size(v) == 0) {
			sb_puts(sb, depth > 0 ? "[]" : "-");
			return;
		}
		if (depth > 0)
			sb_putc(sb, '[');
		json_array_foreach(v, i, e) {
			if (i > 0)
				sb_putc(sb, ',');
			if (json_is_object(e) && json_object_size(e) > 0)
				fmt_members(sb, e, "/", depth);
			else
				fmt_compact(sb, e, depth + 1);
		}
		if (depth > 0)
			sb_putc(sb, ']');
	} else {
		fmt_scalar(sb, v);
	}
}

struct cell {
	size_t off;   /* start of the cell's text in the table's strbuf */
	size_t width; /* terminal columns */
};

/* Prints a non-empty array of objects as a table whose columns are the first object's keys. */
static int print_table(const json_t *arr, int indent)
{
	const json_t *first = json_array_get(arr, 0);
	size_t ncols = json_object_size(first);
	size_t nrows = json_array_size(arr) + 1; /* + header */
	struct strbuf text = {0};
	struct cell *cells = NULL;
	const char **keys = NULL;
	size_t *colw = NULL;
	const char *key;
	json_t *v, *row;
	size_t c, r;
	int rc = -ENOMEM;

	if (ncols == 0) {
		printf("%*s(none)\n", indent, "");
		return 0;
	}
	keys = calloc(ncols, sizeof(*keys));
	colw = calloc(ncols, sizeof(*colw));
	cells = calloc(nrows, ncols * sizeof(*cells));
	if (keys == NULL || colw == NULL || cells == NULL)
		goto out;
	c = 0;
	json_object_foreach((json_t *)first, key, v)
		keys[c++] = key;

	/* Every cell is rendered before anything is printed: column widths need the whole table. */
	for (r = 0; r < nrows; r++) {
		row = r > 0 ? json_array_get(arr, r - 1) : NULL;
		for (c = 0; c < ncols; c++) {
			struct cell *cell = &cells[r * ncols + c];

			cell->off = text.len;
			if (r == 0)
				sb_puts(&text, keys[c]);
			else if ((v = json_object_get(row, keys[c])) != NULL)
				fmt_compact(&text, v, 0);
			else
				sb_puts(&text, "-");
			if (text.oom)
				goto out;
			/* A tab or newline inside a string would break the row alignment. */
			for (size_t i = cell->off; i < text.len; i++)
				if ((unsigned char)text.s[i] < 0x20)
					text.s[i] = ' ';
			cell->width = text_width(text.s + cell->off, text.len - cell->off);
			if (cell->width > colw[c])
				colw[c] = cell->width;
			sb_putc(&text, '\0');
		}
	}
	if (text.oom)
		goto out;

	for (r = 0; r < nrows; r++) {
		printf("%*s", indent, "");
		for (c = 0; c < ncols; c++) {
			struct cell *cell = &cells[r * ncols + c];

			fputs(text.s + cell->off, stdout);
			/* No padding after the last column: trailing blanks only hinder grep. */
			if (c + 1 < ncols)
				printf("%*s", (int)(colw[c] - cell->width + 2), "");
		}
		putchar('\n');
	}
	rc = 0;
out:
	free(text.s);
	free(cells);
	free(colw);
	free(keys);
	return rc;
}

static int print_object(const json_t *obj, int indent)
{
	struct strbuf sb = {0};
	size_t kw = 0, w;
	const char *key;
	json_t *v;
	int rc = 0;

	json_object_foreach((json_t *)obj, key, v) {
		w = text_width(key, strlen(key));
		if (w > kw)
			kw = w;
	}
	json_object_foreach((json_t *)obj, key, v) {
		if (json_is_object(v) && json_object_size(v) > 0) {
			printf("%*s%s:\n", indent, "", key);
			rc = print_object(v, indent + 2);
		} else if (is_object_array(v)) {
			printf("%*s%s:\n", indent, "", key);
			rc = print_table(v, indent + 2);
		} else {
			sb_reset(&sb);
			/* Non-empty objects took the branch above, so any object here is empty. */
			if (json_is_object(v) || (json_is_array(v) && json_array_size(v) == 0))
				sb_puts(&sb, "(none)");
			else
				fmt_compact(&sb, v, 0);
			if (sb.oom) {
				rc = -ENOMEM;
				break;
			}
			w = text_width(key, strlen(key));
			printf("%*s%s:%*s %s\n", indent, "", key, (int)(kw - w), "", sb.s);
		}
		if (rc < 0)
			break;
	}
	free(sb.s);
	return rc;
}

static int print_result(const json_t *result)
{
	struct strbuf sb = {0};
	size_t i;
	json_t *e;
	int rc = 0;

	if (result == NULL || json_is_null(result))
		return 0;
	if (is_object_array(result))
		return print_table(result, 0);
	if (json_is_object(result)) {
		if (json_object_size(result) == 0) {
			puts("(none)");
			return 0;
		}
		return print_object(result, 0);
	}
	if (json_is_array(result)) {
		if (json_array_size(result) == 0) {
			puts("(none)");
			return 0;
		}
		/* Strings (config show) and other mixed arrays: one element per line. */
		json_array_foreach(result, i, e) {
			sb_reset(&sb);
			fmt_compact(&sb, e, 0);
			if (sb.oom) {
				rc = -ENOMEM;
				break;
			}
			puts(sb.s);
		}
		free(sb.s);
		return rc;
	}
	fmt_scalar(&sb, result);
	if (sb.oom)
		rc = -ENOMEM;
	else
		puts(sb.s);
	free(sb.s);
	return rc;
}

static enum sl_ctl_exit handle_reply(const struct opts *o, const char *line, size_t len)
{
	enum sl_ctl_exit status = SL_CTL_EXIT_FAIL;
	json_error_t jerr;
	json_t *reply, *ok, *err;
	int rc;

	reply = json_loadb(line, len, 0, &jerr);
	if (reply == NULL) {
		fprintf(stderr, "sluicectl: reply from sluiced is not valid JSON: %s (byte %d)\n",
			jerr.text, jerr.position);
		return SL_CTL_EXIT_FAIL;
	}
	ok = json_object_get(reply, "ok");
	if (!json_is_boolean(ok)) {
		fprintf(stderr, "sluicectl: reply from sluiced has no boolean \"ok\" member\n");
		goto out;
	}
	if (o->json) {
		/* Verbatim: scripts see exactly what the daemon sent (key order, number text). */
		fwrite(line, 1, len, stdout);
		putchar('\n');
		status = json_is_true(ok) ? SL_CTL_EXIT_OK : SL_CTL_EXIT_REPLY_ERR;
		goto out;
	}
	if (!json_is_true(ok)) {
		err = json_object_get(reply, "error");
		/* Keep stdout and stderr in order when both go to one terminal in batch mode. */
		fflush(stdout);
		if (json_is_string(err)) {
			fprintf(stderr, "error: %s\n", json_string_value(err));
		} else {
			/* Not per protocol, but whatever the daemon said beats nothing. */
			size_t fl = JSON_COMPACT | JSON_ENCODE_ANY;
			char *dump = err != NULL ? json_dumps(err, fl) : NULL;

			fprintf(stderr, "error: %s\n", dump != NULL ? dump : "(no error message)");
			free(dump);
		}
		status = SL_CTL_EXIT_REPLY_ERR;
		goto out;
	}
	rc = print_result(json_object_get(reply, "result"));
	if (rc < 0) {
		fprintf(stderr, "sluicectl: cannot print reply: %s\n", strerror(-rc));
		goto out;
	}
	status = SL_CTL_EXIT_OK;
out:
	json_decref(reply);
	return status;
}

/* Sends one '\n'-terminated command line and handles its reply. */
static enum sl_ctl_exit request(struct conn *c, const struct opts *o, const char *cmd, size_t len)
{
	int64_t deadline = deadline_after(o->timeout_ms);
	size_t rlen = 0;
	char *reply = NULL;
	int rc;

	rc = conn_send(c, cmd, len, deadline);
	/* A daemon that refuses us (too many clients) writes an error line and closes; the send
	 * then fails with EPIPE, but that line may still be waiting to be read. */
	if (rc < 0 && rc != -EPIPE && rc != -ECONNRESET) {
		if (rc == -ETIMEDOUT)
			fprintf(stderr, "sluicectl: %s: timed out sending the command\n", c->path);
		else
			fprintf(stderr, "sluicectl: %s: send: %s\n", c->path, strerror(-rc));
		return SL_CTL_EXIT_FAIL;
	}
	rc = conn_read_line(c, deadline, &reply, &rlen);
	switch (rc) {
	case 0:
		return handle_reply(o, reply, rlen);
	case -ETIMEDOUT:
		fprintf(stderr, "sluicectl: %s: no reply within %g s (see --timeout)\n", c->path,
			o->timeout_ms / 1000.0);
		break;
	case -ECONNRESET:
		fprintf(stderr, "sluicectl: %s: connection closed before a reply\n", c->path);
		break;
	case -EMSGSIZE:
		fprintf(stderr, "sluicectl: %s: reply larger than %zu MiB\n", c->path,
			SL_CTL_MAX_REPLY >> 20);
		break;
	default:
		fprintf(stderr, "sluicectl: %s: receive: %s\n", c->path, strerror(-rc));
		break;
	}
	return SL_CTL_EXIT_FAIL;
}

/* The daemon sends no reply to an empty line (and, we assume, to a comment), so sending one
 * would leave us waiting for the timeout. */
static bool nothing_to_send(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i == len || s[i] == '#';
}

/* A broken stdout (e.g. `sluicectl ... | head`) ends the run; EPIPE is not worth a message. */
static bool stdout_failed(void)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return false;
	if (errno != EPIPE)
		fprintf(stderr, "sluicectl: writing output: %s\n", strerror(errno));
	return true;
}

static enum sl_ctl_exit run_batch(struct conn *c, const struct opts *o)
{
	enum sl_ctl_exit status = SL_CTL_EXIT_OK, st;
	char *line = NULL;
	size_t cap = 0, len;
	ssize_t n;

	while ((n = getline(&line, &cap, stdin)) >= 0) {
		len = (size_t)n;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		if (nothing_to_send(line, len))
			continue;
		/* getline's buffer holds at least n + 1 bytes, so the '\n' always fits at len. */
		line[len] = '\n';
		st = request(c, o, line, len + 1);
		if (st == SL_CTL_EXIT_FAIL) {
			status = st;
			break;
		}
		if (st == SL_CTL_EXIT_REPLY_ERR)
			status = st;
		if (stdout_failed()) {
			status = SL_CTL_EXIT_FAIL;
			break;
		}
	}
	if (n < 0 && ferror(stdin)) {
		fprintf(stderr, "sluicectl: reading stdin: %s\n", strerror(errno));
		status = SL_CTL_EXIT_FAIL;
	}
	free(line);
	return status;
}

/* Joins the command words with single spaces and a final '\n'; NULL with errno set on error. */
static char *join_words(char **words, int n, size_t *len)
{
	size_t total = 1, off = 0, wl;
	char *line;
	int i;

	for (i = 0; i < n; i++) {
		/* A newline would split the words into two commands and two replies. */
		if (strchr(words[i], '\n') != NULL) {
			errno = EINVAL;
			return NULL;
		}
		total += strlen(words[i]) + 1;
	}
	line = malloc(total);
	if (line == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		wl = strlen(words[i]);
		memcpy(line + off, words[i], wl);
		off += wl;
		line[off++] = i + 1 < n ? ' ' : '\n';
	}
	*len = off;
	return line;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: sluicectl [OPTIONS] COMMAND [ARGS...]\n"
		"       sluicectl [OPTIONS] [-]   read commands from stdin, one per line\n"
		"\n"
		"Sends a command to sluiced over its control socket and prints the reply.\n"
		"`sluicectl help` lists the commands sluiced knows.\n"
		"\n"
		"Options:\n"
		"  -s, --socket PATH     control socket (default: $SLUICE_SOCK, else %s)\n"
		"  -j, --json            print each reply's JSON line exactly as received\n"
		"  -t, --timeout SECS    wait at most SECS per reply (default %d, 0: no limit)\n"
		"  -h, --help            print this help and exit\n"
		"\n"
		"Exit status: 0 success; 1 sluiced answered with an error (batch: any reply);\n"
		"2 usage error, cannot connect, timeout, or a malformed or missing reply.\n",
		SL_CTL_DEFAULT_SOCK, SL_CTL_DEFAULT_TIMEOUT_MS / 1000);
}

static int parse_timeout(const char *arg, int *ms)
{
	char *end;
	double s;

	errno = 0;
	s = strtod(arg, &end);
	if (errno != 0 || end == arg || *end != '\0' || !isfinite(s) || s < 0 ||
		s > SL_CTL_MAX_TIMEOUT_S)
		return -EINVAL;
	if (s == 0) {
		*ms = -1;
		return 0;
	}
	/* Round up so that a tiny positive timeout still waits rather than failing at once. */
	*ms = (int)(s * 1000.0);
	if (*ms < s * 1000.0)
		(*ms)++;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"socket", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct opts o = {.sock_path = NULL, .timeout_ms = SL_CTL_DEFAULT_TIMEOUT_MS};
	struct conn c = {.fd = -1};
	enum sl_ctl_exit status;
	const char *env;
	char *line;
	size_t len;
	int opt, rc, nwords;

	/* '+': stop at the first command word, since port names may begin with '-'. */
	while ((opt = getopt_long(argc, argv, "+s:jt:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			o.sock_path = optarg;
			break;
		case 'j':
			o.json = true;
			break;
		case 't':
			if (parse_timeout(optarg, &o.timeout_ms) < 0) {
				fprintf(stderr, "sluicectl: bad timeout '%s': want 0-%.0f s\n",
					optarg, SL_CTL_MAX_TIMEOUT_S);
				return SL_CTL_EXIT_FAIL;
			}
			break;
		case 'h':
			usage(stdout);
			return stdout_failed() ? SL_CTL_EXIT_FAIL : SL_CTL_EXIT_OK;
		default:
			fprintf(stderr, "Try 'sluicectl --help'.\n");
			return SL_CTL_EXIT_FAIL;
		}
	}
	if (o.sock_path == NULL) {
		env = getenv("SLUICE_SOCK");
		o.sock_path = env != NULL && env[0] != '\0' ? env : SL_CTL_DEFAULT_SOCK;
	}
	nwords = argc - optind;

	line = NULL;
	len = 0;
	if (nwords > 0 && !(nwords == 1 && strcmp(argv[optind], "-") == 0)) {
		line = join_words(argv + optind, nwords, &len);
		if (line == NULL) {
			fprintf(stderr, "sluicectl: %s\n",
				errno == EINVAL ? "command words must not contain newlines"
						: strerror(errno));
			return SL_CTL_EXIT_FAIL;
		}
		if (nothing_to_send(line, len - 1)) {
			fprintf(stderr, "sluicectl: empty command or comment: nothing to send\n");
			free(line);
			return SL_CTL_EXIT_FAIL;
		}
	}

	/* Errors on the socket come back as EPIPE from send(); the default action would kill us
	 * before we could say what happened. */
	signal(SIGPIPE, SIG_IGN);

	c.path = o.sock_path;
	rc = conn_open(&c, o.timeout_ms);
	if (rc < 0) {
		if (rc == -ETIMEDOUT)
			fprintf(stderr, "sluicectl: cannot connect to %s: %s (is sluiced stuck?)\n",
				c.path, "timed out");
		else if (rc == -EACCES || rc == -EPERM)
			fprintf(stderr, "sluicectl: cannot connect to %s: %s (%s)\n", c.path,
				strerror(-rc), "are you root or in the socket's group?");
		else
			fprintf(stderr, "sluicectl: cannot connect to %s: %s (%s)\n", c.path,
				strerror(-rc), "is sluiced running?");
		conn_close(&c);
		free(line);
		return SL_CTL_EXIT_FAIL;
	}

	if (line != NULL) {
		status = request(&c, &o, line, len);
		if (stdout_failed())
			status = SL_CTL_EXIT_FAIL;
	} else {
		status = run_batch(&c, &o);
	}
	conn_close(&c);
	free(line);
	return status;
}
