// SPDX-License-Identifier: GPL-2.0
/*
 * Recordings: a replay must rebuild and report what the live run did, and
 * a damaged file must give one line naming the offset, never a crash.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "unit.h"
#include "stream.h"
#include "record.h"
#include "report.h"

static struct recorder rec;

static void tap(const void *data, size_t len)
{
	recorder_put(&rec, REC_EVENT, data, len);
}

static char *report_of(struct collector *c)
{
	struct report_opts ro = { .json = true, .check = true };
	char *buf = NULL;
	size_t len = 0;

	collector_finish(c);
	ro.out = open_memstream(&buf, &len);
	report_final(c, &ro);
	fclose(ro.out);
	return buf;
}

/* Trace the story live, rounds times over, into a recording at path;
 * returns the report. */
static char *record_stories(const char *path, int rounds)
{
	struct collector c;
	struct sim s;
	struct story st;
	uint32_t pid = 100;
	char err[256], *out;

	collector_init(&c);
	sim_init(&s, &c);
	EXPECT(recorder_open(&rec, path, "6.12.0-test", REC_FEAT_NUM_CHILDREN,
			     err, sizeof(err)) == 0, "%s", err);
	recorder_put(&rec, REC_PROCESS, &pid, sizeof(pid));
	s.tap = tap;
	s.heap = rounds > 1;	/* more anon_vmas than the model's array */
	for (int r = 0; r < rounds; r++) {
		story_fork(&s, &st);
		story_exit(&s, &st);
	}
	EXPECT_EQ(recorder_close(&rec), 0);
	out = report_of(&c);
	collector_free(&c);
	return out;
}

static char *record_story(const char *path)
{
	return record_stories(path, 1);
}

static int replay_file(const char *path, struct collector *c, char *err, size_t len,
		       struct replay_info *info)
{
	FILE *f = fopen(path, "rb");
	int ret;

	collector_init(c);
	ret = replay_stream(f, c, info, err, len);
	fclose(f);
	return ret;
}

static char path[] = "/tmp/rmaptrace-test-XXXXXX";

static void test_replay_equals_live(void)
{
	struct replay_info info;
	struct collector c;
	struct stat sb;
	char err[256], *live, *replayed;

	live = record_story(path);
	EXPECT(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600, "mode 0600: %o",
	       sb.st_mode & 0777);
	EXPECT_EQ(replay_file(path, &c, err, sizeof(err), &info), 0);
	EXPECT(info.ended, "end record");
	EXPECT(!strcmp(info.hdr.release, "6.12.0-test"), "release kept");
	replayed = report_of(&c);
	EXPECT(live && replayed && !strcmp(live, replayed), "same report:\n%s\nvs\n%s",
	       live ? live : "", replayed ? replayed : "");
	EXPECT(strstr(replayed, "\"max_num_children\":3") != NULL, "the seed's tree");
	collector_free(&c);
	free(live);
	free(replayed);
}

/* A recording of several read blocks (user/record.c: SRC_BLOCK, 256
 * KiB): records whole in a block are read in place, those across a
 * block's end through the copy; every one must come out the same. */
static void test_replay_across_blocks(void)
{
	struct replay_info info;
	struct collector c;
	struct stat sb;
	char err[256], *live, *replayed;

	live = record_stories(path, 400);
	EXPECT(stat(path, &sb) == 0 && sb.st_size > (1 << 20), "%lld bytes",
	       (long long)sb.st_size);
	EXPECT_EQ(replay_file(path, &c, err, sizeof(err), &info), 0);
	EXPECT(info.ended, "end record");
	replayed = report_of(&c);
	EXPECT(live && replayed && !strcmp(live, replayed), "same report (%zu and %zu bytes)",
	       live ? strlen(live) : 0, replayed ? strlen(replayed) : 0);
	EXPECT(c.events > 400 * 20, "%llu events", (unsigned long long)c.events);
	collector_free(&c);
	free(live);
	free(replayed);
}

/* Cut the file at every length: each gives an error naming an offset (or,
 * cut exactly after the end record, none), and what came before is fed. */
static void test_truncated_everywhere(void)
{
	struct replay_info info;
	struct collector c;
	struct stat sb;
	char err[256];
	char *data;
	FILE *f;
	int bad = 0;

	free(record_story(path));
	stat(path, &sb);
	data = malloc(sb.st_size);
	f = fopen(path, "rb");
	EXPECT(fread(data, 1, sb.st_size, f) == (size_t)sb.st_size, "read");
	fclose(f);
	for (off_t n = 0; n < sb.st_size; n++) {
		f = fmemopen(data, n ? n : 1, "rb");
		if (!n)
			fgetc(f);	/* an empty file */
		collector_init(&c);
		err[0] = 0;
		if (replay_stream(f, &c, &info, err, sizeof(err)) != -1 ||
		    strncmp(err, "offset ", 7))
			bad++;
		fclose(f);
		collector_free(&c);
	}
	EXPECT_EQ(bad, 0);
	free(data);
}

static void test_wrong_version_and_magic(void)
{
	struct rec_header h = { .magic = REC_MAGIC, .version = 99, .size = sizeof(h) };
	struct replay_info info;
	struct collector c;
	char err[256];
	FILE *f;

	f = fmemopen(&h, sizeof(h), "rb");
	collector_init(&c);
	EXPECT_EQ(replay_stream(f, &c, &info, err, sizeof(err)), -1);
	EXPECT(strstr(err, "version 99") != NULL, "%s", err);
	fclose(f);
	memcpy(h.magic, "ELF\0\0\0\0", 8);
	f = fmemopen(&h, sizeof(h), "rb");
	EXPECT_EQ(replay_stream(f, &c, &info, err, sizeof(err)), -1);
	EXPECT(strstr(err, "not an rmaptrace recording") != NULL, "%s", err);
	fclose(f);
	collector_free(&c);
}

/* A record claiming 4 GiB must not be believed. */
static void test_hostile_length(void)
{
	struct {
		struct rec_header h;
		uint32_t head[2];
	} file = { { .magic = REC_MAGIC, .version = REC_VERSION, .size = sizeof(struct rec_header) },
		   { REC_EVENT, 0xffffffffu } };
	struct replay_info info;
	struct collector c;
	char err[256];
	FILE *f = fmemopen(&file, sizeof(file), "rb");

	collector_init(&c);
	EXPECT_EQ(replay_stream(f, &c, &info, err, sizeof(err)), -1);
	EXPECT(strstr(err, "offset 104: malformed record") != NULL, "%s", err);
	fclose(f);
	collector_free(&c);
}

int main(void)
{
	int failures = 0, fd = mkstemp(path);

	if (fd < 0)
		return 1;
	close(fd);
	chmod(path, 0644);	/* the recorder must make it private anyway */
	RUN(test_replay_equals_live);
	RUN(test_replay_across_blocks);
	RUN(test_truncated_everywhere);
	RUN(test_wrong_version_and_magic);
	RUN(test_hostile_length);
	unlink(path);
	return failures ? 1 : 0;
}
