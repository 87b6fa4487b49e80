// SPDX-License-Identifier: GPL-2.0
/*
 * user/ptrmap.c, the pointer -> node index map every event goes through.
 * ptrmap_get_or_put finds or adds in one probe; with tombstones on the
 * path it must still find a key that sits past them, and reuse them when
 * it adds. ptrmap_take finds and deletes in one.
 */
#include <stdint.h>
#include "ptrmap.h"
#include "unit.h"

/* Slab-like pointers: shared high bits, 64-byte strides. */
static uint64_t key_of(uint32_t n)
{
	return 0xffff888100000000ull + (uint64_t)n * 64;
}

static void test_get_or_put_finds_or_adds(void)
{
	struct ptrmap m;
	uint32_t v = 7;

	EXPECT_EQ(ptrmap_init(&m, 0), 0);
	EXPECT_EQ(ptrmap_get_or_put(&m, key_of(1), &v), 0);
	EXPECT_EQ(ptrmap_get(&m, key_of(1)), 7);
	v = 9;
	EXPECT_EQ(ptrmap_get_or_put(&m, key_of(1), &v), 1);
	EXPECT_EQ(v, 7);		/* the stored value, not the offered one */
	EXPECT_EQ(m.live, 1);
	EXPECT_EQ(ptrmap_get_or_put(&m, 0, &v), -1);
	EXPECT_EQ(ptrmap_get_or_put(&m, 1, &v), -1);
	EXPECT_EQ(m.live, 1);
	ptrmap_free(&m);
}

/* Grown from the smallest table, every key keeps its value. */
static void test_growth_keeps_everything(void)
{
	enum { N = 100000 };
	struct ptrmap m;
	uint32_t n, v, bad = 0;

	EXPECT_EQ(ptrmap_init(&m, 0), 0);
	for (n = 0; n < N; n++) {
		v = n;
		if (ptrmap_get_or_put(&m, key_of(n), &v) != 0)
			bad++;
	}
	for (n = 0; n < N; n++)
		if (ptrmap_get(&m, key_of(n)) != n)
			bad++;
	EXPECT_EQ(bad, 0);
	EXPECT_EQ(m.live, N);
	EXPECT(m.used * 4 <= m.cap * 3, "load %zu of %zu above 3/4", m.used, m.cap);
	ptrmap_free(&m);
}

/* Delete every third key: the live ones past a tombstone are still found
 * (not added twice), and putting the deleted ones back fills tombstones
 * rather than empty slots. */
static void test_tombstones(void)
{
	enum { N = 3000 };
	struct ptrmap m;
	uint32_t n, v, dup = 0, lost = 0;
	size_t used;

	EXPECT_EQ(ptrmap_init(&m, N), 0);
	for (n = 0; n < N; n++)
		EXPECT_EQ(ptrmap_put(&m, key_of(n), n), 0);
	for (n = 0; n < N; n += 3)
		ptrmap_del(&m, key_of(n));
	used = m.used;
	for (n = 0; n < N; n++) {
		if (n % 3 == 0)
			continue;
		v = UINT32_MAX;
		if (ptrmap_get_or_put(&m, key_of(n), &v) != 1 || v != n)
			dup++;
	}
	EXPECT_EQ(dup, 0);
	EXPECT_EQ(m.live, N - (N + 2) / 3);
	for (n = 0; n < N; n += 3) {
		v = n;
		EXPECT_EQ(ptrmap_get_or_put(&m, key_of(n), &v), 0);
	}
	EXPECT_EQ(m.used, used);
	EXPECT_EQ(m.live, N);
	for (n = 0; n < N; n++)
		if (ptrmap_get(&m, key_of(n)) != n)
			lost++;
	EXPECT_EQ(lost, 0);
	ptrmap_free(&m);
}

/* The node maps churn: the kernel frees objects as fast as it makes
 * them, so a few live keys leave a trail of tombstones. A rehash forced
 * by them must leave room for four times the live keys (probes run to an
 * empty slot), and no key may be lost on the way. */
static void test_churn_rehash_room(void)
{
	enum { LIVE = 100, STEPS = 20000 };
	struct ptrmap m;
	uint32_t n, rehashes = 0, tight = 0, lost = 0;
	size_t used;

	EXPECT_EQ(ptrmap_init(&m, 0), 0);
	for (n = 0; n < LIVE; n++)
		EXPECT_EQ(ptrmap_put(&m, key_of(n), n), 0);
	for (n = LIVE; n < LIVE + STEPS; n++) {
		ptrmap_del(&m, key_of(n - LIVE));
		used = m.used;
		EXPECT_EQ(ptrmap_put(&m, key_of(n), n), 0);
		if (m.used < used) {	/* rehashed: the tombstones went */
			rehashes++;
			if (m.cap < 4 * m.live)
				tight++;
		}
		if (ptrmap_get(&m, key_of(n - LIVE / 2)) != n - LIVE / 2)
			lost++;
	}
	EXPECT(rehashes > 10, "%u rehashes", rehashes);
	EXPECT_EQ(tight, 0);
	EXPECT_EQ(lost, 0);
	EXPECT_EQ(m.live, LIVE);
	ptrmap_free(&m);
}

/* ptrmap_take answers as ptrmap_get did and leaves the key gone, its
 * neighbours (keys past it on a probe path too) in place. */
static void test_take(void)
{
	enum { N = 2000 };
	struct ptrmap m;
	uint32_t n, wrong = 0, still = 0, lost = 0;

	EXPECT_EQ(ptrmap_init(&m, 0), 0);
	for (n = 0; n < N; n++)
		EXPECT_EQ(ptrmap_put(&m, key_of(n), n), 0);
	for (n = 0; n < N; n += 2)
		if (ptrmap_take(&m, key_of(n)) != n)
			wrong++;
	for (n = 0; n < N; n++) {
		uint32_t v = ptrmap_get(&m, key_of(n));

		if (n % 2 == 0 && v != PTRMAP_NONE)
			still++;
		if (n % 2 == 1 && v != n)
			lost++;
	}
	EXPECT_EQ(wrong, 0);
	EXPECT_EQ(still, 0);
	EXPECT_EQ(lost, 0);
	EXPECT_EQ(m.live, N / 2);
	EXPECT_EQ(ptrmap_take(&m, key_of(0)), PTRMAP_NONE);	/* taken already */
	EXPECT_EQ(ptrmap_take(&m, 1), PTRMAP_NONE);		/* the tombstone marker */
	EXPECT_EQ(m.live, N / 2);
	ptrmap_free(&m);
}

int main(void)
{
	int failures = 0;

	RUN(test_get_or_put_finds_or_adds);
	RUN(test_growth_keeps_everything);
	RUN(test_tombstones);
	RUN(test_churn_rehash_room);
	RUN(test_take);
	return failures ? 1 : 0;
}
