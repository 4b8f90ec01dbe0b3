/* SPDX-License-Identifier: BSD-3-Clause */
/* FIB unit tests without hugepages: lookups against a brute-force longest
 * match over a reference list after random adds, replaces and deletes (IPv4
 * and IPv6), VRF isolation, memory returned by collapse and VRF destroy, the
 * grace period before reuse, and a reader lcore during 100k route changes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_pause.h>
#include <rte_random.h>
#include <rte_rcu_qsbr.h>

#include "dataplane/rcu.h"
#include "pipelines/l3/fib.h"
#include "pipelines/l3/fib_dp.h"

/* sluiced defines the log type in dataplane/main.c, outside libsluice. */
__attribute__((weak)) int sl_logtype;

__extension__ typedef unsigned __int128 u128;

#define SEED 0x5eed0f1bULL
#define NREF 4096

/* ---- reference model: a list and a linear longest match ---- */

struct ref {
	bool used;
	uint16_t vrf;
	u128 key;		/* bit 0 = most significant; IPv4 in bits 0-31 */
	uint8_t len;
	uint32_t nh;
};

static struct ref refs[NREF];
static unsigned int n_refs;

static u128
mask(unsigned int len)
{
	return len == 0 ? 0 : ~(u128)0 << (128 - len);
}

static u128
k4(uint32_t a)
{
	return (u128)a << 96;
}

static uint32_t
a4(u128 k)
{
	return (uint32_t)(k >> 96);
}

static void
k6_bytes(u128 k, uint8_t b[16])
{
	for (int i = 15; i >= 0; i--, k >>= 8)
		b[i] = (uint8_t)k;
}

static u128
bytes_k6(const uint8_t b[16])
{
	u128 k = 0;

	for (int i = 0; i < 16; i++)
		k = k << 8 | b[i];
	return k;
}

static u128
rand128(void)
{
	return (u128)rte_rand() << 64 | rte_rand();
}

static struct ref *
ref_find(uint16_t vrf, u128 key, unsigned int len)
{
	for (unsigned int i = 0; i < n_refs; i++)
		if (refs[i].used && refs[i].vrf == vrf && refs[i].len == len && refs[i].key == key)
			return &refs[i];
	return NULL;
}

static uint32_t
ref_lookup(uint16_t vrf, u128 addr, int *best_len)
{
	uint32_t nh = SL_FIB_MISS;
	int best = -1;

	for (unsigned int i = 0; i < n_refs; i++) {
		const struct ref *r = &refs[i];

		if (r->used && r->vrf == vrf && (int)r->len > best &&
				((addr ^ r->key) & mask(r->len)) == 0) {
			best = r->len;
			nh = r->nh;
		}
	}
	if (best_len != NULL)
		*best_len = best;
	return nh;
}

static unsigned int
ref_count(uint16_t vrf)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < n_refs; i++)
		n += refs[i].used && refs[i].vrf == vrf;
	return n;
}

/* ---- FIB wrappers over one family ---- */

static bool v6;			/* family under test */
static unsigned int max_len;

static int
fib_add(uint16_t vrf, u128 key, unsigned int len, uint32_t nh)
{
	uint8_t b[16];

	if (!v6)
		return sl_fib4_add(vrf, a4(key), len, nh);
	k6_bytes(key, b);
	return sl_fib6_add(vrf, b, len, nh);
}

static int
fib_del(uint16_t vrf, u128 key, unsigned int len)
{
	uint8_t b[16];

	if (!v6)
		return sl_fib4_del(vrf, a4(key), len);
	k6_bytes(key, b);
	return sl_fib6_del(vrf, b, len);
}

static uint32_t
fib_lookup(uint16_t vrf, u128 addr)
{
	uint8_t b[16];

	if (!v6)
		return sl_fib4_lookup(vrf, a4(addr));
	k6_bytes(addr, b);
	return sl_fib6_lookup(vrf, b);
}

static int
fib_lookup_route(uint16_t vrf, u128 addr, u128 *prefix, uint8_t *len, uint32_t *nh)
{
	uint8_t b[16], p[16];
	uint32_t p4;
	int rc;

	if (!v6) {
		rc = sl_fib4_lookup_route(vrf, a4(addr), &p4, len, nh);
		*prefix = k4(p4);
		return rc;
	}
	k6_bytes(addr, b);
	rc = sl_fib6_lookup_route(vrf, b, p, len, nh);
	*prefix = bytes_k6(p);
	return rc;
}

static json_int_t
mem(const char *fam, const char *key)
{
	json_t *j = sl_fib_memory_json();
	json_int_t v;

	assert_non_null(j);
	v = fam ? json_integer_value(json_object_get(json_object_get(j, fam), key)) :
		json_integer_value(json_object_get(j, key));
	json_decref(j);
	return v;
}

static const char *
fam_name(void)
{
	return v6 ? "ipv6" : "ipv4";
}

/* ---- random prefixes that nest and overlap ---- */

static u128 bases[6];

static void
bases_init(void)
{
	for (unsigned int i = 0; i < RTE_DIM(bases); i++) {
		bases[i] = rand128();
		if (!v6)
			bases[i] &= mask(32);
	}
}

/* A base with random bits flipped from a random position on, cut to a
 * random length: prefixes of one base nest and overlap a lot. */
static u128
rand_near(unsigned int from)
{
	u128 k = bases[rte_rand_max(RTE_DIM(bases))];

	if (from < max_len)
		k ^= rand128() & ~mask(from) & mask(max_len);
	return k;
}

static unsigned int
rand_len(void)
{
	uint64_t r = rte_rand_max(100);

	if (r < 3)
		return 0;
	if (r < 8)
		return max_len;
	if (!v6)
		return r < 60 ? 16 + rte_rand_max(17) : rte_rand_max(33);
	if (r < 30)
		return 40 + rte_rand_max(25);	/* /40-/64 */
	return rte_rand_max(129);
}

static u128
rand_prefix(unsigned int len)
{
	unsigned int from = len > 12 ? len - 12 + rte_rand_max(12) : rte_rand_max(len + 1);

	return rand_near(from) & mask(len);
}

static void
ref_add_random(uint16_t vrf)
{
	unsigned int len = rand_len();
	u128 key = rand_prefix(len);
	uint32_t nh = rte_rand_max(SL_FIB_NH_MAX);
	struct ref *r = ref_find(vrf, key, len);

	if (rte_rand_max(4) == 0)
		nh = SL_FIB_NH_MAX - 1 - rte_rand_max(2);	/* edges of the range */
	assert_int_equal(fib_add(vrf, key, len, nh), 0);
	if (r == NULL) {
		assert_true(n_refs < NREF);
		r = &refs[n_refs++];
	}
	*r = (struct ref){ .used = true, .vrf = vrf, .key = key, .len = len, .nh = nh };
}

/* Drop deleted entries, so random picks hit live routes. */
static void
ref_compact(void)
{
	unsigned int j = 0;

	for (unsigned int i = 0; i < n_refs; i++)
		if (refs[i].used)
			refs[j++] = refs[i];
	n_refs = j;
}

static void
ref_del_random(void)
{
	struct ref *r;

	if (n_refs == 0)
		return;
	r = &refs[rte_rand_max(n_refs)];
	if (!r->used) {
		/* Deleted; unless added again since (as another entry). */
		if (ref_find(r->vrf, r->key, r->len) == NULL)
			assert_int_equal(fib_del(r->vrf, r->key, r->len), -ENOENT);
		return;
	}
	assert_int_equal(fib_del(r->vrf, r->key, r->len), 0);
	r->used = false;
}

/* ---- checking ---- */

static u128 *chk;
static unsigned int n_chk;

static void
chk_add(u128 a)
{
	if (!v6)
		a &= mask(32);
	chk[n_chk++] = a;
}

static int
count_cb(const struct sl_fib_route *r, void *arg)
{
	unsigned int *n = arg;
	u128 k = r->family == AF_INET ? k4(r->prefix.v4) : bytes_k6(r->prefix.v6);
	struct ref *f = ref_find(r->vrf, k, r->len);

	if (f == NULL || f->nh != r->nh || r->family != (v6 ? AF_INET6 : AF_INET))
		return -1;
	(*n)++;
	return 0;
}

/* Every route's first and last address and their neighbours, addresses near
 * the bases, random ones: single, bulk and RIB lookups against the list. */
static void
check_vrf(uint16_t vrf)
{
	unsigned int n = 0, bad = 0;
	uint32_t nhs[64];

	n_chk = 0;
	for (unsigned int i = 0; i < n_refs; i++) {
		const struct ref *r = &refs[i];
		u128 last = r->key | ~mask(r->len);

		if (r->vrf != vrf)
			continue;
		chk_add(r->key);
		chk_add(r->key - 1);
		chk_add(last);
		chk_add(last + 1);
	}
	for (unsigned int i = 0; i < 8000; i++)
		chk_add(rand_near(rte_rand_max(max_len + 1)));
	for (unsigned int i = 0; i < 1000; i++)
		chk_add(rand128());

	for (unsigned int i = 0; i < n_chk; i += 64) {
		unsigned int m = RTE_MIN(64u, n_chk - i);
		uint32_t a4s[64];
		uint8_t a6s[64][16];

		for (unsigned int j = 0; j < m; j++) {
			if (v6)
				k6_bytes(chk[i + j], a6s[j]);
			else
				a4s[j] = a4(chk[i + j]);
		}
		if (v6)
			sl_fib6_lookup_bulk(vrf, (const uint8_t (*)[16])a6s, nhs, m);
		else
			sl_fib4_lookup_bulk(vrf, a4s, nhs, m);
		for (unsigned int j = 0; j < m; j++) {
			u128 a = chk[i + j], rp;
			int best;
			uint32_t want = ref_lookup(vrf, a, &best), got = fib_lookup(vrf, a), rnh;
			uint8_t rlen;
			int rc = fib_lookup_route(vrf, a, &rp, &rlen, &rnh);

			if (got != want || nhs[j] != want ||
					(best < 0 ? rc != -ENOENT :
					 rc != 0 || rlen != best || rnh != want ||
					 ((a ^ rp) & mask(rlen)) != 0 || (rp & ~mask(rlen)) != 0)) {
				if (bad++ < 5)
					fprintf(stderr, "%s vrf %u addr %016llx%016llx: want %u (/%d) got "
						"%u bulk %u rib rc %d /%u nh %u\n", fam_name(), vrf,
						(unsigned long long)(a >> 64),
						(unsigned long long)a, want, best, got, nhs[j], rc,
						rlen, rnh);
			}
		}
	}
	assert_int_equal(bad, 0);
	assert_int_equal(sl_fib_walk(vrf, v6 ? AF_INET6 : AF_INET, count_cb, &n), 0);
	assert_int_equal(n, ref_count(vrf));
	assert_int_equal(sl_fib_route_count(vrf, v6 ? AF_INET6 : AF_INET), n);
}

/* ---- fixtures ---- */

static int
group_setup(void **state)
{
	(void)state;
	chk = malloc(sizeof(*chk) * (NREF * 4 + 16384));
	return chk != NULL && sl_rcu_init(1) == 0 ? 0 : -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	sl_rcu_fini();
	free(chk);
	return 0;
}

static int
setup(void **state)
{
	(void)state;
	memset(refs, 0, sizeof(refs));
	n_refs = 0;
	return sl_fib_init();
}

static int
teardown(void **state)
{
	(void)state;
	sl_fib_fini();
	return 0;
}

/* ---- tests ---- */

static void
random_ops_match_reference(bool six)
{
	v6 = six;
	max_len = six ? 128 : 32;
	rte_srand(SEED + six);
	bases_init();
	assert_int_equal(sl_fib_vrf_create(0), 0);
	assert_int_equal(sl_fib_vrf_create(1), 0);
	for (unsigned int round = 0; round < 6; round++) {
		for (unsigned int i = 0; i < 500; i++) {
			uint64_t r = rte_rand_max(10);

			if (r < 6 || round == 0)
				ref_add_random(r & 1);
			else if (r < 7 && n_refs > 0) {
				/* replace an existing route's next hop */
				struct ref *x = &refs[rte_rand_max(n_refs)];

				if (x->used) {
					x->nh = rte_rand_max(1000);
					assert_int_equal(fib_add(x->vrf, x->key, x->len, x->nh), 0);
				}
			} else {
				ref_del_random();
			}
		}
		/* The same prefixes in the other VRF, other next hops. */
		if (round == 2)
			for (unsigned int i = 0, n = n_refs; i < n; i++)
				if (refs[i].used && refs[i].vrf == 0 && !ref_find(1, refs[i].key,
						refs[i].len) && n_refs < NREF) {
					refs[n_refs] = refs[i];
					refs[n_refs].vrf = 1;
					refs[n_refs].nh = (refs[i].nh + 1) % SL_FIB_NH_MAX;
					assert_int_equal(fib_add(1, refs[i].key, refs[i].len,
						refs[n_refs].nh), 0);
					n_refs++;
				}
		if (round % 2 == 1)
			sl_fib_commit();
		check_vrf(0);
		check_vrf(1);
	}
	/* Delete everything in random order, checking on the way. */
	while (ref_count(0) + ref_count(1) > 0) {
		ref_compact();
		for (unsigned int i = 0; i < 200; i++)
			ref_del_random();
		check_vrf(0);
		check_vrf(1);
	}
	sl_fib_commit();
	assert_int_equal(mem(fam_name(), "routes"), 0);
	assert_int_equal(mem(fam_name(), "roots"), 0);
	assert_int_equal(mem(fam_name(), "groups_used"), 0);
	assert_int_equal(mem(fam_name(), "groups_pending"), 0);
	assert_int_equal(mem(fam_name(), "groups_free"), mem(fam_name(), "chunks") * 4096);
	assert_int_equal(mem(fam_name(), "rib_nodes"), 0);
	assert_int_equal(fib_lookup(0, 0), SL_FIB_MISS);
}

static void
test_fib4_random_ops_match_reference(void **state)
{
	(void)state;
	random_ops_match_reference(false);
}

static void
test_fib6_random_ops_match_reference(void **state)
{
	(void)state;
	random_ops_match_reference(true);
}

static void
test_fib_rejects_bad_arguments(void **state)
{
	uint8_t p6[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	uint32_t pfx, nh;
	uint8_t len;

	(void)state;
	assert_int_equal(sl_fib_vrf_create(SL_VRF_MAX), -EINVAL);
	assert_int_equal(sl_fib4_add(7, 0x0a000000, 8, 1), -ENOENT);
	assert_int_equal(sl_fib_vrf_create(7), 0);
	assert_int_equal(sl_fib_vrf_create(7), -EEXIST);
	assert_int_equal(sl_fib4_add(SL_VRF_MAX, 0x0a000000, 8, 1), -EINVAL);
	assert_int_equal(sl_fib4_add(7, 0x0a000000, 33, 1), -EINVAL);
	assert_int_equal(sl_fib6_add(7, p6, 129, 1), -EINVAL);
	assert_int_equal(sl_fib4_add(7, 0x0a000000, 8, SL_FIB_NH_MAX), -EINVAL);
	assert_int_equal(sl_fib4_del(7, 0x0a000000, 8), -ENOENT);
	assert_int_equal(sl_fib4_lookup_route(7, 0x0a000001, &pfx, &len, &nh), -ENOENT);
	assert_int_equal(sl_fib_walk(7, AF_UNIX, NULL, NULL), -EAFNOSUPPORT);
	/* Host bits are ignored; an add of an existing prefix replaces. */
	assert_int_equal(sl_fib4_add(7, 0x0a0102ff, 24, 1), 0);
	assert_int_equal(sl_fib4_add(7, 0x0a010200, 24, SL_FIB_NH_MAX - 1), 0);
	assert_int_equal(sl_fib_route_count(7, AF_INET), 1);
	assert_int_equal(sl_fib4_lookup(7, 0x0a010233), SL_FIB_NH_MAX - 1);
	assert_int_equal(sl_fib4_lookup_route(7, 0x0a010233, &pfx, &len, &nh), 0);
	assert_int_equal(pfx, 0x0a010200);
	assert_int_equal(len, 24);
	assert_int_equal(sl_fib4_del(7, 0x0a010207, 24), 0);
	assert_int_equal(sl_fib4_lookup(7, 0x0a010233), SL_FIB_MISS);
	assert_int_equal(sl_fib_vrf_destroy(7), 0);
	assert_int_equal(sl_fib_vrf_destroy(7), -ENOENT);
	assert_int_equal(sl_fib4_lookup(7, 0x0a010233), SL_FIB_MISS);
}

static void
test_fib_vrfs_are_isolated(void **state)
{
	uint8_t p6[16] = { 0x20, 0x01, 0x0d, 0xb8 }, a6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 9 };

	(void)state;
	assert_int_equal(sl_fib_vrf_create(1), 0);
	assert_int_equal(sl_fib_vrf_create(4095), 0);
	assert_int_equal(sl_fib_vrf_create(2), 0);
	assert_int_equal(sl_fib4_add(1, 0xc0a80000, 16, 10), 0);
	assert_int_equal(sl_fib4_add(4095, 0xc0a80000, 16, 20), 0);
	assert_int_equal(sl_fib4_add(4095, 0xc0a80100, 24, 21), 0);
	assert_int_equal(sl_fib6_add(1, p6, 32, 30), 0);
	assert_int_equal(sl_fib6_add(4095, p6, 32, 40), 0);
	assert_int_equal(sl_fib4_lookup(1, 0xc0a80101), 10);
	assert_int_equal(sl_fib4_lookup(4095, 0xc0a80101), 21);
	assert_int_equal(sl_fib4_lookup(4095, 0xc0a80201), 20);
	assert_int_equal(sl_fib6_lookup(1, a6), 30);
	assert_int_equal(sl_fib6_lookup(4095, a6), 40);
	/* A VRF without routes, and one that does not exist, miss. */
	assert_int_equal(sl_fib4_lookup(2, 0xc0a80101), SL_FIB_MISS);
	assert_int_equal(sl_fib6_lookup(3, a6), SL_FIB_MISS);
	/* Deleting in one leaves the other alone. */
	assert_int_equal(sl_fib4_del(1, 0xc0a80000, 16), 0);
	assert_int_equal(sl_fib4_lookup(1, 0xc0a80101), SL_FIB_MISS);
	assert_int_equal(sl_fib4_lookup(4095, 0xc0a80201), 20);
	assert_int_equal(sl_fib_vrf_destroy(4095), 0);
	assert_int_equal(sl_fib6_lookup(1, a6), 30);
	assert_int_equal(sl_fib6_lookup(4095, a6), SL_FIB_MISS);
	assert_int_equal(mem("ipv4", "roots"), 0);
	assert_int_equal(mem("ipv6", "roots"), 1);
}

static int
walk_cb(const struct sl_fib_route *r, void *arg)
{
	char *out = arg;

	snprintf(out + strlen(out), 256 - strlen(out), "%08x/%u=%u ", r->prefix.v4, r->len, r->nh);
	return 0;
}

static void
test_fib_walk_in_prefix_order_and_default_route(void **state)
{
	char out[256] = "";
	uint32_t pfx, nh;
	uint8_t len;

	(void)state;
	assert_int_equal(sl_fib_vrf_create(0), 0);
	assert_int_equal(sl_fib4_add(0, 0x0a000000, 8, 2), 0);
	assert_int_equal(sl_fib4_add(0, 0x0a010000, 16, 3), 0);
	assert_int_equal(sl_fib4_add(0, 0, 0, 1), 0);
	assert_int_equal(sl_fib4_add(0, 0x0a800000, 9, 4), 0);
	assert_int_equal(sl_fib4_add(0, 0x01020304, 32, 5), 0);
	assert_int_equal(sl_fib_walk(0, AF_INET, walk_cb, out), 0);
	assert_string_equal(out, "00000000/0=1 01020304/32=5 0a000000/8=2 0a010000/16=3 "
		"0a800000/9=4 ");
	assert_int_equal(sl_fib4_lookup(0, 0xffffffff), 1);
	assert_int_equal(sl_fib4_lookup_route(0, 0xffffffff, &pfx, &len, &nh), 0);
	assert_int_equal(len, 0);
	assert_int_equal(sl_fib4_lookup(0, 0x0a0a0a0a), 2);
	assert_int_equal(sl_fib4_lookup(0, 0x0a8a0a0a), 4);
	/* The default route's delete leaves the others, and vice versa. */
	assert_int_equal(sl_fib4_del(0, 0, 0), 0);
	assert_int_equal(sl_fib4_lookup(0, 0xffffffff), SL_FIB_MISS);
	assert_int_equal(sl_fib4_lookup(0, 0x01020304), 5);
	assert_int_equal(sl_fib4_lookup(0, 0x01020305), SL_FIB_MISS);
}

/* The default route lives outside the trie: it costs no root, and empty
 * entries under more specific routes fall back to it. */
static void
test_fib_default_route_needs_no_root(void **state)
{
	uint8_t z[16] = { 0 }, a6[16] = { 0x20, 0x01, 0x0d, 0xb8, 1 }, s6[16] = { 0x20, 0x01 };
	const uint8_t (*a6s)[16] = (const uint8_t (*)[16])a6;
	uint32_t a4s[2] = { 0x0a000001, 0x0b000001 }, nhs[2];

	(void)state;
	assert_int_equal(sl_fib_vrf_create(5), 0);
	assert_int_equal(sl_fib4_add(5, 0, 0, 40), 0);
	assert_int_equal(sl_fib6_add(5, z, 0, 60), 0);
	assert_int_equal(mem("ipv4", "roots"), 0);
	assert_int_equal(mem("ipv6", "roots"), 0);
	assert_int_equal(sl_fib4_lookup(5, 0x0a000001), 40);
	assert_int_equal(sl_fib6_lookup(5, a6), 60);
	sl_fib4_lookup_bulk(5, a4s, nhs, 2);
	assert_int_equal(nhs[0], 40);
	assert_int_equal(nhs[1], 40);
	sl_fib6_lookup_bulk(5, a6s, nhs, 1);
	assert_int_equal(nhs[0], 60);
	/* More specifics under it; deleting them falls back to it. */
	assert_int_equal(sl_fib4_add(5, 0x0a000000, 30, 41), 0);
	assert_int_equal(sl_fib6_add(5, s6, 16, 61), 0);
	assert_int_equal(mem("ipv4", "roots"), 1);
	assert_int_equal(sl_fib4_lookup(5, 0x0a000001), 41);
	assert_int_equal(sl_fib4_lookup(5, 0x0a000005), 40);
	sl_fib4_lookup_bulk(5, a4s, nhs, 2);
	assert_int_equal(nhs[0], 41);
	assert_int_equal(nhs[1], 40);
	assert_int_equal(sl_fib6_lookup(5, a6), 61);
	assert_int_equal(sl_fib4_del(5, 0x0a000000, 30), 0);
	assert_int_equal(sl_fib6_del(5, s6, 16), 0);
	assert_int_equal(sl_fib4_lookup(5, 0x0a000001), 40);
	assert_int_equal(sl_fib6_lookup(5, a6), 60);
	sl_fib_commit();
	assert_int_equal(mem("ipv4", "roots"), 0);
	assert_int_equal(mem("ipv6", "roots"), 0);
	assert_int_equal(mem("ipv4", "groups_used"), 0);
	/* Replaced, then deleted: misses again. */
	assert_int_equal(sl_fib4_add(5, 0, 0, 42), 0);
	assert_int_equal(sl_fib4_lookup(5, 0xffffffff), 42);
	assert_int_equal(sl_fib_route_count(5, AF_INET), 1);
	assert_int_equal(sl_fib4_del(5, 0, 0), 0);
	assert_int_equal(sl_fib4_lookup(5, 0xffffffff), SL_FIB_MISS);
	assert_int_equal(sl_fib6_lookup(5, a6), 60);
	assert_int_equal(sl_fib_vrf_destroy(5), 0);
	assert_int_equal(sl_fib6_lookup(5, a6), SL_FIB_MISS);
}

static void
test_fib_collapse_returns_groups(void **state)
{
	json_int_t free0;

	(void)state;
	assert_int_equal(sl_fib_vrf_create(0), 0);
	/* One /8 so the root stays; /32s under it need 2 groups each. */
	assert_int_equal(sl_fib4_add(0, 0x0a000000, 8, 1), 0);
	assert_int_equal(mem("ipv4", "groups_used"), 0);
	for (uint32_t i = 0; i < 1000; i++)
		assert_int_equal(sl_fib4_add(0, 0x0a000000 | i << 8 | 5, 32, 100 + i), 0);
	/* 4 groups under 10.0-3/16, one under each of the 1000 /24s */
	assert_int_equal(mem("ipv4", "groups_used"), 1004);
	for (uint32_t i = 0; i < 1000; i++)
		assert_int_equal(sl_fib4_lookup(0, 0x0a000000 | i << 8 | 5), 100 + i);
	for (uint32_t i = 0; i < 1000; i++)
		assert_int_equal(sl_fib4_del(0, 0x0a000000 | i << 8 | 5, 32), 0);
	/* Unlinked at once, reusable only after the grace period. */
	assert_int_equal(mem("ipv4", "groups_used"), 0);
	free0 = mem("ipv4", "chunks") * 4096;
	assert_int_equal(mem("ipv4", "groups_pending"), 1004);
	assert_int_equal(mem("ipv4", "groups_free"), free0 - 1004);
	sl_fib_commit();
	assert_int_equal(mem("ipv4", "groups_pending"), 0);
	assert_int_equal(mem("ipv4", "groups_free"), free0);
	assert_int_equal(sl_fib4_lookup(0, 0x0a000005), 1);
	/* A covering route added over more specifics, then the more specifics
	 * deleted: the groups collapse into the covering route's leaf. */
	assert_int_equal(sl_fib4_add(0, 0x0b000080, 25, 7), 0);
	assert_int_equal(sl_fib4_add(0, 0x0b000000, 16, 6), 0);
	assert_int_equal(mem("ipv4", "groups_used"), 2);
	assert_int_equal(sl_fib4_lookup(0, 0x0b000081), 7);
	assert_int_equal(sl_fib4_lookup(0, 0x0b000001), 6);
	assert_int_equal(sl_fib4_del(0, 0x0b000080, 25), 0);
	assert_int_equal(mem("ipv4", "groups_used"), 0);
	assert_int_equal(sl_fib4_lookup(0, 0x0b000081), 6);
	assert_int_equal(sl_fib4_del(0, 0x0b000000, 16), 0);
	assert_int_equal(sl_fib4_del(0, 0x0a000000, 8), 0);
	sl_fib_commit();
	assert_int_equal(mem("ipv4", "roots"), 0);
	assert_int_equal(mem("ipv4", "roots_pending"), 0);
	assert_int_equal(mem("ipv4", "groups_free"), mem("ipv4", "chunks") * 4096);
}

/* 256 /24s through one next hop fill a /16's group with one leaf value: that
 * group must not collapse into the /16 entry (the /24s' deletes walk down to
 * the group), or deleted routes stay in the datapath. IPv6 likewise with 256
 * /64s under a /56. */
static void
test_fib_no_collapse_into_longer_leaf(void **state)
{
	uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0x77 };

	(void)state;
	assert_int_equal(sl_fib_vrf_create(0), 0);
	assert_int_equal(sl_fib4_add(0, 0xc0000000, 8, 9), 0);	/* keeps the root */
	assert_int_equal(sl_fib4_add(0, 0x0a320000, 16, 1), 0);
	for (uint32_t i = 0; i < 256; i++)
		assert_int_equal(sl_fib4_add(0, 0x0a320000 | i << 8, 24, 2), 0);
	assert_int_equal(sl_fib4_del(0, 0x0a320000, 16), 0);
	assert_int_equal(sl_fib4_lookup(0, 0x0a320501), 2);
	for (uint32_t i = 0; i < 256; i++)
		assert_int_equal(sl_fib4_del(0, 0x0a320000 | i << 8, 24), 0);
	assert_int_equal(sl_fib4_lookup(0, 0x0a320501), SL_FIB_MISS);
	assert_int_equal(sl_fib4_lookup(0, 0xc0000001), 9);
	/* Deleting a longer prefix first, with the covering one still there. */
	assert_int_equal(sl_fib4_add(0, 0x0a330000, 16, 1), 0);
	for (uint32_t i = 0; i < 256; i++)
		assert_int_equal(sl_fib4_add(0, 0x0a330000 | i << 8, 24, 3), 0);
	assert_int_equal(sl_fib4_del(0, 0x0a330500, 24), 0);
	assert_int_equal(sl_fib4_lookup(0, 0x0a330501), 1);
	assert_int_equal(sl_fib4_lookup(0, 0x0a330601), 3);

	assert_int_equal(sl_fib6_add(0, a6, 56, 4), 0);
	for (uint32_t i = 0; i < 256; i++) {
		a6[7] = i;
		assert_int_equal(sl_fib6_add(0, a6, 64, 5), 0);
	}
	a6[7] = 0;
	assert_int_equal(sl_fib6_del(0, a6, 56), 0);
	for (uint32_t i = 0; i < 256; i++) {
		a6[7] = i;
		assert_int_equal(sl_fib6_del(0, a6, 64), 0);
	}
	a6[7] = 5;
	a6[15] = 1;
	assert_int_equal(sl_fib6_lookup(0, a6), SL_FIB_MISS);
	/* Two sibling /25s through one gateway fill their group too; a /26
	 * deleted under them must not fold the group into a /25 leaf. */
	assert_int_equal(sl_fib4_add(0, 0x0a400000, 16, 1), 0);
	assert_int_equal(sl_fib4_add(0, 0x0a400000, 25, 7), 0);
	assert_int_equal(sl_fib4_add(0, 0x0a400080, 25, 7), 0);
	assert_int_equal(sl_fib4_add(0, 0x0a400000, 26, 8), 0);
	assert_int_equal(sl_fib4_del(0, 0x0a400000, 26), 0);
	assert_int_equal(sl_fib4_del(0, 0x0a400080, 25), 0);
	assert_int_equal(sl_fib4_del(0, 0x0a400000, 25), 0);
	assert_int_equal(sl_fib4_lookup(0, 0x0a4000c8), 1);
	assert_int_equal(sl_fib4_lookup(0, 0x0a400001), 1);
	sl_fib_commit();
}

static void
test_fib_vrf_destroy_frees_groups(void **state)
{
	uint8_t p[16] = { 0x20, 0x01, 0x0d, 0xb8 };

	(void)state;
	assert_int_equal(sl_fib_vrf_create(9), 0);
	assert_int_equal(sl_fib_vrf_create(10), 0);
	assert_int_equal(sl_fib4_add(10, 0x0a000000, 24, 1), 0);
	for (uint32_t i = 0; i < 5000; i++) {
		assert_int_equal(sl_fib4_add(9, (uint32_t)rte_rand(), 17 + i % 16, i), 0);
		p[4] = i >> 8;
		p[5] = i;
		assert_int_equal(sl_fib6_add(9, p, 48 + i % 81, i), 0);
	}
	assert_true(mem("ipv4", "groups_used") > 5000);
	assert_true(mem("ipv6", "groups_used") > 5000);
	assert_int_equal(sl_fib_vrf_destroy(9), 0);
	/* Destroy waits its grace period itself. */
	assert_int_equal(mem("ipv4", "groups_pending"), 0);
	assert_int_equal(mem("ipv4", "groups_used"), 1);
	assert_int_equal(mem("ipv6", "groups_used"), 0);
	assert_int_equal(mem("ipv4", "roots"), 1);
	assert_int_equal(mem("ipv6", "roots"), 0);
	assert_int_equal(mem("ipv4", "routes"), 1);
	assert_int_equal(mem("ipv6", "rib_nodes"), 0);
	assert_int_equal(mem(NULL, "vrfs"), 1);
	assert_int_equal(sl_fib4_lookup(10, 0x0a000001), 1);
	/* The id can be used again, empty. */
	assert_int_equal(sl_fib_vrf_create(9), 0);
	assert_int_equal(sl_fib_route_count(9, AF_INET), 0);
}

/* ---- RCU ---- */

static struct {
	uint32_t *group;	/* a group the reader holds across the delete */
	uint32_t want;
	int phase;
	unsigned int corrupt;
	volatile bool stop;
	uint64_t loops, bad;
} rd;

/* As a worker would: hold a group from before the delete for 50 ms, then
 * report quiescent. Until then the group holds the deleted route or the one
 * that replaced it (10.0.0.0/8 -> 1), never anything else: not reused. */
static int
holder(void *arg)
{
	uint64_t end;

	RTE_SET_USED(arg);
	rte_rcu_qsbr_thread_register(sl_rcu, 0);
	rte_rcu_qsbr_thread_online(sl_rcu, 0);
	rd.group = (uint32_t *)sl_fib_group(sl_fib_tables[SL_FIB_V4].groups,
		sl_fib_entry_load(&sl_fib_root(SL_FIB_V4, 0)[0x0a01]));
	rd.want = sl_fib_entry_load(&rd.group[2]);
	__atomic_store_n(&rd.phase, 1, __ATOMIC_RELEASE);
	end = rte_rdtsc() + rte_get_tsc_hz() / 20;
	while (rte_rdtsc() < end)
		if (sl_fib_entry_load(&rd.group[2]) != rd.want &&
				sl_fib_entry_load(&rd.group[2]) != ((8u << 23) | 2))
			rd.corrupt++;
	__atomic_store_n(&rd.phase, 2, __ATOMIC_RELEASE);
	rte_rcu_qsbr_quiescent(sl_rcu, 0);
	rte_rcu_qsbr_thread_offline(sl_rcu, 0);
	rte_rcu_qsbr_thread_unregister(sl_rcu, 0);
	return 0;
}

static void
test_fib_group_reused_only_after_reader_quiescent(void **state)
{
	unsigned int lc = rte_get_next_lcore(-1, 1, 0);
	uint64_t deadline;
	int phase_at_return;

	(void)state;
	memset((void *)&rd, 0, sizeof(rd));
	assert_int_equal(sl_fib_vrf_create(0), 0);
	assert_int_equal(sl_fib4_add(0, 0x0a000000, 8, 1), 0);
	assert_int_equal(sl_fib4_add(0, 0x0a010200, 24, 2), 0);
	assert_int_equal(rte_eal_remote_launch(holder, NULL, lc), 0);
	deadline = rte_rdtsc() + 5 * rte_get_tsc_hz();
	while (__atomic_load_n(&rd.phase, __ATOMIC_ACQUIRE) < 1 && rte_rdtsc() < deadline)
		rte_pause();
	assert_int_equal(rd.want, (24u << 23) | 3);
	assert_int_equal(sl_fib4_del(0, 0x0a010200, 24), 0);	/* collapses the group */
	assert_int_equal(sl_fib4_lookup(0, 0x0a010201), 1);
	/* A new route wants a group: it must not get the pending one. */
	assert_int_equal(sl_fib4_add(0, 0x0a020200, 24, 3), 0);
	sl_fib_commit();
	phase_at_return = __atomic_load_n(&rd.phase, __ATOMIC_ACQUIRE);
	/* Now it may be reused. */
	assert_int_equal(mem("ipv4", "groups_pending"), 0);
	assert_int_equal(sl_fib4_add(0, 0x0a030300, 24, 4), 0);
	assert_int_equal(mem("ipv4", "groups_used"), 2);
	assert_int_equal(rte_eal_wait_lcore(lc), 0);
	assert_int_equal(phase_at_return, 2);
	assert_int_equal(rd.corrupt, 0);
}

/* Fixed routes, never changed while the reader runs: 10.k.0.0/24 -> k and
 * 10.k.0.128/25 -> 1000 + k; 2001:db8:k::/48 -> 2000 + k and
 * 2001:db8:k::8000:0:0:0/65 -> 3000 + k. Probed at 10.k.0.16-255 and
 * 2001:db8:k:0:y::/80-ish, which no churned route is more specific for. */
#define NK 64

static uint32_t
probe4_want(uint32_t a)
{
	uint32_t k = (a >> 16) & 0xff;

	return (a & 0xff) >= 128 ? 1000 + k : k;
}

static void
probe6(unsigned int k, unsigned int y, uint8_t a[16])
{
	memset(a, 0, 16);
	a[0] = 0x20;
	a[1] = 0x01;
	a[2] = 0x0d;
	a[3] = 0xb8;
	a[5] = k;
	a[8] = y;		/* bit 64 = y >= 128 */
	a[9] = 0x5a;
}

static int
reader(void *arg)
{
	uint32_t a4s[64], nhs[64], w4[64], w6[64];
	uint8_t a6s[64][16];

	RTE_SET_USED(arg);
	rte_rcu_qsbr_thread_register(sl_rcu, 0);
	rte_rcu_qsbr_thread_online(sl_rcu, 0);
	while (!rd.stop) {
		for (unsigned int i = 0; i < 64; i++) {
			unsigned int k = rte_rand_max(NK), y = 16 + rte_rand_max(240);

			a4s[i] = 0x0a000000 | k << 16 | y;
			w4[i] = probe4_want(a4s[i]);
			probe6(k, y, a6s[i]);
			w6[i] = (y >= 128 ? 3000 : 2000) + k;
		}
		sl_fib4_lookup_bulk(3, a4s, nhs, 64);
		for (unsigned int i = 0; i < 64; i++)
			rd.bad += (nhs[i] != w4[i]) + (sl_fib4_lookup(3, a4s[i]) != w4[i]);
		sl_fib6_lookup_bulk(3, (const uint8_t (*)[16])a6s, nhs, 64);
		for (unsigned int i = 0; i < 64; i++)
			rd.bad += (nhs[i] != w6[i]) + (sl_fib6_lookup(3, a6s[i]) != w6[i]);
		rd.loops++;
		rte_rcu_qsbr_quiescent(sl_rcu, 0);
	}
	rte_rcu_qsbr_thread_offline(sl_rcu, 0);
	rte_rcu_qsbr_thread_unregister(sl_rcu, 0);
	return 0;
}

struct churn {
	bool six;
	uint8_t b[16];
	uint32_t a;
	uint8_t len;
};

/* A route near the probes that never beats a fixed route for a probe:
 * siblings, deeper routes over the first 16 addresses, shorter covers. */
static void
churn_rand(struct churn *c)
{
	unsigned int k = rte_rand_max(NK), r = rte_rand_max(10);

	memset(c, 0, sizeof(*c));
	c->six = rte_rand_max(5) == 0;
	if (!c->six) {
		if (r < 5) {		/* 10.k.m.x/17-32, m's first len-16 bits not 0 */
			uint32_t m0;

			c->len = 17 + rte_rand_max(16);
			m0 = c->len < 24 ? 1u << (24 - c->len) : 1;
			c->a = 0x0a000000 | k << 16 | (m0 + rte_rand_max(256 - m0)) << 8 |
				rte_rand_max(256);
		} else if (r < 8) {	/* 10.k.0.x/28-32, x < 16 */
			c->len = 28 + rte_rand_max(5);
			c->a = 0x0a000000 | k << 16 | rte_rand_max(16);
		} else {		/* covers: /0-/23 */
			c->len = rte_rand_max(24);
			c->a = 0x0a000000 | k << 16;
		}
		c->a &= c->len ? ~0u << (32 - c->len) : 0;
		return;
	}
	probe6(k, 0, c->b);
	c->b[9] = 0;
	if (r < 5) {			/* 2001:db8:k:m::/49-128, m's first bits not 0 */
		unsigned int m0;

		c->len = 49 + rte_rand_max(80);
		m0 = c->len < 56 ? 1u << (56 - c->len) : 1;
		c->b[6] = m0 + rte_rand_max(256 - m0);
		for (unsigned int i = 7; i < 16; i++)
			c->b[i] = rte_rand();
	} else if (r < 8) {		/* 2001:db8:k::/68-128 with byte 8 < 16 */
		c->len = 68 + rte_rand_max(61);
		c->b[8] = rte_rand_max(16);
		for (unsigned int i = 9; i < 16; i++)
			c->b[i] = rte_rand();
	} else {			/* covers: /0-/47 */
		c->len = rte_rand_max(48);
	}
	for (unsigned int i = 0; i < 16; i++) {
		int keep = (int)c->len - 8 * (int)i;

		c->b[i] &= keep >= 8 ? 0xff : keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
	}
}

static bool
churn_eq(const struct churn *x, const struct churn *y)
{
	return x->six == y->six && x->len == y->len && x->a == y->a &&
		memcmp(x->b, y->b, 16) == 0;
}

static void
test_fib_reader_sees_unchanged_routes_during_churn(void **state)
{
	static struct churn live[2048];
	unsigned int lc = rte_get_next_lcore(-1, 1, 0), n_live = 0, ops = 0;
	uint64_t gp0 = sl_rcu_stats()->grace_periods, t0;
	uint8_t p6[16];

	(void)state;
	memset((void *)&rd, 0, sizeof(rd));
	rte_srand(SEED + 7);
	assert_int_equal(sl_fib_vrf_create(3), 0);
	for (unsigned int k = 0; k < NK; k++) {
		assert_int_equal(sl_fib4_add(3, 0x0a000000 | k << 16, 24, k), 0);
		assert_int_equal(sl_fib4_add(3, 0x0a000080 | k << 16, 25, 1000 + k), 0);
		probe6(k, 0, p6);
		p6[9] = 0;
		assert_int_equal(sl_fib6_add(3, p6, 48, 2000 + k), 0);
		p6[8] = 0x80;
		assert_int_equal(sl_fib6_add(3, p6, 65, 3000 + k), 0);
	}
	assert_int_equal(rte_eal_remote_launch(reader, NULL, lc), 0);
	t0 = rte_rdtsc();
	while (ops < 100000) {
		struct churn c;
		unsigned int i;
		int rc;

		if (n_live < RTE_DIM(live) && (n_live < 64 || rte_rand_max(2) == 0)) {
			churn_rand(&c);
			for (i = 0; i < n_live && !churn_eq(&live[i], &c); i++)
				;
			rc = c.six ? sl_fib6_add(3, c.b, c.len, 50000 + ops) :
				sl_fib4_add(3, c.a, c.len, 50000 + ops);
			assert_int_equal(rc, 0);
			if (i == n_live)
				live[n_live++] = c;
		} else {
			i = rte_rand_max(n_live);
			c = live[i];
			live[i] = live[--n_live];
			rc = c.six ? sl_fib6_del(3, c.b, c.len) : sl_fib4_del(3, c.a, c.len);
			assert_int_equal(rc, 0);
		}
		if (++ops % 512 == 0)
			sl_fib_commit();
	}
	while (n_live > 0) {
		struct churn *c = &live[--n_live];

		assert_int_equal(c->six ? sl_fib6_del(3, c->b, c->len) :
			sl_fib4_del(3, c->a, c->len), 0);
	}
	sl_fib_commit();
	rd.stop = true;
	assert_int_equal(rte_eal_wait_lcore(lc), 0);
	fprintf(stderr, "churn: %u route ops in %.2f s, %llu grace periods, reader %llu loops\n",
		ops + (unsigned int)RTE_DIM(live), (double)(rte_rdtsc() - t0) / rte_get_tsc_hz(),
		(unsigned long long)(sl_rcu_stats()->grace_periods - gp0),
		(unsigned long long)rd.loops);
	assert_true(rd.loops > 100);
	assert_int_equal(rd.bad, 0);
	/* Only the fixed routes' groups remain. */
	assert_int_equal(mem("ipv4", "routes"), 2 * NK);
	assert_int_equal(mem("ipv4", "groups_used"), 2 * NK);
	assert_int_equal(mem("ipv6", "groups_used"), 4 + 3 * NK);
	assert_int_equal(mem("ipv6", "groups_pending"), 0);
}

int
main(int argc, char **argv)
{
	char *eal[] = {
		argv[0], "--no-huge", "--no-shconf", "--no-pci", "--no-telemetry", "-m", "64",
		"--file-prefix", "sl_ut_fib", "-l", "0-1", "--log-level", "lib.eal:warning",
	};
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_fib_rejects_bad_arguments),
		T(test_fib_vrfs_are_isolated),
		T(test_fib_walk_in_prefix_order_and_default_route),
		T(test_fib_default_route_needs_no_root),
		T(test_fib_collapse_returns_groups),
		T(test_fib_no_collapse_into_longer_leaf),
		T(test_fib_vrf_destroy_frees_groups),
		T(test_fib4_random_ops_match_reference),
		T(test_fib6_random_ops_match_reference),
		T(test_fib_group_reused_only_after_reader_quiescent),
		T(test_fib_reader_sees_unchanged_routes_during_churn),
#undef T
	};
	int rc;

	RTE_SET_USED(argc);
	if (rte_eal_init(RTE_DIM(eal), eal) < 0) {
		fprintf(stderr, "test_fib: EAL init failed\n");
		return 1;
	}
	rc = cmocka_run_group_tests_name("fib", tests, group_setup, group_teardown);
	rte_eal_cleanup();
	return rc;
}
