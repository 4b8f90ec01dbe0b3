/* SPDX-License-Identifier: BSD-3-Clause */
/* epoll loop of the control thread (EAL main lcore). Signals arrive through a
 * signalfd: main() blocks them before rte_eal_init so no EAL thread takes them. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <rte_common.h>

#include "ctrl/loop/loop.h"
#include "dataplane/sluice.h"

static int epfd = -1;
static int stopping;
static void (*reload_cb)(void);
static struct sl_loop_src sig_src = { .fd = -1 }, timer_src = { .fd = -1 };
static struct sl_loop_timer *timers;

void
sl_loop_timer_register(struct sl_loop_timer *t)
{
	t->next = timers;
	timers = t;
}

static void
on_signal(struct sl_loop_src *src, uint32_t events)
{
	struct signalfd_siginfo si;

	RTE_SET_USED(events);
	while (read(src->fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			SL_LOG(NOTICE, "signal %u: stopping", si.ssi_signo);
			stopping = 1;
			break;
		case SIGHUP:
			SL_LOG(NOTICE, "SIGHUP: reloading config");
			if (reload_cb != NULL)
				reload_cb();
			break;
		}
	}
}

static void
on_timer(struct sl_loop_src *src, uint32_t events)
{
	static uint64_t tick, poll_tick;
	uint64_t ticks;
	bool second, poll;

	RTE_SET_USED(events);
	if (read(src->fd, &ticks, sizeof(ticks)) != sizeof(ticks))
		return;
	tick += ticks;
	poll_tick += ticks;
	second = tick >= 1000 / SL_LOOP_TICK_MS;
	if (second)
		tick = 0;
	poll = poll_tick >= SL_LOOP_POLL_MS / SL_LOOP_TICK_MS;
	if (poll)
		poll_tick = 0;
	for (struct sl_loop_timer *t = timers; t != NULL; t = t->next)
		if (t->fast || (t->poller && poll) || (second && !t->poller && !t->fast))
			t->fn();
}

int
sl_loop_init(void (*on_reload)(void))
{
	struct itimerspec its = {
		.it_interval = { 0, SL_LOOP_TICK_MS * 1000000L },
		.it_value = { 0, SL_LOOP_TICK_MS * 1000000L },
	};
	sigset_t set;
	int rc;

	reload_cb = on_reload;
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		return -errno;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sig_src.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sig_src.fd < 0)
		return -errno;
	sig_src.cb = on_signal;
	rc = sl_loop_add(&sig_src, EPOLLIN);
	if (rc < 0)
		return rc;

	timer_src.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (timer_src.fd < 0)
		return -errno;
	if (timerfd_settime(timer_src.fd, 0, &its, NULL) < 0)
		return -errno;
	timer_src.cb = on_timer;
	return sl_loop_add(&timer_src, EPOLLIN);
}

int
sl_loop_add(struct sl_loop_src *src, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = src };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, src->fd, &ev) < 0 ? -errno : 0;
}

int
sl_loop_mod(struct sl_loop_src *src, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = src };

	return epoll_ctl(epfd, EPOLL_CTL_MOD, src->fd, &ev) < 0 ? -errno : 0;
}

void
sl_loop_del(struct sl_loop_src *src)
{
	epoll_ctl(epfd, EPOLL_CTL_DEL, src->fd, NULL);
}

void
sl_loop_stop(void)
{
	stopping = 1;
}

int
sl_loop_run(void)
{
	struct epoll_event evs[32];

	SL_ASSERT_CTRL();
	while (!stopping) {
		int n = epoll_wait(epfd, evs, RTE_DIM(evs), 1000);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			struct sl_loop_src *src = evs[i].data.ptr;

			src->cb(src, evs[i].events);
		}
	}
	return 0;
}

void
sl_loop_fini(void)
{
	if (sig_src.fd >= 0)
		close(sig_src.fd);
	if (timer_src.fd >= 0)
		close(timer_src.fd);
	if (epfd >= 0)
		close(epfd);
	sig_src.fd = timer_src.fd = epfd = -1;
}
