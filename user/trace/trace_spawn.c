/* spawn: the tree of bpf/spawn.bpf.c (tracked + procs maps), seeded here
 * from /proc; drains the ring buffer of exits, reports counts and
 * latencies. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "hist.h"
#include "json.h"
#include "trace_int.h"
#include "swarm.skel.h"
#include "util.h"

/* Keep the slowest fork->exec spawns (sorted, slowest first). */
static void slow_insert(struct tracer *t, const struct spawn_exit_event *e)
{
	unsigned cap = t->top < TRACE_TOP_MAX ? t->top : TRACE_TOP_MAX;
	unsigned i;

	if (!e->fork_exec_ns)
		return;
	for (i = 0; i < t->nslow; i++)
		if (e->fork_exec_ns > t->slow[i].fork_exec_ns)
			break;
	if (i >= cap)
		return;
	if (t->nslow < cap)
		t->nslow++;
	memmove(&t->slow[i + 1], &t->slow[i], (t->nslow - 1 - i) * sizeof(t->slow[0]));
	t->slow[i].fork_exec_ns = e->fork_exec_ns;
	t->slow[i].pid = e->tgid;
	t->slow[i].exit_code = e->exit_code;
	memcpy(t->slow[i].comm, e->comm, sizeof(e->comm));
	t->slow[i].comm[TRACE_COMM_LEN - 1] = '\0';
}

/* One ring carries exits and (for a timeline) long lock waits: a second
 * ring would be one more fd for the loader to hand over. Told apart by
 * size, which the kernel gives exactly. */
_Static_assert(sizeof(struct flock_wait_event) != sizeof(struct spawn_exit_event),
	       "ring events are told apart by size");

static int on_exit_event(void *ctx, void *data, size_t len)
{
	struct tracer *t = ctx;

	if (len == sizeof(struct flock_wait_event)) {
		if (t->opts.on_lock_wait)
			t->opts.on_lock_wait(data, t->opts.event_arg);
		return 0;
	}
	if (len < sizeof(struct spawn_exit_event))
		return 0;
	t->exit_events++;
	slow_insert(t, data);
	if (t->opts.on_exit)
		t->opts.on_exit(data, t->opts.event_arg);
	return 0;
}

int trace_spawn_ring(struct tracer *t)
{
	t->rb = ring_buffer__new(t->fd.events, on_exit_event, t, NULL);
	return t->rb ? 0 : -errno;
}

/* Comm of a live process, from /proc (best effort). */
static void proc_comm(pid_t pid, char *out)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, out, TRACE_COMM_LEN - 1);
	close(fd);
	if (n > 0 && out[n - 1] == '\n')
		n--;
	out[n > 0 ? n : 0] = '\0';
}

/* Remember the program a seeded process runs: it may carry libswarm's
 * USDT probes (a C agent linked with libswarm), see trace_latency.c. */
static void note_exe(struct tracer *t, pid_t pid)
{
	char path[64], exe[256];
	ssize_t n;
	unsigned i;

	if (t->nexes >= sizeof(t->exes) / sizeof(t->exes[0]))
		return;
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n <= 0 || (size_t)n >= sizeof(exe) - 1)
		return;
	exe[n] = '\0';
	for (i = 0; i < t->nexes; i++)
		if (!strcmp(t->exes[i], exe))
			return;
	memcpy(t->exes[t->nexes++], exe, (size_t)n + 1);
}

/* A process that existed before we attached: tracked, with a record whose
 * fd baseline is unknown (FD_STDIO: it may have leaked before we came) and
 * whose agent follows from its place in the tree, as at fork. */
int trace_spawn_seed(struct tracer *t, pid_t pid, pid_t ppid)
{
	int tracked = t->fd.tracked;
	int procs = t->fd.procs;
	unsigned depth = t->agent_depth;
	struct spawn_proc p = { 0 }, parent;
	__u32 k = (__u32)pid, pk = (__u32)ppid;
	__u8 one = 1;

	if (bpf_map_update_elem(tracked, &k, &one, BPF_ANY))
		return -errno;
	note_exe(t, pid); /* also for one the loader seeded */
	if (!bpf_map_lookup_elem(procs, &k, &p))
		return 0; /* already known (second walk, or seen at fork) */
	memset(&p, 0, sizeof(p));
	p.ppid = (__u32)ppid;
	p.flags = FD_PREEXISTING;
	p.fd_base = p.fd_now = p.fd_peak = FD_STDIO;
	p.fd_ns = p.seen_ns = now_ns();
	if (pid != t->root && !bpf_map_lookup_elem(procs, &pk, &parent)) {
		p.depth = parent.depth + 1;
		p.agent = parent.agent ? parent.agent : depth && p.depth == depth ? k : 0;
	}
	proc_comm(pid, p.comm);
	if (bpf_map_update_elem(procs, &k, &p, BPF_NOEXIST) && errno != EEXIST)
		return -errno;
	return 0;
}

void trace_spawn_clear(struct tracer *t)
{
	struct spawn_totals *s = &t->bss->spawn_stats;

	/* counters race with the programs: a few events may straddle */
	memset(s->fork_exec_us, 0, sizeof(s->fork_exec_us));
	memset(s->exec_exit_us, 0, sizeof(s->exec_exit_us));
	memset(s->exit_status, 0, sizeof(s->exit_status));
	memset(s->exit_signal, 0, sizeof(s->exit_signal));
	s->forks = s->execs = s->exits = 0;
	s->exits_no_exec = s->exec_chains = s->orphans = 0;
	t->nslow = 0;
}

int tracer_spawn_totals(struct tracer *t, struct spawn_totals *out)
{
	if (!t || !t->bss)
		return -ENOENT;
	memcpy(out, &t->bss->spawn_stats, sizeof(*out));
	return 0;
}

uint64_t tracer_ringbuf_drops(struct tracer *t)
{
	return t && t->bss ? t->bss->spawn_stats.ringbuf_drops : 0;
}

static void slowest_json(struct tracer *t, struct jsonw *w)
{
	unsigned i;

	jsonw_name(w, "slowest");
	jsonw_start_array(w);
	for (i = 0; i < t->nslow; i++) {
		jsonw_start_object(w);
		jsonw_uint_field(w, "pid", t->slow[i].pid);
		jsonw_name(w, "comm");
		jsonw_string_bytes(w, t->slow[i].comm, sizeof(t->slow[i].comm));
		jsonw_float_field(w, "fork_exec_us", "%.1f", t->slow[i].fork_exec_ns / 1e3);
		jsonw_uint_field(w, "exit_code", (t->slow[i].exit_code >> 8) & 0xff);
		jsonw_uint_field(w, "signal", t->slow[i].exit_code & 0x7f);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
}

int trace_spawn_json(struct tracer *t, struct jsonw *w)
{
	struct spawn_totals s;
	unsigned i, failed = 0, killed = 0;

	tracer_spawn_totals(t, &s);
	for (i = 1; i < 256; i++)
		failed += s.exit_status[i];
	for (i = 0; i < 64; i++)
		killed += s.exit_signal[i];
	jsonw_start_object(w);
	jsonw_uint_field(w, "forks", s.forks);
	jsonw_uint_field(w, "execs", s.execs);
	jsonw_uint_field(w, "exits", s.exits);
	jsonw_uint_field(w, "exits_no_exec", s.exits_no_exec);
	jsonw_uint_field(w, "exec_chains", s.exec_chains);
	jsonw_uint_field(w, "orphans", s.orphans);
	jsonw_uint_field(w, "exit_ok", s.exit_status[0]);
	jsonw_uint_field(w, "exit_failed", failed);
	jsonw_uint_field(w, "killed", killed);
	jsonw_name(w, "fork_exec_us");
	trace_json_pcts(w, s.fork_exec_us, -1);
	jsonw_name(w, "exec_exit_us");
	trace_json_pcts(w, s.exec_exit_us, -1);
	slowest_json(t, w);
	jsonw_uint_field(w, "exit_events", t->exit_events);
	jsonw_uint_field(w, "map_full", s.map_full);
	jsonw_end_object(w);
	return 0;
}

int trace_spawn_text(struct tracer *t, FILE *f)
{
	struct spawn_totals s;
	unsigned i;

	tracer_spawn_totals(t, &s);
	fprintf(f, "spawn: %llu forks, %llu execs (%llu later in a chain), %llu exits "
		"(%llu never exec'd, %llu orphaned)\n",
		(unsigned long long)s.forks, (unsigned long long)s.execs,
		(unsigned long long)s.exec_chains, (unsigned long long)s.exits,
		(unsigned long long)s.exits_no_exec, (unsigned long long)s.orphans);
	for (i = 1; i < 256; i++)
		if (s.exit_status[i])
			fprintf(f, "  exit status %u: %u\n", i, s.exit_status[i]);
	for (i = 1; i < 64; i++)
		if (s.exit_signal[i])
			fprintf(f, "  killed by signal %u: %u\n", i, s.exit_signal[i]);
	if (hist_total(s.fork_exec_us, HIST_SLOTS)) {
		fprintf(f, "\nfork -> exec latency\n");
		hist_print(f, s.fork_exec_us, HIST_SLOTS, "usecs");
	}
	if (hist_total(s.exec_exit_us, HIST_SLOTS)) {
		fprintf(f, "\nexec -> exit (lifetime)\n");
		hist_print(f, s.exec_exit_us, HIST_SLOTS, "usecs");
	}
	if (t->nslow) {
		fprintf(f, "\nslowest spawns (fork -> exec)\n%-8s %-16s %12s %6s\n",
			"PID", "COMM", "USECS", "EXIT");
		for (i = 0; i < t->nslow; i++) {
			unsigned st = t->slow[i].exit_code;
			char ex[16];

			if (st & 0x7f)
				snprintf(ex, sizeof(ex), "sig %u", st & 0x7f);
			else
				snprintf(ex, sizeof(ex), "%u", (st >> 8) & 0xff);
			fprintf(f, "%-8u %-16s %12.1f %6s\n", t->slow[i].pid,
				t->slow[i].comm, t->slow[i].fork_exec_ns / 1e3, ex);
		}
	}
	return 0;
}
