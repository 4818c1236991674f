/* The owner lock and gc with real processes, real OFD locks and a real
 * bus root (a private temp dir, so no other swarm is ever judged). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "bus.h"
#include "gc.h"

struct seen {
	int n;
	char bus[4][4096];
	char cgroup[4][4096];
};

static void record(const struct gc_entry *e, void *arg)
{
	struct seen *s = arg;

	if (s->n < 4) {
		snprintf(s->bus[s->n], sizeof(s->bus[0]), "%s", e->bus);
		snprintf(s->cgroup[s->n], sizeof(s->cgroup[0]), "%s", e->cgroup);
	}
	s->n++;
}

static int setup(void **state)
{
	char *base = strdup("/tmp/swarm-test-gc.XXXXXX");

	assert_non_null(mkdtemp(base));
	*state = base;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", (char *)*state);
	free(*state);
	return system(cmd) == 0 ? 0 : -1;
}

static int exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* A bus made and locked by a child that then dies (as a SIGKILLed master
 * would: the kernel drops its lock). Returns the bus path (static). */
static const char *dead_owner_bus(const char *base, const char *id)
{
	static char path[4096];
	int st;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct bus *b;

		if (bus_create(base, id, NULL, &b) || bus_hold(b))
			_exit(1);
		_exit(0);        /* no bus_close: the process just ends */
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	snprintf(path, sizeof(path), "%s/swarm-%s", base, id);
	return path;
}

static void test_owner_lock_states(void **state)
{
	const char *base = *state;
	struct bus *owner, *other;

	assert_int_equal(bus_create(base, "own", NULL, &owner), 0);
	assert_int_equal(bus_open(bus_path(owner), &other), 0);
	/* No lock file yet: like swarm init. */
	assert_int_equal(bus_owner_gone(other), -ENOENT);
	assert_int_equal(bus_hold(owner), 0);
	/* OFD locks conflict between open files, even in one process. */
	assert_int_equal(bus_owner_gone(other), 0);
	assert_int_equal(bus_owner_gone(other), 0);
	bus_close(other);
	/* Kept on purpose: no owner lock any more. */
	assert_int_equal(bus_disown(owner), 0);
	assert_int_equal(bus_open(bus_path(owner), &other), 0);
	assert_int_equal(bus_owner_gone(other), -ENOENT);
	bus_close(other);
	assert_int_equal(bus_destroy(owner), 0);
}

static void test_gc_removes_only_the_dead(void **state)
{
	const char *base = *state;
	char dead[4096], link[4096 + 16], cgfile[4096 + 16], other[4096 + 16];
	struct bus *live, *plain;
	struct gc_stats st;
	struct seen seen = { 0 };
	int fd;

	snprintf(dead, sizeof(dead), "%s", dead_owner_bus(base, "dead1"));
	/* A hostile cgroup path in the dead bus is ignored, never used. */
	snprintf(cgfile, sizeof(cgfile), "%s/cgroup", dead);
	fd = open(cgfile, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "/sys/fs/cgroup/../../tmp/swarm-dead1\n", 37), 37);
	close(fd);
	assert_int_equal(bus_create(base, "live1", NULL, &live), 0);
	assert_int_equal(bus_hold(live), 0);
	assert_int_equal(bus_create(base, "plain1", NULL, &plain), 0);
	bus_close(plain);
	/* A symlink to a dead bus elsewhere, and a dir that is no bus. */
	snprintf(other, sizeof(other), "%s/elsewhere", base);
	assert_int_equal(mkdir(other, 0700), 0);
	dead_owner_bus(other, "dead2");
	snprintf(link, sizeof(link), "%s/swarm-dead2", base);
	snprintf(other, sizeof(other), "%s/elsewhere/swarm-dead2", base);
	assert_int_equal(symlink(other, link), 0);
	snprintf(other, sizeof(other), "%s/swarm-nometa", base);
	assert_int_equal(mkdir(other, 0700), 0);

	assert_int_equal(gc_run(base, 1, record, &seen, &st), 0);
	assert_int_equal(seen.n, 1);
	assert_true(exists(dead));               /* dry run */

	memset(&seen, 0, sizeof(seen));
	assert_int_equal(gc_run(base, 0, record, &seen, &st), 0);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.bus[0], dead);
	assert_string_equal(seen.cgroup[0], "");
	assert_int_equal(st.removed, 1);
	assert_int_equal(st.live, 1);
	assert_int_equal(st.unowned, 1);
	assert_false(exists(dead));
	assert_true(exists(bus_path(live)));
	assert_true(exists(link));
	assert_true(exists(other));
	snprintf(other, sizeof(other), "%s/elsewhere/swarm-dead2/owner.lock", base);
	assert_true(exists(other));              /* not followed */
	assert_int_equal(bus_destroy(live), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_owner_lock_states, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gc_removes_only_the_dead, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
