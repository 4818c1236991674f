/* spawn: a known tree of K processes, each forked and exec'd once after the
 * tracer attached -> exactly K forks, K execs, K exits; processes forked
 * meanwhile outside the tree are not counted. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "bpf_harness.h"
#include "json.h"

#define CHILDREN 3 /* each with one grandchild: K = 6 */
#define K (CHILDREN * 2)

static void exec_true(void)
{
	execl("/bin/true", "true", (char *)NULL);
	_exit(127);
}

static void build_tree(struct traced *t, void *arg)
{
	pid_t kids[CHILDREN];
	int i, st, ok = 1;

	(void)arg;
	for (i = 0; i < CHILDREN; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			pid_t g = fork();

			if (g == 0)
				exec_true();
			waitpid(g, NULL, 0);
			exec_true();
		}
	}
	for (i = 0; i < CHILDREN; i++)
		if (waitpid(kids[i], &st, 0) != kids[i] || !WIFEXITED(st) || WEXITSTATUS(st))
			ok = 0;
	traced_step(t, ok ? 0 : 1);
}

/* The kernel object of the report, malloc'ed text. */
static char *report_json(struct tracer *tr)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct jsonw w;

	assert_non_null(f);
	jsonw_init_file(&w, f);
	jsonw_start_object(&w);
	assert_int_equal(tracer_report_json(tr, &w), 0);
	jsonw_end_object(&w);
	assert_int_equal(jsonw_finish(&w), 0);
	fclose(f);
	return buf;
}

static int count_in_report(struct tracer *tr, const char *needle)
{
	char *buf = report_json(tr), *p;
	int n = 0;

	for (p = buf; (p = strstr(p, needle)); p++)
		n++;
	free(buf);
	return n;
}

static void test_spawn_exact_tree(void **state)
{
	struct spawn_totals s;
	struct traced t = { 0 };
	struct tracer *tr;
	int i;

	(void)state;
	SKIP_UNLESS_ROOT();
	assert_int_equal(traced_start(&t, build_tree, NULL), 0);
	tr = traced_tracer(&t, TRACE_SPAWN);
	assert_non_null(tr);
	traced_go(&t);
	/* noise outside the tree while it runs */
	for (i = 0; i < 5; i++)
		assert_int_equal(system("/bin/true"), 0);
	assert_int_equal(traced_wait(&t), 0);
	assert_int_equal(tracer_spawn_totals(tr, &s), 0);
	assert_int_equal(s.forks, K);
	assert_int_equal(s.execs, K);
	assert_int_equal(s.exits, K);
	assert_int_equal(s.exit_status[0], K);
	assert_int_equal(hist_total(s.fork_exec_us, HIST_SLOTS), K);
	assert_int_equal(hist_total(s.exec_exit_us, HIST_SLOTS), K);
	assert_int_equal(s.ringbuf_drops, 0);
	/* every exit also came through the ring buffer into the report */
	assert_int_equal(count_in_report(tr, "\"comm\":\"true\""), K);
	traced_end(&t);
	tracer_close(tr);
}

/* Exit codes and signals of tree processes are told apart. */
static void exit_codes(struct traced *t, void *arg)
{
	pid_t a, b;

	(void)arg;
	a = fork();
	if (a == 0)
		_exit(3);
	b = fork();
	if (b == 0) {
		raise(SIGKILL);
		_exit(0);
	}
	waitpid(a, NULL, 0);
	waitpid(b, NULL, 0);
	traced_step(t, 0);
}

static void test_spawn_exit_codes(void **state)
{
	struct spawn_totals s;
	struct traced t = { 0 };
	struct tracer *tr;

	(void)state;
	SKIP_UNLESS_ROOT();
	assert_int_equal(traced_start(&t, exit_codes, NULL), 0);
	tr = traced_tracer(&t, TRACE_SPAWN);
	assert_non_null(tr);
	traced_go(&t);
	assert_int_equal(traced_wait(&t), 0);
	assert_int_equal(tracer_spawn_totals(tr, &s), 0);
	assert_int_equal(s.forks, 2);
	assert_int_equal(s.execs, 0);
	assert_int_equal(s.exits, 2);
	assert_int_equal(s.exit_status[3], 1);
	assert_int_equal(s.exit_signal[SIGKILL], 1);
	traced_end(&t);
	tracer_close(tr);
}

/* Processes that existed before the tracer attached are followed too. */
static void pre_existing(struct traced *t, void *arg)
{
	pid_t c = fork();

	(void)arg;
	if (c == 0) {
		/* exists before attach; forks one process after */
		if (traced_step(t, 0) == 0) {
			pid_t g = fork();

			if (g == 0)
				exec_true();
			waitpid(g, NULL, 0);
			traced_step(t, 0);
		}
		_exit(0);
	}
	waitpid(c, NULL, 0);
}

static void test_spawn_sees_existing_descendants(void **state)
{
	struct spawn_totals s;
	struct traced t = { 0 };
	struct tracer *tr;
	unsigned char b = 1;

	(void)state;
	SKIP_UNLESS_ROOT();
	assert_int_equal(traced_start(&t, pre_existing, NULL), 0);
	/* let the root create its child before the tracer exists */
	assert_int_equal(write(t.go, &b, 1), 1);
	assert_int_equal(traced_wait(&t), 0);
	tr = traced_tracer(&t, TRACE_SPAWN);
	assert_non_null(tr);
	traced_go(&t);
	assert_int_equal(traced_wait(&t), 0);
	assert_int_equal(tracer_spawn_totals(tr, &s), 0);
	assert_int_equal(s.forks, 1);
	assert_int_equal(s.execs, 1);
	traced_end(&t);
	tracer_close(tr);
}

/* More exits than the ring buffer holds, with nobody reading: every exit
 * is still counted, and what did not fit is counted as dropped. */
#define FLOOD 8000

static void flood(struct traced *t, void *arg)
{
	volatile int i; /* vfork shares our stack */

	(void)arg;
	for (i = 0; i < FLOOD; i++) {
		pid_t c = vfork();

		if (c == 0)
			_exit(0);
		if (c > 0)
			waitpid(c, NULL, 0);
	}
	traced_step(t, 0);
}

static unsigned long long json_u64(struct tracer *tr, const char *key)
{
	unsigned long long v = 0;
	char *buf = report_json(tr), *p;

	p = strstr(buf, key);
	assert_non_null(p);
	assert_int_equal(sscanf(p + strlen(key), "%llu", &v), 1);
	free(buf);
	return v;
}

static void test_spawn_ringbuf_drops_counted(void **state)
{
	struct spawn_totals s;
	struct traced t = { 0 };
	struct tracer *tr;
	unsigned long long events, drops;

	(void)state;
	SKIP_UNLESS_ROOT();
	assert_int_equal(traced_start(&t, flood, NULL), 0);
	tr = traced_tracer(&t, TRACE_SPAWN);
	assert_non_null(tr);
	traced_go(&t);
	assert_int_equal(traced_wait(&t), 0);
	assert_int_equal(tracer_spawn_totals(tr, &s), 0);
	assert_int_equal(s.exits, FLOOD);
	events = json_u64(tr, "\"exit_events\":");  /* drains the ring */
	drops = json_u64(tr, "\"ringbuf_drops\":");
	assert_true(drops > 0);                    /* 256 KiB < 8000 events */
	assert_int_equal(events + drops, FLOOD);
	traced_end(&t);
	tracer_close(tr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spawn_exact_tree),
		cmocka_unit_test(test_spawn_exit_codes),
		cmocka_unit_test(test_spawn_sees_existing_descendants),
		cmocka_unit_test(test_spawn_ringbuf_drops_counted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
