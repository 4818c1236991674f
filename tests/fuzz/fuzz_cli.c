/* libFuzzer: the send/recv option parsers and the --batch line splitter,
 * on arbitrary argument vectors and stdin bytes (user/cli/cli_args.h).
 * Accepted options must satisfy what cmd_send and
 * cmd_recv rely on afterwards. Run with -close_fd_mask=3 (usage text). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "cli.h"
#include "cli_args.h"
#include "frame.h"

#define MAX_ARGS 32

static void check_send(const struct send_opts *o, int rc)
{
	if (rc != 0)
		return;
	if (!o->to || name_valid(o->to) || !o->from || name_valid(o->from))
		abort();
	if (o->batch == !!o->payload || (o->batch && o->seq))
		abort();
	if (o->type < 0 || o->type > MSG_TYPE_MAX || o->wait_s < 0)
		abort();
}

static void check_recv(const struct recv_opts *o, int rc)
{
	if (rc != 0)
		return;
	if (!o->as || name_valid(o->as))
		abort();
	if (!(o->wait_s == -1 || o->wait_s >= 0))
		abort();
}

/* Every byte is either in exactly one message or is a newline. */
static void check_split(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	struct bus_out *m = NULL;
	size_t n = 0, i, bytes = 0;
	int err;

	if (!buf)
		abort();
	memcpy(buf, data, size);
	err = send_split_lines(buf, size, &m, &n);
	if (!err) {
		for (i = 0; i < n; i++) {
			const char *p = m[i].data;
			if (p < buf || p + m[i].len > buf + size || memchr(p, '\n', m[i].len))
				abort();
			if (i && p != (const char *)m[i - 1].data + m[i - 1].len + 1)
				abort();
			bytes += m[i].len;
		}
		if (size && bytes + n != size + (buf[size - 1] != '\n'))
			abort();
		free(m);
	} else if (err != -EMSGSIZE) {
		abort();
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy, *argv[MAX_ARGS + 2];
	int argc = 1, rc;
	size_t i, start;
	uint8_t mode;

	if (!size)
		return 0;
	mode = data[0];
	if (mode & 0x80) {
		check_split(data + 1, size - 1);
		return 0;
	}
	/* Arguments are the NUL-separated pieces of the rest. */
	if (!(copy = malloc(size)))
		abort();
	memcpy(copy, data + 1, size - 1);
	copy[size - 1] = 0;
	argv[0] = (mode & 1) ? "recv" : "send";
	for (i = 0, start = 0; i < size && argc < MAX_ARGS + 1; i++) {
		if (copy[i])
			continue;
		argv[argc++] = copy + start;
		start = i + 1;
		if (start >= size - 1)
			break;
	}
	argv[argc] = NULL;
	if (mode & 2)
		setenv("SWARM_AGENT", (mode & 4) ? "agent-1" : "bad/name", 1);
	else
		unsetenv("SWARM_AGENT");
	if (mode & 1) {
		struct recv_opts o;
		rc = parse_recv(argc, argv, &o);
		check_recv(&o, rc);
	} else {
		struct send_opts o;
		rc = parse_send(argc, argv, &o);
		check_send(&o, rc);
	}
	free(copy);
	return 0;
}
