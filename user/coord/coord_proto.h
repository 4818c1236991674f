/*
 * Wire formats between the master and hybrid coordinators (payloads of
 * bus frames; workers never see these, they get the raw task text).
 *
 *   master -> cK   MSG_TASK     "<id>\n<task text>"          (id 0-based)
 *   master -> cK   MSG_STOP     ""  (no more tasks will come)
 *   cK -> master   MSG_RESULT   "<id> <status> <exit> <dur_us> <lat_us> <agent> <reason>\n<output>"
 *   cK -> master   MSG_CONTROL  "hung <id> <agent>"         (worker silent past --heartbeat)
 *   cK -> master   MSG_CONTROL  "stats <spawned> <spawn_end_wall_ns> <msgs> <fds_peak> <rss_kb> <agents_rss_kb>"
 *
 * A hybrid coordinator's assignment journal (logs/cK.journal), read by the
 * master to salvage a dead coordinator's inbox: one line per task handed to
 * a worker, "<cK>-w<N> <id>\n" (N from 1, no leading zero; id 0-based).
 *
 * status is the enum task_status number; reason has no newline ("-" when
 * empty). Every decoder validates fully and returns -EBADMSG on anything
 * malformed, so a confused or hostile peer cannot corrupt the master.
 */
#ifndef SWARM_COORD_PROTO_H
#define SWARM_COORD_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct proto_result {
	uint32_t id;
	int status;
	int exit_code;
	uint64_t dur_us, lat_us;
	char agent[NAME_MAX_LEN + 1];
	char reason[128];
	const char *out;        /* points into the decoded payload */
	uint32_t out_len;
};

struct proto_stats {
	uint64_t spawned, spawn_end_wall_ns, msgs, fds_peak, rss_kb, agents_rss_kb;
};

/* Encoders return the payload length, or -ENOSPC if cap is too small. */
int proto_task_encode(char *buf, size_t cap, uint32_t id, const char *text,
		      size_t len);
int proto_task_decode(const void *data, size_t len, uint32_t *id,
		      const char **text, size_t *text_len);
int proto_result_encode(char *buf, size_t cap, const struct proto_result *r);
int proto_result_decode(const void *data, size_t len, struct proto_result *r);
int proto_stats_encode(char *buf, size_t cap, const struct proto_stats *s);
int proto_stats_decode(const void *data, size_t len, struct proto_stats *s);
int proto_hung_encode(char *buf, size_t cap, uint32_t id, const char *agent);
int proto_hung_decode(const void *data, size_t len, uint32_t *id, char *agent);

/* Worker number of "<coord>-w<N>": 0 and *n, or -EBADMSG. */
int proto_worker_of(const char *name, const char *coord, uint32_t *n);
int proto_journal_encode(char *buf, size_t cap, const char *worker, uint32_t id);
/* One journal line of coordinator coord (the final '\n' optional). */
int proto_journal_decode(const char *line, size_t len, const char *coord,
			 uint32_t *worker, uint32_t *id);

#endif
