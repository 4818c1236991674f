/* swarm-trace: latency diagnosis for a running swarm or any process tree.
 * Attaches the kernel tracers (user/trace/trace.h) to a root pid and its
 * descendants, prints bcc-style blocks per interval, detaches on exit. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bus.h"
#include "json.h"
#include "priv.h"
#include "run_timeline.h"
#include "swarm.h"
#include "trace.h"
#include "util.h"

#define SCHEMA_VERSION 1
#define POLL_SLICE_MS 200

static volatile sig_atomic_t stop_flag;

struct opts {
	unsigned signals;
	pid_t pid;
	const char *dir;
	double interval;     /* 0: one block at the end */
	double duration;     /* 0: until Ctrl-C or the tree ends */
	uint64_t count;      /* 0: unlimited */
	int json;
	int verbose;
	const char *timeline;   /* --timeline FILE, or NULL */
};

static void usage(FILE *f)
{
	fprintf(f,
"USAGE: swarm-trace [spawn|flock|fd|latency|all] [-p PID | --dir SWARM_DIR]\n"
"                   [-d DURATION] [--json] [--timeline FILE] [-v] [-h] [-V]\n"
"                   [INTERVAL [COUNT]]\n"
"\n"
"Trace a running swarm (found from its bus dir) or any process tree (PID and\n"
"all its descendants, existing ones included): process spawns and execs,\n"
"lock waits (flock, POSIX, OFD), fd leaks (the kernel's fd table, across\n"
"exec) and publish->consume latency of bus messages. No syscall is hooked.\n"
"\n"
"  spawn|flock|fd|latency|all  what to trace (default: all)\n"
"  -p, --pid PID        root of the process tree\n"
"      --dir DIR        swarm bus dir: trace its master (DIR/master.pid)\n"
"  INTERVAL, -i T       print a block every T seconds (\"1\", \"0.5\", \"2s\")\n"
"  COUNT                stop after COUNT blocks (alone: blocks of 1 s with -i)\n"
"  -d, --duration T     stop after T (\"10\", \"30s\", \"2m\")\n"
"  -j, --json           one JSON object per block (JSON lines)\n"
"      --timeline FILE  also write a Chrome trace-event JSON file at the end\n"
"                       (ui.perfetto.dev): a track per process that exited or\n"
"                       waited >= 1 ms on a lock, with its fork, exec, exit\n"
"                       and lock waits; at most 256 in detail, 4 MiB at most\n"
"  -v, --verbose        say what is attached; libbpf messages on stderr\n"
"  -h, --help           this help\n"
"  -V, --version        print the version and exit\n"
"\n"
"Runs as root (or with CAP_BPF and CAP_PERFMON) on a kernel with BTF.\n"
"Ctrl-C prints the last block and detaches; nothing stays attached.\n"
"\n"
"EXAMPLES:\n"
"  swarm-trace -p 1234                  # everything, one block at Ctrl-C\n"
"  swarm-trace flock --dir /dev/shm/swarm-x -i 1   # lock waits each second\n"
"  swarm-trace fd -p 1234 5 3           # fd growth, 3 blocks of 5 s\n"
"  swarm-trace flock -p 1234 1 10       # lock waits, 10 blocks of 1 s\n"
"  swarm-trace latency -p 1234 -d 10 --json   # inbox latency as JSON\n"
"\n"
"EXIT CODES: 0 ok, 2 usage (bad arguments), 3 environment (no such\n"
"  process, not a swarm dir, no privileges, no BTF, load failure)\n");
}

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static int parse_signal_name(const char *s, unsigned *out)
{
	static const struct { const char *name; unsigned mask; } names[] = {
		{ "spawn", TRACE_SPAWN }, { "flock", TRACE_FLOCK }, { "fd", TRACE_FD },
		{ "latency", TRACE_LATENCY }, { "all", TRACE_ALL },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i].name)) {
			*out = names[i].mask;
			return 0;
		}
	return -EINVAL;
}

static int parse_pid(const char *s, pid_t *out)
{
	uint64_t v;

	if (parse_u64(s, &v) || v == 0 || v > 4194304) /* PID_MAX_LIMIT */
		return -EINVAL;
	*out = (pid_t)v;
	return 0;
}

/* Operands may sit anywhere (GNU getopt moves them behind the options):
 * what to trace, then bcc's [INTERVAL [COUNT]] (`swarm-trace flock 1 5`:
 * five blocks of one second). With -i, a lone number is the COUNT. */
static int parse_operands(int argc, char **argv, struct opts *o, int have_interval)
{
	int i, seen_signal = 0, nums = 0;

	for (i = optind; i < argc; i++) {
		const char *a = argv[i];
		double iv;

		if (!seen_signal && !nums && !parse_signal_name(a, &o->signals)) {
			seen_signal = 1;
			continue;
		}
		if (!have_interval && nums == 0 && !parse_seconds(a, &iv) && iv > 0) {
			o->interval = iv;
			nums++;
			continue;
		}
		if ((have_interval ? nums == 0 : nums == 1) && !parse_u64(a, &o->count) &&
		    o->count) {
			nums = 2;
			continue;
		}
		fprintf(stderr, "swarm-trace: unexpected argument '%s' (operands: "
			"[spawn|flock|fd|latency|all] [INTERVAL [COUNT]])\n", a);
		return -EINVAL;
	}
	return 0;
}

static int parse_all(int argc, char **argv, struct opts *o)
{
	static const struct option longs[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "dir", required_argument, NULL, 'D' },
		{ "interval", required_argument, NULL, 'i' },
		{ "duration", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeline", required_argument, NULL, 'T' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->signals = TRACE_ALL;
	while ((c = getopt_long(argc, argv, "p:i:d:jvhV", longs, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_pid(optarg, &o->pid))
				return fprintf(stderr, "swarm-trace: bad pid '%s'\n", optarg), -EINVAL;
			break;
		case 'D': o->dir = optarg; break;
		case 'i':
			if (parse_seconds(optarg, &o->interval) || o->interval <= 0)
				return fprintf(stderr, "swarm-trace: bad interval '%s'\n", optarg), -EINVAL;
			break;
		case 'd':
			if (parse_seconds(optarg, &o->duration) || o->duration <= 0)
				return fprintf(stderr, "swarm-trace: bad duration '%s'\n", optarg), -EINVAL;
			break;
		case 'j': o->json = 1; break;
		case 'T': o->timeline = optarg; break;
		case 'v': o->verbose = 1; break;
		case 'h': usage(stdout); exit(EXIT_OK);
		case 'V': printf("swarm-trace %s\n", SWARM_VERSION); exit(EXIT_OK);
		default: return -EINVAL;
		}
	}
	if (parse_operands(argc, argv, o, o->interval > 0))
		return -EINVAL;
	if (!o->pid == !o->dir) {
		fprintf(stderr, "swarm-trace: give exactly one of -p PID or --dir SWARM_DIR\n");
		return -EINVAL;
	}
	if (o->count && !o->interval)
		o->interval = 1;  /* COUNT without -i: blocks of 1 s, as bcc does */
	return 0;
}

/* --dir: check it is a swarm bus, take the master pid from master.pid. */
static int master_from_dir(const char *dir, pid_t *out)
{
	char meta[64];
	int dfd, err;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		fprintf(stderr, "swarm-trace: %s: %s\n", dir, strerror(errno));
		return -ENOENT;
	}
	err = read_text_at(dfd, "meta", O_NOFOLLOW, meta, sizeof(meta));
	if (err || strncmp(meta, BUS_META_MAGIC, strlen(BUS_META_MAGIC))) {
		fprintf(stderr, "swarm-trace: %s is not a swarm bus dir (no '%s' meta file)\n",
			dir, BUS_META_MAGIC);
		err = -ENOENT;
		goto out;
	}
	err = bus_master_pid(dfd, out);
	if (err == -EINVAL)
		fprintf(stderr, "swarm-trace: %s/master.pid does not hold a pid\n", dir);
	else if (err)
		fprintf(stderr, "swarm-trace: %s/master.pid: %s (is a master running?)\n", dir,
			strerror(-err));
out:
	close(dfd);
	return err;
}

/* One JSON line per block: who, when, and the tracer's object. */
static int print_block_json(struct tracer *tr, const struct opts *o, pid_t root, uint64_t n)
{
	struct timespec ts;
	struct jsonw w;
	struct tm tm;
	char when[32];
	int err;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	jsonw_init_file(&w, stdout);
	jsonw_start_object(&w);
	jsonw_int_field(&w, "schema_version", SCHEMA_VERSION);
	jsonw_string_field(&w, "tool", "swarm-trace");
	jsonw_string_field(&w, "time", when);
	jsonw_uint_field(&w, "block", n);
	jsonw_int_field(&w, "pid", root);
	jsonw_float_field(&w, "interval_s", "%.3f", o->interval);
	jsonw_name(&w, "kernel");
	jsonw_start_object(&w);
	err = tracer_report_json(tr, &w);
	jsonw_end_object(&w);
	jsonw_end_object(&w);
	jsonw_newline(&w);
	return err;
}

static int print_block(struct tracer *tr, const struct opts *o, pid_t root, uint64_t n)
{
	char when[16];
	time_t now = time(NULL);
	struct tm tm;
	int err;

	if (o->json) {
		err = print_block_json(tr, o, root, n);
	} else {
		localtime_r(&now, &tm);
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
		printf("\n[%s]\n", when);
		err = tracer_report_text(tr, stdout);
	}
	fflush(stdout);
	tracer_clear(tr); /* each block covers its own interval, as bcc */
	return err;
}

static int install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: wake the poll */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL) ||
	    sigaction(SIGHUP, &sa, NULL))
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int run(struct tracer *tr, const struct opts *o, pid_t root)
{
	uint64_t start = now_ns(), next, blocks = 0, end_at = 0;
	int err = 0;

	if (o->duration > 0)
		end_at = start + (uint64_t)(o->duration * 1e9);
	next = o->interval > 0 ? start + (uint64_t)(o->interval * 1e9) : 0;
	while (!stop_flag) {
		uint64_t now = now_ns(), wake = UINT64_MAX;
		int ms;

		if (end_at && now >= end_at)
			break;
		if (next && now >= next) {
			err = print_block(tr, o, root, ++blocks);
			if (err || (o->count && blocks >= o->count))
				return err;
			next += (uint64_t)(o->interval * 1e9);
			continue;
		}
		if (kill(root, 0) && errno == ESRCH) {
			if (o->verbose)
				fprintf(stderr, "swarm-trace: pid %d exited\n", (int)root);
			break;
		}
		if (next)
			wake = next;
		if (end_at && end_at < wake)
			wake = end_at;
		ms = wake == UINT64_MAX ? POLL_SLICE_MS : (int)((wake - now) / 1000000);
		if (ms > POLL_SLICE_MS)
			ms = POLL_SLICE_MS;
		tracer_poll(tr, ms);
	}
	/* the last (partial) block: Ctrl-C, end of duration or of the tree */
	return print_block(tr, o, root, ++blocks);
}

/* Attached: the programs, maps and links are fds we hold. What is left to
 * do is reading maps and /proc/PID/fd of the traced tree (its agents may
 * run as another user: CAP_SYS_PTRACE), so every other capability goes. */
static void drop_privileges(void)
{
	static const int keep[] = { CAP_SYS_PTRACE };
	int err = priv_keep_only(keep, 1);

	if (err == -EPERM)      /* no CAP_SYS_PTRACE to keep: keep nothing */
		err = priv_keep_only(NULL, 0);
	if (err < 0)
		fprintf(stderr, "swarm-trace: could not drop capabilities (%s); "
			"tracing on with them\n", strerror(-err));
}

static void tl_exit(const struct spawn_exit_event *e, void *arg)
{
	timeline_kernel_exit(arg, e);
}

static void tl_lock(const struct flock_wait_event *e, void *arg)
{
	timeline_lock_wait(arg, e);
}

/* --timeline: opened as the caller, before anything is attached. */
static int open_timeline(const struct opts *o, pid_t root, struct tracer_opts *to,
			 struct timeline **tl)
{
	int err;

	*tl = NULL;
	if (!o->timeline)
		return 0;
	err = timeline_open(o->timeline, tl);
	if (err) {
		fprintf(stderr, "swarm-trace: cannot write the timeline %s: %s\n",
			o->timeline, strerror(-err));
		return err;
	}
	timeline_begin(*tl, root, "trace", now_ns());
	to->on_exit = tl_exit;
	to->on_lock_wait = tl_lock;
	to->lock_event_min_ns = TL_LOCK_MIN_NS;
	to->event_arg = *tl;
	return 0;
}

static int write_timeline(struct timeline *tl, struct tracer *tr, const char *path)
{
	int err;

	if (!tl)
		return 0;
	tracer_poll(tr, 0);
	timeline_end(tl, now_ns());
	err = timeline_write(tl);
	if (err)
		fprintf(stderr, "swarm-trace: writing the timeline %s failed: %s\n",
			path, strerror(-err));
	else
		fprintf(stderr, "swarm-trace: timeline written to %s\n", path);
	return err;
}

int main(int argc, char **argv)
{
	struct tracer_opts to = { 0 };
	struct tracer *tr = NULL;
	struct timeline *tl;
	struct opts o;
	char why[256];
	pid_t root;
	int err, terr;

	if (parse_all(argc, argv, &o)) {
		fprintf(stderr, "swarm-trace: see 'swarm-trace --help'\n");
		return EXIT_USAGE;
	}
	if (o.dir) {
		if (master_from_dir(o.dir, &root))
			return EXIT_ENV;
	} else {
		root = o.pid;
	}
	if (kill(root, 0) && errno == ESRCH) {
		fprintf(stderr, "swarm-trace: no such process: %d\n", (int)root);
		return EXIT_ENV;
	}
	if (o.verbose)
		setenv("SWARM_TRACE_DEBUG", "1", 0);
	if (install_signals())
		return EXIT_ENV;
	to.signals = o.signals;
	if (open_timeline(&o, root, &to, &tl))
		return EXIT_ENV;
	err = tracer_open(&tr, root, &to, why, sizeof(why));
	if (err) {
		fprintf(stderr, "swarm-trace: %s\n", why[0] ? why : strerror(-err));
		timeline_discard(tl);   /* nothing traced: no file */
		return EXIT_ENV;
	}
	if (why[0])
		fprintf(stderr, "swarm-trace: %s\n", why);
	drop_privileges();
	fprintf(stderr, "Tracing pid %d and its descendants... Hit Ctrl-C to end.\n", (int)root);
	err = run(tr, &o, root);
	terr = write_timeline(tl, tr, o.timeline);
	tracer_close(tr);
	timeline_free(tl);   /* after the tracer: its callbacks point here */
	if (err) {
		fprintf(stderr, "swarm-trace: report failed: %s\n", strerror(-err));
		return EXIT_ENV;
	}
	return terr ? EXIT_ENV : EXIT_OK;
}
