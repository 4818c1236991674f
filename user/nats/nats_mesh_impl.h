/* Private to user/nats_mesh*.c: the connection every side shares. */
#ifndef SWARM_NATS_MESH_IMPL_H
#define SWARM_NATS_MESH_IMPL_H

#ifdef HAVE_NATS
#include <nats/nats.h>

#include "nats_mesh.h"

#define NM_HDR_TASK    "Swarm-Task"
#define NM_HDR_ATTEMPT "Swarm-Attempt"
#define NM_HDR_COORD   "Swarm-Coord"
#define NM_HDR_STATUS  "Swarm-Status"
#define NM_HDR_EXIT    "Swarm-Exit"
#define NM_HDR_DUR     "Swarm-Dur-Us"
#define NM_HDR_LAT     "Swarm-Lat-Us"   /* agent answer -> coordinator read */
#define NM_HDR_AGENT   "Swarm-Agent"
#define NM_HDR_REASON  "Swarm-Reason"
#define NM_API_WAIT_MS 2000        /* JetStream API and publish-ack wait */
#define NM_DUP_WINDOW_NS (10ull * 60 * 1000000000ull)

struct nm_conn {
	natsConnection *nc;
	jsCtx *js;
	char swarm[NAME_MAX_LEN + 1];
	char name[NAME_MAX_LEN + 1];
	char stream[NAME_MAX_LEN + 8];          /* SWARM_<id> */
	char subj_all[NAME_MAX_LEN + 16];       /* swarm.<id>.> */
	char subj_task[NAME_MAX_LEN + 16];
	char subj_result[NAME_MAX_LEN + 16];
	char subj_hb[NAME_MAX_LEN + 16];
	char subj_end[NAME_MAX_LEN + 16];       /* swarm.<id>: not in the stream */
	char subj_kernel[NAME_MAX_LEN + 16];    /* swarm-kernel.<id>: neither */
	uint64_t ack_wait_ns, connect_ns, heartbeat_ns;
	unsigned max_deliver;
};

/* Validate cfg, fill names, connect (retrying until cfg->connect_ns). */
int nm_conn_open(const struct nm_cfg *cfg, struct nm_conn *c);
/* nm_conn_shut first when subscriptions are to be destroyed (see .c). */
void nm_conn_shut(struct nm_conn *c);
void nm_conn_close(struct nm_conn *c);
/* libnats status (and JetStream error code) -> negative errno. */
int nm_err(natsStatus s, jsErrCode jerr);
uint64_t nm_conn_reconnects(struct nm_conn *c);
/* A header value parsed as an unsigned number: 0 or -EBADMSG. */
int nm_hdr_u64(natsMsg *m, const char *key, uint64_t *out);
/* A header that must be a valid name: 0 or -EBADMSG; "" when absent
 * and optional. */
int nm_hdr_name(natsMsg *m, const char *key, char *out, int optional);
void nm_sleep_ms(int ms);

#endif
#endif
