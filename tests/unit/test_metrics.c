/* Prometheus exposition text, the textfile writer and the loopback HTTP
 * endpoint, checked against exact expected bytes and real sockets. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "metrics.h"
#include "metrics_http.h"
#include "util.h"

static char *render(struct metrics *m)
{
	char *text;
	size_t len;

	assert_int_equal(metrics_render(m, &text, &len), 0);
	assert_int_equal(strlen(text), len);
	return text;
}

static void test_counter_gauge_text(void **state)
{
	struct metrics *m;
	struct metric_label role = { "role", "worker" };
	char *t;

	(void)state;
	assert_int_equal(metrics_new(&m), 0);
	assert_int_equal(metrics_declare(m, "swarm_messages_total", METRIC_COUNTER,
					 "Messages accepted."), 0);
	assert_int_equal(metrics_declare(m, "swarm_agents", METRIC_GAUGE, "Agents."), 0);
	assert_int_equal(metrics_set(m, "swarm_messages_total", NULL, 0, 12345), 0);
	assert_int_equal(metrics_add(m, "swarm_messages_total", NULL, 0, 5), 0);
	assert_int_equal(metrics_set(m, "swarm_agents", &role, 1, 0.1), 0);
	assert_int_equal(metrics_add(m, "swarm_agents", &role, 1, -0.1), 0);
	assert_int_equal(metrics_set(m, "swarm_agents", NULL, 0, 1.5e300), 0);
	t = render(m);
	assert_string_equal(t,
		"# HELP swarm_messages_total Messages accepted.\n"
		"# TYPE swarm_messages_total counter\n"
		"swarm_messages_total 12350\n"
		"# HELP swarm_agents Agents.\n"
		"# TYPE swarm_agents gauge\n"
		"swarm_agents{role=\"worker\"} 0\n"
		"swarm_agents 1.5e+300\n");
	free(t);
	metrics_free(m);
}

static void test_escaping_and_special_values(void **state)
{
	struct metrics *m;
	struct metric_label l[2] = { { "path", "a\\b\"c\nd" }, { "x", "" } };
	char *t;

	(void)state;
	assert_int_equal(metrics_new(&m), 0);
	assert_int_equal(metrics_declare(m, "g", METRIC_GAUGE, "two\nlines \\ here"), 0);
	assert_int_equal(metrics_set(m, "g", l, 2, NAN), 0);
	assert_int_equal(metrics_set(m, "g", l, 1, INFINITY), 0);
	assert_int_equal(metrics_set(m, "g", NULL, 0, -INFINITY), 0);
	t = render(m);
	assert_string_equal(t,
		"# HELP g two\\nlines \\\\ here\n"
		"# TYPE g gauge\n"
		"g{path=\"a\\\\b\\\"c\\nd\",x=\"\"} NaN\n"
		"g{path=\"a\\\\b\\\"c\\nd\"} +Inf\n"
		"g -Inf\n");
	free(t);
	metrics_free(m);
}

static void test_log2_histogram(void **state)
{
	struct metrics *m;
	struct metric_label l = { "inbox", "w1" };
	uint64_t slots[4] = { 1, 0, 3, 2 };
	char *t;

	(void)state;
	assert_int_equal(metrics_new(&m), 0);
	assert_int_equal(metrics_declare(m, "lat_seconds", METRIC_HISTOGRAM, "L."), 0);
	assert_int_equal(metrics_declare(m, "size_bytes", METRIC_HISTOGRAM, NULL), 0);
	assert_int_equal(metrics_set_log2(m, "lat_seconds", &l, 1, slots, 4, 1e-9, 3.5e-8), 0);
	assert_int_equal(metrics_set_log2(m, "size_bytes", NULL, 0, slots, 2, 1, 1), 0);
	t = render(m);
	/* slot i holds [2^i, 2^(i+1)): cumulative le = (2^(i+1)-1) * scale;
	 * the last slot holds everything clamped into it: +Inf only */
	assert_string_equal(t,
		"# HELP lat_seconds L.\n"
		"# TYPE lat_seconds histogram\n"
		"lat_seconds_bucket{inbox=\"w1\",le=\"1e-09\"} 1\n"
		"lat_seconds_bucket{inbox=\"w1\",le=\"3e-09\"} 1\n"
		"lat_seconds_bucket{inbox=\"w1\",le=\"7e-09\"} 4\n"
		"lat_seconds_bucket{inbox=\"w1\",le=\"+Inf\"} 6\n"
		"lat_seconds_sum{inbox=\"w1\"} 3.5e-08\n"
		"lat_seconds_count{inbox=\"w1\"} 6\n"
		"# HELP size_bytes \n"
		"# TYPE size_bytes histogram\n"
		"size_bytes_bucket{le=\"1\"} 1\n"
		"size_bytes_bucket{le=\"+Inf\"} 1\n"
		"size_bytes_sum 1\n"
		"size_bytes_count 1\n");
	free(t);
	/* replacing keeps one series */
	slots[0] = 10;
	assert_int_equal(metrics_set_log2(m, "size_bytes", NULL, 0, slots, 2, 1, 2), 0);
	t = render(m);
	assert_non_null(strstr(t, "size_bytes_count 10\n"));
	assert_null(strstr(t, "size_bytes_count 1\n"));
	free(t);
	metrics_free(m);
}

static void test_top_slot_boundary(void **state)
{
	struct metrics *m;
	uint64_t slots[64] = { 0 };
	char *t;

	(void)state;
	slots[63] = 1;
	assert_int_equal(metrics_new(&m), 0);
	assert_int_equal(metrics_declare(m, "h", METRIC_HISTOGRAM, "x"), 0);
	assert_int_equal(metrics_set_log2(m, "h", NULL, 0, slots, 64, 1, 0), 0);
	t = render(m);
	assert_null(strstr(t, "1.84467440737e+19"));   /* open-ended top slot */
	assert_non_null(strstr(t, "h_bucket{le=\"9.22337203685e+18\"} 0\n"));
	assert_non_null(strstr(t, "h_bucket{le=\"+Inf\"} 1\n"));
	assert_non_null(strstr(t, "h_count 1\n"));
	free(t);
	metrics_free(m);
}

/* A BPF histogram of 3 slots clamps a huge value into slot 2; no finite
 * bucket may claim it. */
static void test_clamped_top_slot(void **state)
{
	struct metrics *m;
	uint64_t slots[3] = { 0, 0, 1 };   /* e.g. v = 1e9 clamped into slot 2 */
	char *t;

	(void)state;
	assert_int_equal(metrics_new(&m), 0);
	assert_int_equal(metrics_declare(m, "c_seconds", METRIC_HISTOGRAM, "x"), 0);
	assert_int_equal(metrics_set_log2(m, "c_seconds", NULL, 0, slots, 3, 1, 1e9), 0);
	t = render(m);
	assert_string_equal(t, "# HELP c_seconds x\n# TYPE c_seconds histogram\n"
			       "c_seconds_bucket{le=\"1\"} 0\n"
			       "c_seconds_bucket{le=\"3\"} 0\n"
			       "c_seconds_bucket{le=\"+Inf\"} 1\n"
			       "c_seconds_sum 1000000000\n"
			       "c_seconds_count 1\n");
	free(t);
	metrics_free(m);
}

static void test_rejects(void **state)
{
	struct metrics *m;
	struct metric_label bad_name = { "1x", "v" }, reserved = { "__x", "v" };
	struct metric_label le = { "le", "1" }, dup[2] = { { "a", "1" }, { "a", "2" } };
	struct metric_label nullv = { "a", NULL };
	uint64_t slots[2] = { 1, 1 }, many[65] = { 0 };

	(void)state;
	assert_int_equal(metrics_new(&m), 0);
	assert_int_equal(metrics_declare(m, "no_suffix", METRIC_COUNTER, ""), -EINVAL);
	assert_int_equal(metrics_declare(m, "gauge_total", METRIC_GAUGE, ""), -EINVAL);
	assert_int_equal(metrics_declare(m, "h_bucket", METRIC_HISTOGRAM, ""), -EINVAL);
	assert_int_equal(metrics_declare(m, "h_count", METRIC_HISTOGRAM, ""), -EINVAL);
	assert_int_equal(metrics_declare(m, "bad-name", METRIC_GAUGE, ""), -EINVAL);
	assert_int_equal(metrics_declare(m, "9lives", METRIC_GAUGE, ""), -EINVAL);
	assert_int_equal(metrics_declare(m, "", METRIC_GAUGE, ""), -EINVAL);
	assert_int_equal(metrics_declare(m, "c_total", METRIC_COUNTER, ""), 0);
	assert_int_equal(metrics_declare(m, "c_total", METRIC_COUNTER, "again"), 0);
	assert_int_equal(metrics_declare(m, "c_total", METRIC_GAUGE, ""), -EEXIST);
	assert_int_equal(metrics_declare(m, "h", METRIC_HISTOGRAM, ""), 0);
	assert_int_equal(metrics_set(m, "missing", NULL, 0, 1), -ENOENT);
	assert_int_equal(metrics_set(m, "c_total", NULL, 0, -1), -EINVAL);
	assert_int_equal(metrics_set(m, "c_total", NULL, 0, NAN), -EINVAL);
	assert_int_equal(metrics_add(m, "c_total", NULL, 0, -1), -EINVAL);
	assert_int_equal(metrics_set(m, "c_total", &bad_name, 1, 1), -EINVAL);
	assert_int_equal(metrics_set(m, "c_total", &reserved, 1, 1), -EINVAL);
	assert_int_equal(metrics_set(m, "c_total", dup, 2, 1), -EINVAL);
	assert_int_equal(metrics_set(m, "c_total", &nullv, 1, 1), -EINVAL);
	assert_int_equal(metrics_set(m, "h", NULL, 0, 1), -EINVAL);
	assert_int_equal(metrics_set_log2(m, "c_total", NULL, 0, slots, 2, 1, 0), -EINVAL);
	assert_int_equal(metrics_set_log2(m, "h", &le, 1, slots, 2, 1, 0), -EINVAL);
	assert_int_equal(metrics_set_log2(m, "h", NULL, 0, slots, 0, 1, 0), -EINVAL);
	assert_int_equal(metrics_set_log2(m, "h", NULL, 0, many, 65, 1, 0), -EINVAL);
	assert_int_equal(metrics_set_log2(m, "h", NULL, 0, slots, 2, 0, 0), -EINVAL);
	assert_int_equal(metrics_set_log2(m, "h", NULL, 0, slots, 2, 1, -1), -EINVAL);
	assert_int_equal(metrics_set_log2(m, "h", NULL, 0, slots, 2, 1, NAN), -EINVAL);
	metrics_free(m);
}

static void test_sum_estimate(void **state)
{
	uint64_t slots[3] = { 2, 1, 4 };

	(void)state;
	/* 2 * 0.5 + 1 * 3 + 4 * 6 */
	assert_true(metrics_log2_sum_estimate(slots, 3) == 28.0);
}

static void test_swarm_families(void **state)
{
	struct metrics *m;
	char *t;

	(void)state;
	assert_int_equal(metrics_new(&m), 0);
	assert_int_equal(metrics_declare_swarm(m), 0);
	assert_int_equal(metrics_declare_swarm(m), 0);
	assert_int_equal(metrics_set(m, "swarm_delivered_total", NULL, 0, 7), 0);
	assert_int_equal(metrics_set(m, "swarm_shm_bytes", NULL, 0, 4096), 0);
	t = render(m);
	assert_non_null(strstr(t, "# TYPE swarm_latency_seconds histogram\n"));
	assert_non_null(strstr(t, "# TYPE swarm_failed_total counter\n"));
	assert_non_null(strstr(t, "\nswarm_delivered_total 7\n"));
	assert_non_null(strstr(t, "\nswarm_shm_bytes 4096\n"));
	free(t);
	metrics_free(m);
}

static void make_tmpdir(char *dir, size_t len)
{
	snprintf(dir, len, "/tmp/swarm-metrics-test.XXXXXX");
	assert_non_null(mkdtemp(dir));
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void test_write_file(void **state)
{
	struct metrics *m;
	char dir[64], path[128], buf[512], bad[160];
	struct stat st;
	ssize_t n;
	int fd;

	(void)state;
	make_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/swarm.prom", dir);
	assert_int_equal(metrics_new(&m), 0);
	assert_int_equal(metrics_declare(m, "a_total", METRIC_COUNTER, "A."), 0);
	assert_int_equal(metrics_set(m, "a_total", NULL, 0, 1), 0);
	assert_int_equal(metrics_write_file(m, path), 0);
	assert_int_equal(metrics_set(m, "a_total", NULL, 0, 2), 0);
	assert_int_equal(metrics_write_file(m, path), 0);   /* replaces */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "# HELP a_total A.\n# TYPE a_total counter\na_total 2\n");
	assert_int_equal(count_entries(dir), 1);   /* no temp file left */
	/* failure paths leave nothing behind and say why */
	snprintf(bad, sizeof(bad), "%s/nodir/x.prom", dir);
	assert_int_equal(metrics_write_file(m, bad), -ENOENT);
	snprintf(bad, sizeof(bad), "%s/", dir);
	assert_int_equal(metrics_write_file(m, bad), -EINVAL);
	assert_int_equal(metrics_write_file(m, ""), -EINVAL);
	assert_int_equal(metrics_write_file(m, dir), -EISDIR);
	assert_int_equal(count_entries(dir), 1);
	unlink(path);
	rmdir(dir);
	metrics_free(m);
}

/* ---- HTTP: real sockets on loopback, driven from this one thread ---- */

static int http_connect(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* Send req, step the server until it closes the connection; return the
 * whole response (malloc'd). */
static char *http_exchange(struct metrics_http *h, const char *req, size_t len)
{
	int fd = http_connect(metrics_http_port(h)), i;
	char *resp = calloc(1, 65536);
	size_t got = 0;

	assert_non_null(resp);
	assert_int_equal(write_full(fd, req, len), 0);
	for (i = 0; i < 200; i++) {
		ssize_t n;

		assert_true(metrics_http_step(h, 20) >= 0);
		n = recv(fd, resp + got, 65535 - got, MSG_DONTWAIT);
		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (n == 0)
			break;
	}
	close(fd);
	assert_true(i < 200);
	return resp;
}

/* A literal request: its length without the NUL. */
#define XCHG(h, lit) http_exchange(h, lit, sizeof(lit) - 1)

static void test_http(void **state)
{
	static const char body[] = "# TYPE x gauge\nx 1\n";
	struct metrics_http *h;
	char *r;

	(void)state;
	assert_int_equal(metrics_http_start("127.0.0.1:0", &h), 0);
	assert_true(metrics_http_port(h) > 0);
	assert_true(metrics_http_fd(h) >= 0);
	assert_int_equal(metrics_http_set_body(h, body, strlen(body)), 0);

	r = XCHG(h, "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n");
	assert_string_equal(r, "HTTP/1.0 200 OK\r\n"
			       "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
			       "Content-Length: 19\r\nConnection: close\r\n\r\n"
			       "# TYPE x gauge\nx 1\n");
	free(r);
	r = XCHG(h, "HEAD /metrics HTTP/1.0\r\n\r\n");
	assert_non_null(strstr(r, "Content-Length: 19\r\n"));
	assert_null(strstr(r, "x 1"));
	free(r);
	r = XCHG(h, "GET / HTTP/1.0\r\n\r\n");
	assert_true(!strncmp(r, "HTTP/1.0 404 ", 13));
	free(r);
	r = XCHG(h, "GET /metrics?x=1 HTTP/1.0\r\n\r\n");
	assert_true(!strncmp(r, "HTTP/1.0 404 ", 13));
	free(r);
	r = XCHG(h, "POST /metrics HTTP/1.0\r\n\r\n");
	assert_true(!strncmp(r, "HTTP/1.0 405 ", 13));
	assert_non_null(strstr(r, "Allow: GET, HEAD\r\n"));
	free(r);
	r = XCHG(h, "GET  /metrics HTTP/1.0\r\n\r\n");
	assert_true(!strncmp(r, "HTTP/1.0 400 ", 13));
	free(r);
	r = XCHG(h, "GET /metrics HTTP/2.0\r\n\r\n");
	assert_true(!strncmp(r, "HTTP/1.0 400 ", 13));
	free(r);
	r = XCHG(h, "GET /metrics HTTP/1.0\n\n");   /* bare LF */
	assert_true(!strncmp(r, "HTTP/1.0 400 ", 13));
	free(r);
	r = XCHG(h, "GET /metrics HTTP/1.0\r\nno colon\r\n\r\n");
	assert_true(!strncmp(r, "HTTP/1.0 400 ", 13));
	free(r);
	r = XCHG(h, "GET /metrics HTTP/1.0\r\nX: \x01\r\n\r\n");
	assert_true(!strncmp(r, "HTTP/1.0 400 ", 13));
	free(r);
	{	/* an endless header: cut off at 4 KiB with 400, not buffered on */
		char big[5000];
		memset(big, 'a', sizeof(big));
		memcpy(big, "GET /metrics HTTP/1.0\r\nX: ", 26);
		r = http_exchange(h, big, sizeof(big));
		assert_true(!strncmp(r, "HTTP/1.0 400 ", 13));
		free(r);
	}
	metrics_http_stop(h);
}

/* 1 if the server closed fd (EOF) within the steps, else 0. */
static int closed_by_server(struct metrics_http *h, int fd, int steps)
{
	char buf[256];
	int i;

	for (i = 0; i < steps; i++) {
		ssize_t n;

		assert_true(metrics_http_step(h, 50) >= 0);
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return 1;
	}
	return 0;
}

/* Slow and surplus clients cannot hold the server: a half-sent request is
 * dropped after the 2 s deadline, a 17th connection is closed at once, and
 * a well-formed request is still answered afterwards. */
static void test_http_limits(void **state)
{
	struct metrics_http *h;
	int idle[16], extra, slow, i;
	char *r;

	(void)state;
	assert_int_equal(metrics_http_start("127.0.0.1:0", &h), 0);
	assert_int_equal(metrics_http_set_body(h, "x 1\n", 4), 0);
	slow = http_connect(metrics_http_port(h));
	assert_int_equal(write_full(slow, "GET /metr", 9), 0);
	assert_false(closed_by_server(h, slow, 10));         /* 0.5 s: still open */
	assert_true(closed_by_server(h, slow, 80));          /* gone by ~2 s */
	close(slow);

	for (i = 0; i < 16; i++)
		idle[i] = http_connect(metrics_http_port(h));
	assert_false(closed_by_server(h, idle[0], 4));       /* all 16 accepted */
	extra = http_connect(metrics_http_port(h));
	assert_true(closed_by_server(h, extra, 10));         /* 17th refused */
	close(extra);
	for (i = 0; i < 16; i++)
		close(idle[i]);
	r = XCHG(h, "GET /metrics HTTP/1.0\r\n\r\n");
	assert_true(!strncmp(r, "HTTP/1.0 200 ", 13));
	free(r);
	metrics_http_stop(h);
}

static void test_http_listen_spec(void **state)
{
	struct metrics_http *h;

	(void)state;
	assert_int_equal(metrics_http_start("0.0.0.0:0", &h), -EADDRNOTAVAIL);
	assert_int_equal(metrics_http_start("192.168.1.1:9000", &h), -EADDRNOTAVAIL);
	assert_int_equal(metrics_http_start("[::]:0", &h), -EADDRNOTAVAIL);
	assert_int_equal(metrics_http_start("127.0.0.1", &h), -EINVAL);
	assert_int_equal(metrics_http_start("127.0.0.1:65536", &h), -EINVAL);
	assert_int_equal(metrics_http_start("127.0.0.1:-1", &h), -EINVAL);
	assert_int_equal(metrics_http_start(":80", &h), -EINVAL);
	assert_int_equal(metrics_http_start("example.com:80", &h), -EINVAL);
	assert_int_equal(metrics_http_start("localhost:0", &h), 0);
	metrics_http_stop(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counter_gauge_text),
		cmocka_unit_test(test_escaping_and_special_values),
		cmocka_unit_test(test_log2_histogram),
		cmocka_unit_test(test_top_slot_boundary),
		cmocka_unit_test(test_clamped_top_slot),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_sum_estimate),
		cmocka_unit_test(test_swarm_families),
		cmocka_unit_test(test_write_file),
		cmocka_unit_test(test_http),
		cmocka_unit_test(test_http_limits),
		cmocka_unit_test(test_http_listen_spec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
