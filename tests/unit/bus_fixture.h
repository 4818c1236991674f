/* The unit tests' bus fixture: every test gets a private bus of its own
 * in /dev/shm (bus_create with no name), removed after it, and a way to
 * send one string. Header-only, so each test stays one .c file linked
 * with libswarm.a. Include after <cmocka.h>. */
#ifndef SWARM_TEST_BUS_FIXTURE_H
#define SWARM_TEST_BUS_FIXTURE_H

#include <stdint.h>
#include <string.h>

#include "bus.h"

static inline int bus_fixture_setup(void **state)
{
	struct bus *b;

	assert_int_equal(bus_create(NULL, NULL, NULL, &b), 0);
	*state = b;
	return 0;
}

static inline int bus_fixture_teardown(void **state)
{
	return bus_destroy(*state);
}

/* One MSG_DATA message; seq 0: the sender's next. */
static inline void bus_fixture_send(struct inbox *to, struct inbox *from, const char *s,
				    uint64_t seq)
{
	struct bus_out m = { .data = s, .len = (uint32_t)strlen(s), .type = MSG_DATA,
			     .seq = seq };

	assert_int_equal(inbox_send(to, from, &m), 0);
}

#endif
