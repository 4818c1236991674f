/* Worker pool: spawn agents, hand out tasks, match answers, see exits. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "coord_pool.h"
#include "json.h"
#include "coord_proto.h"
#include "coord_sys.h"
#include "fault.h"
#include "replace.h"
#include "spawn_process.h"

struct pool {
	int ev_kind;                  /* POOL_EV_CHILD: epoll data of chldfd */
	struct pool_cfg cfg;
	int epfd;
	int chldfd;                   /* signalfd for SIGCHLD */
	struct pool_slot *slots;
	struct task **q;              /* FIFO of queued tasks */
	size_t qhead, qlen, qcap;
	unsigned *freeslots;          /* used slots without a process */
	size_t nfree;
	unsigned next_unused;
	unsigned alive, processes, retried;
	size_t running;
	int no_more, halted;
	int spooling;                 /* exit_stdout_mode hands the spool on */
	uint64_t msgs_sent, msgs_recv, unexpected;
	uint64_t spawn_first_ns, spawn_last_ns, last_tick;
	struct agent_env env;
	char *outbuf;                 /* TASK_OUTPUT_MAX + 1 */
	char path[4096];
};

static void slot_kill(struct pool *p, struct pool_slot *s, int sig);
static void drop_queued(struct pool *p, const char *why);
static int heartbeat_tick(struct pool *p, uint64_t now);

/* Exits are seen through one signalfd for SIGCHLD, not a pidfd per agent:
 * a master of 1000 live agents held 1000 fds for nothing else. Every child
 * of a pool's process is one of its agents (the tracer's holder is a
 * grandchild, setup helpers are reaped before the first spawn), so
 * waitpid(-1) reaps only ours; a pid cannot be reused before we reap it,
 * so kill(pid) stays safe. SIGCHLD is blocked (coord_block_signals does it
 * before any thread starts; here too for this thread). The owner reads
 * its inbox before it hands us the signal: an agent's answer is written
 * before its exit, so an exit is never taken for one without an answer.
 * (Reaping on a timer instead would break that order.) */
static int child_fd(struct pool *p)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &p->ev_kind };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	p->chldfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (p->chldfd < 0)
		return -errno;
	if (p->epfd >= 0 && epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->chldfd, &ev) < 0)
		return -errno;
	return 0;
}

int pool_new(const struct pool_cfg *cfg, int epfd, struct pool **out)
{
	struct pool *p = calloc(1, sizeof(*p));
	unsigned i;
	int err = -ENOMEM;

	if (!p)
		return -ENOMEM;
	p->cfg = *cfg;
	p->epfd = epfd;
	p->ev_kind = POOL_EV_CHILD;
	p->chldfd = -1;
	if (!p->cfg.max_parallel || p->cfg.max_parallel > p->cfg.nslots)
		p->cfg.max_parallel = p->cfg.nslots;
	if (!p->cfg.spawn_burst)
		p->cfg.spawn_burst = POOL_SPAWN_BURST;
	p->slots = calloc(cfg->nslots, sizeof(*p->slots));
	p->freeslots = calloc(cfg->nslots, sizeof(*p->freeslots));
	p->outbuf = malloc(TASK_OUTPUT_MAX + 1);
	if (!p->slots || !p->freeslots || !p->outbuf)
		goto fail;
	for (i = 0; i < cfg->nslots; i++) {
		struct pool_slot *s = &p->slots[i];

		s->idx = i;
		s->spool[0] = s->spool[1] = -1;
		if ((size_t)snprintf(s->name, sizeof(s->name), "%s%u", cfg->prefix,
				     i + 1) >= sizeof(s->name) || name_valid(s->name)) {
			err = -ENAMETOOLONG;
			goto fail;
		}
	}
	err = agent_env_init(&p->env, bus_path(cfg->bus), cfg->swarm_id);
	if (err)
		goto fail;
	err = child_fd(p);
	if (err)
		goto fail;
	*out = p;
	return 0;
fail:
	pool_free(p);
	return err;
}

static void spool_close(struct pool_slot *s)
{
	for (int i = 0; i < 2; i++)
		if (s->spool[i] >= 0) {
			close(s->spool[i]);
			s->spool[i] = -1;
		}
}

void pool_free(struct pool *p)
{
	unsigned i;

	if (!p)
		return;
	for (i = 0; p->slots && i < p->cfg.nslots; i++)
		spool_close(&p->slots[i]);
	if (p->chldfd >= 0)
		close(p->chldfd);
	agent_env_free(&p->env);
	free(p->slots);
	free(p->freeslots);
	free(p->q);
	free(p->outbuf);
	free(p);
}

int pool_add(struct pool *p, struct task *t)
{
	if (p->qlen == p->qcap) {
		size_t cap = p->qcap ? p->qcap * 2 : 256, i;
		struct task **nq = malloc(cap * sizeof(*nq));

		if (!nq)
			return -ENOMEM;
		for (i = 0; i < p->qlen; i++)
			nq[i] = p->q[(p->qhead + i) % p->qcap];
		free(p->q);
		p->q = nq;
		p->qcap = cap;
		p->qhead = 0;
	}
	p->q[(p->qhead + p->qlen) % p->qcap] = t;
	p->qlen++;
	t->state = TASK_QUEUED;
	return 0;
}

static struct task *q_pop(struct pool *p)
{
	struct task *t;

	if (!p->qlen)
		return NULL;
	t = p->q[p->qhead];
	p->qhead = (p->qhead + 1) % p->qcap;
	p->qlen--;
	return t;
}

static int slot_send(struct pool *p, struct pool_slot *s, uint32_t type,
		     const void *data, size_t len)
{
	struct bus_out m = { .data = data, .len = (uint32_t)len, .type = type };
	struct inbox *in;
	int err;

	/* Opened per send: keeping 1000 inboxes open would cost 1000+ fds. */
	err = inbox_open(p->cfg.bus, s->name, &in);
	if (err)
		return err;
	err = inbox_send(in, p->cfg.self, &m);
	inbox_close(in);
	if (!err)
		p->msgs_sent++;
	return err;
}

static void journal(struct pool *p, struct pool_slot *s, struct task *t)
{
	char line[NAME_MAX_LEN + 32];
	int n;

	if (p->cfg.journal_fd < 0)
		return;
	n = proto_journal_encode(line, sizeof(line), s->name, t->id);
	/* One O_APPEND write: a crash leaves whole lines only. */
	if (n < 0 || write_full(p->cfg.journal_fd, line, (size_t)n))
		return;
	/* Dying here: journaled but never sent; the task is redone. */
	FAULT_POINT("coord-journal");
}

static void finish(struct pool *p, struct task *t, int status, int exit_code,
		   const char *reason, const char *out, size_t len)
{
	if (t->state == TASK_RUNNING && p->running)
		p->running--;
	t->state = TASK_DONE;
	t->status = (uint8_t)status;
	t->exit_code = exit_code;
	t->t_end_ns = now_ns();
	snprintf(t->reason, sizeof(t->reason), "%s", reason ? reason : "");
	if (p->cfg.on_done)
		p->cfg.on_done(p->cfg.arg, t, out, len);
	/* Every outcome reaches on_spool once, so an ordered printer is
	 * never left waiting for a task that did not run. */
	if (p->cfg.spool && p->cfg.on_spool && !p->spooling)
		p->cfg.on_spool(p->cfg.arg, t, -1, -1);
}

static void start_task(struct pool *p, struct pool_slot *s, struct task *t)
{
	s->task = t;
	s->hung = 0;
	s->last_seen_ns = now_ns();
	t->state = TASK_RUNNING;
	t->t_start_ns = s->last_seen_ns;
	t->attempts++;
	t->slot = s->idx + 1;
	s->timed_out = s->halted = 0;
	s->deadline_ns = p->cfg.task_timeout_ns ? s->last_seen_ns + p->cfg.task_timeout_ns : 0;
	snprintf(t->agent, sizeof(t->agent), "%s", s->name);
	p->running++;
}

/* Bus mode: put the task in the slot's inbox. */
static int send_task(struct pool *p, struct pool_slot *s, struct task *t)
{
	int err;

	journal(p, s, t);
	err = slot_send(p, s, MSG_TASK, t->text, t->len);
	if (err) {
		char why[96];

		snprintf(why, sizeof(why), "could not send the task: %s",
			 bus_strerror(err));
		t->state = TASK_RUNNING;
		p->running++;
		snprintf(t->agent, sizeof(t->agent), "%s", s->name);
		finish(p, t, TS_SPAWN, 0, why, NULL, 0);
		return err;
	}
	/* Dying here: the worker may answer into our inbox after we are
	 * gone; the journal maps that answer to this task (salvage). */
	if (p->cfg.journal_fd >= 0)
		FAULT_POINT("coord-dispatch");
	start_task(p, s, t);
	return 0;
}

static int open_log(struct pool *p, const char *name, const char *ext)
{
	char file[NAME_MAX_LEN + 8];

	snprintf(file, sizeof(file), "%s.%s", name, ext);
	return openat(p->cfg.logs_fd, file,
		      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
}

static int stdin_for(struct task *t)
{
	int fd = memfd_create("swarm-task", MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (write_full(fd, t->text, t->len) || write_full(fd, "\n", 1) ||
	    lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return -EIO;
	}
	return fd;
}

/* Fresh memfds for the task's stdout and stderr: creating one costs a few
 * us, a file in a log directory on ext4 much more, and the output stays
 * whole until the owner prints it. */
static int spool_open(struct pool_slot *s)
{
	spool_close(s);
	s->spool[0] = memfd_create("swarm-out", MFD_CLOEXEC);
	s->spool[1] = memfd_create("swarm-err", MFD_CLOEXEC);
	if (s->spool[0] < 0 || s->spool[1] < 0) {
		int err = -errno;

		spool_close(s);
		return err;
	}
	return 0;
}

/* CMD for task t: replacement strings filled in, or its columns appended. */
static int task_argv(struct pool *p, struct pool_slot *s, struct task *t,
		     char ***out)
{
	const char *one[1] = { t->text };
	const char **cols = one;
	struct replace_in in = { .cols = one, .ncols = 1, .seq = t->id + 1,
				 .slot = s->idx + 1 };
	int append = p->cfg.append_args && !p->cfg.task_stdin, err;
	uint32_t i;

	if (t->ncols > 1) {
		const char *c = t->cols;

		cols = malloc(t->ncols * sizeof(*cols));
		if (!cols)
			return -ENOMEM;
		for (i = 0; i < t->ncols; i++) {
			cols[i] = c;
			c += strlen(c) + 1;
		}
		in.cols = cols;
		in.ncols = t->ncols;
	}
	err = replace_argv(p->cfg.argv, &in, append, out);
	if (cols != one)
		free(cols);
	return err;
}

/* Start a process in slot s for task t (already sent in bus mode). */
static int spawn_slot(struct pool *p, struct pool_slot *s, struct task *t)
{
	struct spawn_req r = { .argv = p->cfg.argv, .envp = p->env.envp,
			       .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1,
			       .cgroup_fd = p->cfg.cgroup_fd,
			       .new_pgroup = p->cfg.new_pgroup,
			       .die_with_parent = 1, .user = p->cfg.user,
			       .set_nice = p->cfg.set_nice, .nice = p->cfg.nice,
			       .no_pidfd = 1 };
	struct spawned sp;
	char **argv = NULL;
	struct stat st;
	char logname[NAME_MAX_LEN + 8];
	int err;

	agent_env_set(&p->env, s->name, p->cfg.self_name, t ? t->id + 1 : 0);
	if (p->cfg.stdout_mode && p->cfg.spool) {
		err = spool_open(s);
		if (err)
			goto out;
		r.stdout_fd = s->spool[0];
		r.stderr_fd = s->spool[1];
	} else if (p->cfg.stdout_mode) {
		r.stdout_fd = open_log(p, s->name, "out");
		r.stderr_fd = open_log(p, s->name, "err");
		if (r.stdout_fd < 0 || r.stderr_fd < 0) {
			err = -errno;
			goto out;
		}
		s->out_off = fstat(r.stdout_fd, &st) ? 0 : st.st_size;
	}
	if (p->cfg.stdout_mode) {
		if (t) {
			err = task_argv(p, s, t, &argv);
			if (err)
				goto out;
			r.argv = argv;
		}
		if (t && p->cfg.task_stdin) {
			r.stdin_fd = stdin_for(t);
			if (r.stdin_fd < 0) {
				err = r.stdin_fd;
				goto out;
			}
		}
	} else {
		snprintf(logname, sizeof(logname), "%s.log", s->name);
		r.log_dirfd = p->cfg.logs_fd;
		r.log_name = logname;
		r.applet = p->cfg.applet;
		r.applet_argc = p->cfg.applet_argc;
		r.applet_argv = p->cfg.applet_argv;
	}
	err = spawn_process(&r, &sp);
	if (err)
		goto out;
	s->pid = sp.pid;
	if (p->cfg.on_spawn)
		p->cfg.on_spawn(p->cfg.arg, sp.pid, s->name);
	s->answered = 0;
	s->stop_sent = 0;
	s->used = 1;
	/* swarm top's "starting": an agent that has neither read its task
	 * nor spoken (a plain command never does: busy from the start). */
	s->heard = p->cfg.stdout_mode;
	p->alive++;
	p->processes++;
	p->spawn_last_ns = now_ns();
	if (!p->spawn_first_ns)
		p->spawn_first_ns = p->spawn_last_ns;
out:
	if (r.stdin_fd >= 0)
		close(r.stdin_fd);
	if (p->cfg.spool) {
		if (err)
			spool_close(s);
	} else {
		if (r.stdout_fd >= 0)
			close(r.stdout_fd);
		if (r.stderr_fd >= 0 && r.stderr_fd != r.stdout_fd)
			close(r.stderr_fd);
	}
	free(argv);
	return err;
}

/* Give task t to slot s, starting a process there if it has none. */
static void run_on_slot(struct pool *p, struct pool_slot *s, struct task *t)
{
	char why[96];
	int err;

	if (!p->cfg.stdout_mode && send_task(p, s, t))
		return;
	if (p->cfg.stdout_mode)
		start_task(p, s, t);
	if (s->pid > 0)
		return;
	err = spawn_slot(p, s, t);
	if (err) {
		snprintf(why, sizeof(why), "could not start the agent: %s",
			 strerror(-err));
		s->task = NULL;
		finish(p, t, TS_SPAWN, 0, why, NULL, 0);
		p->freeslots[p->nfree++] = s->idx;
	}
}

static struct pool_slot *find_idle(struct pool *p)
{
	unsigned i;

	/* Idle live agents exist only between answers; a scan is cheap next
	 * to the send that follows. */
	for (i = 0; i < p->next_unused; i++) {
		struct pool_slot *s = &p->slots[i];

		if (s->pid > 0 && !s->task && !s->stop_sent)
			return s;
	}
	return NULL;
}

int pool_fill(struct pool *p)
{
	struct pool_slot *s;
	struct task *t;
	unsigned spawned = 0;
	uint64_t start = now_ns();

	while (p->qlen) {
		/* Spawn in short bursts and go back to the event loop in
		 * between, so early agents' answers are read while later ones
		 * start: a burst ends after spawn_burst processes or
		 * POOL_SPAWN_SLICE_NS, whichever comes first. A spawn of a
		 * shell agent costs ~1-3 ms here, so a count alone let answers
		 * wait ~100 ms behind 32 spawns. */
		if (spawned >= p->cfg.spawn_burst ||
		    (spawned && now_ns() - start >= POOL_SPAWN_SLICE_NS))
			return 1;
		/* Every slot gets a process before any agent gets a second
		 * task: -n N means N agents. */
		s = NULL;
		if (p->next_unused < p->cfg.nslots && p->alive < p->cfg.max_parallel)
			s = &p->slots[p->next_unused++];
		if (!s)
			s = find_idle(p);
		if (!s && p->nfree && p->alive < p->cfg.max_parallel)
			s = &p->slots[p->freeslots[--p->nfree]];
		if (!s)
			return 0;
		if (s->pid <= 0)
			spawned++;
		t = q_pop(p);
		run_on_slot(p, s, t);
	}
	if (p->no_more)
		pool_no_more(p);
	return 0;
}

void pool_no_more(struct pool *p)
{
	unsigned i;

	p->no_more = 1;
	if (p->qlen)
		return;
	for (i = 0; i < p->next_unused; i++) {
		struct pool_slot *s = &p->slots[i];

		if (s->pid > 0 && !s->task && !s->stop_sent) {
			s->stop_sent = 1;
			slot_send(p, s, MSG_STOP, "", 0);
		}
	}
}

static struct pool_slot *slot_by_name(struct pool *p, const char *name)
{
	size_t pl = strlen(p->cfg.prefix);
	uint64_t n;

	if (strncmp(name, p->cfg.prefix, pl) || parse_u64(name + pl, &n) ||
	    n < 1 || n > p->cfg.nslots || name[pl] == '0')
		return NULL;
	return &p->slots[n - 1];
}

/* After an answer: next task to the same agent, or STOP. */
static void after_answer(struct pool *p, struct pool_slot *s)
{
	struct task *t;

	if (s->pid <= 0)
		return;
	if (p->cfg.stdout_mode)
		return;
	/* Unused slots come first (see pool_fill); then this agent. If the
	 * unused slots will take every queued task, this agent is done: stop
	 * it now rather than keep it until the last spawn. */
	if (p->qlen && p->next_unused < p->cfg.nslots &&
	    p->alive < p->cfg.max_parallel) {
		if (p->no_more && p->qlen <= p->cfg.nslots - p->next_unused &&
		    !s->stop_sent) {
			s->stop_sent = 1;
			slot_send(p, s, MSG_STOP, "", 0);
		}
		return;
	}
	t = q_pop(p);
	if (t) {
		send_task(p, s, t);
		return;
	}
	if (p->no_more && !s->stop_sent) {
		s->stop_sent = 1;
		slot_send(p, s, MSG_STOP, "", 0);
	}
}

int pool_on_msg(struct pool *p, const struct bus_msg *m)
{
	struct pool_slot *s = slot_by_name(p, m->from);
	struct task *t;
	uint64_t now, wall;
	char why[128];
	size_t l;

	if (!s)
		return 0;
	p->msgs_recv++;
	now = now_ns();
	s->last_seen_ns = now;
	s->hung = 0;
	s->heard = 1;
	if (m->type == MSG_HEARTBEAT || m->type == MSG_CONTROL ||
	    m->type == MSG_STOP || m->type == MSG_TASK)
		return 1;
	t = s->task;
	if (!t || p->cfg.stdout_mode) {
		p->unexpected++;
		return 1;
	}
	s->task = NULL;
	s->answered++;
	wall = wall_ns();
	t->latency_ns = wall > m->ts_ns ? wall - m->ts_ns : 0;
	if (p->cfg.lat)
		lat_add(p->cfg.lat, t->latency_ns / 1000);
	l = m->len > TASK_OUTPUT_MAX ? TASK_OUTPUT_MAX : m->len;
	if (m->type == MSG_FAIL) {
		snprintf(why, sizeof(why), "agent reported failure: %.*s",
			 (int)(l > 80 ? 80 : l), (const char *)m->data);
		for (char *c = why; *c; c++)
			if (*c == '\n' || *c == '\r')
				*c = ' ';
		finish(p, t, TS_FAILED, 0, why, m->data, l);
	} else {
		finish(p, t, TS_OK, 0, NULL, m->data, l);
	}
	after_answer(p, s);
	return 1;
}

static uint64_t inbox_depth(struct pool *p, const char *name)
{
	struct inbox *in;
	struct inbox_info info;
	uint64_t d = 0;

	if (inbox_open(p->cfg.bus, name, &in))
		return 0;
	if (!inbox_info(in, &info))
		d = info.depth;
	inbox_close(in);
	return d;
}

static size_t read_output(struct pool *p, struct pool_slot *s)
{
	char file[NAME_MAX_LEN + 8];
	ssize_t n;
	int fd;

	snprintf(file, sizeof(file), "%s.out", s->name);
	fd = openat(p->cfg.logs_fd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 0;
	n = pread(fd, p->outbuf, TASK_OUTPUT_MAX, s->out_off);
	close(fd);
	return n > 0 ? (size_t)n : 0;
}

static void describe_exit(char *buf, size_t len, int wstatus, const char *what)
{
	int code = spawn_exit_code(wstatus);

	if (code < 0)
		snprintf(buf, len, "killed by signal %d (%s)%s%s", -code,
			 strsignal(-code), *what ? " " : "", what);
	else
		snprintf(buf, len, "exited with status %d%s%s", code, *what ? " " : "", what);
}

static size_t read_spool(struct pool *p, struct pool_slot *s)
{
	ssize_t n;

	if (!p->cfg.want_output || s->spool[0] < 0)
		return 0;
	n = pread(s->spool[0], p->outbuf, TASK_OUTPUT_MAX, 0);
	return n > 0 ? (size_t)n : 0;
}

/* A failed attempt with attempts left goes to the back of the queue; its
 * output is dropped, as GNU parallel --retries does. */
static int retry(struct pool *p, struct pool_slot *s, struct task *t)
{
	if (p->halted || t->attempts >= p->cfg.retries)
		return 0;
	spool_close(s);
	s->task = NULL;
	if (p->running)
		p->running--;
	if (pool_add(p, t))
		return 0;
	p->retried++;
	return 1;
}

/* Stdout mode: the exit decides the task. */
static void exit_stdout_mode(struct pool *p, struct pool_slot *s, int wstatus)
{
	struct task *t = s->task;
	int code = spawn_exit_code(wstatus), status = TS_OK;
	char why[128] = "";
	size_t n;

	if (s->timed_out) {
		snprintf(why, sizeof(why), "timed out after %.3g s (--task-timeout); ",
			 (double)p->cfg.task_timeout_ns / 1e9);
		status = TS_TIMEOUT;
	} else if (s->halted) {
		snprintf(why, sizeof(why), "stopped by --halt; ");
		status = TS_KILLED;
	} else if (code) {
		status = TS_FAILED;
	}
	if (status != TS_OK && status != TS_KILLED && retry(p, s, t))
		return;
	n = p->cfg.spool ? read_spool(p, s) : read_output(p, s);
	s->task = NULL;
	if (status != TS_OK) {
		describe_exit(why + strlen(why), sizeof(why) - strlen(why), wstatus, "");
		if (code == 127)
			snprintf(why + strlen(why), sizeof(why) - strlen(why),
				 " (command not found?)");
	}
	p->spooling = p->cfg.spool && s->spool[0] >= 0;
	finish(p, t, status, code, status == TS_OK ? NULL : why, p->outbuf, n);
	if (p->spooling && p->cfg.on_spool) {
		p->spooling = 0;
		p->cfg.on_spool(p->cfg.arg, t, s->spool[0], s->spool[1]);
		s->spool[0] = s->spool[1] = -1;
	}
	p->spooling = 0;
	spool_close(s);
}

/* Slot s's process ended with wstatus (already reaped). */
static void slot_exited(struct pool *p, struct pool_slot *s, int wstatus)
{
	struct task *t = s->task;
	char why[128];

	if (p->cfg.on_exit)
		p->cfg.on_exit(p->cfg.arg, s->pid, wstatus);
	s->pid = 0;
	p->alive--;
	/* For swarm top: gone with its task unanswered, or failing it. */
	s->failed = t && (!p->cfg.stdout_mode || spawn_exit_code(wstatus) != 0);
	if (t && p->cfg.stdout_mode) {
		exit_stdout_mode(p, s, wstatus);
	} else if (t && s->answered && inbox_depth(p, s->name)) {
		/* A one-shot agent answered and left; its next task is still
		 * unread in the inbox: a fresh process in this slot takes it. */
		if (spawn_slot(p, s, t) == 0)
			return;
		s->task = NULL;
		finish(p, t, TS_SPAWN, 0, "could not restart the agent", NULL, 0);
	} else if (t && !s->answered && inbox_depth(p, s->name)) {
		/* It never even read its task: a plain command run as an agent. */
		describe_exit(why, sizeof(why), wstatus, "without answering, its task "
			      "unread (a plain command? add {} or -j N)");
		s->task = NULL;
		finish(p, t, TS_EXITED, spawn_exit_code(wstatus), why, NULL, 0);
	} else if (t) {
		describe_exit(why, sizeof(why), wstatus, "without answering");
		s->task = NULL;
		finish(p, t, TS_EXITED, spawn_exit_code(wstatus), why, NULL, 0);
	}
	/* Its task was ended without it (pool_abort): the output goes. */
	spool_close(s);
	/* The owner's loop calls pool_fill once per round: refilling here,
	 * once per exit, would starve the inbox during a spawn burst. */
	p->freeslots[p->nfree++] = s->idx;
}

/* --task-timeout: SIGTERM at the deadline, SIGKILL a grace later; ms
 * until the next of those is due (-1: none). */
static int tick_timeouts(struct pool *p, uint64_t now)
{
	uint64_t next = UINT64_MAX;
	unsigned i;

	for (i = 0; i < p->next_unused; i++) {
		struct pool_slot *s = &p->slots[i];

		if (!s->task || s->pid <= 0 || (!s->deadline_ns && !s->halted))
			continue;
		if (!s->timed_out && !s->halted && s->deadline_ns && now >= s->deadline_ns) {
			s->timed_out = 1;
			slot_kill(p, s, SIGTERM);
			s->kill_ns = now + POOL_KILL_GRACE_NS;
		}
		if (!s->timed_out && !s->halted) {
			next = s->deadline_ns < next ? s->deadline_ns : next;
			continue;
		}
		if (s->kill_ns && now >= s->kill_ns) {
			slot_kill(p, s, SIGKILL);
			s->kill_ns = 0;
		}
		if (s->kill_ns && s->kill_ns < next)
			next = s->kill_ns;
	}
	return next == UINT64_MAX ? -1 : (int)((next - now) / 1000000ull) + 1;
}

int pool_tick(struct pool *p, uint64_t now)
{
	int ms = p->cfg.task_timeout_ns || p->halted ? tick_timeouts(p, now) : -1, hb;

	if (!p->cfg.heartbeat_ns)
		return ms;
	hb = heartbeat_tick(p, now);
	return ms < 0 || hb < ms ? hb : ms;
}

static int heartbeat_tick(struct pool *p, uint64_t now)
{
	unsigned i;

	/* We tick every quarter heartbeat; a longer gap means we were not
	 * running (frozen by swarm pause, stopped, starved): the agents'
	 * silence over that gap is not theirs. */
	if (p->last_tick && now - p->last_tick > p->cfg.heartbeat_ns)
		pool_touch(p);
	p->last_tick = now;
	for (i = 0; i < p->next_unused; i++) {
		struct pool_slot *s = &p->slots[i];

		if (!s->task || s->hung || s->pid <= 0)
			continue;
		if (now - s->last_seen_ns > p->cfg.heartbeat_ns) {
			s->hung = 1;
			if (p->cfg.on_hung)
				p->cfg.on_hung(p->cfg.arg, s->task);
		}
	}
	/* A quarter of the heartbeat: hung agents are flagged at most 25 %
	 * late, at a handful of wake-ups per second. */
	return (int)(p->cfg.heartbeat_ns / 4000000ull) + 1;
}

size_t pool_pending(const struct pool *p)
{
	return p->qlen + p->running;
}

unsigned pool_alive(const struct pool *p)
{
	return p->alive;
}

static void slot_kill(struct pool *p, struct pool_slot *s, int sig)
{
	if (s->pid <= 0)
		return;
	/* The pid cannot be reused while we hold it unreaped. */
	if (p->cfg.new_pgroup)
		kill(-s->pid, sig);
	kill(s->pid, sig);
}

void pool_signal(struct pool *p, int sig)
{
	unsigned i;

	for (i = 0; i < p->next_unused; i++)
		slot_kill(p, &p->slots[i], sig);
}

void pool_abort(struct pool *p, int status, const char *why)
{
	struct task *t;
	unsigned i;
	char buf[128];

	for (i = 0; i < p->next_unused; i++) {
		struct pool_slot *s = &p->slots[i];

		t = s->task;
		if (!t)
			continue;
		s->task = NULL;
		slot_kill(p, s, SIGKILL);
		if (status == TS_TIMEOUT && s->hung) {
			snprintf(buf, sizeof(buf), "hung: silent past the heartbeat, "
				 "killed at the %s", why);
			finish(p, t, TS_HUNG, 0, buf, NULL, 0);
		} else {
			snprintf(buf, sizeof(buf), "no answer before the %s; killed", why);
			finish(p, t, status, -SIGKILL, buf, NULL, 0);
		}
	}
	drop_queued(p, why);
}

/* Queued tasks that will never run. */
static void drop_queued(struct pool *p, const char *why)
{
	struct task *t;
	char buf[128];

	while ((t = q_pop(p))) {
		snprintf(t->agent, sizeof(t->agent), "-");
		snprintf(buf, sizeof(buf), "never started (%s)", why);
		t->state = TASK_DONE;
		/* A retried task did run: its last attempt's times stay. */
		if (!t->attempts)
			t->t_start_ns = 0;
		finish(p, t, TS_NOT_STARTED, 0, buf, NULL, 0);
	}
}

void pool_halt(struct pool *p, int kill_running, const char *why)
{
	unsigned i;

	p->halted = 1;
	drop_queued(p, why);
	if (!kill_running)
		return;
	for (i = 0; i < p->next_unused; i++) {
		struct pool_slot *s = &p->slots[i];

		if (s->task && s->pid > 0 && !s->halted) {
			s->halted = 1;
			slot_kill(p, s, SIGTERM);
			/* pool_tick sends the SIGKILL if it is still there */
			s->kill_ns = now_ns() + POOL_KILL_GRACE_NS;
			s->timed_out = 0;
		}
	}
}

static struct pool_slot *slot_of_pid(struct pool *p, pid_t pid)
{
	unsigned i;

	/* a scan: 1000 exits of 1000 agents are a million compares, ~1 ms */
	for (i = 0; i < p->next_unused; i++)
		if (p->slots[i].pid == pid)
			return &p->slots[i];
	return NULL;
}

void pool_on_children(struct pool *p)
{
	struct signalfd_siginfo si;
	struct pool_slot *s;
	pid_t pid[64];
	int ws[64], n, i;

	/* SIGCHLDs coalesce: the signal says "some", waitpid says which */
	while (read(p->chldfd, &si, sizeof(si)) == sizeof(si))
		;
	do {
		for (n = 0; n < 64 && (pid[n] = waitpid(-1, &ws[n], WNOHANG)) > 0; n++)
			;
		if (!n)
			return;
		/* An agent writes its answer before it exits; one that exited
		 * after the owner's last drain has it still unread: read it
		 * now, or the exit would count as one without an answer. */
		if (p->cfg.drain)
			p->cfg.drain(p->cfg.arg);
		for (i = 0; i < n; i++)
			if ((s = slot_of_pid(p, pid[i])))
				slot_exited(p, s, ws[i]);
	} while (n == 64);
}

/* Reap whatever exits within ms; returns live agents left. */
static unsigned wait_exits(struct pool *p, int ms)
{
	uint64_t end = now_ns() + (uint64_t)ms * 1000000ull;
	struct pollfd pf = { p->chldfd, POLLIN, 0 };
	int left;

	pool_on_children(p);
	while (p->alive) {
		left = (int)(((int64_t)end - (int64_t)now_ns()) / 1000000);
		if (left < 0 || poll(&pf, 1, left) <= 0)
			break;
		pool_on_children(p);
	}
	return p->alive;
}

void pool_shutdown(struct pool *p, int grace_ms)
{
	p->qlen = 0;
	pool_no_more(p);
	if (!wait_exits(p, grace_ms))
		return;
	pool_signal(p, SIGTERM);
	if (!wait_exits(p, 500))
		return;
	pool_signal(p, SIGKILL);
	wait_exits(p, 5000);
}

void pool_touch(struct pool *p)
{
	uint64_t now = now_ns();
	unsigned i;

	for (i = 0; i < p->next_unused; i++)
		p->slots[i].last_seen_ns = now;
}

void pool_status(struct pool *p, FILE *f, struct jsonw *w)
{
	unsigned i;

	for (i = 0; i < p->cfg.nslots; i++) {
		struct pool_slot *s = &p->slots[i];
		const char *st = s->pid <= 0 ? (s->used ? "exited" : "not-started")
			       : s->hung ? "hung" : s->task ? "busy" : "idle";

		if (w) {
			jsonw_start_object(w);
			jsonw_string_field(w, "name", s->name);
			jsonw_int_field(w, "pid", s->pid);
			jsonw_string_field(w, "state", st);
			if (s->task)
				jsonw_uint_field(w, "task", s->task->id + 1);
			else
				jsonw_null_field(w, "task");
			jsonw_end_object(w);
			continue;
		}
		fprintf(f, "%-12s %8d %-12s", s->name, (int)s->pid, st);
		if (s->task)
			fprintf(f, " task %u", s->task->id + 1);
		fputc('\n', f);
	}
}

void pool_probe_started(struct pool *p, unsigned max)
{
	unsigned i;

	/* Bounded: a swarm of slow starters costs at most max inbox opens
	 * per request, and each slot is probed only until it has read. */
	for (i = 0; i < p->next_unused && max; i++) {
		struct pool_slot *s = &p->slots[i];

		if (s->pid <= 0 || s->heard || !s->task)
			continue;
		max--;
		if (!inbox_depth(p, s->name))
			s->heard = 1;
	}
}

const struct pool_slot *pool_slots(const struct pool *p, unsigned *n)
{
	*n = p->next_unused;
	return p->slots;
}

void pool_get_stats(const struct pool *p, struct pool_stats *st)
{
	unsigned i, used = 0;

	for (i = 0; i < p->next_unused; i++)
		used += p->slots[i].used;
	st->agents = used;
	st->processes = p->processes;
	st->retried = p->retried;
	st->msgs_sent = p->msgs_sent;
	st->msgs_recv = p->msgs_recv;
	st->unexpected = p->unexpected;
	st->spawn_first_ns = p->spawn_first_ns;
	st->spawn_last_ns = p->spawn_last_ns;
}
