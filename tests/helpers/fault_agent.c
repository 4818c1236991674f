/* Sender, reader and inspector for the fault campaign (tests/fault/).
 *
 *   fault_agent send DIR FROM TO FIRST LAST SIZE ACCLOG [auto|batch]
 *       send messages FIRST..LAST; after each send that returned 0 append
 *       "FROM ID" to ACCLOG (one O_APPEND write: survives our SIGKILL).
 *       Explicit seq = ID unless "auto" (library counter); "batch" sends 5
 *       per inbox_send_batch call (all or nothing). Full inbox and
 *       full filesystem are retried for up to 30 s; exit 0 all sent, 3 error.
 *   fault_agent recv DIR AS OUTLOG STOPFILE [MAX]
 *       read, append each payload line to OUTLOG, then commit (so what is
 *       logged is what was delivered; a log write torn by SIGKILL is closed
 *       with a "#torn" line at the next start); exit 0 once STOPFILE exists and the
 *       inbox is empty, or after MAX messages.
 *   fault_agent inspect DIR NAME
 *       print the inbox header state the campaign checks after recovery.
 *   fault_agent payload FROM ID SIZE
 *       print the payload the sender would send (for `swarm send` runs).
 *
 * Payload: "FROM:ID:<filler>:<crc32 hex of everything before>", printable,
 * no newline, SIZE bytes, so a corrupt delivery is detectable downstream. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "bus_impl.h"
#include "bus.h"

#define SEND_BATCH 5

static int make_payload(char *buf, size_t size, const char *from, uint64_t id)
{
	int n = snprintf(buf, size, "%s:%llu:", from, (unsigned long long)id);
	size_t i, body;
	uLong crc;

	if (n < 0 || size < (size_t)n + 10)
		return -EINVAL;
	body = size - 9; /* ":" + 8 hex digits */
	for (i = (size_t)n; i < body; i++)
		buf[i] = (char)('a' + (id * 7 + i) % 26);
	crc = crc32(0L, (const Bytef *)buf, (uInt)body);
	snprintf(buf + body, 10, ":%08lx", crc & 0xffffffffUL);
	return 0;
}

static int do_send(int argc, char **argv)
{
	const char *dir = argv[2], *fromn = argv[3], *ton = argv[4];
	uint64_t first, last, size, id;
	int autoseq = argc > 9 && !strcmp(argv[9], "auto");
	uint64_t per_call = argc > 9 && !strcmp(argv[9], "batch") ? SEND_BATCH : 1, cnt = 0;
	uint64_t full = 0, nospace = 0;
	struct bus *b = NULL;
	struct inbox *to = NULL, *from = NULL;
	char *buf = NULL;
	int logfd, err;

	if (parse_u64(argv[5], &first) || parse_u64(argv[6], &last) ||
	    parse_u64(argv[7], &size) || size < 32 || size > BUS_MAX_PAYLOAD)
		return 2;
	logfd = open(argv[8], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (logfd < 0) {
		fprintf(stderr, "fault_agent send %s: log: %s\n", fromn, strerror(errno));
		return 3;
	}
	if (!(buf = malloc((size + 1) * SEND_BATCH))) {
		err = -ENOMEM;
		goto out;
	}
	if ((err = bus_open(dir, &b)) || (err = inbox_open(b, ton, &to)) ||
	    (err = inbox_open(b, fromn, &from)))
		goto out;
	for (id = first; id <= last; id += cnt) {
		struct bus_out m[SEND_BATCH];
		uint64_t give_up = now_ns() + 30000000000ull, i;
		char lines[SEND_BATCH * (NAME_MAX_LEN + 32)];
		size_t n = 0;

		cnt = last - id + 1 < per_call ? last - id + 1 : per_call;
		for (i = 0; i < cnt; i++) {
			char *p = buf + i * (size + 1); /* size + 1: room for the NUL */

			make_payload(p, size, fromn, id + i);
			m[i] = (struct bus_out){ .data = p, .len = (uint32_t)size, .type = MSG_DATA,
						 .seq = autoseq ? 0 : id + i };
		}
		while ((err = inbox_send_batch(to, from, m, cnt)) == -ENOBUFS || err == -ENOSPC) {
			if (now_ns() > give_up)
				goto out;
			if (err == -ENOBUFS) {
				full++;
				/* wait_space waits for room for one message: a
				 * batch may still not fit, so do not spin. */
				inbox_wait_space(to, size * cnt, 200);
				if (cnt > 1)
					usleep(1000);
			} else {
				nospace++;
				usleep(2000);
			}
		}
		if (err)
			goto out;
		/* One write for the whole batch: all of it is logged or none. */
		for (i = 0; i < cnt; i++)
			n += (size_t)snprintf(lines + n, sizeof(lines) - n, "%s %llu\n", fromn,
					      (unsigned long long)(id + i));
		if ((err = write_full(logfd, lines, n)))
			goto out;
	}
out:
	if (err)
		fprintf(stderr, "fault_agent send %s: %s\n", fromn, bus_strerror(err));
	if (full || nospace)
		fprintf(stderr, "fault_agent refused: full=%llu nospace=%llu\n",
			(unsigned long long)full, (unsigned long long)nospace);
	inbox_close(to);
	inbox_close(from);
	bus_close(b);
	free(buf);
	close(logfd);
	return err ? 3 : 0;
}

/* Append the batch to the log, then commit: never the other way round. */
static int flush_commit(struct inbox *in, int logfd, char *batch, size_t *len)
{
	int err;

	if (*len && (err = write_full(logfd, batch, *len)))
		return err;
	*len = 0;
	return inbox_commit(in);
}

static int do_recv(int argc, char **argv)
{
	const char *dir = argv[2], *as = argv[3], *stopfile = argv[5];
	uint64_t max = 0, got = 0;
	size_t cap = 2u << 20, len = 0;
	char *batch = NULL;
	struct bus *b = NULL;
	struct inbox *in = NULL;
	struct bus_msg m;
	int logfd, err, r;

	if (argc > 6 && parse_u64(argv[6], &max))
		return 2;
	logfd = open(argv[4], O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (logfd < 0) {
		fprintf(stderr, "fault_agent recv %s: log: %s\n", as, strerror(errno));
		return 3;
	}
	if (!(batch = malloc(cap))) {
		err = -ENOMEM;
		goto out;
	}
	/* A SIGKILL from outside can cut our log write short (the messages
	 * were not committed, so they come again). Close the torn line and
	 * mark it, so it is not glued to the next one. */
	{
		struct stat st;
		char last;

		if (!fstat(logfd, &st) && st.st_size > 0 &&
		    pread(logfd, &last, 1, st.st_size - 1) == 1 && last != '\n' &&
		    (err = write_full(logfd, "\n#torn\n", 7)))
			goto out;
	}
	if ((err = bus_open(dir, &b)) || (err = inbox_open(b, as, &in)) ||
	    (err = inbox_reader_begin(in)))
		goto out;
	for (;;) {
		r = inbox_next(in, &m);
		if (r < 0) {
			err = r;
			break;
		}
		if (r == 1) {
			/* inbox_commit covers everything inbox_next returned, so
			 * log this message before any commit; commit in chunks so
			 * a kill at commit has work to redo. */
			memcpy(batch + len, m.data, m.len);
			len += m.len;
			batch[len++] = '\n';
			if (max && ++got >= max)
				break;
			if (len >= 65536 && (err = flush_commit(in, logfd, batch, &len)))
				break;
			continue;
		}
		if ((err = flush_commit(in, logfd, batch, &len)))
			break;
		if (!access(stopfile, F_OK) && !inbox_wait(in, 0))
			break;
		inbox_wait(in, 100);
	}
	if (!err)
		err = flush_commit(in, logfd, batch, &len);
out:
	if (err)
		fprintf(stderr, "fault_agent recv %s: %s\n", as, bus_strerror(err));
	inbox_close(in);
	bus_close(b);
	free(batch);
	close(logfd);
	return err ? 3 : 0;
}

static int do_inspect(char **argv)
{
	struct bus *b = NULL;
	struct inbox *in = NULL;
	struct inbox_info info;
	int err;

	if ((err = bus_open(argv[2], &b)) || (err = inbox_open(b, argv[3], &in)) ||
	    (err = inbox_info(in, &info))) {
		fprintf(stderr, "fault_agent inspect: %s\n", bus_strerror(err));
		inbox_close(in);
		bus_close(b);
		return 3;
	}
	printf("writer_pid=%d reader_pid=%d depth=%llu bytes=%llu msgs_in=%llu msgs_out=%llu "
	       "segments=%llu tail=%llx cursor=%llx\n",
	       (int)atomic_load(&in->hdr->writer_pid), info.reader_pid,
	       (unsigned long long)info.depth, (unsigned long long)info.bytes,
	       (unsigned long long)info.msgs_in, (unsigned long long)info.msgs_out,
	       (unsigned long long)info.segments,
	       (unsigned long long)atomic_load(&in->hdr->tail),
	       (unsigned long long)atomic_load(&in->hdr->cursor));
	inbox_close(in);
	bus_close(b);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 9 && !strcmp(argv[1], "send"))
		return do_send(argc, argv);
	if (argc >= 6 && !strcmp(argv[1], "recv"))
		return do_recv(argc, argv);
	if (argc == 4 && !strcmp(argv[1], "inspect"))
		return do_inspect(argv);
	if (argc == 5 && !strcmp(argv[1], "payload")) {
		uint64_t id, size;
		char *buf;

		if (parse_u64(argv[3], &id) || parse_u64(argv[4], &size) || size < 32 ||
		    size > 65536 || !(buf = malloc(size + 1)))
			return 2;
		make_payload(buf, size, argv[2], id);
		puts(buf);
		free(buf);
		return 0;
	}
	fprintf(stderr, "usage: fault_agent send|recv|inspect ... (see source)\n");
	return 2;
}
