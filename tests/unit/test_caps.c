/* The capability question (user/base/caps.h) against the kernel's own
 * account in /proc/self/status, as root and after dropping every set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "caps.h"

static uint64_t status_capeff(void)
{
	char line[256];
	uint64_t v = 0;
	FILE *f = fopen("/proc/self/status", "re");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "CapEff:", 7))
			v = strtoull(line + 7, NULL, 16);
	fclose(f);
	return v;
}

static void test_matches_proc(void **state)
{
	uint64_t eff;
	int cap;

	(void)state;
	assert_int_equal(caps_effective(&eff), 0);
	assert_true(eff == status_capeff());
	for (cap = 0; cap < 64; cap++)
		assert_int_equal(caps_have(cap), (int)((eff >> cap) & 1));
	assert_false(caps_have(-1));
	assert_false(caps_have(64));
	assert_int_equal(caps_bpf_tracing(), caps_have(CAP_SYS_ADMIN) ||
			 (caps_have(CAP_BPF) && caps_have(CAP_PERFMON)));
}

/* A child clears its sets with capset(2): nothing is left to tell. */
static void test_after_drop(void **state)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct none[2];
	int st;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		uint64_t eff = 1;

		memset(none, 0, sizeof(none));
		if (syscall(SYS_capset, &h, none))
			_exit(2);
		_exit(caps_effective(&eff) || eff || caps_have(CAP_SYS_ADMIN) ||
		      caps_bpf_tracing() || status_capeff() ? 1 : 0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches_proc),
		cmocka_unit_test(test_after_drop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
