/* swarm soak: rounds of a swarm back to back, sampled every interval.
 *
 * Each round is a fresh master: the soak process forks, the child runs
 * coord_run() (no exec, like swarm run itself) and reports back over a
 * pipe: the bus directory once it exists (run_hooks.started), the round's
 * outcome at the end. The parent never touches the swarm; it only reads
 * /proc, so what it measures is what an operator would see. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus.h"
#include "json.h"
#include "metrics.h"
#include "metrics_http.h"
#include "run_args.h"
#include "soak_impl.h"
#include "swarm.h"
#include "tasks.h"
#include "trace.h"

#define CUT_GRACE_NS (5ull * 1000000000ull)

static volatile sig_atomic_t soak_stop_sig;

static void on_signal(int sig)
{
	soak_stop_sig = sig;
}

/* ---- the round child ---- */

static int child_pipe = -1;

static void child_started(void *arg, const char *bus_dir, uint64_t cg, int pid)
{
	struct round_msg m;

	(void)arg; (void)cg; (void)pid;
	memset(&m, 0, sizeof(m));
	m.kind = MSG_STARTED;
	snprintf(m.bus_dir, sizeof(m.bus_dir), "%s", bus_dir);
	write_full(child_pipe, &m, sizeof(m));
}

/* Agents that died by a signal nobody sent them on purpose. */
static void crashes_of(const struct run_report *rep, struct round_res *r)
{
	size_t i;

	r->restarts = rep->coordinator_restarts;
	for (i = 0; i < rep->nfailures; i++) {
		const struct report_failure *f = &rep->failures[i];

		if (f->exit_status >= 0 || f->status == TS_TIMEOUT ||
		    f->status == TS_INTERRUPTED || f->status == TS_HUNG)
			continue;
		if (f->task >= 0)
			r->agent_crashes++;
		if (r->ncrash < 4)
			snprintf(r->crash[r->ncrash++], sizeof(r->crash[0]),
				 "%s %s: %s", f->task >= 0 ? "agent" : "coordinator",
				 f->agent, f->reason);
	}
}

static void round_child(const struct soak_opts *o, int fd)
{
	struct run_hooks hooks = { .started = child_started };
	struct report_kernel kern = { .off_reason = "not traced in soak rounds" };
	struct run_opts ro = o->run;
	struct run_report *rep = calloc(1, sizeof(*rep));
	struct round_msg m;
	enum setup_step step = STEP_START;
	int r;

	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	/* Our only fd beyond stdio is the pipe: no metrics socket, no sample
	 * log is held by the master or counted in its fds. */
	if (dup2(fd, 3) < 0)
		_exit(EXIT_ENV);
	close_range(4, ~0u, 0);
	child_pipe = 3;
	ro.hooks = &hooks;
	ro.metrics_file = ro.metrics_listen = NULL;
	if (!rep)
		_exit(EXIT_ENV);
	r = coord_run(&ro, &kern, rep, &step);
	memset(&m, 0, sizeof(m));
	m.kind = MSG_DONE;
	if (r < 0) {
		m.res.setup_err = r;
		m.res.usage = setup_step_exit(step, r) == EXIT_USAGE;
		if (rep->error[0])
			snprintf(m.res.error, sizeof(m.res.error), "%s", rep->error);
		else if (r == -ENOENT && step == STEP_COMMAND)
			snprintf(m.res.error, sizeof(m.res.error),
				 "command '%s' not found", ro.argv[0]);
		else
			snprintf(m.res.error, sizeof(m.res.error), "%s failed: %s",
				 setup_step_text(step), strerror(-r));
	} else {
		m.res.expected = rep->expected;
		m.res.delivered = rep->delivered;
		m.res.failed = rep->failed;
		m.res.coordination_s = rep->coordination_s;
		m.res.interrupted = rep->interrupted;
		m.res.exit_code = r;
		crashes_of(rep, &m.res);
	}
	write_full(3, &m, sizeof(m));
	_exit(r < 0 ? EXIT_ENV : r);
}

/* ---- the parent ---- */

static double secs(const struct soak *s, uint64_t ns)
{
	return (double)(ns - s->t0) / 1e9;
}

static int start_round(struct soak *s)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (pid == 0) {
		close(p[0]);
		round_child(s->o, p[1]);
	}
	close(p[1]);
	s->child = pid;
	s->pipe_fd = p[0];
	/* its exit wakes the loop without blocking it (the pipe's EOF comes
	 * when its files are closed, well before the exit is complete) */
	s->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	s->round++;
	s->cut = s->got_done = 0;
	s->bus_dir[0] = 0;
	memset(&s->res, 0, sizeof(s->res));
	return 0;
}

static void add_crash(struct soak_report *rep, const char *fmt, unsigned round,
		      const char *what)
{
	if (rep->ncrashes < SOAK_MAX_CRASHES)
		snprintf(rep->crashes[rep->ncrashes++], sizeof(rep->crashes[0]),
			 fmt, round, what);
}

static void round_line(struct soak *s, int status)
{
	const struct round_res *r = &s->res;
	struct jsonw w;

	if (!s->samples)
		return;
	jsonw_init_file(&w, s->samples);
	jsonw_start_object(&w);
	jsonw_int_field(&w, "schema_version", SOAK_SCHEMA_VERSION);
	jsonw_string_field(&w, "type", "round");
	jsonw_uint_field(&w, "round", s->round);
	jsonw_float_field(&w, "t_s", "%.3f", secs(s, now_ns()));
	jsonw_uint_field(&w, "expected", r->expected);
	jsonw_uint_field(&w, "delivered", r->delivered);
	jsonw_uint_field(&w, "failed", r->failed);
	jsonw_float_field(&w, "delivery_rate", "%.4f",
			  r->expected ? (double)r->delivered / (double)r->expected : 0.0);
	jsonw_float_field(&w, "coordination_s", "%.3f", r->coordination_s);
	jsonw_uint_field(&w, "agent_crashes", r->agent_crashes);
	jsonw_uint_field(&w, "coordinator_restarts", r->restarts);
	jsonw_int_field(&w, "exit_code", r->exit_code);
	jsonw_bool_field(&w, "cut", s->cut);
	jsonw_int_field(&w, "wait_status", status);
	jsonw_end_object(&w);
	jsonw_newline(&w);
	fflush(s->samples);
}

static void push_round(struct soak *s, uint64_t now)
{
	double rate = s->res.expected ?
		100.0 * (double)s->res.delivered / (double)s->res.expected : 0;
	double cs = s->res.coordination_s;
	size_t b = (size_t)((double)(now - s->t0) / (double)(s->deadline - s->t0) *
			    SOAK_BUCKETS);

	if (b >= SOAK_BUCKETS)
		b = SOAK_BUCKETS - 1;
	s->bucket_sum[b] += rate;
	s->bucket_n[b]++;
	if (!s->nrounds++) {
		s->rate_min = rate;
		s->cs_min = s->cs_max = cs;
	}
	if (rate < s->rate_min)
		s->rate_min = rate;
	if (cs < s->cs_min)
		s->cs_min = cs;
	if (cs > s->cs_max)
		s->cs_max = cs;
	s->rate_sum += rate;
	s->cs_sum += cs;
	s->last_rate = rate;
	s->last_coord_s = cs;
}

/* The round's master is gone: account for it. Returns -errno to end the
 * soak (setup failure). */
static int finish_round(struct soak *s, int status)
{
	struct soak_report *rep = s->rep;
	const struct round_res *r = &s->res;
	unsigned i;

	if (s->pipe_fd >= 0)
		close(s->pipe_fd);
	if (s->pidfd >= 0)
		close(s->pidfd);
	s->pipe_fd = s->pidfd = -1;
	s->child = 0;
	round_line(s, status);
	if (s->got_done && r->setup_err) {
		snprintf(rep->error, sizeof(rep->error), "%s", r->error);
		return r->setup_err;
	}
	if (!s->got_done) {
		/* died before it could report, and not by our hand */
		if (!s->cut && !soak_stop_sig && WIFSIGNALED(status)) {
			rep->coord_crashes++;
			add_crash(rep, "round %u: master %s", s->round,
				  strsignal(WTERMSIG(status)));
		}
		return 0;
	}
	if (s->cut || r->interrupted) {
		rep->rounds_cut++;
		return 0;
	}
	rep->rounds++;
	rep->tasks_expected += r->expected;
	rep->tasks_delivered += r->delivered;
	s->failed_total += r->failed;
	rep->agent_crashes += r->agent_crashes;
	rep->coord_crashes += r->restarts;
	for (i = 0; i < r->ncrash; i++)
		add_crash(rep, "round %u: %s", s->round, r->crash[i]);
	push_round(s, now_ns());
	return 0;
}

/* Read one message from the child; 1 on EOF. */
static int read_msg(struct soak *s)
{
	struct round_msg m;
	ssize_t n = read_full(s->pipe_fd, &m, sizeof(m));

	if (n != (ssize_t)sizeof(m))
		return 1;
	if (m.kind == MSG_STARTED) {
		memcpy(s->bus_dir, m.bus_dir, sizeof(s->bus_dir));
		s->bus_dir[sizeof(s->bus_dir) - 1] = 0;
	} else if (m.kind == MSG_DONE) {
		s->res = m.res;
		s->got_done = 1;
	}
	return 0;
}

static void on_pipe(struct soak *s)
{
	if (read_msg(s)) {
		close(s->pipe_fd);
		s->pipe_fd = -1;
	}
}

/* The child is gone (or, without a pidfd, its pipe closed): take what it
 * wrote last, reap it, account for the round. */
static int on_exit_child(struct soak *s, int block)
{
	int status = 0;
	pid_t r;

	while (s->pipe_fd >= 0 && !read_msg(s))
		;
	r = RETRY_EINTR(waitpid(s->child, &status, block ? 0 : WNOHANG));
	if (r == 0)
		return 0;     /* not yet: the pidfd will say */
	if (r < 0)
		status = 0;
	return finish_round(s, status);
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;  /* no SA_RESTART: poll must return */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static int open_outputs(struct soak *s, int *usage)
{
	const struct soak_opts *o = s->o;
	int err = 0;

	if (o->samples_file) {
		s->samples = fopen(o->samples_file, "we");
		if (!s->samples) {
			err = -errno;
			snprintf(s->rep->error, sizeof(s->rep->error),
				 "cannot write --samples %s: %s", o->samples_file,
				 strerror(errno));
			return err;
		}
	}
	if (!o->metrics_file && !o->metrics_listen)
		return 0;
	err = metrics_new(&s->m);
	if (!err)
		err = metrics_declare_swarm(s->m);
	if (!err)
		err = soak_metrics_declare(s->m);
	if (!err && o->metrics_listen) {
		err = metrics_http_start(o->metrics_listen, &s->http);
		if (err == -EINVAL || err == -EADDRNOTAVAIL)
			*usage = 1;
		if (err)
			snprintf(s->rep->error, sizeof(s->rep->error),
				 "--metrics-listen %s: %s", o->metrics_listen,
				 err == -EADDRNOTAVAIL ? "not a loopback address"
						       : strerror(-err));
		else
			fprintf(stderr, "swarm: soak: metrics at http://127.0.0.1:%u/metrics\n",
				metrics_http_port(s->http));
	}
	return err;
}

static int poll_timeout(const struct soak *s, uint64_t now)
{
	uint64_t until = s->next_sample;

	if (now < s->deadline && s->deadline < until)
		until = s->deadline;
	if (until <= now)
		return 0;
	until -= now;
	return until > 1000000000ull ? 1000 : (int)(until / 1000000 + 1);
}

static int loop(struct soak *s)
{
	uint64_t now;
	int err = 0, sig_sent = 0;

	while (!err) {
		struct pollfd p[3] = { { .fd = -1 }, { .fd = -1 }, { .fd = -1 } };

		now = now_ns();
		if (soak_stop_sig && s->child && !sig_sent) {
			kill(s->child, SIGTERM);
			sig_sent = 1;
		}
		if (!s->child && (now >= s->deadline || soak_stop_sig))
			break;
		if (!s->child && (err = start_round(s)))
			break;
		if (now >= s->deadline && !s->cut) {
			s->cut = 1;   /* the round in flight is cut short */
			s->cut_at = now;
			kill(s->child, SIGTERM);
		} else if (s->cut && now - s->cut_at > CUT_GRACE_NS) {
			kill(s->child, SIGKILL);
		}
		if (now >= s->next_sample) {
			soak_sample(s, now);
			while (s->next_sample <= now)
				s->next_sample += (uint64_t)(s->o->interval_s * 1e9);
		}
		p[0].fd = s->pipe_fd;
		p[0].events = POLLIN;
		p[1].fd = s->pidfd;
		p[1].events = POLLIN;
		if (s->http) {
			p[2].fd = metrics_http_fd(s->http);
			p[2].events = POLLIN;
		}
		if (poll(p, 3, poll_timeout(s, now)) < 0 && errno != EINTR)
			err = -errno;
		if (!err && p[0].revents)
			on_pipe(s);
		if (!err && (p[1].revents || (s->pidfd < 0 && s->pipe_fd < 0)))
			err = on_exit_child(s, s->pidfd < 0);
		if (s->http)
			metrics_http_step(s->http, 0);
		if (s->kt)
			tracer_poll(s->kt, 0);   /* at least once a second */
	}
	return err;
}

int soak_run(const struct soak_opts *o, struct soak_report *rep, int *usage)
{
	struct soak s;
	int err;

	memset(&s, 0, sizeof(s));
	s.o = o;
	s.rep = rep;
	s.pipe_fd = s.pidfd = -1;
	*usage = 0;
	rep->duration_s = o->duration_s;
	rep->interval_s = o->interval_s;
	snprintf(rep->logs_dir, sizeof(rep->logs_dir), "%s", o->run.logs_dir);
	s.tr.logs_dir = rep->logs_dir;
	s.tr.hybrid = o->run.hybrid;
	err = open_outputs(&s, usage);
	if (err)
		goto out;
	soak_kernel_open(&s);
	install_signals();
	s.t0 = now_ns();
	s.deadline = s.t0 + (uint64_t)(o->duration_s * 1e9);
	s.next_sample = s.t0 + (uint64_t)(o->interval_s * 1e9);
	err = loop(&s);
	if (err && s.child) {
		kill(s.child, SIGKILL);
		waitpid(s.child, NULL, 0);
	}
	if (err && !rep->error[0])
		snprintf(rep->error, sizeof(rep->error), "%s", strerror(-err));
	if (err && s.round == 1 && s.res.usage)
		*usage = 1;
	rep->elapsed_s = secs(&s, now_ns());
	rep->interrupted = soak_stop_sig;
	if (!err)
		soak_conclude(&s);
out:
	if (o->progress)
		fputs("\r\033[K", stderr);
	if (s.pipe_fd >= 0)
		close(s.pipe_fd);
	if (s.pidfd >= 0)
		close(s.pidfd);
	if (s.samples)
		fclose(s.samples);
	if (s.http)
		metrics_http_stop(s.http);
	metrics_free(s.m);
	if (s.kt)
		tracer_close(s.kt);
	tracker_free(&s.tr);
	if (err)
		return err;
	return rep->exit_code;
}
