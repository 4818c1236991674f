/* The tracer: opens each signal's BPF object in turn (spawn first: it owns
 * the tracked-tgid map the others share), seeds the tree, reports. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <bpf/libbpf.h>

#include "trace_int.h"
#include "util.h"

uint32_t trace_kdev(dev_t dev)
{
	/* user dev_t (glibc major/minor) -> kernel MKDEV: major << 20 | minor */
	return (uint32_t)((major(dev) << 20) | minor(dev));
}

/* libbpf is chatty on stderr; the caller prints one line instead.
 * SWARM_TRACE_DEBUG=1 shows libbpf's own messages (verifier logs). */
static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return getenv("SWARM_TRACE_DEBUG") ? vfprintf(stderr, fmt, ap) : 0;
}

static int track_one(pid_t pid, void *arg)
{
	return trace_spawn_track(arg, pid);
}

int tracer_add_pid(struct tracer *t, pid_t pid)
{
	int err;

	if (!t || !t->spawn || pid <= 0)
		return -EINVAL;
	if (kill(pid, 0) && errno == ESRCH)
		return -ESRCH;
	/* twice: a child forked by a pid we had not seeded yet is found by
	 * the second walk (after it, the fork handler sees every fork) */
	err = trace_proc_tree(pid, track_one, t);
	if (!err)
		err = trace_proc_tree(pid, track_one, t);
	return err;
}

static const char *signal_name(unsigned s)
{
	switch (s) {
	case TRACE_SPAWN: return "spawn";
	case TRACE_FLOCK: return "flock";
	case TRACE_FD: return "fd";
	default: return "latency";
	}
}

/* Append "name (reason)" for a signal that failed to come up. */
static void note_off(char *why, size_t whylen, unsigned s, int err)
{
	size_t len = strlen(why);

	if (len >= whylen)
		return;
	snprintf(why + len, whylen - len, "%s%s (%s)", len ? ", " : "kernel tracing off for: ",
		 signal_name(s), err == -ENOTSUP ? "kernel lacks the tracepoint" : strerror(-err));
}

static int bus_device(const char *dir, uint32_t *kdev)
{
	struct stat st;

	if (stat(dir ? dir : "/dev/shm", &st))
		return -errno;
	*kdev = trace_kdev(st.st_dev);
	return 0;
}

int tracer_open(struct tracer **out, pid_t root, const struct tracer_opts *o,
		char *why, size_t whylen)
{
	char scratch[256];
	struct tracer *t;
	int err;

	if (!why || !whylen) {
		why = scratch;
		whylen = sizeof(scratch);
	}
	why[0] = '\0';
	*out = NULL;
	if (root <= 0)
		return -EINVAL;
	err = trace_env_check(why, whylen);
	if (err)
		return err;
	libbpf_set_print(libbpf_log);
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	if (o)
		t->opts = *o;
	t->root = root;
	t->want = t->opts.signals ? t->opts.signals & TRACE_ALL : TRACE_ALL;
	t->top = t->opts.top ? t->opts.top : 10;
	if (t->top > TRACE_TOP_MAX)
		t->top = TRACE_TOP_MAX;
	t->start_ns = now_ns();
	err = bus_device(t->opts.bus_dir, &t->bus_kdev);
	if (err) {
		snprintf(why, whylen, "kernel tracing off: bus dir %s: %s",
			 t->opts.bus_dir ? t->opts.bus_dir : "/dev/shm", strerror(-err));
		goto fail;
	}
	/* spawn is the tree tracker: without it nothing else can filter */
	err = trace_spawn_open(t);
	if (err) {
		snprintf(why, whylen, "kernel tracing off: loading the spawn tracer failed: %s",
			 strerror(-err));
		goto fail;
	}
	t->on |= t->want & TRACE_SPAWN;
	err = tracer_add_pid(t, root);
	if (err) {
		snprintf(why, whylen, "kernel tracing off: pid %d: %s", root, strerror(-err));
		goto fail;
	}
	if (t->want & TRACE_FLOCK) {
		err = trace_flock_open(t);
		if (err) {
			note_off(why, whylen, TRACE_FLOCK, err);
			trace_flock_close(t);
		} else {
			t->on |= TRACE_FLOCK;
		}
	}
	if (t->want & TRACE_FD) {
		err = trace_fd_open(t);
		if (err) {
			note_off(why, whylen, TRACE_FD, err);
			trace_fd_close(t);
		} else {
			t->on |= TRACE_FD;
		}
	}
	if (t->want & TRACE_LATENCY) {
		err = trace_latency_open(t);
		if (err) {
			note_off(why, whylen, TRACE_LATENCY, err);
			trace_latency_close(t);
		} else {
			t->on |= TRACE_LATENCY;
		}
	}
	*out = t;
	return 0;
fail:
	tracer_close(t);
	return err;
}

unsigned tracer_signals(const struct tracer *t)
{
	return t ? t->on : 0;
}

int tracer_event_fd(const struct tracer *t)
{
	return t && t->rb ? ring_buffer__epoll_fd(t->rb) : -1;
}

int tracer_poll(struct tracer *t, int timeout_ms)
{
	int n;

	if (!t || !t->rb)
		return -EINVAL;
	/* the programs do not wake us for every event (see spawn.bpf.c), so
	 * waiting may time out with data ready: always consume afterwards */
	n = timeout_ms > 0 ? ring_buffer__poll(t->rb, timeout_ms) : 0;
	if (n >= 0 || n == -EINTR)
		n = ring_buffer__consume(t->rb);
	return n < 0 && n != -EINTR ? n : 0;
}

void tracer_clear(struct tracer *t)
{
	if (!t)
		return;
	if (t->spawn)
		trace_spawn_clear(t);
	if (t->flock)
		trace_flock_clear(t);
	if (t->lat)
		trace_latency_clear(t);
	t->start_ns = now_ns();
}

int tracer_report_json(struct tracer *t, FILE *f)
{
	if (!t)
		return -EINVAL;
	tracer_poll(t, 0);
	fprintf(f, "{\"signals\":[");
	for (unsigned s = 1, n = 0; s <= TRACE_LATENCY; s <<= 1)
		if (t->on & s)
			fprintf(f, "%s\"%s\"", n++ ? "," : "", signal_name(s));
	fprintf(f, "],\"elapsed_s\":%.3f", (now_ns() - t->start_ns) / 1e9);
	if (t->on & TRACE_SPAWN) {
		fprintf(f, ",\"spawn\":");
		trace_spawn_json(t, f);
	}
	if (t->on & TRACE_FLOCK) {
		fprintf(f, ",\"flock\":");
		trace_flock_json(t, f);
	}
	if (t->on & TRACE_FD) {
		fprintf(f, ",\"fd\":");
		trace_fd_json(t, f);
	}
	if (t->on & TRACE_LATENCY) {
		fprintf(f, ",\"latency\":");
		trace_latency_json(t, f);
	}
	fprintf(f, ",\"ringbuf_drops\":%llu}", (unsigned long long)tracer_ringbuf_drops(t));
	return ferror(f) ? -EIO : 0;
}

int tracer_report_text(struct tracer *t, FILE *f)
{
	if (!t)
		return -EINVAL;
	tracer_poll(t, 0);
	if (t->on & TRACE_SPAWN)
		trace_spawn_text(t, f);
	if (t->on & TRACE_FLOCK) {
		fputc('\n', f);
		trace_flock_text(t, f);
	}
	if (t->on & TRACE_FD) {
		fputc('\n', f);
		trace_fd_text(t, f);
	}
	if (t->on & TRACE_LATENCY) {
		fputc('\n', f);
		trace_latency_text(t, f);
	}
	if (tracer_ringbuf_drops(t))
		fprintf(f, "\nWARNING: %llu events lost (ring buffer full)\n",
			(unsigned long long)tracer_ringbuf_drops(t));
	return ferror(f) ? -EIO : 0;
}

void tracer_close(struct tracer *t)
{
	if (!t)
		return;
	trace_detach_all(t);
	/* the others share spawn's tracked map: close them first */
	trace_latency_close(t);
	trace_fd_close(t);
	trace_flock_close(t);
	trace_spawn_close(t);
	free(t);
}
