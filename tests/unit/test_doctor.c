/* swarm doctor: the need formulas, verdicts on a real non-tmpfs and a
 * missing directory, and JSON that stays valid whatever the input. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "doctor.h"
#include "json.h"
#include "trace.h"

static const struct doctor_check *find(const struct doctor_report *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (!strcmp(r->c[i].name, name))
			return &r->c[i];
	return NULL;
}

static void test_formulas(void **state)
{
	(void)state;
	/* (N+1) x (4 KiB + pageup(live)) + pageup(72 N) */
	assert_int_equal(doctor_shm_need(1, 65536), 2 * (4096 + 65536) + 4096);
	assert_int_equal(doctor_shm_need(1000, 65536), 1001ull * 69632 + 73728);
	assert_int_equal(doctor_shm_need(10, 1), 11 * 8192 + 4096);
	assert_int_equal(doctor_shm_need(10, 0), 11 * 4096 + 4096);
	/* 1000 agents with the default backlog do not fit Docker's 64 MiB */
	assert_true(doctor_shm_need(1000, DOCTOR_DEF_LIVE_BYTES) > (64ull << 20));
	assert_int_equal(doctor_fd_need(1000), 3064);
	assert_int_equal(doctor_fd_need(1), 67);
}

static void run(struct doctor_report *r, const char *shm, uint64_t agents)
{
	struct doctor_opts o = { .agents = agents, .shm_path = shm,
				 .live_bytes = DOCTOR_DEF_LIVE_BYTES };

	assert_int_equal(doctor_run(&o, r), 0);
	assert_true(r->n >= 12);
}

static void test_missing_dir_fails(void **state)
{
	struct doctor_report *r = malloc(sizeof(*r));
	const struct doctor_check *c;

	(void)state;
	assert_non_null(r);
	run(r, "/nonexistent/swarm-doctor-test", 10);
	c = find(r, "shm_mount");
	assert_non_null(c);
	assert_int_equal(c->status, DOCTOR_FAIL);
	assert_non_null(strstr(c->found, "No such file"));
	assert_true(c->fix[0]);
	assert_null(find(r, "shm_size"));   /* nothing to measure */
	assert_int_equal(doctor_worst(r), DOCTOR_FAIL);
	free(r);
}

static void test_disk_dir_warns(void **state)
{
	struct doctor_report *r = malloc(sizeof(*r));
	char dir[] = "build/tests/doctor-disk.XXXXXX";
	const struct doctor_check *c;

	(void)state;
	assert_non_null(r);
	if (!mkdtemp(dir))          /* run from the build root or elsewhere */
		assert_non_null(mkdtemp(strcpy(dir, "./doctor-disk.XXXXXX")));
	run(r, dir, 10);
	rmdir(dir);
	c = find(r, "shm_mount");
	assert_non_null(c);
	/* the source tree lives on a disk filesystem on our hosts */
	assert_int_equal(c->status, DOCTOR_WARN);
	assert_non_null(strstr(c->found, "not tmpfs"));
	assert_non_null(find(r, "shm_size"));
	free(r);
}

static void test_json_valid(void **state)
{
	struct doctor_report *r = malloc(sizeof(*r));
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_non_null(r);
	run(r, "/nonexistent/\"quote\\back\xff\n", 3);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	doctor_print_json(f, r);
	fclose(f);
	assert_true(utf8_valid(buf, len));
	assert_non_null(strstr(buf, "\"schema_version\":1,"));
	assert_non_null(strstr(buf, "\\\"quote\\\\back"));
	assert_null(memchr(buf, '\n', len - 1));   /* one line, newline at the end */
	assert_int_equal(buf[len - 1], '\n');
	free(buf);
	free(r);
}

struct hooks_seen {
	unsigned sigs, unowned, n;
	int fork_tp, task_file_iter;
};

static void see_hook(unsigned sig, const char *section, void *arg)
{
	struct hooks_seen *h = arg;

	h->n++;
	h->sigs |= sig;
	h->unowned += sig == 0;
	h->fork_tp |= sig == TRACE_SPAWN && !strcmp(section, "raw_tp/sched_process_fork");
	h->task_file_iter |= sig == TRACE_FD && !strcmp(section, "iter/task_file");
}

/* doctor checks the hooks the BPF object declares: every program of it
 * belongs to a signal (a new one without would go unchecked), every
 * signal has programs. */
static void test_hooks_from_object(void **state)
{
	struct hooks_seen h = { 0 };

	(void)state;
	assert_int_equal(tracer_hooks(see_hook, &h), 0);
	assert_true(h.n >= 4);
	assert_int_equal(h.unowned, 0);
	assert_int_equal(h.sigs, TRACE_SPAWN | TRACE_FLOCK | TRACE_FD | TRACE_LATENCY);
	assert_true(h.fork_tp);
	assert_true(h.task_file_iter);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formulas),
		cmocka_unit_test(test_missing_dir_fails),
		cmocka_unit_test(test_disk_dir_warns),
		cmocka_unit_test(test_json_valid),
		cmocka_unit_test(test_hooks_from_object),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
