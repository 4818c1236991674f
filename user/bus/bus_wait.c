/* Waking readers and senders: a futex word in the shared inbox header,
 * with a one-second poll as the fallback for a waker that died between
 * its publish and its wake. */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bus_impl.h"

#define POLL_FALLBACK_MS 1000

int futex_wait_ms(_Atomic uint32_t *addr, uint32_t val, int timeout_ms)
{
	struct timespec ts = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L };

	/* Shared (not PRIVATE) futex: the word is in a MAP_SHARED file page,
	 * so the kernel keys it by inode and offset across processes. */
	if (syscall(SYS_futex, addr, FUTEX_WAIT, val, timeout_ms < 0 ? NULL : &ts, NULL, 0) < 0)
		return -errno;
	return 0;
}

void futex_wake_all(_Atomic uint32_t *addr)
{
	syscall(SYS_futex, addr, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* A reader that found nothing for this long is idle: give its consumed
 * tail segment back. Sooner would rotate segments under a busy writer. */
#define IDLE_RECLAIM_MS 100

int inbox_wait(struct inbox *in, int timeout_ms)
{
	struct inbox_hdr *h = in->hdr;
	uint64_t start = now_ns();
	uint64_t deadline = timeout_ms < 0 ? UINT64_MAX : start + (uint64_t)timeout_ms * 1000000ull;
	/* Idle since data was last seen, not since this call: a reader that
	 * waits in short slices must reclaim too, or a small tmpfs stays full. */
	uint64_t idle_at = in->busy_ns + IDLE_RECLAIM_MS * 1000000ull;
	int reclaimed = 0;

	if (!in->reader)
		return -EINVAL;
	for (;;) {
		/* Load the word before looking for data: a publish after the
		 * look changes it, so the futex wait returns at once. */
		uint32_t w = atomic_load(&h->wake);
		uint64_t now, until;
		int slice;

		if (reader_has_data(in)) {
			in->busy_ns = now_ns();
			return 1;
		}
		now = now_ns();
		if (!reclaimed && now >= idle_at) {
			inbox_reclaim(in);
			reclaimed = 1;
			continue;
		}
		if (now >= deadline)
			return 0;
		until = reclaimed ? now + POLL_FALLBACK_MS * 1000000ull : idle_at;
		if (until > deadline)
			until = deadline;
		slice = (int)((until - now + 999999) / 1000000ull);
		atomic_fetch_add(&h->waiters, 1);
		futex_wait_ms(&h->wake, w, slice);
		atomic_fetch_sub(&h->waiters, 1);
	}
}

/* For epoll loops: a thread sleeps on the futex and turns every change of
 * the wake word into an eventfd tick. */
static void *notify_main(void *arg)
{
	struct inbox *in = arg;
	struct inbox_hdr *h = in->hdr;
	uint32_t seen = in->notify_seen;

	while (!atomic_load(&in->thread_stop)) {
		uint32_t w = atomic_load(&h->wake);

		if (w != seen) {
			uint64_t one = 1;
			seen = w;
			if (write(in->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
				break;
			continue;
		}
		atomic_fetch_add(&h->waiters, 1);
		futex_wait_ms(&h->wake, w, POLL_FALLBACK_MS);
		atomic_fetch_sub(&h->waiters, 1);
	}
	return NULL;
}

int inbox_notify_fd(struct inbox *in)
{
	int err;

	if (in->thread_running)
		return in->efd;
	in->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (in->efd < 0)
		return -errno;
	atomic_store(&in->thread_stop, 0);
	/* Taken here, not when the thread first runs: a publish between our
	 * return and the thread's start must tick, or the caller, which
	 * drains after arming, sleeps on a message it never sees. */
	in->notify_seen = atomic_load(&in->hdr->wake);
	if ((err = pthread_create(&in->thread, NULL, notify_main, in))) {
		close(in->efd);
		in->efd = -1;
		return -err;
	}
	in->thread_running = 1;
	return in->efd;
}

void notify_stop(struct inbox *in)
{
	if (!in->thread_running)
		return;
	atomic_store(&in->thread_stop, 1);
	atomic_fetch_add(&in->hdr->wake, 1);
	futex_wake_all(&in->hdr->wake);
	pthread_join(in->thread, NULL);
	in->thread_running = 0;
	close(in->efd);
	in->efd = -1;
}
