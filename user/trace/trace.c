/* The tracer: one BPF object for every signal (build/swarm.skel.h from
 * bpf/swarm.bpf.c), opened, loaded and attached once by a helper process
 * (trace_load.c) so the kernel BTF is parsed once and never here; then the
 * tree is seeded from /proc and the maps read back. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "json.h"
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

static int seed_one(pid_t pid, pid_t ppid, void *arg)
{
	return trace_spawn_seed(arg, pid, ppid);
}

int tracer_add_pid(struct tracer *t, pid_t pid)
{
	int err;

	if (!t || !t->bss || pid <= 0)
		return -EINVAL;
	if (kill(pid, 0) && errno == ESRCH)
		return -ESRCH;
	/* twice: a child forked by a pid we had not seeded yet is found by
	 * the second walk (after it, the fork handler sees every fork) */
	err = trace_proc_tree(pid, seed_one, t);
	if (!err)
		err = trace_proc_tree(pid, seed_one, t);
	if (!err && (t->on & TRACE_FD))
		trace_fd_refresh(t, 0); /* the seeded ones' fd counts, now if we can:
					   their baseline is stdio until then */
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
void trace_note_off(char *why, size_t whylen, unsigned s, const char *reason)
{
	size_t len = strlen(why);

	if (len >= whylen)
		return;
	snprintf(why + len, whylen - len, "%s%s (%s)", len ? ", " : "kernel tracing off for: ",
		 signal_name(s), reason);
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
	t->holder = t->holder_pidfd = t->refresh = -1;
	memset(&t->fd, -1, sizeof(t->fd));
	if (o)
		t->opts = *o;
	t->root = root;
	/* spawn is the tree tracker: without it nothing else can filter */
	t->want = (t->opts.signals ? t->opts.signals & TRACE_ALL : TRACE_ALL) | TRACE_SPAWN;
	t->top = t->opts.top ? t->opts.top : 10;
	if (t->top > TRACE_TOP_MAX)
		t->top = TRACE_TOP_MAX;
	t->start_ns = now_ns();
	/* loaded, root seeded and attached by the loader, before we walk
	 * /proc: no fork slips between the two */
	err = trace_load(t, why, whylen);
	if (err)
		goto fail;
	err = trace_spawn_ring(t);
	if (err)
		goto fail;
	err = tracer_add_pid(t, root);
	if (err)
		goto fail_pid;
	if (t->on & TRACE_LATENCY) {
		err = trace_latency_attach(t);
		if (err) {
			trace_note_off(why, whylen, TRACE_LATENCY, err == -ENOENT
				 ? "no binary with swarm's probes found" : strerror(-err));
			t->on &= ~TRACE_LATENCY;
		}
	}
	t->on &= t->opts.signals ? t->opts.signals | TRACE_SPAWN : TRACE_ALL;
	*out = t;
	return 0;
fail_pid:
	snprintf(why, whylen, "kernel tracing off: pid %d: %s", root, strerror(-err));
fail:
	tracer_close(t);
	return err;
}

unsigned tracer_signals(const struct tracer *t)
{
	if (!t)
		return 0;
	/* spawn was loaded as the tree tracker even if not asked for */
	return t->on & (t->opts.signals ? t->opts.signals : TRACE_ALL);
}

int tracer_event_fd(const struct tracer *t)
{
	return t && t->rb ? ring_buffer__epoll_fd(t->rb) : -1;
}

int tracer_poll(struct tracer *t, int timeout_ms)
{
	uint64_t now;
	int n;

	if (!t || !t->rb)
		return -EINVAL;
	/* the programs do not wake us for every event (see spawn.bpf.c), so
	 * waiting may time out with data ready: always consume afterwards */
	n = timeout_ms > 0 ? ring_buffer__poll(t->rb, timeout_ms) : 0;
	if (n >= 0 || n == -EINTR)
		n = ring_buffer__consume(t->rb);
	now = now_ns();
	/* the kernel's fd counts, about once a second: one walk of the
	 * host's task list, a few microseconds per tracked process */
	if ((t->on & TRACE_FD) && now - t->refreshed_ns >= 1000000000ull)
		trace_fd_refresh(t, 0);
	return n < 0 && n != -EINTR ? n : 0;
}

void tracer_clear(struct tracer *t)
{
	if (!t || !t->bss)
		return;
	trace_spawn_clear(t);
	if (t->on & TRACE_FLOCK)
		trace_flock_clear(t);
	if (t->on & TRACE_LATENCY)
		trace_latency_clear(t);
	t->start_ns = now_ns();
}

/* A section that could not be read (no memory) wrote nothing: it is
 * null, never a name without a value. */
static void section(struct tracer *t, struct jsonw *w, const char *name,
		    int (*fn)(struct tracer *t, struct jsonw *w))
{
	jsonw_name(w, name);
	if (fn(t, w))
		jsonw_null(w);
}

int tracer_report_json(struct tracer *t, struct jsonw *w)
{
	unsigned on = tracer_signals(t);

	if (!t)
		return -EINVAL;
	tracer_poll(t, 0);
	if (on & TRACE_FD)
		trace_fd_refresh(t, t->opts.lazy_fd_truth ? 0 : TRACE_ITERS_WAIT_MS);
	jsonw_name(w, "signals");
	jsonw_start_array(w);
	for (unsigned s = 1; s <= TRACE_LATENCY; s <<= 1)
		if (on & s)
			jsonw_string(w, signal_name(s));
	jsonw_end_array(w);
	jsonw_float_field(w, "elapsed_s", "%.3f", (now_ns() - t->start_ns) / 1e9);
	if (on & TRACE_SPAWN)
		section(t, w, "spawn", trace_spawn_json);
	if (on & TRACE_FLOCK)
		section(t, w, "flock", trace_flock_json);
	if (on & TRACE_FD)
		section(t, w, "fd", trace_fd_json);
	if (on & TRACE_LATENCY)
		section(t, w, "latency", trace_latency_json);
	jsonw_uint_field(w, "ringbuf_drops", tracer_ringbuf_drops(t));
	return jsonw_error(w);
}

int tracer_report_text(struct tracer *t, FILE *f)
{
	unsigned on = tracer_signals(t), n = 0;

	if (!t)
		return -EINVAL;
	tracer_poll(t, 0);
	if (on & TRACE_FD)
		trace_fd_refresh(t, t->opts.lazy_fd_truth ? 0 : TRACE_ITERS_WAIT_MS);
	if (on & TRACE_SPAWN && ++n)
		trace_spawn_text(t, f);
	if (on & TRACE_FLOCK) {
		if (n++)
			fputc('\n', f);
		trace_flock_text(t, f);
	}
	if (on & TRACE_FD) {
		if (n++)
			fputc('\n', f);
		trace_fd_text(t, f);
	}
	if (on & TRACE_LATENCY) {
		if (n++)
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
	int *fds;

	if (!t)
		return;
	fds = (int *)&t->fd;
	ring_buffer__free(t->rb);
	if (t->refresh >= 0)
		close(t->refresh);
	for (unsigned i = 0; i < t->nusdt; i++)
		close(t->usdt[i]);
	if (t->bss)
		munmap(t->bss, t->bss_len);
	for (size_t i = 0; i < sizeof(t->fd) / sizeof(int); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	trace_release(t, t->opts.detach_background);
	free(t);
}
