// SPDX-License-Identifier: GPL-2.0
/*
 * rmaptrace: watch the anonymous reverse mapping of live processes.
 *
 *   rmaptrace -p PID          trace PID and what it forks from now on
 *   rmaptrace -- CMD ARGS...  run CMD and trace it
 */
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "collector.h"
#include "evbuf.h"
#include "proc.h"
#include "record.h"
#include "report.h"

static struct env {
	pid_t pid;
	long duration;
	bool verbose, check, json, quiet, kprobes, hist, raw_addrs, unlink_each;
	long interval;
	unsigned int buffer_mb;
	char **cmd;
	const char *record, *replay, *dot;
	uint32_t dot_root;	/* an id as reported, 0 for all */
	long keep_freed;
} env = { .buffer_mb = 16, .keep_freed = KEEP_FREED_DEFAULT };

const char *argp_program_version = "rmaptrace 0.1";
static const char doc[] =
"Trace the anonymous reverse mapping (anon_vma / anon_vma_chain) of live\n"
"processes, rebuild its hierarchy and check it against the kernel's invariants.\n"
"\n"
"USAGE: rmaptrace [OPTIONS] -p PID\n"
"       rmaptrace [OPTIONS] -- CMD [ARGS...]\n"
"       rmaptrace -r FILE [--check] [--json] [--hist] [--quiet]\n"
"\n"
"EXAMPLES:\n"
"  rmaptrace -p 1234               # trace 1234 and its new children until Ctrl-C\n"
"  rmaptrace -d 10 -p 1234         # ... for 10 seconds\n"
"  rmaptrace --check -- ./server   # run ./server, check the hierarchy it built\n"
"  rmaptrace --json -- make        # JSON lines, for other tools\n"
"  rmaptrace -w t.rec -p 1234      # record the trace to t.rec as it goes\n"
"  rmaptrace -r t.rec --check      # rebuild and check it anywhere, no root\n"
"\n"
"Exit status: 0 done, 1 --check found violations, 2 could not trace\n"
"(or could not write --dot FILE).";

enum { OPT_CHECK = 0x100, OPT_JSON, OPT_BUFFER, OPT_QUIET, OPT_KPROBES, OPT_HIST, OPT_DOT, OPT_DOT_ROOT, OPT_RAW_ADDRS, OPT_KEEP_FREED, OPT_UNLINK_EACH };

static struct recorder rec;

static const struct argp_option opts[] = {
	{ "pid", 'p', "PID", 0, "Trace this process and the processes it forks from now on" },
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS (default: until the traced processes exit, or Ctrl-C)" },
	{ "verbose", 'v', NULL, 0, "Say how each hook attached and what the kernel provides" },
	{ "check", OPT_CHECK, NULL, 0, "Check the kernel's invariants; exit 1 on any violation" },
	{ "json", OPT_JSON, NULL, 0, "Print JSON lines instead of text (schema in README.md)" },
	{ "quiet", OPT_QUIET, NULL, 0, "No line per event; only the final report" },
	{ "hist", OPT_HIST, NULL, 0, "Log2 histograms of rmap walk duration and VMAs visited, and the costliest anon_vmas" },
	{ "interval", 'i', "SECONDS", 0, "With --hist, print the histograms every SECONDS too" },
	{ "kprobes", OPT_KPROBES, NULL, 0, "Attach with kprobes/kretprobes even where fentry/fexit work" },
	{ "unlink-each", OPT_UNLINK_EACH, NULL, 0, "At exit and exec too, an event for each VMA's unlink_anon_vmas with its chain and counters as the kernel has them, instead of one for the whole exit_mmap (three events a VMA instead of one)" },
	{ "buffer-mb", OPT_BUFFER, "MB", 0, "Ring buffer size in MiB, a power of two (default 16)" },
	{ "write", 'w', "FILE", 0, "Record the trace to FILE (mode 0600) as it goes" },
	{ "read", 'r', "FILE", 0, "Replay a recording: no root, no BPF, same reports" },
	{ "dot", OPT_DOT, "FILE", 0, "At exit, write the hierarchy as Graphviz to FILE" },
	{ "dot-root", OPT_DOT_ROOT, "ID", 0, "With --dot, draw only the hierarchy anon_vma ID (as the report numbers it) belongs to" },
	{ "keep-freed", OPT_KEEP_FREED, "N", 0, "List at most N freed anon_vmas in the final report, the newest (default 65536; 0: all). Older ones are still checked and counted; a long trace's memory stays what is alive. --dot keeps all" },
	{ "raw-addrs", OPT_RAW_ADDRS, NULL, 0, "Show each anon_vma's kernel address next to its id (hidden by default: it helps an attacker)" },
	{},
};

static long parse_num(const char *s, long min, long max, struct argp_state *st,
		      const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		argp_error(st, "invalid %s: %s", what, s);
	return v;
}

static error_t parse_arg(int key, char *arg, struct argp_state *st)
{
	switch (key) {
	case 'p':
		env.pid = parse_num(arg, 1, INT_MAX, st, "PID");
		break;
	case 'd':
		env.duration = parse_num(arg, 1, LONG_MAX / 1000, st, "duration");
		break;
	case 'v':
		env.verbose = true;
		break;
	case OPT_CHECK:
		env.check = true;
		break;
	case OPT_JSON:
		env.json = true;
		break;
	case OPT_QUIET:
		env.quiet = true;
		break;
	case OPT_KPROBES:
		env.kprobes = true;
		break;
	case OPT_UNLINK_EACH:
		env.unlink_each = true;
		break;
	case OPT_HIST:
		env.hist = true;
		break;
	case 'i':
		env.interval = parse_num(arg, 1, LONG_MAX / 1000, st, "interval");
		break;
	case OPT_BUFFER:
		env.buffer_mb = parse_num(arg, 1, 1024, st, "buffer size");
		if (env.buffer_mb & (env.buffer_mb - 1))
			argp_error(st, "buffer size must be a power of two: %s", arg);
		break;
	case 'w':
		env.record = arg;
		break;
	case 'r':
		env.replay = arg;
		break;
	case OPT_DOT:
		env.dot = arg;
		break;
	case OPT_DOT_ROOT:
		env.dot_root = parse_num(arg, 1, UINT32_MAX - 1, st, "anon_vma id");
		break;
	case OPT_RAW_ADDRS:
		env.raw_addrs = true;
		break;
	case OPT_KEEP_FREED:
		env.keep_freed = parse_num(arg, 0, LONG_MAX / 2, st, "--keep-freed count");
		break;
	case ARGP_KEY_ARGS:
		env.cmd = st->argv + st->next;
		break;
	case ARGP_KEY_ARG:
		return ARGP_ERR_UNKNOWN;
	case ARGP_KEY_END:
		if (env.replay) {
			if (env.pid || env.cmd || env.duration || env.record || env.kprobes ||
			    env.interval || env.unlink_each)
				argp_error(st, "-r replays a recording: it takes no -p, command, -d, -w, --kprobes or --unlink-each");
			break;
		}
		if (env.pid && env.cmd)
			argp_error(st, "give either -p PID or a command, not both");
		if (!env.pid && !env.cmd)
			argp_error(st, "nothing to trace: give -p PID or -- CMD");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static volatile sig_atomic_t exiting;

static void sig_handler(int sig)
{
	(void)sig;
	exiting = 1;
}

static void __attribute__((format(printf, 1, 2), noreturn)) die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "rmaptrace: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* What the reports will show decides what the collector keeps: only
 * --dot draws unmapped VMAs, and it draws every anon_vma. */
static void collector_open(struct collector *col)
{
	if (collector_init(col))
		die("%s", "out of memory");
	col->keep_dead_vmas = env.dot != NULL;
	collector_keep_freed(col, env.dot ? 0 : (size_t)env.keep_freed);
}

/*
 * Fork the child that will run CMD, held until the tracer is attached.
 * go_fd releases it; a failed exec comes back as errno on err_fd.
 */
static pid_t spawn_held(char **cmd, int *go_fd, int *err_fd)
{
	int go[2], err[2];
	pid_t pid;

	if (pipe(go) || pipe2(err, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		char c;
		int e;

		close(go[1]);
		close(err[0]);
		if (read(go[0], &c, 1) != 1)
			_exit(127);	/* the tracer gave up */
		close(go[0]);
		execvp(cmd[0], cmd);
		e = errno;
		if (write(err[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(err[1]);
	*go_fd = go[1];
	*err_fd = err[0];
	return pid;
}

/*
 * The live lines share stdout with the traced command's output when both
 * go to one file: stdio writing out a full buffer mid-line let the
 * command's line land inside one of ours (vm/leader_exit, once). So a
 * file or pipe gets a buffer far longer than one event's lines, written
 * out after a whole event once it is half full, and after each poll's
 * batch. (A pipe's reader too slow for a write longer than PIPE_BUF can
 * still see a writer's bytes between two of its pages: the kernel's.)
 */
#define OUT_BUF	(1u << 20)
static char out_buf[OUT_BUF];

/* Everything the collector is given goes through these, so that a
 * recording holds it all, in the same order. */
static void feed(void *c, const void *data, size_t len)
{
	recorder_put(&rec, REC_EVENT, data, len);
	collector_feed(c, data, len);
	if (__fpending(stdout) > OUT_BUF / 2)
		fflush(stdout);
}

static void add_process(struct collector *c, uint32_t pid)
{
	recorder_put(&rec, REC_PROCESS, &pid, sizeof(pid));
	collector_add_process(c, pid);
}

/* While the snapshot is taken, ring buffer events are held here. */
static struct evbuf *held;
/* RMAPTRACE_LOSE_EXITS=1, for tests: every exit event is dropped here
 * and counted lost, as a full ring buffer would, so that -p's backstop
 * for exits never seen can be seen to end the trace. */
static bool lose_exits;
static uint64_t lost_here;

static int handle_event(void *ctx, void *data, size_t len)
{
	const struct event_hdr *h = data;

	if (lose_exits && len >= sizeof(*h) && h->type == EV_EXIT) {
		lost_here++;
		return 0;
	}
	if (held)
		evbuf_add(held, data, len);
	else
		feed(ctx, data, len);
	return 0;
}

static int hold_record(const void *rec, size_t len, void *arg)
{
	return evbuf_add(arg, rec, len);
}

/*
 * -p PID: PID's descendants that already exist are traced too, and the
 * hierarchy they have built so far comes from a snapshot, merged in time
 * order with the events that raced it.
 */
static void attach_existing(struct rmaptrace_ctx *ctx, struct ring_buffer *rb,
			    struct collector *c)
{
	struct evbuf snap = {}, events = {};
	int pids[4096], n, ret;
	uint32_t partial;

	/* Twice: a fork between reading /proc and filling the map is seen
	 * by the second pass, or by the BPF fork hook if the parent was in. */
	for (int pass = 0; pass < 2; pass++) {
		n = proc_descendants(env.pid, pids, 4096);
		for (int k = 0; k < n; k++) {
			rmaptrace_add_pid(ctx, pids[k]);
			add_process(c, pids[k]);
		}
	}
	held = &events;
	ret = rmaptrace_snapshot(ctx, hold_record, &snap);
	ring_buffer__consume(rb);
	held = NULL;
	if (ret == -EOPNOTSUPP)
		fprintf(stderr, "rmaptrace: no task_vma iterator in this kernel (5.12+): "
			"anon_vmas made before attaching show only as events reach them\n");
	else if (ret < 0)
		fprintf(stderr, "rmaptrace: snapshot failed (%s): anon_vmas made before "
			"attaching show only as events reach them\n", strerror(-ret));
	evbuf_feed_merged(&events, &snap, feed, c);
	recorder_put(&rec, REC_SNAPSHOT_DONE, NULL, 0);
	partial = collector_snapshot_done(c);
	if (env.verbose)
		fprintf(stderr, "rmaptrace: snapshot: %d processes, %d VMA records, %u anon_vmas "
			"shared with untraced processes (not checked)\n",
			n + 1, ret > 0 ? ret : 0, partial);
	evbuf_free(&snap);
	evbuf_free(&events);
}

/* Every traced process the collector thinks alive is gone per /proc;
 * *n: how many it thinks alive. */
static bool traced_all_gone(const struct collector *col, size_t *n)
{
	uint32_t *pids;
	bool gone = true;

	/* the collector keeps the count: one pass, to fill */
	*n = col->nr_live_proc;
	if (!*n || !(pids = malloc(*n * sizeof(*pids))))
		return false;
	collector_live_pids(col, pids, *n);
	/* the first one still running ends the look */
	for (size_t i = 0; i < *n && gone; i++)
		gone = proc_gone(pids[i]);
	free(pids);
	return gone;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double tv_s(struct timeval tv)
{
	return tv.tv_sec + tv.tv_usec / 1e6;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list args)
{
	/* Errors become one line of ours; libbpf's own text is for -v. */
	if (!env.verbose || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static struct collector col;
/* --dot FILE, opened before tracing: a trace is not run to be lost at the
 * end for a path that could never be written. */
static FILE *dot_file;

/* The end of every run, live or replayed: checks, reports, exit status. */
static int finish_report(struct report_opts *ro)
{
	int e;

	if (env.check)
		collector_finish(&col);
	else
		collector_forget(&col);	/* collector_finish's first step */
	if (env.hist && !env.json)
		report_hist(&col, ro);
	report_final(&col, ro);
	if (env.verbose) {
		/* Whole lines of both, where they share a pipe (2>&1). */
		fflush(stdout);
		fprintf(stderr, "rmaptrace: unlink calls whose end was not seen: %zu\n",
			race_open_windows(&col));
	}
	e = env.check && col.nr_viol ? 1 : 0;
	if (dot_file) {
		FILE *f = dot_file;
		uint32_t root = NONE;

		bool found = false;

		for (uint32_t i = 0; env.dot_root && i < col.nr_av && !found; i++)
			if (col.av[i].id == env.dot_root && !col.av[i].forgotten) {
				root = root_of(&col, i);
				found = true;
			}
		if (env.dot_root && !found)
			fprintf(stderr, "rmaptrace: --dot-root %u: no anon_vma has that id; drawing them all\n",
				env.dot_root);
		report_dot(&col, f, root, env.raw_addrs);
		/* a full disk shows at the flush */
		if (ferror(f) | fclose(f)) {
			fprintf(stderr, "rmaptrace: cannot write %s: %s\n", env.dot, strerror(errno));
			e = e ? e : 2;
		}
	}
	collector_free(&col);
	return e;
}

/* -r FILE: the same reports from a recording, with no kernel involved. */
static int replay_main(struct report_opts *ro)
{
	struct replay_info info;
	char err[256];
	FILE *f;
	int ret, e;

	f = fopen(env.replay, "rb");
	if (!f)
		die("cannot read %s: %s", env.replay, strerror(errno));
	collector_open(&col);
	if (!env.quiet) {
		col.on_event = report_event;
		col.cb_ctx = ro;
	}
	ret = replay_stream(f, &col, &info, err, sizeof(err));
	fclose(f);
	if (ret && !info.records) {
		collector_free(&col);
		die("%s: %s", env.replay, err);
	}
	if (env.verbose)
		fprintf(stderr, "rmaptrace: %s: %llu records from kernel %s\n", env.replay,
			(unsigned long long)info.records, info.hdr.release);
	e = finish_report(ro);
	if (ret) {
		/* What came before the damage has been replayed and reported. */
		fprintf(stderr, "rmaptrace: %s: %s\n", env.replay, err);
		return 2;
	}
	return e;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { opts, parse_arg, "[-- CMD [ARGS...]]", doc };
	struct report_opts ro = { .out = stdout };
	struct attach_opts ao = {};
	struct rmaptrace_ctx ctx;
	struct ring_buffer *rb;
	int go_fd = -1, err_fd = -1, status = 0, e;
	uint64_t lost, lost_seen = 0;
	pid_t child = 0;
	char err[256];
	double deadline, next_hist, next_gone_check = 0;
	int gone_looks = 0;
	size_t unseen = 0;
	struct rusage ru_start = {};

	argp_err_exit_status = 2;
	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return 2;
	ro.json = env.json;
	ro.check = env.check;
	ro.raw_addrs = env.raw_addrs;
	if (env.dot && !(dot_file = fopen(env.dot, "w")))
		die("cannot write %s: %s", env.dot, strerror(errno));
	if (env.replay)
		return replay_main(&ro);
	if (!isatty(STDOUT_FILENO))	/* a terminal's stdout is line-buffered */
		setvbuf(stdout, out_buf, _IOFBF, OUT_BUF);
	libbpf_set_print(libbpf_print);

	if (rmaptrace_preflight(err, sizeof(err)))
		die("%s", err);
	if (env.pid && kill(env.pid, 0) && errno == ESRCH) {
		snprintf(err, sizeof(err), "%d", env.pid);
		die("no process with pid %s", err);
	}
	collector_open(&col);

	if (env.cmd) {
		child = spawn_held(env.cmd, &go_fd, &err_fd);
		if (child < 0)
			die("cannot fork: %s", strerror(errno));
		/* Traced from before its exec: the exec builds CMD's stack and
		 * data anon_vmas. What it tears down of the address space it
		 * inherited from us is unknown to the collector, which ignores it. */
		ao.pid = child;
	} else {
		ao.pid = env.pid;
	}
	ao.ringbuf_bytes = env.buffer_mb << 20;
	ao.verbose = env.verbose;
	ao.kprobes = env.kprobes;
	ao.unlink_each = env.unlink_each;
	if (rmaptrace_open(&ctx, &ao, err, sizeof(err))) {
		if (child)
			kill(child, SIGKILL);
		die("%s", err);
	}
	if (env.record) {
		struct utsname u;

		uname(&u);
		if (recorder_open(&rec, env.record, u.release,
				  (rmaptrace_has_num_children() ? REC_FEAT_NUM_CHILDREN : 0) |
				  (ctx.has_task_vma_iter ? REC_FEAT_TASK_VMA_ITER : 0) |
				  (env.kprobes ? REC_FEAT_KPROBES : 0) |
				  (ctx.has_free_events ? REC_FEAT_ANON_VMA_FREE : 0) |
				  (ctx.has_ksm_events ? REC_FEAT_KSM : 0), err, sizeof(err))) {
			if (child)
				kill(child, SIGKILL);
			rmaptrace_close(&ctx);
			die("%s", err);
		}
	}
	col.free_events = ctx.has_free_events;
	col.ksm_events = ctx.has_ksm_events;
	add_process(&col, ao.pid);
	if (!env.quiet) {
		col.on_event = report_event;
		col.cb_ctx = &ro;
	}
	lose_exits = env_is("RMAPTRACE_LOSE_EXITS", "1");
	rb = ring_buffer__new(rmaptrace_events_fd(&ctx), handle_event, &col, NULL);
	if (!rb) {
		rmaptrace_close(&ctx);
		die("cannot open the ring buffer: %s", strerror(errno));
	}

	if (!child)
		attach_existing(&ctx, rb, &col);

	signal(SIGINT, sig_handler);
	signal(SIGTERM, sig_handler);
	if (child) {
		if (write(go_fd, "g", 1) != 1)
			die("cannot start the command: %s", strerror(errno));
		close(go_fd);
		if (read(err_fd, &e, sizeof(e)) == sizeof(e)) {
			waitpid(child, NULL, 0);
			ring_buffer__free(rb);
			rmaptrace_close(&ctx);
			die("cannot run %s", env.cmd[0]);
		}
		close(err_fd);
	}
	if (env.cmd)
		fprintf(stderr, "rmaptrace: tracing %s (pid %d)... Ctrl-C to stop\n",
			env.cmd[0], child);
	else
		fprintf(stderr, "rmaptrace: tracing pid %d... Ctrl-C to stop\n", env.pid);
	if (!env.json && !env.quiet)
		printf("%-10s %7s %-16s %-17s %s\n", "TIME(s)", "PID", "COMM",
		       "EVENT", "DETAILS");
	deadline = env.duration ? now() + env.duration : 0;
	bool cmd_done = false;
	next_hist = env.interval ? now() + env.interval : 0;

	getrusage(RUSAGE_SELF, &ru_start);
	while (!exiting) {
		/* The BPF side wakes us only for a filling buffer. */
		int n = ring_buffer__poll(rb, 50);
		uint64_t l;

		if (n >= 0)
			n += ring_buffer__consume(rb);
		/* Learn of losses as they happen: checks stop trusting from here. */
		l = rmaptrace_lost(&ctx) + lost_here;
		if (l > lost_seen) {
			uint64_t d = l - lost_seen;

			recorder_put(&rec, REC_LOST, &d, sizeof(d));
			collector_lost(&col, d);
			lost_seen = l;
		}
		if (n < 0 && n != -EINTR) {
			fprintf(stderr, "rmaptrace: ring buffer: %s\n", strerror(-n));
			break;
		}
		if (n > 0)
			fflush(stdout);	/* live lines reach a pipe or file now */
		if (deadline && now() >= deadline)
			break;
		if (env.hist && next_hist && now() >= next_hist) {
			report_hist(&col, &ro);
			fflush(stdout);
			next_hist += env.interval;
		}
		if (child && waitpid(child, &status, WNOHANG) == child) {
			child = 0;
			cmd_done = true;
			if (deadline && holders_nr_held(&col.holds) && env.verbose)
				fprintf(stderr, "rmaptrace: CMD exited; KSM still holds %u anon_vmas: "
					"tracing on until it lets go or -d runs out\n",
					holders_nr_held(&col.holds));
		}
		/* With -d, what KSM still holds of CMD's is followed to its free. */
		if (cmd_done && (!deadline || !holders_nr_held(&col.holds)))
			break;
		if (!child && !env.cmd && collector_all_exited(&col))
			break;
		/* -p: an exit event the kernel skipped or the buffer dropped
		 * would keep us waiting for good. Ask /proc every second; two
		 * looks in a row, so that exits still in the buffer arrive. */
		if (!child && !env.cmd && now() >= next_gone_check) {
			next_gone_check = now() + 1;
			gone_looks = traced_all_gone(&col, &unseen) ? gone_looks + 1 : 0;
			if (gone_looks == 2) {
				fprintf(stderr, "rmaptrace: the traced processes are gone, "
					"%zu of their exits not seen (events lost?)\n", unseen);
				break;
			}
		}
	}
	/* What the kernel already wrote is the trace's: keep all of it. */
	ring_buffer__consume(rb);
	lost = rmaptrace_lost(&ctx) + lost_here - lost_seen;
	if (lost)
		recorder_put(&rec, REC_LOST, &lost, sizeof(lost));
	collector_lost(&col, lost);
	if (env.verbose) {
		uint64_t table, map;

		fflush(stdout);	/* whole lines of both, where they share a pipe */
		fprintf(stderr, "rmaptrace: of the events lost, %llu are program runs the kernel skipped (recursion_misses, kprobe misses)\n",
			(unsigned long long)rmaptrace_misses(&ctx, stderr));
		fprintf(stderr, "rmaptrace: entry times left to the stash map (slot taken): %llu\n",
			(unsigned long long)rmaptrace_stash_fallbacks(&ctx));
		/* Once every traced process has exited, 0: else an exit
		 * went unseen, or did not untrace its process. */
		rmaptrace_traced_tgids(&ctx, &table, &map);
		fprintf(stderr, "rmaptrace: processes still traced: %llu (%llu in the table, %llu in the map only)\n",
			(unsigned long long)(table + map), (unsigned long long)table,
			(unsigned long long)map);
		/* Once every traced process has exited, 0: else an anon_vma
		 * was put unseen, or its put did not untrace it. */
		rmaptrace_traced_anon_vmas(&ctx, &table, &map);
		fprintf(stderr, "rmaptrace: anon_vmas still traced: %llu (%llu in the table, %llu in the map only)\n",
			(unsigned long long)(table + map), (unsigned long long)table,
			(unsigned long long)map);
		/* Its own, not CMD's: what watching cost the machine beside
		 * the programs' run time (bpftool prog show, bpf_stats). */
		struct rusage ru;

		if (!getrusage(RUSAGE_SELF, &ru))
			fprintf(stderr, "rmaptrace: CPU time of rmaptrace itself while tracing: %.3f s user, %.3f s system\n",
				tv_s(ru.ru_utime) - tv_s(ru_start.ru_utime),
				tv_s(ru.ru_stime) - tv_s(ru_start.ru_stime));
	}
	ring_buffer__free(rb);
	rmaptrace_close(&ctx);
	if (child) {
		/* Stopped early (Ctrl-C, -d): CMD goes on untraced, as with strace. */
		if (env.verbose)
			fprintf(stderr, "rmaptrace: leaving pid %d running\n", child);
	}

	if (env.record) {
		int werr = recorder_close(&rec);

		if (werr)
			fprintf(stderr, "rmaptrace: recording %s stopped at %llu bytes: %s; "
				"it replays up to there\n", env.record,
				(unsigned long long)rec.bytes, strerror(werr));
		else if (env.verbose)
			fprintf(stderr, "rmaptrace: recorded %llu bytes to %s\n",
				(unsigned long long)rec.bytes, env.record);
	}
	return finish_report(&ro);
}
