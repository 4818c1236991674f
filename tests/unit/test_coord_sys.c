/* Agent environments, and the path of our own binary. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "coord_sys.h"
#include "core_path.h"

static int count(char **envp, const char *prefix)
{
	int n = 0;

	for (; *envp; envp++)
		n += !strncmp(*envp, prefix, strlen(prefix));
	return n;
}

static const char *get(char **envp, const char *name)
{
	size_t l = strlen(name);

	for (; *envp; envp++)
		if (!strncmp(*envp, name, l) && (*envp)[l] == '=')
			return *envp + l + 1;
	return NULL;
}

static void test_env(void **state)
{
	struct agent_env e;

	(void)state;
	/* Our own swarm identity must not leak into the agents'. */
	setenv("SWARM_AGENT", "outer", 1);
	setenv("SWARM_TASK_ID", "99", 1);
	setenv("KEEP_ME", "yes", 1);
	assert_int_equal(agent_env_init(&e, "/dev/shm/swarm-x", "x"), 0);
	agent_env_set(&e, "w7", "master", 3);
	assert_int_equal(count(e.envp, "SWARM_AGENT="), 1);
	assert_string_equal(get(e.envp, "SWARM_AGENT"), "w7");
	assert_string_equal(get(e.envp, "SWARM_PARENT"), "master");
	assert_string_equal(get(e.envp, "SWARM_TASK_ID"), "3");
	assert_string_equal(get(e.envp, "SWARM_DIR"), "/dev/shm/swarm-x");
	assert_string_equal(get(e.envp, "SWARM_ID"), "x");
	assert_string_equal(get(e.envp, "KEEP_ME"), "yes");
	agent_env_set(&e, "c2-w1", "c2", 0);
	assert_string_equal(get(e.envp, "SWARM_AGENT"), "c2-w1");
	assert_string_equal(get(e.envp, "SWARM_TASK_ID"), "");
	agent_env_free(&e);
	unsetenv("SWARM_AGENT");
	unsetenv("SWARM_TASK_ID");
	unsetenv("KEEP_ME");
}

static void test_self_exe(void **state)
{
	char p[4096], small[4];

	(void)state;
	assert_int_equal(swarm_self_path(p, sizeof(p)), 0);
	assert_non_null(strstr(p, "test_coord_sys"));
	assert_int_equal(swarm_self_path(small, sizeof(small)), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_self_exe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
