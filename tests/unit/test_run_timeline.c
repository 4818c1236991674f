/* The timeline writer (user/run_timeline*.c) on records made up here:
 * names from outside are escaped, the byte cap holds whatever is recorded
 * (a flow's ends stay together, the file still closes), a bad path fails
 * at open, and a NULL timeline is a no-op everywhere. The format itself
 * is checked on real runs by tests/e2e/run_timeline.sh. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "run_timeline.h"

#define MS 1000000ull

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void tmp_path(char *buf, size_t len)
{
	snprintf(buf, len, "/tmp/swarm-test-timeline-%d.json", (int)getpid());
}

static void add_task(struct timeline *tl, uint32_t id, const char *agent,
		     uint64_t start, uint64_t end)
{
	struct task t = { .id = id, .status = TS_OK, .t_start_ns = start,
			  .t_end_ns = end, .latency_ns = (end - start) / 4 };

	snprintf(t.agent, sizeof(t.agent), "%s", agent);
	timeline_task(tl, &t, 0);
}

static void test_names_escaped(void **state)
{
	struct spawn_exit_event e = { .exit_ns = 50 * MS, .life_ns = 40 * MS,
				      .exec_exit_ns = 30 * MS };
	struct timeline *tl;
	char path[64], *out;
	size_t len;

	(void)state;
	tmp_path(path, sizeof(path));
	assert_int_equal(timeline_open(path, &tl), 0);
	timeline_begin(tl, 100, "flat", 1 * MS);
	timeline_spawned(tl, 101, "w\"1\\\n", TL_AGENT, 5 * MS);
	e.tgid = e.agent = 101;
	e.ppid = 100;
	memcpy(e.comm, "a\"b\x01", 5);
	timeline_kernel_exit(tl, &e);
	add_task(tl, 0, "w\"1\\\n", 4 * MS, 30 * MS);
	timeline_end(tl, 60 * MS);
	assert_int_equal(timeline_write(tl), 0);
	timeline_free(tl);
	out = slurp(path, &len);
	unlink(path);
	assert_non_null(strstr(out, "\"w\\\"1\\\\\\n (pid 101)\""));  /* thread name */
	assert_non_null(strstr(out, "\"exec a\\\"b\\u0001\""));         /* comm */
	assert_null(strchr(out, '\x01'));
	assert_non_null(strstr(out, "\"traceEvents\":["));
	assert_true(len > 3 && !strcmp(out + len - 3, "}}\n"));
	free(out);
}

/* One agent with 100k tasks: far more than 4 MiB of events. */
static void test_byte_cap(void **state)
{
	struct timeline *tl;
	char path[64], *out, *p;
	struct stat st;
	size_t len, s = 0, f = 0;
	uint32_t i;

	(void)state;
	tmp_path(path, sizeof(path));
	assert_int_equal(timeline_open(path, &tl), 0);
	timeline_begin(tl, 100, "flat", 1 * MS);
	timeline_spawned(tl, 101, "w1", TL_AGENT, 2 * MS);
	for (i = 0; i < 100000; i++)
		add_task(tl, i, "w1", 3 * MS + i * 10000ull, 3 * MS + i * 10000ull + 9000);
	timeline_exited(tl, 101, 2000 * MS, 0);
	timeline_end(tl, 2001 * MS);
	assert_int_equal(timeline_write(tl), 0);
	timeline_free(tl);
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size <= TL_MAX_BYTES);
	assert_true(st.st_size > TL_MAX_BYTES / 2);   /* filled, not given up */
	out = slurp(path, &len);
	unlink(path);
	assert_null(strstr(out, "\"dropped_events\":0,"));
	assert_true(!strcmp(out + len - 3, "}}\n"));
	for (p = out; (p = strstr(p, "\"ph\":\"s\"")); p++)
		s++;
	for (p = out; (p = strstr(p, "\"ph\":\"f\"")); p++)
		f++;
	assert_int_equal(s, f);    /* never half a flow */
	free(out);
}

static void test_bad_path_and_null(void **state)
{
	struct timeline *tl = (void *)1;
	struct task t = { 0 };

	(void)state;
	assert_int_equal(timeline_open("/nonexistent-dir/x/t.json", &tl), -ENOENT);
	assert_null(tl);
	timeline_begin(NULL, 1, "flat", 0);
	timeline_spawned(NULL, 2, "w1", TL_AGENT, 0);
	timeline_exited(NULL, 2, 0, 0);
	timeline_sample(NULL, 0, 0, 0);
	timeline_mark(NULL, "x", 0, 0);
	timeline_task(NULL, &t, 0);
	timeline_end(NULL, 0);
	assert_int_equal(timeline_write(NULL), 0);
	timeline_free(NULL);
}

/* Samples stay bounded however long the run: halved when full. */
static void test_samples_bounded(void **state)
{
	struct timeline *tl;
	char path[64], *out, *p;
	size_t len, n = 0;
	uint64_t i;

	(void)state;
	tmp_path(path, sizeof(path));
	assert_int_equal(timeline_open(path, &tl), 0);
	timeline_begin(tl, 100, "flat", 0);
	for (i = 0; i < 100000; i++)
		timeline_sample(tl, i * 100 * MS, 10, i);
	timeline_end(tl, 100000 * 100 * MS);
	assert_int_equal(timeline_write(tl), 0);
	timeline_free(tl);
	out = slurp(path, &len);
	unlink(path);
	for (p = out; (p = strstr(p, "\"name\":\"master\",\"pid\"")); p++)
		n++;
	assert_true(n >= 1000 && n <= 2000);
	free(out);
}

/* A coordinator's procs file, hostile lines included: only well-formed
 * lines with bus names count; a torn last line is left out. */
static void test_procs_file(void **state)
{
	char dir[] = "/tmp/swarm-test-tlprocs-XXXXXX", path[64], line[128], file[96], *out;
	struct timeline *tl;
	size_t len;
	int dfd, fd, n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	snprintf(file, sizeof(file), "%s/c1.procs", dir);
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	n = timeline_procs_line(line, sizeof(line), 1, 4242, 5 * MS, "c1-w7", 0);
	assert_true(n > 0);
	assert_int_equal(write(fd, line, (size_t)n), n);
	n = timeline_procs_line(line, sizeof(line), 0, 4242, 9 * MS, NULL, 256);
	assert_int_equal(write(fd, line, (size_t)n), n);
	assert_int_equal(timeline_procs_line(line, 8, 1, 4242, 5 * MS, "c1-w7", 0), -ENOSPC);
	dprintf(fd, "s 77 1000 bad\"name\ns -3 10 c1-w2\ngarbage\n"
		"s 88 6000000 c1-w8\nx 88 7");   /* torn: no newline */
	close(fd);
	tmp_path(path, sizeof(path));
	assert_int_equal(timeline_open(path, &tl), 0);
	timeline_begin(tl, 100, "hybrid", 1 * MS);
	timeline_spawned(tl, 4000, "c1", TL_COORD, 2 * MS);
	add_task(tl, 0, "c1-w7", 6 * MS, 8 * MS);
	assert_int_equal(timeline_read_procs(tl, dfd, "c1"), 0);
	assert_int_equal(timeline_read_procs(tl, dfd, "c9"), 0);   /* none: fine */
	timeline_end(tl, 10 * MS);
	assert_int_equal(timeline_write(tl), 0);
	timeline_free(tl);
	out = slurp(path, &len);
	unlink(path);
	assert_non_null(strstr(out, "\"c1-w7 (pid 4242)\""));
	assert_non_null(strstr(out, "\"c1-w8 (pid 88)\""));
	assert_non_null(strstr(out, "\"exit\":\"status 1\""));   /* wstatus 256 */
	assert_null(strstr(out, "bad"));
	assert_null(strstr(out, "c1-w2"));
	free(out);
	unlink(file);
	close(dfd);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_escaped),
		cmocka_unit_test(test_byte_cap),
		cmocka_unit_test(test_bad_path_and_null),
		cmocka_unit_test(test_samples_bounded),
		cmocka_unit_test(test_procs_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
