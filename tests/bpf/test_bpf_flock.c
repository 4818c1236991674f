/* Lock waits, for each kind (flock(2), POSIX fcntl F_SETLKW, OFD
 * F_OFD_SETLKW): a child holds an exclusive lock on a /dev/shm file for
 * 100 ms while the traced root blocks on it -> one contended acquisition
 * with a wait in the 64-128 ms bucket (or a neighbour) for that inode and
 * kind, its full path named; a non-blocking attempt meanwhile counts as
 * EWOULDBLOCK. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "bpf_harness.h"
#include "json.h"

#define HOLD_MS 100

struct lockfile {
	char path[64];
	int kind; /* enum lock_kind */
};

/* Exclusive lock of the whole file (or unlock) in the given kind. */
static int lock(int fd, int kind, int op)
{
	struct flock fl = { .l_whence = SEEK_SET };

	if (kind == LOCK_KIND_FLOCK)
		return flock(fd, op == 0 ? LOCK_UN : op == 1 ? LOCK_EX : LOCK_EX | LOCK_NB);
	fl.l_type = op == 0 ? F_UNLCK : F_WRLCK;
	if (kind == LOCK_KIND_POSIX)
		return fcntl(fd, op == 1 ? F_SETLKW : F_SETLK, &fl);
	return fcntl(fd, op == 1 ? F_OFD_SETLKW : F_OFD_SETLK, &fl);
}

static void contend(struct traced *t, void *arg)
{
	struct lockfile *lf = arg;
	int p[2], fd, hfd, nb;
	unsigned char b;
	pid_t holder;

	if (pipe(p))
		_exit(1);
	holder = fork();
	if (holder == 0) {
		hfd = open(lf->path, O_RDWR);
		if (hfd < 0 || lock(hfd, lf->kind, 1))
			_exit(1);
		b = 1;
		if (write(p[1], &b, 1) != 1)
			_exit(1);
		sleep_ms(HOLD_MS);
		lock(hfd, lf->kind, 0);
		_exit(0);
	}
	if (read(p[0], &b, 1) != 1)
		_exit(1);
	fd = open(lf->path, O_RDWR);
	nb = lock(fd, lf->kind, 2);        /* must be refused: held */
	if (nb == 0 || (errno != EWOULDBLOCK && errno != EACCES))
		traced_step(t, 2);
	if (lock(fd, lf->kind, 1))          /* blocks ~HOLD_MS */
		traced_step(t, 3);
	lock(fd, lf->kind, 0);
	waitpid(holder, NULL, 0);
	traced_step(t, 0);
}

static void run_contended(int kind)
{
	struct lockfile lf = { .kind = kind };
	struct flock_stat st;
	char path[256];
	struct traced t = { 0 };
	struct tracer *tr;
	struct flock_totals tot;
	struct stat sb;
	int fd, slot, i;

	snprintf(lf.path, sizeof(lf.path), "/dev/shm/swarm-test-flock-%d-%d", getpid(), kind);
	fd = open(lf.path, O_CREAT | O_RDWR | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &sb), 0);
	close(fd);
	assert_int_equal(traced_start(&t, contend, &lf), 0);
	tr = traced_tracer(&t, TRACE_FLOCK);
	assert_non_null(tr);
	assert_true(tracer_signals(tr) & TRACE_FLOCK);
	traced_go(&t);
	assert_int_equal(traced_wait(&t), 0);

	assert_int_equal(tracer_flock_get(tr, trace_kdev(sb.st_dev), sb.st_ino, kind, &st), 0);
	assert_string_equal(trace_path_str(&st.path, path, sizeof(path)), lf.path);
	assert_int_equal(st.acquisitions, 2);   /* holder + root */
	assert_int_equal(st.contended, 1);      /* only the root waited */
	assert_int_equal(st.ewouldblock, 1);
	/* the wait: 100 ms = 100000 us -> slot 16 (65536..131071 us); a
	 * neighbour is accepted on a loaded machine */
	slot = -1;
	for (i = 0; i < HIST_SLOTS; i++)
		if (st.wait_us[i] && i >= 10)
			slot = i;
	assert_true(slot >= 15 && slot <= 17);
	assert_int_equal(hist_total(st.wait_us, HIST_SLOTS), 2);
	assert_true(st.wait_ns_max >= 50ULL * 1000 * 1000);
	assert_true(st.wait_ns_max < 2000ULL * 1000 * 1000);
	assert_int_equal(tracer_flock_totals(tr, &tot), 0);
	assert_int_equal(tot.calls_kind[kind], tot.calls); /* nothing else */
	traced_end(&t);
	tracer_close(tr);
	unlink(lf.path);
}

static void test_flock_contended_wait(void **state)
{
	(void)state;
	SKIP_UNLESS_ROOT();
	run_contended(LOCK_KIND_FLOCK);
}

static void test_posix_contended_wait(void **state)
{
	(void)state;
	SKIP_UNLESS_ROOT();
	run_contended(LOCK_KIND_POSIX);
}

static void test_ofd_contended_wait(void **state)
{
	(void)state;
	SKIP_UNLESS_ROOT();
	run_contended(LOCK_KIND_OFD);
}

/* flock by processes outside the tree is not seen. */
static void idle(struct traced *t, void *arg)
{
	(void)arg;
	traced_step(t, 0);
}

static void test_flock_ignores_outsiders(void **state)
{
	struct flock_totals tot;
	struct traced t = { 0 };
	struct tracer *tr;
	char path[64];
	int fd;

	(void)state;
	SKIP_UNLESS_ROOT();
	snprintf(path, sizeof(path), "/dev/shm/swarm-test-flock-out-%d", getpid());
	assert_int_equal(traced_start(&t, idle, NULL), 0);
	tr = traced_tracer(&t, TRACE_FLOCK);
	assert_non_null(tr);
	fd = open(path, O_CREAT | O_RDWR, 0600);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);  /* we are not in the tree */
	flock(fd, LOCK_UN);
	close(fd);
	traced_go(&t);
	assert_int_equal(traced_wait(&t), 0);
	assert_int_equal(tracer_flock_totals(tr, &tot), 0);
	assert_int_equal(tot.calls, 0);
	traced_end(&t);
	tracer_close(tr);
	unlink(path);
}

/* Bytes of address space this process has mapped now. */
static size_t vm_bytes(void)
{
	unsigned long pages = 0;
	FILE *f = fopen("/proc/self/statm", "re");

	assert_non_null(f);
	assert_int_equal(fscanf(f, "%lu", &pages), 1);
	fclose(f);
	return pages * (size_t)sysconf(_SC_PAGESIZE);
}

/* The report's flock section reads the lock map into a buffer of a few
 * MiB. When that allocation fails the section must be null: it used to
 * leave "flock": with no value, and the whole report was not JSON. The
 * output goes to a bounded buffer, so the writer itself needs no memory;
 * RLIMIT_AS just above what is mapped fails only the big allocation. */
static void test_flock_report_without_memory(void **state)
{
	static char buf[1 << 16];
	struct rlimit old, low;
	struct traced t = { 0 };
	struct tracer *tr;
	struct jsonw w;
	int err;

	(void)state;
	SKIP_UNLESS_ROOT();
#if defined(__SANITIZE_ADDRESS__)
	skip();   /* ASan's shadow memory does not live under an RLIMIT_AS */
#endif
	assert_int_equal(traced_start(&t, idle, NULL), 0);
	tr = traced_tracer(&t, TRACE_FLOCK);
	assert_non_null(tr);
	assert_int_equal(getrlimit(RLIMIT_AS, &old), 0);
	low = old;
	low.rlim_cur = vm_bytes() + (512 << 10);
	jsonw_init_buf(&w, buf, sizeof(buf));
	assert_int_equal(setrlimit(RLIMIT_AS, &low), 0);
	jsonw_start_object(&w);
	err = tracer_report_json(tr, &w);
	jsonw_end_object(&w);
	assert_int_equal(setrlimit(RLIMIT_AS, &old), 0);
	assert_int_equal(err, 0);
	assert_int_equal(jsonw_finish(&w), 0);
	assert_non_null(strstr(buf, "\"flock\":null,\"ringbuf_drops\":"));
	traced_go(&t);
	assert_int_equal(traced_wait(&t), 0);
	traced_end(&t);
	tracer_close(tr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flock_contended_wait),
		cmocka_unit_test(test_posix_contended_wait),
		cmocka_unit_test(test_ofd_contended_wait),
		cmocka_unit_test(test_flock_ignores_outsiders),
		cmocka_unit_test(test_flock_report_without_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
