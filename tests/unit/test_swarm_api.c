/* libswarm's public API (include/swarm/swarm.h) on a real bus: only the
 * public header is used here, as a program linking the library would. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "swarm/swarm.h"

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int setup(void **state)
{
	struct swarm_bus *b;

	assert_int_equal(swarm_bus_create(NULL, NULL, &b), 0);
	*state = b;
	return 0;
}

static int teardown(void **state)
{
	return swarm_bus_destroy(*state);
}

static void send_str(struct swarm_agent *a, const char *to, uint32_t type, const char *s)
{
	assert_int_equal(swarm_send(a, to, type, s, strlen(s)), 0);
}

static void expect_msg(struct swarm_agent *a, const char *from, uint32_t type, const char *s)
{
	struct swarm_msg m;

	assert_int_equal(swarm_recv(a, &m, 0), 1);
	assert_string_equal(m.from, from);
	assert_int_equal(m.type, type);
	assert_int_equal(m.len, strlen(s));
	assert_memory_equal(m.data, s, m.len);
}

static void test_round_trip(void **state)
{
	struct swarm_agent *a, *b;
	struct swarm_msg m;
	uint64_t seq1;

	assert_int_equal(swarm_agent_open(*state, "a", &a), 0);
	assert_int_equal(swarm_agent_open(*state, "b", &b), 0);
	assert_string_equal(swarm_agent_name(b), "b");
	send_str(a, "b", SWARM_MSG_TASK, "one");
	send_str(a, "b", SWARM_MSG_DATA, "two");
	assert_int_equal(swarm_send(a, "b", SWARM_MSG_RESULT, NULL, 0), 0);
	assert_int_equal(swarm_recv(b, &m, 0), 1);
	assert_string_equal(m.from, "a");
	assert_int_equal(m.type, SWARM_MSG_TASK);
	assert_memory_equal(m.data, "one", 3);
	seq1 = m.seq;
	assert_true(m.ts_ns > 0);
	assert_int_equal(swarm_recv(b, &m, 0), 1);
	assert_memory_equal(m.data, "two", 3);
	assert_true(m.seq > seq1);
	assert_int_equal(swarm_recv(b, &m, 0), 1);
	assert_int_equal(m.type, SWARM_MSG_RESULT);
	assert_int_equal(m.len, 0);
	assert_int_equal(swarm_recv(b, &m, 0), 0);
	assert_int_equal(swarm_commit(b), 0);
	/* Answers go the other way on the same handles. */
	send_str(b, "a", SWARM_MSG_RESULT, "back");
	expect_msg(a, "b", SWARM_MSG_RESULT, "back");
	swarm_agent_close(a);
	swarm_agent_close(b);
}

/* Not committed: a new reader gets it again; committed: gone. */
static void test_redelivery_until_commit(void **state)
{
	struct swarm_agent *a, *b;
	struct swarm_msg m;

	assert_int_equal(swarm_agent_open(*state, "a", &a), 0);
	assert_int_equal(swarm_agent_open(*state, "b", &b), 0);
	send_str(a, "b", SWARM_MSG_TASK, "t1");
	expect_msg(b, "a", SWARM_MSG_TASK, "t1");
	swarm_agent_close(b);                      /* dies before commit */
	assert_int_equal(swarm_agent_open(*state, "b", &b), 0);
	expect_msg(b, "a", SWARM_MSG_TASK, "t1");
	assert_int_equal(swarm_commit(b), 0);
	swarm_agent_close(b);
	assert_int_equal(swarm_agent_open(*state, "b", &b), 0);
	assert_int_equal(swarm_recv(b, &m, 0), 0);
	swarm_agent_close(b);
	swarm_agent_close(a);
}

/* A stop stays: every later recv returns it, commit or not. */
static void test_stop_is_sticky(void **state)
{
	struct swarm_agent *m, *w;

	assert_int_equal(swarm_agent_open(*state, "master", &m), 0);
	assert_int_equal(swarm_agent_open(*state, "w1", &w), 0);
	send_str(m, "w1", SWARM_MSG_TASK, "job");
	assert_int_equal(swarm_send(m, "w1", SWARM_MSG_STOP, "", 0), 0);
	expect_msg(w, "master", SWARM_MSG_TASK, "job");
	assert_int_equal(swarm_commit(w), 0);
	expect_msg(w, "master", SWARM_MSG_STOP, "");
	assert_int_equal(swarm_commit(w), 0);
	expect_msg(w, "master", SWARM_MSG_STOP, "");
	swarm_agent_close(w);
	assert_int_equal(swarm_agent_open(*state, "w1", &w), 0);
	expect_msg(w, "master", SWARM_MSG_STOP, "");
	swarm_agent_close(w);
	swarm_agent_close(m);
}

/* SWARM_DIR / SWARM_AGENT / SWARM_PARENT, as swarm run sets them. */
static void test_environment(void **state)
{
	struct swarm_agent *a, *p;

	unsetenv("SWARM_DIR");
	assert_int_equal(swarm_agent_open(NULL, "x", &a), -ENOENT);
	setenv("SWARM_DIR", swarm_bus_path(*state), 1);
	setenv("SWARM_AGENT", "w7", 1);
	setenv("SWARM_PARENT", "master", 1);
	assert_int_equal(swarm_agent_open(NULL, NULL, &a), 0);
	assert_string_equal(swarm_agent_name(a), "w7");
	assert_string_equal(swarm_parent(), "master");
	assert_int_equal(swarm_agent_open(*state, "master", &p), 0);
	send_str(a, swarm_parent(), SWARM_MSG_RESULT, "ok");
	expect_msg(p, "w7", SWARM_MSG_RESULT, "ok");
	swarm_agent_close(a);              /* closes the bus it opened */
	swarm_agent_close(p);
	setenv("SWARM_AGENT", "bad name", 1);
	assert_int_equal(swarm_agent_open(NULL, NULL, &a), -EINVAL);
	unsetenv("SWARM_DIR");
	unsetenv("SWARM_AGENT");
	unsetenv("SWARM_PARENT");
	assert_null(swarm_parent());
}

static void test_errors(void **state)
{
	struct swarm_agent *a, *b, *b2;
	struct swarm_bus *nb;
	struct swarm_msg m;
	static char big[SWARM_MAX_PAYLOAD + 1];

	assert_int_equal(swarm_agent_open(*state, "a", &a), 0);
	assert_int_equal(swarm_send(a, "b/../x", SWARM_MSG_DATA, "x", 1), -EINVAL);
	assert_int_equal(swarm_send(a, "b", 99, "x", 1), -EINVAL);
	assert_int_equal(swarm_send(a, "b", SWARM_MSG_DATA, big, sizeof(big)), -EMSGSIZE);
	assert_int_equal(swarm_exit_code(-EMSGSIZE), SWARM_EXIT_USAGE);
	/* One reader per inbox. */
	assert_int_equal(swarm_agent_open(*state, "b", &b), 0);
	assert_int_equal(swarm_agent_open(*state, "b", &b2), 0);
	assert_int_equal(swarm_recv(b, &m, 0), 0);
	assert_int_equal(swarm_recv(b2, &m, 0), -EBUSY);
	assert_int_equal(swarm_exit_code(-EBUSY), SWARM_EXIT_ENV);
	swarm_agent_close(b2);
	swarm_agent_close(b);
	swarm_agent_close(a);
	assert_int_equal(swarm_bus_open("/nonexistent/swarm-x", &nb), -ENOENT);
	assert_non_null(swarm_strerror(-ENOBUFS));
	assert_true(strlen(swarm_version()) > 0);
}

/* A full inbox is backpressure, never eviction; send_wait times out. */
static void test_full_inbox(void **state)
{
	struct swarm_agent *a;
	unsigned n = 0;
	int err;
	double t0;

	assert_int_equal(swarm_agent_open(*state, "a", &a), 0);
	while ((err = swarm_send(a, "slow", SWARM_MSG_DATA, "x", 1)) == 0)
		n++;
	assert_int_equal(err, -ENOBUFS);
	assert_int_equal(n, 65536);
	assert_int_equal(swarm_exit_code(err), SWARM_EXIT_FULL);
	t0 = mono_s();
	err = swarm_send_wait(a, "slow", SWARM_MSG_DATA, "x", 1, 150);
	assert_int_equal(err, -ETIMEDOUT);
	assert_true(mono_s() - t0 >= 0.1);
	assert_int_equal(swarm_exit_code(err), SWARM_EXIT_TIMEOUT);
	swarm_agent_close(a);
}

/* recv waits: 0 after its timeout, and wakes at once for another
 * process's send. */
static void test_wait(void **state)
{
	struct swarm_agent *b;
	struct swarm_msg m;
	double t0;
	pid_t pid;
	int st;

	assert_int_equal(swarm_agent_open(*state, "b", &b), 0);
	t0 = mono_s();
	assert_int_equal(swarm_recv(b, &m, 200), 0);
	assert_true(mono_s() - t0 >= 0.19);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct swarm_agent *a;

		usleep(100000);
		_exit(swarm_agent_open(*state, "a", &a) ||
		      swarm_send(a, "b", SWARM_MSG_DATA, "late", 4));
	}
	t0 = mono_s();
	assert_int_equal(swarm_recv(b, &m, -1), 1);
	assert_memory_equal(m.data, "late", 4);
	assert_true(mono_s() - t0 < 5);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(st, 0);
	swarm_agent_close(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redelivery_until_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_is_sticky, setup, teardown),
		cmocka_unit_test_setup_teardown(test_environment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_inbox, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
