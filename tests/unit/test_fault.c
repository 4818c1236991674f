/* SWARM_FAULT: the step/count trigger and the agent filter (a campaign
 * kills coordinator c2 but not its replacement c2r1). Each case runs in a
 * fresh child: the variable is read once per process. */
#include <setjmp.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fault.h"

/* Passes step `passes` times in a child with the given environment;
 * returns the signal that ended it, 0 if it exited normally. */
static int run_case(const char *fault, const char *agent, const char *step,
		    int passes)
{
	int st, i;
	pid_t pid = fork();

	if (pid == 0) {
		int devnull = open("/dev/null", 1);

		if (devnull >= 0)
			dup2(devnull, 2);   /* the fault's note on stderr */
		setenv("SWARM_FAULT", fault, 1);
		if (agent)
			setenv("SWARM_AGENT", agent, 1);
		else
			unsetenv("SWARM_AGENT");
		for (i = 0; i < passes; i++)
			fault_point(step);
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFSIGNALED(st) ? WTERMSIG(st) : 0;
}

static void test_count(void **state)
{
	(void)state;
	assert_int_equal(run_case("coord-result:3", NULL, "coord-result", 2), 0);
	assert_int_equal(run_case("coord-result:3", NULL, "coord-result", 3), SIGKILL);
	assert_int_equal(run_case("coord-result:3", NULL, "coord-forward", 9), 0);
	/* malformed: never armed */
	assert_int_equal(run_case("coord-result:0", NULL, "coord-result", 5), 0);
	assert_int_equal(run_case("coord-result:", NULL, "coord-result", 5), 0);
	assert_int_equal(run_case(":1", NULL, "", 5), 0);
	assert_int_equal(run_case("coord-result:x:c1", "c1", "coord-result", 5), 0);
}

static void test_agents(void **state)
{
	(void)state;
	assert_int_equal(run_case("coord-result:1:c2", "c2", "coord-result", 1), SIGKILL);
	assert_int_equal(run_case("coord-result:1:c2", "c2r1", "coord-result", 3), 0);
	assert_int_equal(run_case("coord-result:1:c2", "c", "coord-result", 3), 0);
	assert_int_equal(run_case("coord-result:1:c2", NULL, "coord-result", 3), 0);
	assert_int_equal(run_case("coord-result:2:c2,c2r1", "c2r1", "coord-result", 2), SIGKILL);
	assert_int_equal(run_case("coord-result:2:c2,c2r1", "c2", "coord-result", 2), SIGKILL);
	assert_int_equal(run_case("coord-result:2:c2,c2r1", "c2r", "coord-result", 2), 0);
	assert_int_equal(run_case("coord-result:1:", "c2", "coord-result", 2), 0);
}

/* A child forked without exec (an applet agent) with its own SWARM_AGENT:
 * the parent's parsed state must not carry over. Child of a parent that
 * parsed first; returns the child's terminating signal. */
static int fork_case(const char *fault, const char *parent_agent, int parent_passes,
		     const char *child_agent, int child_passes)
{
	int st, i;
	pid_t pid = fork();

	if (pid == 0) {
		int devnull = open("/dev/null", 1);
		pid_t c;

		if (devnull >= 0)
			dup2(devnull, 2);
		setenv("SWARM_FAULT", fault, 1);
		setenv("SWARM_AGENT", parent_agent, 1);
		for (i = 0; i < parent_passes; i++)
			fault_point("x");
		c = fork();
		if (c == 0) {
			setenv("SWARM_AGENT", child_agent, 1);
			for (i = 0; i < child_passes; i++)
				fault_point("x");
			_exit(0);
		}
		if (c < 0 || waitpid(c, &st, 0) != c)
			_exit(3);
		_exit(WIFSIGNALED(st) ? 100 + WTERMSIG(st) : 0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st) >= 100 ? WEXITSTATUS(st) - 100 : -WEXITSTATUS(st);
}

static void test_fork_without_exec(void **state)
{
	(void)state;
	/* parent c1 armed for its 2nd pass, passed once: the child w1 must
	 * not die at its first pass (it did before: inherited countdown) */
	assert_int_equal(fork_case("x:2:c1", "c1", 1, "c1-w1", 3), 0);
	/* parent unarmed (not named), child named: the child arms itself */
	assert_int_equal(fork_case("x:2:c1-w1", "c1", 1, "c1-w1", 2), SIGKILL);
	/* no filter: the child counts from n again */
	assert_int_equal(fork_case("x:2", "c1", 1, "c1-w1", 1), 0);
	assert_int_equal(fork_case("x:2", "c1", 1, "c1-w1", 2), SIGKILL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_agents),
		cmocka_unit_test(test_fork_without_exec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
