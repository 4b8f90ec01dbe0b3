/* SPDX-License-Identifier: BSD-3-Clause */
/* FIB micro-benchmark: insert, lookup and churn rates and memory of the real
 * FIB code (pipelines/l3/fib.c) for table shapes like real ones, with
 * DPDK's rte_lpm (DIR-24-8) on the same IPv4 table for scale. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_lpm.h>
#include <rte_random.h>

#include "dataplane/rcu.h"
#include "pipelines/l3/fib.h"
#include "pipelines/l3/fib_dp.h"

RTE_LOG_REGISTER_DEFAULT(sl_logtype, INFO);

#define BURST 32
#define LOOKUPS (1u << 22)
#define REPS 9			/* lookup figures: the median of REPS passes */

static double hz;

struct p4 {
	uint32_t a;
	uint8_t len;
};

struct p6 {
	uint8_t a[16];
	uint8_t len;
};

/* Lengths as in a full BGP table: mostly /24, some /16-/23, few longer. */
static uint8_t
len4_real(void)
{
	uint64_t r = rte_rand_max(100);

	if (r < 60)
		return 24;
	if (r < 97)
		return 16 + rte_rand_max(8);
	return 25 + rte_rand_max(8);
}

static uint32_t
mask4(uint8_t len)
{
	return len ? ~0u << (32 - len) : 0;
}

/* base/base_len: where the prefixes fall (0/0: anywhere). */
static void
gen4(struct p4 *p, unsigned int n, uint32_t base, uint8_t base_len)
{
	for (unsigned int i = 0; i < n; i++) {
		p[i].len = len4_real();
		p[i].a = (((uint32_t)rte_rand() & ~mask4(base_len)) | base) & mask4(p[i].len);
	}
}

/* An address inside a random one of the prefixes: lookups that walk the
 * trie to the route's depth, as forwarded traffic does. */
static uint32_t
addr_in4(const struct p4 *p, unsigned int n)
{
	const struct p4 *x = &p[rte_rand_max(n)];

	return x->a | ((uint32_t)rte_rand() & ~mask4(x->len));
}

/* IPv6: 2,000 provider /32s in 2000::/3; below them mostly /48 and /64. */
static uint8_t v6_alloc[2000][4];

static void
gen6(struct p6 *p, unsigned int n)
{
	for (unsigned int i = 0; i < RTE_DIM(v6_alloc); i++) {
		uint32_t a = 0x20000000 | ((uint32_t)rte_rand() & 0x1fffffff);

		v6_alloc[i][0] = a >> 24;
		v6_alloc[i][1] = a >> 16;
		v6_alloc[i][2] = a >> 8;
		v6_alloc[i][3] = a;
	}
	for (unsigned int i = 0; i < n; i++) {
		uint64_t r = rte_rand_max(100), lo = rte_rand(), lo2 = rte_rand();
		unsigned int len;

		len = r < 45 ? 48 : r < 80 ? 64 : r < 90 ? 32 + rte_rand_max(16) :
			r < 95 ? 56 : 65 + rte_rand_max(64);
		memcpy(p[i].a, v6_alloc[rte_rand_max(RTE_DIM(v6_alloc))], 4);
		memcpy(p[i].a + 4, &lo, 8);
		memcpy(p[i].a + 12, &lo2, 4);
		p[i].len = len;
		for (unsigned int b = 0; b < 16; b++) {
			int keep = (int)len - 8 * (int)b;

			p[i].a[b] &= keep >= 8 ? 0xff : keep <= 0 ? 0 :
				(uint8_t)(0xff << (8 - keep));
		}
	}
}

static void
addr_in6(const struct p6 *p, unsigned int n, uint8_t out[16])
{
	const struct p6 *x = &p[rte_rand_max(n)];
	uint64_t r1 = rte_rand(), r2 = rte_rand();
	uint8_t rnd[16];

	memcpy(rnd, &r1, 8);
	memcpy(rnd + 8, &r2, 8);
	for (unsigned int b = 0; b < 16; b++) {
		int keep = (int)x->len - 8 * (int)b;
		uint8_t m = keep >= 8 ? 0xff : keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));

		out[b] = (x->a[b] & m) | (rnd[b] & ~m);
	}
}

static json_int_t
mem(const char *fam, const char *key)
{
	json_t *j = sl_fib_memory_json();
	json_int_t v = fam ? json_integer_value(json_object_get(json_object_get(j, fam), key)) :
		json_integer_value(json_object_get(j, key));

	json_decref(j);
	return v;
}

/* Resident memory of the process (bytes): what the tables really cost,
 * untouched pages of roots and chunks excluded. */
static double
rss(void)
{
	unsigned long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f != NULL) {
		if (fscanf(f, "%lu %lu", &size, &res) != 2)
			res = 0;
		fclose(f);
	}
	return (double)res * 4096;
}

static double
secs(uint64_t t0)
{
	return (double)(rte_rdtsc() - t0) / hz;
}

static uint64_t sink;

/* Cycles per lookup over the address list in bursts of 32 (bulk) or one by
 * one (single). */
static double
bench4_once(uint16_t vrf, const uint32_t *addrs, unsigned int n, bool bulk)
{
	uint32_t nhs[BURST];
	uint64_t t0 = rte_rdtsc();

	for (unsigned int i = 0; i + BURST <= n; i += BURST) {
		if (bulk) {
			sl_fib4_lookup_bulk(vrf, &addrs[i], nhs, BURST);
		} else {
			for (unsigned int j = 0; j < BURST; j++)
				nhs[j] = sl_fib4_lookup(vrf, addrs[i + j]);
		}
		sink += nhs[i % BURST];
	}
	return (double)(rte_rdtsc() - t0) / n;
}

static double
bench_lpm_once(struct rte_lpm *lpm, const uint32_t *addrs, unsigned int n)
{
	uint32_t nhs[BURST];
	uint64_t t0 = rte_rdtsc();

	for (unsigned int i = 0; i + BURST <= n; i += BURST) {
		rte_lpm_lookup_bulk(lpm, &addrs[i], nhs, BURST);
		sink += nhs[i % BURST];
	}
	return (double)(rte_rdtsc() - t0) / n;
}

static double
bench6_once(uint16_t vrf, const uint8_t (*addrs)[16], unsigned int n, bool bulk)
{
	uint32_t nhs[BURST];
	uint64_t t0 = rte_rdtsc();

	for (unsigned int i = 0; i + BURST <= n; i += BURST) {
		if (bulk) {
			sl_fib6_lookup_bulk(vrf, &addrs[i], nhs, BURST);
		} else {
			for (unsigned int j = 0; j < BURST; j++)
				nhs[j] = sl_fib6_lookup(vrf, addrs[i + j]);
		}
		sink += nhs[i % BURST];
	}
	return (double)(rte_rdtsc() - t0) / n;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
row(const char *what, const char *value)
{
	printf("| %-58s | %28s |\n", what, value);
}

static void
rowf(const char *what, const char *fmt, double v)
{
	char b[64];

	snprintf(b, sizeof(b), fmt, v);
	row(what, b);
}

static double
mib(json_int_t bytes)
{
	return (double)bytes / 1048576.0;
}

static double
bench4(uint16_t vrf, const uint32_t *addrs, unsigned int n, bool bulk)
{
	double r[REPS];

	for (unsigned int i = 0; i < REPS; i++)
		r[i] = bench4_once(vrf, addrs, n, bulk);
	qsort(r, REPS, sizeof(r[0]), cmp_double);
	return r[REPS / 2];
}

static double
bench_lpm(struct rte_lpm *lpm, const uint32_t *addrs, unsigned int n)
{
	double r[REPS];

	for (unsigned int i = 0; i < REPS; i++)
		r[i] = bench_lpm_once(lpm, addrs, n);
	qsort(r, REPS, sizeof(r[0]), cmp_double);
	return r[REPS / 2];
}

static double
bench6(uint16_t vrf, const uint8_t (*addrs)[16], unsigned int n, bool bulk)
{
	double r[REPS];

	for (unsigned int i = 0; i < REPS; i++)
		r[i] = bench6_once(vrf, addrs, n, bulk);
	qsort(r, REPS, sizeof(r[0]), cmp_double);
	return r[REPS / 2];
}

/* (a) and (d), with rte_lpm alongside: 100k IPv4 routes in one VRF. */
static void
run_ipv4_100k(void)
{
	const unsigned int n = 100000;
	struct p4 *p = malloc(sizeof(*p) * n);
	uint32_t *rnd = malloc(sizeof(*rnd) * LOOKUPS), *flows = malloc(sizeof(*flows) * LOOKUPS);
	uint32_t set[1024];
	struct rte_lpm_config lc = { .max_rules = 2 * n, .number_tbl8s = 1 << 16 };
	struct rte_lpm *lpm;
	unsigned int churn = 200000;
	uint64_t t0;
	double s;

	double r0;

	gen4(p, n, 0, 0);
	r0 = rss();
	sl_fib_vrf_create(1);
	t0 = rte_rdtsc();
	for (unsigned int i = 0; i < n; i++)
		sl_fib4_add(1, p[i].a, p[i].len, i);
	s = secs(t0);
	printf("\n(a) IPv4, %u random prefixes (60%% /24, 37%% /16-/23, 3%% /25-/32), one VRF\n\n",
		sl_fib_route_count(1, AF_INET));
	rowf("insert rate (M routes/s)", "%.2f", n / s / 1e6);
	rowf("memory: FIB + RIB (MiB)", "%.1f", mib(mem(NULL, "bytes")));
	rowf("  resident (RSS growth, MiB)", "%.1f", (rss() - r0) / 1048576);
	rowf("  groups used (1 KiB each)", "%.0f", (double)mem("ipv4", "groups_used"));

	for (unsigned int i = 0; i < RTE_DIM(set); i++)
		set[i] = addr_in4(p, n);
	for (unsigned int i = 0; i < LOOKUPS; i++) {
		rnd[i] = addr_in4(p, n);
		flows[i] = set[rte_rand_max(RTE_DIM(set))];
	}
	bench4(1, flows, LOOKUPS, true);		/* warm up */
	rowf("bulk(32) lookup, 1,024 flows (cycles/lookup)", "%.1f",
		bench4(1, flows, LOOKUPS, true));
	rowf("bulk(32) lookup, random addr in random route (cycles)", "%.1f",
		bench4(1, rnd, LOOKUPS, true));
	rowf("single lookup, 1,024 flows (cycles/lookup)", "%.1f",
		bench4(1, flows, LOOKUPS, false));
	rowf("single lookup, random addr in random route (cycles)", "%.1f",
		bench4(1, rnd, LOOKUPS, false));
	for (unsigned int i = 0; i < LOOKUPS; i++)
		rnd[i] = (uint32_t)rte_rand();
	rowf("bulk(32) lookup, uniform random 32-bit addr (cycles)", "%.1f",
		bench4(1, rnd, LOOKUPS, true));

	/* Same table in rte_lpm: the 64 MiB-a-table design we replace. */
	lpm = rte_lpm_create("bench", SOCKET_ID_ANY, &lc);
	if (lpm != NULL) {
		for (unsigned int i = 0; i < n; i++)
			rte_lpm_add(lpm, p[i].a, p[i].len, i);
		for (unsigned int i = 0; i < LOOKUPS; i++)
			rnd[i] = addr_in4(p, n);
		bench_lpm(lpm, flows, LOOKUPS);
		rowf("rte_lpm bulk(32), 1,024 flows (cycles/lookup)", "%.1f",
			bench_lpm(lpm, flows, LOOKUPS));
		rowf("rte_lpm bulk(32), random addr in random route (cycles)", "%.1f",
			bench_lpm(lpm, rnd, LOOKUPS));
		rte_lpm_free(lpm);
	} else {
		row("rte_lpm", "not created (-m too small?)");
	}

	/* (d) churn over the loaded table: add a new route, delete an old one,
	 * a commit (grace period) every 1,024 ops as a netlink batch would. */
	gen4(p, n, 0, 0);
	t0 = rte_rdtsc();
	for (unsigned int i = 0; i < churn / 2; i++) {
		struct p4 *x = &p[i % n];
		uint32_t before = sl_fib_route_count(1, AF_INET);

		sl_fib4_add(1, x->a, x->len, 7);
		if (sl_fib_route_count(1, AF_INET) != before)	/* not a replace */
			sl_fib4_del(1, x->a, x->len);
		if (i % 512 == 511)
			sl_fib_commit();
	}
	sl_fib_commit();
	s = secs(t0);
	printf("\n(d) IPv4 churn on the 100k table: add then delete a new route\n\n");
	rowf("route changes/s (adds + deletes, commit every 1,024)", "%.0f", churn / s);
	rowf("routes after churn", "%.0f", (double)sl_fib_route_count(1, AF_INET));
	sl_fib_vrf_destroy(1);
	free(p);
	free(rnd);
	free(flows);
}

/* (b) 1M IPv4 routes in one VRF. */
static void
run_ipv4_1m(void)
{
	const unsigned int n = 1000000;
	struct p4 *p = malloc(sizeof(*p) * n);
	uint32_t *rnd = malloc(sizeof(*rnd) * LOOKUPS);
	uint64_t t0;
	double s;

	double r0;

	gen4(p, n, 0, 0);
	r0 = rss();
	sl_fib_vrf_create(2);
	t0 = rte_rdtsc();
	for (unsigned int i = 0; i < n; i++)
		sl_fib4_add(2, p[i].a, p[i].len, i);
	s = secs(t0);
	printf("\n(b) IPv4, %u random prefixes, one VRF\n\n", sl_fib_route_count(2, AF_INET));
	rowf("insert time (s)", "%.2f", s);
	rowf("insert rate (M routes/s)", "%.2f", n / s / 1e6);
	rowf("memory: FIB + RIB (MiB)", "%.1f", mib(mem(NULL, "bytes")));
	rowf("  resident (RSS growth, MiB)", "%.1f", (rss() - r0) / 1048576);
	rowf("  groups used (1 KiB each)", "%.0f", (double)mem("ipv4", "groups_used"));
	rowf("  RIB nodes (40 B each)", "%.0f", (double)mem("ipv4", "rib_nodes"));
	for (unsigned int i = 0; i < LOOKUPS; i++)
		rnd[i] = addr_in4(p, n);
	rowf("bulk(32) lookup, random addr in random route (cycles)", "%.1f",
		bench4(2, rnd, LOOKUPS, true));
	/* The default route is one store; any other short prefix rewrites
	 * every entry it covers, groups included: 0/1 covers half the table. */
	t0 = rte_rdtsc();
	sl_fib4_add(2, 0, 0, 1);
	rowf("add 0.0.0.0/0 over it (us)", "%.1f", secs(t0) * 1e6);
	t0 = rte_rdtsc();
	sl_fib4_add(2, 0, 1, 1);
	rowf("add 0.0.0.0/1 over it (ms)", "%.1f", secs(t0) * 1e3);
	t0 = rte_rdtsc();
	sl_fib4_del(2, 0, 1);
	rowf("delete 0.0.0.0/1 (ms)", "%.1f", secs(t0) * 1e3);
	t0 = rte_rdtsc();
	sl_fib_vrf_destroy(2);
	rowf("vrf destroy (s)", "%.3f", secs(t0));
	free(p);
	free(rnd);
}

/* (c) 1,000 VRFs x 1,000 routes: anywhere in IPv4, then inside 10/8. */
static void
run_vrfs(uint32_t base, uint8_t base_len, const char *where)
{
	const unsigned int nv = 1000, nr = 1000;
	struct p4 *p = malloc(sizeof(*p) * nr);
	json_int_t b0 = mem(NULL, "bytes");
	double s, r0 = rss();
	uint64_t t0 = rte_rdtsc();

	for (unsigned int v = 0; v < nv; v++) {
		sl_fib_vrf_create(100 + v);
		gen4(p, nr, base, base_len);
		for (unsigned int i = 0; i < nr; i++)
			sl_fib4_add(100 + v, p[i].a, p[i].len, i);
	}
	s = secs(t0);
	printf("\n(c) %u VRFs x %u IPv4 routes, %s\n\n", nv, nr, where);
	rowf("insert rate (M routes/s)", "%.2f", nv * nr / s / 1e6);
	rowf("memory: FIB + RIB (MiB)", "%.1f", mib(mem(NULL, "bytes") - b0));
	rowf("  per VRF (KiB)", "%.0f", (double)(mem(NULL, "bytes") - b0) / nv / 1024);
	rowf("  resident (RSS growth, MiB)", "%.1f", (rss() - r0) / 1048576);
	rowf("  groups used", "%.0f", (double)mem("ipv4", "groups_used"));
	rowf("rte_lpm / DIR-24-8 for the same (MiB, tbl24 alone)", "%.0f", nv * 64.0);
	for (unsigned int v = 0; v < nv; v++)
		sl_fib_vrf_destroy(100 + v);
	free(p);
}

/* (f) The per-VRF floor: 4,096 small VRFs, 10 IPv4 routes each in 10/8,
 * with and without a default route (which writes all of the root). */
static void
run_small_vrfs(bool with_default)
{
	struct p4 p[10];
	json_int_t b0 = mem(NULL, "bytes");
	double r0 = rss();

	for (unsigned int v = 0; v < SL_VRF_MAX; v++) {
		sl_fib_vrf_create(v);
		gen4(p, RTE_DIM(p), 0x0a000000, 8);
		for (unsigned int i = 0; i < RTE_DIM(p); i++)
			sl_fib4_add(v, p[i].a, p[i].len, i);
		if (with_default)
			sl_fib4_add(v, 0, 0, 99);
	}
	printf("\n(f) %u VRFs x %u IPv4 routes in 10.0.0.0/8, %s default route\n\n",
		SL_VRF_MAX, (unsigned int)RTE_DIM(p) + with_default, with_default ? "plus a" : "no");
	rowf("memory: FIB + RIB (MiB)", "%.1f", mib(mem(NULL, "bytes") - b0));
	rowf("  resident (RSS growth, MiB)", "%.1f", (rss() - r0) / 1048576);
	rowf("  resident per VRF (KiB)", "%.1f", (rss() - r0) / 1024 / SL_VRF_MAX);
	for (unsigned int v = 0; v < SL_VRF_MAX; v++)
		sl_fib_vrf_destroy(v);
}

/* (e) IPv6: 100k prefixes, mostly /48 and /64. */
static void
run_ipv6(void)
{
	const unsigned int n = 100000;
	struct p6 *p = malloc(sizeof(*p) * n);
	uint8_t (*rnd)[16] = malloc(16 * (size_t)LOOKUPS), (*flows)[16] = malloc(16 * (size_t)LOOKUPS);
	uint8_t set[1024][16];
	json_int_t b0 = mem(NULL, "bytes");
	uint64_t t0;
	double s, r0;

	gen6(p, n);
	r0 = rss();
	sl_fib_vrf_create(3);
	t0 = rte_rdtsc();
	for (unsigned int i = 0; i < n; i++)
		sl_fib6_add(3, p[i].a, p[i].len, i);
	s = secs(t0);
	printf("\n(e) IPv6, %u prefixes (45%% /48, 35%% /64, 10%% /32-/47, 5%% /56, 5%% /65-/128)"
		" in 2,000 /32s, one VRF\n\n", sl_fib_route_count(3, AF_INET6));
	rowf("insert rate (M routes/s)", "%.2f", n / s / 1e6);
	rowf("memory: FIB + RIB (MiB)", "%.1f", mib(mem(NULL, "bytes") - b0));
	rowf("  resident (RSS growth, MiB)", "%.1f", (rss() - r0) / 1048576);
	rowf("  groups used (1 KiB each)", "%.0f", (double)mem("ipv6", "groups_used"));
	for (unsigned int i = 0; i < RTE_DIM(set); i++)
		addr_in6(p, n, set[i]);
	for (unsigned int i = 0; i < LOOKUPS; i++) {
		addr_in6(p, n, rnd[i]);
		memcpy(flows[i], set[rte_rand_max(RTE_DIM(set))], 16);
	}
	bench6(3, (const uint8_t (*)[16])flows, LOOKUPS, true);
	rowf("bulk(32) lookup, 1,024 flows (cycles/lookup)", "%.1f",
		bench6(3, (const uint8_t (*)[16])flows, LOOKUPS, true));
	rowf("bulk(32) lookup, random addr in random route (cycles)", "%.1f",
		bench6(3, (const uint8_t (*)[16])rnd, LOOKUPS, true));
	rowf("single lookup, 1,024 flows (cycles/lookup)", "%.1f",
		bench6(3, (const uint8_t (*)[16])flows, LOOKUPS, false));
	rowf("single lookup, random addr in random route (cycles)", "%.1f",
		bench6(3, (const uint8_t (*)[16])rnd, LOOKUPS, false));
	/* 2000::/3 covers every route here. */
	memset(set[0], 0, 16);
	set[0][0] = 0x20;
	t0 = rte_rdtsc();
	sl_fib6_add(3, set[0], 3, 1);
	rowf("add 2000::/3 over it (ms)", "%.1f", secs(t0) * 1e3);
	t0 = rte_rdtsc();
	sl_fib6_del(3, set[0], 3);
	rowf("delete 2000::/3 (ms)", "%.1f", secs(t0) * 1e3);
	t0 = rte_rdtsc();
	for (unsigned int i = 0; i < 100000; i++) {
		uint32_t before = sl_fib_route_count(3, AF_INET6);
		struct p6 *x = &p[rte_rand_max(n)];

		x->a[15] ^= 1;	/* a neighbour, new unless x is shorter than /128 */
		sl_fib6_add(3, x->a, 128, 7);
		if (sl_fib_route_count(3, AF_INET6) != before)
			sl_fib6_del(3, x->a, 128);
		x->a[15] ^= 1;
		if (i % 512 == 511)
			sl_fib_commit();
	}
	sl_fib_commit();
	rowf("churn: /128 add + delete near existing routes (changes/s)", "%.0f",
		200000 / secs(t0));
	sl_fib_vrf_destroy(3);
	free(p);
	free(rnd);
	free(flows);
}

static void
fresh(void)
{
	sl_fib_fini();
	sl_fib_init();
}

int
main(int argc, char **argv)
{
	const char *what = "abcdef";
	int rc = rte_eal_init(argc, argv);
	char model[128] = "?";
	FILE *f;

	if (rc < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	if (argc - rc > 1)
		what = argv[rc + 1];
	hz = (double)rte_get_tsc_hz();
	f = fopen("/proc/cpuinfo", "r");
	if (f != NULL) {
		char line[256];

		while (fgets(line, sizeof(line), f))
			if (strncmp(line, "model name", 10) == 0) {
				snprintf(model, sizeof(model), "%s", strchr(line, ':') + 2);
				model[strcspn(model, "\n")] = 0;
				break;
			}
		fclose(f);
	}
	printf("sluice FIB bench: %s, TSC %.2f GHz, one core, burst %u\n", model, hz / 1e9, BURST);
	/* No reader registers: grace periods end at once, as with idle workers. */
	if (sl_rcu_init(1) < 0 || sl_fib_init() < 0) {
		fprintf(stderr, "init failed\n");
		return 1;
	}
	rte_srand(42);
	/* Each part on a fresh FIB, so its memory figures are its own. */
	if (strchr(what, 'a') || strchr(what, 'd'))
		run_ipv4_100k();
	if (strchr(what, 'b')) {
		fresh();
		run_ipv4_1m();
	}
	if (strchr(what, 'c')) {
		fresh();
		run_vrfs(0, 0, "prefixes anywhere in IPv4");
		fresh();
		run_vrfs(0x0a000000, 8, "prefixes inside 10.0.0.0/8");
	}
	if (strchr(what, 'e')) {
		fresh();
		run_ipv6();
	}
	if (strchr(what, 'f')) {
		fresh();
		run_small_vrfs(false);
		fresh();
		run_small_vrfs(true);
	}
	printf("\n(sink %llu)\n", (unsigned long long)(sink & 1));
	sl_fib_fini();
	sl_rcu_fini();
	rte_eal_cleanup();
	return 0;
}
