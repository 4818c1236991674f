/* write->read latency: a tree process writes a line to a /dev/shm file,
 * another reads it 10 ms later -> one sample in the 8-16 ms bucket (slot
 * 13: 8192..16383 us, or a neighbour) for that inode; the writer may be a
 * plain `sh -c 'echo x >> file'`. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "bpf_harness.h"

#define DELAY_MS 10

struct job {
	char path[64];
	int use_shell;
};

static void write_then_read(struct traced *t, void *arg)
{
	struct job *j = arg;
	char buf[64], cmd[128];
	pid_t w;
	int fd, st;

	w = fork();
	if (w == 0) {
		if (j->use_shell) {
			snprintf(cmd, sizeof(cmd), "echo x >> %s", j->path);
			execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
			_exit(127);
		}
		fd = open(j->path, O_WRONLY | O_APPEND);
		if (fd < 0 || write(fd, "hello\n", 6) != 6)
			_exit(1);
		_exit(0);
	}
	if (waitpid(w, &st, 0) != w || !WIFEXITED(st) || WEXITSTATUS(st))
		traced_step(t, 1);
	sleep_ms(DELAY_MS);
	fd = open(j->path, O_RDONLY);
	if (fd < 0 || read(fd, buf, sizeof(buf)) <= 0)
		traced_step(t, 2);
	/* reading again returns nothing new: no second sample */
	if (pread(fd, buf, sizeof(buf), 0) <= 0)
		traced_step(t, 3);
	close(fd);
	traced_step(t, 0);
}

static void run_latency(struct job *j)
{
	struct lat_totals tot;
	struct lat_stat st;
	struct traced t = { 0 };
	struct tracer *tr;
	struct stat sb;
	int fd, i, slot = -1;

	snprintf(j->path, sizeof(j->path), "/dev/shm/swarm-test-lat-%d-%d", getpid(), j->use_shell);
	fd = open(j->path, O_CREAT | O_RDWR | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &sb), 0);
	close(fd);
	assert_int_equal(traced_start(&t, write_then_read, j), 0);
	tr = traced_tracer(&t, TRACE_LATENCY);
	assert_non_null(tr);
	traced_go(&t);
	assert_int_equal(traced_wait(&t), 0);

	assert_int_equal(tracer_latency_get(tr, sb.st_ino, &st), 0);
	assert_int_equal(st.samples, 1);
	assert_int_equal(st.writes, 1);
	assert_string_equal(st.name, strrchr(j->path, '/') + 1);
	for (i = 0; i < HIST_SLOTS; i++)
		if (st.lat_us[i])
			slot = i;
	assert_int_equal(hist_total(st.lat_us, HIST_SLOTS), 1);
	assert_true(slot >= 12 && slot <= 14);
	assert_int_equal(tracer_latency_totals(tr, &tot), 0);
	assert_int_equal(tot.samples, 1);
	traced_end(&t);
	tracer_close(tr);
	unlink(j->path);
}

static void test_latency_c_writer(void **state)
{
	struct job j = { .use_shell = 0 };

	(void)state;
	SKIP_UNLESS_ROOT();
	run_latency(&j);
}

static void test_latency_shell_echo(void **state)
{
	struct job j = { .use_shell = 1 };

	(void)state;
	SKIP_UNLESS_ROOT();
	run_latency(&j);
}

/* A process reading back its own write is not a delivery. */
static void self_read(struct traced *t, void *arg)
{
	struct job *j = arg;
	char buf[16];
	int fd = open(j->path, O_RDWR | O_APPEND);

	if (fd < 0 || write(fd, "self\n", 5) != 5 || pread(fd, buf, sizeof(buf), 0) != 5)
		traced_step(t, 1);
	close(fd);
	traced_step(t, 0);
}

static void test_latency_ignores_self_read(void **state)
{
	struct lat_totals tot;
	struct job j;
	struct traced t = { 0 };
	struct tracer *tr;
	int fd;

	(void)state;
	SKIP_UNLESS_ROOT();
	snprintf(j.path, sizeof(j.path), "/dev/shm/swarm-test-lat-self-%d", getpid());
	fd = open(j.path, O_CREAT | O_RDWR | O_TRUNC, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(traced_start(&t, self_read, &j), 0);
	tr = traced_tracer(&t, TRACE_LATENCY);
	assert_non_null(tr);
	traced_go(&t);
	assert_int_equal(traced_wait(&t), 0);
	assert_int_equal(tracer_latency_totals(tr, &tot), 0);
	assert_int_equal(tot.samples, 0);
	traced_end(&t);
	tracer_close(tr);
	unlink(j.path);
}

/* Rewriting bytes inside a file (an inbox header, a cursor) is state, not
 * a message: only writes that reach the end of the file are samples. */
static void rewrite_then_append(struct traced *t, void *arg)
{
	struct job *j = arg;
	char buf[256];
	pid_t w = fork();
	int fd;

	if (w == 0) {
		fd = open(j->path, O_WRONLY);
		if (fd < 0 || pwrite(fd, "abc", 3, 10) != 3)   /* inside: no sample */
			_exit(1);
		if (pwrite(fd, "tail\n", 5, 100) != 5)          /* at the end: one */
			_exit(1);
		_exit(0);
	}
	waitpid(w, NULL, 0);
	fd = open(j->path, O_RDONLY);
	if (fd < 0 || read(fd, buf, sizeof(buf)) != 105)
		traced_step(t, 1);
	close(fd);
	traced_step(t, 0);
}

static void test_latency_ignores_rewrites(void **state)
{
	struct lat_totals tot;
	struct lat_stat st;
	struct traced t = { 0 };
	struct tracer *tr;
	struct stat sb;
	struct job j;
	char fill[100];
	int fd;

	(void)state;
	SKIP_UNLESS_ROOT();
	snprintf(j.path, sizeof(j.path), "/dev/shm/swarm-test-lat-rw-%d", getpid());
	fd = open(j.path, O_CREAT | O_RDWR | O_TRUNC, 0600);
	assert_true(fd >= 0);
	memset(fill, 'x', sizeof(fill));
	assert_int_equal(write(fd, fill, sizeof(fill)), sizeof(fill)); /* untraced */
	assert_int_equal(fstat(fd, &sb), 0);
	close(fd);
	assert_int_equal(traced_start(&t, rewrite_then_append, &j), 0);
	tr = traced_tracer(&t, TRACE_LATENCY);
	assert_non_null(tr);
	traced_go(&t);
	assert_int_equal(traced_wait(&t), 0);
	assert_int_equal(tracer_latency_totals(tr, &tot), 0);
	assert_int_equal(tot.samples, 1);
	assert_int_equal(tracer_latency_get(tr, sb.st_ino, &st), 0);
	assert_int_equal(st.writes, 1);
	traced_end(&t);
	tracer_close(tr);
	unlink(j.path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_latency_c_writer),
		cmocka_unit_test(test_latency_shell_echo),
		cmocka_unit_test(test_latency_ignores_self_read),
		cmocka_unit_test(test_latency_ignores_rewrites),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
