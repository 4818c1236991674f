/* The events a --timeline gets from the kernel: a child holds a flock on
 * a /dev/shm file for 100 ms while the traced root blocks on it -> one
 * flock_wait_event for the root (its tgid, that inode, >= 50 ms, inside
 * the test's own clock window), none when lock_event_min_ns is 0 (the
 * default), and the holder's exit event carries a monotonic exit_ns that
 * places its fork inside the window too. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "bpf_harness.h"
#include "util.h"

#define HOLD_MS 100

struct seen {
	struct flock_wait_event w[8];
	unsigned nw;
	struct spawn_exit_event e[8];
	unsigned ne;
};

static void on_lock(const struct flock_wait_event *e, void *arg)
{
	struct seen *s = arg;

	if (s->nw < 8)
		s->w[s->nw] = *e;
	s->nw++;
}

static void on_exit_ev(const struct spawn_exit_event *e, void *arg)
{
	struct seen *s = arg;

	if (s->ne < 8)
		s->e[s->ne++] = *e;
}

static void contend(struct traced *t, void *arg)
{
	const char *path = arg;
	int p[2], fd;
	unsigned char b;
	pid_t holder;

	if (pipe(p))
		_exit(1);
	holder = fork();
	if (holder == 0) {
		fd = open(path, O_RDWR);
		if (fd < 0 || flock(fd, LOCK_EX))
			_exit(1);
		b = 1;
		if (write(p[1], &b, 1) != 1)
			_exit(1);
		sleep_ms(HOLD_MS);
		_exit(0);   /* the close unlocks */
	}
	if (read(p[0], &b, 1) != 1)
		_exit(1);
	fd = open(path, O_RDWR);
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)   /* held: refused, no wait */
		traced_step(t, 2);
	if (flock(fd, LOCK_EX))                  /* blocks ~HOLD_MS */
		traced_step(t, 3);
	flock(fd, LOCK_UN);
	waitpid(holder, NULL, 0);
	traced_step(t, 0);
}

static void run(uint64_t min_ns, struct seen *s, struct stat *sb, uint64_t *t0,
		uint64_t *t1, pid_t *root)
{
	char path[64];
	struct traced t = { 0 };
	struct tracer_opts o = { .signals = TRACE_FLOCK, .on_lock_wait = on_lock,
				 .on_exit = on_exit_ev, .lock_event_min_ns = min_ns,
				 .event_arg = s };
	struct tracer *tr = NULL;
	char why[256];
	int fd;

	snprintf(path, sizeof(path), "/dev/shm/swarm-test-tlev-%d", getpid());
	fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, sb), 0);
	close(fd);
	assert_int_equal(traced_start(&t, contend, path), 0);
	*root = t.pid;
	assert_int_equal(tracer_open(&tr, t.pid, &o, why, sizeof(why)), 0);
	*t0 = now_ns();
	traced_go(&t);
	assert_int_equal(traced_wait(&t), 0);
	*t1 = now_ns();
	assert_int_equal(tracer_poll(tr, 0) >= 0, 1);
	traced_end(&t);
	tracer_close(tr);
	unlink(path);
}

static void test_lock_wait_event(void **state)
{
	struct seen s = { 0 };
	struct stat sb;
	uint64_t t0, t1;
	pid_t root;
	unsigned i, holders = 0;

	(void)state;
	SKIP_UNLESS_ROOT();
	run(1000000, &s, &sb, &t0, &t1, &root);
	assert_int_equal(s.nw, 1);   /* the root's wait only */
	assert_int_equal(s.w[0].tgid, (uint32_t)root);
	assert_int_equal(s.w[0].ino, (uint64_t)sb.st_ino);
	assert_int_equal(s.w[0].kind, LOCK_KIND_FLOCK);
	assert_true(s.w[0].wait_ns >= 50ull * 1000000);
	assert_true(s.w[0].start_ns >= t0);
	assert_true(s.w[0].start_ns + s.w[0].wait_ns <= t1);
	/* the holder: a child of the root, placed in the window by exit_ns */
	for (i = 0; i < s.ne; i++) {
		const struct spawn_exit_event *e = &s.e[i];

		if (e->ppid != (uint32_t)root)
			continue;
		holders++;
		assert_true(e->exit_ns >= t0 && e->exit_ns <= t1);
		assert_true(e->life_ns > 0 && e->exit_ns - e->life_ns >= t0);
		assert_true(e->life_ns >= 50ull * 1000000);
	}
	assert_int_equal(holders, 1);
}

static void test_lock_wait_off_by_default(void **state)
{
	struct seen s = { 0 };
	struct stat sb;
	uint64_t t0, t1;
	pid_t root;

	(void)state;
	SKIP_UNLESS_ROOT();
	run(0, &s, &sb, &t0, &t1, &root);
	assert_int_equal(s.nw, 0);
	assert_true(s.ne >= 1);      /* exits still come */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lock_wait_event),
		cmocka_unit_test(test_lock_wait_off_by_default),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
