/* The command lines of the agent commands `swarm send` and `swarm recv`:
 * parsed here, run in user/cli/cmd_send.c and user/cli/cmd_recv.c.
 *
 * parse_send/parse_recv return 0 (o filled), -1 after --help (printed), or
 * EXIT_USAGE with the reason printed. They reset getopt first, so a parse
 * may follow another in the same process (coordinators, fuzzers). */
#ifndef SWARM_CLI_ARGS_H
#define SWARM_CLI_ARGS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct bus_out;

struct send_opts {
	const char *dir, *from, *to, *payload;
	int type, batch;
	uint64_t seq;
	double wait_s;
};

void send_usage(FILE *f);
int parse_send(int argc, char **argv, struct send_opts *o);
/* --batch: one message per line of buf (a last line without '\n' counts);
 * *out points into buf, free() it. 0, -ENOMEM or -EMSGSIZE (a line over
 * BUS_MAX_PAYLOAD). */
int send_split_lines(char *buf, size_t len, struct bus_out **out, size_t *n);

struct recv_opts {
	const char *dir, *as;
	double wait_s;
	uint64_t count;
	int json, peek;
};

void recv_usage(FILE *f);
int parse_recv(int argc, char **argv, struct recv_opts *o);

#endif
