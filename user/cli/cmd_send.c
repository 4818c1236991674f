/* swarm send: one message from an argument or stdin, or a batch of lines. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus.h"
#include "cli.h"
#include "cli_args.h"
#include "frame.h"

#define BATCH_MAX_MSGS 4096u

static int read_stdin(char **buf, size_t *len, size_t limit)
{
	size_t cap = 65536, n = 0;
	char *b = malloc(cap);
	ssize_t r;

	if (!b)
		return -ENOMEM;
	for (;;) {
		if (n == cap) {
			char *nb;
			if (cap > limit) {
				free(b);
				return -EMSGSIZE;
			}
			if (!(nb = realloc(b, cap *= 2))) {
				free(b);
				return -ENOMEM;
			}
			b = nb;
		}
		r = read(0, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(b);
			return -errno;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > limit) {
		free(b);
		return -EMSGSIZE;
	}
	*buf = b;
	*len = n;
	return 0;
}

/* Send n messages, in atomic chunks, waiting for room when asked to. */
static int send_chunked(struct inbox *to, struct inbox *from, struct bus_out *m,
			size_t n, double wait_s, size_t *sent)
{
	uint64_t deadline = now_ns() + (uint64_t)(wait_s * 1e9);
	size_t i = 0;

	*sent = 0;
	while (i < n) {
		size_t k = 0;
		uint64_t bytes = 0;
		int err;

		while (i + k < n && k < BATCH_MAX_MSGS &&
		       bytes + frame_size(m[i + k].len) <= BUS_SEG_MAX)
			bytes += frame_size(m[i + k++].len);
		err = inbox_send_batch(to, from, m + i, k);
		if (err == -ENOBUFS && wait_s > 0 && now_ns() < deadline) {
			int ms = (int)((deadline - now_ns()) / 1000000) + 1;
			if (inbox_wait_space(to, m[i].len, ms) == 0)
				continue;
		}
		if (err == -ENOBUFS && k > 1) {
			/* Larger than the free room: try a smaller chunk first. */
			err = inbox_send_batch(to, from, m + i, 1);
			k = 1;
		}
		if (err)
			return err;
		i += k;
		*sent = i;
	}
	return 0;
}

static int report_send_error(int err, const struct inbox *to, size_t sent, size_t n)
{
	if (err == -ENOBUFS)
		die_msg("inbox '%s' is full; the reader is not keeping up (%zu of %zu sent)",
			inbox_name(to), sent, n);
	else if (err == -EMSGSIZE)
		die_msg("message too large: the limit is %u bytes", BUS_MAX_PAYLOAD);
	else if (err == -ENOSPC)
		die_msg("no space left on the bus filesystem sending to '%s' (%zu of %zu sent)",
			inbox_name(to), sent, n);
	else
		die_msg("cannot send to '%s': %s (%zu of %zu sent)", inbox_name(to),
			bus_strerror(err), sent, n);
	return exit_code_for(err);
}

int cmd_send(int argc, char **argv)
{
	struct send_opts o;
	struct bus *b = NULL;
	struct inbox *to = NULL, *from = NULL;
	struct bus_out one, *m = &one;
	char *buf = NULL;
	size_t len = 0, n = 1, sent = 0;
	int rc, err;

	if ((rc = parse_send(argc, argv, &o)))
		return rc < 0 ? EXIT_OK : rc;
	if (o.batch || !strcmp(o.payload, "-")) {
		err = read_stdin(&buf, &len, o.batch ? (size_t)1 << 34 : BUS_MAX_PAYLOAD);
		if (err) {
			die_msg("cannot read stdin: %s", err == -EMSGSIZE ? "message too large (limit 1 MiB)"
								   : bus_strerror(err));
			return exit_code_for(err);
		}
	} else {
		buf = (char *)o.payload;
		len = strlen(buf);
		if (len > BUS_MAX_PAYLOAD) {
			die_msg("message too large: the limit is %u bytes", BUS_MAX_PAYLOAD);
			return EXIT_USAGE;
		}
	}
	if (o.batch) {
		if ((err = send_split_lines(buf, len, &m, &n))) {
			die_msg("cannot split batch: %s", err == -EMSGSIZE ? "a line exceeds 1 MiB" : bus_strerror(err));
			rc = exit_code_for(err);
			goto out;
		}
		for (size_t i = 0; i < n; i++)
			m[i].type = (uint32_t)o.type;
	} else {
		one = (struct bus_out){ .data = buf, .len = (uint32_t)len, .type = (uint32_t)o.type, .seq = o.seq };
	}
	if ((rc = cli_open_bus(o.dir, &b)))
		goto out;
	if ((err = inbox_open(b, o.to, &to)) || (err = inbox_open(b, o.from, &from))) {
		die_msg("cannot open inbox: %s", bus_strerror(err));
		rc = exit_code_for(err);
		goto out;
	}
	err = send_chunked(to, from, m, n, o.wait_s, &sent);
	rc = err ? report_send_error(err, to, sent, n) : EXIT_OK;
out:
	inbox_close(to);
	inbox_close(from);
	bus_close(b);
	if (m != &one)
		free(m);
	if (buf != o.payload)
		free(buf);
	return rc;
}
