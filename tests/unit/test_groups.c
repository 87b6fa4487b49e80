// SPDX-License-Identifier: GPL-2.0
/*
 * user/groups.c, which the final tree and --dot list children and VMAs
 * by: every item in its owner's group, none in another's, ascending
 * within a group (the tree prints children in the order they were made).
 */
#include <stdint.h>
#include <stdlib.h>
#include "groups.h"
#include "unit.h"

static uint32_t owner_from(uint32_t item, const void *ctx)
{
	return ((const uint32_t *)ctx)[item];
}

/* Items 0..7 owned by 2, none, 0, 2, 9 (past the owners: none), 0, 2, 1. */
static void test_groups_by_owner(void)
{
	static const uint32_t owner[] = { 2, UINT32_MAX, 0, 2, 9, 0, 2, 1 };
	struct groups g;

	EXPECT_EQ(groups_build(&g, NULL, 8, 3, owner_from, owner), 0);
	EXPECT_EQ(group_len(&g, 0), 2);
	EXPECT_EQ(group(&g, 0)[0], 2);
	EXPECT_EQ(group(&g, 0)[1], 5);
	EXPECT_EQ(group_len(&g, 1), 1);
	EXPECT_EQ(group(&g, 1)[0], 7);
	EXPECT_EQ(group_len(&g, 2), 3);
	EXPECT_EQ(group(&g, 2)[0], 0);
	EXPECT_EQ(group(&g, 2)[1], 3);
	EXPECT_EQ(group(&g, 2)[2], 6);
	EXPECT_EQ(group_len(&g, 3), 0);		/* not an owner */
	EXPECT_EQ(group_len(&g, UINT32_MAX), 0);
	groups_free(&g);
}

/* Against the quadratic question it replaces, on a large random forest:
 * for every owner, its group is exactly the items that name it, in order. */
static void test_groups_match_scan(void)
{
	enum { N = 3000, OWNERS = 700 };
	uint32_t *owner = malloc(N * sizeof(*owner)), bad = 0;
	struct groups g;

	srand(7);
	for (uint32_t i = 0; i < N; i++)
		owner[i] = rand() % 5 == 0 ? UINT32_MAX : (uint32_t)(rand() % OWNERS);
	EXPECT_EQ(groups_build(&g, NULL, N, OWNERS, owner_from, owner), 0);
	for (uint32_t o = 0; o < OWNERS; o++) {
		size_t k = 0;

		for (uint32_t i = 0; i < N; i++) {
			if (owner[i] != o)
				continue;
			if (k >= group_len(&g, o) || group(&g, o)[k] != i)
				bad++;
			k++;
		}
		if (k != group_len(&g, o))
			bad++;
	}
	EXPECT_EQ(bad, 0);
	groups_free(&g);
	EXPECT_EQ(groups_build(&g, NULL, 0, 0, owner_from, owner), 0);	/* empty trace */
	EXPECT_EQ(group_len(&g, 0), 0);
	groups_free(&g);
	free(owner);
}

int main(void)
{
	int failures = 0;

	RUN(test_groups_by_owner);
	RUN(test_groups_match_scan);
	return failures ? 1 : 0;
}
