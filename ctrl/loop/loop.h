/* SPDX-License-Identifier: BSD-3-Clause */
/* The control thread's event loop: one epoll over the CLI socket and clients,
 * a signalfd (TERM/INT stop, HUP reload) and a 1 ms timerfd (pollers each
 * tick, timers each second). */
#ifndef SL_LOOP_H
#define SL_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct sl_loop_src;
typedef void (*sl_loop_cb)(struct sl_loop_src *src, uint32_t events);

/* Embedded by the owner of an fd; the loop stores only a pointer to it. */
struct sl_loop_src {
	int fd;
	sl_loop_cb cb;
};

/* Periodic work registered by modules: timers run once a second (FDB
 * ageing, link state), pollers every 10 ms (draining learn rings), fast
 * pollers every 1 ms tick (packets punted to the control thread: ARP, ND,
 * ping to the router wait at most that long). */
struct sl_loop_timer {
	const char *name;
	void (*fn)(void);
	bool poller;
	bool fast;
	struct sl_loop_timer *next;
};

#define SL_LOOP_TICK_MS 1		/* fast pollers */
#define SL_LOOP_POLL_MS 10		/* pollers */

void sl_loop_timer_register(struct sl_loop_timer *t);
#define SL_LOOP_TIMER(nm, func) \
	static struct sl_loop_timer timer_##func = { .name = nm, .fn = func }; \
	RTE_INIT(timer_reg_##func) { sl_loop_timer_register(&timer_##func); }
#define SL_LOOP_POLLER(nm, func) \
	static struct sl_loop_timer timer_##func = { .name = nm, .fn = func, .poller = true }; \
	RTE_INIT(timer_reg_##func) { sl_loop_timer_register(&timer_##func); }
#define SL_LOOP_FAST_POLLER(nm, func) \
	static struct sl_loop_timer timer_##func = { .name = nm, .fn = func, .fast = true }; \
	RTE_INIT(timer_reg_##func) { sl_loop_timer_register(&timer_##func); }

/* ctrl thread. All return 0 or -errno. */
int sl_loop_init(void (*on_reload)(void));
int sl_loop_add(struct sl_loop_src *src, uint32_t events);
int sl_loop_mod(struct sl_loop_src *src, uint32_t events);
void sl_loop_del(struct sl_loop_src *src);
/* Runs until a stop signal or sl_loop_stop(). */
int sl_loop_run(void);
void sl_loop_stop(void);
void sl_loop_fini(void);

#endif
