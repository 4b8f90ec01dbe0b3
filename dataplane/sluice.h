/* SPDX-License-Identifier: BSD-3-Clause */
/* Project-wide limits, logging and thread-ownership checks shared by every module.
 * Nothing here runs per packet except the inline macros. */
#ifndef SL_SLUICE_H
#define SL_SLUICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_common.h>
#include <rte_debug.h>
#include <rte_lcore.h>
#include <rte_log.h>

#define SL_MAX_WORKERS 64
#define SL_MAX_PORTS RTE_MAX_ETHPORTS	/* ethdev's own limit (32 in Debian) */
#define SL_MAX_RXQ 64		/* rx queues per port */
#define SL_MAX_RXQ_PER_WORKER 256
#define SL_BURST_DEFAULT 32
#define SL_BURST_MAX 64
#define SL_NAME_MAX 32		/* object names, NUL included */
#define SL_PORT_NONE UINT16_MAX

extern int sl_logtype;

#define SL_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, sl_logtype, "sluice: " fmt "\n", ##__VA_ARGS__)

/* Thread notes (style rule 12): debug builds assert that control-thread-only
 * functions really run on the EAL main lcore. */
#ifdef SL_DEBUG
#define SL_ASSERT_CTRL() RTE_VERIFY(rte_lcore_id() == rte_get_main_lcore())
#else
#define SL_ASSERT_CTRL() do { } while (0)
#endif

/* Counters written by one worker and read by the control thread: relaxed
 * atomics compile to plain moves on x86 but keep the race defined (TSan). */
#define SL_STAT_ADD(field, n) \
	__atomic_store_n(&(field), __atomic_load_n(&(field), __ATOMIC_RELAXED) + (n), \
		__ATOMIC_RELAXED)
#define SL_STAT_READ(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

/* MAC as Linux tools print it: lower-case, colon-separated. */
static inline void
sl_mac_format(char *buf, size_t len, const void *mac)
{
	const uint8_t *b = mac;

	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
}

#endif
