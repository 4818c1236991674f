/* Privileges: user lookup, the drop (in a child: it cannot be undone), the
 * file system uid switch around cgroup calls, and a spawned child that
 * becomes another user before its first instruction of agent code. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "priv.h"
#include "spawn_process.h"

extern char **environ;

/* A field of /proc/self/status ("CapEff", "Uid", ...), as text. */
static int status_field(const char *key, char *out, size_t len)
{
	char line[256];
	size_t k = strlen(key);
	FILE *f = fopen("/proc/self/status", "re");
	int found = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, k) && line[k] == ':') {
			snprintf(out, len, "%s", line + k + 1 + strspn(line + k + 1, " \t"));
			out[strcspn(out, "\n")] = 0;
			found = 0;
			break;
		}
	fclose(f);
	return found;
}

static uint64_t caps(const char *which)
{
	char v[64];

	if (status_field(which, v, sizeof(v)))
		return ~0ull;
	return strtoull(v, NULL, 16);
}

static int need_root(void)
{
	if (geteuid() != 0) {
		printf("# not root: privilege tests need CAP_SETUID\n");
		return 0;
	}
	return 1;
}

/* Run fn in a child; returns its exit code (fn's return value). */
static int in_child(int (*fn)(void))
{
	int st;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn());
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void test_lookup(void **state)
{
	struct priv_user u;

	(void)state;
	assert_int_equal(priv_user_lookup("root", &u), 0);
	assert_int_equal(u.uid, 0);
	assert_string_equal(u.name, "root");
	assert_int_equal(priv_user_lookup("0", &u), 0);
	assert_string_equal(u.name, "root");
	assert_int_equal(priv_user_lookup("nobody", &u), 0);
	assert_int_equal(u.uid, 65534);
	assert_true(u.ngroups >= 1);
	assert_int_equal(priv_user_lookup("no-such-user-swarm", &u), -ENOENT);
	assert_int_equal(priv_user_lookup("", &u), -EINVAL);
	assert_int_equal(priv_user_lookup(NULL, &u), -EINVAL);
	assert_int_equal(priv_user_lookup("4294967295", &u), -EINVAL);
	assert_int_equal(priv_user_lookup(
		"a-name-that-is-far-too-long-to-be-any-user-on-this-machine-at-all", &u),
		-EINVAL);
}

static char private_file[64];

static int drop_all(void)
{
	if (priv_drop(NULL) != 1)
		return 10;
	if (caps("CapEff") || caps("CapPrm") || caps("CapBnd") || caps("CapInh") ||
	    caps("CapAmb"))
		return 11;
	/* Nothing left to drop: a second call (next soak round) says so. */
	if (priv_drop(NULL) != 0)
		return 12;
	/* Still uid 0, but no override of file modes any more: another
	 * user's private file is closed to us. */
	if (getuid() != 0)
		return 13;
	errno = 0;
	if (open(private_file, O_RDONLY | O_CLOEXEC) >= 0 || errno != EACCES)
		return 14;
	return 0;
}

static void test_drop_all(void **state)
{
	int fd;

	(void)state;
	if (!need_root())
		skip();
	fd = open(private_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(fchown(fd, 65534, 65534), 0);
	close(fd);
	assert_true(open(private_file, O_RDONLY | O_CLOEXEC) >= 0); /* as root */
	assert_int_equal(in_child(drop_all), 0);
	unlink(private_file);
}

static int drop_user(void)
{
	struct priv_user u;
	char v[128];
	const uint64_t kept = (1ull << 5) | (1ull << 6) | (1ull << 7);
	int fd;

	if (priv_user_lookup("nobody", &u))
		return 10;
	if (priv_drop(&u) != 1)
		return 11;
	if (caps("CapEff") != kept || caps("CapPrm") != kept || caps("CapBnd"))
		return 12;
	/* Real and effective uid stay 0, the file system uid is nobody's. */
	if (status_field("Uid", v, sizeof(v)) || strcmp(v, "0\t0\t0\t65534"))
		return 13;
	if (priv_fs_uid() != 65534 || strcmp(getenv("USER"), "nobody"))
		return 14;
	/* Files made now belong to the user. */
	fd = open("/dev/shm", O_TMPFILE | O_RDWR, 0600);
	if (fd < 0)
		return 15;
	{
		struct stat st;

		if (fstat(fd, &st) || st.st_uid != 65534)
			return 16;
	}
	close(fd);
	/* Around a cgroup call the master is root again, then nobody. */
	{
		struct priv_fs s = priv_fs_root();

		if (priv_fs_uid() != 0 || s.uid != 65534)
			return 17;
		priv_fs_restore(s);
		if (priv_fs_uid() != 65534)
			return 18;
	}
	return 0;
}

static void test_drop_user(void **state)
{
	(void)state;
	if (!need_root())
		skip();
	assert_int_equal(in_child(drop_user), 0);
}

static void test_can_exec(void **state)
{
	struct priv_user u;
	char dir[] = "/tmp/swarm-priv-test.XXXXXX", path[64];
	int fd;

	(void)state;
	if (!need_root())
		skip();
	assert_int_equal(priv_user_lookup("nobody", &u), 0);
	assert_int_equal(priv_user_can_exec(&u, "/bin/sh"), 1);
	assert_non_null(mkdtemp(dir));          /* 0700: nobody cannot enter */
	snprintf(path, sizeof(path), "%s/x", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0755);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(priv_user_can_exec(&u, path), 0);
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(priv_user_can_exec(&u, path), 1);
	unlink(path);
	rmdir(dir);
}

/* A spawned child reports its ids and capabilities on stdout. */
static void test_spawn_as_user(void **state)
{
	char *argv[] = { "/bin/sh", "-c",
		"id -u; id -g; grep -E '^Cap(Eff|Prm|Bnd)' /proc/self/status", NULL };
	struct priv_user u;
	struct spawned sp;
	struct pollfd p;
	char buf[512] = "";
	int pfd[2], ws;
	ssize_t n, got = 0;

	(void)state;
	if (!need_root())
		skip();
	assert_int_equal(priv_user_lookup("nobody", &u), 0);
	assert_int_equal(pipe(pfd), 0);
	{
		struct spawn_req r = { .argv = argv, .envp = environ, .stdin_fd = -1,
				       .stdout_fd = pfd[1], .stderr_fd = -1,
				       .cgroup_fd = -1, .user = &u };

		assert_int_equal(spawn_process(&r, &sp), 0);
	}
	close(pfd[1]);
	while ((n = read(pfd[0], buf + got, sizeof(buf) - 1 - (size_t)got)) > 0)
		got += n;
	close(pfd[0]);
	p.fd = sp.pidfd;
	p.events = POLLIN;
	assert_int_equal(poll(&p, 1, 10000), 1);
	assert_int_equal(spawn_reap(sp.pidfd, &ws), 0);
	close(sp.pidfd);
	assert_int_equal(spawn_exit_code(ws), 0);
	{
		char want[256];

		snprintf(want, sizeof(want), "65534\n%u\nCapPrm:\t0000000000000000\n"
			 "CapEff:\t0000000000000000\n", (unsigned)u.gid);
		assert_true(!strncmp(buf, want, strlen(want)));
	}
}

int main(void)
{
	snprintf(private_file, sizeof(private_file), "/tmp/swarm-priv-test.%d",
		 (int)getpid());
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_drop_all),
		cmocka_unit_test(test_drop_user),
		cmocka_unit_test(test_can_exec),
		cmocka_unit_test(test_spawn_as_user),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
