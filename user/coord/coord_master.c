/* The master of `swarm run`: setup, the epoll loop, outcomes, completion,
 * cleanup and the numbers for the report. What the topology does is
 * behind m->topo (coord_flat.c, coord_hybrid.c). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "coord_master.h"
#include "core_path.h"
#include "coord_sys.h"
#include "priv.h"
#include "replace.h"
#include "run_joblog.h"
#include "run_logs.h"
#include "run_timeline.h"
#include "spawn_process.h"
#include "swarm.h"

#define SAMPLE_EVERY_NS 100000000ull  /* fd / shm sampling: 10 per second */

void master_sample(struct master *m, int force)
{
	uint64_t now = now_ns(), shm;
	unsigned fds;

	if (!force && now - m->last_sample < SAMPLE_EVERY_NS)
		return;
	m->last_sample = now;
	fds = proc_fd_count();
	if (fds > m->fds_peak)
		m->fds_peak = fds;
	shm = bus_disk_bytes(m->bus);
	if (shm > m->shm_peak)
		m->shm_peak = shm;
	timeline_sample(m->o->timeline, now, fds, shm);
}

void master_pause_tree(struct master *m, int on)
{
	if (m->have_cg)
		cgroup_freeze(&m->cg, on);
	else
		m->topo->signal(m, on ? SIGSTOP : SIGCONT);
}

/* --halt: decided here, carried out by the loop (we may be deep inside
 * the pool's exit handling). */
static void halt_check(struct master *m, const struct task *t)
{
	const struct halt_spec *h = &m->o->gnu->halt;
	size_t count, need;

	if (h->when == HALT_NEVER || m->halted || m->halt_pending ||
	    t->status == TS_NOT_STARTED || t->status == TS_KILLED)
		return;
	count = h->on_success ? m->n_ok : m->n_failed;
	need = h->pct > 0 ? (size_t)((h->pct * (double)m->tl.n + 99.999) / 100.0) : h->count;
	if (!need)
		need = 1;
	if (count < need)
		return;
	m->halt_pending = 1;
	m->halted_success = h->on_success;
	fprintf(stderr, "swarm: --halt %s: %zu task%s %s; %s\n", m->o->gnu->halt_text,
		count, count == 1 ? "" : "s", h->on_success ? "succeeded" : "failed",
		h->when == HALT_NOW ? "killing the running tasks"
				    : "waiting for the running tasks, starting no more");
}

static void gnu_task_done(struct master *m, struct task *t)
{
	if (t->status == TS_OK)
		m->n_ok++;
	else if (t->status != TS_NOT_STARTED && t->status != TS_KILLED)
		m->n_failed++;
	halt_check(m, t);
	progress_show(&m->prog, m->done, m->rep->failed, m->topo->pending(m),
		      m->tl.n, 0);
}

void master_task_done(struct master *m, struct task *t, const char *out,
		      size_t len)
{
	struct run_report *r = m->rep;

	if (m->flags[t->id] & TF_RECORDED) {
		r->duplicates++;
		return;
	}
	m->flags[t->id] |= TF_RECORDED;
	m->done++;
	if (t->status == TS_OK) {
		r->delivered++;
	} else {
		r->failed++;
		report_add_failure(r, t->agent, t->reason, t->exit_code,
				   (int64_t)t->id, t->status);
	}
	if (m->results)
		report_result_line(m->results, t, out, len,
				   len >= TASK_OUTPUT_MAX);
	if (m->o->gnu)
		gnu_task_done(m, t);
	if (m->done == m->tl.n && !m->t_done)
		m->t_done = now_ns();
}

static void publish_metrics(struct master *m, int up)
{
	struct coord_sample s = { .up = up };
	const struct run_hooks *h = m->o->hooks;
	struct coord_kernel k;
	struct statvfs sv;

	if (!m->metrics)
		return;
	m->last_publish = now_ns();
	s.workers_target = m->o->n;
	m->topo->sample(m, &s);
	s.messages += m->msgs;
	s.restarts = m->rep->coordinator_restarts;
	s.fds = proc_fd_count();
	s.rss_bytes = proc_rss_peak_kb() * 1024;
	s.shm_bytes = bus_disk_bytes(m->bus);
	if (statvfs(bus_path(m->bus), &sv) == 0)
		s.shm_free_bytes = (uint64_t)sv.f_bavail * sv.f_frsize;
	s.delivered = m->rep->delivered;
	s.failed = m->rep->failed;
	s.duplicates = m->rep->duplicates;
	s.coordination_s = (double)((m->t_done ? m->t_done : now_ns()) - m->t0) / 1e9;
	s.delivery_ratio = m->tl.n ? (double)m->rep->delivered / (double)m->tl.n : 1;
	if (h && h->kernel_sample && h->kernel_sample(h->arg, &k) == 0)
		s.kernel = &k;
	coord_metrics_publish(m->metrics, &s);
}

static void hook_tick(struct master *m)
{
	const struct run_hooks *h = m->o->hooks;

	m->last_tick = now_ns();
	if (h && h->tick)
		h->tick(h->arg);
}

/* A small text file in the bus for other tools: master.pid for
 * pause/resume/status, cgroup for gc to remove a dead swarm's group. */
static int write_bus_file(struct master *m, const char *name, const char *text)
{
	int fd, err;

	fd = openat(bus_dirfd(m->bus), name,
		    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	err = write_full(fd, text, strlen(text));
	close(fd);
	return err;
}

static int write_pid_file(struct master *m)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	return write_bus_file(m, "master.pid", buf);
}

static int open_logs(struct master *m)
{
	char leaf[128];
	int err;

	snprintf(leaf, sizeof(leaf), "swarm-run-%s", bus_id(m->bus));
	err = run_logs_open(m->o->logs_dir, leaf, m->logs_path,
			    sizeof(m->logs_path), &m->logs_fd);

	if (err == -EPERM)
		snprintf(m->rep->error, sizeof(m->rep->error),
			 "log directory %.200s exists and is not ours alone", m->logs_path);
	return err;
}

static int resolve_argv(struct master *m)
{
	static char path[PATH_MAX];
	size_t n = 0;
	int err;

	err = spawn_resolve(m->o->argv[0], path, sizeof(path));
	if (err)
		return err;
	while (m->o->argv[n])
		n++;
	m->argv = calloc(n + 1, sizeof(char *));
	if (!m->argv)
		return -ENOMEM;
	memcpy(m->argv, m->o->argv, n * sizeof(char *));
	m->argv[0] = path;
	return 0;
}

static int setup_events(struct master *m)
{
	struct epoll_event ev = { .events = EPOLLIN };

	m->sigfd = coord_signalfd();
	m->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (m->sigfd < 0 || m->epfd < 0)
		return -errno;
	m->ev_signal = EV_SIGNAL;
	ev.data.ptr = &m->ev_signal;
	if (epoll_ctl(m->epfd, EPOLL_CTL_ADD, m->sigfd, &ev) < 0)
		return -errno;
	m->ev_inbox = EV_INBOX;
	ev.data.ptr = &m->ev_inbox;
	if (epoll_ctl(m->epfd, EPOLL_CTL_ADD, m->notify_fd, &ev) < 0)
		return -errno;
	if (m->o->hooks && m->o->hooks->event_fd > 0) {
		m->ev_hook = EV_HOOK;
		ev.data.ptr = &m->ev_hook;
		if (epoll_ctl(m->epfd, EPOLL_CTL_ADD, m->o->hooks->event_fd, &ev) < 0)
			return -errno;
	}
	return 0;
}

static int load_tasks(struct master *m)
{
	size_t bad = 0;
	int err;

	if (m->o->tasks) {
		m->tl = *m->o->tasks;
		memset(m->o->tasks, 0, sizeof(*m->o->tasks));
		err = 0;
	} else if (m->o->tasks_file)
		err = tasks_load_file(m->o->tasks_file, &m->tl, &bad);
	else
		err = tasks_generate(m->o->n, &m->tl);
	if (err && m->o->tasks_file)
		tasks_load_error(m->o->tasks_file, bad, err, m->rep->error,
				 sizeof(m->rep->error));
	if (err)
		return err;
	if (m->tl.id_limit < m->tl.n)
		m->tl.id_limit = m->tl.n;
	m->flags = calloc(m->tl.id_limit ? m->tl.id_limit : 1, 1);
	return m->flags ? 0 : -ENOMEM;
}

static int no_cgroup(void)
{
	const char *no = getenv("SWARM_NO_CGROUP");

	return no && *no && strcmp(no, "0");
}

/* --user: everything the agents' user must reach, checked while we can
 * still say so clearly. */
static int check_user(struct master *m)
{
	return priv_check_user(m->o->user, m->o->applet ? NULL : m->argv[0],
			       m->o->hybrid ? m->exe : NULL, m->rep->error,
			       sizeof(m->rep->error));
}

/* The master is one mostly idle process that every answer waits for; on a
 * host saturated by starting agents the scheduler let answers wait tens of
 * ms for it (p95 40 ms for 50 shell agents on 2 cores, 4-9 ms with the
 * master ahead). So while it still may (CAP_SYS_NICE, before the drop) it
 * asks for MASTER_NICE_BOOST steps more priority and then for SCHED_RR at
 * the lowest realtime priority, which its coordinators inherit. Weights
 * alone were not enough for them: 350 starting bash workers on 2 cores
 * outweigh seven nice -5 coordinators, which then waited up to 0.5 s on
 * the run queue with answers in their inboxes (hybrid 7x50 result latency
 * p95 27-470 ms; 0.2-0.5 ms as SCHED_RR). Agents never run realtime nor
 * raised: a spawn resets both in the child (spawn_req.set_nice). Where RR
 * is refused (no CAP_SYS_NICE or RLIMIT_RTPRIO, a cgroup without realtime
 * budget) the nice steps stay; the kernel keeps CPU time for normal tasks
 * even if a realtime master spun (sched_rt_runtime_us, fair server). */
#define MASTER_NICE_BOOST 5

static void boost(struct master *m)
{
	const struct sched_param rr = { .sched_priority = 1 };
	int nice0;

	errno = 0;
	nice0 = getpriority(PRIO_PROCESS, 0);
	if (errno || nice0 - MASTER_NICE_BOOST < -20)
		return;
	if (setpriority(PRIO_PROCESS, 0, nice0 - MASTER_NICE_BOOST) == 0) {
		m->boosted = 1;
		m->nice0 = nice0;
		sched_setscheduler(0, SCHED_RR, &rr);
	}
}

/* After this the master keeps only what priv.h describes. Files named on
 * the command line that the agents never touch (--results) are opened
 * before, as the caller. */
static int drop_privileges(struct master *m)
{
	int r;

	if (m->o->results_file) {
		m->results = fopen(m->o->results_file, "we");
		if (!m->results) {
			r = -errno;
			snprintf(m->rep->error, sizeof(m->rep->error),
				 "cannot open the results file %s: %s",
				 m->o->results_file, strerror(-r));
			return r;
		}
	}
	if (m->o->gnu && m->o->gnu->joblog) {
		r = joblog_open(m->o->gnu->joblog, m->o->gnu->joblog_append, &m->joblog);
		if (r) {
			snprintf(m->rep->error, sizeof(m->rep->error),
				 "cannot open the joblog %s: %s", m->o->gnu->joblog,
				 strerror(-r));
			return r;
		}
	}
	/* The swarm's cgroup is made after the drop, under a parent made
	 * now; without cgroup v2 the run falls back to process groups. */
	if (!no_cgroup())
		cgroup_prepare();
	boost(m);
	return coord_drop_privileges(m->o->user, m->rep);
}

/* The logs directory is the agents' user's when --user is given; a --logs
 * DIR it cannot write would fail every spawn later, so try it now. */
static int check_logs_writable(struct master *m)
{
	char probe[64];
	int fd;

	if (!m->o->user)
		return 0;
	snprintf(probe, sizeof(probe), ".swarm-probe.%d", (int)getpid());
	fd = openat(m->logs_fd, probe, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(m->rep->error, sizeof(m->rep->error),
			 "log directory %.150s is not writable by --user %s",
			 m->logs_path, m->o->user->name);
		return -EACCES;
	}
	close(fd);
	unlinkat(m->logs_fd, probe, 0);
	return 0;
}

static int setup(struct master *m, enum setup_step *step)
{
	int err;

	*step = STEP_TASKS;
	if ((err = load_tasks(m)))
		return err;
	*step = STEP_COMMAND;
	if ((err = resolve_argv(m)))
		return err;
	*step = STEP_SELF;
	if ((err = swarm_self_path(m->exe, sizeof(m->exe))))
		return err;
	*step = STEP_COMMAND;
	if (m->o->user && (err = check_user(m)))
		return err;
	*step = STEP_PRIVS;
	if ((err = drop_privileges(m)))
		return err;
	*step = STEP_BUS;
	/* Under NATS the bus takes the swarm's name (status ID finds it). */
	if ((err = bus_create(NULL, m->o->nats ? m->o->nats->swarm : NULL, NULL,
			      &m->bus))) {
		if (err == -EEXIST)
			snprintf(m->rep->error, sizeof(m->rep->error),
				 "swarm %s already exists on this host (another master "
				 "runs it; `swarm gc` removes a dead one's bus)",
				 m->o->nats->swarm);
		return err;
	}
	snprintf(m->rep->bus_dir, sizeof(m->rep->bus_dir), "%s", bus_path(m->bus));
	/* Held until we exit: `swarm gc` removes the bus of a dead master.
	 * Where the filesystem refuses OFD locks gc just leaves it alone. */
	bus_hold(m->bus);
	*step = STEP_PIDFILE;
	if ((err = write_pid_file(m)))
		return err;
	/* GNU parallel mode prints the tasks' output: no logs unless asked. */
	*step = STEP_LOGS;
	if (!(m->o->gnu && !m->o->logs_dir)) {
		if ((err = open_logs(m)))
			return err;
		/* Named in the report at once: a later setup failure must still
		 * let the caller remove the (empty) default directory. */
		snprintf(m->rep->logs_dir, sizeof(m->rep->logs_dir), "%s", m->logs_path);
		if ((err = check_logs_writable(m)))
			return err;
	}
	*step = STEP_INBOX;
	if ((err = inbox_open(m->bus, "master", &m->self)) ||
	    (err = inbox_reader_begin(m->self)))
		return err;
	m->notify_fd = inbox_notify_fd(m->self);
	if (m->notify_fd < 0)
		return m->notify_fd;
	*step = STEP_LOOP;
	if ((err = setup_events(m)))
		return err;
	if (m->o->metrics_file || m->o->metrics_listen) {
		struct epoll_event ev = { .events = EPOLLIN };

		*step = STEP_METRICS;
		err = coord_metrics_new(m->o->metrics_file, m->o->metrics_listen,
					&m->metrics);
		if (err == -EINVAL || err == -EADDRNOTAVAIL)
			snprintf(m->rep->error, sizeof(m->rep->error),
				 "--metrics-listen '%s': want a loopback "
				 "address like 127.0.0.1:9464", m->o->metrics_listen);
		if (err)
			return err;
		m->ev_metrics = EV_METRICS;
		ev.data.ptr = &m->ev_metrics;
		if (coord_metrics_fd(m->metrics) >= 0) {
			epoll_ctl(m->epfd, EPOLL_CTL_ADD,
				  coord_metrics_fd(m->metrics), &ev);
			fprintf(stderr, "swarm: metrics at http://127.0.0.1:%u/metrics\n",
				coord_metrics_port(m->metrics));
		}
	}
	/* Without cgroup v2 (or permission) we fall back to process groups. */
	{
		char name[NAME_MAX_LEN + 1];

		snprintf(name, sizeof(name), "swarm-%s", bus_id(m->bus));
		m->have_cg = !no_cgroup() && cgroup_create(name, &m->cg) == 0;
		if (m->have_cg) {
			snprintf(m->rep->cgroup, sizeof(m->rep->cgroup), "%s", m->cg.path);
			write_bus_file(m, "cgroup", m->cg.path);
		}
	}
	return 0;
}

void master_drain(struct master *m)
{
	struct bus_msg msg;
	uint64_t junk;
	int r;

	if (read(m->notify_fd, &junk, sizeof(junk)) < 0 && errno != EAGAIN)
		return;
	while ((r = inbox_next(m->self, &msg)) == 1) {
		if (m->topo->on_msg(m, &msg))
			continue;
		ctl_on_msg(m, &msg);
	}
	inbox_commit(m->self);
}

static void on_signal(struct master *m)
{
	struct signalfd_siginfo si;

	while (read(m->sigfd, &si, sizeof(si)) == sizeof(si))
		if (!m->stop_sig)
			m->stop_sig = (int)si.ssi_signo;
}

static void dispatch(struct master *m, void *ptr)
{
	int kind = *(int *)ptr;

	switch (kind) {
	case POOL_EV_CHILD:
	case EV_COORD:
	case EV_TOPO:
		m->topo->on_event(m, ptr);
		break;
	case EV_SIGNAL:
		on_signal(m);
		break;
	case EV_METRICS:
		coord_metrics_step(m->metrics);
		break;
	case EV_HOOK:
		hook_tick(m);
		break;
	default:
		break; /* EV_INBOX: drained before every batch */
	}
}

static int wait_ms(struct master *m, int tick_ms)
{
	uint64_t now = now_ns();
	int64_t left;
	int ms = 100;   /* sampling cadence when nothing else is due */

	if (tick_ms >= 0 && tick_ms < ms)
		ms = tick_ms;
	if (m->deadline && !m->paused) {
		left = ((int64_t)m->deadline - (int64_t)now) / 1000000 + 1;
		if (left < ms)
			ms = left < 0 ? 0 : (int)left;
	}
	return ms;
}

/* Run until every task has an outcome, the deadline passes or a signal
 * arrives. */
static void loop(struct master *m)
{
	struct epoll_event evs[128];
	/* start ran the first burst: poll at once for the rest. */
	int n, i, tick = -1, more = 1;

	while (m->done < m->tl.n && !m->stop_sig) {
		n = epoll_wait(m->epfd, evs, 128, more ? 0 : wait_ms(m, tick));
		if (n < 0 && errno != EINTR)
			break;
		/* Answers first: an agent that answered and exited must be
		 * credited, not failed, whatever order epoll reports. */
		master_drain(m);
		for (i = 0; i < n; i++)
			dispatch(m, evs[i].data.ptr);
		if (m->out && run_output_broken(m->out) && !m->stop_sig)
			m->stop_sig = SIGPIPE;   /* like a reader that went away */
		if (m->o->gnu)
			progress_show(&m->prog, m->done, m->rep->failed,
				      m->topo->pending(m), m->tl.n, 0);
		{
			int spawning = more;

			m->topo->step(m, &more, &tick);
			/* The spawn phase just ended: show the whole swarm now,
			 * not at the next once-a-second publish. */
			if (spawning && !more && m->metrics)
				publish_metrics(m, 1);
		}
		master_sample(m, 0);
		if (now_ns() - m->last_tick >= 1000000000ull)
			hook_tick(m);
		if (m->metrics && now_ns() - m->last_publish >= 1000000000ull) {
			coord_metrics_step(m->metrics);
			publish_metrics(m, 1);
		}
		if (m->deadline && !m->paused && now_ns() >= m->deadline &&
		    m->done < m->tl.n) {
			master_drain(m);
			if (m->done < m->tl.n)
				m->rep->timed_out = 1;
			break;
		}
	}
}

static void stop_everything(struct master *m)
{
	int st = m->stop_sig ? TS_INTERRUPTED : TS_TIMEOUT;
	const char *why = m->stop_sig ? "interrupt" : "timeout";
	int grace = (m->stop_sig || m->rep->timed_out) ? 300 : COORD_STOP_GRACE_MS;

	if (m->paused) {
		m->topo->pause(m, 0);
		m->paused = 0;
	}
	if (m->done < m->tl.n)
		m->topo->abort(m, st, why);
	m->topo->finish(m, grace);
	/* Anything left in the group (grandchildren of agents) goes too. */
	if (m->have_cg) {
		cgroup_kill(&m->cg);
		cgroup_wait_empty(&m->cg, 2000);
	}
	if (m->out)
		run_output_flush(m->out);
	progress_clear(&m->prog);
}

static void fill_report(struct master *m)
{
	struct run_report *r = m->rep;
	uint64_t end = m->t_done ? m->t_done : now_ns();

	r->topology = m->topo->name;
	r->expected = m->tl.n;
	r->coordination_s = (double)(end - m->t0) / 1e9;
	r->total_s = (double)(now_ns() - m->t0) / 1e9;
	r->lat_samples = m->lat.n;
	r->lat_p50_us = lat_percentile(&m->lat, 50);
	r->lat_p95_us = lat_percentile(&m->lat, 95);
	r->lat_p99_us = lat_percentile(&m->lat, 99);
	r->shm_peak_bytes = m->shm_peak;
	r->rss_peak_kb = proc_rss_peak_kb();
	r->agents_rss_peak_kb = proc_children_rss_peak_kb();
	m->topo->report(m, r);
	if (m->fds_peak > r->fds_peak)
		r->fds_peak = m->fds_peak;
	if (r->interrupted)
		r->exit_code = 128 + m->stop_sig;
	else if (r->delivered == r->expected ||
		 (m->halted && m->halted_success && !m->n_failed))
		r->exit_code = EXIT_OK;
	else
		r->exit_code = r->timed_out ? EXIT_TIMEOUT : EXIT_JOB;
}

static void cleanup(struct master *m)
{
	master_top_free(m);
	coord_metrics_free(m->metrics);
	m->topo->free(m);
	if (m->have_cg)
		cgroup_remove(&m->cg);
	if (m->self)
		inbox_close(m->self);
	if (m->bus) {
		if (m->o->keep) {
			bus_disown(m->bus);   /* kept on purpose: not gc's */
			bus_close(m->bus);
		}
		else
			bus_destroy(m->bus);
	}
	if (m->results)
		fclose(m->results);
	if (m->joblog)
		fclose(m->joblog);
	run_output_free(m->out);
	if (m->logs_fd >= 0)
		close(m->logs_fd);
	if (m->sigfd >= 0)
		close(m->sigfd);
	if (m->epfd >= 0)
		close(m->epfd);
	lat_free(&m->lat);
	free(m->flags);
	free(m->argv);
	tasks_free(&m->tl);
}

int coord_run(const struct run_opts *o, const struct report_kernel *kernel,
	      struct run_report *rep, enum setup_step *step)
{
	struct master m;
	struct rlimit rl;
	int err;

	/* Signals become events of the loop. Blocked before anything starts
	 * a thread (the bus's notify helper), or that thread would take them
	 * with the default action; agents get an empty mask back. */
	coord_block_signals();
	/* A hybrid master holds a pidfd per coordinator, and a flat one may
	 * hold an inbox and an output pipe per running agent: 1000 agents can
	 * need more than the usual soft limit of 1024 fds. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	memset(&m, 0, sizeof(m));
	m.o = o;
	m.rep = rep;
	m.notify_fd = m.epfd = m.sigfd = m.logs_fd = -1;
	m.cg.dirfd = -1;
	rep->kernel = kernel;
	m.topo = o->nats ? &topo_nats : o->hybrid ? &topo_hybrid : &topo_flat;
	m.step = step;
	rep->topology = m.topo->name;
	m.t0 = m.last_tick = now_ns();
	m.t0_wall = wall_ns();
	m.stdout_mode = o->plain || o->task_stdin || replace_has(o->argv);
	timeline_begin(o->timeline, getpid(), rep->topology, m.t0);
	err = setup(&m, step);
	if (err)
		goto out;
	if (o->timeout_s > 0)
		m.deadline = m.t0 + (uint64_t)(o->timeout_s * 1e9);
	if (o->hooks && o->hooks->started)
		o->hooks->started(o->hooks->arg, bus_path(m.bus),
				  m.have_cg ? m.cg.id : 0, (int)getpid());
	*step = STEP_AGENTS;
	err = m.topo->start(&m);
	if (err) {
		/* Some agents may be running already: take them down. */
		m.stop_sig = SIGTERM;
		stop_everything(&m);
		goto out;
	}
	master_sample(&m, 1);
	publish_metrics(&m, 1);
	loop(&m);
	rep->interrupted = m.stop_sig != 0;
	stop_everything(&m);
	master_sample(&m, 1);
	timeline_end(o->timeline, now_ns());
	m.topo->after(&m);
	master_top_final(&m);
	publish_metrics(&m, 0);
	if (o->hooks && o->hooks->finished)
		o->hooks->finished(o->hooks->arg);
	fill_report(&m);
	rep->bus_kept = o->keep;
	err = rep->exit_code;
out:
	cleanup(&m);
	return err;
}
