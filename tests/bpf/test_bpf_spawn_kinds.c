/* spawn: every way a process is made, and every exec, counted exactly.
 *
 * The traced root spawns a known number of processes after attach, each
 * way a coordinator or a shell does it: vfork + exec, posix_spawn (and one
 * that fails to exec), raw clone3 with a pidfd + exec, an exec chain
 * (env execs env execs ... true, after a failed execve), an exec from a
 * non-leader thread, and a concurrent burst from two processes. The
 * counters must equal what the test did: forks, execs, exec chains,
 * exits, exits without exec, exit statuses and the histogram totals.
 * Threads are not processes and are not counted. */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <linux/sched.h>
#include <cmocka.h>

#include "bpf_harness.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

extern char **environ;

#define TRUE_BIN "/bin/true"
#define ENV_BIN "/usr/bin/env"
#define ROUNDS 5

/* What the root did, checked against the counters. */
struct want {
	unsigned forks, execs, chains, exits, no_exec, status0, status127;
	unsigned hist_fork_exec, hist_exec_exit;
};

static void run_case(void (*root)(struct traced *, void *), const struct want *w)
{
	struct spawn_totals s;
	struct traced t = { 0 };
	struct tracer *tr;

	assert_int_equal(traced_start(&t, root, NULL), 0);
	tr = traced_tracer(&t, TRACE_SPAWN);
	assert_non_null(tr);
	traced_go(&t);
	assert_int_equal(traced_wait(&t), 0); /* every child reaped, all as expected */
	assert_int_equal(tracer_spawn_totals(tr, &s), 0);
	fprintf(stderr, "  forks %llu execs %llu chains %llu exits %llu no_exec %llu\n",
		(unsigned long long)s.forks, (unsigned long long)s.execs,
		(unsigned long long)s.exec_chains, (unsigned long long)s.exits,
		(unsigned long long)s.exits_no_exec);
	assert_int_equal(s.forks, w->forks);
	assert_int_equal(s.execs, w->execs);
	assert_int_equal(s.exec_chains, w->chains);
	assert_int_equal(s.exits, w->exits);
	assert_int_equal(s.exits_no_exec, w->no_exec);
	assert_int_equal(s.exit_status[0], w->status0);
	assert_int_equal(s.exit_status[127], w->status127);
	assert_int_equal(hist_total(s.fork_exec_us, HIST_SLOTS), w->hist_fork_exec);
	assert_int_equal(hist_total(s.exec_exit_us, HIST_SLOTS), w->hist_exec_exit);
	assert_int_equal(s.map_full, 0);
	assert_int_equal(s.orphans, 0);
	traced_end(&t);
	tracer_close(tr);
}

/* 0 when pid exited with status want. */
static int reap(pid_t pid, int want)
{
	int st;

	if (pid <= 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == want ? 0 : -1;
}

/* --- vfork + exec ---------------------------------------------------------- */

static void vfork_root(struct traced *t, void *arg)
{
	volatile int bad = 0, i; /* vfork shares our stack */

	(void)arg;
	for (i = 0; i < ROUNDS; i++) {
		pid_t c = vfork();

		if (c == 0) {
			execl(TRUE_BIN, "true", (char *)NULL);
			_exit(127);
		}
		bad |= reap(c, 0);
	}
	traced_step(t, bad ? 1 : 0);
}

static void test_spawn_vfork_exec(void **state)
{
	const struct want w = { .forks = ROUNDS, .execs = ROUNDS, .exits = ROUNDS,
				.status0 = ROUNDS, .hist_fork_exec = ROUNDS,
				.hist_exec_exit = ROUNDS };

	(void)state;
	SKIP_UNLESS_ROOT();
	run_case(vfork_root, &w);
}

/* --- posix_spawn, and one whose exec fails ------------------------------------ */

static void posix_spawn_root(struct traced *t, void *arg)
{
	char *argv[] = { "true", NULL };
	int bad = 0;
	pid_t c;

	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		bad |= posix_spawn(&c, TRUE_BIN, NULL, NULL, argv, environ) != 0;
		bad |= reap(c, 0);
	}
	/* glibc's child reports the failed exec and exits 127: a process
	 * that was forked and never exec'd */
	c = 0;
	bad |= posix_spawn(&c, "/nonexistent/swarm-test", NULL, NULL, argv, environ) != ENOENT;
	if (c > 0)
		bad |= reap(c, 127);
	traced_step(t, bad ? 1 : 0);
}

static void test_spawn_posix_spawn(void **state)
{
	const struct want w = { .forks = ROUNDS + 1, .execs = ROUNDS, .exits = ROUNDS + 1,
				.no_exec = 1, .status0 = ROUNDS, .status127 = 1,
				.hist_fork_exec = ROUNDS, .hist_exec_exit = ROUNDS };

	(void)state;
	SKIP_UNLESS_ROOT();
	run_case(posix_spawn_root, &w);
}

/* --- clone3 (raw) with a pidfd + exec; threads are not processes --------- */

static void *idle_thread(void *arg)
{
	return arg;
}

static void clone3_root(struct traced *t, void *arg)
{
	pthread_t th[3];
	siginfo_t si;
	int bad = 0;

	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		int pidfd = -1;
		struct clone_args ca = { .flags = CLONE_PIDFD, .pidfd = (uintptr_t)&pidfd,
					 .exit_signal = SIGCHLD };
		long c = syscall(SYS_clone3, &ca, sizeof(ca));

		if (c == 0) {
			execl(TRUE_BIN, "true", (char *)NULL);
			_exit(127);
		}
		memset(&si, 0, sizeof(si));
		if (c < 0 || pidfd < 0 || waitid(P_PIDFD, pidfd, &si, WEXITED) ||
		    si.si_code != CLD_EXITED || si.si_status != 0)
			bad = 1;
		close(pidfd);
	}
	/* glibc makes threads with clone3 too (CLONE_THREAD) */
	for (int i = 0; i < 3; i++)
		bad |= pthread_create(&th[i], NULL, idle_thread, NULL);
	for (int i = 0; i < 3; i++)
		bad |= pthread_join(th[i], NULL);
	traced_step(t, bad ? 1 : 0);
}

static void test_spawn_clone3_exec(void **state)
{
	const struct want w = { .forks = ROUNDS, .execs = ROUNDS, .exits = ROUNDS,
				.status0 = ROUNDS, .hist_fork_exec = ROUNDS,
				.hist_exec_exit = ROUNDS };

	(void)state;
	SKIP_UNLESS_ROOT();
	run_case(clone3_root, &w);
}

/* --- an exec chain: env env env true, after an execve that fails -------- */

#define CHAIN_ENVS 3 /* 1 + CHAIN_ENVS execs: env x CHAIN_ENVS, then true */

static void chain_root(struct traced *t, void *arg)
{
	char *argv[] = { "env", "env", "env", "true", NULL };
	pid_t c;

	(void)arg;
	c = fork();
	if (c == 0) {
		/* a failed execve is no exec: the tracepoint fires on success */
		execl("/nonexistent/swarm-test", "x", (char *)NULL);
		execv(ENV_BIN, argv);
		_exit(127);
	}
	traced_step(t, reap(c, 0) ? 1 : 0);
}

static void test_spawn_exec_chain(void **state)
{
	const struct want w = { .forks = 1, .execs = 1 + CHAIN_ENVS, .chains = CHAIN_ENVS,
				.exits = 1, .status0 = 1, .hist_fork_exec = 1,
				.hist_exec_exit = 1 };

	(void)state;
	SKIP_UNLESS_ROOT();
	run_case(chain_root, &w);
}

/* --- exec from a thread that is not the leader ------------------------------ */

static void *exec_thread(void *arg)
{
	(void)arg;
	execl(TRUE_BIN, "true", (char *)NULL);
	_exit(127);
}

static void thread_exec_root(struct traced *t, void *arg)
{
	pid_t c;

	(void)arg;
	c = fork();
	if (c == 0) {
		pthread_t th;

		/* the exec kills the leader (de_thread): that is not the
		 * process exiting, and the process keeps its pid */
		if (pthread_create(&th, NULL, exec_thread, NULL))
			_exit(1);
		for (;;)
			pause();
	}
	traced_step(t, reap(c, 0) ? 1 : 0);
}

static void test_spawn_exec_from_thread(void **state)
{
	const struct want w = { .forks = 1, .execs = 1, .exits = 1, .status0 = 1,
				.hist_fork_exec = 1, .hist_exec_exit = 1 };

	(void)state;
	SKIP_UNLESS_ROOT();
	run_case(thread_exec_root, &w);
}

/* --- threaded processes exiting at once --------------------------------- */

#define THREADED 200 /* processes */
#define THREADS 4    /* busy threads each, besides main */

static void *spin_thread(void *arg)
{
	volatile unsigned long n = 0;

	(void)arg;
	for (;;)
		n++;
	return NULL;
}

/* exit_group kills every thread at once: they run do_exit side by side,
 * and only one of them is the process's exit. */
static void threaded_root(struct traced *t, void *arg)
{
	int bad = 0;

	(void)arg;
	for (int i = 0; i < THREADED; i++) {
		pid_t c = fork();

		if (c == 0) {
			pthread_t th;

			for (int k = 0; k < THREADS; k++)
				if (pthread_create(&th, NULL, spin_thread, NULL))
					_exit(1);
			exit(i % 2 ? 0 : 3);
		}
		bad |= reap(c, i % 2 ? 0 : 3);
	}
	traced_step(t, bad ? 1 : 0);
}

static void test_spawn_threaded_exits(void **state)
{
	struct spawn_totals s;
	struct traced t = { 0 };
	struct tracer *tr;

	(void)state;
	SKIP_UNLESS_ROOT();
	assert_int_equal(traced_start(&t, threaded_root, NULL), 0);
	tr = traced_tracer(&t, TRACE_SPAWN);
	assert_non_null(tr);
	traced_go(&t);
	assert_int_equal(traced_wait(&t), 0);
	assert_int_equal(tracer_spawn_totals(tr, &s), 0);
	fprintf(stderr, "  forks %llu exits %llu status0 %u status3 %u\n",
		(unsigned long long)s.forks, (unsigned long long)s.exits, s.exit_status[0],
		s.exit_status[3]);
	assert_int_equal(s.forks, THREADED);
	assert_int_equal(s.exits, THREADED);
	assert_int_equal(s.exits_no_exec, THREADED);
	assert_int_equal(s.exit_status[0], THREADED / 2);
	assert_int_equal(s.exit_status[3], THREADED / 2);
	traced_end(&t);
	tracer_close(tr);
}

/* --- a burst: two processes posix_spawn at once ---------------------------- */

#define BURST 200 /* per spawner */

static void burst_root(struct traced *t, void *arg)
{
	char *argv[] = { "true", NULL };
	pid_t sp[2];
	int bad = 0;

	(void)arg;
	for (int k = 0; k < 2; k++) {
		sp[k] = fork();
		if (sp[k] == 0) {
			int fail = 0;

			for (int i = 0; i < BURST; i++) {
				pid_t c;

				fail |= posix_spawn(&c, TRUE_BIN, NULL, NULL, argv, environ) != 0;
				fail |= reap(c, 0);
			}
			_exit(fail);
		}
	}
	for (int k = 0; k < 2; k++)
		bad |= reap(sp[k], 0);
	traced_step(t, bad ? 1 : 0);
}

static void test_spawn_burst(void **state)
{
	/* the two spawners fork and exit without exec */
	const struct want w = { .forks = 2 + 2 * BURST, .execs = 2 * BURST,
				.exits = 2 + 2 * BURST, .no_exec = 2,
				.status0 = 2 + 2 * BURST, .hist_fork_exec = 2 * BURST,
				.hist_exec_exit = 2 * BURST };

	(void)state;
	SKIP_UNLESS_ROOT();
	run_case(burst_root, &w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spawn_vfork_exec),
		cmocka_unit_test(test_spawn_posix_spawn),
		cmocka_unit_test(test_spawn_clone3_exec),
		cmocka_unit_test(test_spawn_exec_chain),
		cmocka_unit_test(test_spawn_exec_from_thread),
		cmocka_unit_test(test_spawn_threaded_exits),
		cmocka_unit_test(test_spawn_burst),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
