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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_agents),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
