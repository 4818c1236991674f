/* spawn: loads bpf/spawn.bpf.c (which also keeps the tracked-tgid map),
 * drains its ring buffer of exits, reports counts and latencies. */
#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "hist.h"
#include "trace_int.h"
#include "spawn.skel.h"

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

static int on_exit_event(void *ctx, void *data, size_t len)
{
	struct tracer *t = ctx;

	if (len < sizeof(struct spawn_exit_event))
		return 0;
	t->exit_events++;
	slow_insert(t, data);
	return 0;
}

int trace_spawn_open(struct tracer *t)
{
	int err;

	t->spawn = spawn_bpf__open();
	if (!t->spawn)
		return -errno;
	if (trace_autoload_existing(t->spawn->obj))
		return -ENOTSUP; /* the tree cannot be followed without all three */
	err = spawn_bpf__load(t->spawn);
	if (err)
		return err;
	err = trace_spawn_track(t, t->root);
	if (err)
		return err;
	/* attach before walking /proc so no fork slips between the two */
	err = spawn_bpf__attach(t->spawn);
	if (err)
		return err;
	t->rb = ring_buffer__new(bpf_map__fd(t->spawn->maps.events), on_exit_event, t, NULL);
	if (!t->rb)
		return -errno;
	return 0;
}

int trace_spawn_track(struct tracer *t, pid_t pid)
{
	__u32 k = (__u32)pid;
	__u8 one = 1;

	if (bpf_map_update_elem(bpf_map__fd(t->spawn->maps.tracked), &k, &one, BPF_ANY))
		return -errno;
	return 0;
}

int trace_tracked_fd(struct tracer *t)
{
	return bpf_map__fd(t->spawn->maps.tracked);
}

void trace_spawn_close(struct tracer *t)
{
	ring_buffer__free(t->rb);
	t->rb = NULL;
	spawn_bpf__destroy(t->spawn);
	t->spawn = NULL;
}

void trace_spawn_clear(struct tracer *t)
{
	struct spawn_totals *s = &t->spawn->bss->totals;

	/* counters race with the programs: a few events may straddle */
	memset(s->fork_exec_us, 0, sizeof(s->fork_exec_us));
	memset(s->exec_exit_us, 0, sizeof(s->exec_exit_us));
	memset(s->exit_status, 0, sizeof(s->exit_status));
	memset(s->exit_signal, 0, sizeof(s->exit_signal));
	s->forks = s->execs = s->exits = 0;
	t->nslow = 0;
}

int tracer_spawn_totals(struct tracer *t, struct spawn_totals *out)
{
	if (!t || !t->spawn)
		return -ENOENT;
	memcpy(out, &t->spawn->bss->totals, sizeof(*out));
	return 0;
}

uint64_t tracer_ringbuf_drops(struct tracer *t)
{
	return t && t->spawn ? t->spawn->bss->totals.ringbuf_drops : 0;
}

int trace_spawn_json(struct tracer *t, FILE *f)
{
	struct spawn_totals s;
	unsigned i, failed = 0, killed = 0;

	tracer_spawn_totals(t, &s);
	for (i = 1; i < 256; i++)
		failed += s.exit_status[i];
	for (i = 0; i < 64; i++)
		killed += s.exit_signal[i];
	fprintf(f, "{\"forks\":%llu,\"execs\":%llu,\"exits\":%llu,"
		"\"exit_ok\":%u,\"exit_failed\":%u,\"killed\":%u,\"fork_exec_us\":",
		(unsigned long long)s.forks, (unsigned long long)s.execs,
		(unsigned long long)s.exits, s.exit_status[0], failed, killed);
	trace_json_pcts(f, s.fork_exec_us, -1);
	fprintf(f, ",\"exec_exit_us\":");
	trace_json_pcts(f, s.exec_exit_us, -1);
	fprintf(f, ",\"slowest\":[");
	for (i = 0; i < t->nslow; i++) {
		fprintf(f, "%s{\"pid\":%u,\"comm\":", i ? "," : "", t->slow[i].pid);
		trace_json_str(f, t->slow[i].comm, sizeof(t->slow[i].comm));
		fprintf(f, ",\"fork_exec_us\":%.1f,\"exit_code\":%u,\"signal\":%u}",
			t->slow[i].fork_exec_ns / 1e3, (t->slow[i].exit_code >> 8) & 0xff,
			t->slow[i].exit_code & 0x7f);
	}
	fprintf(f, "],\"exit_events\":%llu,\"map_full\":%llu}",
		(unsigned long long)t->exit_events, (unsigned long long)s.map_full);
	return 0;
}

int trace_spawn_text(struct tracer *t, FILE *f)
{
	struct spawn_totals s;
	unsigned i;

	tracer_spawn_totals(t, &s);
	fprintf(f, "spawn: %llu forks, %llu execs, %llu exits\n",
		(unsigned long long)s.forks, (unsigned long long)s.execs,
		(unsigned long long)s.exits);
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
