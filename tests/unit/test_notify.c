/* inbox_notify_fd: the helper thread that turns the inbox futex into
 * eventfd ticks for epoll loops, driven by sender threads in the same
 * process. Also built and run under ThreadSanitizer by `make tsan`. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cmocka.h>

#include "bus_fixture.h"
#include "bus.h"

#define SENDERS 3
#define PER_SENDER 400

struct sender_arg {
	struct bus *b;
	int id;
	int err;
};

/* Each thread has its own handles, as separate agents would. */
static void *sender_main(void *p)
{
	struct sender_arg *a = p;
	struct inbox *to = NULL, *from = NULL;
	char name[16], msg[32];
	int i;

	snprintf(name, sizeof(name), "t%d", a->id);
	if ((a->err = inbox_open(a->b, "r", &to)) || (a->err = inbox_open(a->b, name, &from)))
		goto out;
	for (i = 1; i <= PER_SENDER; i++) {
		struct bus_out m = { .data = msg, .type = MSG_DATA };

		m.len = (uint32_t)snprintf(msg, sizeof(msg), "%d:%d", a->id, i);
		if ((a->err = inbox_send(to, from, &m)))
			break;
		if (i % 50 == 0)
			usleep(1000); /* let the reader sleep and be woken */
	}
out:
	inbox_close(to);
	inbox_close(from);
	return NULL;
}

static void test_notify_fd_wakes_epoll_loop(void **state)
{
	struct bus *b = *state;
	struct sender_arg args[SENDERS];
	pthread_t th[SENDERS];
	struct inbox *r;
	struct epoll_event ev = { .events = EPOLLIN };
	int last[SENDERS] = { 0 };
	uint64_t deadline = now_ns() + 60000000000ull;
	int efd, ep, got = 0, wakeups = 0, i;

	assert_int_equal(inbox_open(b, "r", &r), 0);
	assert_int_equal(inbox_reader_begin(r), 0);
	efd = inbox_notify_fd(r);
	assert_true(efd >= 0);
	assert_int_equal(inbox_notify_fd(r), efd); /* idempotent */
	ep = epoll_create1(EPOLL_CLOEXEC);
	assert_true(ep >= 0);
	assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev), 0);
	for (i = 0; i < SENDERS; i++) {
		args[i] = (struct sender_arg){ .b = b, .id = i };
		assert_int_equal(pthread_create(&th[i], NULL, sender_main, &args[i]), 0);
	}
	while (got < SENDERS * PER_SENDER && now_ns() < deadline) {
		struct bus_msg m;
		uint64_t ticks;
		int n;

		/* Generous timeout: a missed wake-up shows as a stall, not a
		 * failure, and the poll fallback would still deliver. */
		n = epoll_wait(ep, &ev, 1, 2000);
		if (n < 0 && errno == EINTR)
			continue;
		assert_true(n >= 0);
		if (n == 1) {
			assert_int_equal(read(efd, &ticks, sizeof(ticks)), (ssize_t)sizeof(ticks));
			wakeups++;
		}
		while (inbox_next(r, &m) == 1) {
			int s, k;

			assert_int_equal(sscanf((const char *)m.data, "%d:%d", &s, &k), 2);
			assert_true(s >= 0 && s < SENDERS);
			assert_int_equal(k, last[s] + 1); /* per-sender order */
			last[s] = k;
			got++;
		}
		assert_int_equal(inbox_commit(r), 0);
	}
	for (i = 0; i < SENDERS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(args[i].err, 0);
	}
	assert_int_equal(got, SENDERS * PER_SENDER);
	assert_true(wakeups > 0);
	close(ep);
	inbox_close(r); /* stops and joins the notify thread */
}

/* Start and stop the notify thread while senders are busy: no hang, no
 * race on the handle. */
static void test_notify_start_stop_under_load(void **state)
{
	struct bus *b = *state;
	struct sender_arg arg = { .b = b, .id = 0 };
	pthread_t th;
	int round;

	assert_int_equal(pthread_create(&th, NULL, sender_main, &arg), 0);
	for (round = 0; round < 50; round++) {
		struct inbox *r;

		assert_int_equal(inbox_open(b, "r", &r), 0);
		assert_true(inbox_notify_fd(r) >= 0);
		if (round % 2)
			usleep(200);
		inbox_close(r);
	}
	pthread_join(th, NULL);
	assert_int_equal(arg.err, 0);
}

struct opener_arg {
	struct bus *b;
	char name[16];
	pthread_barrier_t *go;
	int err;
};

static void *opener_main(void *p)
{
	struct opener_arg *a = p;
	struct inbox *in = NULL;

	pthread_barrier_wait(a->go);
	a->err = inbox_open(a->b, a->name, &in);
	inbox_close(in);
	return NULL;
}

/* Threads of one process creating the same new inbox at once must all
 * get it (their temp files must not collide). */
static void test_threads_create_same_inbox(void **state)
{
	struct bus *b = *state;
	struct opener_arg args[4];
	pthread_t th[4];
	pthread_barrier_t go;
	int round, i, failures = 0;

	for (round = 0; round < 200; round++) {
		assert_int_equal(pthread_barrier_init(&go, NULL, 4), 0);
		for (i = 0; i < 4; i++) {
			args[i] = (struct opener_arg){ .b = b, .go = &go };
			snprintf(args[i].name, sizeof(args[i].name), "n%d", round);
			assert_int_equal(pthread_create(&th[i], NULL, opener_main, &args[i]), 0);
		}
		for (i = 0; i < 4; i++) {
			pthread_join(th[i], NULL);
			failures += args[i].err != 0;
		}
		pthread_barrier_destroy(&go);
	}
	assert_int_equal(failures, 0);
}

/* Hold the new notify thread off the CPU until we block: pin ourselves to
 * one CPU as SCHED_FIFO (the thread inherits both, so it waits behind us).
 * Without CAP_SYS_NICE, pinning alone still makes the window likely. */
static int hold_new_threads(cpu_set_t *old, int *old_policy, struct sched_param *old_sp)
{
	struct sched_param sp = { .sched_priority = 1 };
	cpu_set_t one;

	sched_getaffinity(0, sizeof(*old), old);
	*old_policy = sched_getscheduler(0);
	sched_getparam(0, old_sp);
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &one);
	sched_setaffinity(0, sizeof(one), &one);
	return sched_setscheduler(0, SCHED_FIFO, &sp) == 0;
}

/* A message published right after inbox_notify_fd() returned, before the
 * helper thread first ran, must still tick the eventfd: the thread used
 * to take its "seen" value of the wake word when it started, so such a
 * message was counted as seen and the epoll loop slept on it (until the
 * next message, maybe forever). */
static void test_notify_fd_sees_message_sent_at_once(void **state)
{
	struct bus *b = *state;
	struct inbox *r, *to, *from;
	struct bus_out o = { .data = "x", .len = 1, .type = MSG_DATA };
	struct pollfd pfd = { .events = POLLIN };
	struct sched_param old_sp;
	cpu_set_t old;
	int round, missed = 0, old_policy, fifo;

	fifo = hold_new_threads(&old, &old_policy, &old_sp);
	for (round = 0; round < (fifo ? 3 : 40) && !missed; round++) {
		assert_int_equal(inbox_open(b, "r", &r), 0);
		assert_int_equal(inbox_reader_begin(r), 0);
		assert_int_equal(inbox_open(b, "r", &to), 0);
		assert_int_equal(inbox_open(b, "s", &from), 0);
		pfd.fd = inbox_notify_fd(r);
		assert_true(pfd.fd >= 0);
		assert_int_equal(inbox_send(to, from, &o), 0);
		/* The thread's fallback poll is 1 s and did not help: wait
		 * longer than that. */
		missed += poll(&pfd, 1, 1500) != 1;
		inbox_close(to);
		inbox_close(from);
		inbox_close(r);
	}
	sched_setscheduler(0, old_policy, &old_sp);
	sched_setaffinity(0, sizeof(old), &old);
	assert_int_equal(missed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_notify_fd_wakes_epoll_loop, bus_fixture_setup, bus_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_notify_start_stop_under_load, bus_fixture_setup, bus_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_notify_fd_sees_message_sent_at_once, bus_fixture_setup, bus_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_threads_create_same_inbox, bus_fixture_setup, bus_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
