/* `swarm run --topology hybrid --bus nats://...`: the master of a swarm
 * whose coordinators may sit on any host. Tasks go into the swarm's
 * JetStream stream; C coordinators are started here (`swarm coordinator
 * --join`), any number more can join from other hosts; results come back
 * through the stream, counted once per task (nats_ledger.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "replace.h"
#include "bus.h"
#include "coord_nats.h"
#include "coord_sys.h"
#include "core_path.h"
#include "nats_mesh.h"
#include "priv.h"
#include "run_logs.h"
#include "spawn_process.h"
#include "swarm.h"
#include "tasks.h"

#define HIST_LEN 256
/* After SIGTERM: long enough for a coordinator to drop its bus, short
 * enough that a run whose server is gone still ends promptly. */
#define COORD_TERM_WAIT_MS 1500

extern char **environ;

struct lcoord {                     /* a coordinator started here */
	char name[NAME_MAX_LEN + 1];
	char bus_id[NAME_MAX_LEN + 1];  /* its private bus, removed if it dies */
	unsigned idx, gen;
	pid_t pid;
	int pidfd;
};

struct nmaster {
	const struct run_opts *o;
	const struct nats_run_opts *no;
	struct run_report *rep;
	struct nm_master *nm;
	struct task_list tl;
	struct lcoord *lc;
	unsigned nlc;
	int sigfd, logs_fd, stop_sig;
	FILE *results;
	char swarm[NAME_MAX_LEN + 1];
	char exe[PATH_MAX];
	char logs_path[PATH_MAX];
	uint64_t t0, deadline, t_done, quiet_since, msgs, last_tick;
};

/* The report's "nats" section, rendered before the connection closes
 * (the report is printed after coord_run_nats returns). */
struct nats_section {
	struct report_kernel k;
	char *json, *text;
};

static void random_id(char *out, size_t len)
{
	unsigned char b[4] = { 0 };

	if (getrandom(b, sizeof(b), 0) != sizeof(b)) {
		uint64_t t = now_ns() ^ (uint64_t)getpid();
		memcpy(b, &t, sizeof(b));
	}
	snprintf(out, len, "s%02x%02x%02x%02x", b[0], b[1], b[2], b[3]);
}

static int load_tasks(struct nmaster *m)
{
	size_t bad = 0;
	int err;

	if (m->o->tasks_file)
		err = tasks_load_file(m->o->tasks_file, &m->tl, &bad);
	else
		err = tasks_generate(m->o->n, &m->tl);
	if (err && m->o->tasks_file)
		tasks_load_error(m->o->tasks_file, bad, err, m->rep->error,
				 sizeof(m->rep->error));
	/* An empty task list is an empty run (0/0, exit 0), as on one host. */
	return err;
}

static int open_logs(struct nmaster *m)
{
	char leaf[128];
	int err;

	snprintf(leaf, sizeof(leaf), "swarm-run-%s", m->swarm);
	err = run_logs_open(m->o->logs_dir, leaf, m->logs_path,
			    sizeof(m->logs_path), &m->logs_fd);

	if (err == -EPERM)
		snprintf(m->rep->error, sizeof(m->rep->error),
			 "log directory %.200s exists and is not ours alone", m->logs_path);
	return err;
}

static int spawn_coord(struct nmaster *m, struct lcoord *c)
{
	char workers[16], maxp[16], hb[32], file[NAME_MAX_LEN + 8];
	char *argv[40 + 1024];
	struct spawn_req r = { .argv = argv, .envp = environ, .stdin_fd = -1,
			       .new_pgroup = 1, .die_with_parent = 1, .cgroup_fd = -1,
			       .user = m->o->user };
	struct spawned sp;
	size_t a = 0, i;
	int err, fd;

	if (c->gen)
		snprintf(c->name, sizeof(c->name), "c%ur%u", c->idx + 1, c->gen);
	else
		snprintf(c->name, sizeof(c->name), "c%u", c->idx + 1);
	random_id(c->bus_id, sizeof(c->bus_id));
	snprintf(workers, sizeof(workers), "%u", m->o->workers);
	snprintf(maxp, sizeof(maxp), "%u", m->o->max_parallel);
	snprintf(hb, sizeof(hb), "%.3f", m->o->heartbeat_s);
	argv[a++] = m->exe;
	argv[a++] = "coordinator";
	argv[a++] = "--join";
	argv[a++] = (char *)m->no->url;
	argv[a++] = "--swarm";
	argv[a++] = m->swarm;
	argv[a++] = "--name";
	argv[a++] = c->name;
	argv[a++] = "--workers";
	argv[a++] = workers;
	argv[a++] = "--max-parallel";
	argv[a++] = maxp;
	argv[a++] = "--heartbeat";
	argv[a++] = hb;
	argv[a++] = "--logs";
	argv[a++] = m->logs_path;
	argv[a++] = "--bus-id";
	argv[a++] = c->bus_id;
	if (m->o->task_stdin || replace_has(m->o->argv))
		argv[a++] = "--stdout-mode";
	if (m->o->task_stdin)
		argv[a++] = "--task-stdin";
	argv[a++] = "--";
	for (i = 0; m->o->argv[i] && a < sizeof(argv) / sizeof(argv[0]) - 1; i++)
		argv[a++] = m->o->argv[i];
	argv[a] = NULL;
	snprintf(file, sizeof(file), "%s.log", c->name);
	fd = openat(m->logs_fd, file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC |
		    O_NOFOLLOW, 0600);
	r.stdout_fd = r.stderr_fd = fd;
	err = spawn_process(&r, &sp);
	if (fd >= 0)
		close(fd);
	if (err)
		return err;
	c->pid = sp.pid;
	c->pidfd = sp.pidfd;
	/* The kernel tracers follow the master's tree; this names the branch. */
	if (m->o->hooks && m->o->hooks->spawned)
		m->o->hooks->spawned(m->o->hooks->arg, (int)sp.pid, c->name);
	return 0;
}

static struct report_coord *coord_entry(struct run_report *r, const char *name)
{
	struct report_coord *v;
	size_t i;

	for (i = 0; i < r->ncoords; i++)
		if (!strcmp(r->coords[i].name, name))
			return &r->coords[i];
	v = realloc(r->coords, (r->ncoords + 1) * sizeof(*v));
	if (!v)
		return NULL;
	r->coords = v;
	v = &r->coords[r->ncoords++];
	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", name);
	return v;
}

static void history_reason(struct nmaster *m, uint32_t task, const char *what,
			   char *out, size_t len)
{
	char hist[HIST_LEN];

	if (!ledger_history(nm_master_ledger(m->nm), task, hist, sizeof(hist)))
		snprintf(hist, sizeof(hist), "none seen");
	/* Long histories are cut: the report keeps their start. */
	if (snprintf(out, len, "%s; deliveries: %s", what, hist) >= (int)len)
		out[len - 1] = 0;
}

static void on_result(struct nmaster *m, const struct nm_event *ev)
{
	struct run_report *r = m->rep;
	struct task *t = &m->tl.v[ev->task];
	uint64_t now = now_ns();

	t->state = TASK_DONE;
	t->status = (uint8_t)ev->status;
	t->exit_code = ev->exit_code;
	t->attempts = ev->attempt;
	t->t_end_ns = now;
	t->t_start_ns = now - ev->dur_us * 1000;
	snprintf(t->agent, sizeof(t->agent), "%s", ev->agent[0] ? ev->agent : ev->coord);
	snprintf(t->reason, sizeof(t->reason), "%s", ev->reason);
	if (t->status == TS_OK) {
		r->delivered++;
	} else {
		r->failed++;
		report_add_failure(r, t->agent, t->reason, t->exit_code,
				   (int64_t)t->id, t->status);
	}
	if (m->results)
		report_result_line(m->results, t, ev->out, ev->out_len,
				   ev->out_len >= TASK_OUTPUT_MAX);
}

static void on_failed(struct nmaster *m, uint32_t task, const char *what)
{
	struct task *t = &m->tl.v[task];
	char reason[sizeof(t->reason)];

	history_reason(m, task, what, reason, sizeof(reason));
	t->state = TASK_DONE;
	t->status = TS_LOST;
	snprintf(t->agent, sizeof(t->agent), "-");
	snprintf(t->reason, sizeof(t->reason), "%s", reason);
	m->rep->failed++;
	report_add_failure(m->rep, "-", reason, 0, (int64_t)task, TS_LOST);
	if (m->results)
		report_result_line(m->results, t, NULL, 0, 0);
}

static void on_event(struct nmaster *m, const struct nm_event *ev)
{
	struct report_coord *c;

	m->msgs++;
	switch (ev->kind) {
	case NM_EV_RESULT:
		on_result(m, ev);
		break;
	case NM_EV_FAILED:
		on_failed(m, ev->task, ev->reason);
		break;
	case NM_EV_FAILOVER:
		fprintf(stderr, "swarm: coordinator %s lost (last heard of %.1f s ago): %llu "
			"open tasks handed to the others\n", ev->coord, (double)ev->dur_us / 1e6,
			(unsigned long long)ev->hb_held);
		break;
	case NM_EV_HEARTBEAT:
		if (ev->hb_returned)
			fprintf(stderr, "swarm: coordinator %s is back; what it finished "
				"meanwhile counts once\n", ev->coord);
		c = coord_entry(m->rep, ev->coord);
		if (c) {
			c->pid = ev->hb_pid;
			c->workers = ev->hb_want;
		}
		break;
	}
}

/* Nothing can be delivered any more, yet tasks are open: the server gave
 * them up and its advisory did not reach us (we were reconnecting). */
static void sweep_open(struct nmaster *m)
{
	const struct ledger *led = nm_master_ledger(m->nm);
	uint32_t i;

	for (i = 0; i < led->n; i++)
		if (led->t[i].state == LEDGER_OPEN) {
			ledger_exhausted((struct ledger *)led, i, led->t[i].max_attempt);
			on_failed(m, i, "no result and nothing left to deliver");
		}
}

/* Collect a coordinator that has exited. One that was killed (or died)
 * could not remove its private bus: we know it by its id. */
static void reap_coord(struct lcoord *c)
{
	int ws = 0;

	spawn_reap(c->pidfd, &ws);
	close(c->pidfd);
	c->pidfd = -1;
	bus_remove(NULL, c->bus_id);
}

static void on_event(struct nmaster *m, const struct nm_event *ev);

static void on_coord_exit(struct nmaster *m, struct lcoord *c)
{
	struct nm_event ev;

	reap_coord(c);
	if (ledger_open(nm_master_ledger(m->nm)) == 0 || m->stop_sig)
		return;
	/* Its unacked tasks go back to the others now (nats_failover.h),
	 * not after AckWait; a replacement keeps this host's share of the
	 * capacity. */
	if (nm_master_coord_gone(m->nm, c->name, &ev) == 1)
		on_event(m, &ev);
	if (c->gen >= COORD_MAX_RESTARTS)
		return;
	c->gen++;
	m->rep->coordinator_restarts++;
	if (spawn_coord(m, c) == 0) {
		struct report_coord *rc = coord_entry(m->rep, c->name);
		if (rc)
			rc->restarts = c->gen;
	}
}

/* The tracer's hook: when its ring buffer has events, and once a second. */
static void tick_hooks(struct nmaster *m, int ready)
{
	const struct run_hooks *h = m->o->hooks;

	if (!h || !h->tick || (!ready && now_ns() - m->last_tick < 1000000000ull))
		return;
	m->last_tick = now_ns();
	h->tick(h->arg);
}

static void watch_processes(struct nmaster *m)
{
	struct pollfd pf[2 + 256];
	struct signalfd_siginfo si;
	unsigned i, n = 0, first;
	const struct run_hooks *h = m->o->hooks;
	int hook_fd = h && h->event_fd > 0 ? h->event_fd : -1;

	pf[n].fd = m->sigfd;
	pf[n++].events = POLLIN;
	pf[n].fd = hook_fd;          /* poll ignores -1 */
	pf[n++].events = POLLIN;
	first = n;
	for (i = 0; i < m->nlc && n < sizeof(pf) / sizeof(pf[0]); i++) {
		pf[n].fd = m->lc[i].pidfd;
		pf[n++].events = POLLIN;
	}
	if (poll(pf, n, 0) <= 0) {
		tick_hooks(m, 0);
		return;
	}
	if (pf[0].revents)
		while (read(m->sigfd, &si, sizeof(si)) == sizeof(si))
			if (!m->stop_sig)
				m->stop_sig = (int)si.ssi_signo;
	tick_hooks(m, pf[1].revents != 0);
	for (i = first; i < n; i++)
		if (pf[i].revents && pf[i].fd >= 0)
			on_coord_exit(m, &m->lc[i - first]);
}

static void loop(struct nmaster *m)
{
	const struct ledger *led = nm_master_ledger(m->nm);
	struct nm_event ev;

	while (ledger_open(led) && !m->stop_sig) {
		if (now_ns() >= m->deadline) {
			m->rep->timed_out = 1;
			break;
		}
		watch_processes(m);
		if (nm_master_poll(m->nm, 50, &ev) == 1) {
			on_event(m, &ev);
			m->quiet_since = 0;
			continue;
		}
		if (!m->quiet_since)
			m->quiet_since = now_ns();
		else if (now_ns() - m->quiet_since > 1000000000ull &&
			 nm_master_drained(m->nm) == 1) {
			if (nm_master_poll(m->nm, 500, &ev) == 1) {
				on_event(m, &ev);
				m->quiet_since = 0;
				continue;
			}
			sweep_open(m);
		}
	}
	if (!ledger_open(led))
		m->t_done = now_ns();
	/* Heartbeats already on their way name the coordinators for the
	 * report: a short drain. */
	while (!m->stop_sig && nm_master_poll(m->nm, 50, &ev) == 1)
		on_event(m, &ev);
}

/* Tasks without an outcome at the end: timed out or interrupted. */
static void report_missing(struct nmaster *m)
{
	const struct ledger *led = nm_master_ledger(m->nm);
	int st = m->stop_sig ? TS_INTERRUPTED : TS_TIMEOUT;
	char reason[128];
	uint32_t i;

	for (i = 0; i < led->n; i++) {
		if (led->t[i].state != LEDGER_OPEN)
			continue;
		history_reason(m, i, m->stop_sig ? "interrupted" : "no result before the timeout",
			       reason, sizeof(reason));
		report_add_failure(m->rep, "-", reason, 0, (int64_t)i, st);
	}
}

/* Coordinators still running: the ones that exited are collected. */
static unsigned reap_exited(struct nmaster *m)
{
	unsigned i, alive = 0;

	for (i = 0; i < m->nlc; i++) {
		struct lcoord *c = &m->lc[i];
		struct pollfd pf = { .fd = c->pidfd, .events = POLLIN };

		if (c->pidfd < 0)
			continue;
		if (poll(&pf, 1, 0) == 1)
			reap_coord(c);
		else
			alive++;
	}
	return alive;
}

static unsigned wait_exited(struct nmaster *m, int ms)
{
	uint64_t end = now_ns() + (uint64_t)ms * 1000000ull;
	unsigned alive;

	while ((alive = reap_exited(m)) && now_ns() < end)
		poll(NULL, 0, 20);
	return alive;
}

static void signal_local(struct nmaster *m, int sig)
{
	unsigned i;

	for (i = 0; i < m->nlc; i++)
		if (m->lc[i].pidfd >= 0) {
			kill(-m->lc[i].pid, sig);
			kill(m->lc[i].pid, sig);
		}
}

/* The end notice (in nm_master_close) lets the local coordinators go.
 * One still there after the grace is asked to stop (SIGTERM: it hands
 * its tasks back and removes its bus), then killed with its group; the
 * bus of a killed one is removed here (reap_coord). */
static void stop_local(struct nmaster *m, int grace_ms)
{
	if (!wait_exited(m, grace_ms))
		return;
	signal_local(m, SIGTERM);
	if (!wait_exited(m, COORD_TERM_WAIT_MS))
		return;
	signal_local(m, SIGKILL);
	wait_exited(m, 5000);
}

static void nats_json(FILE *f, void *arg)
{
	struct nmaster *m = arg;
	const struct ledger *led = nm_master_ledger(m->nm);
	char hist[HIST_LEN];
	uint32_t i;
	int first = 1;

	fputs("{\"url\":", f);
	report_json_str(f, m->no->url, strlen(m->no->url));
	fputs(",\"swarm\":", f);
	report_json_str(f, m->swarm, strlen(m->swarm));
	fprintf(f, ",\"redelivered_tasks\":%llu,\"duplicate_results\":%llu,"
		"\"gave_up\":%llu,\"reconnects\":%llu,\"redeliveries\":[",
		(unsigned long long)led->redelivered_tasks,
		(unsigned long long)led->duplicates,
		(unsigned long long)led->exhausted,
		(unsigned long long)nm_master_reconnects(m->nm));
	for (i = 0; i < led->n; i++) {
		if (led->t[i].max_attempt <= 1)
			continue;
		ledger_history(led, i, hist, sizeof(hist));
		fprintf(f, "%s{\"task\":%u,\"deliveries\":%u,\"history\":",
			first ? "" : ",", i + 1, led->t[i].max_attempt);
		report_json_str(f, hist, strlen(hist));
		fputc('}', f);
		first = 0;
	}
	fputs("],", f);
	fo_json(nm_master_failover(m->nm), f);
	fputc('}', f);
}

static void nats_text(FILE *f, void *arg)
{
	struct nmaster *m = arg;
	const struct ledger *led = nm_master_ledger(m->nm);
	char hist[HIST_LEN];
	uint32_t i, shown = 0;

	fprintf(f, "  nats         %s swarm %s: %llu tasks redelivered, %llu duplicate "
		"results dropped, %llu reconnects\n", m->no->url, m->swarm,
		(unsigned long long)led->redelivered_tasks,
		(unsigned long long)led->duplicates,
		(unsigned long long)nm_master_reconnects(m->nm));
	for (i = 0; i < led->n && shown < 20; i++)
		if (led->t[i].max_attempt > 1) {
			ledger_history(led, i, hist, sizeof(hist));
			fprintf(f, "    task %u: %s\n", i + 1, hist);
			shown++;
		}
	fo_text(nm_master_failover(m->nm), f);
}

static void section_json(FILE *f, void *arg)
{
	fputs(((struct nats_section *)arg)->json, f);
}

static void section_text(FILE *f, void *arg)
{
	fputs(((struct nats_section *)arg)->text, f);
}

static void render_section(struct nmaster *m)
{
	struct nats_section *s = calloc(1, sizeof(*s));
	size_t len;
	FILE *f;

	if (!s)
		return;
	f = open_memstream(&s->json, &len);
	if (f) {
		nats_json(f, m);
		fclose(f);
	}
	f = open_memstream(&s->text, &len);
	if (f) {
		nats_text(f, m);
		fclose(f);
	}
	if (!s->json || !s->text) {
		free(s->json);
		free(s->text);
		free(s);
		return;
	}
	s->k.emit_json = section_json;
	s->k.emit_text = section_text;
	s->k.arg = s;
	m->rep->nats = &s->k;
}

void coord_nats_report_free(struct run_report *rep)
{
	struct nats_section *s;

	if (!rep->nats)
		return;
	s = rep->nats->arg;
	free(s->json);
	free(s->text);
	free(s);
	rep->nats = NULL;
}

static void fill_report(struct nmaster *m)
{
	struct run_report *r = m->rep;
	const struct ledger *led = nm_master_ledger(m->nm);
	uint64_t end = m->t_done ? m->t_done : now_ns();
	size_t i;

	r->topology = "hybrid";
	r->expected = m->tl.n;
	r->duplicates = led->duplicates;
	r->coordination_s = (double)(end - m->t0) / 1e9;
	r->total_s = (double)(now_ns() - m->t0) / 1e9;
	r->messages = m->msgs + m->tl.n;
	r->coordinators = (unsigned)r->ncoords;
	for (r->agents = 0, i = 0; i < r->ncoords; i++)
		r->agents += r->coords[i].workers;
	r->rss_peak_kb = proc_rss_peak_kb();
	r->fds_peak = proc_fd_count();
	r->interrupted = m->stop_sig != 0;
	if (r->interrupted)
		r->exit_code = 128 + m->stop_sig;
	else if (r->delivered == r->expected)
		r->exit_code = EXIT_OK;
	else
		r->exit_code = r->timed_out ? EXIT_TIMEOUT : EXIT_JOB;
	render_section(m);
}

/* --user: the coordinators (this binary) and the command they run must be
 * the user's to execute. */
static int check_user(struct nmaster *m)
{
	char cmd[PATH_MAX];
	int err = 0;

	if (!m->o->applet)
		err = spawn_resolve(m->o->argv[0], cmd, sizeof(cmd));
	if (err)
		return err;
	return priv_check_user(m->o->user, m->o->applet ? NULL : cmd, m->exe,
			       m->rep->error, sizeof(m->rep->error));
}

static int setup(struct nmaster *m, enum setup_step *step)
{
	struct nm_cfg cfg = {
		.url = m->no->url, .swarm = m->swarm, .name = "master",
		.ack_wait_ns = (uint64_t)(m->no->ack_wait_s * 1e9),
		.max_deliver = m->no->max_deliver,
		.connect_ns = (uint64_t)((m->o->timeout_s < 10 ? m->o->timeout_s : 10) * 1e9),
	};
	uint32_t i;
	int err;

	*step = STEP_TASKS;
	if ((err = load_tasks(m)))
		return err;
	*step = STEP_SELF;
	if ((err = swarm_self_path(m->exe, sizeof(m->exe))))
		return err;
	*step = STEP_COMMAND;
	if (m->o->user && (err = check_user(m)))
		return err;
	if (m->o->results_file) {
		*step = STEP_RESULTS;
		m->results = fopen(m->o->results_file, "we");
		if (!m->results)
			return -errno;
	}
	/* Tracers attached, files named on the command line open: what is
	 * left (NATS, /dev/shm, our own children) needs no capability but,
	 * with --user, those that make the coordinators NAME's (priv.h); the
	 * logs are then NAME's too. */
	*step = STEP_PRIVS;
	if ((err = coord_drop_privileges(m->o->user, m->rep)))
		return err;
	*step = STEP_LOGS;
	if ((err = open_logs(m)))
		return err;
	snprintf(m->rep->logs_dir, sizeof(m->rep->logs_dir), "%s", m->logs_path);
	m->sigfd = coord_signalfd();
	if (m->sigfd < 0)
		return -errno;
	*step = STEP_NATS_SWARM;
	if ((err = nm_master_open(&cfg, (uint32_t)m->tl.n, &m->nm))) {
		snprintf(m->rep->error, sizeof(m->rep->error), "%s at %s: %s", setup_step_text(*step),
			 m->no->url, nm_strerror(err));
		return err;
	}
	*step = STEP_NATS_PUBLISH;
	for (i = 0; i < m->tl.n && !err; i++)
		err = nm_master_publish(m->nm, i, m->tl.v[i].text, m->tl.v[i].len);
	if (!err)
		err = nm_master_publish_wait(m->nm, m->deadline);
	if (err)
		snprintf(m->rep->error, sizeof(m->rep->error), "%s: %s", setup_step_text(*step),
			 nm_strerror(err));
	return err;
}

static int start_local(struct nmaster *m)
{
	struct report_coord *rc;
	unsigned i;
	int err;

	m->lc = calloc(m->o->coordinators ? m->o->coordinators : 1, sizeof(*m->lc));
	if (!m->lc)
		return -ENOMEM;
	for (i = 0; i < m->o->coordinators; i++) {
		m->lc[i].idx = i;
		m->lc[i].pidfd = -1;
		err = spawn_coord(m, &m->lc[i]);
		if (err)
			return err;
		m->nlc++;
		rc = coord_entry(m->rep, m->lc[i].name);
		if (rc) {
			rc->pid = m->lc[i].pid;
			rc->workers = m->o->workers;
		}
	}
	return 0;
}

int coord_run_nats(const struct run_opts *o, const struct nats_run_opts *no,
		   const struct report_kernel *kernel, struct run_report *rep,
		   enum setup_step *step)
{
	struct nmaster m;
	int err;

	/* Signals become events; blocked before libnats starts threads. */
	coord_block_signals();
	memset(&m, 0, sizeof(m));
	m.o = o;
	m.no = no;
	m.rep = rep;
	m.sigfd = m.logs_fd = -1;
	rep->kernel = kernel;
	rep->topology = "hybrid";
	m.t0 = now_ns();
	m.deadline = m.t0 + (uint64_t)(o->timeout_s * 1e9);
	if (no->swarm)
		snprintf(m.swarm, sizeof(m.swarm), "%s", no->swarm);
	else
		random_id(m.swarm, sizeof(m.swarm));
	err = setup(&m, step);
	if (err)
		goto out;
	fprintf(stderr, "swarm: swarm %s on %s; other hosts join with: swarm coordinator "
		"--join %s --swarm %s --workers W -- CMD\n", m.swarm, no->url, no->url,
		m.swarm);
	*step = STEP_COORDS;
	err = start_local(&m);
	if (err)
		goto out;
	loop(&m);
	report_missing(&m);
	fill_report(&m);
	err = rep->exit_code;
out:
	if (m.nm) {
		/* Ends the swarm for every coordinator (kept with --keep). */
		nm_master_close(m.nm, !o->keep);
		m.nm = NULL;
	}
	if (m.lc) {
		stop_local(&m, m.stop_sig || rep->timed_out ? 300 : 3000);
		free(m.lc);
	}
	if (m.results)
		fclose(m.results);
	if (m.logs_fd >= 0)
		close(m.logs_fd);
	if (m.sigfd >= 0)
		close(m.sigfd);
	tasks_free(&m.tl);
	return err;
}
