/* Bus behaviour with real processes, real flock and real /dev/shm. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "bus_fixture.h"
#include "bus_impl.h"
#include "bus.h"
#include "frame.h"

/* Read everything now available as "from:payload" lines. */
static int drain(struct inbox *in, char out[][160], int max)
{
	struct bus_msg m;
	int n = 0, r;

	while ((r = inbox_next(in, &m)) == 1) {
		assert_true(n < max);
		snprintf(out[n++], 160, "%s:%.*s", m.from, (int)m.len, (const char *)m.data);
	}
	assert_int_equal(r, 0);
	return n;
}

static void test_round_trip_order_batch(void **state)
{
	struct bus *b = *state;
	struct inbox *a, *c, *r;
	char got[16][160];
	struct bus_out batch[3] = {
		{ .data = "x", .len = 1 }, { .data = "y", .len = 1 }, { .data = "", .len = 0 },
	};

	assert_int_equal(inbox_open(b, "a", &a), 0);
	assert_int_equal(inbox_open(b, "c", &c), 0);
	assert_int_equal(inbox_open(b, "r", &r), 0);
	bus_fixture_send(r, a, "one", 0);
	bus_fixture_send(r, c, "uno", 0);
	bus_fixture_send(r, a, "two", 0);
	assert_int_equal(inbox_send_batch(r, c, batch, 3), 0);
	assert_int_equal(inbox_reader_begin(r), 0);
	assert_int_equal(drain(r, got, 16), 6);
	assert_string_equal(got[0], "a:one");
	assert_string_equal(got[1], "c:uno");
	assert_string_equal(got[2], "a:two");
	assert_string_equal(got[3], "c:x");
	assert_string_equal(got[4], "c:y");
	assert_string_equal(got[5], "c:");
	assert_int_equal(inbox_commit(r), 0);
	assert_int_equal(drain(r, got, 16), 0);
	inbox_close(a);
	inbox_close(c);
	inbox_close(r);
}

static void test_big_payload_and_limits(void **state)
{
	struct bus *b = *state;
	struct inbox *a, *r;
	struct bus_out m = { .len = BUS_MAX_PAYLOAD };
	struct bus_msg got;
	char *big = malloc(BUS_MAX_PAYLOAD + 1);
	size_t i;

	assert_non_null(big);
	for (i = 0; i <= BUS_MAX_PAYLOAD; i++)
		big[i] = (char)(i * 7);
	m.data = big;
	assert_int_equal(inbox_open(b, "a", &a), 0);
	assert_int_equal(inbox_open(b, "r", &r), 0);
	assert_int_equal(inbox_send(r, a, &m), 0);
	m.len = BUS_MAX_PAYLOAD + 1;
	assert_int_equal(inbox_send(r, a, &m), -EMSGSIZE);
	assert_int_equal(inbox_reader_begin(r), 0);
	assert_int_equal(inbox_next(r, &got), 1);
	assert_int_equal(got.len, BUS_MAX_PAYLOAD);
	assert_memory_equal(got.data, big, BUS_MAX_PAYLOAD);
	assert_int_equal(inbox_next(r, &got), 0);
	free(big);
	inbox_close(a);
	inbox_close(r);
}

/* Segments roll over and consumed ones are removed. */
static void test_rollover_frees_segments(void **state)
{
	struct bus *b = *state;
	struct inbox *a, *r;
	struct inbox_info info;
	struct bus_msg m;
	static char payload[65536];
	struct bus_out o = { .data = payload, .len = sizeof(payload) };
	int i, n = 0;

	assert_int_equal(inbox_open(b, "a", &a), 0);
	assert_int_equal(inbox_open(b, "r", &r), 0);
	for (i = 0; i < 200; i++) /* ~13 MiB: four segments */
		assert_int_equal(inbox_send(r, a, &o), 0);
	assert_int_equal(inbox_info(r, &info), 0);
	assert_true(info.segments >= 3);
	assert_int_equal(info.depth, 200);
	assert_int_equal(inbox_reader_begin(r), 0);
	while (inbox_next(r, &m) == 1)
		n++;
	assert_int_equal(n, 200);
	assert_int_equal(inbox_commit(r), 0);
	assert_int_equal(inbox_info(r, &info), 0);
	assert_int_equal(info.segments, 1);
	assert_int_equal(info.depth, 0);
	/* An idle reader gives the last consumed segment back too. */
	assert_int_equal(inbox_wait(r, 300), 0);
	assert_int_equal(inbox_info(r, &info), 0);
	assert_int_equal(info.segments, 0);
	bus_fixture_send(r, a, "after", 0);
	assert_int_equal(inbox_next(r, &m), 1);
	assert_memory_equal(m.data, "after", 5);
	inbox_close(a);
	inbox_close(r);
}

#define SENDERS 50
#define PER_SENDER 200

static void sender_child(const char *path, int id)
{
	struct bus *b;
	struct inbox *to, *me;
	char name[16], buf[32];
	int i;

	snprintf(name, sizeof(name), "s%d", id);
	if (bus_open(path, &b) || inbox_open(b, "sink", &to) || inbox_open(b, name, &me))
		_exit(10);
	for (i = 0; i < PER_SENDER; i++) {
		struct bus_out m = { .data = buf };
		m.len = (uint32_t)snprintf(buf, sizeof(buf), "%d", i);
		while (inbox_send(to, me, &m) == -ENOBUFS)
			inbox_wait_space(to, m.len, 100);
	}
	_exit(0);
}

static void test_concurrent_senders_exactly_once(void **state)
{
	struct bus *b = *state;
	struct inbox *sink;
	struct bus_msg m;
	int next[SENDERS] = { 0 }, total = 0, i, status;
	pid_t pids[SENDERS];

	assert_int_equal(inbox_open(b, "sink", &sink), 0);
	assert_int_equal(inbox_reader_begin(sink), 0);
	for (i = 0; i < SENDERS; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (!pids[i])
			sender_child(bus_path(b), i);
	}
	while (total < SENDERS * PER_SENDER) {
		int r = inbox_next(sink, &m);
		assert_true(r >= 0);
		if (!r) {
			assert_int_equal(inbox_commit(sink), 0);
			assert_int_equal(inbox_wait(sink, 10000), 1);
			continue;
		}
		{
			int id = atoi(m.from + 1), val;
			char buf[32];
			snprintf(buf, sizeof(buf), "%.*s", (int)m.len, (const char *)m.data);
			val = atoi(buf);
			assert_true(id >= 0 && id < SENDERS);
			assert_int_equal(val, next[id]); /* per-sender order, no gap, no dup */
			next[id]++;
			total++;
		}
	}
	assert_int_equal(inbox_commit(sink), 0);
	for (i = 0; i < SENDERS; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		assert_int_equal(next[i], PER_SENDER);
	}
	assert_int_equal(inbox_next(sink, &m), 0);
	inbox_close(sink);
}

/* A reader that dies before commit sees the same messages again; a resend
 * with the same (sender, seq) is delivered once. */
static void test_reader_crash_redelivers_and_dedups(void **state)
{
	struct bus *b = *state;
	struct inbox *a, *r;
	struct bus_msg m;
	char got[8][160];
	int pipefd[2], status;
	pid_t pid;

	assert_int_equal(inbox_open(b, "a", &a), 0);
	assert_int_equal(inbox_open(b, "r", &r), 0);
	bus_fixture_send(r, a, "m1", 0);
	bus_fixture_send(r, a, "m2", 0);
	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		struct inbox *rr;
		int n = 0;
		if (inbox_open(b, "r", &rr) || inbox_reader_begin(rr))
			_exit(10);
		while (inbox_next(rr, &m) == 1)
			n++;
		if (write(pipefd[1], &n, sizeof(n)) != sizeof(n))
			_exit(11);
		pause(); /* killed here: received, not committed */
		_exit(12);
	}
	close(pipefd[1]); /* a child that dies early gives EOF, not a hang */
	{
		int n = 0;
		assert_int_equal(read(pipefd[0], &n, sizeof(n)), sizeof(n));
		assert_int_equal(n, 2);
	}
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(pipefd[0]);
	/* The dead reader's lock is gone; we get both again. */
	assert_int_equal(inbox_reader_begin(r), 0);
	assert_int_equal(drain(r, got, 8), 2);
	assert_string_equal(got[0], "a:m1");
	assert_string_equal(got[1], "a:m2");
	assert_int_equal(inbox_commit(r), 0);
	/* A sender retrying with explicit seqs: the repeat is suppressed. */
	bus_fixture_send(r, a, "retry", 100);
	bus_fixture_send(r, a, "retry", 100);
	bus_fixture_send(r, a, "next", 101);
	assert_int_equal(drain(r, got, 8), 2);
	assert_string_equal(got[0], "a:retry");
	assert_string_equal(got[1], "a:next");
	assert_int_equal(inbox_read_stats(r)->duplicates, 1);
	assert_int_equal(inbox_commit(r), 0);
	inbox_close(r);
	/* The seen-seqs survive a new reader. */
	assert_int_equal(inbox_open(b, "r", &r), 0);
	assert_int_equal(inbox_reader_begin(r), 0);
	bus_fixture_send(r, a, "retry", 101);
	assert_int_equal(drain(r, got, 8), 0);
	inbox_close(r);
	inbox_close(a);
}

static void test_second_reader_refused(void **state)
{
	struct bus *b = *state;
	struct inbox *r1, *r2;
	int status;
	pid_t pid;

	assert_int_equal(inbox_open(b, "r", &r1), 0);
	assert_int_equal(inbox_reader_begin(r1), 0);
	pid = fork();
	if (!pid) {
		if (inbox_open(b, "r", &r2))
			_exit(10);
		_exit(inbox_reader_begin(r2) == -EBUSY ? 0 : 11);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	inbox_close(r1);
}

static int seg_fd(struct bus *b, const char *inbox, uint32_t seg)
{
	char name[128];

	snprintf(name, sizeof(name), "%s.%08x.seg", inbox, seg);
	return openat(bus_dirfd(b), name, O_RDWR);
}

/* What a writer killed between its write and its publish leaves in the
 * header: an intent record for one frame of `total` bytes at the tail. */
static void forge_intent(struct inbox *r, uint64_t total)
{
	r->hdr->wr_tail = atomic_load(&r->hdr->tail);
	r->hdr->wr_pos = r->hdr->wr_tail;
	r->hdr->wr_msgs = atomic_load(&r->hdr->msgs_in);
	r->hdr->wr_bytes = atomic_load(&r->hdr->bytes_in);
	r->hdr->wr_count = 1;
	r->hdr->wr_total = total;
	atomic_store(&r->hdr->writer_pid, 99999);
}

/* A writer killed mid-write leaves a partial frame after the tail: the
 * reader never sees it, the next writer cuts it, everyone goes on. */
static void test_torn_write_recovered(void **state)
{
	struct bus *b = *state;
	struct inbox *a, *r;
	char got[8][160], frame[256];
	struct stat st;
	int fd;

	assert_int_equal(inbox_open(b, "a", &a), 0);
	assert_int_equal(inbox_open(b, "r", &r), 0);
	bus_fixture_send(r, a, "before", 0);
	/* Forge what a dying writer leaves: intent record + half a frame. */
	frame_encode(frame, "a", MSG_DATA, 999, 1, "torn-payload-bytes", 18);
	fd = seg_fd(b, "r", 1);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	forge_intent(r, frame_size(18));
	assert_int_equal(pwrite(fd, frame, 60, st.st_size), 60);
	assert_int_equal(inbox_reader_begin(r), 0);
	assert_int_equal(drain(r, got, 8), 1);
	assert_string_equal(got[0], "a:before");
	bus_fixture_send(r, a, "after", 0);
	assert_int_equal(drain(r, got, 8), 1);
	assert_string_equal(got[0], "a:after");
	assert_int_equal(inbox_read_stats(r)->corrupt, 0);
	assert_int_equal(atomic_load(&r->hdr->writer_pid), 0);
	close(fd);
	inbox_close(a);
	inbox_close(r);
}

/* A whole frame written but not published (killed before the tail store)
 * is adopted by the next writer: complete data is never thrown away. */
static void test_unpublished_whole_frame_adopted(void **state)
{
	struct bus *b = *state;
	struct inbox *a, *r;
	char got[8][160], frame[256];
	struct stat st;
	int fd;

	assert_int_equal(inbox_open(b, "a", &a), 0);
	assert_int_equal(inbox_open(b, "r", &r), 0);
	bus_fixture_send(r, a, "first", 0);
	/* The dying writer had taken its seq from the sender's counter. */
	frame_encode(frame, "a", MSG_DATA, atomic_fetch_add(&a->hdr->out_seq, 1) + 1, 1, "ghost", 5);
	fd = seg_fd(b, "r", 1);
	assert_int_equal(fstat(fd, &st), 0);
	forge_intent(r, frame_size(5));
	assert_int_equal(pwrite(fd, frame, frame_size(5), st.st_size), (ssize_t)frame_size(5));
	bus_fixture_send(r, a, "third", 0);
	assert_int_equal(inbox_reader_begin(r), 0);
	assert_int_equal(drain(r, got, 8), 3);
	assert_string_equal(got[1], "a:ghost");
	assert_string_equal(got[2], "a:third");
	close(fd);
	inbox_close(a);
	inbox_close(r);
}

/* inbox_repair does what the next writer would, for an inbox no one
 * writes to again: adopt the whole frame, cut the torn one, clear the
 * intent record. */
static void test_repair_without_writer(void **state)
{
	struct bus *b = *state;
	struct inbox *a, *r;
	char got[8][160], frame[256];
	struct stat st;
	int fd;

	assert_int_equal(inbox_open(b, "a", &a), 0);
	assert_int_equal(inbox_open(b, "r", &r), 0);
	assert_int_equal(inbox_repair(r), 0);   /* nothing to do */
	bus_fixture_send(r, a, "first", 0);
	frame_encode(frame, "a", MSG_DATA, atomic_fetch_add(&a->hdr->out_seq, 1) + 1, 1, "whole", 5);
	fd = seg_fd(b, "r", 1);
	assert_int_equal(fstat(fd, &st), 0);
	forge_intent(r, frame_size(5));
	assert_int_equal(pwrite(fd, frame, frame_size(5), st.st_size), (ssize_t)frame_size(5));
	assert_int_equal(inbox_repair(r), 0);
	assert_int_equal(atomic_load(&r->hdr->writer_pid), 0);
	assert_int_equal(inbox_reader_begin(r), 0);
	assert_int_equal(drain(r, got, 8), 2);
	assert_string_equal(got[1], "a:whole");
	close(fd);
	inbox_close(r);
	/* torn: half a frame after the tail, cut */
	assert_int_equal(inbox_open(b, "t", &r), 0);
	bus_fixture_send(r, a, "kept", 0);
	frame_encode(frame, "a", MSG_DATA, 999, 1, "torn-payload-bytes", 18);
	fd = seg_fd(b, "t", 1);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	forge_intent(r, frame_size(18));
	assert_int_equal(pwrite(fd, frame, 60, st.st_size), 60);
	assert_int_equal(inbox_repair(r), 0);
	assert_int_equal(atomic_load(&r->hdr->writer_pid), 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal((uint64_t)st.st_size, frame_size(4));
	assert_int_equal(inbox_reader_begin(r), 0);
	assert_int_equal(drain(r, got, 8), 1);
	assert_string_equal(got[0], "a:kept");
	assert_int_equal(inbox_read_stats(r)->corrupt, 0);
	close(fd);
	inbox_close(a);
	inbox_close(r);
}

static void test_corrupt_byte_skipped(void **state)
{
	struct bus *b = *state;
	struct inbox *a, *r;
	char got[8][160], c;
	off_t second;
	int fd;

	assert_int_equal(inbox_open(b, "a", &a), 0);
	assert_int_equal(inbox_open(b, "r", &r), 0);
	bus_fixture_send(r, a, "m1", 0);
	bus_fixture_send(r, a, "m2-will-be-hit", 0);
	bus_fixture_send(r, a, "m3", 0);
	second = (off_t)frame_size(2);
	fd = seg_fd(b, "r", 1);
	assert_true(fd >= 0);
	/* Flip a payload byte of the second frame. */
	assert_int_equal(pread(fd, &c, 1, second + FRAME_HDR_SIZE + 3), 1);
	c ^= 0x20;
	assert_int_equal(pwrite(fd, &c, 1, second + FRAME_HDR_SIZE + 3), 1);
	close(fd);
	assert_int_equal(inbox_reader_begin(r), 0);
	assert_int_equal(drain(r, got, 8), 2);
	assert_string_equal(got[0], "a:m1");
	assert_string_equal(got[1], "a:m3");
	assert_int_equal(inbox_read_stats(r)->corrupt, 1);
	assert_int_equal(inbox_read_stats(r)->corrupt_bytes, frame_size(14));
	inbox_close(a);
	inbox_close(r);
}

static void test_corrupt_length_resyncs(void **state)
{
	struct bus *b = *state;
	struct inbox *a, *r;
	char got[8][160];
	uint32_t bogus = 0x00ffffff;
	int fd;

	assert_int_equal(inbox_open(b, "a", &a), 0);
	assert_int_equal(inbox_open(b, "r", &r), 0);
	bus_fixture_send(r, a, "m1", 0);
	bus_fixture_send(r, a, "m2", 0);
	bus_fixture_send(r, a, "m3", 0);
	fd = seg_fd(b, "r", 1);
	/* Length field of the first frame claims 16 MiB. */
	assert_int_equal(pwrite(fd, &bogus, 4, 4), 4);
	close(fd);
	assert_int_equal(inbox_reader_begin(r), 0);
	assert_int_equal(drain(r, got, 8), 2);
	assert_string_equal(got[0], "a:m2");
	assert_string_equal(got[1], "a:m3");
	inbox_close(a);
	inbox_close(r);
}

static void test_full_inbox_backpressure(void **state)
{
	struct bus *b;
	struct bus_limits lim = { .max_msgs = 3, .max_bytes = 0 };
	struct inbox *a, *r;
	struct bus_msg m;

	(void)state;
	assert_int_equal(bus_create(NULL, NULL, &lim, &b), 0);
	assert_int_equal(inbox_open(b, "a", &a), 0);
	assert_int_equal(inbox_open(b, "r", &r), 0);
	bus_fixture_send(r, a, "1", 0);
	bus_fixture_send(r, a, "2", 0);
	bus_fixture_send(r, a, "3", 0);
	{
		struct bus_out o = { .data = "4", .len = 1 };
		assert_int_equal(inbox_send(r, a, &o), -ENOBUFS);
		assert_int_equal(inbox_wait_space(r, 1, 20), -ETIMEDOUT);
		assert_int_equal(inbox_reader_begin(r), 0);
		assert_int_equal(inbox_next(r, &m), 1);
		assert_int_equal(inbox_commit(r), 0);
		assert_int_equal(inbox_wait_space(r, 1, 0), 0);
		assert_int_equal(inbox_send(r, a, &o), 0);
	}
	inbox_close(a);
	inbox_close(r);
	assert_int_equal(bus_destroy(b), 0);
}

static void test_names_and_symlinks_refused(void **state)
{
	struct bus *b = *state, *b2;
	struct inbox *in;
	char path[4096], target[4096];

	assert_int_equal(inbox_open(b, "..", &in), -EINVAL);
	assert_int_equal(inbox_open(b, "a/b", &in), -EINVAL);
	assert_int_equal(inbox_open(b, "", &in), -EINVAL);
	assert_int_equal(inbox_open(b, "a.b", &in), -EINVAL);
	assert_int_equal(inbox_open(b, "x1234567890123456789012345678901234567890123456789012345678901234", &in), -EINVAL);
	assert_int_equal(inbox_open(b, "x123456789012345678901234567890123456789012345678901234567890123", &in), 0);
	{
		/* A 64-byte name fills the frame's sender field exactly. */
		struct inbox *r;
		char got[2][160];
		assert_int_equal(inbox_open(b, "r64", &r), 0);
		bus_fixture_send(r, in, "long", 0);
		assert_int_equal(inbox_reader_begin(r), 0);
		assert_int_equal(drain(r, got, 2), 1);
		assert_string_equal(got[0], "x123456789012345678901234567890123456789012345678901234567890123:long");
		inbox_close(r);
	}
	inbox_close(in);
	/* A symlink planted where an inbox should be. */
	assert_int_equal(symlinkat("/etc/passwd", bus_dirfd(b), "evil.inbox"), 0);
	assert_int_equal(inbox_open(b, "evil", &in), -ELOOP);
	/* A symlink planted where the swarm dir should be. */
	snprintf(path, sizeof(path), "%s-link", bus_path(b));
	assert_int_equal(symlink(bus_path(b), path), 0);
	assert_int_equal(bus_open(path, &b2), -ELOOP);
	unlink(path);
	/* Wrong mode. */
	assert_int_equal(fchmod(bus_dirfd(b), 0755), 0);
	assert_int_equal(bus_open(bus_path(b), &b2), -EPERM);
	assert_int_equal(fchmod(bus_dirfd(b), 0700), 0);
	/* Wrong owner. */
	assert_int_equal(fchown(bus_dirfd(b), 65534, 65534), 0);
	assert_int_equal(bus_open(bus_path(b), &b2), -EPERM);
	assert_int_equal(fchown(bus_dirfd(b), geteuid(), getegid()), 0);
	/* Not a swarm. */
	snprintf(target, sizeof(target), "%s-plain", bus_path(b));
	assert_int_equal(mkdir(target, 0700), 0);
	assert_int_equal(bus_open(target, &b2), -EBADMSG);
	rmdir(target);
	assert_int_equal(bus_open(bus_path(b), &b2), 0);
	bus_close(b2);
}

/* A blocked reader is woken by the futex, not by the 1 s fallback poll:
 * the median wake-up over five rounds must be well under that poll. */
static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void test_waiting_reader_wakes_at_once(void **state)
{
	struct bus *b = *state;
	struct inbox *a, *r;
	uint64_t lat[5];
	int i, status, p[2];
	pid_t pid;

	assert_int_equal(inbox_open(b, "a", &a), 0);
	assert_int_equal(inbox_open(b, "r", &r), 0);
	assert_int_equal(pipe(p), 0);
	pid = fork();
	if (!pid) {
		struct bus_msg m;
		if (inbox_reader_begin(r))
			_exit(10);
		for (i = 0; i < 5; i++) {
			uint64_t t;
			if (inbox_wait(r, 10000) != 1 || inbox_next(r, &m) != 1)
				_exit(11);
			t = now_ns();
			inbox_commit(r);
			if (write(p[1], &t, sizeof(t)) != sizeof(t))
				_exit(12);
		}
		_exit(0);
	}
	close(p[1]);
	for (i = 0; i < 5; i++) {
		struct bus_out o = { .data = "w", .len = 1 };
		uint64_t sent, woke;
		usleep(50000); /* let the reader block */
		sent = now_ns();
		assert_int_equal(inbox_send(r, a, &o), 0);
		assert_int_equal(read(p[0], &woke, sizeof(woke)), sizeof(woke));
		lat[i] = woke - sent;
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	qsort(lat, 5, sizeof(lat[0]), cmp_u64);
	print_message("wake-up latency median %llu us\n", (unsigned long long)lat[2] / 1000);
	assert_true(lat[2] < 300000000ull); /* fallback poll is 1 s */
	close(p[0]);
	inbox_close(a);
	inbox_close(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip_order_batch, bus_fixture_setup, bus_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_big_payload_and_limits, bus_fixture_setup, bus_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_rollover_frees_segments, bus_fixture_setup, bus_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_senders_exactly_once, bus_fixture_setup, bus_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_reader_crash_redelivers_and_dedups, bus_fixture_setup, bus_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_second_reader_refused, bus_fixture_setup, bus_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_torn_write_recovered, bus_fixture_setup, bus_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_unpublished_whole_frame_adopted, bus_fixture_setup, bus_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_repair_without_writer, bus_fixture_setup, bus_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_byte_skipped, bus_fixture_setup, bus_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_length_resyncs, bus_fixture_setup, bus_fixture_teardown),
		cmocka_unit_test(test_full_inbox_backpressure),
		cmocka_unit_test_setup_teardown(test_names_and_symlinks_refused, bus_fixture_setup, bus_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_waiting_reader_wakes_at_once, bus_fixture_setup, bus_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
