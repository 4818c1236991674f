/* publish->consume latency on the bus: in the traced tree, one process
 * sends a message to an inbox, another consumes it 10 ms later -> one
 * sample in the 8-16 ms bucket (slot 13, or a neighbour) for that inbox;
 * a raw write(2) into the inbox's files is not a message and adds none,
 * and neither does a process reading back what it sent itself. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "bpf_harness.h"
#include "bus.h"
#include "swarm.h"

#define DELAY_MS 10

struct job {
	struct bus *bus;
	int self_read;   /* the sender is also the reader */
	int raw_write;   /* also append garbage with write(2) */
};

static int send_one(struct bus *b, const char *me_name)
{
	struct bus_out m = { .data = "hello", .len = 5, .type = MSG_DATA };
	struct inbox *to = NULL, *me = NULL;
	int err = inbox_open(b, "reader", &to) || inbox_open(b, me_name, &me) ||
		  inbox_send(to, me, &m);

	inbox_close(to);
	inbox_close(me);
	return err;
}

static void send_then_consume(struct traced *t, void *arg)
{
	struct job *j = arg;
	struct inbox *in = NULL;
	struct bus_msg msg;
	pid_t w;
	int st, fd;

	if (inbox_open(j->bus, "reader", &in) || inbox_reader_begin(in))
		traced_step(t, 1);
	if (j->self_read) {
		if (send_one(j->bus, "reader"))
			traced_step(t, 2);
	} else {
		w = fork();
		if (w == 0)
			_exit(send_one(j->bus, "writer") ? 1 : 0);
		if (waitpid(w, &st, 0) != w || !WIFEXITED(st) || WEXITSTATUS(st))
			traced_step(t, 2);
	}
	if (j->raw_write) {
		fd = openat(bus_dirfd(j->bus), "reader.inbox", O_WRONLY | O_APPEND);
		if (fd >= 0) {
			if (write(fd, "junk", 4) != 4)
				traced_step(t, 5);
			close(fd);
		}
	}
	sleep_ms(DELAY_MS);
	if (inbox_next(in, &msg) != 1 || inbox_commit(in))
		traced_step(t, 3);
	inbox_close(in);
	traced_step(t, 0);
}

static void run_job(struct job *j, uint64_t want_samples)
{
	struct lat_totals tot;
	struct lat_stat st;
	struct traced t = { 0 };
	struct tracer *tr;
	struct stat sb;
	int i, slot = -1;
	char id[32];

	snprintf(id, sizeof(id), "test-lat-%d-%d%d", getpid(), j->self_read, j->raw_write);
	assert_int_equal(bus_create(NULL, id, NULL, &j->bus), 0);
	assert_int_equal(traced_start(&t, send_then_consume, j), 0);
	tr = traced_tracer(&t, TRACE_LATENCY);
	assert_non_null(tr);
	assert_true(tracer_signals(tr) & TRACE_LATENCY);
	traced_go(&t);
	assert_int_equal(traced_wait(&t), 0);
	assert_int_equal(tracer_latency_totals(tr, &tot), 0);
	assert_int_equal(tot.samples, want_samples);
	if (want_samples) {
		/* the inbox's header file names it */
		assert_int_equal(fstatat(bus_dirfd(j->bus), "reader.inbox", &sb, 0), 0);
		assert_int_equal(tracer_latency_get(tr, trace_kdev(sb.st_dev), sb.st_ino, &st), 0);
		assert_int_equal(st.samples, 1);
		assert_int_equal(st.writes, 1);
		assert_int_equal(st.frames_written, 1);
		assert_int_equal(st.frames_read, 1);
		for (i = 0; i < HIST_SLOTS; i++)
			if (st.lat_us[i])
				slot = i;
		/* 10 ms = 10000 us -> slot 13 (8192..16383); a neighbour on a
		 * loaded machine */
		assert_true(slot >= 13 && slot <= 14);
		assert_true(st.max_ns >= (uint64_t)DELAY_MS * 1000000);
	}
	traced_end(&t);
	tracer_close(tr);
	bus_destroy(j->bus);
}

static void test_latency_bus_message(void **state)
{
	struct job j = { 0 };

	(void)state;
	SKIP_UNLESS_ROOT();
	run_job(&j, 1);
}

static void test_latency_ignores_raw_writes(void **state)
{
	struct job j = { .raw_write = 1 };

	(void)state;
	SKIP_UNLESS_ROOT();
	run_job(&j, 1); /* the message only, not the junk */
}

static void test_latency_ignores_self_read(void **state)
{
	struct job j = { .self_read = 1 };

	(void)state;
	SKIP_UNLESS_ROOT();
	run_job(&j, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_latency_bus_message),
		cmocka_unit_test(test_latency_ignores_raw_writes),
		cmocka_unit_test(test_latency_ignores_self_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
