/* SPDX-License-Identifier: BSD-3-Clause */
/* Route churn benchmark: the control thread adds and deletes routes as fast as
 * it can while reader threads, shaped like workers, look up addresses whose
 * answers must never change, and time every burst (the stall readers see). */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_pause.h>
#include <rte_random.h>
#include <rte_rcu_qsbr.h>

#include "dataplane/rcu.h"
#include "pipelines/l3/fib.h"
#include "pipelines/l3/fib_dp.h"

RTE_LOG_REGISTER_DEFAULT(sl_logtype, INFO);

/* What the bench sets up (see usage()):
 *
 * - "Unchanged" routes: n disjoint prefixes (IPv4 in 1.0.0.0-127.255.255.255,
 *   shaped like a BGP table; IPv6 /48, /56, /64 and longer under 2,000
 *   provider /32s in 2000::/4), route i -> next hop i. Never touched while the
 *   readers run.
 * - Churned routes, added and deleted in a sliding window of `live` routes:
 *   half are more-specifics inside the first `hot` unchanged routes, always in
 *   the lower half of the covering prefix (the host bit right after its
 *   length is 0), with next hop CHURN_NH + i for covering route i; the other
 *   half lie in disjoint space (IPv4 128.0.0.0/1, IPv6 3000::/4).
 * - Probes: addresses inside unchanged routes (half inside the hot ones).
 *   A probe in the upper half of route i must give i, always. A probe in the
 *   lower half may give i or CHURN_NH + i: while a more-specific covers it,
 *   its next hop, and after the delete the covering route again. Anything
 *   else (a miss, another route's next hop) is a wrong result: the packet
 *   would be lost or misrouted. */
#define VRF 1
#define BURST 32
#define CHURN_NH (1u << 22)		/* more-specifics of route i: CHURN_NH + i */
#define DISJOINT_NH (SL_FIB_NH_MAX - 1)	/* churned routes in disjoint space */
#define PROBES (1u << 16)		/* per reader, a power of 2 */
#define HIST_STEP_NS 100		/* burst-gap histogram: 0.1 us buckets ... */
#define HIST_N 2000			/* ... up to 200 us, then one overflow bucket */

struct rt {
	uint8_t a[16];	/* prefix, network order (IPv4: the first 4 bytes) */
	uint8_t len;
	uint32_t nh;
};

struct probes {
	int family;
	uint32_t *a4;			/* host order */
	uint8_t (*a6)[16];
	uint32_t *want;			/* the unchanged route's next hop */
	uint32_t *alt;			/* also right while a more-specific covers it */
};

/* One per reader, written by that reader only; read by main after it stopped. */
struct reader {
	unsigned int id;		/* RCU thread id */
	const struct probes *pr;
	bool strict;			/* only the unchanged route is right */
	uint64_t lookups;
	uint64_t wrong;
	uint64_t alt_hits;		/* answered by a churned more-specific */
	uint64_t max_gap;		/* TSC cycles */
	uint64_t hist[HIST_N + 1];
	uint32_t bad_idx, bad_got;	/* the first wrong result */
	pthread_t thread;		/* when run as a pthread (single-lcore EAL) */
} __rte_cache_aligned;

static struct {
	unsigned int routes;
	unsigned long changes;
	unsigned int commit_every;
	unsigned int live;
	unsigned int hot;
	bool v4, v6;
} opt = { 100000, 2000000, 1024, 10000, 1024, true, true };

static double hz;
static uint64_t cyc_per_bucket;
static struct reader *readers;
static unsigned int n_readers;
static bool reader_threads;		/* pthreads, not lcores */
static cpu_set_t reader_cpus;		/* the readers' CPUs */
static int stop_readers;		/* main -> readers, relaxed: a flag, orders nothing */
static unsigned int readers_online;	/* readers -> main, release/acquire */

/* ---- prefixes ---- */

static uint32_t
v4_of(const uint8_t *a)
{
	return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
}

static void
v4_set(uint8_t *a, uint32_t x)
{
	memset(a, 0, 16);
	a[0] = x >> 24;
	a[1] = x >> 16;
	a[2] = x >> 8;
	a[3] = x;
}

static bool
bit_get(const uint8_t *a, unsigned int i)
{
	return a[i / 8] >> (7 - i % 8) & 1;
}

static void
bit_clear(uint8_t *a, unsigned int i)
{
	a[i / 8] &= ~(1u << (7 - i % 8));
}

/* Bits from `len` on: zeroed (random = false) or random, up to `bits`. */
static void
host_bits(uint8_t *a, unsigned int len, unsigned int bits, bool random)
{
	for (unsigned int b = 0; b < bits / 8; b++) {
		int keep = (int)len - 8 * (int)b;
		uint8_t m = keep >= 8 ? 0xff : keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));

		a[b] = (a[b] & m) | (random ? (uint8_t)rte_rand() & ~m : 0);
	}
}

static int
rt_add(int fam, const struct rt *r)
{
	return fam == AF_INET ? sl_fib4_add(VRF, v4_of(r->a), r->len, r->nh) :
		sl_fib6_add(VRF, r->a, r->len, r->nh);
}

static int
rt_del(int fam, const struct rt *r)
{
	return fam == AF_INET ? sl_fib4_del(VRF, v4_of(r->a), r->len) :
		sl_fib6_del(VRF, r->a, r->len);
}

/* IPv4 lengths as in a full BGP table: 60 % /24, 37 % /16-/23, 3 % longer. */
static uint8_t
len4_bgp(void)
{
	uint64_t r = rte_rand_max(100);

	return r < 60 ? 24 : r < 97 ? 16 + rte_rand_max(8) : 25 + rte_rand_max(8);
}

/* IPv6: 45 % /48, 35 % /64, 10 % /32-/47, 5 % /56, 5 % /65-/128. */
static uint8_t
len6_mix(void)
{
	uint64_t r = rte_rand_max(100);

	return r < 45 ? 48 : r < 80 ? 64 : r < 90 ? 32 + rte_rand_max(16) :
		r < 95 ? 56 : 65 + rte_rand_max(64);
}

#define SLOT_MIN 0x010000u	/* /24 slots of 1.0.0.0 ... */
#define SLOT_END 0x800000u	/* ... up to 127.255.255.0 */

/* n disjoint IPv4 prefixes: each takes the /24 slots it covers (a longer one
 * its whole /24) in a bitmap, and is redrawn where any is taken. */
static int
gen_unchanged4(struct rt *u, unsigned int n)
{
	uint64_t *used = calloc(SLOT_END / 64, sizeof(*used));

	if (used == NULL)
		return -ENOMEM;
	for (unsigned int i = 0; i < n; i++) {
		unsigned int tries = 0;
		uint32_t slot, span, s;
		uint8_t len;

		do {
			if (++tries > 1000) {
				free(used);
				return -ENOSPC;
			}
			len = len4_bgp();
			span = len < 24 ? 1u << (24 - len) : 1;
			slot = (SLOT_MIN + (uint32_t)rte_rand_max(SLOT_END - SLOT_MIN)) & ~(span - 1);
			for (s = slot; s < slot + span; s++)
				if (s < SLOT_MIN || used[s / 64] >> (s % 64) & 1)
					break;
		} while (s != slot + span);
		for (s = slot; s < slot + span; s++)
			used[s / 64] |= 1ull << (s % 64);
		v4_set(u[i].a, slot << 8 | (uint32_t)rte_rand_max(256));
		u[i].len = len;
		host_bits(u[i].a, len, 32, false);
		u[i].nh = i;
	}
	free(used);
	return 0;
}

static int
cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return (a > b) - (a < b);
}

/* n disjoint IPv6 prefixes: each owns a distinct /48 (provider /32 + 16 bits)
 * and is that /48, or a prefix inside it (/56, /64, longer), or, for the
 * 10 % that len6_mix() makes /32-/47, the /48 as well. */
static int
gen_unchanged6(struct rt *u, unsigned int n)
{
	unsigned int want = n + n / 4 + 64, k = 0;
	uint64_t *keys = malloc(sizeof(*keys) * want), prov[2000];

	if (keys == NULL)
		return -ENOMEM;
	for (unsigned int i = 0; i < RTE_DIM(prov); i++)
		prov[i] = 0x20000000u | (rte_rand() & 0x0fffffff);	/* in 2000::/4 */
	for (unsigned int i = 0; i < want; i++)
		keys[i] = prov[rte_rand_max(RTE_DIM(prov))] << 16 | rte_rand_max(1u << 16);
	qsort(keys, want, sizeof(*keys), cmp_u64);
	for (unsigned int i = 0; i < want; i++)
		if (i == 0 || keys[i] != keys[k - 1])
			keys[k++] = keys[i];
	if (k < n) {
		free(keys);
		return -ENOSPC;
	}
	for (unsigned int i = k - 1; i > 0; i--) {	/* shuffle: hot routes anywhere */
		unsigned int j = rte_rand_max(i + 1);
		uint64_t t = keys[i];

		keys[i] = keys[j];
		keys[j] = t;
	}
	for (unsigned int i = 0; i < n; i++) {
		uint8_t len = len6_mix();

		for (unsigned int b = 0; b < 6; b++)
			u[i].a[b] = keys[i] >> (40 - 8 * b);
		host_bits(u[i].a, 48, 128, true);
		u[i].len = len < 48 ? 48 : len;
		host_bits(u[i].a, u[i].len, 128, false);
		u[i].nh = i;
	}
	free(keys);
	return 0;
}

/* A churned route: a more-specific in the lower half of a hot unchanged
 * route, or a prefix in disjoint space. */
static void
gen_churn(int fam, const struct rt *u, unsigned int hot, struct rt *c)
{
	unsigned int bits = fam == AF_INET ? 32 : 128, h = rte_rand_max(hot), tries = 0;

	/* A host route has no room below it: draw another (or go disjoint). */
	while (u[h].len >= bits && ++tries < 64)
		h = rte_rand_max(hot);
	if (u[h].len < bits && rte_rand_max(2) == 0) {
		const struct rt *cov = &u[h];
		unsigned int ext;

		/* IPv4: any length below it; IPv6: up to 24 bits deeper. */
		ext = RTE_MIN(bits - cov->len, fam == AF_INET ? 32u : 24u);
		*c = *cov;
		c->len = cov->len + 1 + rte_rand_max(ext);
		host_bits(c->a, cov->len, bits, true);
		bit_clear(c->a, cov->len);
		host_bits(c->a, c->len, bits, false);
		c->nh = CHURN_NH + h;
		return;
	}
	memset(c, 0, sizeof(*c));
	if (fam == AF_INET) {
		c->len = len4_bgp();
		v4_set(c->a, 0x80000000u | (uint32_t)rte_rand());
		host_bits(c->a, c->len, 32, false);
	} else {
		c->len = len6_mix();
		host_bits(c->a, 0, 128, true);
		c->a[0] = 0x30 | (c->a[0] & 0x0f);
		host_bits(c->a, c->len, 128, false);
	}
	c->nh = DISJOINT_NH;
}

static int
cmp_rt(const void *x, const void *y)
{
	const struct rt *a = x, *b = y;
	int d = memcmp(a->a, b->a, 16);

	return d ? d : (int)a->len - (int)b->len;
}

/* n distinct churned routes in random order (a duplicate inside the live
 * window would turn an add into a replace and its delete into -ENOENT). */
static struct rt *
gen_churn_set(int fam, const struct rt *u, unsigned int hot, unsigned int *n)
{
	struct rt *c = malloc(sizeof(*c) * *n);
	unsigned int k = 0;

	if (c == NULL)
		return NULL;
	for (unsigned int i = 0; i < *n; i++)
		gen_churn(fam, u, hot, &c[i]);
	qsort(c, *n, sizeof(*c), cmp_rt);
	for (unsigned int i = 0; i < *n; i++)
		if (k == 0 || cmp_rt(&c[i], &c[k - 1]) != 0)
			c[k++] = c[i];
	for (unsigned int i = k - 1; i > 0; i--) {
		unsigned int j = rte_rand_max(i + 1);
		struct rt t = c[i];

		c[i] = c[j];
		c[j] = t;
	}
	*n = k;
	return c;
}

static int
gen_probes(int fam, const struct rt *u, unsigned int n, unsigned int hot, struct probes *p)
{
	unsigned int bits = fam == AF_INET ? 32 : 128;

	p->family = fam;
	p->want = malloc(sizeof(*p->want) * PROBES);
	p->alt = malloc(sizeof(*p->alt) * PROBES);
	if (fam == AF_INET)
		p->a4 = malloc(sizeof(*p->a4) * PROBES);
	else
		p->a6 = malloc(sizeof(*p->a6) * PROBES);
	if (p->want == NULL || p->alt == NULL || (p->a4 == NULL && p->a6 == NULL))
		return -ENOMEM;
	for (unsigned int k = 0; k < PROBES; k++) {
		unsigned int i = rte_rand_max(2) ? rte_rand_max(hot) : rte_rand_max(n);
		uint8_t a[16];

		memcpy(a, u[i].a, 16);
		host_bits(a, u[i].len, bits, true);
		p->want[k] = u[i].nh;
		p->alt[k] = u[i].len < bits && !bit_get(a, u[i].len) ? CHURN_NH + i : u[i].nh;
		if (fam == AF_INET)
			p->a4[k] = v4_of(a);
		else
			memcpy(p->a6[k], a, 16);
	}
	return 0;
}

static void
free_probes(struct probes *p)
{
	free(p->a4);
	free(p->a6);
	free(p->want);
	free(p->alt);
	memset(p, 0, sizeof(*p));
}

/* ---- readers ---- */

/* Worker-shaped loop: a bulk lookup of BURST addresses, check every answer,
 * report a quiescent state, and time the gap since the previous burst ended
 * (the longest gap is the longest a worker would not have forwarded). */
static int
reader_main(void *arg)
{
	struct reader *r = arg;
	const struct probes *p = r->pr;
	uint32_t nhs[BURST];
	unsigned int pos = 0;
	uint64_t prev;

	rte_rcu_qsbr_thread_register(sl_rcu, r->id);
	rte_rcu_qsbr_thread_online(sl_rcu, r->id);
	/* release: main starts changing routes once every reader is online,
	 * so no grace period can miss a reader. */
	__atomic_fetch_add(&readers_online, 1, __ATOMIC_RELEASE);
	prev = rte_rdtsc();
	while (!__atomic_load_n(&stop_readers, __ATOMIC_RELAXED)) {
		uint64_t now, gap;

		if (p->family == AF_INET)
			sl_fib4_lookup_bulk(VRF, &p->a4[pos], nhs, BURST);
		else
			sl_fib6_lookup_bulk(VRF, (const uint8_t (*)[16])&p->a6[pos], nhs, BURST);
		for (unsigned int j = 0; j < BURST; j++) {
			if (likely(nhs[j] == p->want[pos + j]))
				continue;
			if (nhs[j] == p->alt[pos + j] && !r->strict) {
				r->alt_hits++;
				continue;
			}
			if (r->wrong++ == 0) {
				r->bad_idx = pos + j;
				r->bad_got = nhs[j];
			}
		}
		r->lookups += BURST;
		pos = (pos + BURST) & (PROBES - 1);
		rte_rcu_qsbr_quiescent(sl_rcu, r->id);
		now = rte_rdtsc();
		gap = now - prev;
		prev = now;
		r->hist[RTE_MIN(gap / cyc_per_bucket, (uint64_t)HIST_N)]++;
		if (gap > r->max_gap)
			r->max_gap = gap;
	}
	rte_rcu_qsbr_thread_offline(sl_rcu, r->id);
	rte_rcu_qsbr_thread_unregister(sl_rcu, r->id);
	return 0;
}

static void *
reader_thread(void *arg)
{
	reader_main(arg);
	return NULL;
}

/* Every worker lcore runs a reader; with none (EAL -l N), one pthread does,
 * on the CPUs the process had before EAL pinned the main thread. */
static int
readers_start(const struct probes *pr, bool strict)
{
	unsigned int lc, i;

	__atomic_store_n(&stop_readers, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&readers_online, 0, __ATOMIC_RELAXED);
	for (i = 0; i < n_readers; i++) {
		memset(&readers[i], 0, sizeof(readers[i]));
		readers[i].id = i;
		readers[i].pr = &pr[i];
		readers[i].strict = strict;
	}
	if (reader_threads) {
		pthread_attr_t at;
		int rc;

		pthread_attr_init(&at);
		pthread_attr_setaffinity_np(&at, sizeof(reader_cpus), &reader_cpus);
		rc = pthread_create(&readers[0].thread, &at, reader_thread, &readers[0]);
		pthread_attr_destroy(&at);
		if (rc != 0)
			return -rc;
	} else {
		i = 0;
		RTE_LCORE_FOREACH_WORKER(lc)
			if (rte_eal_remote_launch(reader_main, &readers[i++], lc) != 0)
				return -EBUSY;
	}
	while (__atomic_load_n(&readers_online, __ATOMIC_ACQUIRE) < n_readers)
		rte_pause();
	return 0;
}

static void
readers_stop(void)
{
	__atomic_store_n(&stop_readers, 1, __ATOMIC_RELAXED);
	if (reader_threads)
		pthread_join(readers[0].thread, NULL);
	else
		rte_eal_mp_wait_lcore();
}

/* ---- report ---- */

/* Integer with thousands separators (no locale needed). */
static const char *
commas(char *buf, size_t size, double v)
{
	char tmp[32];
	int len, o = 0;

	len = snprintf(tmp, sizeof(tmp), "%.0f", v);
	for (int i = 0; i < len && o < (int)size - 1; i++) {
		if (i > 0 && tmp[i - 1] != '-' && (len - i) % 3 == 0 && o < (int)size - 2)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = 0;
	return buf;
}

/* TLB shootdown interrupts the readers' CPUs have taken so far (Linux
 * /proc/interrupts), or -1. The writer's munmap and mprotect (a root freed,
 * a pool chunk committed) interrupt every CPU that runs the process: the one
 * way it can stall a reader, which never waits for it otherwise. */
static long long
tlb_shootdowns(void)
{
	FILE *f = fopen("/proc/interrupts", "r");
	char line[4096], *tok, *save;
	int cpu_of_col[CPU_SETSIZE], ncol = 0;
	long long sum = -1;

	if (f == NULL)
		return -1;
	if (fgets(line, sizeof(line), f) != NULL)
		for (tok = strtok_r(line, " \n", &save); tok != NULL && ncol < CPU_SETSIZE;
				tok = strtok_r(NULL, " \n", &save))
			cpu_of_col[ncol++] = atoi(tok + 3);	/* "CPU<n>" */
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "TLB:", 4) != 0)
			continue;
		sum = 0;
		tok = strtok_r(line + 4, " ", &save);
		for (int c = 0; c < ncol && tok != NULL; c++, tok = strtok_r(NULL, " ", &save))
			if (CPU_ISSET(cpu_of_col[c], &reader_cpus))
				sum += atoll(tok);
		break;
	}
	fclose(f);
	return sum;
}

/* A lookup that gave a wrong next hop: probe idx of pr gave got. */
struct wrong_result {
	const struct probes *pr;	/* NULL: none */
	uint32_t idx, got;
};

struct phase {
	double secs;
	uint64_t lookups, wrong, alt_hits, max_gap, bursts;
	uint64_t hist[HIST_N + 1];
	struct wrong_result first;	/* the first wrong result seen, if any */
	long long tlb;			/* TLB shootdown IPIs the readers' CPUs took, or -1 */
};

static void
phase_collect(struct phase *ph, double secs, long long tlb0)
{
	long long tlb1 = tlb_shootdowns();

	memset(ph, 0, sizeof(*ph));
	ph->secs = secs;
	ph->tlb = tlb0 < 0 || tlb1 < 0 ? -1 : tlb1 - tlb0;
	for (unsigned int i = 0; i < n_readers; i++) {
		const struct reader *r = &readers[i];

		if (r->wrong && ph->first.pr == NULL)
			ph->first = (struct wrong_result){ r->pr, r->bad_idx, r->bad_got };
		ph->lookups += r->lookups;
		ph->wrong += r->wrong;
		ph->alt_hits += r->alt_hits;
		ph->max_gap = RTE_MAX(ph->max_gap, r->max_gap);
		for (unsigned int b = 0; b <= HIST_N; b++) {
			ph->hist[b] += r->hist[b];
			ph->bursts += r->hist[b];
		}
	}
}

/* The q-quantile of the burst gaps (us): the upper edge of its bucket. */
static const char *
pct(char *buf, size_t size, const struct phase *ph, double q)
{
	uint64_t need = (uint64_t)(q * (double)ph->bursts), seen = 0;

	for (unsigned int b = 0; b <= HIST_N; b++) {
		seen += ph->hist[b];
		if (seen > need || b == HIST_N) {
			if (b == HIST_N)
				snprintf(buf, size, "> %.0f", HIST_N * HIST_STEP_NS / 1e3);
			else
				snprintf(buf, size, "%.1f", (b + 1) * HIST_STEP_NS / 1e3);
			return buf;
		}
	}
	return "?";
}

static uint64_t
gaps_over(const struct phase *ph, double us)
{
	uint64_t n = 0;

	for (unsigned int b = (unsigned int)(us * 1e3 / HIST_STEP_NS); b <= HIST_N; b++)
		n += ph->hist[b];
	return n;
}

static void
row2(const char *what, const char *a, const char *b)
{
	printf("| %s | %s | %s |\n", what, a, b);
}

static void
report_phases(const struct phase *churn, const struct phase *after)
{
	const struct phase *ph[2] = { churn, after };
	char a[2][64], b[2][64], c[2][64];
	static const double over[] = { 2, 5, 10, 50 };

	printf("| | during churn | after it: readers alone, as long |\n|---|---|---|\n");
	for (int k = 0; k < 2; k++)
		snprintf(a[k], sizeof(a[k]), "%.1f M/s (%.1f M/s per reader)",
			ph[k]->lookups / ph[k]->secs / 1e6,
			ph[k]->lookups / ph[k]->secs / 1e6 / n_readers);
	row2("lookups (bursts of 32)", a[0], a[1]);
	for (int k = 0; k < 2; k++)
		commas(a[k], sizeof(a[k]), (double)ph[k]->wrong);
	row2("**wrong results** (miss or wrong next hop)", a[0], a[1]);
	for (int k = 0; k < 2; k++)
		snprintf(a[k], sizeof(a[k]), "%.2f %%",
			ph[k]->lookups ? 100.0 * ph[k]->alt_hits / ph[k]->lookups : 0.0);
	row2("answered by a churned more-specific", a[0], a[1]);
	for (int k = 0; k < 2; k++)
		snprintf(a[k], sizeof(a[k]), "%s / %s / %s / %s",
			pct(b[0], sizeof(b[0]), ph[k], 0.5), pct(b[1], sizeof(b[1]), ph[k], 0.99),
			pct(c[0], sizeof(c[0]), ph[k], 0.999),
			pct(c[1], sizeof(c[1]), ph[k], 0.9999));
	row2("burst gap p50 / p99 / p99.9 / p99.99 (us)", a[0], a[1]);
	for (int k = 0; k < 2; k++)
		snprintf(a[k], sizeof(a[k]), "**%.1f**", ph[k]->max_gap / hz * 1e6);
	row2("longest burst gap = stall (us)", a[0], a[1]);
	for (unsigned int o = 0; o < RTE_DIM(over); o++) {
		char what[64];

		snprintf(what, sizeof(what), "burst gaps >= %.0f us: count (per second)", over[o]);
		for (int k = 0; k < 2; k++) {
			uint64_t n = gaps_over(ph[k], over[o]);

			snprintf(a[k], sizeof(a[k]), "%s (%.0f/s)", commas(b[k], sizeof(b[k]),
				(double)n), n / ph[k]->secs);
		}
		row2(what, a[0], a[1]);
	}
	for (int k = 0; k < 2; k++) {
		if (ph[k]->tlb < 0)
			snprintf(a[k], sizeof(a[k]), "n/a");
		else
			snprintf(a[k], sizeof(a[k]), "%lld (%.0f/s)", (long long)ph[k]->tlb,
				ph[k]->tlb / ph[k]->secs);
	}
	row2("TLB shootdowns on the readers' CPUs (/proc/interrupts)", a[0], a[1]);
}

/* ---- one family ---- */

struct churn_result {
	double secs, commit_max_us, commit_total_s;
	unsigned long changes, commits;
};

/* Add and delete churned routes in a sliding window of opt.live, a commit
 * (grace period + reclaim) every opt.commit_every changes (res times that);
 * then delete what is left, so the table holds the unchanged routes again. */
static int
churn(int fam, const struct rt *c, unsigned int nc, struct churn_result *res)
{
	unsigned long head = 0, tail = 0;
	uint64_t t0, tc, commit_max = 0, commit_sum = 0;
	int rc;

	memset(res, 0, sizeof(*res));
	t0 = rte_rdtsc();
	for (unsigned long op = 1; op <= opt.changes; op++) {
		if (head - tail < opt.live) {
			rc = rt_add(fam, &c[head++ % nc]);
		} else {
			rc = rt_del(fam, &c[tail++ % nc]);
		}
		if (rc != 0) {
			fprintf(stderr, "fib-churn: route change %lu failed: %s\n", op, strerror(-rc));
			return rc;
		}
		if (op % opt.commit_every == 0 || op == opt.changes) {
			tc = rte_rdtsc();
			sl_fib_commit();
			tc = rte_rdtsc() - tc;
			commit_max = RTE_MAX(commit_max, tc);
			commit_sum += tc;
			res->commits++;
		}
	}
	res->secs = (rte_rdtsc() - t0) / hz;
	res->changes = opt.changes;
	res->commit_max_us = commit_max / hz * 1e6;
	res->commit_total_s = commit_sum / hz;
	/* Take the rest out, so the table is the unchanged routes again. */
	while (tail < head)
		if ((rc = rt_del(fam, &c[tail++ % nc])) != 0)
			return rc;
	sl_fib_commit();
	return 0;
}

static json_int_t
groups_used(int fam)
{
	json_t *j = sl_fib_memory_json();
	json_int_t v = json_integer_value(json_object_get(
		json_object_get(j, fam == AF_INET ? "ipv4" : "ipv6"), "groups_used"));

	json_decref(j);
	return v;
}

static void
print_wrong(const char *when, const struct wrong_result *w)
{
	const struct probes *p = w->pr;

	if (p == NULL)
		return;
	printf("- first wrong result %s: ", when);
	if (p->family == AF_INET) {
		uint32_t a = p->a4[w->idx];

		printf("%u.%u.%u.%u", a >> 24, a >> 16 & 0xff, a >> 8 & 0xff, a & 0xff);
	} else {
		for (unsigned int b = 0; b < 16; b += 2)
			printf("%s%x", b ? ":" : "", p->a6[w->idx][b] << 8 | p->a6[w->idx][b + 1]);
	}
	printf(" gave next hop %u, want %u", w->got, p->want[w->idx]);
	if (p->alt[w->idx] != p->want[w->idx])
		printf(" (or %u while a more-specific covers it)", p->alt[w->idx]);
	printf("\n");
}

/* Returns the number of wrong results (0 is a pass), or -errno. */
static long
run_family(int fam)
{
	unsigned int nc = RTE_MAX(opt.live * 4, 1u << 16);
	struct rt *u = malloc(sizeof(*u) * opt.routes), *c = NULL;
	struct probes *pr = calloc(n_readers, sizeof(*pr));
	struct phase during, after;
	struct churn_result res;
	unsigned int hot = RTE_MIN(opt.hot, opt.routes);
	json_int_t g0, g1;
	uint64_t t0;
	long long tlb0;
	long wrong = -ENOMEM;
	char n1[32], n2[32], n3[32], n4[32];
	int rc;

	if (u == NULL || pr == NULL)
		goto out;
	rc = fam == AF_INET ? gen_unchanged4(u, opt.routes) : gen_unchanged6(u, opt.routes);
	if (rc < 0) {
		wrong = rc;
		goto out;
	}
	c = gen_churn_set(fam, u, hot, &nc);
	if (c == NULL || nc <= opt.live) {
		wrong = c == NULL ? -ENOMEM : -ENOSPC;
		goto out;
	}
	for (unsigned int i = 0; i < n_readers; i++)
		if ((rc = gen_probes(fam, u, opt.routes, hot, &pr[i])) < 0) {
			wrong = rc;
			goto out;
		}
	if ((rc = sl_fib_vrf_create(VRF)) < 0) {
		wrong = rc;
		goto out;
	}
	t0 = rte_rdtsc();
	for (unsigned int i = 0; i < opt.routes; i++)
		if ((rc = rt_add(fam, &u[i])) < 0) {
			wrong = rc;
			goto out_vrf;
		}
	g0 = groups_used(fam);

	printf("\n### IPv%d: %s unchanged routes, %s route changes\n\n", fam == AF_INET ? 4 : 6,
		commas(n1, sizeof(n1), opt.routes), commas(n2, sizeof(n2), (double)opt.changes));
	printf("Unchanged routes loaded in %.2f s (%s FIB groups). Churn: a sliding window "
		"of %s live routes out of %s distinct ones, half more-specifics (%s) in the "
		"lower half of the first %s unchanged routes, half in disjoint space (%s); "
		"`sl_fib_commit()` every %u changes. %u reader%s (%s), %u random probes each, "
		"half inside those %s routes.\n\n",
		(rte_rdtsc() - t0) / hz, commas(n1, sizeof(n1), (double)g0),
		commas(n2, sizeof(n2), opt.live), commas(n3, sizeof(n3), nc),
		fam == AF_INET ? "any length up to /32" : "up to 24 bits longer",
		commas(n4, sizeof(n4), hot), fam == AF_INET ? "128.0.0.0/1" : "3000::/4",
		opt.commit_every, n_readers, n_readers > 1 ? "s" : "",
		reader_threads ? "a pthread registered with the RCU" : "on worker lcores",
		PROBES, n4);
	fflush(stdout);

	/* Churn, then the rest of the churned routes out again, readers on. */
	if ((rc = readers_start(pr, false)) < 0) {
		wrong = rc;
		goto out_vrf;
	}
	tlb0 = tlb_shootdowns();
	t0 = rte_rdtsc();
	rc = churn(fam, c, nc, &res);
	readers_stop();
	if (rc < 0) {
		wrong = rc;
		goto out_vrf;
	}
	phase_collect(&during, (rte_rdtsc() - t0) / hz, tlb0);

	/* The baseline: readers alone for as long (at least 0.1 s, many passes
	 * over their probes), the control thread asleep. With the churn gone,
	 * every probe must give its unchanged route: no more-specific allowed. */
	if ((rc = readers_start(pr, true)) < 0) {
		wrong = rc;
		goto out_vrf;
	}
	tlb0 = tlb_shootdowns();
	t0 = rte_rdtsc();
	rte_delay_us_sleep((unsigned int)(RTE_MAX(RTE_MIN(during.secs, 30.0), 0.1) * 1e6));
	readers_stop();
	phase_collect(&after, (rte_rdtsc() - t0) / hz, tlb0);

	g1 = groups_used(fam);

	printf("| | |\n|---|---|\n");
	printf("| **route changes/s** (adds + deletes, commits included) | **%s** |\n",
		commas(n1, sizeof(n1), res.changes / res.secs));
	printf("| churn time | %.2f s for %s changes |\n", res.secs,
		commas(n1, sizeof(n1), (double)res.changes));
	printf("| commits (grace period + reclaim) | %lu: %.1f us mean, %.1f us max, "
		"%.1f %% of the churn time |\n", res.commits,
		res.commits ? res.commit_total_s / res.commits * 1e6 : 0.0, res.commit_max_us,
		100.0 * res.commit_total_s / res.secs);
	printf("| after churn: routes / FIB groups used | %s / %s (before: %s / %s) |\n\n",
		commas(n1, sizeof(n1), sl_fib_route_count(VRF, fam)),
		commas(n2, sizeof(n2), (double)g1), commas(n3, sizeof(n3), opt.routes),
		commas(n4, sizeof(n4), (double)g0));
	report_phases(&during, &after);
	printf("\n");
	printf("- target route changes/s >= 100,000: %s\n",
		res.changes / res.secs >= 100000 ? "met" : "MISSED");
	printf("- wrong results: %s\n", during.wrong + after.wrong == 0 ?
		"none (every lookup gave the unchanged route, or during churn a covering "
		"more-specific)" : "**FAILED**");
	print_wrong("during churn", &during.first);
	print_wrong("after churn", &after.first);
	if (sl_fib_route_count(VRF, fam) != opt.routes || g1 != g0)
		printf("- **the table did not return to its state before churn** (routes or "
			"groups differ)\n");
	wrong = (long)(during.wrong + after.wrong);
	if (sl_fib_route_count(VRF, fam) != opt.routes)
		wrong++;
out_vrf:
	sl_fib_vrf_destroy(VRF);
out:
	if (pr != NULL)
		for (unsigned int i = 0; i < n_readers; i++)
			free_probes(&pr[i]);
	free(pr);
	free(c);
	free(u);
	return wrong;
}

/* ---- main ---- */

static void
usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s EAL-ARGS -- [--routes N] [--changes N] [--commit N] [--live N]\n"
		"       [--hot N] [--family 4|6|both] [--seed N]\n"
		"Readers: one per worker lcore (EAL -l 0-2: two), or one pthread with -l N.\n"
		"  --routes   unchanged routes per family (default 100000)\n"
		"  --changes  route changes (adds + deletes) per family (default 2000000)\n"
		"  --commit   sl_fib_commit() every N changes (default 1024)\n"
		"  --live     churned routes present at a time (default 10000)\n"
		"  --hot      unchanged routes that get more-specifics (default 1024)\n"
		"Exit status: 0, 3 if any lookup gave a wrong result, 1 on errors.\n", prog);
}

static const char *
cpu_model(char *buf, size_t size)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];

	snprintf(buf, size, "?");
	if (f == NULL)
		return buf;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "model name", 10) == 0 && strchr(line, ':') != NULL) {
			snprintf(buf, size, "%s", strchr(line, ':') + 2);
			buf[strcspn(buf, "\n")] = 0;
			break;
		}
	fclose(f);
	return buf;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "routes", required_argument, NULL, 'r' },
		{ "changes", required_argument, NULL, 'n' },
		{ "commit", required_argument, NULL, 'c' },
		{ "live", required_argument, NULL, 'l' },
		{ "hot", required_argument, NULL, 'h' },
		{ "family", required_argument, NULL, 'f' },
		{ "seed", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, '?' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t seed = 42;
	long wrong = 0, w;
	unsigned int lc;
	cpu_set_t before;
	char model[128];
	int rc, o;

	/* EAL pins the main thread to its lcore: a reader pthread gets the
	 * other CPUs the process was allowed before that. */
	CPU_ZERO(&before);
	sched_getaffinity(0, sizeof(before), &before);
	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		fprintf(stderr, "fib-churn: EAL init failed\n");
		return 1;
	}
	argc -= rc;
	argv += rc;
	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (o) {
		case 'r':
			opt.routes = strtoul(optarg, NULL, 0);
			break;
		case 'n':
			opt.changes = strtoul(optarg, NULL, 0);
			break;
		case 'c':
			opt.commit_every = strtoul(optarg, NULL, 0);
			break;
		case 'l':
			opt.live = strtoul(optarg, NULL, 0);
			break;
		case 'h':
			opt.hot = strtoul(optarg, NULL, 0);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'f':
			opt.v4 = strcmp(optarg, "6") != 0;
			opt.v6 = strcmp(optarg, "4") != 0;
			break;
		default:
			usage(argv[0]);
			return 1;
		}
	}
	if (opt.routes < 1 || opt.routes >= CHURN_NH || opt.hot < 1 || opt.live < 1 ||
			opt.commit_every < 1 || opt.changes < 1) {
		usage(argv[0]);
		return 1;
	}
	hz = (double)rte_get_tsc_hz();
	cyc_per_bucket = RTE_MAX((uint64_t)(hz * HIST_STEP_NS / 1e9), 1ull);
	n_readers = rte_lcore_count() - 1;
	CPU_ZERO(&reader_cpus);
	RTE_LCORE_FOREACH_WORKER(lc)
		CPU_SET(rte_lcore_to_cpu_id(lc), &reader_cpus);
	if (n_readers == 0) {
		reader_threads = true;
		n_readers = 1;
		reader_cpus = before;
		CPU_CLR(rte_lcore_to_cpu_id(rte_get_main_lcore()), &reader_cpus);
		if (CPU_COUNT(&reader_cpus) == 0)
			reader_cpus = before;	/* one CPU: reader and writer share it */
	}
	readers = rte_zmalloc("fib_churn_readers", sizeof(*readers) * n_readers,
		RTE_CACHE_LINE_SIZE);
	if (readers == NULL || sl_rcu_init(n_readers) < 0 || sl_fib_init() < 0) {
		fprintf(stderr, "fib-churn: init failed (memory?)\n");
		return 1;
	}
	rte_srand(seed);
	printf("Route churn (`sluice-fib-churn`): %s, TSC %.2f GHz, DPDK RCU QSBR with %u "
		"reader%s, bursts of %u lookups.\n", cpu_model(model, sizeof(model)), hz / 1e9,
		n_readers, n_readers > 1 ? "s" : "", BURST);
	for (int f = 0; f < 2; f++) {
		int fam = f == 0 ? AF_INET : AF_INET6;

		if (!(f == 0 ? opt.v4 : opt.v6))
			continue;
		w = run_family(fam);
		if (w < 0) {
			fprintf(stderr, "fib-churn: IPv%d: %s\n", f == 0 ? 4 : 6, strerror((int)-w));
			return 1;
		}
		wrong += w;
		fflush(stdout);
	}
	sl_fib_fini();
	sl_rcu_fini();
	rte_free(readers);
	rte_eal_cleanup();
	return wrong ? 3 : 0;
}
