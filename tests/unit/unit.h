/* SPDX-License-Identifier: GPL-2.0 */
/* A minimal test harness: each TEST prints PASS or FAIL with the reason. */
#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>

static int unit_failed;
static const char *unit_name;

#define EXPECT(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			printf("FAIL %s: %s:%d: ", unit_name, __FILE__, __LINE__); \
			printf(__VA_ARGS__);				\
			printf("\n");					\
			unit_failed = 1;				\
		}							\
	} while (0)

#define EXPECT_EQ(a, b)							\
	EXPECT((long long)(a) == (long long)(b), "%s == %lld, expected %s == %lld", \
	       #a, (long long)(a), #b, (long long)(b))

#define RUN(fn)								\
	do {								\
		unit_name = #fn;					\
		unit_failed = 0;					\
		fn();							\
		if (!unit_failed)					\
			printf("PASS %s\n", #fn);			\
		failures += unit_failed;				\
	} while (0)

#endif
