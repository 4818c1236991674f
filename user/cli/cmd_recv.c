/* swarm recv: print messages from an inbox, then commit them. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bus.h"
#include "cli.h"
#include "cli_args.h"
#include "json.h"

static void print_msg(const struct bus_msg *m, int json)
{
	struct jsonw w;

	if (!json) {
		fwrite(m->data, 1, m->len, stdout);
		fputc('\n', stdout);
		return;
	}
	jsonw_init_file(&w, stdout);
	jsonw_start_object(&w);
	jsonw_int_field(&w, "schema_version", 1);
	jsonw_string_field(&w, "from", m->from);
	jsonw_uint_field(&w, "seq", m->seq);
	jsonw_string_field(&w, "type", msg_type_name(m->type));
	jsonw_uint_field(&w, "timestamp_ns", m->ts_ns);
	/* valid UTF-8 as a string, anything else as base64: no byte is lost */
	if (utf8_valid(m->data, m->len)) {
		jsonw_name(&w, "payload");
		jsonw_string_len(&w, m->data, m->len);
	} else {
		jsonw_name(&w, "payload_base64");
		jsonw_base64(&w, m->data, m->len);
	}
	jsonw_end_object(&w);
	jsonw_newline(&w);
}

/* Collect per the options. Returns the exit code; *got = messages printed. */
static int collect(struct inbox *in, const struct recv_opts *o, uint64_t *got)
{
	uint64_t deadline = o->wait_s > 0 ? now_ns() + (uint64_t)(o->wait_s * 1e9) : 0;
	struct bus_msg m;
	int r;

	*got = 0;
	for (;;) {
		r = inbox_next(in, &m);
		if (r < 0) {
			die_msg("cannot read inbox '%s': %s", o->as, bus_strerror(r));
			return EXIT_ENV;
		}
		if (r == 1) {
			if (m.type == MSG_STOP) {
				inbox_unread(in); /* sticky: every later recv sees it too */
				return *got ? EXIT_OK : EXIT_STOP;
			}
			print_msg(&m, o->json);
			if (++*got == o->count)
				return EXIT_OK;
			continue;
		}
		/* Nothing more now: wait only while the options ask for more. */
		if (!deadline || (*got && !o->count))
			break;
		{
			uint64_t now = now_ns();
			if (now >= deadline)
				break;
			if (!inbox_wait(in, (int)((deadline - now + 999999) / 1000000)))
				break;
		}
	}
	if (*got)
		return EXIT_OK;
	return o->wait_s > 0 ? EXIT_TIMEOUT : EXIT_JOB;
}

int cmd_recv(int argc, char **argv)
{
	const struct bus_read_stats *st;
	struct recv_opts o;
	struct bus *b = NULL;
	struct inbox *in = NULL;
	uint64_t got = 0;
	int rc, err;

	if ((rc = parse_recv(argc, argv, &o)))
		return rc < 0 ? EXIT_OK : rc;
	if ((rc = cli_open_bus(o.dir, &b)))
		return rc;
	if ((err = inbox_open(b, o.as, &in)) || (err = inbox_reader_begin(in))) {
		if (err == -EBUSY)
			die_msg("inbox '%s' already has a reader", o.as);
		else
			die_msg("cannot open inbox '%s': %s", o.as, bus_strerror(err));
		rc = EXIT_ENV;
		goto out;
	}
	rc = collect(in, &o, &got);
	st = inbox_read_stats(in);
	if (st->corrupt)
		die_msg("inbox '%s': skipped %llu corrupt frame(s), %llu bytes; other messages delivered",
			o.as, (unsigned long long)st->corrupt, (unsigned long long)st->corrupt_bytes);
	/* Commit only what reached stdout: a failed write means not delivered. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		die_msg("cannot write output: %s; messages left unread", strerror(errno));
		rc = EXIT_ENV;
	} else if (!o.peek && (err = inbox_commit(in))) {
		die_msg("cannot commit inbox '%s': %s", o.as, bus_strerror(err));
		rc = EXIT_ENV;
	}
out:
	inbox_close(in);
	bus_close(b);
	return rc;
}
