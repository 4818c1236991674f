/* Shared by the BPF tests: a traced child process driven step by step
 * over two pipes, so the tracer attaches to it before it does anything. */
#ifndef SWARM_BPF_HARNESS_H
#define SWARM_BPF_HARNESS_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include "trace.h"

struct traced {
	pid_t pid;
	int go;      /* parent -> child: one byte per step; EOF = exit */
	int done;    /* child -> parent: one status byte per step */
	int child_go, child_done;
};

/* In the child: report status of a step, then wait for the next go.
 * Returns 0 on go, -1 when the parent closed the pipe. */
static inline int traced_step(struct traced *t, unsigned char status)
{
	unsigned char b;

	if (write(t->child_done, &status, 1) != 1)
		return -1;
	return read(t->child_go, &b, 1) == 1 ? 0 : -1;
}

/* Fork the traced root. fn runs in the child after the first go. */
static inline int traced_start(struct traced *t, void (*fn)(struct traced *, void *), void *arg)
{
	int go[2], done[2];
	unsigned char b;

	if (pipe2(go, O_CLOEXEC) || pipe2(done, O_CLOEXEC))
		return -errno;
	t->pid = fork();
	if (t->pid < 0)
		return -errno;
	if (t->pid == 0) {
		close(go[1]);
		close(done[0]);
		t->child_go = go[0];
		t->child_done = done[1];
		if (read(t->child_go, &b, 1) != 1)
			_exit(1);
		fn(t, arg);
		_exit(0);
	}
	close(go[0]);
	close(done[1]);
	t->go = go[1];
	t->done = done[0];
	return 0;
}

static inline void traced_go(struct traced *t)
{
	unsigned char b = 1;

	if (write(t->go, &b, 1) != 1)
		abort();
}

/* Wait for the child to finish a step; its status byte or -1. */
static inline int traced_wait(struct traced *t)
{
	unsigned char b;

	return read(t->done, &b, 1) == 1 ? b : -1;
}

static inline void traced_end(struct traced *t)
{
	int st;

	close(t->go);
	close(t->done);
	waitpid(t->pid, &st, 0);
}

/* Open the tracer on t's pid; fails the test loudly with the reason. */
static inline struct tracer *traced_tracer(struct traced *t, unsigned signals)
{
	struct tracer_opts o = { .signals = signals };
	struct tracer *tr = NULL;
	char why[256];
	int err = tracer_open(&tr, t->pid, &o, why, sizeof(why));

	if (err || why[0])
		fprintf(stderr, "tracer_open: %s (%s)\n", why, strerror(-err));
	return err ? NULL : tr;
}

static inline int sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	return nanosleep(&ts, NULL);
}

#define SKIP_UNLESS_ROOT()                                                        \
	do {                                                                      \
		if (geteuid() != 0) {                                             \
			fprintf(stderr, "SKIP %s: needs root (BPF)\n", __func__); \
			skip();                                                   \
		}                                                                 \
	} while (0)

#endif
