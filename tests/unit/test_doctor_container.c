/* swarm doctor in containers: the seccomp verdict for every probe
 * outcome, the /proc status parser, runtime detection, the run's
 * "bus filesystem full" count, and a real cgroup placement probe. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <unistd.h>
#include <cmocka.h>

#include "bus.h"
#include "doctor_container.h"
#include "report.h"
#include "run_shm_hint.h"

static enum doctor_status verdict(const struct doctor_seccomp *s, char *found)
{
	const char *fix;
	enum doctor_status st = doctor_seccomp_verdict(s, found, 512, &fix);

	assert_true(st == DOCTOR_OK ? !fix[0] : fix[0] != '\0');
	return st;
}

static void test_seccomp_verdicts(void **state)
{
	struct doctor_seccomp s;
	char found[512];

	(void)state;
	/* No filter: OK whatever the calls answered. */
	s = (struct doctor_seccomp){ .mode = 0, .bpf_err = EPERM, .perf_err = EPERM };
	assert_int_equal(verdict(&s, found), DOCTOR_OK);
	assert_non_null(strstr(found, "no seccomp filter"));

	/* Filter that lets both through: the kernel's own answers. */
	s = (struct doctor_seccomp){ .mode = 2, .filters = 1, .bpf_err = EINVAL,
				     .perf_err = EFAULT };
	assert_int_equal(verdict(&s, found), DOCTOR_OK);
	assert_non_null(strstr(found, "lets bpf() and perf_event_open() through"));

	/* Docker's default profile without CAP_SYS_ADMIN: both EPERM, on a
	 * kernel (>= 6.5) that would have said EINVAL even without caps. */
	s = (struct doctor_seccomp){ .mode = 2, .filters = 1, .bpf_err = EPERM,
				     .perf_err = EPERM, .unpriv_disabled = 2 };
	assert_int_equal(verdict(&s, found), DOCTOR_WARN);
	assert_non_null(strstr(found, "bpf()"));
	assert_non_null(strstr(found, "perf_event_open()"));

	/* Only perf_event_open blocked. */
	s.bpf_err = EINVAL;
	assert_int_equal(verdict(&s, found), DOCTOR_WARN);
	assert_null(strstr(found, "bpf()"));
	assert_non_null(strstr(found, "perf_event_open()"));

	/* Old kernel, no CAP_BPF, unprivileged BPF off: EPERM from bpf() is
	 * the kernel's own answer too, so it alone proves nothing. */
	s = (struct doctor_seccomp){ .mode = 2, .filters = 1, .bpf_err = EPERM,
				     .perf_err = EFAULT, .unpriv_disabled = 2,
				     .kernel_checks_caps_first = true };
	assert_int_equal(verdict(&s, found), DOCTOR_OK);
	assert_non_null(strstr(found, "not conclusive"));
	/* ...but with CAP_BPF the kernel would have looked at the command. */
	s.bpf_capable = true;
	assert_int_equal(verdict(&s, found), DOCTOR_WARN);

	/* A killing filter: FAIL when swarm would try (it has the caps),
	 * WARN when it would not even try. */
	s = (struct doctor_seccomp){ .mode = 2, .filters = 2, .bpf_killed = true,
				     .perf_err = EFAULT, .bpf_capable = true };
	assert_int_equal(verdict(&s, found), DOCTOR_FAIL);
	assert_non_null(strstr(found, "SIGSYS"));
	s.bpf_capable = false;
	assert_int_equal(verdict(&s, found), DOCTOR_WARN);
}

static void test_seccomp_status_parse(void **state)
{
	int mode = -1;
	unsigned filters = 9;

	(void)state;
	assert_int_equal(doctor_parse_seccomp_status(
		"Name:\tsh\nNoNewPrivs:\t0\nSeccomp:\t2\nSeccomp_filters:\t3\nSpeculation_Store_Bypass:\tthread vulnerable\n",
		&mode, &filters), 0);
	assert_int_equal(mode, 2);
	assert_int_equal(filters, 3);
	assert_int_equal(doctor_parse_seccomp_status("Seccomp:\t0\n", &mode, &filters), 0);
	assert_int_equal(mode, 0);
	assert_int_equal(filters, 0);
	assert_int_equal(doctor_parse_seccomp_status("Name:\tx\nSeccomp_filters:\t1\n", &mode,
						     &filters), -ENOENT);
}

static void test_container_kind(void **state)
{
	(void)state;
	assert_string_equal(doctor_container_kind(true, false, true, NULL, NULL), "docker");
	/* A stale /.dockerenv on a VM's ext4 root is no container. */
	assert_null(doctor_container_kind(true, false, false, NULL, NULL));
	assert_string_equal(doctor_container_kind(false, true, true, "", ""), "podman");
	assert_string_equal(doctor_container_kind(true, false, true, "10.0.0.1", NULL),
			    "kubernetes");
	assert_string_equal(doctor_container_kind(false, false, false, NULL, "lxc"), "lxc");
	assert_null(doctor_container_kind(false, false, true, "", ""));

	assert_true(doctor_root_is_image(
		"1 0 8:1 / / rw - ext4 /dev/sda1 rw\n"
		"78 52 0:40 / / rw,relatime master:3 - overlay overlay rw,lowerdir=/x\n"
		"80 78 0:41 / /proc rw - proc proc rw\n"));
	assert_false(doctor_root_is_image("26 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
					  "27 26 0:5 / /dev rw - devtmpfs udev rw\n"));
	/* vfs storage driver: a bind of a subdirectory as the root. */
	assert_true(doctor_root_is_image(
		"90 60 254:0 /var/lib/docker/vfs/dir/abc / rw - ext4 /dev/vda rw\n"));
	assert_false(doctor_root_is_image(""));
}

static void test_shm_full_count(void **state)
{
	struct run_report r;
	char why[128];

	(void)state;
	memset(&r, 0, sizeof(r));
	r.expected = 4;
	snprintf(why, sizeof(why), "could not send the task: %s", bus_strerror(-ENOSPC));
	assert_int_equal(report_add_failure(&r, "w1", why, 0, 0, 0), 0);
	assert_int_equal(report_add_failure(&r, "w2", "exited with status 3", 3, 1, 0), 0);
	assert_int_equal(report_add_failure(&r, "w3", why, 0, 2, 0), 0);
	assert_int_equal(run_shm_full_count(&r), 2);
	report_free(&r);
	memset(&r, 0, sizeof(r));
	assert_int_equal(run_shm_full_count(&r), 0);
}

/* The placement probe against the real cgroup v2 hierarchy, where there
 * is one we may write (root on our hosts); skipped elsewhere. */
static void test_cgroup_place(void **state)
{
	static const char *mounts[] = { "/sys/fs/cgroup/unified", "/sys/fs/cgroup" };
	char own[4096], dir[8192];
	const char *step = "";
	struct statfs sf;
	FILE *f;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++)
		if (!statfs(mounts[i], &sf) && sf.f_type == CGROUP2_SUPER_MAGIC)
			break;
	f = fopen("/proc/self/cgroup", "re");
	own[0] = '\0';
	while (f && fgets(own, sizeof(own), f) && strncmp(own, "0::", 3))
		own[0] = '\0';
	if (f)
		fclose(f);
	if (i == 2 || strncmp(own, "0::", 3) || geteuid() != 0) {
		skip();
		return;
	}
	own[strcspn(own, "\n")] = '\0';
	snprintf(dir, sizeof(dir), "%s%s/swarm-unit-place-%d", mounts[i],
		 strcmp(own + 3, "/") ? own + 3 : "", (int)getpid());
	if (mkdir(dir, 0755)) {
		skip();
		return;
	}
	assert_int_equal(doctor_cgroup_place(dir, access("/sys/fs/cgroup/unified/cgroup.kill",
							 F_OK) == 0 ||
					     access("/sys/fs/cgroup/cgroup.kill", F_OK) == 0, &step), 0);
	for (i = 0; i < 100 && rmdir(dir); i++)
		usleep(1000);
	assert_int_not_equal(access(dir, F_OK), 0);
	/* A group that is not there: the first write fails, and names itself. */
	assert_int_equal(doctor_cgroup_place(dir, true, &step), -ENOENT);
	assert_string_equal(step, "write cgroup.procs");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seccomp_verdicts),
		cmocka_unit_test(test_seccomp_status_parse),
		cmocka_unit_test(test_container_kind),
		cmocka_unit_test(test_shm_full_count),
		cmocka_unit_test(test_cgroup_place),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
