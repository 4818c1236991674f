/* BPF checks: privileges, and a real probe in a child process: load a
 * counting tracepoint program, attach it to sched/sched_process_fork, fork
 * and see the count move; load and attach a raw_tp and an iter/task_file
 * program; create a ring buffer. kprobes are not probed (libbpf's kprobe
 * probe reports support on kernels without them, and swarm uses none). */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caps.h"
#include "doctor_checks.h"
#include "tracefs.h"
#include "trace.h"
#include "util.h"

#define PROBE_TIMEOUT_MS 10000

/* The signals, in the order of their TRACE_* bits (user/trace/trace.h). */
enum { SIG_SPAWN, SIG_FLOCK, SIG_FD, SIG_LATENCY, SIG_N };

/* What the child found; every field 0 or -errno. */
struct bpf_probe {
	int tracefs;          /* 0 mounted; 1 mounted privately for the probe */
	int tp_load, tp_attach, tp_fired;
	uint64_t tp_events;
	int raw_tp, ringbuf, iter, vmlinux_btf;
	char missing[SIG_N][96];   /* first absent tracepoint per signal */
};

static int read_int(const char *path, int *v)
{
	FILE *f = fopen(path, "re");
	int ok;

	if (!f)
		return -errno;
	ok = fscanf(f, "%d", v) == 1;
	fclose(f);
	return ok ? 0 : -EINVAL;
}

/* OK if BPF tracing is allowed: CAP_SYS_ADMIN, or CAP_BPF + CAP_PERFMON. */
static void privileges_check(struct doctor_report *r)
{
	int unpriv = -1, paranoid = -1;
	bool has_bpf = caps_have(CAP_BPF), has_perf = caps_have(CAP_PERFMON);
	bool has_admin = caps_have(CAP_SYS_ADMIN);

	read_int("/proc/sys/kernel/unprivileged_bpf_disabled", &unpriv);
	read_int("/proc/sys/kernel/perf_event_paranoid", &paranoid);
	check_add(r, "bpf_privileges", caps_bpf_tracing() ? DOCTOR_OK : DOCTOR_WARN,
		  "run as root, or grant CAP_BPF and CAP_PERFMON (setcap cap_bpf,cap_perfmon+ep "
		  "swarm; docker --cap-add BPF --cap-add PERFMON, or --cap-add SYS_ADMIN on "
		  "Docker before 23, which knows neither; Kubernetes "
		  "securityContext.capabilities.add)",
		  "euid %u; effective CAP_BPF %s, CAP_PERFMON %s, CAP_SYS_ADMIN %s; "
		  "unprivileged_bpf_disabled=%d, perf_event_paranoid=%d",
		  (unsigned)geteuid(), has_bpf ? "yes" : "no", has_perf ? "yes" : "no",
		  has_admin ? "yes" : "no", unpriv, paranoid);
}

#define INSN(c, d, s, o, i) \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

/* u32 key = 0; u64 *v = map[0]; if (v) atomic(*v += 1); return 0; */
static int load_counting_tp(int map_fd)
{
	struct bpf_insn p[] = {
		INSN(BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, -4, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0),
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -4),
		INSN(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_1, BPF_PSEUDO_MAP_FD, 0, map_fd),
		INSN(0, 0, 0, 0, 0),
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
		INSN(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 2, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_1, 0, 0, 1),
		INSN(BPF_STX | BPF_ATOMIC | BPF_DW, BPF_REG_0, BPF_REG_1, 0, BPF_ADD),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0),
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_TRACEPOINT, "swarm_doctor", "GPL", p,
			       sizeof(p) / sizeof(p[0]), NULL);

	return fd < 0 ? -errno : fd;
}

static int tracepoint_id(const char *tracefs, const char *tp)
{
	char path[1200];
	int id;

	snprintf(path, sizeof(path), "%s/events/%s/id", tracefs, tp);
	return read_int(path, &id) ? -ENOENT : id;
}

/* Attach prog to sched_process_fork on our (pinned) CPU, fork, count. */
static void probe_tracepoint(struct bpf_probe *p, const char *tracefs)
{
	struct perf_event_attr a = { .type = PERF_TYPE_TRACEPOINT, .size = sizeof(a),
				     .sample_period = 1, .wakeup_events = 1 };
	int map = -1, prog = -1, pfd = -1, id, cpu = 0, i;
	uint32_t key = 0;
	cpu_set_t set;
	pid_t pid;

	map = bpf_map_create(BPF_MAP_TYPE_ARRAY, "swarm_doctor", 4, 8, 1, NULL);
	if (map < 0) {
		p->tp_load = p->tp_attach = p->tp_fired = -errno;
		return;
	}
	prog = load_counting_tp(map);
	p->tp_load = prog < 0 ? prog : 0;
	p->tp_attach = p->tp_fired = prog < 0 ? prog : p->tracefs < 0 ? p->tracefs : 0;
	if (p->tp_attach)
		goto out;
	id = tracepoint_id(tracefs, "sched/sched_process_fork");
	/* The event is opened on one CPU; keep our forks on that CPU. */
	if (!sched_getaffinity(0, sizeof(set), &set))
		for (cpu = 0; cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &set); cpu++)
			;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	a.config = (uint64_t)(id < 0 ? 0 : id);
	pfd = id < 0 ? id : (int)syscall(SYS_perf_event_open, &a, -1, cpu, -1,
					 PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0 || ioctl(pfd, PERF_EVENT_IOC_SET_BPF, prog) ||
	    ioctl(pfd, PERF_EVENT_IOC_ENABLE, 0)) {
		p->tp_attach = p->tp_fired = pfd == -ENOENT ? -ENOENT : -errno;
		goto out;
	}
	for (i = 0; i < 3; i++) {
		pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
	if (bpf_map_lookup_elem(map, &key, &p->tp_events))
		p->tp_fired = -errno;
	else if (p->tp_events == 0)
		p->tp_fired = -ENODATA;
out:
	if (pfd >= 0)
		close(pfd);
	if (prog >= 0)
		close(prog);
	close(map);
}

/* A trivial iterator program against the kernel's bpf_iter_<name>: load,
 * attach and run it once (it prints nothing, so EOF at once). */
static int probe_iter(const struct btf *vmlinux, const char *name)
{
	struct bpf_insn p[] = {
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0),
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = BPF_TRACE_ITER);
	int id = btf__find_by_name_kind(vmlinux, name, BTF_KIND_FUNC);
	int prog, link, it, err = 0;
	char buf[64];

	if (id < 0)
		return -ENOENT;
	o.attach_btf_id = (uint32_t)id;
	prog = bpf_prog_load(BPF_PROG_TYPE_TRACING, "swarm_doctor", "GPL", p, 2, &o);
	if (prog < 0)
		return -errno;
	link = bpf_link_create(prog, 0, BPF_TRACE_ITER, NULL);
	if (link < 0) {
		err = -errno;
	} else {
		it = bpf_iter_create(link);
		if (it < 0 || read(it, buf, sizeof(buf)) < 0)
			err = -errno;
		if (it >= 0)
			close(it);
		close(link);
	}
	close(prog);
	return err;
}

/* A two-instruction raw tracepoint program, loaded and attached by name. */
static int probe_raw_tp(const char *tp)
{
	struct bpf_insn p[] = {
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0),
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	int prog, link, err = 0;

	prog = bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, "swarm_doctor", "GPL", p, 2, NULL);
	if (prog < 0)
		return -errno;
	link = bpf_raw_tracepoint_open(tp, prog);
	if (link < 0)
		err = -errno;
	else
		close(link);
	close(prog);
	return err;
}

struct hook_check {
	struct bpf_probe *p;
	const struct btf *vmlinux;
};

/* One program of the tracer's object: does the kernel have the type its
 * section attaches to (btf_trace_<tp> for a raw tracepoint, bpf_iter_<name> for an
 * iterator)? The first one absent is noted for its signal. */
static void check_hook(unsigned sig, const char *section, void *arg)
{
	struct hook_check *c = arg;
	const char *tp = NULL, *it = NULL;
	char type[128];
	int s = __builtin_ffs((int)sig) - 1;

	if (s < 0 || s >= SIG_N || c->p->missing[s][0])
		return;
	if (!strncmp(section, "raw_tp/", 7) || !strncmp(section, "tp_btf/", 7))
		tp = section + 7;
	else if (!strncmp(section, "iter/", 5))
		it = section + 5;
	else
		return; /* uprobes name no kernel type */
	snprintf(type, sizeof(type), tp ? "btf_trace_%s" : "bpf_iter_%s", tp ? tp : it);
	if (!c->vmlinux || btf__find_by_name_kind(c->vmlinux, type, tp ? BTF_KIND_TYPEDEF
									: BTF_KIND_FUNC) < 0)
		snprintf(c->p->missing[s], sizeof(c->p->missing[s]), "%s %s",
			 tp ? "raw tracepoint" : "iterator", tp ? tp : it);
}

static void probe_missing(struct bpf_probe *p, const struct btf *vmlinux)
{
	struct hook_check c = { p, vmlinux };

	tracer_hooks(check_hook, &c);
}

static void probe_child(int wfd)
{
	struct bpf_probe p = { 0 };
	char tracefs[1024];
	struct btf *vmlinux;
	int rb;

	libbpf_set_print(NULL);
	p.tracefs = tracefs_find_or_mount(tracefs, sizeof(tracefs));   /* we are the child */
	probe_tracepoint(&p, tracefs);
	vmlinux = btf__load_vmlinux_btf();
	p.vmlinux_btf = vmlinux ? 0 : -errno;
	probe_missing(&p, vmlinux);
	p.raw_tp = probe_raw_tp("sched_process_fork");
	p.iter = vmlinux ? probe_iter(vmlinux, "bpf_iter_task_file") : p.vmlinux_btf;
	btf__free(vmlinux);
	rb = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "swarm_doctor", 0, 0, 4096, NULL);
	p.ringbuf = rb < 0 ? -errno : 0;
	if (rb >= 0)
		close(rb);
	_exit(write_full(wfd, &p, sizeof(p)) ? 1 : 0);
}

/* Run the probe in a child (its mounts, affinity and BPF objects die with
 * it; a hang costs at most PROBE_TIMEOUT_MS). */
static int run_probe(struct bpf_probe *p)
{
	struct pollfd pfd;
	int fds[2], err = 0;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(fds[0]);
		close(fds[1]);
		return err;
	}
	if (pid == 0) {
		close(fds[0]);
		probe_child(fds[1]);
	}
	close(fds[1]);
	pfd = (struct pollfd){ .fd = fds[0], .events = POLLIN };
	if (RETRY_EINTR(poll(&pfd, 1, PROBE_TIMEOUT_MS)) != 1)
		err = -ETIMEDOUT;
	else if (read_full(fds[0], p, sizeof(*p)) != (ssize_t)sizeof(*p))
		err = -EIO;
	if (err)
		kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(fds[0]);
	return err;
}

static void tracepoint_check(struct doctor_report *r, const struct bpf_probe *p)
{
	const char *fix = "grant CAP_BPF + CAP_PERFMON (or run as root) and make tracefs "
			  "available; see bpf_privileges and tracefs";

	if (p->tp_load)
		check_add(r, "bpf_tracepoint", DOCTOR_WARN, fix,
			  "loading a tracepoint program failed: %s", strerror(-p->tp_load));
	else if (p->tracefs < 0)
		check_add(r, "bpf_tracepoint", DOCTOR_WARN, fix,
			  "loaded a tracepoint program; cannot attach it: tracefs is not "
			  "mounted and mounting it failed (%s)", strerror(-p->tracefs));
	else if (p->tp_attach)
		check_add(r, "bpf_tracepoint", DOCTOR_WARN, fix,
			  "loaded a tracepoint program; attaching it to sched_process_fork "
			  "failed: %s", strerror(-p->tp_attach));
	else if (p->tp_fired)
		check_add(r, "bpf_tracepoint", DOCTOR_WARN, fix,
			  "attached a tracepoint program but it never ran on 3 forks: %s",
			  strerror(-p->tp_fired));
	else
		check_add(r, "bpf_tracepoint", DOCTOR_OK, NULL,
			  "loaded a tracepoint program, attached it to sched/sched_process_fork%s, "
			  "it counted %llu events on 3 forks",
			  p->tracefs == 1 ? " (tracefs mounted privately for the probe)" : "",
			  (unsigned long long)p->tp_events);
}

static const char *res(int err)
{
	return err ? strerror(-err) : "ok";
}

static void features_check(struct doctor_report *r, const struct bpf_probe *p)
{
	check_add(r, "bpf_features",
		  p->raw_tp || p->iter || p->ringbuf ? DOCTOR_WARN : DOCTOR_OK,
		  "needs BTF and BPF privileges (see btf, bpf_privileges); kernel >= 5.8",
		  "raw_tp/sched_process_fork attach: %s; iter/task_file run: %s; ring buffer: %s",
		  res(p->raw_tp), res(p->iter), res(p->ringbuf));
}

/* One line per signal: what it needs, and whether this host has it. */
static void signal_checks(struct doctor_report *r, const struct bpf_probe *p)
{
	static const char *names[SIG_N] = { "signal_spawn", "signal_flock", "signal_fd",
					    "signal_latency" };
	static const char *what[SIG_N] = {
		"fork/exec/exit latency and exit codes",
		"flock wait histograms per inbox",
		"open fds per process (fd leaks)",
		"publish->consume latency per inbox",
	};
	int s, extra;
	const char *why;

	for (s = 0; s < SIG_N; s++) {
		/* The programs are raw tracepoints (no tracefs needed) + CO-RE;
		 * fd also runs task and task_file iterators. */
		extra = s == SIG_FD ? p->iter : 0;
		why = p->vmlinux_btf ? "no kernel BTF for CO-RE" :
		      p->raw_tp ? "raw tracepoint programs do not load or attach" :
		      p->missing[s][0] ? p->missing[s] :
		      trace_in_pid_namespace() ? "the tracer refuses a PID namespace of its "
						 "own (see pid_namespace)" : NULL;
		if (why)
			check_add(r, names[s], DOCTOR_WARN, "see btf, bpf_privileges and bpf_features",
				  "off: %s%s (%s; /proc fallback where there is one)",
				  why, why == p->missing[s] ? " missing" : "", what[s]);
		else if (extra)
			check_add(r, names[s], DOCTOR_WARN, "see bpf_features",
				  "partial: raw tracepoints ok, iter/task_file: %s (%s)",
				  strerror(-extra), what[s]);
		else
			check_add(r, names[s], DOCTOR_OK, NULL, "will work: %s", what[s]);
	}
}

void doctor_bpf_checks(struct doctor_report *r)
{
	struct bpf_probe p;
	int err;

	privileges_check(r);
	doctor_seccomp_check(r);
	doctor_pidns_check(r);
	err = run_probe(&p);
	if (err) {
		check_add(r, "bpf_tracepoint", DOCTOR_WARN, "run swarm doctor again; report a bug",
			  "the BPF probe process failed: %s", strerror(-err));
		return;
	}
	tracepoint_check(r, &p);
	features_check(r, &p);
	signal_checks(r, &p);
}
