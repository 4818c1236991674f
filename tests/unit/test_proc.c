/* /proc readers against what the kernel says by other means: our own
 * ppid, a child whose name holds ") (", fds we open, our cgroup. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "proc.h"

static void test_stat_self(void **state)
{
	pid_t ppid = 0;
	uint64_t start = 0;

	(void)state;
	assert_int_equal(proc_stat(getpid(), &ppid, &start), 0);
	assert_int_equal(ppid, getppid());
	assert_true(start > 0);
	assert_int_equal(proc_stat(-1, NULL, NULL) < 0, 1);
}

/* comm may hold ')' and spaces: the fields after it must still parse. */
static void test_stat_hostile_comm(void **state)
{
	int ready[2];
	pid_t child, ppid = 0;
	char c;

	(void)state;
	assert_int_equal(pipe(ready), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		prctl(PR_SET_NAME, "a) 1 2 (b");
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(proc_stat(child, &ppid, NULL), 0);
	assert_int_equal(ppid, getpid());
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	close(ready[0]);
	close(ready[1]);
}

static void test_list_has_us(void **state)
{
	struct proc_ent *v = NULL;
	size_t n = 0, i;
	int found = 0;

	(void)state;
	assert_int_equal(proc_list(&v, &n), 0);
	assert_true(n > 1);
	for (i = 0; i < n; i++)
		if (v[i].pid == getpid())
			found = v[i].ppid == getppid();
	assert_true(found);
	free(v);
}

static void test_fd_counts_follow_opens(void **state)
{
	unsigned before = proc_fd_count();
	int of_pid = proc_fd_count_of(getpid()), fds[5], i;

	(void)state;
	assert_true(of_pid >= (int)before);
	for (i = 0; i < 5; i++)
		assert_true((fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0);
	assert_int_equal(proc_fd_count(), before + 5);
	assert_int_equal(proc_fd_count_of(getpid()), of_pid + 5);
	for (i = 0; i < 5; i++)
		close(fds[i]);
	assert_int_equal(proc_fd_count(), before);
	assert_true(proc_fd_count_of(999999999) < 0);
	assert_true(proc_rss_peak_kb() > 0);
}

static void test_cgroup_v2_line(void **state)
{
	char path[4096];
	int err = proc_cgroup(NULL, path, sizeof(path));

	(void)state;
	if (err == -ENOENT) {
		print_message("skip: no cgroup v2 line in /proc/self/cgroup (a v1-only host)\n");
		skip();
		return;
	}
	assert_int_equal(err, 0);
	assert_int_equal(path[0], '/');
	assert_int_equal(proc_cgroup(NULL, path, 1), -ENAMETOOLONG);
	assert_int_equal(proc_cgroup("no-such-controller", path, sizeof(path)), -ENOENT);
}

static void test_find_mount(void **state)
{
	char dir[256], tiny[3];

	(void)state;
	assert_int_equal(proc_find_mount("proc", NULL, dir, sizeof(dir)), 0);
	assert_string_equal(dir, "/proc");
	assert_int_equal(proc_find_mount("no-such-fs", NULL, dir, sizeof(dir)), -ENOENT);
	/* a mount point that does not fit is passed over, never cut */
	assert_int_equal(proc_find_mount("proc", NULL, tiny, sizeof(tiny)), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stat_self),
		cmocka_unit_test(test_stat_hostile_comm),
		cmocka_unit_test(test_list_has_us),
		cmocka_unit_test(test_fd_counts_follow_opens),
		cmocka_unit_test(test_cgroup_v2_line),
		cmocka_unit_test(test_find_mount),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
