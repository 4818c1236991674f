/* Coordinator failover across hosts (nats_failover.h): a silent or exited
 * coordinator's open deliveries are handed back once each, never one it
 * no longer holds, and the report says how long it took. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"
#include "nats_failover.h"

#define S 1000000000ull       /* one second in ns */
#define ACK(n) "$JS.ACK.SWARM_x.tasks.1." #n ".1.1.0"

struct naks { uint32_t task[16]; char reply[16][64]; int n; };

static void nak(void *arg, uint32_t task, const char *reply)
{
	struct naks *k = arg;

	assert_true(k->n < 16);
	k->task[k->n] = task;
	snprintf(k->reply[k->n++], 64, "%s", reply);
}

static int setup(void **state)
{
	static struct failover f;

	assert_int_equal(fo_init(&f, 8, 0), 0);
	assert_int_equal(f.silence_ns, FO_DEF_SILENCE_NS);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	fo_free(*state);
	return 0;
}

/* b1 goes silent holding tasks 2 and 5 (task 3 it finished): after the
 * silence exactly those two are handed back, once. */
static void silent_coordinator_tasks_handed_back(void **state)
{
	struct failover *f = *state;
	struct naks k = { .n = 0 };

	fo_heartbeat(f, "a1", 10 * S);
	fo_heartbeat(f, "b1", 10 * S);
	assert_int_equal(fo_taken(f, 2, 1, "b1", ACK(2), 10 * S), 0);
	assert_int_equal(fo_taken(f, 3, 1, "b1", ACK(3), 10 * S), 0);
	assert_int_equal(fo_taken(f, 5, 1, "b1", ACK(5), 10 * S), 0);
	assert_int_equal(fo_taken(f, 6, 1, "a1", ACK(6), 10 * S), 0);
	fo_settled(f, 3);
	/* a1 keeps talking, b1 does not */
	fo_heartbeat(f, "a1", 12 * S);
	assert_null(fo_next_silent(f, 12 * S));
	fo_heartbeat(f, "a1", 13 * S + 500000000ull);
	assert_string_equal(fo_next_silent(f, 13 * S + 500000000ull), "b1");
	assert_int_equal(fo_declare_dead(f, "b1", FO_SILENT, 13 * S + 500000000ull, nak, &k), 2);
	assert_int_equal(k.n, 2);
	assert_true((k.task[0] == 2 && k.task[1] == 5) || (k.task[0] == 5 && k.task[1] == 2));
	assert_string_equal(k.reply[k.task[0] == 2 ? 0 : 1], ACK(2));
	/* declared once: no second hand-over, not silent any more */
	assert_int_equal(fo_declare_dead(f, "b1", FO_SILENT, 14 * S, nak, &k), 0);
	assert_int_equal(k.n, 2);
	assert_null(fo_next_silent(f, 14 * S));
	assert_int_equal(f->nrec, 1);
	assert_int_equal(f->rec[0].tasks, 2);
	assert_int_equal(f->rec[0].detect_ns - f->rec[0].last_ns, 3 * S + 500000000ull);
}

/* The re-takes complete the record; the time is from the last word. */
static void retake_measured(void **state)
{
	struct failover *f = *state;
	struct naks k = { .n = 0 };
	char *buf = NULL;
	size_t len = 0;
	struct jsonw w;
	FILE *out;

	fo_heartbeat(f, "b1", 1 * S);
	fo_taken(f, 1, 1, "b1", ACK(1), 1 * S);
	fo_taken(f, 4, 2, "b1", ACK(4), 1 * S);
	assert_int_equal(fo_declare_dead(f, "b1", FO_SILENT, 4 * S + 1, nak, &k), 2);
	fo_taken(f, 1, 2, "a1", ACK(10), 4 * S + 100000000ull);
	assert_int_equal(f->rec[0].retaken, 1);
	/* a stale report of the old delivery changes nothing */
	fo_taken(f, 4, 1, "c1", ACK(11), 4 * S + 200000000ull);
	assert_int_equal(f->rec[0].retaken, 1);
	fo_taken(f, 4, 3, "a1", ACK(12), 4 * S + 300000000ull);
	assert_int_equal(f->rec[0].retaken, 2);
	out = open_memstream(&buf, &len);
	jsonw_init_file(&w, out);
	jsonw_start_object(&w);
	fo_json(f, &w);
	jsonw_end_object(&w);
	assert_int_equal(jsonw_finish(&w), 0);
	fclose(out);
	assert_non_null(strstr(buf, "\"coordinator\":\"b1\",\"cause\":\"silent\""));
	assert_non_null(strstr(buf, "\"tasks\":2,\"retaken\":2,\"reassign_ms\":3300.0"));
	assert_non_null(strstr(buf, "\"returned\":false"));
	free(buf);
	/* the new holder dies too: its delivery (attempt 2 of task 1) goes back */
	k.n = 0;
	assert_int_equal(fo_declare_dead(f, "a1", FO_EXITED, 5 * S, nak, &k), 2);
	assert_string_equal(k.reply[0], k.task[0] == 1 ? ACK(10) : ACK(12));
	assert_string_equal(k.reply[1], k.task[1] == 1 ? ACK(10) : ACK(12));
}

/* A partition heals: b1 speaks again and is alive; our own link going
 * down and up does not make anyone silent. */
static void returned_and_link_grace(void **state)
{
	struct failover *f = *state;
	struct naks k = { .n = 0 };

	fo_heartbeat(f, "b1", 1 * S);
	fo_heartbeat(f, "c1", 1 * S);
	assert_int_equal(fo_declare_dead(f, "b1", FO_SILENT, 5 * S, nak, &k), 0);
	assert_int_equal(fo_heartbeat(f, "b1", 15 * S), 1);
	assert_int_equal(f->rec[0].returned, 1);
	assert_int_equal(fo_heartbeat(f, "b1", 16 * S), 0);
	/* we were cut off from 16 s to 30 s: c1's silence since 1 s is ours */
	fo_link_up(f, 30 * S);
	fo_heartbeat(f, "b1", 31 * S);
	assert_null(fo_next_silent(f, 32 * S));
	assert_string_equal(fo_next_silent(f, 33 * S + 1), "c1");
}

static void bad_input(void **state)
{
	struct failover *f = *state;
	struct naks k = { .n = 0 };
	char longr[FO_REPLY_MAX + 10];

	assert_int_equal(fo_taken(f, 8, 1, "b1", ACK(1), S), -EINVAL);     /* no such task */
	assert_int_equal(fo_taken(f, 1, 1, "b.1", ACK(1), S), -EINVAL);    /* bad name */
	assert_int_equal(fo_heartbeat(f, "", S), -EINVAL);
	assert_int_equal(fo_declare_dead(f, "nobody", FO_SILENT, S, nak, &k), -ENOENT);
	/* no (or an oversized) ack subject: tracked, but nothing to NAK */
	memset(longr, 'x', sizeof(longr) - 1);
	longr[sizeof(longr) - 1] = 0;
	assert_int_equal(fo_taken(f, 1, 1, "b1", NULL, S), 0);
	assert_int_equal(fo_taken(f, 2, 1, "b1", longr, S), 0);
	assert_int_equal(fo_declare_dead(f, "b1", FO_SILENT, 5 * S, nak, &k), 0);
	assert_int_equal(k.n, 0);
	fo_settled(f, 99);   /* out of range: ignored */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(silent_coordinator_tasks_handed_back, setup, teardown),
		cmocka_unit_test_setup_teardown(retake_measured, setup, teardown),
		cmocka_unit_test_setup_teardown(returned_and_link_grace, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_input, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
