/* swarm soak: the regression, the per-process and per-slot fd leak rules,
 * and /proc sampling of a real process that leaks. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "soak_impl.h"

static void fit_line(void **state)
{
	struct fit_acc a = { 0 };
	struct soak_fit f;
	int i;

	(void)state;
	for (i = 0; i < 10; i++)
		fit_add(&a, 1000.0 + i, 5.0 + 2.0 * i);   /* exact line */
	fit_get(&a, &f);
	assert_int_equal(f.n, 10);
	assert_true(f.slope > 1.999 && f.slope < 2.001);
	assert_true(f.r2 > 0.999);
	assert_true(f.start > 4.99 && f.start < 5.01);
	assert_true(f.end > 22.99 && f.end < 23.01);
}

static void fit_flat_and_noise(void **state)
{
	struct fit_acc a = { 0 }, b = { 0 };
	struct soak_fit f;
	int i;

	(void)state;
	for (i = 0; i < 10; i++)
		fit_add(&a, i, 7);
	fit_get(&a, &f);
	assert_true(f.slope == 0 && f.r2 == 0);
	/* a sawtooth: no trend to speak of */
	for (i = 0; i < 12; i++)
		fit_add(&b, i, (i % 4) * 10.0);
	fit_get(&b, &f);
	assert_true(f.r2 < 0.5);
}

static struct sproc proc(pid_t pid, int role, int fds, int children,
			 double age)
{
	struct sproc p;

	memset(&p, 0, sizeof(p));
	p.pid = pid;
	p.start = 100;
	p.role = role;
	p.fds = fds;
	p.children = children;
	p.age_s = age;
	p.rss_kb = 1000;
	return p;
}

/* A flat master holds nothing per agent (its pool reaps through one
 * signalfd): steady fds while its agents exit are no leak, whatever the
 * count of children does. */
static void leak_rule_flat_master(void **state)
{
	struct tracker tr = { 0 };
	struct sproc p;
	struct soak_report *rep = calloc(1, sizeof(*rep));
	int i;

	(void)state;
	assert_non_null(rep);
	for (i = 0; i < 8; i++) {
		p = proc(424245, ROLE_MASTER, 15, 8 - i, i);
		tracker_feed(&tr, &p, 1, i, 0);
		tracker_sweep(&tr);
	}
	tracker_report(&tr, rep);
	assert_int_equal(rep->nleaks, 0);
	tracker_free(&tr);
	free(rep);
}

static void leak_rule_process(void **state)
{
	struct tracker tr = { .hybrid = 1 };
	struct sproc p;
	struct soak_report *rep = calloc(1, sizeof(*rep));
	static const int healthy[] = { 9, 10, 9, 9, 10, 9, 9, 10 };
	int i;

	(void)state;
	assert_non_null(rep);
	for (i = 0; i < 8; i++) {
		p = proc(424242, ROLE_AGENT, 9 + 3 * i, 0, i);   /* leaks */
		tracker_feed(&tr, &p, 1, i, 0);
		p = proc(424243, ROLE_AGENT, healthy[i], 0, i);  /* noise */
		tracker_feed(&tr, &p, 1, i, 0);
		/* a hybrid master whose fds follow its live coordinators
		 * (a pidfd each) */
		p = proc(424244, ROLE_MASTER, 12 + i, i, i);
		tracker_feed(&tr, &p, 1, i, 0);
		tracker_sweep(&tr);
	}
	tracker_report(&tr, rep);
	assert_int_equal(rep->nleaks, 1);
	assert_int_equal(rep->leaks[0].pid, 424242);
	assert_string_equal(rep->leaks[0].scope, "process");
	assert_true(rep->leaks[0].rate_per_min > 179 && rep->leaks[0].rate_per_min < 181);
	assert_int_equal(rep->leaks[0].fds_first, 9);
	assert_int_equal(rep->leaks[0].fds_last, 30);
	/* dead and leaking: kept; dead and healthy: dropped */
	tracker_sweep(&tr);
	assert_int_equal(tr.n, 1);
	tracker_free(&tr);
	free(rep);
}

/* A process that opened fds, then gave them back, was holding, not leaking. */
static void leak_rule_gives_back(void **state)
{
	static const int fds[] = { 9, 13, 17, 21, 25, 9, 9 };
	struct tracker tr = { 0 };
	struct soak_report *rep = calloc(1, sizeof(*rep));
	struct sproc p;
	int i;

	(void)state;
	assert_non_null(rep);
	for (i = 0; i < 7; i++) {
		p = proc(424245, ROLE_AGENT, fds[i], 0, i);
		tracker_feed(&tr, &p, 1, i, 0);
		tracker_sweep(&tr);
	}
	tracker_report(&tr, rep);
	assert_int_equal(rep->nleaks, 0);
	tracker_free(&tr);
	free(rep);
}

/* An agent that opens its bus files once at start-up (5 -> 9 fds) and
 * then holds them is healthy; the same rise that goes on is a leak. */
static void leak_rule_startup_then_flat(void **state)
{
	static const int flat[] = { 5, 9, 9, 9, 9, 9, 9 };
	static const int rising[] = { 5, 7, 9, 11, 13, 15, 17 };
	struct tracker tr = { 0 };
	struct soak_report *rep = calloc(1, sizeof(*rep));
	struct sproc p;
	int i;

	(void)state;
	assert_non_null(rep);
	for (i = 0; i < 7; i++) {
		p = proc(424246, ROLE_AGENT, flat[i], 0, i);
		tracker_feed(&tr, &p, 1, i, 0);
		p = proc(424247, ROLE_AGENT, rising[i], 0, i);
		tracker_feed(&tr, &p, 1, i, 0);
		tracker_sweep(&tr);
	}
	tracker_report(&tr, rep);
	assert_int_equal(rep->nleaks, 1);
	assert_int_equal(rep->leaks[0].pid, 424247);
	tracker_free(&tr);
	free(rep);
}

/* Slot rule: short-lived processes of one name, two samples each. Names
 * come from the log file, so give each fake a name by hand. */
static void leak_rule_slot(void **state)
{
	struct tracker tr = { 0 };
	struct soak_report *rep = calloc(1, sizeof(*rep));
	struct tracked *e;
	struct sproc p;
	int i, j;

	(void)state;
	assert_non_null(rep);
	for (i = 0; i < 4; i++)
		for (j = 0; j < 2; j++) {
			p = proc(500000 + i, ROLE_AGENT, 9 + 10 * j + (i % 2), 0,
				 0.2 + j + 0.05 * i);
			p.start = 1000 + (uint64_t)i;
			e = tracker_feed(&tr, &p, 1, 2.0 * i + j, 0);
			assert_non_null(e);
			if (!e->name[0]) {
				/* first feed: name it, and replay the slot feed */
				strcpy(e->name, "w7");
				slot_feed(&tr, e, &p, 2.0 * i + j, 0);
			}
			tracker_sweep(&tr);
		}
	tracker_report(&tr, rep);
	assert_int_equal(rep->nleaks, 1);
	assert_string_equal(rep->leaks[0].agent, "w7");
	assert_string_equal(rep->leaks[0].scope, "slot");
	assert_int_equal(rep->leaks[0].processes, 4);
	assert_int_equal(rep->leaks[0].pid, 500003);
	tracker_free(&tr);
	free(rep);
}

/* /proc: a real child that opens one file 20 times is seen with its fds,
 * and the file it keeps opening is named. */
static void proc_real_leak(void **state)
{
	char path[] = "/tmp/swarm-soak-unit.XXXXXX", top[256] = "", rd[1];
	struct sproc *v = NULL;
	size_t n = 0;
	int p[2], fd, i, base = -1;
	pid_t pid;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[1]);
		for (i = 0; i < 20; i++)
			if (open(path, O_RDONLY) < 0)
				_exit(1);
		(void)!read(p[0], rd, 1);   /* until the parent has looked */
		_exit(0);
	}
	close(p[0]);
	for (i = 0; i < 200; i++) {
		assert_int_equal(sproc_scan(getpid(), 0, &v, &n), 0);
		base = -1;
		for (size_t k = 0; k < n; k++)
			if (v[k].pid == pid)
				base = v[k].fds;
		free(v);
		v = NULL;
		if (base >= 23)
			break;
		usleep(10000);
	}
	assert_true(base >= 23);
	assert_int_equal(sproc_top_target(pid, 20, top, sizeof(top)), 0);
	assert_string_equal(top, path);
	close(p[1]);
	waitpid(pid, NULL, 0);
	/* gone: the last answer stays */
	assert_true(sproc_top_target(pid, 20, top, sizeof(top)) < 0);
	assert_string_equal(top, path);
	unlink(path);
}

static struct soak_fit line(double kb_per_s, double start_kb, double secs,
			   int sawtooth)
{
	struct fit_acc a = { 0 };
	struct soak_fit f;
	int i;

	for (i = 0; i <= 20; i++)
		fit_add(&a, secs * i / 20, start_kb + kb_per_s * secs * i / 20 +
			(sawtooth ? (i % 4) * 4000.0 : 0));
	fit_get(&a, &f);
	return f;
}

static void memory_verdicts(void **state)
{
	struct soak_fit f;

	(void)state;
	/* 1 MB/h == 1024 kB / 3600 s */
	f = line(120 * 1024 / 3600.0, 500000, 3600, 0);   /* 120 MB/h, 5 % */
	assert_int_equal(soak_judge_memory(&f), SOAK_CRIT);
	f = line(60 * 1024 / 3600.0, 500000, 3600, 0);    /* 60 MB/h */
	assert_int_equal(soak_judge_memory(&f), SOAK_WARN);
	f = line(10 * 1024 / 3600.0, 500000, 3600, 0);    /* 10 MB/h, 2 % */
	assert_int_equal(soak_judge_memory(&f), SOAK_PASS);
	f = line(2 * 1024 / 3600.0, 20000, 86400, 0);     /* 2 MB/h but +240 % */
	assert_int_equal(soak_judge_memory(&f), SOAK_CRIT);
	/* steep but tiny: 0.3 MB rise in 10 s is not judged */
	f = line(30, 2000, 10, 0);
	assert_int_equal(soak_judge_memory(&f), SOAK_PASS);
	/* a slope inside a big sawtooth explains too little */
	f = line(60 * 1024 / 3600.0, 500000, 60, 1);
	assert_true(f.r2 < 0.5);
	assert_int_equal(soak_judge_memory(&f), SOAK_PASS);
}

/* The whole conclusion on hand-made figures: drift, thresholds, codes. */
static void conclude_codes(void **state)
{
	struct soak_opts o;
	struct soak s;
	struct soak_report *rep = calloc(1, sizeof(*rep));

	(void)state;
	assert_non_null(rep);
	memset(&o, 0, sizeof(o));
	memset(&s, 0, sizeof(s));
	s.o = &o;
	s.rep = rep;
	s.nrounds = 4;
	s.rate_min = 100;
	s.rate_sum = 400;
	s.bucket_sum[0] = 100; s.bucket_n[0] = 1;
	s.bucket_sum[29] = 100; s.bucket_n[29] = 1;
	s.bucket_sum[10] = 200; s.bucket_n[10] = 2;
	soak_conclude(&s);
	assert_int_equal(rep->verdict, SOAK_PASS);
	assert_int_equal(rep->exit_code, 0);
	/* a coordinator over 800 fds: warning, exit 6 */
	rep->coord_fds_peak = 900;
	soak_conclude(&s);
	assert_int_equal(rep->v_fds, SOAK_WARN);
	assert_int_equal(rep->exit_code, EXIT_SOAK_WARNING);
	/* last third of the run delivers 93 % against 100 %: drift 7 % */
	s.bucket_sum[29] = 93;
	s.rate_min = 93;
	soak_conclude(&s);
	assert_true(rep->drift_pct > 6.9 && rep->drift_pct < 7.1);
	assert_int_equal(rep->v_delivery, SOAK_CRIT);
	assert_int_equal(rep->exit_code, 1);
	free(rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fit_line),
		cmocka_unit_test(fit_flat_and_noise),
		cmocka_unit_test(leak_rule_process),
		cmocka_unit_test(leak_rule_flat_master),
		cmocka_unit_test(leak_rule_gives_back),
		cmocka_unit_test(leak_rule_startup_then_flat),
		cmocka_unit_test(leak_rule_slot),
		cmocka_unit_test(proc_real_leak),
		cmocka_unit_test(memory_verdicts),
		cmocka_unit_test(conclude_codes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
