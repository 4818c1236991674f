/* The spawner with real processes: pidfd readiness on exit, exit codes and
 * signals, environment, fds, process groups, cgroup placement and kill. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "spawn_cgroup.h"
#include "spawn_process.h"

extern char **environ;

static int run_sh(const char *script, char **envp, int out_fd, int cg, int pg,
		  struct spawned *sp)
{
	char *argv[] = { "/bin/sh", "-c", (char *)script, NULL };
	struct spawn_req r = { .argv = argv, .envp = envp ? envp : environ,
			       .stdin_fd = -1, .stdout_fd = out_fd, .stderr_fd = -1,
			       .cgroup_fd = cg, .new_pgroup = pg, .die_with_parent = 1 };

	return spawn_process(&r, sp);
}

static int wait_exit(struct spawned *sp, int ms)
{
	struct pollfd p = { .fd = sp->pidfd, .events = POLLIN };
	int ws = -1;

	if (poll(&p, 1, ms) != 1)
		return -ETIMEDOUT;
	assert_int_equal(spawn_reap(sp->pidfd, &ws), 0);
	close(sp->pidfd);
	return spawn_exit_code(ws);
}

static void test_exit_codes(void **state)
{
	struct spawned sp;
	struct pollfd p;

	(void)state;
	assert_int_equal(run_sh("exit 7", NULL, -1, -1, 0, &sp), 0);
	assert_int_equal(wait_exit(&sp, 5000), 7);
	assert_int_equal(run_sh("kill -TERM $$", NULL, -1, -1, 0, &sp), 0);
	assert_int_equal(wait_exit(&sp, 5000), -SIGTERM);
	/* not readable while running */
	assert_int_equal(run_sh("sleep 5", NULL, -1, -1, 0, &sp), 0);
	p = (struct pollfd){ .fd = sp.pidfd, .events = POLLIN };
	assert_int_equal(poll(&p, 1, 50), 0);
	kill(sp.pid, SIGKILL);
	assert_int_equal(wait_exit(&sp, 5000), -SIGKILL);
}

static char *read_fd(int fd)
{
	static char buf[4096];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	buf[n > 0 ? n : 0] = 0;
	return buf;
}

static void test_env_fds_mask(void **state)
{
	char *envp[] = { "SWARM_AGENT=w5", "PATH=/usr/bin:/bin", NULL };
	struct spawned sp;
	int out = memfd_create("out", MFD_CLOEXEC);
	int leak = open("/dev/null", O_RDONLY);   /* without O_CLOEXEC */
	sigset_t set;
	char script[256];

	(void)state;
	/* The child must not inherit a blocked signal mask or our fds. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	snprintf(script, sizeof(script),
		 "echo \"agent=$SWARM_AGENT\"; [ -e /proc/self/fd/%d ] && echo leaked;"
		 " grep -q '^SigBlk:[[:space:]]*0*$' /proc/self/status && echo unblocked", leak);
	assert_int_equal(run_sh(script, envp, out, -1, 0, &sp), 0);
	assert_int_equal(wait_exit(&sp, 5000), 0);
	assert_string_equal(read_fd(out), "agent=w5\nunblocked\n");
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	close(out);
	close(leak);
}

static volatile sig_atomic_t usr1_seen;
static void on_usr1(int sig) { (void)sig; usr1_seen = 1; }

/* The child resets handlers and unblocks signals for itself: none of
 * that may reach us. Our handlers and mask are as they were; the child
 * starts with nothing blocked. */
static void test_parent_untouched(void **state)
{
	struct sigaction sa = { .sa_handler = on_usr1 }, now;
	int out = memfd_create("out", MFD_CLOEXEC);
	sigset_t set, mask;
	struct spawned sp;
	int i;

	(void)state;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);
	signal(SIGWINCH, on_usr1);  /* not in the child's fixed reset list */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (i = 0; i < 20; i++) {
		assert_int_equal(run_sh("grep -E '^Sig(Cgt|Blk)' /proc/self/status", NULL,
					out, -1, 0, &sp), 0);
		assert_int_equal(wait_exit(&sp, 5000), 0);
	}
	/* after exec the kernel shows no caught and no blocked signal */
	assert_non_null(strstr(read_fd(out), "SigBlk:\t0000000000000000"));
	assert_int_equal(sigaction(SIGUSR1, NULL, &now), 0);
	assert_ptr_equal(now.sa_handler, on_usr1);
	assert_int_equal(sigaction(SIGWINCH, NULL, &now), 0);
	assert_ptr_equal(now.sa_handler, on_usr1);
	sigprocmask(SIG_SETMASK, NULL, &mask);
	assert_true(sigismember(&mask, SIGHUP));
	assert_false(sigismember(&mask, SIGUSR1));
	raise(SIGUSR1);
	assert_int_equal(usr1_seen, 1);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGWINCH, SIG_DFL);
	close(out);
}

static void test_pgroup(void **state)
{
	struct spawned sp;
	int out = memfd_create("out", MFD_CLOEXEC);
	char want[32];

	(void)state;
	assert_int_equal(run_sh("ps -o pgid= -p $$ | tr -d ' '", NULL, out, -1, 1, &sp), 0);
	snprintf(want, sizeof(want), "%d\n", (int)sp.pid);
	assert_int_equal(wait_exit(&sp, 5000), 0);
	assert_string_equal(read_fd(out), want);
	close(out);
}

static void test_resolve(void **state)
{
	char p[4096];

	(void)state;
	assert_int_equal(spawn_resolve("sh", p, sizeof(p)), 0);
	assert_true(p[0] == '/' && strstr(p, "/sh"));
	assert_int_equal(spawn_resolve("/bin/sh", p, sizeof(p)), 0);
	assert_string_equal(p, "/bin/sh");
	assert_int_equal(spawn_resolve("no-such-cmd-swarm", p, sizeof(p)), -ENOENT);
	assert_int_equal(spawn_resolve("/etc/passwd", p, sizeof(p)), -EACCES);
	assert_int_equal(spawn_resolve("/tmp", p, sizeof(p)), -EACCES);
	assert_int_equal(spawn_resolve("", p, sizeof(p)), -ENOENT);
	assert_int_equal(spawn_resolve("/bin/sh", p, 4), -ENAMETOOLONG);
}

/* A grandchild forked by the agent lands in the swarm's cgroup too, and
 * cgroup.kill ends it: no orphans. */
static void test_cgroup_kill(void **state)
{
	struct swarm_cgroup cg;
	struct spawned sp;
	char name[64];
	int err;

	(void)state;
	snprintf(name, sizeof(name), "swarm-test-%d", (int)getpid());
	err = cgroup_create(name, &cg);
	if (err == -ENOTSUP || err == -EACCES || err == -EROFS || err == -EPERM) {
		skip();   /* no writable cgroup v2 here */
		return;
	}
	assert_int_equal(err, 0);
	assert_true(cg.id > 0);
	assert_int_equal(run_sh("sleep 30 & sleep 30", NULL, -1, cg.dirfd, 1, &sp), 0);
	usleep(100000);
	assert_int_equal(cgroup_populated(&cg), 1);
	assert_int_equal(cgroup_freeze(&cg, 1), 0);
	assert_int_equal(cgroup_freeze(&cg, 0), 0);
	assert_int_equal(cgroup_kill(&cg), 0);
	assert_int_equal(wait_exit(&sp, 5000), -SIGKILL);
	assert_int_equal(cgroup_wait_empty(&cg, 5000), 0);
	assert_int_equal(cgroup_remove(&cg), 0);
	assert_int_equal(access(cg.path, F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_env_fds_mask),
		cmocka_unit_test(test_parent_untouched),
		cmocka_unit_test(test_pgroup),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_cgroup_kill),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
