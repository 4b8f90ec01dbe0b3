/* SPDX-License-Identifier: BSD-3-Clause */
/* sluiced: parses its own options and the start-up file, initialises EAL,
 * starts the workers, replays the running config and runs the control loop. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>

#include "ctrl/cli/cli.h"
#include "ctrl/cli/server.h"
#include "ctrl/config/config.h"
#include "ctrl/loop/loop.h"
#include "ctrl/netlink/netlink.h"
#include "dataplane/rcu.h"
#include "dataplane/snapshot.h"
#include "dataplane/worker.h"
#include "drivers/hostif.h"
#include "drivers/port.h"
#include "pipelines/l2/l2.h"
#include "pipelines/l3/l3.h"

#define EAL_ARGS_MAX 128

RTE_LOG_REGISTER_DEFAULT(sl_logtype, INFO);

struct opts {
	char socket[108];
	char config[4096];
	char startup[4096];
	bool startup_given;
	bool busy_poll;
	unsigned int mbufs;
	unsigned int fdb_entries;
	/* EAL argv: program name, start-up file words, then command-line words. */
	char *eal[EAL_ARGS_MAX];
	int n_eal;
};

static void
usage(const char *prog)
{
	printf("usage: %s [options] [-- EAL args]\n"
		"  -s, --socket PATH    control socket (default /run/sluice/sluice.sock)\n"
		"  -c, --config PATH    running config, replayed at start and rewritten\n"
		"                       atomically after every change\n"
		"                       (default /var/lib/sluice/sluice.conf)\n"
		"  -f, --startup PATH   start-up file (default /etc/sluice/sluiced.conf if present)\n"
		"                       lines: eal ARGS... | socket PATH | config PATH |\n"
		"                              busy-poll on|off | mbufs N | fdb-entries N\n"
		"      --busy-poll      workers never sleep when idle\n"
		"      --mbufs N        mbufs per NUMA socket pool (default %u)\n"
		"      --fdb-entries N  FDB capacity (default %u)\n"
		"      --commands-md    print the command reference (markdown) and exit\n"
		"  -h, --help\n"
		"EAL args default to '--file-prefix sluice'. The main lcore runs the control\n"
		"thread, every other lcore a worker.\n", prog, sl_mbufs_per_pool, sl_fdb_max_entries);
}

static int
eal_push(struct opts *o, const char *arg)
{
	if (o->n_eal == EAL_ARGS_MAX - 1) {
		fprintf(stderr, "sluiced: too many EAL arguments (max %d)\n", EAL_ARGS_MAX - 2);
		return -E2BIG;
	}
	o->eal[o->n_eal] = strdup(arg);
	return o->eal[o->n_eal++] ? 0 : -ENOMEM;
}

static bool
eal_has(const struct opts *o, const char *opt)
{
	for (int i = 1; i < o->n_eal; i++)
		if (strncmp(o->eal[i], opt, strlen(opt)) == 0)
			return true;
	return false;
}

static int
parse_uint(const char *what, const char *s, unsigned int min, unsigned int max,
	unsigned int *out)
{
	uint32_t v;

	if (sl_parse_u32(s, min, max, &v) < 0) {
		fprintf(stderr, "sluiced: %s '%s' not a number in %u-%u\n", what, s, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* Start-up file: one setting per line, '#' comments. Every error names the
 * file and line; nothing is ignored silently. */
static int
load_startup(struct opts *o)
{
	char *line = NULL, *argv[EAL_ARGS_MAX];
	size_t cap = 0, lineno = 0;
	FILE *f = fopen(o->startup, "re");
	int rc = 0;

	if (f == NULL) {
		if (errno == ENOENT && !o->startup_given)
			return 0;
		fprintf(stderr, "sluiced: %s: %s\n", o->startup, strerror(errno));
		return -errno;
	}
	while (rc == 0 && getline(&line, &cap, f) >= 0) {
		int argc;

		lineno++;
		line[strcspn(line, "\n")] = '\0';
		argc = sl_cli_tokenize(line, argv, EAL_ARGS_MAX);
		if (argc < 0) {
			fprintf(stderr, "sluiced: %s:%zu: invalid line\n", o->startup, lineno);
			rc = -EINVAL;
		} else if (argc == 0 || argv[0][0] == '#') {
			continue;
		} else if (strcmp(argv[0], "eal") == 0) {
			for (int i = 1; i < argc && rc == 0; i++)
				rc = eal_push(o, argv[i]);
		} else if (argc == 2 && strcmp(argv[0], "socket") == 0 &&
				strlen(argv[1]) < sizeof(o->socket)) {
			strcpy(o->socket, argv[1]);
		} else if (argc == 2 && strcmp(argv[0], "config") == 0 &&
				strlen(argv[1]) < sizeof(o->config)) {
			strcpy(o->config, argv[1]);
		} else if (argc == 2 && strcmp(argv[0], "busy-poll") == 0 &&
				(!strcmp(argv[1], "on") || !strcmp(argv[1], "off"))) {
			o->busy_poll = strcmp(argv[1], "on") == 0;
		} else if (argc == 2 && strcmp(argv[0], "mbufs") == 0) {
			rc = parse_uint("mbufs", argv[1], 1023, 16777215, &o->mbufs);
		} else if (argc == 2 && strcmp(argv[0], "fdb-entries") == 0) {
			rc = parse_uint("fdb-entries", argv[1], 1024, 1u << 26, &o->fdb_entries);
		} else {
			fprintf(stderr, "sluiced: %s:%zu: unknown or malformed setting '%s'\n",
				o->startup, lineno, argv[0]);
			rc = -EINVAL;
		}
	}
	free(line);
	fclose(f);
	return rc;
}

/* Returns 1 to exit 0 (help), 0 to go on, <0 on error. */
static int
parse_args(struct opts *o, int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "startup", required_argument, NULL, 'f' },
		{ "busy-poll", no_argument, NULL, 'B' },
		{ "mbufs", required_argument, NULL, 'M' },
		{ "fdb-entries", required_argument, NULL, 'F' },
		{ "commands-md", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = NULL, *cfg = NULL;
	unsigned int mbufs = 0, fdb = 0;
	bool busy = false;
	int ch, rc;

	snprintf(o->socket, sizeof(o->socket), "/run/sluice/sluice.sock");
	snprintf(o->config, sizeof(o->config), "/var/lib/sluice/sluice.conf");
	snprintf(o->startup, sizeof(o->startup), "/etc/sluice/sluiced.conf");
	while ((ch = getopt_long(argc, argv, "+s:c:f:h", lopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			if (strlen(optarg) >= sizeof(o->socket)) {
				fprintf(stderr, "sluiced: socket path too long\n");
				return -EINVAL;
			}
			sock = optarg;
			break;
		case 'c':
			cfg = optarg;
			break;
		case 'f':
			snprintf(o->startup, sizeof(o->startup), "%s", optarg);
			o->startup_given = true;
			break;
		case 'B':
			busy = true;
			break;
		case 'M':
			if (parse_uint("--mbufs", optarg, 1023, 16777215, &mbufs) < 0)
				return -EINVAL;
			break;
		case 'F':
			if (parse_uint("--fdb-entries", optarg, 1024, 1u << 26, &fdb) < 0)
				return -EINVAL;
			break;
		case 'D':
			sl_cli_print_markdown(stdout);
			return 1;
		case 'h':
			usage(argv[0]);
			return 1;
		default:
			usage(argv[0]);
			return -EINVAL;
		}
	}
	if (optind < argc && strcmp(argv[optind - 1], "--") != 0) {
		fprintf(stderr, "sluiced: unexpected argument '%s' (EAL args go after --)\n",
			argv[optind]);
		return -EINVAL;
	}

	rc = eal_push(o, argv[0]);
	if (rc == 0)
		rc = load_startup(o);
	for (int i = optind; i < argc && rc == 0; i++)
		rc = eal_push(o, argv[i]);
	if (rc == 0 && o->n_eal == 1) {
		rc = eal_push(o, "--file-prefix");
		if (rc == 0)
			rc = eal_push(o, "sluice");
	}
	/* Unlink hugepage files once mapped: nothing is left in /dev/hugepages
	 * after a stop or a kill -9 (Sluice needs no secondary processes). EAL
	 * refuses it with --single-file-segments (needed when Sluice itself is
	 * a virtio-user frontend); then the files go at the next start. */
	if (rc == 0 && !eal_has(o, "--no-huge") && !eal_has(o, "--in-memory") &&
			!eal_has(o, "--huge-unlink") && !eal_has(o, "--single-file-segments"))
		rc = eal_push(o, "--huge-unlink");
	/* Command line wins over the start-up file. */
	if (sock)
		snprintf(o->socket, sizeof(o->socket), "%s", sock);
	if (cfg)
		snprintf(o->config, sizeof(o->config), "%s", cfg);
	if (busy)
		o->busy_poll = true;
	if (mbufs)
		o->mbufs = mbufs;
	if (fdb)
		o->fdb_entries = fdb;
	return rc;
}

static void
reload(void)
{
	char err[SL_ERR_MAX];
	json_t *before = sl_config_lines();
	int rc;

	/* SIGHUP: make the running state what the file says. Everything is
	 * rebuilt from the file; on a bad line the previous config is put back
	 * (and the file is left as the operator wrote it). The netlink
	 * mirror and the host TAPs go first: they refer to interfaces. */
	sl_nl_reset();
	sl_hostif_reset();
	sl_l3_reset();
	sl_ports_del_all();
	sl_l2_reset();
	sl_dp_busy_poll = -1;
	rc = sl_config_replay(err, sizeof(err));
	if (rc == 0) {
		sl_dp_publish();
		SL_LOG(NOTICE, "reloaded %s", sl_config_path());
	} else {
		SL_LOG(ERR, "reload failed, keeping previous config: %s", err);
		sl_nl_reset();
		sl_hostif_reset();
		sl_l3_reset();
		sl_ports_del_all();
		sl_l2_reset();
		sl_dp_busy_poll = -1;
		sl_config_apply_lines(before);
		sl_dp_publish();
	}
	json_decref(before);
}

int
main(int argc, char **argv)
{
	struct opts o = { .mbufs = 0 };
	char err[SL_ERR_MAX];
	sigset_t set;
	int rc, exit_code = 1;

	rc = parse_args(&o, argc, argv);
	if (rc != 0)
		return rc > 0 ? 0 : 1;
	if (o.mbufs)
		sl_mbufs_per_pool = o.mbufs;
	if (o.fdb_entries)
		sl_fdb_max_entries = o.fdb_entries;
	sl_dp_busy_poll_default = o.busy_poll;
	sl_config_set_path(o.config);

	/* Block the signals the control loop takes through its signalfd before
	 * EAL creates threads, which inherit the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* rte_eal_init permutes and rewrites its argv: give it a copy of the
	 * pointer array so every string we strdup'ed is freed exactly once. */
	char *eal_argv[EAL_ARGS_MAX];

	memcpy(eal_argv, o.eal, sizeof(eal_argv[0]) * o.n_eal);
	rc = rte_eal_init(o.n_eal, eal_argv);
	if (rc < 0) {
		fprintf(stderr, "sluiced: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	rc = sl_workers_start();
	if (rc < 0) {
		fprintf(stderr, rc == -ENODEV ? "sluiced: no worker lcore: give EAL at least "
			"two cores (-l 0-1)\n" : "sluiced: no hugepage memory for the workers (-m?)\n");
		goto out_eal;
	}
	if (sl_rcu_init(sl_n_workers) < 0 || sl_l2_init() < 0 || sl_l3_init() < 0 ||
			sl_dp_publish() < 0) {
		fprintf(stderr, "sluiced: cannot set up RCU, FDB or snapshot (hugepages? -m?)\n");
		goto out_eal;
	}
	if (sl_workers_launch() < 0) {
		fprintf(stderr, "sluiced: cannot launch workers\n");
		goto out_workers;
	}
	if (sl_loop_init(reload) < 0) {
		fprintf(stderr, "sluiced: cannot set up the control loop: %s\n", strerror(errno));
		goto out_workers;
	}
	if (sl_port_events_init() < 0) {
		fprintf(stderr, "sluiced: cannot set up port events\n");
		goto out_workers;
	}
	rc = sl_config_replay(err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "sluiced: %s\n", err);
		goto out_ports;
	}
	sl_dp_publish();
	if (sl_cli_server_init(o.socket) < 0) {
		fprintf(stderr, "sluiced: cannot listen on %s\n", o.socket);
		goto out_ports;
	}
	SL_LOG(NOTICE, "ready: %u workers, socket %s, config %s", sl_n_workers, o.socket,
		o.config);
	rc = sl_loop_run();
	exit_code = rc < 0 ? 1 : 0;

	sl_cli_server_fini();
out_ports:
	sl_nl_reset();
	sl_hostif_reset();
	sl_ports_del_all();
	sl_loop_fini();
out_workers:
	sl_workers_stop();
	sl_l3_fini();
	sl_l2_fini();
	sl_rcu_fini();
out_eal:
	rte_eal_cleanup();
	for (int i = 0; i < o.n_eal; i++)
		free(o.eal[i]);
	return exit_code;
}
