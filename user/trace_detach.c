/* Detach every link of the tracer at once. Raw tracepoint links go at
 * once, but a uprobe_multi link (the USDT probes, one per binary) waits
 * for an RCU grace period on release. Closed from concurrent threads the
 * waits share grace periods and the whole detach takes about one. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "trace_int.h"
#include "swarm.skel.h"

#define MAX_LINKS 128

static void *destroy_link(void *arg)
{
	bpf_link__destroy(arg);
	return NULL;
}

static void *close_link(void *arg)
{
	close((int)(intptr_t)arg);
	return NULL;
}

/* Take the links out of a skeleton (so its destroy does not touch them). */
static size_t take_links(struct bpf_object_skeleton *s, struct bpf_link **out, size_t n)
{
	int i;

	if (!s)
		return n;
	for (i = 0; i < s->prog_cnt && n < MAX_LINKS; i++) {
		struct bpf_link **l = s->progs[i].link;

		if (l && *l) {
			out[n++] = *l;
			*l = NULL;
		}
	}
	return n;
}

void trace_detach_all(struct tracer *t)
{
	struct bpf_link *links[MAX_LINKS];
	pthread_t th[MAX_LINKS + TRACE_USDT_MAX];
	bool started[MAX_LINKS + TRACE_USDT_MAX];
	size_t n = 0, i, u = t->nusdt;

	n = take_links(t->skel ? t->skel->skeleton : NULL, links, n);
	t->nusdt = 0;
	for (i = 0; i < u; i++)
		started[n + i] = !pthread_create(&th[n + i], NULL, close_link,
						 (void *)(intptr_t)t->usdt[i]);
	for (i = 0; i < n; i++)
		started[i] = !pthread_create(&th[i], NULL, destroy_link, links[i]);
	for (i = 0; i < n + u; i++) {
		if (started[i])
			pthread_join(th[i], NULL);
		else if (i < n)
			bpf_link__destroy(links[i]); /* no thread: the slow way */
		else
			close(t->usdt[i - n]);
	}
}

/* Keep only the fds a detach needs (anon inodes: BPF links, perf events,
 * maps, programs): an inherited pipe (the caller's stdout into `| cat`)
 * must not be held open by a process the caller does not wait for. */
static void close_all_but_anon(int keep)
{
	char path[64], target[64];
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");
	int dfd;

	if (!d) {
		for (int fd = 0; fd < 3; fd++)
			close(fd);
		return;
	}
	dfd = dirfd(d);
	while ((de = readdir(d))) {
		int fd = atoi(de->d_name);
		ssize_t n;

		if (de->d_name[0] < '0' || de->d_name[0] > '9' || fd == dfd || fd == keep)
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, target, sizeof(target) - 1);
		if (n > 0 && !strncmp(target, "anon_inode:", 11))
			continue;
		close(fd);
	}
	closedir(d);
}

/* Whoever drops the last reference to a uprobe's perf event pays its
 * detach. The detacher takes a copy of every link, then waits on a pipe
 * until the tracer has closed its own copies (trace_detach_done), so the
 * last reference, and the wait, is the detacher's. */
void trace_detach_background(struct tracer *t)
{
	int p[2], st;
	pid_t pid;
	char c;

	t->detach_fd = -1;
	if (!t->nusdt || pipe2(p, O_CLOEXEC))
		return; /* raw tracepoint links detach at once anyway */
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return; /* detach in the foreground, as without this */
	}
	if (pid == 0) {
		/* double fork: the caller reaps the middle one at once and
		 * never waits for the detacher */
		if (fork() != 0)
			_exit(0);
		close(p[1]);
		close_all_but_anon(p[0]);
		while (read(p[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0); /* the kernel closes the links, one grace period each */
	}
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	t->detach_fd = p[1];
}

void trace_detach_done(struct tracer *t)
{
	if (t->detach_fd >= 0)
		close(t->detach_fd); /* EOF: the detacher may go */
	t->detach_fd = -1;
}
