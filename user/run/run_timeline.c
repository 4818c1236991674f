/* --timeline: the records kept during a run (see user/run/run_timeline.h).
 * Each call appends a few dozen bytes; nothing is formatted here. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run_timeline_int.h"

int timeline_open(const char *path, struct timeline **out)
{
	struct timeline *tl = calloc(1, sizeof(*tl));
	int err = -ENOMEM;

	*out = NULL;
	if (!tl)
		return -ENOMEM;
	tl->by_pid = calloc(TL_HASH, sizeof(*tl->by_pid));
	tl->by_name = calloc(TL_HASH, sizeof(*tl->by_name));
	tl->samples.v = calloc(TL_MAX_SAMPLES, sizeof(*tl->samples.v));
	tl->ksamples.v = calloc(TL_MAX_SAMPLES, sizeof(*tl->ksamples.v));
	if (!tl->by_pid || !tl->by_name || !tl->samples.v || !tl->ksamples.v)
		goto fail;
	tl->samples.every = tl->ksamples.every = 1;
	tl->path = strdup(path);
	if (!tl->path)
		goto fail;
	tl->f = fopen(path, "we");
	if (!tl->f) {
		err = -errno;
		goto fail;
	}
	*out = tl;
	return 0;
fail:
	timeline_free(tl);
	return err;
}

void timeline_free(struct timeline *tl)
{
	if (!tl)
		return;
	if (tl->f)
		fclose(tl->f);
	free(tl->tracks);
	free(tl->procs);
	free(tl->tasks);
	free(tl->locks);
	free(tl->pending);
	free(tl->samples.v);
	free(tl->ksamples.v);
	free(tl->by_pid);
	free(tl->by_name);
	free(tl->path);
	free(tl);
}

void timeline_discard(struct timeline *tl)
{
	if (!tl)
		return;
	if (tl->f) {
		fclose(tl->f);
		tl->f = NULL;
		unlink(tl->path);
	}
	timeline_free(tl);
}

/* Room for one more element in *v (n used of *cap, at most max). */
static int grow(void **v, size_t *cap, size_t n, size_t size, size_t max)
{
	size_t ncap;
	void *nv;

	if (n < *cap)
		return 0;
	if (n >= max)
		return -ENOSPC;
	ncap = *cap ? *cap * 2 : 64;
	if (ncap > max)
		ncap = max;
	nv = realloc(*v, ncap * size);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = ncap;
	return 0;
}

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u;   /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static uint32_t hash_pid(int32_t pid)
{
	return (uint32_t)pid * 2654435761u;
}

int32_t tl_track_get(struct timeline *tl, const char *name, int kind)
{
	uint32_t h = hash_str(name) & (TL_HASH - 1);
	struct tl_track *t;

	for (; tl->by_name[h]; h = (h + 1) & (TL_HASH - 1))
		if (!strcmp(tl->tracks[tl->by_name[h] - 1].name, name))
			return tl->by_name[h] - 1;
	if (grow((void **)&tl->tracks, &tl->captracks, tl->ntracks, sizeof(*t),
		 TL_MAX_PROCS)) {
		tl->lost++;
		return -1;
	}
	t = &tl->tracks[tl->ntracks];
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->kind = (uint8_t)kind;
	t->first_proc = t->last_proc = t->cursor = -1;
	t->group = kind == TL_AGENT ? -1 : (int32_t)tl->ntracks;
	tl->by_name[h] = (int32_t)++tl->ntracks;
	return (int32_t)tl->ntracks - 1;
}

int32_t tl_proc_find(const struct timeline *tl, int32_t pid)
{
	uint32_t h = hash_pid(pid) & (TL_HASH - 1);

	for (; tl->by_pid[h]; h = (h + 1) & (TL_HASH - 1))
		if (tl->procs[tl->by_pid[h] - 1].pid == pid)
			return tl->by_pid[h] - 1;
	return -1;
}

/* A new process in track tr; a reused pid now means this one. */
static int32_t proc_add(struct timeline *tl, int32_t pid, int32_t tr, uint64_t ns)
{
	uint32_t h = hash_pid(pid) & (TL_HASH - 1);
	struct tl_proc *p;
	int32_t i;

	if (grow((void **)&tl->procs, &tl->capprocs, tl->nprocs, sizeof(*p),
		 TL_MAX_PROCS)) {
		tl->lost++;
		return -1;
	}
	i = (int32_t)tl->nprocs++;
	p = &tl->procs[i];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->track = tr;
	p->next = -1;
	p->spawn_ns = ns;
	while (tl->by_pid[h] && tl->procs[tl->by_pid[h] - 1].pid != pid)
		h = (h + 1) & (TL_HASH - 1);
	tl->by_pid[h] = i + 1;
	if (tl->tracks[tr].last_proc >= 0)
		tl->procs[tl->tracks[tr].last_proc].next = i;
	else
		tl->tracks[tr].first_proc = i;
	tl->tracks[tr].last_proc = i;
	if (!tl->tracks[tr].pid)
		tl->tracks[tr].pid = pid;
	return i;
}

static void hybrid_group(struct timeline *tl, int32_t tr);

void timeline_begin(struct timeline *tl, pid_t master, const char *topology,
		    uint64_t t0_ns)
{
	int32_t tr;

	if (!tl)
		return;
	tl->master = (int32_t)master;
	tl->t0 = t0_ns;
	snprintf(tl->topology, sizeof(tl->topology), "%s", topology);
	tr = tl_track_get(tl, "master", TL_MASTER);   /* always track 0 */
	if (tr == 0)
		proc_add(tl, (int32_t)master, 0, t0_ns);
}

void timeline_spawned(struct timeline *tl, pid_t pid, const char *name, int kind,
		      uint64_t ns)
{
	int32_t tr;

	if (!tl || (tr = tl_track_get(tl, name, kind)) < 0)
		return;
	if (kind == TL_AGENT && tl->topology[0] == 'h')
		hybrid_group(tl, tr);
	else if (kind == TL_AGENT)
		tl->tracks[tr].group = 0;   /* flat: under the master */
	proc_add(tl, (int32_t)pid, tr, ns);
}

void timeline_exited(struct timeline *tl, pid_t pid, uint64_t ns, int wstatus)
{
	int32_t i;

	if (!tl || (i = tl_proc_find(tl, (int32_t)pid)) < 0)
		return;
	tl->procs[i].exit_ns = ns;
	tl->procs[i].wstatus = wstatus;
	tl->procs[i].exited = 1;
}

static int tracing_tree(const struct timeline *tl)
{
	return tl->topology[0] == 't';   /* swarm-trace: every process */
}

/* A process known only by its pid: a track "pid N" under group g. */
static int32_t pid_track(struct timeline *tl, int32_t pid, int32_t ppid, int32_t g,
			 uint64_t ns)
{
	char name[32];
	int32_t tr;

	snprintf(name, sizeof(name), "pid %d", (int)pid);
	tr = tl_track_get(tl, name, TL_AGENT);
	if (tr < 0)
		return -1;
	tl->tracks[tr].group = g;
	tl->tracks[tr].ppid = ppid ? ppid : -1;
	return proc_add(tl, pid, tr, ns);
}

/* An agent the master did not start (a hybrid worker) gets a track under
 * the coordinator that is its parent; with swarm-trace, every process a
 * track under the root. */
static int32_t kernel_only(struct timeline *tl, const struct spawn_exit_event *e)
{
	int32_t parent = tl_proc_find(tl, (int32_t)e->ppid);

	if (tracing_tree(tl))
		return pid_track(tl, (int32_t)e->tgid, (int32_t)e->ppid, 0, 0);
	if (e->agent != e->tgid || parent < 0 ||
	    tl->tracks[tl->procs[parent].track].kind != TL_COORD)
		return -1;
	return pid_track(tl, (int32_t)e->tgid, (int32_t)e->ppid,
			 tl->procs[parent].track, 0);
}

/* A hybrid worker's exit before its name is known: kept for later. */
static int pend(struct timeline *tl, const struct spawn_exit_event *e)
{
	if (tl->topology[0] != 'h' || e->agent != e->tgid)
		return 0;
	if (grow((void **)&tl->pending, &tl->cappending, tl->npending,
		 sizeof(*e), TL_MAX_PROCS)) {
		tl->lost++;
		return 1;
	}
	tl->pending[tl->npending++] = *e;
	return 1;
}

static void apply_exit(struct timeline *tl, const struct spawn_exit_event *e, int late)
{
	struct tl_proc *p;
	int32_t i;

	i = tl_proc_find(tl, (int32_t)e->tgid);
	if (i < 0 && !late && pend(tl, e))
		return;
	if (i < 0)
		i = kernel_only(tl, e);
	if (i < 0)
		return;     /* an agent's own child: its lock waits still count */
	p = &tl->procs[i];
	p->kexited = 1;
	if (e->life_ns && e->life_ns <= e->exit_ns)
		p->fork_ns = e->exit_ns - e->life_ns;
	if (e->exec_exit_ns && e->exec_exit_ns <= e->exit_ns)
		p->exec_ns = e->exit_ns - e->exec_exit_ns;
	if (!p->exited) {
		p->exit_ns = e->exit_ns;
		p->wstatus = (int32_t)e->exit_code;
	}
	memcpy(p->comm, e->comm, sizeof(p->comm));
	p->comm[sizeof(p->comm) - 1] = '\0';
}

void timeline_kernel_exit(struct timeline *tl, const struct spawn_exit_event *e)
{
	if (tl && e->exit_ns)
		apply_exit(tl, e, 0);
}

void timeline_settle(struct timeline *tl)
{
	size_t i;

	for (i = 0; i < tl->npending; i++)
		apply_exit(tl, &tl->pending[i], 1);
	tl->npending = 0;
}

void timeline_lock_wait(struct timeline *tl, const struct flock_wait_event *e)
{
	struct tl_lock *l;

	if (!tl)
		return;
	if (grow((void **)&tl->locks, &tl->caplocks, tl->nlocks, sizeof(*l),
		 TL_MAX_LOCKS)) {
		tl->lost++;
		return;
	}
	/* swarm-trace: the waiter may live on past the end; give it its
	 * track now (its exit, if it comes, fills in the rest) */
	if (tracing_tree(tl) && tl_proc_find(tl, (int32_t)e->tgid) < 0)
		pid_track(tl, (int32_t)e->tgid, 0, 0, e->start_ns);
	l = &tl->locks[tl->nlocks++];
	l->tgid = (int32_t)e->tgid;
	l->agent = (int32_t)e->agent;
	l->start_ns = e->start_ns;
	l->wait_ns = e->wait_ns;
	l->ino = e->ino;
}

/* Bounded whatever the run's length: when full, every other sample goes
 * and only every 2^k-th new one is kept. */
static void sample_push(struct tl_samples *s, uint64_t ns, unsigned fds, uint64_t v)
{
	size_t i;

	if (s->seen++ % s->every)
		return;
	if (s->n == TL_MAX_SAMPLES) {
		for (i = 0; i < TL_MAX_SAMPLES / 2; i++)
			s->v[i] = s->v[2 * i];
		s->n = TL_MAX_SAMPLES / 2;
		s->every *= 2;
	}
	s->v[s->n++] = (struct tl_sample){ .ns = ns, .shm = v, .fds = fds };
}

void timeline_sample(struct timeline *tl, uint64_t ns, unsigned fds, uint64_t shm)
{
	if (tl)
		sample_push(&tl->samples, ns, fds, shm);
}

void timeline_tree_fds(struct timeline *tl, uint64_t ns, uint64_t fds, uint64_t procs)
{
	if (tl)
		sample_push(&tl->ksamples, ns, fds > UINT32_MAX ? UINT32_MAX : (unsigned)fds,
			    procs);
}

void timeline_mark(struct timeline *tl, const char *name, uint64_t start_ns,
		   uint64_t end_ns)
{
	struct tl_mark *m;

	if (!tl)
		return;
	if (tl->nmarks == sizeof(tl->marks) / sizeof(tl->marks[0])) {
		tl->lost++;
		return;
	}
	m = &tl->marks[tl->nmarks++];
	m->start_ns = start_ns;
	m->end_ns = end_ns > start_ns ? end_ns : start_ns;
	snprintf(m->name, sizeof(m->name), "%s", name);
}

/* Hybrid: the worker's coordinator is the track its name starts with
 * ("c2r1-w7" -> "c2r1"); unknown until it is seen, so kept by name. */
static void hybrid_group(struct timeline *tl, int32_t tr)
{
	char coord[NAME_MAX_LEN + 1];
	const char *dash = strstr(tl->tracks[tr].name, "-w");
	int32_t g;

	if (!dash || tl->tracks[tr].group >= 0)
		return;
	snprintf(coord, sizeof(coord), "%.*s", (int)(dash - tl->tracks[tr].name),
		 tl->tracks[tr].name);
	g = tl_track_get(tl, coord, TL_COORD);
	if (g >= 0)
		tl->tracks[tr].group = g;
}

void timeline_task(struct timeline *tl, const struct task *t, uint64_t hop_ns)
{
	struct tl_task *r;
	uint64_t span = t->t_end_ns - t->t_start_ns, lat = t->latency_ns;
	int32_t tr;

	if (!tl || !t->agent[0] || (tr = tl_track_get(tl, t->agent, TL_AGENT)) < 0)
		return;
	if (tl->tracks[tr].kind != TL_AGENT)
		return;     /* ended by its coordinator's fate, not an agent's */
	if (grow((void **)&tl->tasks, &tl->captasks, tl->ntasks, sizeof(*r),
		 TL_MAX_TASKS)) {
		tl->lost++;
		return;
	}
	if (tl->topology[0] == 'h')
		hybrid_group(tl, tr);
	r = &tl->tasks[tl->ntasks++];
	r->id = t->id;
	r->track = tr;
	r->status = t->status;
	r->mread_ns = t->t_end_ns;
	/* Wall-clock latencies put on the master's clock. The span is the
	 * coordinator's own (send -> its read: the master in flat, cK's
	 * dur_us in hybrid, which read the answer hop_ns before we did). */
	if (hop_ns > t->t_end_ns - tl->t0)
		hop_ns = 0;
	r->cread_ns = t->t_end_ns - hop_ns;
	r->send_ns = r->cread_ns - span;
	r->answer_ns = r->cread_ns - (lat < span ? lat : span);
	tl->tracks[tr].tasks++;
	if (t->status != TS_OK)
		tl->tracks[tr].failed = 1;
}

void timeline_end(struct timeline *tl, uint64_t ns)
{
	if (tl)
		tl->end = ns;
}
