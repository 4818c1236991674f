/* The bus against a hostile process of the owner's uid: records that no
 * honest writer produces, and files planted in the bus directory. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "bus_fixture.h"
#include "bus_impl.h"
#include "bus.h"
#include "frame.h"

/* Append raw bytes at the tail and publish them, as a writer would. */
static void inject(struct bus *b, struct inbox *to, const void *p, size_t n)
{
	uint64_t tail;
	char name[NAME_MAX_LEN + 32];
	int fd;

	assert_int_equal(inbox_lock(to), 0);
	tail = atomic_load(&to->hdr->tail);
	assert_int_equal(seg_name(name, sizeof(name), inbox_name(to), POS_SEG(tail)), 0);
	fd = openat(bus_dirfd(b), name, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, p, n, (off_t)POS_OFF(tail)), (ssize_t)n);
	close(fd);
	atomic_store(&to->hdr->tail, tail + n);
	inbox_unlock(to);
}

/* Garbage whose length is not a multiple of 8 leaves every later honest
 * frame unaligned; the reader must still find them all. */
static void test_odd_length_garbage_keeps_later_frames(void **state)
{
	struct bus *b = *state;
	struct inbox *a, *r;
	struct bus_msg m;
	const char *want[] = { "before", "after-1", "after-2", "after-3" };
	int n = 0, k;

	assert_int_equal(inbox_open(b, "a", &a), 0);
	assert_int_equal(inbox_open(b, "r", &r), 0);
	bus_fixture_send(r, a, "before", 0);
	inject(b, r, "EVILEVILEVILE", 13);
	bus_fixture_send(r, a, "after-1", 0);
	bus_fixture_send(r, a, "after-2", 0);
	bus_fixture_send(r, a, "after-3", 0);
	assert_int_equal(inbox_reader_begin(r), 0);
	while ((k = inbox_next(r, &m)) == 1) {
		assert_true(n < 4);
		assert_int_equal(m.len, strlen(want[n]));
		assert_memory_equal(m.data, want[n], m.len);
		n++;
	}
	assert_int_equal(k, 0);
	assert_int_equal(n, 4);
	assert_int_equal(inbox_read_stats(r)->corrupt, 1);
	assert_int_equal(inbox_read_stats(r)->corrupt_bytes, 13);
	inbox_close(a);
	inbox_close(r);
}

/* A hard link planted as a segment would let a send write into a file
 * outside the bus (O_NOFOLLOW stops symlinks, not hard links). */
static void test_hard_linked_segment_refused(void **state)
{
	struct bus *b = *state;
	struct inbox *a, *r;
	struct bus_out m = { .data = "x", .len = 1 };
	char outside[256], buf[16];
	int fd;

	snprintf(outside, sizeof(outside), "%s.outside", bus_path(b));
	fd = open(outside, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "CANARY", 6), 6);
	assert_int_equal(linkat(AT_FDCWD, outside, bus_dirfd(b), "r.00000001.seg", 0), 0);
	assert_int_equal(inbox_open(b, "a", &a), 0);
	assert_int_equal(inbox_open(b, "r", &r), 0);
	assert_int_equal(inbox_send(r, a, &m), -EPERM);
	assert_int_equal(pread(fd, buf, sizeof(buf), 0), 6);
	assert_memory_equal(buf, "CANARY", 6);
	close(fd);
	unlink(outside);
	/* Removed, the bus works again. */
	assert_int_equal(unlinkat(bus_dirfd(b), "r.00000001.seg", 0), 0);
	assert_int_equal(inbox_send(r, a, &m), 0);
	inbox_close(a);
	inbox_close(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_odd_length_garbage_keeps_later_frames, bus_fixture_setup, bus_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_hard_linked_segment_refused, bus_fixture_setup, bus_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
