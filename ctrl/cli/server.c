/* SPDX-License-Identifier: BSD-3-Clause */
/* CLI UNIX socket server on the control thread. Non-blocking everywhere: a
 * slow, dead or hostile client costs a buffer, never a stall of the loop. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctrl/cli/cli.h"
#include "ctrl/cli/server.h"
#include "ctrl/loop/loop.h"
#include "dataplane/sluice.h"

#define MAX_CLIENTS 64

struct client {
	struct sl_loop_src src;	/* first: the loop hands back this pointer */
	char in[SL_CLI_LINE_MAX + 1];
	size_t in_len;
	bool discarding;	/* inside an over-long line: skip to newline */
	char *out;		/* queued reply bytes */
	size_t out_len, out_off;
};

/* Static slots: an epoll batch may still name a client closed earlier in the
 * same batch; its slot stays valid memory with fd == -1. */
static struct client clients[MAX_CLIENTS];
static struct sl_loop_src listen_src = { .fd = -1 };
static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

static void client_close(struct client *cl)
{
	if (cl->src.fd < 0)
		return;
	sl_loop_del(&cl->src);
	close(cl->src.fd);
	cl->src.fd = -1;
	free(cl->out);
	cl->out = NULL;
	cl->out_len = cl->out_off = cl->in_len = 0;
	cl->discarding = false;
}

/* Try to flush queued output; returns -1 if the client was closed. */
static int
client_flush(struct client *cl)
{
	while (cl->out_off < cl->out_len) {
		ssize_t n = write(cl->src.fd, cl->out + cl->out_off, cl->out_len - cl->out_off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			client_close(cl);
			return -1;
		}
		cl->out_off += n;
	}
	if (cl->out_off == cl->out_len) {
		free(cl->out);
		cl->out = NULL;
		cl->out_len = cl->out_off = 0;
	}
	/* While output is pending, stop reading: a client that sends commands
	 * but never reads replies cannot make us queue without bound. */
	sl_loop_mod(&cl->src, cl->out ? EPOLLOUT : EPOLLIN);
	return 0;
}

static int
client_queue(struct client *cl, const char *s, size_t len)
{
	char *o = realloc(cl->out, cl->out_len + len);

	if (o == NULL) {
		client_close(cl);
		return -1;
	}
	memcpy(o + cl->out_len, s, len);
	cl->out = o;
	cl->out_len += len;
	return client_flush(cl);
}

static int
client_reply(struct client *cl, json_t *reply)
{
	char *s;
	int rc;

	if (reply == NULL)
		return 0;
	s = json_dumps(reply, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(reply);
	if (s == NULL)
		s = strdup("{\"ok\":false,\"error\":\"out of memory\"}");
	if (s == NULL) {
		client_close(cl);
		return -1;
	}
	rc = client_queue(cl, s, strlen(s));
	free(s);
	if (rc == 0)
		rc = client_queue(cl, "\n", 1);
	return rc;
}

static json_t *
error_reply(const char *msg)
{
	return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

/* Run complete lines from the input buffer, one at a time, while no reply
 * is pending. */
static void
client_process(struct client *cl)
{
	while (cl->src.fd >= 0 && cl->out == NULL) {
		char *nl = memchr(cl->in, '\n', cl->in_len);
		size_t used;

		if (nl == NULL) {
			if (cl->in_len == SL_CLI_LINE_MAX + 1 || cl->discarding) {
				/* over-long line: answer once, drop what we have */
				if (!cl->discarding && client_reply(cl,
						error_reply("line too long (max 4096 bytes)")) < 0)
					return;
				cl->discarding = true;
				cl->in_len = 0;
			}
			return;
		}
		*nl = '\0';
		used = nl - cl->in + 1;
		if (cl->discarding) {
			cl->discarding = false;
		} else {
			size_t len = nl - cl->in;

			if (len && cl->in[len - 1] == '\r')
				cl->in[--len] = '\0';
			/* A NUL inside the line would silently cut it short. */
			if (memchr(cl->in, '\0', len) != NULL) {
				if (client_reply(cl, error_reply(
						"invalid character in command line")) < 0)
					return;
			} else if (client_reply(cl, sl_cli_reply(cl->in)) < 0) {
				return;
			}
		}
		memmove(cl->in, cl->in + used, cl->in_len - used);
		cl->in_len -= used;
	}
}

static void
on_client(struct sl_loop_src *src, uint32_t events)
{
	struct client *cl = (struct client *)src;

	if (cl->src.fd < 0)
		return;
	if (events & EPOLLOUT) {
		if (client_flush(cl) < 0)
			return;
		client_process(cl);
		return;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		ssize_t n = read(cl->src.fd, cl->in + cl->in_len, sizeof(cl->in) - cl->in_len);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			client_close(cl);
			return;
		}
		if (n > 0)
			cl->in_len += n;
		client_process(cl);
	}
}

static void
on_accept(struct sl_loop_src *src, uint32_t events)
{
	RTE_SET_USED(events);
	for (;;) {
		int fd = accept4(src->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct client *cl = NULL;

		if (fd < 0)
			return;
		for (unsigned int i = 0; i < MAX_CLIENTS; i++)
			if (clients[i].src.fd < 0) {
				cl = &clients[i];
				break;
			}
		if (cl == NULL) {
			static const char busy[] =
				"{\"ok\":false,\"error\":\"too many clients (max 64)\"}\n";
			ssize_t rc = write(fd, busy, sizeof(busy) - 1);

			RTE_SET_USED(rc);
			close(fd);
			continue;
		}
		cl->src.fd = fd;
		cl->src.cb = on_client;
		cl->in_len = 0;
		if (sl_loop_add(&cl->src, EPOLLIN) < 0)
			client_close(cl);
	}
}

int
sl_cli_server_init(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[sizeof(sock_path)];
	char *slash;
	int fd;

	for (unsigned int i = 0; i < MAX_CLIENTS; i++)
		clients[i].src.fd = -1;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		SL_LOG(ERR, "socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			SL_LOG(ERR, "cannot create %s: %s", dir, strerror(errno));
			return -errno;
		}
	}

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A live daemon answers on the path: refuse to steal its socket. A stale
	 * file from a killed daemon refuses the connection and is replaced. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		SL_LOG(ERR, "%s: another sluiced is listening there", path);
		close(fd);
		return -EADDRINUSE;
	}
	close(fd);
	unlink(path);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0660) < 0 ||
			listen(fd, 64) < 0) {
		int err = errno;

		SL_LOG(ERR, "cannot listen on %s: %s", path, strerror(err));
		close(fd);
		return -err;
	}
	strcpy(sock_path, path);
	listen_src.fd = fd;
	listen_src.cb = on_accept;
	return sl_loop_add(&listen_src, EPOLLIN);
}

void
sl_cli_server_fini(void)
{
	for (unsigned int i = 0; i < MAX_CLIENTS; i++)
		client_close(&clients[i]);
	if (listen_src.fd >= 0) {
		sl_loop_del(&listen_src);
		close(listen_src.fd);
		listen_src.fd = -1;
		unlink(sock_path);
	}
}
